//! The printability checks.

use crate::findings::{Check, Finding, FixHint, Severity};
use crate::measure::{Measurements, SAMPLE, cross, norm, sub};
use crate::mesh::Mesh;
use crate::metrics::Metrics;
use crate::printer::PrinterProfile;
use crate::units::{Unit, detect, size_plausibility};

/// Tunables of the checks; the defaults are the farm's policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckOptions {
    /// A part whose largest side (mm) is outside this range is suspected to be
    /// in the wrong unit.
    pub plausible_size_mm: [f64; 2],
    /// Faces whose surface is closer than this to horizontal, facing down,
    /// need support (degrees below horizontal; 45 for FDM).
    pub overhang_angle_deg: f64,
    /// Faces this close to the lowest point (mm) rest on the bed.
    pub bed_tolerance_mm: f64,
    /// Minimum wall when no material is given, mm.
    pub default_min_wall_mm: f64,
    /// How many faces the thin-wall check casts rays from.
    pub wall_samples: u32,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            plausible_size_mm: [1.0, 1000.0],
            overhang_angle_deg: 45.0,
            bed_tolerance_mm: 0.1,
            default_min_wall_mm: 0.8,
            wall_samples: 2048,
        }
    }
}

pub(crate) fn centroid_mm(mesh: &Mesh, face: u32, scale: f64) -> Option<[f64; 3]> {
    let t = mesh.triangles.get(face as usize)?;
    let [a, b, c] = t.map(|i| mesh.vertices[i as usize]);
    Some([0, 1, 2].map(|k| (a[k] + b[k] + c[k]) / 3.0 * scale))
}

/// Builds findings located on faces of one mesh.
struct Locator<'a> {
    mesh: &'a Mesh,
    scale: f64,
}

impl Locator<'_> {
    fn finding(
        &self,
        check: Check,
        severity: Severity,
        (measured, limit, unit): (f64, f64, &'static str),
        faces: &[u32],
        fix_hint: FixHint,
        message: String,
    ) -> Finding {
        Finding {
            check,
            severity,
            measured,
            limit,
            unit,
            faces: faces.to_vec(),
            point_mm: faces
                .first()
                .and_then(|&f| centroid_mm(self.mesh, f, self.scale)),
            fix_hint,
            message,
        }
    }
}

/// Findings that follow from the topology and the metrics.
pub(crate) fn topology_findings(mesh: &Mesh, m: &Measurements, scale: f64) -> Vec<Finding> {
    let s = &m.samples;
    let at = Locator { mesh, scale };
    let mut out = Vec::new();
    if m.boundary_edges > 0 {
        out.push(at.finding(Check::OpenEdges, Severity::Error,
            (m.boundary_edges as f64, 0.0, "count"), &s.boundary, FixHint::CloseHoles,
            format!("{} edges belong to only one face: the mesh has holes, so its volume and weight are undefined", m.boundary_edges),
        ));
    }
    if m.non_manifold_edges > 0 {
        out.push(at.finding(
            Check::NonManifoldEdges,
            Severity::Error,
            (m.non_manifold_edges as f64, 0.0, "count"),
            &s.non_manifold,
            FixHint::RepairNonManifold,
            format!(
                "{} edges are shared by three or more faces",
                m.non_manifold_edges
            ),
        ));
    }
    if m.non_manifold_vertices > 0 {
        out.push(at.finding(
            Check::NonManifoldVertices,
            Severity::Warning,
            (m.non_manifold_vertices as f64, 0.0, "count"),
            &[],
            FixHint::RepairNonManifold,
            format!(
                "{} vertices join shells that touch only at a point",
                m.non_manifold_vertices
            ),
        ));
    }
    if m.inconsistent_edges > 0 {
        out.push(at.finding(
            Check::InconsistentWinding,
            Severity::Error,
            (m.inconsistent_edges as f64, 0.0, "count"),
            &s.inconsistent,
            FixHint::FixWinding,
            format!(
                "{} edges join faces that disagree about which side is outside",
                m.inconsistent_edges
            ),
        ));
    }
    if m.is_watertight && m.is_winding_consistent && m.signed_volume < 0.0 {
        out.push(at.finding(Check::InsideOut, Severity::Warning,
            (m.signed_volume * scale.powi(3) / 1000.0, 0.0, "cm3"), &[0], FixHint::FlipNormals,
            "the faces point inwards (negative volume); the volume is reported as its absolute value".into(),
        ));
    }
    if m.degenerate_faces > 0 {
        out.push(at.finding(
            Check::DegenerateFaces,
            Severity::Warning,
            (m.degenerate_faces as f64, 0.0, "count"),
            &s.degenerate,
            FixHint::RemoveDegenerateFaces,
            format!("{} faces have (almost) no area", m.degenerate_faces),
        ));
    }
    if m.body_count > 1 {
        out.push(at.finding(
            Check::MultipleBodies,
            Severity::Warning,
            (m.body_count as f64, 1.0, "count"),
            &s.body_first_faces,
            FixHint::ConfirmMultipleParts,
            format!("the file holds {} separate bodies", m.body_count),
        ));
    }
    out
}

