//! [`Slicer`] by PrusaSlicer's command line (Debian package `prusa-slicer`).
//!
//! Each part is parsed with mesh-engine, scaled to millimetres, moved so its
//! bounding box is centred on the part's `center_mm` with its lowest point on
//! the bed, and written as an OBJ into a temporary directory with the
//! profiles. Then, headless:
//!
//! ```text
//! prusa-slicer --export-gcode --merge --dont-arrange \
//!   --load printer.ini --load filament.ini --load print.ini --load shared.ini \
//!   --output plate.gcode part_0.obj part_1.obj ...
//! ```
//!
//! `--merge --dont-arrange` keeps the parts where they were placed; later
//! `--load`s win, so `shared.ini` (the estimate's settings) overrides the
//! files.

use std::path::{Path, PathBuf};
use std::process::Command;

use mesh_engine::{Format, Limits};

use crate::profiles::{self, PRINT_INI};
use crate::{Error, GcodeStats, Plate, Result, SlicedPlate, Slicer, split_by_volume};

/// Bed size of every farm printer, mm (the printer profiles' `bed_shape`).
const BED_MM: f64 = 256.0;

/// PrusaSlicer's CLI. `program` defaults to `prusa-slicer` on `PATH`.
#[derive(Debug, Clone)]
pub struct PrusaSlicer {
    pub program: PathBuf,
}

impl Default for PrusaSlicer {
    fn default() -> Self {
        PrusaSlicer {
            program: PathBuf::from("prusa-slicer"),
        }
    }
}

/// A part as written for the slicer: placed vertices, mm.
struct Placed {
    vertices: Vec<[f64; 3]>,
    triangles: Vec<[u32; 3]>,
    volume_cm3: f64,
}

impl Slicer for PrusaSlicer {
    fn slice(&self, plate: &Plate) -> Result<SlicedPlate> {
        if plate.parts.is_empty() {
            return Err(Error::InvalidPlate("the plate has no parts".into()));
        }
        let filament = profiles::filament(&plate.material)?;
        let shared = profiles::shared_settings(&plate.material)?;
        let dir = tempfile::tempdir().map_err(io("creating the slicing directory"))?;
        let mut volumes = Vec::with_capacity(plate.parts.len());
        let mut meshes = Vec::with_capacity(plate.parts.len());
        for (i, part) in plate.parts.iter().enumerate() {
            let placed = place(part)?;
            let path = dir.path().join(format!("part_{i}.obj"));
            std::fs::write(&path, obj(&placed.vertices, &placed.triangles))
                .map_err(io("writing a part's mesh"))?;
            meshes.push(path);
            volumes.push((part.part_id.clone(), placed.volume_cm3));
        }
        let write = |name: &str, text: &str| -> Result<PathBuf> {
            let path = dir.path().join(name);
            std::fs::write(&path, text).map_err(io("writing a slicer profile"))?;
            Ok(path)
        };
        let configs = [
            write("printer.ini", plate.printer.printer_ini())?,
            write("filament.ini", filament.ini)?,
            write("print.ini", PRINT_INI)?,
            write("shared.ini", &profiles::ini(&shared))?,
        ];
        let output = dir.path().join("plate.gcode");
        let gcode = self.run(&configs, &meshes, &output)?;
        let stats = GcodeStats::parse(&gcode)?;
        let parts = split_by_volume(&stats, &volumes);
        Ok(SlicedPlate {
            gcode,
            stats,
            parts,
        })
    }
}

