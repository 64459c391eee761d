//! Stepped prisms: a profile in the x-z plane extruded along +y in segments
//! whose profiles differ (a gusset's segment adds a triangle to an
//! L-bracket's profile). Built face by face with shared edges, so no boolean
//! is needed: each segment's side faces, planar caps at both ends and, where
//! two segments meet, a cap over the region one has and the other lacks.
//!
//! Straight profile edges are split where a neighbouring segment's profile
//! has a vertex on them (no T-junctions); the faces themselves stay whole.

use std::collections::HashMap;

use truck_modeling::{
    BSplineSurface, Edge, Face, NurbsSurface, Plane, Point3, Shell, Surface, Vertex, Wire, builder,
};

use crate::Error;

type EdgeId = truck_topology::EdgeID<truck_modeling::Curve>;
use crate::sketch::P2;

/// A closed loop in the x-z plane: each vertex, and the midpoint of the arc
/// to the next vertex (`None` for a line).
pub type Profile = Vec<(P2, Option<P2>)>;

/// One segment: `profile` from y = `y0` to y = `y1`.
#[derive(Debug, Clone)]
pub struct Segment {
    pub profile: Profile,
    pub y0: f64,
    pub y1: f64,
}

type Key = (i64, i64, i64);

fn key(p: P2, y: f64) -> Key {
    let q = |v: f64| (v * 1e6).round() as i64;
    (q(p[0]), q(p[1]), q(y))
}

fn at(p: P2, y: f64) -> Point3 {
    Point3::new(p[0], y, p[1])
}

#[derive(Default)]
struct Builder {
    vertices: HashMap<Key, Vertex>,
    edges: HashMap<(Key, Key), Edge>,
}

impl Builder {
    fn vertex(&mut self, p: P2, y: f64) -> Vertex {
        self.vertices
            .entry(key(p, y))
            .or_insert_with(|| builder::vertex(at(p, y)))
            .clone()
    }

    /// The edge from `a` to `b` (an arc through `mid` when given), shared.
    fn edge(&mut self, a: (P2, f64), b: (P2, f64), mid: Option<Point3>) -> Edge {
        let (ka, kb) = (key(a.0, a.1), key(b.0, b.1));
        if let Some(e) = self.edges.get(&(ka, kb)) {
            return e.clone();
        }
        if let Some(e) = self.edges.get(&(kb, ka)) {
            return e.inverse();
        }
        let (va, vb) = (self.vertex(a.0, a.1), self.vertex(b.0, b.1));
        let e = match mid {
            Some(m) => builder::circle_arc(&va, &vb, m),
            None => builder::line(&va, &vb),
        };
        self.edges.insert((ka, kb), e.clone());
        e
    }
}

/// Points of `split` strictly inside the segment p→q, ordered from p.
fn inner_points(p: P2, q: P2, split: &[P2]) -> Vec<P2> {
    let d = [q[0] - p[0], q[1] - p[1]];
    let l2 = d[0] * d[0] + d[1] * d[1];
    let mut inside: Vec<(f64, P2)> = split
        .iter()
        .filter_map(|&s| {
            let w = [s[0] - p[0], s[1] - p[1]];
            let t = (w[0] * d[0] + w[1] * d[1]) / l2;
            let cross = w[0] * d[1] - w[1] * d[0];
            (cross.abs() < 1e-9 * l2.sqrt().max(1.0) && t > 1e-9 && t < 1.0 - 1e-9)
                .then_some((t, s))
        })
        .collect();
    inside.sort_by(|a, b| a.0.total_cmp(&b.0));
    inside.dedup_by(|a, b| (a.0 - b.0).abs() < 1e-12);
    inside.into_iter().map(|(_, s)| s).collect()
}

