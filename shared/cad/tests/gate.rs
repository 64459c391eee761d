#![allow(clippy::unwrap_used)]
//! Every modelled family through the print-ready gate: one closed solid per
//! body, a watertight manifold mesh by the mesh engine, volume within 1 % of
//! the program's, bounding box within 0.05 mm, and the prompt's requirements
//! measured on the solid.

mod common;

use farm_cad::gate::check_spec;

#[test]
fn every_family_passes_the_gate() {
    let specs = common::specs();
    let mut failed = Vec::new();
    for (name, spec) in &specs {
        let started = std::time::Instant::now();
        let result = check_spec(spec);
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        match result {
            Err(f) => failed.push(format!("{name}: {} {}", f.code, f.message)),
            Ok((model, report)) => {
                let err =
                    (report.volume_mm3 - report.analytic_volume_mm3) / report.analytic_volume_mm3;
                println!(
                    "{name:22} {ms:7.1} ms solids {} triangles {:6} volume {:10.2} mm³ analytic {:10.2} ({:+.4} %) holes {} teeth {:?}",
                    model.solids.len(),
                    model.mesh.triangles.len(),
                    report.volume_mm3,
                    report.analytic_volume_mm3,
                    err * 100.0,
                    report.holes.len(),
                    report.teeth
                );
                for f in &report.failures {
                    failed.push(format!("{name}: {} {}", f.code, f.message));
                }
            }
        }
    }
    println!(
        "gate: {} of {} passed",
        specs.len() - failed.len(),
        specs.len()
    );
    assert!(failed.is_empty(), "{failed:#?}");
}
