//! Analytic volumes and boxes against values derived by hand from each
//! family's definition, and against a grid integration of the profile's
//! point-membership test written straight from the docstrings.

use farm_partspec::*;
use std::f64::consts::PI;

fn holes(d: f64, layout: HoleLayout) -> HolePattern {
    HolePattern {
        hole: HoleSpec {
            diameter_mm: d,
            countersink: None,
            fastener: None,
        },
        layout,
    }
}

fn close(actual: f64, expected: f64, rel: f64) {
    assert!(
        ((actual - expected) / expected).abs() < rel,
        "{actual} vs {expected}"
    );
}

/// Area of `{(x, z) : inside}` over a box, by midpoint sampling on a fine grid.
fn grid_area(inside: impl Fn(f64, f64) -> bool, x: [f64; 2], z: [f64; 2], n: usize) -> f64 {
    let (dx, dz) = ((x[1] - x[0]) / n as f64, (z[1] - z[0]) / n as f64);
    let mut count = 0usize;
    for i in 0..n {
        for j in 0..n {
            if inside(x[0] + (i as f64 + 0.5) * dx, z[0] + (j as f64 + 0.5) * dz) {
                count += 1;
            }
        }
    }
    count as f64 * dx * dz
}

#[test]
fn plate_with_two_m3_holes_loses_two_cylinders() {
    let part = Part::Plate(Plate {
        length_mm: 50.0,
        width_mm: 30.0,
        thickness_mm: 10.0,
        corners: CornerProfile::Sharp,
        holes: vec![holes(
            3.4,
            HoleLayout::Linear {
                count: 2,
                pitch_mm: 40.0,
                center: [0.0, 0.0],
                angle_deg: 0.0,
            },
        )],
    });
    close(
        part.volume_mm3(),
        50.0 * 30.0 * 10.0 - 2.0 * PI * 1.7 * 1.7 * 10.0,
        1e-12,
    );
    assert_eq!(part.bounding_box().size(), [50.0, 30.0, 10.0]);
    let placed = part.holes();
    assert_eq!(placed.len(), 2);
    assert_eq!(placed[0].entry, [5.0, 15.0, 10.0]);
    assert_eq!(placed[1].entry, [45.0, 15.0, 10.0]);
}

#[test]
fn countersunk_hole_removes_the_cone_above_the_bore() {
    let mut pattern = holes(3.4, HoleLayout::Single { center: [0.0, 0.0] });
    pattern.hole.countersink = Some(Countersink {
        diameter_mm: 6.72,
        angle_deg: 90.0,
    });
    let part = Part::Plate(Plate {
        length_mm: 20.0,
        width_mm: 20.0,
        thickness_mm: 5.0,
        corners: CornerProfile::Sharp,
        holes: vec![pattern],
    });
    // 90° cone: depth (6.72 - 3.4) / 2 = 1.66; frustum 6.72 → 3.4 over it, bore below.
    let h: f64 = 1.66;
    let frustum = PI * h / 3.0 * (3.36f64.powi(2) + 3.36 * 1.7 + 1.7f64.powi(2));
    let bore = PI * 1.7f64.powi(2) * (5.0 - h);
    close(part.volume_mm3(), 2000.0 - frustum - bore, 1e-12);
}

#[test]
fn rounded_plate_corners_lose_the_spandrels() {
    let part = Part::Plate(Plate {
        length_mm: 60.0,
        width_mm: 40.0,
        thickness_mm: 4.0,
        corners: CornerProfile::Fillet { radius_mm: 5.0 },
        holes: vec![],
    });
    // A stadium-like sum: inner cross of rectangles plus four quarter discs.
    let area = 60.0 * 30.0 + 50.0 * 5.0 * 2.0 + PI * 25.0;
    close(part.volume_mm3(), area * 4.0, 1e-12);
}

