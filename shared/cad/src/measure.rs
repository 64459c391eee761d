//! Measurements taken on the finished solid (never copied from the part
//! program): round holes from the circular inner loops of planar faces, and
//! gear teeth from the outline of the top face.

use truck_modeling::{
    BoundedCurve, EuclideanSpace, InnerSpace, ParametricCurve, Point3, Solid, Surface, Vector3,
};

/// Loops whose samples stay this close to one circle are round, mm.
const ROUND_TOL_MM: f64 = 1e-6;

/// One round hole: where its axis meets an opening, its direction and
/// diameters (mm). A through hole shows two openings on one axis (of
/// different diameters when countersunk), a blind one a single opening;
/// each counts once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeasuredHole {
    pub center: [f64; 3],
    pub axis: [f64; 3],
    /// The straight bore: the narrowest opening.
    pub diameter_mm: f64,
    /// The widest opening (a countersink's rim when wider than the bore).
    pub entry_diameter_mm: f64,
    /// 2 for a through hole, 1 for a blind one.
    pub openings: u32,
}

impl MeasuredHole {
    /// The openings differ in diameter: a cone (countersink) at one end.
    pub fn is_countersunk(&self) -> bool {
        self.entry_diameter_mm - self.diameter_mm > 1e-6
    }
}

/// Every round hole of the solids (inner loops of planar faces that are circles).
pub fn holes(solids: &[Solid]) -> Vec<MeasuredHole> {
    let mut openings: Vec<(Point3, Vector3, f64)> = Vec::new();
    for face in solids.iter().flat_map(|s| s.face_iter()) {
        let Surface::Plane(plane) = face.surface() else {
            continue;
        };
        let n = plane.normal();
        for wire in face.boundaries().iter().skip(1) {
            let mut pts = Vec::new();
            for edge in wire.edge_iter() {
                let c = edge.oriented_curve();
                let (t0, t1) = c.range_tuple();
                for k in 0..8 {
                    pts.push(c.subs(t0 + (t1 - t0) * f64::from(k) / 8.0));
                }
            }
            if let Some((center, r)) = circle_through(&pts) {
                openings.push((center, n, r));
            }
        }
    }
    let mut out: Vec<MeasuredHole> = Vec::new();
    for (c, n, r) in openings {
        let same_axis = out.iter_mut().find(|h| {
            let d = c - Point3::from(h.center);
            d.cross(Vector3::from(h.axis)).magnitude() < 1e-6
        });
        match same_axis {
            Some(h) => {
                h.openings += 1;
                h.diameter_mm = h.diameter_mm.min(2.0 * r);
                h.entry_diameter_mm = h.entry_diameter_mm.max(2.0 * r);
            }
            None => out.push(MeasuredHole {
                center: c.into(),
                axis: n.into(),
                diameter_mm: 2.0 * r,
                entry_diameter_mm: 2.0 * r,
                openings: 1,
            }),
        }
    }
    out
}

/// The circle through the samples, if all of them lie on one.
fn circle_through(pts: &[Point3]) -> Option<(Point3, f64)> {
    if pts.len() < 6 {
        return None;
    }
    let (a, b, c) = (pts[0], pts[pts.len() / 3], pts[2 * pts.len() / 3]);
    let (u, v) = (b - a, c - a);
    let (uu, uv, vv) = (u.dot(u), u.dot(v), v.dot(v));
    let det = uu * vv - uv * uv;
    if det.abs() < 1e-18 {
        return None;
    }
    let (s, t) = (
        (uu * vv - uv * vv) / (2.0 * det),
        (uu * vv - uv * uu) / (2.0 * det),
    );
    let center = a + u * s + v * t;
    let r = (a - center).magnitude();
    pts.iter()
        .all(|p| ((p - center).magnitude() - r).abs() < ROUND_TOL_MM)
        .then_some((center, r))
}

/// Teeth of a gear on the z axis: the runs of the top face's outline that
/// lie outside the middle radius between its innermost and outermost points.
pub fn tooth_count(solids: &[Solid]) -> u32 {
    let mut best = 0;
    for face in solids.iter().flat_map(|s| s.face_iter()) {
        let Surface::Plane(plane) = face.surface() else {
            continue;
        };
        if plane.normal().cross(Vector3::unit_z()).magnitude() > 1e-9 {
            continue;
        }
        let Some(outer) = face.boundaries().into_iter().next() else {
            continue;
        };
        let radii: Vec<f64> = outer
            .vertex_iter()
            .map(|v| {
                let p = v.point().to_vec();
                (p.x * p.x + p.y * p.y).sqrt()
            })
            .collect();
        let (lo, hi) = radii
            .iter()
            .fold((f64::INFINITY, 0f64), |(l, h), r| (l.min(*r), h.max(*r)));
        let mid = (lo + hi) / 2.0;
        let n = radii.len();
        let rises = (0..n)
            .filter(|&i| radii[i] <= mid && radii[(i + 1) % n] > mid)
            .count() as u32;
        best = best.max(rises);
    }
    best
}
