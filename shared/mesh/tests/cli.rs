//! The `mesh-report` tool: one JSON line per file, errors as JSON, exit codes.

mod common;

use std::process::Command;

use common::corpus_dir;

/// The `mesh-report` binary beside this test's own executable. Cargo bakes
/// `CARGO_BIN_EXE_mesh-report` in as an absolute path at compile time, and a
/// target directory shared by two checkouts (CI keeps one outside the clone)
/// can hand a fresh-looking test binary the other checkout's path.
fn mesh_report() -> std::path::PathBuf {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("mesh-report")))
        .filter(|p| p.exists());
    beside.unwrap_or_else(|| env!("CARGO_BIN_EXE_mesh-report").into())
}

fn run(args: &[&str]) -> (i32, Vec<serde_json::Value>) {
    let out = Command::new(mesh_report())
        .args(args)
        .output()
        .expect("runs");
    let lines = String::from_utf8(out.stdout)
        .expect("utf8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    (out.status.code().unwrap_or(-1), lines)
}

#[test]
fn reports_metrics_findings_and_estimates_per_file() {
    let cube = format!("{}/synthetic/cube10_ok.stl", corpus_dir().display());
    let inch = format!("{}/synthetic/cube1_inch.3mf", corpus_dir().display());
    let (code, lines) = run(&["--material", "PETG", &cube, &inch]);
    assert_eq!(code, 0);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["metrics"]["volume_cm3"], 1.0);
    assert_eq!(lines[0]["metrics"]["is_watertight"], true);
    assert_eq!(lines[0]["estimates"]["material"], "petg");
    // The 3MF declares inches: 1 in³ = 16.387064 cm³.
    let v = lines[1]["metrics"]["volume_cm3"].as_f64().expect("number");
    assert!((v - 16.387064).abs() < 1e-9, "{v}");
    assert_eq!(lines[1]["metrics"]["detected_unit"], "in");
    assert_eq!(lines[1]["metrics"]["unit_confidence"], 1.0);
}

#[test]
fn unit_mm_reads_coordinates_raw() {
    let metres = format!("{}/synthetic/cube_0.01_metres.stl", corpus_dir().display());
    let (_, auto) = run(&[&metres]);
    assert_eq!(auto[0]["metrics"]["unit"], "m");
    let (_, raw) = run(&["--unit", "mm", &metres]);
    assert_eq!(raw[0]["metrics"]["unit"], "mm");
    let checks: Vec<_> = raw[0]["findings"]
        .as_array()
        .expect("array")
        .iter()
        .map(|f| f["check"].clone())
        .collect();
    assert!(checks.contains(&"unit_suspect".into()), "{checks:?}");
}

#[test]
fn a_bad_file_prints_a_json_error_and_exits_non_zero() {
    let off = format!("{}/assimp/test/models/OFF/Cube.off", corpus_dir().display());
    let (code, lines) = run(&[&off]);
    assert_eq!(code, 1);
    assert_eq!(lines[0]["error"], "unknown_format");
    let (code, _) = run(&["--unit", "furlong", &off]);
    assert_eq!(code, 2);
}

#[test]
fn field_files_print_their_unit_evidence_and_dialect_warnings() {
    let dir = corpus_dir().join("field");
    let inch = dir.join("admesh_block_inch.stl");
    let loose = dir.join("stl_end_loop_two_words.stl");
    let (code, lines) = run(&[inch.to_str().expect("utf8"), loose.to_str().expect("utf8")]);
    assert_eq!(code, 0);
    let m = &lines[0]["metrics"];
    assert_eq!(m["unit"], "in");
    assert_eq!(m["unit_evidence"]["code"], "round_sides");
    assert!(m["unit_confidence"].as_f64().expect("number") > 0.9);
    // 100 mm sides: 1,000 cm³.
    assert!((m["volume_cm3"].as_f64().expect("number") - 1000.0).abs() < 1e-3);
    let warnings = lines[1]["parse_warnings"].as_array().expect("array");
    assert_eq!(warnings[0]["code"], "stl_ascii_nonstandard");
    assert!(
        warnings[0]["message"]
            .as_str()
            .expect("text")
            .contains("two_word_end_keyword")
    );
    assert_eq!(lines[1]["metrics"]["triangle_count"], 12);
}
