//! Runs the mesh engine and turns its report into the JSON we store and serve
//! (`metrics_json` in seed 001's shape, and the full printability report),
//! and turns a stored report back into quoting facts.

use farm_quoting::PartFacts;
use mesh_engine::material::ALL as MATERIALS;
use mesh_engine::{
    AnalyzeOptions, CheckOptions, Finding, Mesh, Report, Severity, Unit, UnitChoice,
};
use serde_json::{Value, json};

/// Checks whose error findings make a part unorderable. Open or non-manifold
/// meshes are risks a person may accept (seed 001); a part that does not fit
/// the printer cannot be printed at all.
const BLOCKING_CHECKS: &[&str] = &["build_volume"];

/// A part whose largest side is under this (mm, in the unit applied) gets
/// the engine's `unit_suspect` warning with a `set_unit` hint. The engine's
/// own floor is 1 mm; a 2-unit cube read as 2 mm weighs 0.01 g, which no
/// one orders from a print farm, while the same file in inches is a 50.8 mm
/// part. The engine's size-plausibility curve
/// (`mesh_engine::units::size_plausibility`) is 1 from 8 mm and falls to
/// about 0.9 at 5 mm, where we draw the line: below it the part is
/// implausible enough that a person should confirm the unit.
pub const SMALLEST_PLAUSIBLE_MM: f64 = 5.0;

/// The stored outcome of analysing one file.
#[derive(Debug)]
pub struct Analysis {
    pub metrics: Value,
    pub report: Value,
}

/// The `content_sha256` of a file: SHA-256 hex of the exact bytes analysed.
/// Quotes and orders are bound to it, and a re-analysis (unit override)
/// must see the same value.
pub fn content_sha256(bytes: &[u8]) -> String {
    farm_signing::sha256_hex(bytes)
}

/// Parses and analyses `bytes` in `unit` (auto when `None`), with weight,
/// support and time estimates for every material in the catalog.
pub fn analyze(bytes: &[u8], unit: Option<Unit>) -> Result<Analysis, mesh_engine::Error> {
    // Hosted limits: the upload size and 3MF decompression fitted to 128 MiB.
    let mesh = mesh_engine::parse(bytes, &mesh_engine::Limits::hosted())?;
    Ok(analyze_mesh(&mesh, unit))
}

