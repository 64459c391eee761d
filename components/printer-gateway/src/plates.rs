//! Turning the app's plate (parts with their meshes) into what a printer
//! takes: sliced by a [`farm_slicing::Slicer`] (PrusaSlicer in production)
//! and packaged as a Bambu `.gcode.3mf`. The slicer's grams and time per
//! part come back with it: the truth the quote is measured against, for the
//! app to record.

use std::sync::Arc;

use farm_slicing::{PartUsage, Slicer};

use crate::dispatch::{Plate, PlatePart};

/// A sliced plate ready to dispatch, and the slicer's figures per part.
#[derive(Debug, Clone)]
pub struct PreparedPlate {
    pub plate: Plate,
    pub usage: Vec<PartUsage>,
    /// The whole plate's estimated print time, seconds (the slicer's).
    pub print_s: f64,
}

/// Slices `plate` and packages it. Blocking (the slicer is a process): call
/// it from `spawn_blocking` on a runtime. `meshes` names where each part's
/// mesh came from (object keys), in the order of `plate.parts`.
pub fn prepare(
    slicer: &dyn Slicer,
    plate_id: &str,
    plate: &farm_slicing::Plate,
    meshes: &[Option<String>],
) -> farm_slicing::Result<PreparedPlate> {
    let sliced = slicer.slice(plate)?;
    let project = sliced.gcode_3mf(plate)?;
    let parts = plate
        .parts
        .iter()
        .enumerate()
        .map(|(i, p)| PlatePart {
            part_id: p.part_id.clone(),
            mesh: meshes.get(i).cloned().flatten(),
        })
        .collect();
    Ok(PreparedPlate {
        plate: Plate {
            plate_id: plate_id.to_owned(),
            parts,
            project: Arc::new(project),
        },
        usage: sliced.parts.clone(),
        print_s: sliced.stats.print_s,
    })
}
