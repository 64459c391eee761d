//! The JSON the tool prints. These wire types are the tool's own; the
//! library's domain types do not derive `Serialize`.

use mesh_engine::{Estimates, Finding, FixHint, Metrics, Report};
use serde::Serialize;

#[derive(Serialize)]
pub struct FileReport<'a> {
    pub file: &'a str,
    pub format: &'static str,
    pub printable: bool,
    pub metrics: WireMetrics,
    pub findings: Vec<WireFinding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimates: Option<WireEstimates>,
    pub parse_warnings: Vec<WireNote>,
    pub skipped_checks: Vec<WireNote>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timing_ms: Option<Timing>,
}

#[derive(Serialize)]
pub struct MetricsOnly<'a> {
    pub file: &'a str,
    pub format: &'static str,
    pub metrics: WireMetrics,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timing_ms: Option<Timing>,
}

#[derive(Serialize)]
pub struct FileError<'a> {
    pub file: &'a str,
    pub error: &'static str,
    pub message: String,
}

#[derive(Serialize, Clone, Copy)]
pub struct Timing {
    pub read: f64,
    pub parse: f64,
    pub metrics: f64,
    pub checks: f64,
}

#[derive(Serialize)]
pub struct WireMetrics {
    pub triangle_count: u64,
    pub vertex_count: u64,
    pub edge_count: u64,
    pub bbox_mm: [f64; 3],
    pub bbox_min_mm: [f64; 3],
    pub bbox_max_mm: [f64; 3],
    pub volume_cm3: f64,
    pub signed_volume_cm3: f64,
    pub surface_area_cm2: f64,
    pub is_watertight: bool,
    pub is_winding_consistent: bool,
    pub is_manifold: bool,
    pub is_inside_out: bool,
    pub body_count: u64,
    pub degenerate_faces: u64,
    pub boundary_edges: u64,
    pub non_manifold_edges: u64,
    pub non_manifold_vertices: u64,
    pub euler_number: i64,
    pub unit: &'static str,
    pub unit_source: &'static str,
    pub detected_unit: &'static str,
    pub unit_confidence: f64,
    /// `declared`, `round_sides` or `size`, with a sentence.
    pub unit_evidence: WireNote,
    pub raw: WireRaw,
}

#[derive(Serialize)]
pub struct WireRaw {
    pub bbox_min: [f64; 3],
    pub bbox_max: [f64; 3],
    pub extents: [f64; 3],
    pub volume: f64,
    pub area: f64,
}

#[derive(Serialize)]
pub struct WireFinding {
    pub check: &'static str,
    pub severity: &'static str,
    pub measured: f64,
    pub limit: f64,
    pub unit: &'static str,
    pub faces: Vec<u32>,
    pub point_mm: Option<[f64; 3]>,
    pub fix_hint: WireHint,
    pub message: String,
}

#[derive(Serialize)]
pub struct WireHint {
    pub action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_mm: Option<f64>,
}

#[derive(Serialize)]
pub struct WireEstimates {
    pub material: &'static str,
    pub printer: &'static str,
    pub weight_g: f64,
    pub support_g: f64,
    pub total_g: f64,
    pub shell_cm3: f64,
    pub infill_cm3: f64,
    pub support_cm3: f64,
    pub layers: u64,
    pub print_hours: f64,
    pub reliable: bool,
}

#[derive(Serialize)]
pub struct WireNote {
    pub code: &'static str,
    pub message: String,
}

pub fn metrics(m: &Metrics) -> WireMetrics {
    WireMetrics {
        triangle_count: m.triangle_count,
        vertex_count: m.vertex_count,
        edge_count: m.edge_count,
        bbox_mm: m.bbox_mm,
        bbox_min_mm: m.bbox_min_mm,
        bbox_max_mm: m.bbox_max_mm,
        volume_cm3: m.volume_cm3,
        signed_volume_cm3: m.signed_volume_cm3,
        surface_area_cm2: m.surface_area_cm2,
        is_watertight: m.is_watertight,
        is_winding_consistent: m.is_winding_consistent,
        is_manifold: m.is_manifold,
        is_inside_out: m.is_inside_out,
        body_count: m.body_count,
        degenerate_faces: m.degenerate_faces,
        boundary_edges: m.boundary_edges,
        non_manifold_edges: m.non_manifold_edges,
        non_manifold_vertices: m.non_manifold_vertices,
        euler_number: m.euler_number,
        unit: m.unit.code(),
        unit_source: match m.unit_source {
            mesh_engine::UnitSource::File => "file",
            mesh_engine::UnitSource::Detected => "detected",
            mesh_engine::UnitSource::Override => "override",
        },
        detected_unit: m.detected_unit.code(),
        unit_confidence: m.unit_confidence,
        unit_evidence: WireNote {
            code: m.unit_evidence.code(),
            message: m.unit_evidence.to_string(),
        },
        raw: WireRaw {
            bbox_min: m.raw.bbox_min,
            bbox_max: m.raw.bbox_max,
            extents: m.raw.extents,
            volume: m.raw.signed_volume,
            area: m.raw.area,
        },
    }
}

fn hint(h: &FixHint) -> WireHint {
    let mut w = WireHint {
        action: h.code(),
        factor: None,
        unit: None,
        min_mm: None,
    };
    match *h {
        FixHint::ScaleBy { factor } => w.factor = Some(factor),
        FixHint::SetUnit { unit } => w.unit = Some(unit.code()),
        FixHint::ThickenWalls { min_mm } => w.min_mm = Some(min_mm),
        _ => {}
    }
    w
}

pub fn finding(f: &Finding) -> WireFinding {
    WireFinding {
        check: f.check.id(),
        severity: f.severity.id(),
        measured: f.measured,
        limit: f.limit,
        unit: f.unit,
        faces: f.faces.clone(),
        point_mm: f.point_mm,
        fix_hint: hint(&f.fix_hint),
        message: f.message.clone(),
    }
}

pub fn estimates(e: &Estimates) -> WireEstimates {
    WireEstimates {
        material: e.material_id,
        printer: e.printer_id,
        weight_g: e.weight_g,
        support_g: e.support_g,
        total_g: e.total_g,
        shell_cm3: e.shell_cm3,
        infill_cm3: e.infill_cm3,
        support_cm3: e.support_cm3,
        layers: e.layers,
        print_hours: e.print_hours,
        reliable: e.reliable,
    }
}

pub fn report<'a>(file: &'a str, r: &Report, timing: Option<Timing>) -> FileReport<'a> {
    FileReport {
        file,
        format: r.format.code(),
        printable: r.is_printable(),
        metrics: metrics(&r.metrics),
        findings: r.findings.iter().map(finding).collect(),
        estimates: r.estimates.as_ref().map(estimates),
        parse_warnings: r
            .parse_warnings
            .iter()
            .map(|w| WireNote {
                code: w.code(),
                message: w.to_string(),
            })
            .collect(),
        skipped_checks: r
            .skipped_checks
            .iter()
            .map(|s| WireNote {
                code: s.check.id(),
                message: s.reason.to_owned(),
            })
            .collect(),
        timing_ms: timing,
    }
}
