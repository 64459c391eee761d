//! Slicing a plate of parts for the farm's Bambu Lab printers, and packaging
//! the G-code the way Bambu printers take a job (`.gcode.3mf`).
//!
//! - [`Slicer`]: one trait for the outside system that turns meshes into
//!   G-code; [`PrusaSlicer`] is the production implementation (PrusaSlicer's
//!   CLI, `prusa-slicer --export-gcode`, Debian package `prusa-slicer`, run
//!   headless with the profiles of [`profiles`] loaded by `--load`).
//! - [`package_gcode_3mf`]: a plate's G-code as a Bambu `.gcode.3mf`
//!   (`Metadata/plate_1.gcode` with its MD5 beside it), the file a printer
//!   receives by FTPS before `project_file` starts it.
//! - [`GcodeStats::parse`]: the slicer's own figures (filament grams, estimated
//!   time) read from the G-code's footer comments.
//!
//! Native only: the slicer is a process, so this crate never goes into a Wasm
//! component. The quote's estimate (mesh-engine) is measured against the
//! figures this crate records (benches/quote_accuracy.sh).

mod gcode;
mod package;
pub mod profiles;
mod prusa;

pub use gcode::GcodeStats;
pub use package::{PlateMetadata, package_gcode_3mf};
pub use profiles::PrinterModel;
pub use prusa::PrusaSlicer;

use mesh_engine::Unit;

/// Everything that can go wrong while slicing or packaging.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A part's mesh could not be read (mesh-engine's error code and message).
    #[error("part {part_id}: the mesh could not be read ({code}): {message}")]
    Mesh {
        part_id: String,
        code: &'static str,
        message: String,
    },
    /// The plate has no parts, or a part lies (partly) outside the bed.
    #[error("the plate cannot be sliced: {0}")]
    InvalidPlate(String),
    /// The material has no profile (see [`profiles::filament_ini`]).
    #[error("no slicing profile for material {0:?}")]
    UnknownMaterial(String),
    /// The slicer could not be started (not installed: Debian package
    /// `prusa-slicer`).
    #[error("the slicer {program:?} could not be started: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    /// The slicer ran and failed; `stderr` is its last lines.
    #[error("the slicer failed (exit status {status}): {stderr}")]
    Failed { status: String, stderr: String },
    /// The G-code lacks the footer figures this crate reads.
    #[error("the G-code has no {0:?} line")]
    MissingStat(&'static str),
    /// Reading or writing the slicer's files, or the package.
    #[error("{context}: {source}")]
    Io {
        context: &'static str,
        source: std::io::Error,
    },
    /// Writing the `.gcode.3mf` archive.
    #[error("packaging the .gcode.3mf: {0}")]
    Package(#[from] zip::result::ZipError),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One part to print, placed on the plate.
#[derive(Debug, Clone)]
pub struct PlatePart {
    /// The caller's id for the part (kept in [`PartUsage::part_id`]).
    pub part_id: String,
    /// The mesh file as uploaded: STL, OBJ or 3MF (anything mesh-engine reads).
    pub mesh: Vec<u8>,
    /// The unit of the mesh's coordinates (3MF files declare their own; this
    /// is then ignored).
    pub unit: Unit,
    /// Where the centre of the part's bounding box goes on the bed, mm, in
    /// the printer's coordinates (origin at the bed's front left corner). The
    /// part's lowest point goes on the bed (z = 0).
    pub center_mm: [f64; 2],
}

/// A plate: parts printed together on one printer in one material.
#[derive(Debug, Clone)]
pub struct Plate {
    pub printer: PrinterModel,
    /// Material id as in mesh-engine's material table (`pla`, `petg`, ...).
    pub material: String,
    pub parts: Vec<PlatePart>,
}

/// The slicer's figures for one part of a plate.
#[derive(Debug, Clone, PartialEq)]
pub struct PartUsage {
    pub part_id: String,
    /// The part's enclosed volume, cm³ (mesh-engine).
    pub volume_cm3: f64,
    /// The part's share of the plate: its volume over the plate's volume.
    pub share: f64,
    /// Filament grams attributed to the part: the plate's grams × `share`.
    pub filament_g: f64,
    /// Print time attributed to the part, s: the plate's time × `share`.
    pub print_s: f64,
}

/// A sliced plate: the G-code, the slicer's figures, and the package.
#[derive(Debug, Clone)]
pub struct SlicedPlate {
    pub gcode: Vec<u8>,
    /// The slicer's figures for the whole plate.
    pub stats: GcodeStats,
    /// Per part, in the order of [`Plate::parts`]. When several parts share a
    /// plate the slicer reports one total; it is split by part volume (a
    /// part's share of the plate's volume), which is exact for grams when the
    /// parts are alike and an approximation otherwise (walls and skins scale
    /// with area, not volume).
    pub parts: Vec<PartUsage>,
}

/// Turns a plate of meshes into G-code. One trait for the outside system;
/// [`PrusaSlicer`] is the production implementation.
pub trait Slicer {
    /// Slices the plate with the printer's and material's profiles.
    ///
    /// Errors: [`Error::InvalidPlate`] (no parts, a part off the bed),
    /// [`Error::Mesh`], [`Error::UnknownMaterial`], [`Error::Spawn`] /
    /// [`Error::Failed`] (the slicer), [`Error::MissingStat`].
    fn slice(&self, plate: &Plate) -> Result<SlicedPlate>;
}

impl SlicedPlate {
    /// The plate packaged for a Bambu printer ([`package_gcode_3mf`]).
    pub fn gcode_3mf(&self, plate: &Plate) -> Result<Vec<u8>> {
        let meta = PlateMetadata::for_plate(plate, &self.stats)?;
        package_gcode_3mf(&self.gcode, &meta)
    }
}

/// Splits a plate's figures over its parts by volume (see [`SlicedPlate::parts`]).
pub(crate) fn split_by_volume(stats: &GcodeStats, parts: &[(String, f64)]) -> Vec<PartUsage> {
    let total: f64 = parts.iter().map(|(_, v)| v).sum();
    parts
        .iter()
        .map(|(id, volume)| {
            let share = if total > 0.0 {
                volume / total
            } else {
                1.0 / parts.len() as f64
            };
            PartUsage {
                part_id: id.clone(),
                volume_cm3: *volume,
                share,
                filament_g: stats.filament_g * share,
                print_s: stats.print_s * share,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plate_is_split_by_part_volume() {
        let stats = GcodeStats {
            filament_g: 30.0,
            filament_mm: 0.0,
            filament_cm3: 0.0,
            print_s: 600.0,
            layers: None,
        };
        let parts = split_by_volume(&stats, &[("a".into(), 1.0), ("b".into(), 2.0)]);
        assert_eq!(parts[0].filament_g, 10.0);
        assert_eq!(parts[1].filament_g, 20.0);
        assert_eq!(parts[1].print_s, 400.0);
        assert_eq!(parts[0].share + parts[1].share, 1.0);
    }
}
