//! Printability findings and estimates on solids with known answers.

mod common;

use common::*;
use mesh_engine::{
    AnalyzeOptions, Check, FixHint, Mesh, Report, Severity, Unit, UnitChoice, material, printer,
};

fn report(s: &Solid, opts: &AnalyzeOptions) -> Report {
    Mesh::from_indexed(&s.0, &s.1).expect("valid").analyze(opts)
}

fn pla() -> AnalyzeOptions {
    AnalyzeOptions {
        unit: UnitChoice::Fixed(Unit::Millimeter),
        material: material::profile("pla"),
        ..AnalyzeOptions::default()
    }
}

fn checks(r: &Report) -> Vec<&'static str> {
    r.findings.iter().map(|f| f.check.id()).collect()
}

#[test]
fn a_clean_cube_is_printable_and_its_weight_follows_the_layer_model() {
    let r = report(&cube(20.0), &pla());
    assert!(r.is_printable(), "{:?}", r.findings);
    assert!(r.findings.is_empty(), "{:?}", checks(&r));
    let e = r.estimates.expect("estimates with a material");
    // Bambu profile: 0.2 mm layers, 0.42 mm lines, 2 walls, 5 top and 3
    // bottom layers; PLA: 15 % infill, 1.24 g/cm³. Every one of the 100
    // sections is a 20 mm square: 400 mm², 80 mm of outline.
    let h = 0.2;
    let s = 0.42 - h * (1.0 - std::f64::consts::FRAC_PI_4);
    // Walls: 2 lines along the outline, less the corners (WALL_CORNER t²).
    let t = 2.0 * s;
    let ring = 80.0 * t - mesh_engine::WALL_CORNER * t * t;
    let inner = 400.0 - ring;
    // 8 solid layers (flat skins, SKIN_FLOW), 92 sparse ones (infill plus
    // the anchors along the outline).
    let shell = (100.0 * ring + 8.0 * mesh_engine::SKIN_FLOW * inner) * h;
    let infill = 92.0 * (inner * 0.15 + mesh_engine::INFILL_ANCHOR * 80.0 * s) * h;
    let expected_g = (shell + infill) / 1000.0 * 1.24;
    assert!(
        (e.weight_g - expected_g).abs() < 1e-9,
        "{} vs {expected_g}",
        e.weight_g
    );
    assert_eq!(e.support_g, 0.0);
    assert_eq!(e.layers, 100);
    assert!(e.reliable);
    // PrusaSlicer puts this cube at 500 s (field/20mmbox-nonstandard.stl in
    // benches/quote_accuracy.sh, the farm's profile), plus 360 s of setup:
    // 0.239 h; within the benchmark's 15 %.
    assert!(
        (e.print_hours - 0.239).abs() < 0.15 * 0.239,
        "{}",
        e.print_hours
    );
}

#[test]
fn a_part_larger_than_the_printer_is_an_error_with_a_scale_factor() {
    let r = report(&cube(300.0), &pla());
    let f = r
        .findings
        .iter()
        .find(|f| f.check == Check::BuildVolume)
        .expect("build volume finding");
    assert_eq!(f.severity, Severity::Error);
    assert_eq!((f.measured, f.limit), (300.0, 256.0));
    match f.fix_hint {
        FixHint::ScaleBy { factor } => assert!((factor - 256.0 / 300.0).abs() < 1e-12),
        other => panic!("expected ScaleBy, got {other:?}"),
    }
    assert!(!r.is_printable());
    // The large-format profile takes it.
    let big = AnalyzeOptions {
        printer: printer::LARGE_440,
        ..pla()
    };
    assert!(report(&cube(300.0), &big).is_printable());
}

#[test]
fn a_part_that_fits_when_rotated_gets_a_reorient_hint() {
    let opts = AnalyzeOptions {
        printer: printer::PrinterProfile {
            build_volume_mm: [300.0, 200.0, 100.0],
            ..printer::BAMBU_256
        },
        ..pla()
    };
    let r = report(&cuboid([0.0; 3], [100.0, 200.0, 300.0]), &opts);
    let f = r
        .findings
        .iter()
        .find(|f| f.check == Check::BuildVolume)
        .expect("finding");
    assert_eq!(f.fix_hint, FixHint::Reorient);
}

#[test]
fn holes_are_errors_with_faces_and_a_point_and_skip_the_wall_check() {
    let (v, mut t) = cube(10.0);
    t.remove(0);
    let r = report(&(v, t), &pla());
    let f = r
        .findings
        .iter()
        .find(|f| f.check == Check::OpenEdges)
        .expect("open edges");
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.measured, 3.0);
    assert!(!f.faces.is_empty() && f.point_mm.is_some());
    assert_eq!(f.fix_hint.code(), "close_holes");
    assert!(r.skipped_checks.iter().any(|s| s.check == Check::ThinWalls));
    assert!(!r.estimates.expect("estimates").reliable);
}

