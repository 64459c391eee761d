//! Planar sketches: closed loops (polygons with filleted or chamfered
//! corners, circles) laid out in a plane frame and turned into truck wires.
//!
//! Every loop is exact: fillets and circles are rational quadratic arcs, so
//! the solids' volumes are the analytic ones (OpenCascade reads them back to
//! within rounding).

use truck_modeling::{InnerSpace, Point3, Vector3, Vertex, Wire, builder};

use crate::Error;

/// A point of a sketch, in the frame's (u, v) coordinates, mm.
pub type P2 = [f64; 2];

/// A plane frame: `origin` and two orthonormal axes; the sketch's normal is
/// `u × v` (counter-clockwise loops in (u, v) turn about it by the right-hand rule).
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub origin: Point3,
    pub u: Vector3,
    pub v: Vector3,
}

impl Frame {
    /// The XY plane at height `z` (normal +Z).
    pub fn xy(z: f64) -> Frame {
        Frame {
            origin: Point3::new(0.0, 0.0, z),
            u: Vector3::unit_x(),
            v: Vector3::unit_y(),
        }
    }

    /// The XZ plane through y = `y`, with u = +X and v = +Z (normal −Y).
    pub fn xz(y: f64) -> Frame {
        Frame {
            origin: Point3::new(0.0, y, 0.0),
            u: Vector3::unit_x(),
            v: Vector3::unit_z(),
        }
    }

    /// A frame on the plane through `origin` with normal `n` (any in-plane u).
    pub fn with_normal(origin: Point3, n: Vector3) -> Frame {
        let n = n.normalize();
        let helper = if n.x.abs() < 0.9 {
            Vector3::unit_x()
        } else {
            Vector3::unit_y()
        };
        let u = (helper - n * helper.dot(n)).normalize();
        Frame {
            origin,
            u,
            v: n.cross(u),
        }
    }

    pub fn normal(&self) -> Vector3 {
        self.u.cross(self.v)
    }

    pub fn at(&self, p: P2) -> Point3 {
        self.origin + self.u * p[0] + self.v * p[1]
    }
}

/// How a polygon corner is finished.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Corner {
    Sharp,
    /// A tangent arc of this radius, mm.
    Fillet(f64),
    /// A symmetric chamfer: this distance cut back along both edges, mm.
    Chamfer(f64),
}

/// One closed loop of a sketch.
#[derive(Debug, Clone, PartialEq)]
pub enum Loop {
    /// Vertices counter-clockwise, each with its corner finish.
    Polygon(Vec<(P2, Corner)>),
    Circle {
        center: P2,
        radius: f64,
    },
    /// A path from `start` through `segs`, ending back at `start`.
    Path {
        start: P2,
        segs: Vec<Seg>,
    },
}

/// One piece of a [`Loop::Path`], from the previous point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Seg {
    Line(P2),
    /// An arc about `center` to `to`, counter-clockwise when `ccw`.
    Arc {
        center: P2,
        to: P2,
        ccw: bool,
    },
}

impl Loop {
    /// A polygon whose corners are all sharp.
    pub fn polygon(points: &[P2]) -> Loop {
        Loop::Polygon(points.iter().map(|&p| (p, Corner::Sharp)).collect())
    }

    /// An axis-aligned rectangle from `min` to `max` with one corner finish.
    pub fn rect(min: P2, max: P2, corner: Corner) -> Loop {
        Loop::Polygon(vec![
            (min, corner),
            ([max[0], min[1]], corner),
            (max, corner),
            ([min[0], max[1]], corner),
        ])
    }