/// Builds the shell of `segments` (consecutive, sharing end levels) with
/// `inter_caps[i]` closing the step between segment i and i + 1 (the region
/// one profile has and the other lacks, as a profile).
pub fn stepped_prism(segments: &[Segment], inter_caps: &[Profile]) -> Result<Shell, Error> {
    if segments.is_empty() || inter_caps.len() + 1 != segments.len() {
        return Err(Error::Sketch(
            "a stepped prism needs one step cap between each two segments".into(),
        ));
    }
    // Points at each level: every vertex of a profile or cap touching it.
    let mut levels: Vec<(f64, Vec<P2>)> = Vec::new();
    let mut touch = |y: f64, prof: &Profile| {
        let pts = prof.iter().map(|(p, _)| *p);
        match levels.iter_mut().find(|(l, _)| (l - y).abs() < 1e-9) {
            Some((_, v)) => v.extend(pts),
            None => levels.push((y, pts.collect())),
        }
    };
    for s in segments {
        touch(s.y0, &s.profile);
        touch(s.y1, &s.profile);
    }
    for (i, c) in inter_caps.iter().enumerate() {
        touch(segments[i].y1, c);
    }
    let split_at = |y: f64| -> Vec<P2> {
        levels
            .iter()
            .find(|(l, _)| (l - y).abs() < 1e-9)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };

    let mut b = Builder::default();
    // The edges of the profile edge i at level y, from its start to its end.
    let chain = |b: &mut Builder, prof: &Profile, i: usize, y: f64| -> Vec<Edge> {
        let (p, mid) = prof[i];
        let q = prof[(i + 1) % prof.len()].0;
        match mid {
            Some(m) => vec![b.edge((p, y), (q, y), Some(at(m, y)))],
            None => {
                let mut pts = vec![p];
                pts.extend(inner_points(p, q, &split_at(y)));
                pts.push(q);
                pts.windows(2)
                    .map(|w| b.edge((w[0], y), (w[1], y), None))
                    .collect()
            }
        }
    };
    let mut faces: Vec<Face> = Vec::new();
    for s in segments {
        let n = s.profile.len();
        for i in 0..n {
            let (p, mid) = s.profile[i];
            let q = s.profile[(i + 1) % n].0;
            let bottom = chain(&mut b, &s.profile, i, s.y0);
            let top = chain(&mut b, &s.profile, i, s.y1);
            let up_q = b.edge((q, s.y0), (q, s.y1), None);
            let up_p = b.edge((p, s.y0), (p, s.y1), None);
            let mut edges = bottom.clone();
            edges.push(up_q);
            edges.extend(top.iter().rev().map(|e| e.inverse()));
            edges.push(up_p.inverse());
            let surface = match mid {
                None => Surface::Plane(Plane::new(at(p, s.y0), at(q, s.y0), at(p, s.y1))),
                Some(_) => {
                    let c0 = bottom[0].oriented_curve().lift_up();
                    let c1 = top[0].oriented_curve().lift_up();
                    Surface::NurbsSurface(NurbsSurface::new(BSplineSurface::homotopy(c0, c1)))
                }
            };
            faces.push(
                Face::try_new(vec![Wire::from(edges)], surface)
                    .map_err(|e| Error::Topology(e.to_string()))?,
            );
        }
    }
    let first_cap = faces.len();
    let mut caps: Vec<(f64, &Profile)> = vec![(segments[0].y0, &segments[0].profile)];
    for (i, c) in inter_caps.iter().enumerate() {
        caps.push((segments[i].y1, c));
    }
    let last = &segments[segments.len() - 1];
    caps.push((last.y1, &last.profile));
    for (y, prof) in caps {
        let edges: Vec<Edge> = (0..prof.len())
            .flat_map(|i| chain(&mut b, prof, i, y))
            .collect();
        let pts: Vec<P2> = prof.iter().map(|(p, _)| *p).collect();
        let turn: f64 = (0..pts.len())
            .map(|i| {
                let (a, c) = (pts[i], pts[(i + 1) % pts.len()]);
                a[0] * c[1] - c[0] * a[1]
            })
            .sum();
        // Counter-clockwise in (x, z) turns about x × z = −y.
        let (o, u) = (at([0.0, 0.0], y), at([1.0, 0.0], y));
        let plane = if turn > 0.0 {
            Plane::new(o, u, at([0.0, 1.0], y))
        } else {
            Plane::new(o, at([0.0, 1.0], y), u)
        };
        faces.push(
            Face::try_new(vec![Wire::from(edges)], Surface::Plane(plane))
                .map_err(|e| Error::Topology(e.to_string()))?,
        );
    }
    orient(faces, first_cap)
}