#[test]
fn a_thin_plate_has_thin_walls_measured_by_ray_casts() {
    let r = report(&cuboid([0.0; 3], [20.0, 20.0, 0.4]), &pla());
    let f = r
        .findings
        .iter()
        .find(|f| f.check == Check::ThinWalls)
        .expect("thin walls");
    assert!((f.measured - 0.4).abs() < 1e-3, "measured {}", f.measured);
    assert_eq!(f.limit, 0.8);
    assert_eq!(f.fix_hint, FixHint::ThickenWalls { min_mm: 0.8 });
    // TPU's minimum is stricter: a 1 mm plate is thin in TPU, fine in PLA.
    let plate = cuboid([0.0; 3], [20.0, 20.0, 1.0]);
    assert!(!checks(&report(&plate, &pla())).contains(&"thin_walls"));
    let tpu = AnalyzeOptions {
        material: material::profile("tpu"),
        ..pla()
    };
    assert!(checks(&report(&plate, &tpu)).contains(&"thin_walls"));
}

#[test]
fn a_floating_block_needs_support_under_its_bottom_face() {
    let r = report(
        &merge(cube(10.0), cuboid([20.0, 0.0, 5.0], [10.0; 3])),
        &pla(),
    );
    let f = r
        .findings
        .iter()
        .find(|f| f.check == Check::Overhang)
        .expect("overhang");
    // Only the raised block's 100 mm² bottom overhangs; the cube sits on the bed.
    assert!((f.measured - 1.0).abs() < 1e-12, "{} cm²", f.measured);
    assert!(checks(&r).contains(&"multiple_bodies"));
    let e = r.estimates.expect("estimates");
    // 25 layers under the 100 mm² face at 5 mm: the top 2 are solid
    // interface (grown by SUPPORT_INTERFACE_GROWTH), the 23 below sparse,
    // and all 25 have a sheath along the face's 40 mm outline.
    let layers = 5.0 / 0.2;
    let interface = f64::from(mesh_engine::SUPPORT_INTERFACE_LAYERS);
    let spacing = 0.42 - 0.2 * (1.0 - std::f64::consts::FRAC_PI_4);
    let support_mm3 = 0.2
        * (100.0
            * ((layers - interface) * mesh_engine::SUPPORT_BASE_FILL
                + interface * mesh_engine::SUPPORT_INTERFACE_GROWTH)
            + layers * 40.0 * spacing * mesh_engine::SUPPORT_SHEATH);
    assert!(
        (e.support_cm3 - support_mm3 / 1000.0).abs() < 1e-12,
        "{} vs {}",
        e.support_cm3,
        support_mm3 / 1000.0
    );
}

#[test]
fn inside_out_is_a_warning_with_a_flip_hint() {
    let r = report(&flip(cube(10.0)), &pla());
    let f = r
        .findings
        .iter()
        .find(|f| f.check == Check::InsideOut)
        .expect("inside out");
    assert_eq!(
        (f.severity, f.fix_hint),
        (Severity::Warning, FixHint::FlipNormals)
    );
    assert_eq!(r.metrics.volume_cm3, 1.0);
    // Overhang uses the corrected orientation: the bottom face is on the bed.
    assert!(!checks(&r).contains(&"overhang"));
}

#[test]
fn a_part_in_metres_is_detected_and_a_forced_mm_reading_is_suspect() {
    let s = transform(&cube(10.0), |p| p.map(|x| x / 1000.0));
    let auto = report(&s, &AnalyzeOptions::default());
    assert_eq!(auto.metrics.unit, Unit::Meter);
    assert!((auto.metrics.volume_cm3 - 1.0).abs() < 1e-9);
    let forced = report(&s, &pla());
    let f = forced
        .findings
        .iter()
        .find(|f| f.check == Check::UnitSuspect)
        .expect("unit suspect");
    assert_eq!(f.fix_hint, FixHint::SetUnit { unit: Unit::Meter });
    assert!(forced.is_printable(), "a unit doubt is a warning");
}

#[test]
fn errors_come_before_warnings() {
    let (v, mut t) = merge(cube(10.0), cube(300.0));
    t.remove(0);
    let r = report(&(v, t), &pla());
    let first_warning = r
        .findings
        .iter()
        .position(|f| f.severity == Severity::Warning)
        .unwrap_or(r.findings.len());
    assert!(
        r.findings[first_warning..]
            .iter()
            .all(|f| f.severity == Severity::Warning)
    );
    assert!(first_warning >= 2);
}
