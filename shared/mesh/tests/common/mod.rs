//! Generators of known solids and writers of mesh files, shared by tests.
#![allow(dead_code)]

use std::f64::consts::PI;
use std::path::PathBuf;

/// The team's shared corpus: `../shared/corpus` beside the checkout (present
/// in CI), or `FARM_CORPUS_DIR` when the checkout lives elsewhere.
pub fn corpus_dir() -> PathBuf {
    std::env::var_os("FARM_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/corpus"
            ))
        })
}

pub type Tri = [u32; 3];
pub type Solid = (Vec<[f64; 3]>, Vec<Tri>);

/// Axis-aligned box from `min` with sides `size`, outward winding.
pub fn cuboid(min: [f64; 3], size: [f64; 3]) -> Solid {
    let mut v = Vec::new();
    for i in 0..8u32 {
        v.push([
            min[0] + size[0] * f64::from(i & 1),
            min[1] + size[1] * f64::from((i >> 1) & 1),
            min[2] + size[2] * f64::from((i >> 2) & 1),
        ]);
    }
    let quads = [
        [0, 2, 3, 1], // z = min, facing down
        [4, 5, 7, 6], // z = max
        [0, 1, 5, 4], // y = min
        [2, 6, 7, 3], // y = max
        [0, 4, 6, 2], // x = min
        [1, 3, 7, 5], // x = max
    ];
    let mut t = Vec::new();
    for q in quads {
        t.push([q[0], q[1], q[2]]);
        t.push([q[0], q[2], q[3]]);
    }
    (v, t)
}

pub fn cube(side: f64) -> Solid {
    cuboid([0.0; 3], [side; 3])
}

/// UV sphere: `rings` latitude bands, `segments` longitudes.
pub fn uv_sphere(r: f64, segments: u32, rings: u32) -> Solid {
    let mut v = vec![[0.0, 0.0, r]];
    for i in 1..rings {
        let phi = PI * f64::from(i) / f64::from(rings);
        for j in 0..segments {
            let th = 2.0 * PI * f64::from(j) / f64::from(segments);
            v.push([
                r * phi.sin() * th.cos(),
                r * phi.sin() * th.sin(),
                r * phi.cos(),
            ]);
        }
    }
    v.push([0.0, 0.0, -r]);
    let south = (v.len() - 1) as u32;
    let at = |i: u32, j: u32| 1 + (i - 1) * segments + (j % segments);
    let mut t = Vec::new();
    for j in 0..segments {
        t.push([0, at(1, j), at(1, j + 1)]);
        t.push([south, at(rings - 1, j + 1), at(rings - 1, j)]);
    }
    for i in 1..rings - 1 {
        for j in 0..segments {
            let (a, b, c, d) = (at(i, j), at(i, j + 1), at(i + 1, j), at(i + 1, j + 1));
            t.push([a, c, d]);
            t.push([a, d, b]);
        }
    }
    (v, t)
}

/// Torus around z: major radius `big_r`, minor `r`.
pub fn torus(big_r: f64, r: f64, m: u32, n: u32) -> Solid {
    let mut v = Vec::new();
    for i in 0..m {
        let th = 2.0 * PI * f64::from(i) / f64::from(m);
        for j in 0..n {
            let ph = 2.0 * PI * f64::from(j) / f64::from(n);
            let rho = big_r + r * ph.cos();
            v.push([rho * th.cos(), rho * th.sin(), r * ph.sin()]);
        }
    }
    let at = |i: u32, j: u32| (i % m) * n + (j % n);
    let mut t = Vec::new();
    for i in 0..m {
        for j in 0..n {
            let (a, b, c, d) = (at(i, j), at(i + 1, j), at(i + 1, j + 1), at(i, j + 1));
            t.push([a, b, c]);
            t.push([a, c, d]);
        }
    }
    (v, t)
}

/// Regular octahedron with vertices at distance `r` on the axes.
pub fn octahedron(r: f64) -> Solid {
    let v = vec![
        [r, 0.0, 0.0],
        [-r, 0.0, 0.0],
        [0.0, r, 0.0],
        [0.0, -r, 0.0],
        [0.0, 0.0, r],
        [0.0, 0.0, -r],
    ];
    let t = vec![
        [0, 2, 4],
        [2, 1, 4],
        [1, 3, 4],
        [3, 0, 4],
        [2, 0, 5],
        [1, 2, 5],
        [3, 1, 5],
        [0, 3, 5],
    ];
    (v, t)
}

pub fn flip(mut s: Solid) -> Solid {
    for t in &mut s.1 {
        t.swap(1, 2);
    }
    s
}

pub fn merge(a: Solid, b: Solid) -> Solid {
    let (mut v, mut t) = a;
    let off = v.len() as u32;
    v.extend(b.0);
    t.extend(b.1.into_iter().map(|x| x.map(|i| i + off)));
    (v, t)
}

pub fn transform(s: &Solid, f: impl Fn([f64; 3]) -> [f64; 3]) -> Solid {
    (s.0.iter().map(|&p| f(p)).collect(), s.1.clone())
}

/// Binary STL bytes of a solid.
pub fn binary_stl(s: &Solid) -> Vec<u8> {
    let mut out = vec![0u8; 80];
    out.extend_from_slice(&(s.1.len() as u32).to_le_bytes());
    for t in &s.1 {
        out.extend_from_slice(&[0u8; 12]);
        for &i in t {
            for c in s.0[i as usize] {
                out.extend_from_slice(&(c as f32).to_le_bytes());
            }
        }
        out.extend_from_slice(&[0u8; 2]);
    }
    out
}

pub fn ascii_stl(s: &Solid) -> Vec<u8> {
    let mut out = String::from("solid test\n");
    for t in &s.1 {
        out.push_str("  facet normal 0 0 0\n    outer loop\n");
        for &i in t {
            let p = s.0[i as usize];
            out.push_str(&format!("      vertex {} {} {}\n", p[0], p[1], p[2]));
        }
        out.push_str("    endloop\n  endfacet\n");
    }
    out.push_str("endsolid test\n");
    out.into_bytes()
}

/// OBJ with negative (relative) indices for every other face.
pub fn obj(s: &Solid) -> Vec<u8> {
    let mut out = String::from("# test\no solid\n");
    for p in &s.0 {
        out.push_str(&format!("v {} {} {}\n", p[0], p[1], p[2]));
    }
    let n = s.0.len() as i64;
    for (k, t) in s.1.iter().enumerate() {
        if k % 2 == 0 {
            out.push_str(&format!("f {} {} {}\n", t[0] + 1, t[1] + 1, t[2] + 1));
        } else {
            let r = |i: u32| i64::from(i) - n;
            out.push_str(&format!("f {}/1 {}//2 {}/3/4\n", r(t[0]), r(t[1]), r(t[2])));
        }
    }
    out.into_bytes()
}