/// Flips faces so every shared edge is used once in each direction
/// (breadth-first from the first face); the caller fixes the overall sign.
fn orient(mut faces: Vec<Face>, first_cap: usize) -> Result<Shell, Error> {
    let uses = |f: &Face| -> Vec<(EdgeId, bool)> {
        f.boundaries()
            .iter()
            .flat_map(|w| {
                w.edge_iter()
                    .map(|e| (e.id(), e.orientation()))
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let mut by_edge: HashMap<EdgeId, Vec<usize>> = HashMap::new();
    for (i, f) in faces.iter().enumerate() {
        for (e, _) in uses(f) {
            by_edge.entry(e).or_default().push(i);
        }
    }
    let mut done = vec![false; faces.len()];
    let mut queue = vec![0usize];
    done[0] = true;
    while let Some(i) = queue.pop() {
        for (e, dir) in uses(&faces[i]) {
            for &j in by_edge.get(&e).into_iter().flatten() {
                if done[j] {
                    continue;
                }
                let same = uses(&faces[j]).iter().any(|&(e2, d2)| e2 == e && d2 == dir);
                if same {
                    faces[j].invert();
                }
                done[j] = true;
                queue.push(j);
            }
        }
    }
    if done.iter().any(|d| !d) {
        return Err(Error::NotClosed(
            "the stepped prism's faces are not connected".into(),
        ));
    }
    // The first cap sits at the lowest y: its outward normal is −y.
    let first_cap = &faces[first_cap];
    if let Surface::Plane(p) = first_cap.surface() {
        let n = if first_cap.orientation() {
            p.normal()
        } else {
            -p.normal()
        };
        if n.y > 0.0 {
            faces.iter_mut().for_each(|f| {
                f.invert();
            });
        }
    }
    Ok(Shell::from(merge_coplanar(faces)))
}

/// The oriented outward normal and a point of a planar face.
fn plane_of(f: &Face) -> Option<(truck_modeling::Vector3, Point3)> {
    match f.surface() {
        Surface::Plane(p) => Some((
            if f.orientation() {
                p.normal()
            } else {
                -p.normal()
            },
            p.origin(),
        )),
        _ => None,
    }
}

/// Joins neighbouring faces on one plane (the base's top face of every
/// segment) into one face, so a hole may cross a segment's end: the shared
/// edges go, the rest is chained into the new face's single loop.
fn merge_coplanar(mut faces: Vec<Face>) -> Vec<Face> {
    use truck_modeling::InnerSpace;
    'again: loop {
        for i in 0..faces.len() {
            for j in i + 1..faces.len() {
                let (Some((ni, oi)), Some((nj, oj))) = (plane_of(&faces[i]), plane_of(&faces[j]))
                else {
                    continue;
                };
                if ni.dot(nj) < 1.0 - 1e-9 || ni.dot(oj - oi).abs() > 1e-9 {
                    continue;
                }
                let (bi, bj) = (faces[i].boundaries(), faces[j].boundaries());
                if bi.len() != 1 || bj.len() != 1 {
                    continue;
                }
                let ids_i: Vec<EdgeId> = bi[0].edge_iter().map(|e| e.id()).collect();
                let shared: Vec<EdgeId> = bj[0]
                    .edge_iter()
                    .map(|e| e.id())
                    .filter(|id| ids_i.contains(id))
                    .collect();
                if shared.is_empty() {
                    continue;
                }
                let rest: Vec<Edge> = bi[0]
                    .edge_iter()
                    .chain(bj[0].edge_iter())
                    .filter(|e| !shared.contains(&e.id()))
                    .cloned()
                    .collect();
                let Some(wire) = single_loop(rest) else {
                    continue;
                };
                let surface = faces[i].surface();
                let merged = if faces[i].orientation() {
                    Face::try_new(vec![wire], surface)
                } else {
                    Face::try_new(vec![wire.inverse()], surface).map(|mut f| {
                        f.invert();
                        f
                    })
                };
                if let Ok(f) = merged {
                    faces[i] = f;
                    faces.remove(j);
                    continue 'again;
                }
            }
        }
        return faces;
    }
}

/// Chains oriented edges head to tail into one closed loop, if they form one.
fn single_loop(mut edges: Vec<Edge>) -> Option<Wire> {
    let mut wire = vec![edges.pop()?];
    while !edges.is_empty() {
        let tail = wire.last()?.back().id();
        let k = edges.iter().position(|e| e.front().id() == tail)?;
        wire.push(edges.swap_remove(k));
    }
    let closed = wire.first()?.front().id() == wire.last()?.back().id();
    closed.then(|| Wire::from(wire))
}