impl PrusaSlicer {
    /// Runs the slicer and returns the G-code it wrote.
    fn run(&self, configs: &[PathBuf], meshes: &[PathBuf], output: &Path) -> Result<Vec<u8>> {
        let mut cmd = Command::new(&self.program);
        cmd.arg("--export-gcode")
            .arg("--merge")
            .arg("--dont-arrange");
        for config in configs {
            cmd.arg("--load").arg(config);
        }
        cmd.arg("--output").arg(output).args(meshes);
        // Headless: no display is needed for --export-gcode; an inherited
        // DISPLAY would only make the GUI toolkit try to connect.
        cmd.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
        let out = cmd.output().map_err(|source| Error::Spawn {
            program: self.program.display().to_string(),
            source,
        })?;
        if !out.status.success() || !output.exists() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let stdout = String::from_utf8_lossy(&out.stdout);
            let tail: Vec<&str> = stderr
                .lines()
                .chain(stdout.lines())
                .filter(|l| {
                    // Log noise and the progress lines (`70 => Infilling layers`).
                    !l.contains("[trace]")
                        && !l.contains("[debug]")
                        && l.split_once(" => ")
                            .is_none_or(|(n, _)| n.parse::<u32>().is_err())
                        && !l.starts_with("Object name:")
                })
                .collect();
            return Err(Error::Failed {
                status: out.status.to_string(),
                stderr: tail[tail.len().saturating_sub(8)..].join("\n"),
            });
        }
        std::fs::read(output).map_err(io("reading the slicer's G-code"))
    }
}

fn io(context: &'static str) -> impl Fn(std::io::Error) -> Error {
    move |source| Error::Io { context, source }
}

/// Parses, scales to mm and places one part (see the module docs).
fn place(part: &crate::PlatePart) -> Result<Placed> {
    let mesh = mesh_engine::parse(&part.mesh, &Limits::default()).map_err(|e| Error::Mesh {
        part_id: part.part_id.clone(),
        code: e.code(),
        message: e.to_string(),
    })?;
    let unit = match (mesh.format(), mesh.file_unit()) {
        (Format::ThreeMf, Some(unit)) => unit,
        _ => part.unit,
    };
    let scale = unit.mm_per_unit();
    let vertices: Vec<[f64; 3]> = mesh
        .vertices()
        .iter()
        .map(|v| [v[0] * scale, v[1] * scale, v[2] * scale])
        .collect();
    let mut min = [f64::INFINITY; 3];
    let mut max = [f64::NEG_INFINITY; 3];
    for v in &vertices {
        for k in 0..3 {
            min[k] = min[k].min(v[k]);
            max[k] = max[k].max(v[k]);
        }
    }
    let shift = [
        part.center_mm[0] - (min[0] + max[0]) / 2.0,
        part.center_mm[1] - (min[1] + max[1]) / 2.0,
        -min[2],
    ];
    for k in 0..2 {
        let (lo, hi) = (min[k] + shift[k], max[k] + shift[k]);
        if lo < 0.0 || hi > BED_MM {
            return Err(Error::InvalidPlate(format!(
                "part {} spans {lo:.1}..{hi:.1} mm on {}, off the {BED_MM} mm bed",
                part.part_id,
                ["x", "y"][k]
            )));
        }
    }
    if max[2] - min[2] > BED_MM {
        return Err(Error::InvalidPlate(format!(
            "part {} is {:.1} mm tall, over the {BED_MM} mm build height",
            part.part_id,
            max[2] - min[2]
        )));
    }
    let vertices: Vec<[f64; 3]> = vertices
        .iter()
        .map(|v| [v[0] + shift[0], v[1] + shift[1], v[2] + shift[2]])
        .collect();
    let triangles = mesh.triangles().to_vec();
    let volume_mm3: f64 = triangles
        .iter()
        .map(|t| {
            let p = t.map(|i| vertices[i as usize]);
            dot(p[0], cross(p[1], p[2])) / 6.0
        })
        .sum();
    Ok(Placed {
        vertices,
        triangles,
        volume_cm3: volume_mm3.abs() / 1000.0,
    })
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Wavefront OBJ (`v x y z`, `f a b c`, 1-based): indexed, so the welded
/// vertices stay shared. Not binary STL: PrusaSlicer (admesh) takes a binary
/// STL whose first 128 bytes after the header are all below 0x80 for ASCII,
/// which small positive coordinates with zero normals are.
fn obj(vertices: &[[f64; 3]], triangles: &[[u32; 3]]) -> Vec<u8> {
    use std::fmt::Write;
    let mut out = String::with_capacity(32 * vertices.len() + 24 * triangles.len());
    for v in vertices {
        let _ = writeln!(out, "v {} {} {}", v[0], v[1], v[2]);
    }
    for t in triangles {
        let _ = writeln!(out, "f {} {} {}", t[0] + 1, t[1] + 1, t[2] + 1);
    }
    out.into_bytes()
}