/// Build volume and unit plausibility.
pub(crate) fn size_findings(
    metrics: &Metrics,
    printer: &PrinterProfile,
    opts: &CheckOptions,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let size = metrics.bbox_mm;
    let build = printer.build_volume_mm;
    if (0..3).any(|i| size[i] > build[i]) {
        let mut sorted_size = size;
        let mut sorted_build = build;
        sorted_size.sort_by(f64::total_cmp);
        sorted_build.sort_by(f64::total_cmp);
        let fits_rotated = (0..3).all(|i| sorted_size[i] <= sorted_build[i]);
        let factor = (0..3)
            .map(|i| sorted_build[i] / sorted_size[i])
            .fold(f64::INFINITY, f64::min);
        let worst = (0..3)
            .max_by(|&a, &b| (size[a] / build[a]).total_cmp(&(size[b] / build[b])))
            .unwrap_or(0);
        out.push(Finding {
            check: Check::BuildVolume,
            severity: Severity::Error,
            measured: size[worst],
            limit: build[worst],
            unit: "mm",
            faces: Vec::new(),
            point_mm: Some(metrics.bbox_max_mm),
            fix_hint: if fits_rotated {
                FixHint::Reorient
            } else {
                FixHint::ScaleBy { factor }
            },
            message: format!(
                "{:.1} × {:.1} × {:.1} mm exceeds the {} build volume of {} × {} × {} mm",
                size[0], size[1], size[2], printer.name, build[0], build[1], build[2]
            ),
        });
    }
    let largest = size.into_iter().fold(0.0, f64::max);
    let [lo, hi] = opts.plausible_size_mm;
    if largest < lo || largest > hi {
        // Suggest the unit that makes the part most plausible.
        let raw_largest = largest / metrics.unit.mm_per_unit();
        // Round sides in another unit outweigh the size alone.
        let round_elsewhere =
            metrics.detected_unit != metrics.unit && metrics.unit_evidence.code() == "round_sides";
        let suggestion = if round_elsewhere {
            metrics.detected_unit
        } else {
            [Unit::Millimeter, Unit::Centimeter, Unit::Inch, Unit::Meter]
                .into_iter()
                .filter(|&u| u != metrics.unit)
                .max_by(|a, b| {
                    size_plausibility(raw_largest * a.mm_per_unit())
                        .total_cmp(&size_plausibility(raw_largest * b.mm_per_unit()))
                })
                .unwrap_or_else(|| detect(raw_largest).unit)
        };
        out.push(Finding {
            check: Check::UnitSuspect,
            severity: Severity::Warning,
            measured: largest,
            limit: if largest < lo { lo } else { hi },
            unit: "mm",
            faces: Vec::new(),
            point_mm: None,
            fix_hint: FixHint::SetUnit { unit: suggestion },
            message: format!(
                "the part is {largest:.3} mm at its largest when read in {}; it is probably in {}",
                metrics.unit, suggestion
            ),
        });
    }
    out
}

/// Downward-facing area that needs support, with the column of support under it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Overhang {
    pub area_mm2: f64,
    /// Σ projected area × height above the bed, mm³ (before support density).
    pub support_column_mm3: f64,
    pub faces: Vec<u32>,
}

pub(crate) fn overhang(mesh: &Mesh, m: &Measurements, scale: f64, opts: &CheckOptions) -> Overhang {
    // Normals point outwards for a positive volume; flip them for inside-out meshes.
    let sign = if m.signed_volume < 0.0 { -1.0 } else { 1.0 };
    let cos_limit = opts.overhang_angle_deg.to_radians().cos();
    let z_min = m.bbox_min[2];
    let bed = opts.bed_tolerance_mm / scale;
    let mut out = Overhang::default();
    for (f, t) in mesh.triangles.iter().enumerate() {
        let [a, b, c] = t.map(|i| mesh.vertices[i as usize]);
        let n = cross(sub(b, a), sub(c, a));
        let twice_area = norm(n);
        if twice_area <= 0.0 {
            continue;
        }
        let nz = sign * n[2] / twice_area;
        // Facing down within the limit angle of straight down.
        if nz >= -cos_limit {
            continue;
        }
        let top = a[2].max(b[2]).max(c[2]);
        if top - z_min <= bed {
            continue;
        }
        let area = twice_area / 2.0;
        out.area_mm2 += area * scale * scale;
        let height = (a[2] + b[2] + c[2]) / 3.0 - z_min;
        out.support_column_mm3 += area * -nz * height * scale.powi(3);
        if out.faces.len() < SAMPLE {
            out.faces.push(f as u32);
        }
    }
    out
}

pub(crate) fn overhang_finding(
    mesh: &Mesh,
    o: &Overhang,
    scale: f64,
    opts: &CheckOptions,
) -> Option<Finding> {
    (o.area_mm2 > 0.0).then(|| {
        Locator { mesh, scale }.finding(
            Check::Overhang,
            Severity::Warning,
            (o.area_mm2 / 100.0, 0.0, "cm2"),
            &o.faces,
            FixHint::SupportsNeeded,
            format!(
                "{:.2} cm² of downward faces overhang more than {}° from vertical and need support",
                o.area_mm2 / 100.0,
                opts.overhang_angle_deg
            ),
        )
    })
}
