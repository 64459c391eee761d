//! The printer's rules name the parameter at fault.

use farm_partspec::*;

fn spec(part: Part) -> PartSpec {
    PartSpec::from(part)
}

fn plate(thickness_mm: f64, hole_d: f64, pitch_mm: f64) -> Part {
    Part::Plate(Plate {
        length_mm: 50.0,
        width_mm: 30.0,
        thickness_mm,
        corners: CornerProfile::Sharp,
        holes: vec![HolePattern {
            hole: HoleSpec {
                diameter_mm: hole_d,
                countersink: None,
                fastener: None,
            },
            layout: HoleLayout::Linear {
                count: 2,
                pitch_mm,
                center: [0.0, 0.0],
                angle_deg: 0.0,
            },
        }],
    })
}

fn violations(part: Part) -> Vec<(String, Rule)> {
    match spec(part).validate() {
        Ok(()) => vec![],
        Err(e) => e
            .violations
            .into_iter()
            .map(|v| (v.parameter, v.rule))
            .collect(),
    }
}

#[test]
fn a_sound_plate_passes() {
    assert_eq!(violations(plate(5.0, 3.4, 40.0)), vec![]);
}

#[test]
fn a_thin_plate_names_its_thickness() {
    assert_eq!(
        violations(plate(1.0, 3.4, 40.0)),
        vec![("part.thickness_mm".into(), Rule::MinWall)]
    );
}

#[test]
fn a_small_hole_names_its_diameter() {
    assert_eq!(
        violations(plate(5.0, 1.5, 40.0)),
        vec![("part.holes[0].hole.diameter_mm".into(), Rule::MinHole)]
    );
}

#[test]
fn a_hole_near_the_edge_names_its_layout() {
    // 46 mm apart: centres 2 mm from each end, radius 1.7: 0.3 mm of wall.
    assert_eq!(
        violations(plate(5.0, 3.4, 46.0)),
        vec![("part.holes[0].layout".into(), Rule::EdgeDistance)]
    );
    // 44 mm apart leaves 3 - 1.7 = 1.3 mm: enough.
    assert_eq!(violations(plate(5.0, 3.4, 44.0)), vec![]);
}

#[test]
fn holes_too_close_together_are_refused() {
    // 4 mm apart with 3.4 mm holes leaves 0.6 mm between them.
    assert_eq!(
        violations(plate(5.0, 3.4, 4.0)),
        vec![("part.holes[0].layout".into(), Rule::EdgeDistance)]
    );
}

#[test]
fn a_part_larger_than_the_build_volume_is_refused() {
    let long = Part::Cylinder(Cylinder {
        diameter_mm: 10.0,
        height_mm: 300.0,
        bore_diameter_mm: None,
        edges: CornerProfile::Sharp,
    });
    assert_eq!(violations(long), vec![("part".into(), Rule::BuildVolume)]);
}

#[test]
fn a_thin_tube_wall_names_the_bore() {
    let tube = Part::Cylinder(Cylinder {
        diameter_mm: 10.0,
        height_mm: 30.0,
        bore_diameter_mm: Some(8.0),
        edges: CornerProfile::Sharp,
    });
    assert_eq!(
        violations(tube),
        vec![("part.bore_diameter_mm".into(), Rule::MinWall)]
    );
}

#[test]
fn a_countersink_deeper_than_the_plate_is_refused() {
    let mut p = plate(2.0, 3.4, 30.0);
    if let Part::Plate(plate) = &mut p {
        plate.holes[0].hole.countersink = Some(Countersink {
            diameter_mm: 6.72,
            angle_deg: 90.0,
        });
    }
    assert_eq!(
        violations(p),
        vec![(
            "part.holes[0].hole.countersink.diameter_mm".into(),
            Rule::Geometry
        )]
    );
}

#[test]
fn a_base_hole_under_a_centred_gusset_is_refused() {
    let bracket = |v: f64| {
        Part::AngleBracket(AngleBracket {
            bracket: LBracket {
                length_mm: 50.0,
                height_mm: 50.0,
                width_mm: 30.0,
                thickness_mm: 4.0,
                inner_fillet_mm: 0.0,
                outer_corner: CornerProfile::Sharp,
                base_holes: vec![HolePattern {
                    hole: HoleSpec {
                        diameter_mm: 4.5,
                        countersink: None,
                        fastener: None,
                    },
                    layout: HoleLayout::Single { center: [-10.0, v] },
                }],
                upright_holes: vec![],
            },
            gusset: Gusset {
                count: 1,
                size_mm: 25.0,
                thickness_mm: 4.0,
            },
        })
    };
    assert_eq!(
        violations(bracket(0.0)),
        vec![(
            "part.bracket.base_holes[0].layout".into(),
            Rule::EdgeDistance
        )]
    );
    assert_eq!(violations(bracket(9.0)), vec![]);
}

#[test]
fn a_gear_with_too_few_teeth_or_a_bore_into_the_roots_is_refused() {
    let gear = Part::SpurGear(SpurGear {
        module_mm: 1.0,
        teeth: 4,
        face_width_mm: 5.0,
        bore_diameter_mm: 30.0,
        pressure_angle_deg: 20.0,
    });
    assert_eq!(
        violations(gear),
        vec![("part.teeth".into(), Rule::Geometry)]
    );
    let gear = Part::SpurGear(SpurGear {
        module_mm: 1.0,
        teeth: 20,
        face_width_mm: 5.0,
        bore_diameter_mm: 16.0,
        pressure_angle_deg: 20.0,
    });
    // Root radius 10 - 1.25 = 8.75; the bore's radius 8 leaves 0.75 mm.
    assert_eq!(
        violations(gear),
        vec![("part.bore_diameter_mm".into(), Rule::MinWall)]
    );
}

#[test]
fn json_round_trips_and_rejects_unknown_fields() {
    let original = spec(plate(5.0, 3.4, 40.0));
    let text = serde_json::to_string(&original).expect("serialise");
    assert!(text.contains("\"family\":\"plate\""), "{text}");
    let back: PartSpec = serde_json::from_str(&text).expect("parse");
    assert_eq!(back, original);
    let extra = text.replacen("\"length_mm\"", "\"colour\":\"red\",\"length_mm\"", 1);
    assert!(serde_json::from_str::<PartSpec>(&extra).is_err());
}
