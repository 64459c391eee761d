//! Generated test shapes, as OBJ text: spheres, tori (the torus of
//! benches/mesh_gen.py among them), a cylinder, a thin plate, a pillar and an
//! M3 screw. All closed and wound outwards, lowest point at z = 0.

use std::f64::consts::TAU;

/// Name and OBJ bytes of every generated shape.
pub fn all() -> Vec<(String, Vec<u8>)> {
    vec![
        ("gen/sphere_r10".into(), sphere(10.0, 64, 32)),
        ("gen/sphere_r25".into(), sphere(25.0, 96, 48)),
        ("gen/torus_R12_r4".into(), torus(12.0, 4.0, 64, 32)),
        ("gen/torus_R30_r10".into(), torus(30.0, 10.0, 96, 48)),
        // benches/mesh_gen.py's torus (R 60, r 20), at a size that slices quickly.
        ("gen/torus_R60_r20".into(), torus(60.0, 20.0, 128, 64)),
        ("gen/cylinder_d20_h40".into(), stacked(&[(10.0, 40.0)], 64)),
        ("gen/plate_60x40x3".into(), cuboid([60.0, 40.0, 3.0])),
        ("gen/pillar_6x6x60".into(), cuboid([6.0, 6.0, 60.0])),
        ("gen/box_50x30x20".into(), cuboid([50.0, 30.0, 20.0])),
        // ISO 4762 M3 × 12: head Ø5.5 × 3 on the bed, shank Ø3 × 12.
        (
            "gen/m3x12_screw".into(),
            stacked(&[(2.75, 3.0), (1.5, 12.0)], 48),
        ),
        // A bushing-like stack: wide base, narrow middle, wide top (overhang).
        (
            "gen/spool_d30".into(),
            stacked(&[(15.0, 4.0), (6.0, 20.0), (15.0, 4.0)], 64),
        ),
    ]
}

#[derive(Default)]
struct Obj {
    v: Vec<[f64; 3]>,
    f: Vec<[usize; 3]>,
}

impl Obj {
    fn text(&self) -> Vec<u8> {
        let mut s = String::new();
        for v in &self.v {
            s.push_str(&format!("v {} {} {}\n", v[0], v[1], v[2]));
        }
        for f in &self.f {
            s.push_str(&format!("f {} {} {}\n", f[0] + 1, f[1] + 1, f[2] + 1));
        }
        s.into_bytes()
    }

    /// A quad a-b-c-d (counter-clockwise seen from outside) as two triangles.
    fn quad(&mut self, a: usize, b: usize, c: usize, d: usize) {
        self.f.push([a, b, c]);
        self.f.push([a, c, d]);
    }
}

fn sphere(r: f64, m: usize, n: usize) -> Vec<u8> {
    let mut o = Obj::default();
    o.v.push([0.0, 0.0, 0.0]); // south pole
    for j in 1..n {
        let phi = std::f64::consts::PI * j as f64 / n as f64; // from the south pole
        for i in 0..m {
            let th = TAU * i as f64 / m as f64;
            o.v.push([
                r * phi.sin() * th.cos(),
                r * phi.sin() * th.sin(),
                r - r * phi.cos(),
            ]);
        }
    }
    o.v.push([0.0, 0.0, 2.0 * r]); // north pole
    let ring = |j: usize, i: usize| 1 + (j - 1) * m + i % m;
    let north = o.v.len() - 1;
    for i in 0..m {
        o.f.push([0, ring(1, i + 1), ring(1, i)]);
        o.f.push([north, ring(n - 1, i), ring(n - 1, i + 1)]);
    }
    for j in 1..n - 1 {
        for i in 0..m {
            o.quad(
                ring(j, i),
                ring(j, i + 1),
                ring(j + 1, i + 1),
                ring(j + 1, i),
            );
        }
    }
    o.text()
}

fn torus(big_r: f64, r: f64, m: usize, n: usize) -> Vec<u8> {
    let mut o = Obj::default();
    for i in 0..m {
        let th = TAU * i as f64 / m as f64;
        for j in 0..n {
            let ph = TAU * j as f64 / n as f64;
            let rho = big_r + r * ph.cos();
            o.v.push([rho * th.cos(), rho * th.sin(), r * ph.sin() + r]);
        }
    }
    let at = |i: usize, j: usize| (i % m) * n + j % n;
    for i in 0..m {
        for j in 0..n {
            o.quad(at(i, j), at(i + 1, j), at(i + 1, j + 1), at(i, j + 1));
        }
    }
    o.text()
}

/// Coaxial cylinders stacked from z = 0: (radius, height) from the bottom.
fn stacked(sections: &[(f64, f64)], m: usize) -> Vec<u8> {
    let mut o = Obj::default();
    // Each section: a ring at its bottom and one at its top.
    let mut z = 0.0;
    let mut rings = Vec::new();
    for &(r, h) in sections {
        for zz in [z, z + h] {
            let start = o.v.len();
            for i in 0..m {
                let th = TAU * i as f64 / m as f64;
                o.v.push([r * th.cos(), r * th.sin(), zz]);
            }
            rings.push(start);
        }
        z += h;
    }
    let bottom = o.v.len();
    o.v.push([0.0, 0.0, 0.0]);
    let top = o.v.len();
    o.v.push([0.0, 0.0, z]);
    let at = |ring: usize, i: usize| ring + i % m;
    for i in 0..m {
        o.f.push([bottom, at(rings[0], i + 1), at(rings[0], i)]);
        let last = rings[rings.len() - 1];
        o.f.push([top, at(last, i), at(last, i + 1)]);
    }
    // Between consecutive rings: a section's side wall (same radius, rising)
    // or the annular step between two sections (same height), which faces up
    // where the stack narrows and down where it widens. One winding does both.
    for k in 0..rings.len() - 1 {
        let (a, b) = (rings[k], rings[k + 1]);
        for i in 0..m {
            o.quad(at(a, i), at(a, i + 1), at(b, i + 1), at(b, i));
        }
    }
    o.text()
}

fn cuboid(s: [f64; 3]) -> Vec<u8> {
    let mut o = Obj::default();
    for k in 0..8 {
        o.v.push([
            s[0] * (k & 1) as f64,
            s[1] * ((k >> 1) & 1) as f64,
            s[2] * ((k >> 2) & 1) as f64,
        ]);
    }
    // Corner k = x + 2y + 4z; faces counter-clockwise seen from outside.
    o.quad(0, 2, 3, 1); // bottom
    o.quad(4, 5, 7, 6); // top
    o.quad(0, 1, 5, 4); // front (y = 0)
    o.quad(2, 6, 7, 3); // back
    o.quad(0, 4, 6, 2); // left (x = 0)
    o.quad(1, 3, 7, 5); // right
    o.text()
}
