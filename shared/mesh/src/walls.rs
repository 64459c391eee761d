//! Thin walls, estimated with short ray casts.
//!
//! From the centroid of sampled faces a ray goes inwards along the face normal;
//! the first face it leaves the solid through (a back face: its normal points
//! along the ray) is the opposite side of the wall, and the distance is the
//! local wall thickness. Only hits closer than the minimum wall matter, so the
//! rays are short segments.
//!
//! Memory is what shapes this: a BVH over every triangle (parry3d's, used
//! before) costs about 150 bytes per triangle, more than the mesh itself, and
//! broke hosted Spin's 128 MiB for a million-triangle part. Instead the
//! (at most a few thousand) segments go into a small uniform grid, and one pass
//! over the triangles tests each against the segments in the cells its box
//! touches (Möller–Trumbore, in f64): memory follows the samples, time is one
//! pass over the mesh. Needs a closed, consistently wound mesh.

use crate::measure::{Measurements, SAMPLE, cross, dot, norm, sub};
use crate::mesh::Mesh;

#[derive(Debug, Clone, Default)]
pub(crate) struct Walls {
    pub sampled: u32,
    pub thin: u32,
    /// Thinnest wall found, mm (only meaningful when `thin > 0`).
    pub thinnest_mm: f64,
    pub faces: Vec<u32>,
}

/// Cells per axis of the segment grid, at most.
const GRID: usize = 64;

struct Segment {
    face: u32,
    origin: [f64; 3],
    dir: [f64; 3],
}

/// The segments, bucketed by the grid cells their boxes touch (CSR layout).
struct SegmentGrid {
    lo: [f64; 3],
    cell: [f64; 3],
    dims: [usize; 3],
    starts: Vec<u32>,
    ids: Vec<u32>,
}

impl SegmentGrid {
    fn cell_range(&self, lo: [f64; 3], hi: [f64; 3]) -> Option<[(usize, usize); 3]> {
        let mut out = [(0, 0); 3];
        for k in 0..3 {
            let a = ((lo[k] - self.lo[k]) / self.cell[k]).floor();
            let b = ((hi[k] - self.lo[k]) / self.cell[k]).floor();
            let top = self.dims[k] as f64 - 1.0;
            if b < 0.0 || a > top {
                return None;
            }
            out[k] = (a.max(0.0) as usize, b.min(top) as usize);
        }
        Some(out)
    }

    fn index(&self, i: usize, j: usize, k: usize) -> usize {
        (k * self.dims[1] + j) * self.dims[0] + i
    }

    fn build(segments: &[Segment], len: f64) -> SegmentGrid {
        let (mut lo, mut hi) = ([f64::MAX; 3], [f64::MIN; 3]);
        for s in segments {
            let end = [0, 1, 2].map(|k| s.origin[k] + s.dir[k] * len);
            for k in 0..3 {
                lo[k] = lo[k].min(s.origin[k]).min(end[k]);
                hi[k] = hi[k].max(s.origin[k]).max(end[k]);
            }
        }
        // Cells no smaller than a segment, so a segment touches ≤ 2 per axis.
        let cell = [0, 1, 2].map(|k| ((hi[k] - lo[k]) / GRID as f64).max(len).max(1e-9));
        let dims = [0, 1, 2].map(|k| (((hi[k] - lo[k]) / cell[k]) as usize + 1).min(GRID + 1));
        let mut grid = SegmentGrid {
            lo,
            cell,
            dims,
            starts: Vec::new(),
            ids: Vec::new(),
        };
        let boxes: Vec<Option<[(usize, usize); 3]>> = segments
            .iter()
            .map(|s| {
                let end = [0, 1, 2].map(|k| s.origin[k] + s.dir[k] * len);
                let a = [0, 1, 2].map(|k| s.origin[k].min(end[k]));
                let b = [0, 1, 2].map(|k| s.origin[k].max(end[k]));
                grid.cell_range(a, b)
            })
            .collect();
        // Counting pass, then prefix sums, then filling.
        let mut starts = vec![0u32; dims[0] * dims[1] * dims[2] + 1];
        for r in boxes.iter().flatten() {
            grid.for_cells(r, |c| starts[c] += 1);
        }
        let mut total = 0u32;
        for slot in &mut starts {
            let count = *slot;
            *slot = total;
            total += count;
        }
        let mut ids = vec![0u32; total as usize];
        let mut fill = starts.clone();
        for (id, r) in boxes.iter().enumerate() {
            if let Some(r) = r {
                grid.for_cells(r, |c| {
                    ids[fill[c] as usize] = id as u32;
                    fill[c] += 1;
                });
            }
        }
        grid.starts = starts;
        grid.ids = ids;
        grid
    }