    /// The enclosed area (mm²), exact for fillets, chamfers and circles.
    pub fn area(&self) -> f64 {
        match self {
            Loop::Circle { radius, .. } => std::f64::consts::PI * radius * radius,
            // Shoelace over the path sampled finely (arcs every 0.5 degree).
            Loop::Path { start, segs } => {
                let mut pts = vec![*start];
                for seg in segs {
                    let from = *pts.last().unwrap_or(start);
                    match *seg {
                        Seg::Line(to) => pts.push(to),
                        Seg::Arc { center, to, ccw } => {
                            let (a0, sweep) = arc_angles(center, from, to, ccw);
                            let r = len(sub(from, center));
                            let steps = (sweep.abs().to_degrees() * 2.0).ceil().max(1.0) as usize;
                            for k in 1..=steps {
                                let a = a0 + sweep * k as f64 / steps as f64;
                                pts.push([center[0] + r * a.cos(), center[1] + r * a.sin()]);
                            }
                        }
                    }
                }
                let n = pts.len();
                ((0..n)
                    .map(|i| {
                        let (a, b) = (pts[i], pts[(i + 1) % n]);
                        a[0] * b[1] - b[0] * a[1]
                    })
                    .sum::<f64>()
                    / 2.0)
                    .abs()
            }
            Loop::Polygon(pts) => {
                let n = pts.len();
                let shoelace: f64 = (0..n)
                    .map(|i| {
                        let (a, b) = (pts[i].0, pts[(i + 1) % n].0);
                        a[0] * b[1] - b[0] * a[1]
                    })
                    .sum::<f64>()
                    / 2.0;
                let cut: f64 = (0..n)
                    .map(|i| {
                        let theta =
                            interior_angle(pts[(i + n - 1) % n].0, pts[i].0, pts[(i + 1) % n].0);
                        match pts[i].1 {
                            Corner::Sharp => 0.0,
                            // Kite (two tangent triangles) minus the sector.
                            Corner::Fillet(r) => {
                                let half = theta / 2.0;
                                r * r / half.tan() - r * r * (std::f64::consts::PI - theta) / 2.0
                            }
                            Corner::Chamfer(c) => 0.5 * c * c * theta.sin(),
                        }
                    })
                    .sum();
                shoelace.abs() - cut
            }
        }
    }

    /// The wire of this loop in `frame`, counter-clockwise about the frame's
    /// normal when `ccw`, clockwise otherwise.
    pub fn wire(&self, frame: &Frame, ccw: bool) -> Result<Wire, Error> {
        let wire = match self {
            Loop::Circle { center, radius } => circle_wire(frame, *center, *radius)?,
            Loop::Polygon(pts) => polygon_wire(frame, pts)?,
            Loop::Path { start, segs } => path_wire(frame, *start, segs)?,
        };
        Ok(if ccw { wire } else { wire.inverse() })
    }
}

/// The angle at `b` between the edges to `a` and to `c`, radians.
fn interior_angle(a: P2, b: P2, c: P2) -> f64 {
    let (x, y) = (sub(a, b), sub(c, b));
    (dot(x, y) / (len(x) * len(y))).clamp(-1.0, 1.0).acos()
}

fn sub(a: P2, b: P2) -> P2 {
    [a[0] - b[0], a[1] - b[1]]
}
fn dot(a: P2, b: P2) -> f64 {
    a[0] * b[0] + a[1] * b[1]
}
fn len(a: P2) -> f64 {
    dot(a, a).sqrt()
}
fn along(p: P2, dir: P2, d: f64) -> P2 {
    let l = len(dir);
    [p[0] + dir[0] / l * d, p[1] + dir[1] / l * d]
}

/// Three 120° arcs: truck's single-span rational arc degenerates at 180°.
fn circle_wire(frame: &Frame, c: P2, r: f64) -> Result<Wire, Error> {
    if !(r > 0.0 && r.is_finite()) {
        return Err(Error::Sketch(format!(
            "circle radius {r} mm is not positive"
        )));
    }
    let at = |deg: f64| {
        let a = deg.to_radians();
        frame.at([c[0] + r * a.cos(), c[1] + r * a.sin()])
    };
    let v: Vec<Vertex> = [0.0, 120.0, 240.0]
        .iter()
        .map(|&d| builder::vertex(at(d)))
        .collect();
    Ok(Wire::from(vec![
        builder::circle_arc(&v[0], &v[1], at(60.0)),
        builder::circle_arc(&v[1], &v[2], at(180.0)),
        builder::circle_arc(&v[2], &v[0], at(300.0)),
    ]))
}

enum Piece {
    Point(P2),
    /// Start, end and the arc's midpoint.
    Arc(P2, P2, P2),
    Cut(P2, P2),
}