#[test]
fn l_bracket_profile_with_fillet_matches_a_grid_integration() {
    let b = LBracket {
        length_mm: 40.0,
        height_mm: 30.0,
        width_mm: 20.0,
        thickness_mm: 4.0,
        inner_fillet_mm: 3.0,
        outer_corner: CornerProfile::Chamfer { size_mm: 2.0 },
        base_holes: vec![],
        upright_holes: vec![],
    };
    let inside = |x: f64, z: f64| {
        let leg = (z < 4.0 && x < 40.0) || (x < 4.0 && z < 30.0);
        let fillet =
            (4.0..7.0).contains(&x) && (4.0..7.0).contains(&z) && (x - 7.0).hypot(z - 7.0) > 3.0;
        leg && x + z >= 2.0 || fillet
    };
    let area = grid_area(inside, [0.0, 40.0], [0.0, 30.0], 3000);
    close(Part::LBracket(b.clone()).volume_mm3(), area * 20.0, 2e-4);
    // Without features: two legs, 40·4 + 26·4.
    let plain = LBracket {
        inner_fillet_mm: 0.0,
        outer_corner: CornerProfile::Sharp,
        ..b
    };
    close(
        Part::LBracket(plain).volume_mm3(),
        (160.0 + 104.0) * 20.0,
        1e-12,
    );
}

#[test]
fn cable_clip_profile_matches_a_grid_integration() {
    let clip = CableClip {
        cable_diameter_mm: 8.0,
        thickness_mm: 2.0,
        width_mm: 10.0,
        opening_mm: 5.0,
        base_length_mm: 30.0,
        screw_hole: None,
    };
    let (ri, ro, cz) = (4.0, 6.0, 6.0);
    let inside = |x: f64, z: f64| {
        let strip = x.abs() <= 15.0 && z <= 2.0;
        let d = x.hypot(z - cz);
        // The opening: the sector within angle a of +z, sin a = 2.5 / ri
        // (the radial cuts meet the inner circle 5 mm apart).
        let in_opening = z > cz && x.abs() / d < 2.5 / ri;
        let ring = d >= ri && d <= ro && !in_opening;
        strip || ring
    };
    let area = grid_area(inside, [-15.0, 15.0], [0.0, 12.0], 3000);
    let part = Part::CableClip(clip);
    close(part.volume_mm3(), area * 10.0, 2e-4);
    let size = part.bounding_box().size();
    assert!((size[0] - 30.0).abs() < 1e-12);
    // The opening cuts the top: the highest material is the outer corner of
    // each end, at angle a from +z on the outer circle (cos a = sqrt(1 - (2.5/4)^2)).
    let cos_a = (1.0f64 - (2.5f64 / 4.0).powi(2)).sqrt();
    assert!((size[2] - (cz + ro * cos_a)).abs() < 1e-12);
}

#[test]
fn knob_flutes_match_a_grid_integration_and_keep_a_land_on_plus_x() {
    let knob = Knob {
        diameter_mm: 30.0,
        height_mm: 15.0,
        flutes: 12,
        flute_radius_mm: 2.0,
        shaft_diameter_mm: 6.0,
        shaft_depth_mm: 10.0,
    };
    let pitch = 2.0 * PI / 12.0;
    let inside = |x: f64, y: f64| {
        x.hypot(y) <= 15.0
            && (0..12).all(|i| {
                let a = pitch / 2.0 + pitch * f64::from(i);
                (x - 15.0 * a.cos()).hypot(y - 15.0 * a.sin()) >= 2.0
            })
    };
    let area = grid_area(inside, [-15.0, 15.0], [-15.0, 15.0], 3000);
    let part = Part::Knob(knob);
    close(part.volume_mm3(), area * 15.0 - PI * 9.0 * 10.0, 3e-4);
    let bb = part.bounding_box();
    assert!((bb.max[0] - 15.0).abs() < 1e-12);
    // With 12 flutes centred at 15° + k·30°, ±y (90°, 270°) fall on flute centres... 90 = 15 + 75: 75/30 is not whole, so +y is a land too.
    assert!((bb.max[1] - 15.0).abs() < 1e-12);
}