    fn for_cells(&self, r: &[(usize, usize); 3], mut f: impl FnMut(usize)) {
        for k in r[2].0..=r[2].1 {
            for j in r[1].0..=r[1].1 {
                for i in r[0].0..=r[0].1 {
                    f(self.index(i, j, k));
                }
            }
        }
    }
}

/// Distance along `s` to triangle `t` when the ray leaves the solid through it
/// (`exit_sign` × normal·dir > 0) within `max_t`.
fn exit_hit(s: &Segment, t: [[f64; 3]; 3], exit_sign: f64, max_t: f64) -> Option<f64> {
    let e1 = sub(t[1], t[0]);
    let e2 = sub(t[2], t[0]);
    let p = cross(s.dir, e2);
    let det = dot(e1, p);
    // det = −normal·dir: an exit face has exit_sign × det < 0.
    if exit_sign * det >= 0.0 || det.abs() <= 1e-12 * norm(e1) * norm(e2) {
        return None;
    }
    let inv = 1.0 / det;
    let o = sub(s.origin, t[0]);
    let u = dot(o, p) * inv;
    if !(0.0..=1.0).contains(&u) {
        return None;
    }
    let q = cross(o, e1);
    let v = dot(s.dir, q) * inv;
    if v < 0.0 || u + v > 1.0 {
        return None;
    }
    let dist = dot(e2, q) * inv;
    (0.0..=max_t).contains(&dist).then_some(dist)
}

pub(crate) fn thin_walls(
    mesh: &Mesh,
    m: &Measurements,
    scale: f64,
    min_wall_mm: f64,
    samples: u32,
) -> Walls {
    let mut out = Walls {
        thinnest_mm: f64::INFINITY,
        ..Walls::default()
    };
    // With inverted winding the stored normals point inwards.
    let sign = if m.signed_volume < 0.0 { -1.0 } else { 1.0 };
    let max_t = min_wall_mm / scale;
    let n = mesh.triangles.len();
    let stride = n.div_ceil(samples.max(1) as usize).max(1);
    let corners = |f: usize| mesh.triangles[f].map(|i| mesh.vertices[i as usize]);
    let mut segments = Vec::new();
    for f in (0..n).step_by(stride) {
        let [a, b, c] = corners(f);
        let normal = cross(sub(b, a), sub(c, a));
        let len = norm(normal);
        if len <= 1e-12 {
            continue;
        }
        segments.push(Segment {
            face: f as u32,
            origin: [0, 1, 2].map(|i| (a[i] + b[i] + c[i]) / 3.0),
            dir: normal.map(|x| -sign * x / len),
        });
    }
    out.sampled = segments.len() as u32;
    if segments.is_empty() {
        return out;
    }
    let grid = SegmentGrid::build(&segments, max_t);
    let mut best = vec![f64::INFINITY; segments.len()];
    let mut test = |id: u32, f: usize, t: [[f64; 3]; 3]| {
        let s = &segments[id as usize];
        if s.face as usize != f
            && let Some(d) = exit_hit(s, t, sign, max_t)
        {
            best[id as usize] = best[id as usize].min(d);
        }
    };
    for f in 0..n {
        let t = corners(f);
        let lo = [0, 1, 2].map(|k| t[0][k].min(t[1][k]).min(t[2][k]));
        let hi = [0, 1, 2].map(|k| t[0][k].max(t[1][k]).max(t[2][k]));
        let Some(r) = grid.cell_range(lo, hi) else {
            continue;
        };
        let cells = (r[0].1 - r[0].0 + 1) * (r[1].1 - r[1].0 + 1) * (r[2].1 - r[2].0 + 1);
        if cells > segments.len() {
            // A large triangle: fewer tests against every segment than cells.
            for id in 0..segments.len() as u32 {
                test(id, f, t);
            }
        } else {
            grid.for_cells(&r, |c| {
                let (a, b) = (grid.starts[c] as usize, grid.starts[c + 1] as usize);
                for &id in &grid.ids[a..b] {
                    test(id, f, t);
                }
            });
        }
    }
    for (s, &d) in segments.iter().zip(&best) {
        let thickness = d * scale;
        if thickness < min_wall_mm {
            out.thin += 1;
            out.thinnest_mm = out.thinnest_mm.min(thickness);
            if out.faces.len() < SAMPLE {
                out.faces.push(s.face);
            }
        }
    }
    out
}
