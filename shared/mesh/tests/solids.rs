//! Known solids with exact expected figures.

mod common;

use common::*;
use mesh_engine::{Mesh, Metrics, Unit, UnitChoice};

fn metrics(s: &Solid) -> Metrics {
    Mesh::from_indexed(&s.0, &s.1)
        .expect("valid solid")
        .metrics(UnitChoice::Fixed(Unit::Millimeter))
}

fn assert_close(what: &str, got: f64, want: f64, rel: f64) {
    assert!(
        (got - want).abs() <= rel * want.abs().max(1e-12),
        "{what}: got {got}, want {want} (rel {rel})"
    );
}

#[test]
fn cube_has_exact_volume_area_and_clean_topology() {
    let m = metrics(&cube(10.0));
    assert_eq!(
        (m.triangle_count, m.vertex_count, m.edge_count),
        (12, 8, 18)
    );
    assert_close("volume", m.raw.signed_volume, 1000.0, 1e-15);
    assert_close("area", m.raw.area, 600.0, 1e-15);
    assert_eq!(m.volume_cm3, 1.0);
    assert_eq!(m.surface_area_cm2, 6.0);
    assert_eq!(m.bbox_mm, [10.0; 3]);
    assert!(m.is_watertight && m.is_winding_consistent && m.is_manifold && !m.is_inside_out);
    assert_eq!(
        (
            m.body_count,
            m.boundary_edges,
            m.non_manifold_edges,
            m.degenerate_faces
        ),
        (1, 0, 0, 0)
    );
    assert_eq!(m.euler_number, 2);
}

#[test]
fn octahedron_matches_its_closed_form() {
    let m = metrics(&octahedron(3.0));
    // Volume 4/3 r³, area 4√3 r².
    assert_close("volume", m.raw.signed_volume, 4.0 / 3.0 * 27.0, 1e-14);
    assert_close("area", m.raw.area, 4.0 * 3f64.sqrt() * 9.0, 1e-14);
    assert!(m.is_manifold);
}

#[test]
fn uv_sphere_is_one_closed_body_close_to_the_true_sphere() {
    let (segments, rings) = (96, 48);
    let m = metrics(&uv_sphere(10.0, segments, rings));
    assert_eq!(m.vertex_count, u64::from(2 + (rings - 1) * segments));
    assert_eq!(m.triangle_count, u64::from(2 * segments * (rings - 1)));
    assert!(m.is_watertight && m.is_winding_consistent && m.is_manifold);
    assert_eq!((m.body_count, m.euler_number), (1, 2));
    let true_volume = 4.0 / 3.0 * std::f64::consts::PI * 1000.0;
    assert_close("volume", m.raw.signed_volume, true_volume, 2e-3);
    assert!(
        m.raw.signed_volume < true_volume,
        "an inscribed polyhedron is smaller"
    );
}

#[test]
fn torus_has_genus_one_and_the_pappus_volume() {
    let m = metrics(&torus(20.0, 5.0, 128, 64));
    assert_eq!(m.euler_number, 0);
    assert!(m.is_watertight && m.is_winding_consistent && m.is_manifold);
    assert_eq!(m.body_count, 1);
    let pappus = 2.0 * std::f64::consts::PI.powi(2) * 20.0 * 25.0;
    assert_close("volume", m.raw.signed_volume, pappus, 3e-3);
}

#[test]
fn nested_shells_subtract_the_void_and_count_two_bodies() {
    let outer = cuboid([0.0; 3], [20.0; 3]);
    let void = flip(cuboid([5.0; 3], [10.0; 3]));
    let m = metrics(&merge(outer, void));
    assert_close("volume", m.raw.signed_volume, 7000.0, 1e-15);
    assert_close("area", m.raw.area, 3000.0, 1e-15);
    assert_eq!(m.body_count, 2);
    assert!(m.is_watertight && m.is_winding_consistent && m.is_manifold);
}

#[test]
fn cube_with_a_face_removed_has_four_open_edges() {
    let (v, mut t) = cube(10.0);
    t.drain(0..2);
    let m = metrics(&(v, t));
    assert_eq!(m.boundary_edges, 4);
    assert!(!m.is_watertight && m.is_winding_consistent && !m.is_manifold);
    assert_eq!(m.body_count, 1);
    assert_close("area", m.raw.area, 500.0, 1e-15);
}

#[test]
fn one_flipped_face_breaks_winding_but_not_watertightness() {
    let (v, mut t) = cube(10.0);
    t[3].swap(1, 2);
    let m = metrics(&(v, t));
    assert!(m.is_watertight && !m.is_winding_consistent && !m.is_manifold);
    assert_eq!(m.body_count, 1);
}

#[test]
fn an_inside_out_cube_has_negative_signed_volume_and_positive_volume() {
    let m = metrics(&flip(cube(10.0)));
    assert_close("signed volume", m.raw.signed_volume, -1000.0, 1e-15);
    assert_eq!(m.volume_cm3, 1.0);
    assert!(m.is_inside_out && m.is_watertight && m.is_winding_consistent);
}

#[test]
fn two_cubes_sharing_an_edge_have_one_non_manifold_edge_and_two_bodies() {
    let a = cube(10.0);
    let b = cuboid([10.0, 10.0, 0.0], [10.0; 3]);
    let m = metrics(&merge(a, b));
    assert_eq!(m.non_manifold_edges, 1);
    assert_eq!(m.body_count, 2);
    assert!(!m.is_watertight);
    assert_close("volume", m.raw.signed_volume, 2000.0, 1e-15);
}

#[test]
fn two_cubes_sharing_a_vertex_are_watertight_but_not_manifold() {
    let a = cube(10.0);
    let b = cuboid([10.0; 3], [10.0; 3]);
    let m = metrics(&merge(a, b));
    assert!(m.is_watertight && m.is_winding_consistent);
    assert_eq!(m.non_manifold_vertices, 1);
    assert!(!m.is_manifold);
    assert_eq!((m.body_count, m.vertex_count), (2, 15));
}

#[test]
fn two_cubes_sharing_a_face_region_stay_two_bodies() {
    // Face-to-face contact without shared vertices: each cube is still closed.
    let a = cube(10.0);
    let b = cuboid([10.0, 2.0, 2.0], [5.0; 3]);
    let m = metrics(&merge(a, b));
    assert_eq!(m.body_count, 2);
    assert!(m.is_watertight);
    assert_close("volume", m.raw.signed_volume, 1125.0, 1e-15);
}

#[test]
fn every_format_gives_the_same_figures_for_the_same_solid() {
    let s = torus(20.0, 5.0, 48, 24);
    let reference = metrics(&s);
    let limits = mesh_engine::Limits::default();
    for (bytes, format) in [
        (binary_stl(&s), "stl-binary"),
        (ascii_stl(&s), "stl-ascii"),
        (obj(&s), "obj"),
    ] {
        let mesh = mesh_engine::parse(&bytes, &limits).expect("parses");
        assert_eq!(mesh.format().code(), format);
        let m = mesh.metrics(UnitChoice::Fixed(Unit::Millimeter));
        assert_eq!(m.triangle_count, reference.triangle_count, "{format}");
        assert_eq!(m.vertex_count, reference.vertex_count, "{format}");
        assert_eq!(m.body_count, 1, "{format}");
        assert!(m.is_manifold, "{format}");
        // Binary STL stores float32, so allow its rounding.
        assert_close(
            format,
            m.raw.signed_volume,
            reference.raw.signed_volume,
            1e-5,
        );
    }
}
