//! A failed gate names its reason: each check fails on a model or program
//! made to break exactly that check.

#![allow(clippy::unwrap_used)]

use farm_cad::Model;
use farm_cad::gate::{check, check_spec};
use farm_partspec::PartSpec;

fn spec(json: &str) -> PartSpec {
    serde_json::from_str(json).unwrap()
}

fn codes(spec: &PartSpec, model: &Model) -> Vec<String> {
    check(spec, model)
        .failures
        .into_iter()
        .map(|f| f.code)
        .collect()
}

const PLATE: &str = r#"{"version":1,"part":{"family":"plate","length_mm":50,"width_mm":30,"thickness_mm":5,
    "holes":[{"hole":{"diameter_mm":3.4},"layout":{"layout":"linear","count":2,"pitch_mm":40}}]},"requirements":[]}"#;

#[test]
fn requirements_are_measured_on_the_solid() {
    let good = spec(PLATE);
    let model = Model::build(&good.part).unwrap();
    assert!(codes(&good, &model).is_empty());
    // The same solid against requirements it does not meet.
    let mut asked = good.clone();
    asked.requirements = serde_json::from_str(
        r#"[{"kind":"hole_count","count":3},{"kind":"hole_diameter","diameter_mm":4.5},
            {"kind":"hole_spacing","spacing_mm":35},{"kind":"extent","axis":"y","value_mm":40},
            {"kind":"countersunk_count","count":2}]"#,
    )
    .unwrap();
    let got = codes(&asked, &model);
    for code in [
        "requirement_hole_count",
        "requirement_hole_diameter",
        "requirement_hole_spacing",
        "requirement_extent",
        "requirement_countersunk_count",
    ] {
        assert!(got.iter().any(|c| c == code), "{code} missing from {got:?}");
    }
}

#[test]
fn a_solid_that_is_not_the_program_fails_on_volume_and_box() {
    let program = spec(PLATE);
    // A thicker plate than the program says: volume and box disagree.
    let other = spec(&PLATE.replace(r#""thickness_mm":5"#, r#""thickness_mm":6"#));
    let model = Model::build(&other.part).unwrap();
    let got = codes(&program, &model);
    assert!(got.contains(&"volume_mismatch".to_string()), "{got:?}");
    assert!(got.contains(&"bbox_mismatch".to_string()), "{got:?}");
    // 0.04 mm thicker stays inside both tolerances (0.8 % volume, 0.04 mm box).
    let close = spec(&PLATE.replace(r#""thickness_mm":5"#, r#""thickness_mm":5.04"#));
    let got = check(&program, &Model::build(&close.part).unwrap()).failures;
    assert!(got.is_empty(), "{got:?}");
}

#[test]
fn tooth_count_and_solid_count_are_checked() {
    let gear = spec(
        r#"{"version":1,"part":{"family":"spur_gear","module_mm":2,"teeth":18,"face_width_mm":6,"bore_diameter_mm":5,"pressure_angle_deg":20},
        "requirements":[{"kind":"tooth_count","count":18}]}"#,
    );
    let (_, report) = check_spec(&gear).unwrap();
    assert_eq!(report.teeth, Some(18));
    assert!(report.passed(), "{:?}", report.failures);
    let mut wrong = gear.clone();
    wrong.requirements = serde_json::from_str(r#"[{"kind":"tooth_count","count":19}]"#).unwrap();
    let (_, report) = check_spec(&wrong).unwrap();
    assert!(
        report
            .failures
            .iter()
            .any(|f| f.code == "requirement_tooth_count")
    );

    // A box with a lid is two solids; the box alone is not the program.
    let boxed = spec(
        r#"{"version":1,"part":{"family":"box","length_mm":40,"width_mm":30,"height_mm":20,"wall_mm":2,"floor_mm":2,
        "lid":{"thickness_mm":2,"lip_height_mm":3,"clearance_mm":0.3}}}"#,
    );
    let mut no_lid = boxed.clone();
    if let farm_partspec::Part::Box(b) = &mut no_lid.part {
        b.lid = None;
    }
    let model = Model::build(&no_lid.part).unwrap();
    assert!(codes(&boxed, &model).contains(&"not_one_solid".to_string()));
}

#[test]
fn a_part_over_the_build_volume_fails_with_the_mesh_engines_reason() {
    let big = spec(
        r#"{"version":1,"part":{"family":"plate","length_mm":300,"width_mm":30,"thickness_mm":3}}"#,
    );
    let (_, report) = check_spec(&big).unwrap();
    assert!(
        report
            .failures
            .iter()
            .any(|f| f.code == "mesh_build_volume"),
        "{:?}",
        report.failures
    );
}

#[test]
fn an_impossible_sketch_is_a_named_build_failure() {
    let bad = spec(
        r#"{"version":1,"part":{"family":"plate","length_mm":20,"width_mm":10,"thickness_mm":3,
        "corners":{"kind":"fillet","radius_mm":8}}}"#,
    );
    let err = check_spec(&bad).unwrap_err();
    assert_eq!(err.code, "build_failed");
    assert!(err.message.contains("fillet"), "{}", err.message);
}
