//! Property tests: rigid motions keep volume and area; scaling by s multiplies
//! volume by s³ and area by s²; no input makes a parser panic.

mod common;

use common::*;
use mesh_engine::{Limits, Mesh, Unit, UnitChoice, parse};
use proptest::prelude::*;

fn raw(s: &Solid) -> (f64, f64) {
    let m = Mesh::from_indexed(&s.0, &s.1)
        .expect("valid")
        .metrics(UnitChoice::Fixed(Unit::Millimeter));
    (m.raw.signed_volume, m.raw.area)
}

fn rotation(a: f64, b: f64, c: f64) -> [[f64; 3]; 3] {
    let (sa, ca, sb, cb, sc, cc) = (a.sin(), a.cos(), b.sin(), b.cos(), c.sin(), c.cos());
    [
        [cb * cc, sa * sb * cc - ca * sc, ca * sb * cc + sa * sc],
        [cb * sc, sa * sb * sc + ca * cc, ca * sb * sc - sa * cc],
        [-sb, sa * cb, ca * cb],
    ]
}

fn solids() -> Vec<Solid> {
    vec![
        cube(10.0),
        torus(20.0, 5.0, 32, 16),
        uv_sphere(7.0, 24, 12),
        merge(cube(20.0), flip(cuboid([5.0; 3], [10.0; 3]))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn rigid_motion_keeps_volume_and_area(
        which in 0usize..4,
        a in -3.2f64..3.2, b in -3.2f64..3.2, c in -3.2f64..3.2,
        t in prop::array::uniform3(-1000.0f64..1000.0),
    ) {
        let s = &solids()[which];
        let r = rotation(a, b, c);
        let moved = transform(s, |p| {
            [0, 1, 2].map(|i| r[i][0] * p[0] + r[i][1] * p[1] + r[i][2] * p[2] + t[i])
        });
        let (v0, a0) = raw(s);
        let (v1, a1) = raw(&moved);
        prop_assert!((v1 - v0).abs() <= 1e-9 * v0.abs(), "volume {v0} -> {v1}");
        prop_assert!((a1 - a0).abs() <= 1e-9 * a0, "area {a0} -> {a1}");
    }

    #[test]
    fn scaling_multiplies_volume_by_the_cube(which in 0usize..4, k in 0.01f64..100.0) {
        let s = &solids()[which];
        let scaled = transform(s, |p| p.map(|x| x * k));
        let (v0, a0) = raw(s);
        let (v1, a1) = raw(&scaled);
        prop_assert!((v1 - v0 * k.powi(3)).abs() <= 1e-9 * (v0 * k.powi(3)).abs());
        prop_assert!((a1 - a0 * k * k).abs() <= 1e-9 * a0 * k * k);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse(&bytes, &Limits::default());
    }

    #[test]
    fn corrupted_valid_files_never_panic(
        format in 0usize..3,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let s = cube(10.0);
        let mut bytes = match format { 0 => binary_stl(&s), 1 => ascii_stl(&s), _ => obj(&s) };
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        let keep = cut.index(bytes.len() + 1);
        bytes.truncate(keep.max(1));
        if let Ok(mesh) = parse(&bytes, &Limits::default()) {
            let _ = mesh.metrics(UnitChoice::Auto);
        }
    }
}
