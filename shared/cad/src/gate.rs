//! The print-ready gate: a model is `completed` only if every check here
//! passes; a failure names its reason (a stable code and a sentence).

use farm_partspec::{Axis, Part, PartSpec, Requirement};
use mesh_engine::{AnalyzeOptions, Check, Severity, Unit, UnitChoice};

use crate::measure::{MeasuredHole, holes, tooth_count};
use crate::{Error, Model};

/// Largest relative difference between the mesh's volume and the part
/// program's analytic volume (issue 14: 1 %).
pub const VOLUME_TOLERANCE: f64 = 0.01;
/// Largest difference of each bounding-box side from the requested one, mm
/// (issue 14: 0.05 mm).
pub const BBOX_TOLERANCE_MM: f64 = 0.05;
/// Hole diameters and spacings measured on the solid agree to this, mm.
pub const HOLE_TOLERANCE_MM: f64 = 0.01;

/// The mesh engine's thin-wall check fails the gate when at least this many
/// of its sampled faces (it samples up to 2048, and names at most 16) sit on
/// thin material: a wall. Fewer are the tip of an acute corner, reported as
/// a warning. (The cable clip once relied on this: its vertical slot left
/// such a tip, and a small clip's finer tessellation put 18 faces on it;
/// its ring ends are now cut along radii and leave none, see the `suite`
/// test's clip sweep.)
pub const THIN_WALL_FACES: usize = 16;

/// One failed check.
#[derive(Debug, Clone, PartialEq)]
pub struct GateFailure {
    /// Stable code: `not_one_solid`, `mesh_<check id>`, `volume_mismatch`,
    /// `bbox_mismatch`, `requirement_<kind>`, `build_failed`.
    pub code: String,
    pub message: String,
}

/// What the gate measured and what failed.
#[derive(Debug, Clone, PartialEq)]
pub struct GateReport {
    pub failures: Vec<GateFailure>,
    /// Thin spots too small to be a wall (see [`THIN_WALL_FACES`]).
    pub warnings: Vec<GateFailure>,
    pub volume_mm3: f64,
    pub analytic_volume_mm3: f64,
    pub bbox_min_mm: [f64; 3],
    pub bbox_max_mm: [f64; 3],
    /// Round holes measured on the solid (bores on a round part's axis excluded).
    pub holes: Vec<MeasuredHole>,
    pub teeth: Option<u32>,
}

