//! Triangulation of one planar polygon by ear clipping (as trimesh does since
//! it replaced fan triangulation; see trimesh issue 2519).
//!
//! A fan from the first corner is right only for convex polygons; for a
//! non-convex one it covers area outside the polygon and the mesh gains
//! overlapping faces. Ear clipping keeps every corner (so edges shared with
//! neighbouring faces still match and the mesh stays watertight) and emits
//! `n − 2` triangles in the polygon's own winding.
//!
//! The polygon is projected onto the plane of its Newell normal's two minor
//! axes. Corners on a straight run (interior angle 180°) are never clipped
//! while a proper ear exists, so no zero-area triangle is made; when numerical
//! noise leaves no proper ear (a self-intersecting or non-planar polygon), the
//! most convex corner is clipped so the result still has `n − 2` triangles.

/// Work budget for a whole file: ear tests scale with the square of a
/// polygon's corner count, so a hostile file of huge polygons is refused
/// before it costs seconds. 10⁹ point tests is about a second natively.
pub(crate) const EAR_TEST_BUDGET: u64 = 1_000_000_000;

/// Triangulates the polygon with corners `idx` (indices into `points`),
/// appending `[a, b, c]` triangles (indices from `idx`) to `out`. `budget`
/// is decremented by the point-in-triangle tests made; returns false when it
/// runs out.
pub(crate) fn triangulate(
    points: &[[f64; 3]],
    idx: &[u32],
    out: &mut Vec<[u32; 3]>,
    budget: &mut u64,
) -> bool {
    let n = idx.len();
    if n == 3 {
        out.push([idx[0], idx[1], idx[2]]);
        return true;
    }
    let p3: Vec<[f64; 3]> = idx.iter().map(|&i| points[i as usize]).collect();
    // Newell's normal: robust for non-convex and slightly non-planar polygons.
    let mut normal = [0.0f64; 3];
    for i in 0..n {
        let (a, b) = (p3[i], p3[(i + 1) % n]);
        normal[0] += (a[1] - b[1]) * (a[2] + b[2]);
        normal[1] += (a[2] - b[2]) * (a[0] + b[0]);
        normal[2] += (a[0] - b[0]) * (a[1] + b[1]);
    }
    let axis = (0..3)
        .max_by(|&a, &b| normal[a].abs().total_cmp(&normal[b].abs()))
        .unwrap_or(2);
    let (u, v) = ((axis + 1) % 3, (axis + 2) % 3);
    // Projected onto (u, v), the polygon winds counter-clockwise when the
    // normal's major component is positive; `orient` makes convex corners
    // positive either way.
    let orient = if normal[axis] >= 0.0 { 1.0 } else { -1.0 };
    let p: Vec<[f64; 2]> = p3.iter().map(|q| [q[u], q[v]]).collect();
    let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
    for q in &p {
        for k in 0..2 {
            lo[k] = lo[k].min(q[k]);
            hi[k] = hi[k].max(q[k]);
        }
    }
    let size = (hi[0] - lo[0]).max(hi[1] - lo[1]).max(f64::MIN_POSITIVE);
    // Twice a triangle's area below this counts as a straight run.
    let eps = size * size * 1e-12;
    let cross = |a: usize, b: usize, c: usize| {
        let (a, b, c) = (p[a], p[b], p[c]);
        orient * ((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))
    };
    // Remaining corners as a doubly linked ring (indices into p).
    let mut next: Vec<usize> = (1..=n).map(|i| i % n).collect();
    let mut prev: Vec<usize> = (0..n).map(|i| (i + n - 1) % n).collect();
    let mut left = n;
    let mut cur = 0;
    while left > 3 {
        let mut best: Option<(usize, f64)> = None;
        let mut ear = None;
        let mut k = cur;
        for _ in 0..left {
            let (a, b, c) = (prev[k], k, next[k]);
            let turn = cross(a, b, c);
            if turn > eps {
                let cost = left as u64;
                *budget = budget.saturating_sub(cost);
                if *budget == 0 {
                    return false;
                }
                if !any_inside(&p, &next, c, a, [a, b, c], &cross, eps) {
                    ear = Some(k);
                    break;
                }
            }
            if best.is_none_or(|(_, t)| turn > t) {
                best = Some((k, turn));
            }
            k = next[k];
        }
        let k = match (ear, best) {
            (Some(k), _) | (None, Some((k, _))) => k,
            (None, None) => cur,
        };
        let (a, c) = (prev[k], next[k]);
        out.push([idx[a], idx[k], idx[c]]);
        next[a] = c;
        prev[c] = a;
        left -= 1;
        cur = c;
    }
    let a = cur;
    out.push([idx[prev[a]], idx[a], idx[next[a]]]);
    true
}

/// True when a remaining corner other than the ear's own lies inside or on
/// the ear triangle `t` (walking the ring from `from` to `to`, exclusive).
fn any_inside(
    p: &[[f64; 2]],
    next: &[usize],
    from: usize,
    to: usize,
    t: [usize; 3],
    cross: &dyn Fn(usize, usize, usize) -> f64,
    eps: f64,
) -> bool {
    let mut k = next[from];
    while k != to {
        // A corner at the same place as one of the ear's (a polygon touching
        // itself) does not block it.
        let same = t.iter().any(|&c| p[c] == p[k]);
        if !same
            && cross(t[0], t[1], k) >= -eps
            && cross(t[1], t[2], k) >= -eps
            && cross(t[2], t[0], k) >= -eps
        {
            return true;
        }
        k = next[k];
    }
    false
}
