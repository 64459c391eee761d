#![allow(clippy::unwrap_used)]
use farm_cad::ops;
use farm_cad::sketch::{Corner, Frame, Loop};
use farm_cad::tess::tessellate;
use std::f64::consts::PI;

#[test]
fn plate_with_holes_is_closed() {
    let outer = Loop::rect([0.0, 0.0], [50.0, 30.0], Corner::Fillet(3.0));
    let holes = [
        Loop::Circle {
            center: [5.0, 15.0],
            radius: 1.7,
        },
        Loop::Circle {
            center: [45.0, 15.0],
            radius: 1.7,
        },
    ];
    let shell = ops::prism(&Frame::xy(0.0), &outer, &holes, 10.0).unwrap();
    let solid = ops::solid(shell).unwrap();
    let m = tessellate(&solid).unwrap();
    let expected = (50.0 * 30.0 - (4.0 - PI) * 9.0 - 2.0 * PI * 1.7 * 1.7) * 10.0;
    let v = m.signed_volume();
    println!("volume {v} expected {expected}");
    assert!((v - expected).abs() / expected < 0.002);
    let r = m.to_engine().unwrap().measurements().clone();
    println!(
        "boundary {} nonmanifold {} inconsistent {} bodies {} degenerate {}",
        r.boundary_edges,
        r.non_manifold_edges,
        r.inconsistent_edges,
        r.body_count,
        r.degenerate_faces
    );
    assert!(r.is_watertight && r.is_winding_consistent);
}

#[test]
fn drilled_and_pocketed_block_is_closed() {
    let outer = Loop::rect([0.0, 0.0], [40.0, 30.0], Corner::Sharp);
    let mut shell = ops::prism(&Frame::xy(0.0), &outer, &[], 20.0).unwrap();
    // hole from +X face through to -X face
    let f = Frame {
        origin: truck_modeling::Point3::new(40.0, 0.0, 0.0),
        u: truck_modeling::Vector3::unit_y(),
        v: truck_modeling::Vector3::unit_z(),
    };
    ops::through_hole(
        &mut shell,
        &f,
        &Loop::Circle {
            center: [15.0, 5.0],
            radius: 2.0,
        },
        40.0,
    )
    .unwrap();
    // pocket from top
    ops::pocket(
        &mut shell,
        &Frame::xy(20.0),
        &Loop::rect([5.0, 5.0], [35.0, 25.0], Corner::Fillet(2.0)),
        8.0,
    )
    .unwrap();
    // boss on bottom? boss on top ring not; boss on -Y face
    let solid = ops::solid(shell).unwrap();
    let m = tessellate(&solid).unwrap();
    let pocket = (30.0 * 20.0 - (4.0 - PI) * 4.0) * 8.0;
    let expected = 40.0 * 30.0 * 20.0 - PI * 4.0 * 40.0 - pocket;
    let v = m.signed_volume();
    println!("volume {v} expected {expected}");
    assert!((v - expected).abs() / expected < 0.002);
    let r = m.to_engine().unwrap().measurements().clone();
    println!(
        "boundary {} nonmanifold {} inconsistent {} bodies {} degenerate {}",
        r.boundary_edges,
        r.non_manifold_edges,
        r.inconsistent_edges,
        r.body_count,
        r.degenerate_faces
    );
    assert!(r.is_watertight && r.is_winding_consistent);
}

#[test]
fn step_text() {
    let outer = Loop::rect([0.0, 0.0], [50.0, 30.0], Corner::Fillet(3.0));
    let holes = [Loop::Circle {
        center: [5.0, 15.0],
        radius: 1.7,
    }];
    let shell = ops::prism(&Frame::xy(0.0), &outer, &holes, 10.0).unwrap();
    let solid = ops::solid(shell).unwrap();
    let s = farm_cad::step::to_step(std::slice::from_ref(&solid), "plate");
    std::fs::write("/tmp/plate.step", &s).unwrap();
}