fn polygon_wire(frame: &Frame, pts: &[(P2, Corner)]) -> Result<Wire, Error> {
    let n = pts.len();
    if n < 3 {
        return Err(Error::Sketch("a polygon needs three vertices".into()));
    }
    let mut pieces = Vec::with_capacity(n);
    for i in 0..n {
        let (prev, (p, corner), next) = (pts[(i + n - 1) % n].0, pts[i], pts[(i + 1) % n].0);
        let (a, b) = (sub(prev, p), sub(next, p));
        let theta = interior_angle(prev, p, next);
        let piece = match corner {
            Corner::Sharp => Piece::Point(p),
            Corner::Chamfer(c) => {
                check_room(c, a, b, i)?;
                Piece::Cut(along(p, a, c), along(p, b, c))
            }
            Corner::Fillet(r) => {
                let d = r / (theta / 2.0).tan();
                check_room(d, a, b, i)?;
                let (l, m) = (len(a), len(b));
                let bis = [a[0] / l + b[0] / m, a[1] / l + b[1] / m];
                let center = along(p, bis, r / (theta / 2.0).sin());
                let mid = along(center, sub(p, center), r);
                Piece::Arc(along(p, a, d), along(p, b, d), mid)
            }
        };
        pieces.push(piece);
    }
    let ends = |piece: &Piece| match *piece {
        Piece::Point(p) => (p, p),
        Piece::Arc(s, e, _) | Piece::Cut(s, e) => (s, e),
    };
    // Vertices: each piece's start and (if distinct) end.
    let mut verts: Vec<(Vertex, Vertex)> = Vec::with_capacity(n);
    for piece in &pieces {
        let (s, e) = ends(piece);
        let vs = builder::vertex(frame.at(s));
        let ve = if matches!(piece, Piece::Point(_)) {
            vs.clone()
        } else {
            builder::vertex(frame.at(e))
        };
        verts.push((vs, ve));
    }
    let mut edges = Vec::with_capacity(2 * n);
    for i in 0..n {
        let (vs, ve) = &verts[i];
        match pieces[i] {
            Piece::Point(_) => {}
            Piece::Cut(..) => edges.push(builder::line(vs, ve)),
            Piece::Arc(_, _, mid) => edges.push(builder::circle_arc(vs, ve, frame.at(mid))),
        }
        let next_start = &verts[(i + 1) % n].0;
        if ends(&pieces[i]).1 != ends(&pieces[(i + 1) % n]).0 {
            edges.push(builder::line(ve, next_start));
        }
    }
    Ok(Wire::from(edges))
}

/// A corner finish must fit on both of its edges (half of each, so the
/// neighbouring corner has room too).
fn check_room(d: f64, a: P2, b: P2, corner: usize) -> Result<(), Error> {
    if d.is_nan() || d <= 0.0 || d > len(a) / 2.0 + 1e-9 || d > len(b) / 2.0 + 1e-9 {
        return Err(Error::Sketch(format!(
            "the fillet or chamfer at corner {corner} does not fit its edges"
        )));
    }
    Ok(())
}

/// Start angle and signed sweep (radians) of an arc about `c` from `a` to `b`.
fn arc_angles(c: P2, a: P2, b: P2, ccw: bool) -> (f64, f64) {
    use std::f64::consts::TAU;
    let a0 = (a[1] - c[1]).atan2(a[0] - c[0]);
    let a1 = (b[1] - c[1]).atan2(b[0] - c[0]);
    let mut sweep = (a1 - a0).rem_euclid(TAU);
    if sweep < 1e-12 {
        sweep = TAU;
    }
    if ccw { (a0, sweep) } else { (a0, sweep - TAU) }
}

/// Arcs are split into spans of at most 90 degrees (truck's rational arcs
/// are single quadratic spans, exact and well conditioned below 180).
fn path_wire(frame: &Frame, start: P2, segs: &[Seg]) -> Result<Wire, Error> {
    let first = builder::vertex(frame.at(start));
    let mut cur = (start, first.clone());
    let mut edges = Vec::new();
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        let to = match *seg {
            Seg::Line(to) | Seg::Arc { to, .. } => to,
        };
        if last && len(sub(to, start)) > 1e-9 {
            return Err(Error::Sketch("a path must end where it starts".into()));
        }
        let end_vertex = |p: P2| {
            if last {
                first.clone()
            } else {
                builder::vertex(frame.at(p))
            }
        };
        match *seg {
            Seg::Line(to) => {
                let v = end_vertex(to);
                edges.push(builder::line(&cur.1, &v));
                cur = (to, v);
            }
            Seg::Arc { center, to, ccw } => {
                let r = len(sub(cur.0, center));
                if (len(sub(to, center)) - r).abs() > 1e-7 * r.max(1.0) {
                    return Err(Error::Sketch(format!("arc {i} does not keep its radius")));
                }
                let (a0, sweep) = arc_angles(center, cur.0, to, ccw);
                let spans = (sweep.abs() / std::f64::consts::FRAC_PI_2 - 1e-9)
                    .ceil()
                    .max(1.0) as usize;
                let polar = |a: f64| [center[0] + r * a.cos(), center[1] + r * a.sin()];
                for k in 0..spans {
                    let mid = polar(a0 + sweep * (k as f64 + 0.5) / spans as f64);
                    let (p, v) = if k + 1 == spans {
                        (to, end_vertex(to))
                    } else {
                        let p = polar(a0 + sweep * (k + 1) as f64 / spans as f64);
                        (p, builder::vertex(frame.at(p)))
                    };
                    edges.push(builder::circle_arc(&cur.1, &v, frame.at(mid)));
                    cur = (p, v);
                }
            }
        }
    }
    Ok(Wire::from(edges))
}