#[test]
fn round_parts_have_their_textbook_volumes() {
    let washer = Part::Washer(Washer {
        outer_diameter_mm: 20.0,
        inner_diameter_mm: 8.4,
        thickness_mm: 2.0,
    });
    close(
        washer.volume_mm3(),
        PI / 4.0 * (400.0 - 8.4 * 8.4) * 2.0,
        1e-12,
    );
    let standoff = Part::Standoff(Standoff {
        across_flats_mm: 6.0,
        bore_diameter_mm: 2.5,
        length_mm: 20.0,
        thread: None,
    });
    // A regular hexagon of across-flats s has area (√3/2) s².
    close(
        standoff.volume_mm3(),
        (3f64.sqrt() / 2.0 * 36.0 - PI * 1.25 * 1.25) * 20.0,
        1e-12,
    );
    let size = standoff.bounding_box().size();
    assert!((size[0] - 12.0 / 3f64.sqrt()).abs() < 1e-12 && (size[1] - 6.0).abs() < 1e-12);
    // A chamfered rod: each end loses a ring of πR²c less a frustum from R-c to R.
    let rod = Part::Cylinder(Cylinder {
        diameter_mm: 20.0,
        height_mm: 50.0,
        bore_diameter_mm: None,
        edges: CornerProfile::Chamfer { size_mm: 1.0 },
    });
    let ring = PI * 100.0 * 1.0 - PI / 3.0 * (100.0 + 10.0 * 9.0 + 81.0);
    close(rod.volume_mm3(), PI * 100.0 * 50.0 - 2.0 * ring, 1e-12);
    let flange = Part::Flange(Flange {
        outer_diameter_mm: 80.0,
        thickness_mm: 6.0,
        bore_diameter_mm: 20.0,
        hub: Some(Hub {
            diameter_mm: 35.0,
            height_mm: 10.0,
        }),
        bolt_holes: vec![holes(
            6.6,
            HoleLayout::Circle {
                count: 4,
                pitch_circle_diameter_mm: 60.0,
                center: [0.0, 0.0],
                start_angle_deg: 45.0,
            },
        )],
    });
    let expected =
        PI / 4.0 * ((6400.0 - 400.0) * 6.0 + (1225.0 - 400.0) * 10.0 - 4.0 * 6.6 * 6.6 * 6.0);
    close(flange.volume_mm3(), expected, 1e-12);
    assert_eq!(flange.bounding_box().size(), [80.0, 80.0, 16.0]);
}

#[test]
fn gear_box_reaches_the_tip_circle_where_a_tooth_points() {
    let gear = Part::SpurGear(SpurGear {
        module_mm: 2.0,
        teeth: 20,
        face_width_mm: 8.0,
        bore_diameter_mm: 5.0,
        pressure_angle_deg: 20.0,
    });
    let bb = gear.bounding_box();
    // 20 teeth, one on +x: teeth also on -x, +y, -y; tip radius m(z/2 + 1) = 22.
    for v in [bb.max[0], -bb.min[0], bb.max[1], -bb.min[1]] {
        assert!((v - 22.0).abs() < 1e-3, "{v}");
    }
    assert_eq!(bb.max[2], 8.0);
}

#[test]
fn box_with_lid_is_two_solids_laid_side_by_side() {
    let part = Part::Box(BoxPart {
        length_mm: 80.0,
        width_mm: 60.0,
        height_mm: 40.0,
        wall_mm: 2.0,
        floor_mm: 2.0,
        corner_radius_mm: 0.0,
        lid: Some(Lid {
            thickness_mm: 2.0,
            lip_height_mm: 4.0,
            clearance_mm: 0.2,
        }),
    });
    assert_eq!(part.solid_count(), 2);
    assert_eq!(part.bounding_box().size(), [170.0, 60.0, 40.0]);
    let body = 80.0 * 60.0 * 40.0 - 76.0 * 56.0 * 38.0;
    let lid = 80.0 * 60.0 * 2.0 + (75.6 * 55.6 - 71.6 * 51.6) * 4.0;
    close(part.volume_mm3(), body + lid, 1e-12);
}