impl GateReport {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Builds the part and runs the gate; a build error is a failed gate.
pub fn check_spec(spec: &PartSpec) -> Result<(Model, GateReport), GateFailure> {
    let model = Model::build(&spec.part).map_err(|e: Error| GateFailure {
        code: "build_failed".into(),
        message: e.to_string(),
    })?;
    let report = check(spec, &model);
    Ok((model, report))
}

fn is_round(part: &Part) -> bool {
    matches!(
        part,
        Part::Cylinder(_)
            | Part::Spacer(_)
            | Part::Standoff(_)
            | Part::Washer(_)
            | Part::Flange(_)
            | Part::Knob(_)
            | Part::SpurGear(_)
    )
}

/// Runs every check of the gate on a built model.
pub fn check(spec: &PartSpec, model: &Model) -> GateReport {
    let mut fail = Vec::new();
    let mut warnings = Vec::new();
    let mut push = |code: &str, message: String| {
        fail.push(GateFailure {
            code: code.into(),
            message,
        })
    };
    let part = &spec.part;

    let closed = model.solids.iter().all(|s| {
        s.boundaries().len() == 1
            && s.boundaries()[0].shell_condition() == truck_topology::shell::ShellCondition::Closed
    });
    if model.solids.len() != part.solid_count() || !closed {
        push(
            "not_one_solid",
            format!(
                "{} solids (closed: {closed}); the part is {}",
                model.solids.len(),
                part.solid_count()
            ),
        );
    }

    match model.mesh.to_engine() {
        Err(e) => push("mesh_unreadable", e.to_string()),
        Ok(mesh) => {
            // The kernel works in millimetres: no unit guess (a 50 × 30 ×
            // 5.04 mm plate would otherwise read as centimetres).
            let opts = AnalyzeOptions {
                unit: UnitChoice::Fixed(Unit::Millimeter),
                ..AnalyzeOptions::default()
            };
            let report = mesh.analyze(&opts);
            let m = mesh.measurements();
            if !(m.is_watertight && m.is_winding_consistent && m.is_manifold()) {
                push(
                    "mesh_not_closed",
                    format!(
                        "{} open, {} non-manifold, {} inconsistent edges",
                        m.boundary_edges, m.non_manifold_edges, m.inconsistent_edges
                    ),
                );
            }
            for f in &report.findings {
                let wall = f.check == Check::ThinWalls && f.faces.len() >= THIN_WALL_FACES;
                if f.severity == Severity::Error || wall {
                    push(&format!("mesh_{}", f.check.id()), f.message.clone());
                } else if f.check == Check::ThinWalls {
                    warnings.push(GateFailure {
                        code: "mesh_thin_walls".into(),
                        message: f.message.clone(),
                    });
                }
            }
        }
    }

    let volume = model.mesh.signed_volume();
    let analytic = part.volume_mm3();
    if (volume - analytic).abs() > VOLUME_TOLERANCE * analytic || volume.is_nan() {
        push(
            "volume_mismatch",
            format!("mesh volume {volume:.3} mm³, the program's {analytic:.3} mm³"),
        );
    }
    let (lo, hi) = model.mesh.bounds();
    let want = part.bounding_box();
    for k in 0..3 {
        if (lo[k] - want.min[k]).abs() > BBOX_TOLERANCE_MM
            || (hi[k] - want.max[k]).abs() > BBOX_TOLERANCE_MM
        {
            push(
                "bbox_mismatch",
                format!(
                    "axis {k}: {:.3}..{:.3} mm, requested {:.3}..{:.3} mm",
                    lo[k], hi[k], want.min[k], want.max[k]
                ),
            );
        }
    }

    let round = is_round(part);
    let measured: Vec<MeasuredHole> = holes(&model.solids)
        .into_iter()
        .filter(|h| {
            let on_axis = h.center[0].abs() < 1e-6
                && h.center[1].abs() < 1e-6
                && h.axis[0].abs() < 1e-9
                && h.axis[1].abs() < 1e-9;
            !(round && on_axis)
        })
        .collect();
    let teeth = matches!(part, Part::SpurGear(_)).then(|| tooth_count(&model.solids));
    for req in &spec.requirements {
        match *req {
            Requirement::Extent { axis, value_mm } => {
                let k = match axis {
                    Axis::X => 0,
                    Axis::Y => 1,
                    Axis::Z => 2,
                };
                if (hi[k] - lo[k] - value_mm).abs() > BBOX_TOLERANCE_MM {
                    push(
                        "requirement_extent",
                        format!(
                            "extent {:.3} mm along {axis:?}, asked {value_mm} mm",
                            hi[k] - lo[k]
                        ),
                    );
                }
            }
            Requirement::HoleCount { count } => {
                if measured.len() != count as usize {
                    push(
                        "requirement_hole_count",
                        format!("{} holes, asked {count}", measured.len()),
                    );
                }
            }
            Requirement::HoleDiameter { diameter_mm } => {
                if let Some(h) = measured
                    .iter()
                    .find(|h| (h.diameter_mm - diameter_mm).abs() > HOLE_TOLERANCE_MM)
                {
                    push(
                        "requirement_hole_diameter",
                        format!("a hole of {:.3} mm, asked {diameter_mm} mm", h.diameter_mm),
                    );
                } else if measured.is_empty() {
                    push("requirement_hole_diameter", "no holes".into());
                }
            }
            Requirement::HoleSpacing { spacing_mm } => {
                let found = measured.iter().enumerate().any(|(i, a)| {
                    measured[i + 1..].iter().any(|b| {
                        let d: f64 = (0..3)
                            .map(|k| (a.center[k] - b.center[k]).powi(2))
                            .sum::<f64>()
                            .sqrt();
                        (d - spacing_mm).abs() <= HOLE_TOLERANCE_MM
                    })
                });
                if !found {
                    push(
                        "requirement_hole_spacing",
                        format!("no two holes {spacing_mm} mm apart"),
                    );
                }
            }
            Requirement::ToothCount { count } => {
                let got = tooth_count(&model.solids);
                if got != count {
                    push(
                        "requirement_tooth_count",
                        format!("{got} teeth, asked {count}"),
                    );
                }
            }
            Requirement::CountersunkCount { count } => {
                let got = measured.iter().filter(|h| h.is_countersunk()).count();
                if got != count as usize {
                    push(
                        "requirement_countersunk_count",
                        format!("{got} countersunk holes, asked {count}"),
                    );
                }
            }
        }
    }
    GateReport {
        failures: fail,
        warnings,
        volume_mm3: volume,
        analytic_volume_mm3: analytic,
        bbox_min_mm: lo,
        bbox_max_mm: hi,
        holes: measured,
        teeth,
    }
}
