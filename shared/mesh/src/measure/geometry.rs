//! Volume, area, bounding box and degenerate faces in one pass.

use super::topology::SAMPLE;

/// trimesh's `tol.merge`: the height below which a face is degenerate.
const DEGENERATE_HEIGHT: f64 = 1e-8;

#[inline]
pub(crate) fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

#[inline]
pub(crate) fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

#[inline]
pub(crate) fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

#[inline]
pub(crate) fn norm(a: [f64; 3]) -> f64 {
    dot(a, a).sqrt()
}

pub(crate) struct Geometry {
    pub bbox_min: [f64; 3],
    pub bbox_max: [f64; 3],
    pub signed_volume: f64,
    pub area: f64,
    pub degenerate_faces: u64,
    pub degenerate_sample: Vec<u32>,
}

/// Neumaier-compensated running sum, fed with block partial sums, so the
/// totals of millions of faces stay within a few ulps of the exact sum.
#[derive(Default)]
struct Sum {
    sum: f64,
    c: f64,
}

impl Sum {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.c += (self.sum - t) + x;
        } else {
            self.c += (x - t) + self.sum;
        }
        self.sum = t;
    }

    fn total(&self) -> f64 {
        self.sum + self.c
    }
}

pub(crate) fn compute(vertices: &[[f64; 3]], triangles: &[[u32; 3]]) -> Geometry {
    let mut bbox_min = [f64::INFINITY; 3];
    let mut bbox_max = [f64::NEG_INFINITY; 3];
    for p in vertices {
        for i in 0..3 {
            bbox_min[i] = bbox_min[i].min(p[i]);
            bbox_max[i] = bbox_max[i].max(p[i]);
        }
    }
    let (mut volume, mut area) = (Sum::default(), Sum::default());
    let mut degenerate_faces = 0u64;
    let mut degenerate_sample = Vec::new();
    for (block_index, block) in triangles.chunks(256).enumerate() {
        let (mut v, mut a) = (0.0, 0.0);
        for (i, t) in block.iter().enumerate() {
            let [p0, p1, p2] = t.map(|i| vertices[i as usize]);
            let e1 = sub(p1, p0);
            let e2 = sub(p2, p0);
            let c = cross(e1, e2);
            let twice_area = norm(c);
            a += twice_area;
            // trimesh's mass_properties: Σ cross_x · (x0 + x1 + x2) / 6. Using
            // edge vectors keeps it exact far from the origin.
            v += c[0] * (p0[0] + p1[0] + p2[0]);
            // trimesh's triangles.extents: the heights over the two edges from
            // the first vertex (zero when that edge is shorter than the tolerance).
            let (la, lb) = (norm(e1), norm(e2));
            let ha = if la > DEGENERATE_HEIGHT {
                twice_area / la
            } else {
                0.0
            };
            let hb = if lb > DEGENERATE_HEIGHT {
                twice_area / lb
            } else {
                0.0
            };
            if !(ha > DEGENERATE_HEIGHT && hb > DEGENERATE_HEIGHT) {
                degenerate_faces += 1;
                if degenerate_sample.len() < SAMPLE {
                    degenerate_sample.push((block_index * 256 + i) as u32);
                }
            }
        }
        volume.add(v);
        area.add(a);
    }
    Geometry {
        bbox_min,
        bbox_max,
        signed_volume: volume.total() / 6.0,
        area: area.total() / 2.0,
        degenerate_faces,
        degenerate_sample,
    }
}
