//! The public corpus agrees with trimesh's figures (`oracle.json`): volume and
//! area within 1e-6 relative, flags, counts and body count identical, unless
//! `corpus_exceptions.json` gives a written reason for that file and field.

use std::collections::BTreeMap;

use mesh_engine::{Limits, UnitChoice, parse};
use serde_json::Value;

mod common;

use common::corpus_dir;

fn exceptions() -> BTreeMap<String, BTreeMap<String, Value>> {
    let text = include_str!("corpus_exceptions.json");
    let v: Value = serde_json::from_str(text).expect("exceptions file is JSON");
    let mut out = BTreeMap::new();
    for (file, entry) in v["files"].as_object().expect("files object") {
        let fields = entry["fields"]
            .as_object()
            .expect("fields")
            .clone()
            .into_iter()
            .collect();
        assert!(
            entry["reason"].as_str().is_some_and(|r| r.len() > 20),
            "{file}: a reason is required"
        );
        out.insert(file.clone(), fields);
    }
    out
}

fn close(a: f64, b: f64) -> bool {
    let scale = a.abs().max(b.abs()).max(1e-300);
    (a - b).abs() <= 1e-6 * scale || (a - b).abs() <= 1e-12
}

#[test]
fn corpus_agrees_with_trimesh() {
    let dir = corpus_dir();
    let oracle_text =
        std::fs::read_to_string(dir.join("oracle.json")).expect("oracle.json is readable");
    let oracle: Value = serde_json::from_str(&oracle_text).expect("oracle is JSON");
    let exceptions = exceptions();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (file, expect) in oracle["files"].as_object().expect("files") {
        let bytes = std::fs::read(dir.join(file)).expect("corpus file");
        let excused = exceptions.get(file);
        let mut check = |field: &str, ours: Value, theirs: &Value| {
            let agree = match (ours.as_f64(), theirs.as_f64()) {
                (Some(a), Some(b)) if !ours.is_boolean() => close(a, b),
                _ => &ours == theirs,
            };
            match excused.and_then(|e| e.get(field)) {
                Some(expected_ours) => {
                    // An exception pins our own value, so it cannot drift silently.
                    let same = match (ours.as_f64(), expected_ours.as_f64()) {
                        (Some(a), Some(b)) => close(a, b),
                        _ => &ours == expected_ours,
                    };
                    if !same {
                        failures.push(format!(
                            "{file}: {field}: ours {ours}, exception pins {expected_ours}"
                        ));
                    }
                }
                None if !agree => {
                    failures.push(format!("{file}: {field}: ours {ours}, trimesh {theirs}"))
                }
                None => {}
            }
        };
        let trimesh_empty = expect
            .get("empty")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let parsed = parse(&bytes, &Limits::default());
        let mesh = match parsed {
            Ok(mesh) => mesh,
            Err(e) => {
                check("error", Value::String(e.code().into()), &Value::Null);
                continue;
            }
        };
        checked += 1;
        if trimesh_empty {
            check(
                "triangles",
                mesh.triangles().len().into(),
                &expect["triangles"],
            );
            continue;
        }
        let m = mesh.metrics(UnitChoice::Fixed(mesh_engine::Unit::Millimeter));
        let raw = &m.raw;
        check("format", mesh.format().code().into(), &expect["format"]);
        check("triangles", m.triangle_count.into(), &expect["triangles"]);
        check("vertices", m.vertex_count.into(), &expect["vertices"]);
        check("volume", raw.signed_volume.into(), &expect["volume"]);
        check("area", raw.area.into(), &expect["area"]);
        for i in 0..3 {
            check(
                &format!("bbox_min[{i}]"),
                raw.bbox_min[i].into(),
                &expect["bbox_min"][i],
            );
            check(
                &format!("bbox_max[{i}]"),
                raw.bbox_max[i].into(),
                &expect["bbox_max"][i],
            );
        }
        check(
            "is_watertight",
            m.is_watertight.into(),
            &expect["is_watertight"],
        );
        check(
            "is_winding_consistent",
            m.is_winding_consistent.into(),
            &expect["is_winding_consistent"],
        );
        check("bodies", m.body_count.into(), &expect["bodies"]);
        check(
            "degenerate_faces",
            m.degenerate_faces.into(),
            &expect["degenerate_faces"],
        );
        check(
            "boundary_edges",
            m.boundary_edges.into(),
            &expect["boundary_edges"],
        );
        check(
            "nonmanifold_edges",
            m.non_manifold_edges.into(),
            &expect["nonmanifold_edges"],
        );
        check(
            "euler_number",
            m.euler_number.into(),
            &expect["euler_number"],
        );
        if let Some(unit) = expect["units"].as_str() {
            check(
                "units",
                mesh.file_unit().map(|u| u.code()).into(),
                &Value::String(
                    mesh_engine::Unit::parse(unit)
                        .map(|u| u.code())
                        .unwrap_or(unit)
                        .into(),
                ),
            );
        }
    }
    assert!(checked > 30, "only {checked} corpus files parsed");
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
