//! Behaviour of the designer outside the suite: units, defaults listed as
//! assumptions, refusals that say what was understood and what is missing,
//! invalid parts naming the parameter.

use farm_designer::{DesignError, design, revise};
use farm_partspec::Part;

#[test]
fn inch_marks_and_centimetres_become_millimetres() {
    let rod = design("rod 0.5″ diameter, 4″ long").expect("designs").spec;
    let Part::Cylinder(c) = rod.part else {
        panic!("a cylinder: {rod:?}")
    };
    assert!((c.diameter_mm - 12.7).abs() < 1e-9 && (c.height_mm - 101.6).abs() < 1e-9);
    let plate = design("plate 10 x 5 x 0.4 cm").expect("designs").spec;
    let Part::Plate(p) = plate.part else {
        panic!("a plate")
    };
    assert_eq!(
        (p.length_mm, p.width_mm, p.thickness_mm),
        (100.0, 50.0, 4.0)
    );
}

#[test]
fn every_default_is_listed_as_an_assumption() {
    let gear = design("a spur gear").expect("designs").spec;
    let parameters: Vec<&str> = gear
        .assumptions
        .iter()
        .map(|a| a.parameter.as_str())
        .collect();
    for p in [
        "part.teeth",
        "part.module_mm",
        "part.face_width_mm",
        "part.bore_diameter_mm",
        "part.pressure_angle_deg",
    ] {
        assert!(parameters.contains(&p), "{p} missing from {parameters:?}");
    }
    // Nothing stated, nothing required.
    assert!(gear.requirements.is_empty(), "{:?}", gear.requirements);
}

#[test]
fn a_prompt_without_a_family_is_refused_with_what_was_understood() {
    let err = design("a sphere 30 mm in diameter in PETG").expect_err("refused");
    assert_eq!(err.code(), "unsupported_prompt");
    let DesignError::UnsupportedPrompt {
        understood,
        missing,
    } = err
    else {
        panic!()
    };
    assert!(
        understood
            .iter()
            .any(|u| u.contains("30") && u.contains("diameter")),
        "{understood:?}"
    );
    assert!(
        understood.iter().any(|u| u.contains("PETG")),
        "{understood:?}"
    );
    assert!(missing.iter().any(|m| m.contains("sphere")), "{missing:?}");
    assert!(
        missing.iter().any(|m| m.contains("part family")),
        "{missing:?}"
    );
}

#[test]
fn a_number_that_measures_nothing_is_refused_not_guessed() {
    let err = design("a plate 60 x 40 x 3 mm with 7 bananas").expect_err("refused");
    let DesignError::UnsupportedPrompt { missing, .. } = err else {
        panic!()
    };
    assert_eq!(missing, vec!["what the number 7 measures".to_string()]);
}

#[test]
fn a_part_too_thin_to_print_names_the_parameter() {
    let err = design("plate 50 x 30 x 1 mm").expect_err("invalid");
    assert_eq!(err.code(), "invalid_part");
    let DesignError::Invalid(invalid) = err else {
        panic!()
    };
    assert_eq!(invalid.violations[0].parameter, "part.thickness_mm");
}

#[test]
fn an_edit_it_cannot_map_is_refused_and_the_old_program_stands() {
    let first = design("plate 50 x 30 x 5 mm").expect("designs").spec;
    let err = revise(&first, "make it blue").expect_err("refused");
    assert_eq!(err.code(), "unsupported_prompt");
}

#[test]
fn mirroring_a_plate_flips_its_holes_along_the_length_and_back() {
    let first = design("plate 80 x 40 x 5 mm with an M5 hole 10 mm from one end")
        .expect("designs")
        .spec;
    let Part::Plate(p) = &first.part else {
        panic!()
    };
    assert_eq!(
        p.holes[0].layout,
        farm_partspec::HoleLayout::Single {
            center: [-30.0, 0.0]
        }
    );
    let mirrored = revise(&first, "mirror it").expect("mirrors").spec;
    let twice = revise(&mirrored, "mirror it").expect("mirrors").spec;
    assert_ne!(mirrored.part, first.part);
    assert_eq!(twice.part, first.part);
}

#[test]
fn a_value_the_family_has_no_use_for_is_refused_not_dropped() {
    let err = design("flange 60 mm diameter, 5 mm thick, 12 teeth module 2").expect_err("refused");
    let DesignError::UnsupportedPrompt { missing, .. } = err else {
        panic!()
    };
    assert_eq!(
        missing,
        vec![
            "what \"2 module\" means for a flange".to_string(),
            "what \"12 teeth\" means for a flange".to_string()
        ]
    );
}

#[test]
fn a_knob_with_a_flute_on_an_axis_only_requires_the_diameter_where_a_land_is() {
    // Six flutes centred at 30° + k·60°: one sits on +y, so the y extent is short.
    let spec = design("a knob with 6 flutes, 30 mm diameter")
        .expect("designs")
        .spec;
    assert!(
        spec.unmet_requirements().is_empty(),
        "{:?}",
        spec.unmet_requirements()
    );
    let size = spec.part.bounding_box().size();
    assert_eq!(size[0], 30.0);
    assert!(size[1] < 30.0);
}

#[test]
fn an_edit_with_a_value_the_part_cannot_take_is_refused() {
    let first = design("plate 50 x 30 x 5 mm").expect("designs").spec;
    let err = revise(&first, "make it 8 mm thick with a 2 mm module").expect_err("refused");
    let DesignError::UnsupportedPrompt { missing, .. } = err else {
        panic!()
    };
    assert_eq!(
        missing,
        vec!["what \"2 mm module\" means for this part".to_string()]
    );
}

#[test]
fn a_lid_taller_than_its_box_sets_the_height_requirement() {
    // Lid: 3 mm plate + 8 mm lip = 11 mm, above the 10 mm box.
    let spec = design("box 60 x 40 x 10 mm with a lid with an 8 mm lip, 3 mm walls and 2 mm floor")
        .expect("designs")
        .spec;
    assert_eq!(spec.part.bounding_box().size()[2], 11.0);
    assert!(
        spec.unmet_requirements().is_empty(),
        "{:?}",
        spec.unmet_requirements()
    );
}