fn analyze_mesh(mesh: &Mesh, unit: Option<Unit>) -> Analysis {
    let choice = unit.map_or(UnitChoice::Auto, UnitChoice::Fixed);
    let defaults = AnalyzeOptions::default();
    let base = AnalyzeOptions {
        unit: choice,
        checks: CheckOptions {
            plausible_size_mm: [SMALLEST_PLAUSIBLE_MM, defaults.checks.plausible_size_mm[1]],
            ..defaults.checks
        },
        ..defaults
    };
    let report = mesh.analyze(&base);
    let mut estimates = serde_json::Map::new();
    for material in MATERIALS {
        let per = mesh.analyze(&AnalyzeOptions {
            material: Some(material),
            ..base
        });
        if let Some(e) = per.estimates {
            estimates.insert(
                material.id.to_owned(),
                json!({
                    "weight_g": round(e.weight_g, 2),
                    "support_g": round(e.support_g, 2),
                    "total_g": round(e.total_g, 2),
                    "print_hours": round(e.print_hours, 3),
                    "layers": e.layers,
                    "reliable": e.reliable,
                    "thin_walls": per.findings.iter().any(|f| f.check.id() == "thin_walls"),
                }),
            );
        }
    }
    Analysis {
        metrics: metrics_json(&report),
        report: report_json(&report, estimates),
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let p = 10f64.powi(digits);
    (x * p).round() / p
}

/// Seed 001's `metrics_json`, plus the unit actually applied and a few counts.
fn metrics_json(r: &Report) -> Value {
    let m = &r.metrics;
    let mut warnings: Vec<&str> = Vec::new();
    if !m.is_watertight {
        warnings.push("non_watertight");
    }
    if !m.is_manifold {
        warnings.push("non_manifold");
    }
    if r.findings
        .iter()
        .any(|f| f.check.id() == "build_volume" && f.severity == Severity::Error)
    {
        warnings.push("too_large");
    }
    for f in &r.findings {
        let id = f.check.id();
        let covered = matches!(
            id,
            "open_edges"
                | "non_manifold_edges"
                | "non_manifold_vertices"
                | "inconsistent_winding"
                | "build_volume"
        );
        if !covered && !warnings.contains(&id) {
            warnings.push(id);
        }
    }
    json!({
        "bbox_mm": m.bbox_mm.map(|v| round(v, 3)),
        "volume_cm3": round(m.volume_cm3, 4),
        "surface_area_cm2": round(m.surface_area_cm2, 4),
        "is_watertight": m.is_watertight,
        "is_manifold": m.is_manifold,
        "detected_unit": m.detected_unit.code(),
        "unit_confidence": round(m.unit_confidence, 2),
        // What the unit rests on: declared, round sides (×25.4, ×10...) or size.
        "unit_evidence": {"code": m.unit_evidence.code(), "message": m.unit_evidence.to_string()},
        "unit": m.unit.code(),
        "unit_source": match m.unit_source {
            mesh_engine::UnitSource::File => "file",
            mesh_engine::UnitSource::Detected => "detected",
            mesh_engine::UnitSource::Override => "override",
        },
        "triangle_count": m.triangle_count,
        "body_count": m.body_count,
        "warnings": warnings,
    })
}

fn finding_json(f: &Finding) -> Value {
    json!({
        "check": f.check.id(),
        "severity": f.severity.id(),
        "blocking": is_blocking(f.check.id(), f.severity == Severity::Error),
        "measured": round(f.measured, 3),
        "limit": round(f.limit, 3),
        "unit": f.unit,
        "faces": f.faces,
        "point_mm": f.point_mm.map(|p| p.map(|v| round(v, 3))),
        "fix_hint": fix_hint_json(&f.fix_hint),
        "message": f.message,
    })
}

fn fix_hint_json(h: &mesh_engine::FixHint) -> Value {
    use mesh_engine::FixHint as H;
    match h {
        H::ScaleBy { factor } => json!({"code": h.code(), "factor": round(*factor, 4)}),
        H::SetUnit { unit } => json!({"code": h.code(), "unit": unit.code()}),
        H::ThickenWalls { min_mm } => json!({"code": h.code(), "min_mm": min_mm}),
        _ => json!({"code": h.code()}),
    }
}

fn is_blocking(check: &str, is_error: bool) -> bool {
    is_error && BLOCKING_CHECKS.contains(&check)
}

fn report_json(r: &Report, estimates: serde_json::Map<String, Value>) -> Value {
    let printer = AnalyzeOptions::default().printer;
    let blocking = r
        .findings
        .iter()
        .any(|f| is_blocking(f.check.id(), f.severity == Severity::Error));
    json!({
        "format": r.format.code(),
        "printable": !blocking,
        "printer": {"id": printer.id, "build_volume_mm": printer.build_volume_mm},
        "findings": r.findings.iter().map(finding_json).collect::<Vec<_>>(),
        "skipped_checks": r.skipped_checks.iter().map(|s| json!({"check": s.check.id(), "reason": s.reason})).collect::<Vec<_>>(),
        "parse_warnings": r.parse_warnings.iter().map(|w| w.code()).collect::<Vec<_>>(),
        // The same warnings with what they name (an empty 3MF object, a support).
        "parse_notes": r.parse_warnings.iter().map(|w| json!({"code": w.code(), "message": w.to_string()})).collect::<Vec<_>>(),
        "estimates": estimates,
    })
}

/// The `metrics_json` of a failed file: the error that failed it, no warnings.
pub fn failure_metrics(code: &str, message: &str) -> Value {
    json!({ "errors": [{ "code": code, "message": message }], "warnings": [] })
}

/// The blocking findings of a stored report (for 422 answers).
pub(crate) fn blocking_findings(report: &Value) -> Vec<Value> {
    report["findings"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .filter(|f| f["blocking"] == true)
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// Quoting facts for `material_id` from a stored report and metrics.
pub(crate) fn facts(
    metrics: &Value,
    report: &Value,
    material_id: &str,
    unit_confirmed: bool,
) -> Option<PartFacts> {
    let e = &report["estimates"][material_id];
    let reliable = e["reliable"].as_bool().unwrap_or(false);
    let mut findings: Vec<(String, bool)> = report["findings"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .filter(|f| f["check"] != "thin_walls")
                .filter_map(|f| Some((f["check"].as_str()?.to_owned(), f["blocking"] == true)))
                .collect()
        })
        .unwrap_or_default();
    // Thin walls depend on the material's minimum wall.
    if e["thin_walls"] == true {
        findings.push(("thin_walls".to_owned(), false));
    }
    Some(PartFacts {
        model_grams: e["weight_g"].as_f64()?,
        support_grams: e["support_g"].as_f64()?,
        // A closed mesh's volume is exact; the shell/infill model is good to
        // about ±10 %. An open mesh's volume is a guess.
        weight_uncertainty: if reliable { 0.1 } else { 0.3 },
        print_hours: e["print_hours"].as_f64()?,
        is_watertight: metrics["is_watertight"].as_bool()?,
        is_manifold: metrics["is_manifold"].as_bool()?,
        unit_confidence: metrics["unit_confidence"].as_f64()?,
        unit_confirmed,
        findings,
    })
}
