//! Part programs for every modelled family, with requirements whose values
//! are written by hand from the parameters (not computed by the kernel).

use farm_partspec::PartSpec;

#[allow(dead_code)] // not every test binary uses both lists
pub fn specs() -> Vec<(&'static str, PartSpec)> {
    let raw: &[(&str, &str)] = &[
        (
            "plate_two_m3",
            r#"{"version":1,"part":{"family":"plate","length_mm":50,"width_mm":30,"thickness_mm":5,
            "holes":[{"hole":{"diameter_mm":3.4},"layout":{"layout":"linear","count":2,"pitch_mm":40}}]},
            "requirements":[{"kind":"hole_count","count":2},{"kind":"hole_diameter","diameter_mm":3.4},
            {"kind":"hole_spacing","spacing_mm":40},{"kind":"extent","axis":"x","value_mm":50},{"kind":"extent","axis":"z","value_mm":5}]}"#,
        ),
        (
            "plate_filleted_grid",
            r#"{"version":1,"part":{"family":"plate","length_mm":100,"width_mm":60,"thickness_mm":4,
            "corners":{"kind":"fillet","radius_mm":5},
            "holes":[{"hole":{"diameter_mm":4.5},"layout":{"layout":"grid","rows":2,"columns":2,"pitch_u_mm":80,"pitch_v_mm":40}}]},
            "requirements":[{"kind":"hole_count","count":4},{"kind":"hole_spacing","spacing_mm":80}]}"#,
        ),
        (
            "plate_countersunk",
            r#"{"version":1,"part":{"family":"plate","length_mm":60,"width_mm":20,"thickness_mm":5,
            "holes":[{"hole":{"diameter_mm":3.4,"countersink":{"diameter_mm":6.5,"angle_deg":90}},"layout":{"layout":"linear","count":2,"pitch_mm":45}}]},
            "requirements":[{"kind":"hole_count","count":2},{"kind":"hole_diameter","diameter_mm":3.4},
            {"kind":"countersunk_count","count":2},{"kind":"hole_spacing","spacing_mm":45}]}"#,
        ),
        (
            "rod_chamfered",
            r#"{"version":1,"part":{"family":"cylinder","diameter_mm":16,"height_mm":30,"edges":{"kind":"chamfer","size_mm":1}}}"#,
        ),
        (
            "tube_filleted",
            r#"{"version":1,"part":{"family":"cylinder","diameter_mm":30,"height_mm":20,"bore_diameter_mm":12,"edges":{"kind":"fillet","radius_mm":2}}}"#,
        ),
        (
            "angle_bracket_one_gusset",
            r#"{"version":1,"part":{"family":"angle_bracket","bracket":{"length_mm":60,"height_mm":60,"width_mm":30,"thickness_mm":5,
            "base_holes":[{"hole":{"diameter_mm":5.5},"layout":{"layout":"linear","count":2,"pitch_mm":18,"center":[2.5,0],"angle_deg":90}}],
            "upright_holes":[{"hole":{"diameter_mm":5.5},"layout":{"layout":"linear","count":2,"pitch_mm":18,"center":[2.5,0],"angle_deg":90}}]},
            "gusset":{"count":1,"size_mm":27,"thickness_mm":5}},
            "requirements":[{"kind":"hole_count","count":4},{"kind":"hole_spacing","spacing_mm":18}]}"#,
        ),
        (
            "angle_bracket_two_gussets_fillet",
            r#"{"version":1,"part":{"family":"angle_bracket","bracket":{"length_mm":50,"height_mm":40,"width_mm":30,"thickness_mm":4,
            "inner_fillet_mm":3,"outer_corner":{"kind":"chamfer","size_mm":2},
            "base_holes":[{"hole":{"diameter_mm":4.5},"layout":{"layout":"single","center":[8,0]}}]},
            "gusset":{"count":2,"size_mm":20,"thickness_mm":4}},"requirements":[{"kind":"hole_count","count":1}]}"#,
        ),
        (
            "plate_chamfered",
            r#"{"version":1,"part":{"family":"plate","length_mm":40,"width_mm":40,"thickness_mm":3,
            "corners":{"kind":"chamfer","size_mm":4}},"requirements":[{"kind":"hole_count","count":0}]}"#,
        ),
        (
            "l_bracket",
            r#"{"version":1,"part":{"family":"l_bracket","length_mm":40,"height_mm":30,"width_mm":20,"thickness_mm":4,
            "inner_fillet_mm":3,"outer_corner":{"kind":"fillet","radius_mm":2},
            "base_holes":[{"hole":{"diameter_mm":3.4},"layout":{"layout":"single","center":[6,0]}}],
            "upright_holes":[{"hole":{"diameter_mm":3.4},"layout":{"layout":"single","center":[3,0]}}]},
            "requirements":[{"kind":"hole_count","count":2},{"kind":"hole_diameter","diameter_mm":3.4}]}"#,
        ),
        (
            "cylinder_rod",
            r#"{"version":1,"part":{"family":"cylinder","diameter_mm":20,"height_mm":40},
            "requirements":[{"kind":"extent","axis":"z","value_mm":40},{"kind":"extent","axis":"x","value_mm":20}]}"#,
        ),
        (
            "tube",
            r#"{"version":1,"part":{"family":"cylinder","diameter_mm":25,"height_mm":30,"bore_diameter_mm":15}}"#,
        ),
        (
            "spacer",
            r#"{"version":1,"part":{"family":"spacer","outer_diameter_mm":8,"bore_diameter_mm":3.4,"length_mm":10}}"#,
        ),
        (
            "standoff",
            r#"{"version":1,"part":{"family":"standoff","across_flats_mm":5.5,"bore_diameter_mm":2.5,"length_mm":12,"thread":"M3"}}"#,
        ),
        (
            "washer",
            r#"{"version":1,"part":{"family":"washer","outer_diameter_mm":12,"inner_diameter_mm":6.4,"thickness_mm":1.6}}"#,
        ),
        (
            "flange_hub",
            r#"{"version":1,"part":{"family":"flange","outer_diameter_mm":80,"thickness_mm":8,"bore_diameter_mm":20,
            "hub":{"diameter_mm":36,"height_mm":12},
            "bolt_holes":[{"hole":{"diameter_mm":6.6},"layout":{"layout":"circle","count":4,"pitch_circle_diameter_mm":60}}]},
            "requirements":[{"kind":"hole_count","count":4},{"kind":"hole_diameter","diameter_mm":6.6}]}"#,
        ),
        (
            "flange_flat",
            r#"{"version":1,"part":{"family":"flange","outer_diameter_mm":60,"thickness_mm":6,"bore_diameter_mm":12,
            "bolt_holes":[{"hole":{"diameter_mm":5.5},"layout":{"layout":"circle","count":6,"pitch_circle_diameter_mm":45}}]},
            "requirements":[{"kind":"hole_count","count":6}]}"#,
        ),
        (
            "box_with_lid",
            r#"{"version":1,"part":{"family":"box","length_mm":60,"width_mm":40,"height_mm":30,"wall_mm":2,"floor_mm":2,
            "corner_radius_mm":4,"lid":{"thickness_mm":2,"lip_height_mm":4,"clearance_mm":0.3}}}"#,
        ),
        (
            "box_open",
            r#"{"version":1,"part":{"family":"box","length_mm":50,"width_mm":50,"height_mm":20,"wall_mm":1.6,"floor_mm":1.6}}"#,
        ),
        (
            "spur_gear_20",
            r#"{"version":1,"part":{"family":"spur_gear","module_mm":2,"teeth":20,"face_width_mm":8,"bore_diameter_mm":5,"pressure_angle_deg":20},
            "requirements":[{"kind":"tooth_count","count":20}]}"#,
        ),
        (
            "spur_gear_12",
            r#"{"version":1,"part":{"family":"spur_gear","module_mm":1.5,"teeth":12,"face_width_mm":6,"bore_diameter_mm":4,"pressure_angle_deg":20},
            "requirements":[{"kind":"tooth_count","count":12}]}"#,
        ),
        (
            "knob",
            r#"{"version":1,"part":{"family":"knob","diameter_mm":30,"height_mm":15,"flutes":8,"flute_radius_mm":3,"shaft_diameter_mm":6,"shaft_depth_mm":10}}"#,
        ),
        (
            "hook",
            r#"{"version":1,"part":{"family":"hook","back_height_mm":50,"reach_mm":30,"tip_height_mm":15,"width_mm":15,"thickness_mm":4,
            "holes":[{"hole":{"diameter_mm":4.5},"layout":{"layout":"linear","count":2,"pitch_mm":25,"angle_deg":0}}]},
            "requirements":[{"kind":"hole_count","count":2},{"kind":"hole_spacing","spacing_mm":25}]}"#,
        ),
        (
            "cable_clip",
            r#"{"version":1,"part":{"family":"cable_clip","cable_diameter_mm":8,"thickness_mm":2,"width_mm":10,"opening_mm":5,"base_length_mm":36,
            "screw_hole":{"diameter_mm":3.4}},"requirements":[{"kind":"hole_count","count":2}]}"#,
        ),
    ];
    raw.iter()
        .map(|(name, json)| {
            let spec: PartSpec =
                serde_json::from_str(json).unwrap_or_else(|e| panic!("{name}: {e}"));
            (*name, spec)
        })
        .collect()
}

/// The expected programs of the designer's prompt suite (prompts and
/// follow-up edits), by case id.
#[allow(dead_code)]
pub fn suite_specs() -> Vec<(String, PartSpec)> {
    let suite: serde_json::Value =
        serde_json::from_str(include_str!("../../../designer/suite/prompts.json"))
            .unwrap_or_default();
    ["prompts", "follow_ups"]
        .iter()
        .flat_map(|k| suite[*k].as_array().cloned().unwrap_or_default())
        .map(|case| {
            let id = case["id"].as_str().unwrap_or("?").to_string();
            let spec: PartSpec = serde_json::from_value(serde_json::json!({
                "version": farm_partspec::SPEC_VERSION,
                "part": case["part"],
                "requirements": case["requirements"],
            }))
            .unwrap_or_else(|e| panic!("{id}: {e}"));
            (id, spec)
        })
        .collect()
}
