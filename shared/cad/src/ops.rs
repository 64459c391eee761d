//! Solid construction without booleans: a sketched region extruded into a
//! prism, then loops swept into or out of its planar faces (holes, pockets,
//! bosses) by editing the shell directly.
//!
//! Why not truck's booleans: they fail on coplanar faces (a hole's end on a
//! plate's face is exactly that) and the STEP writer then emits duplicate
//! entity ids. A swept loop shares its edges with the face it starts from, so
//! the shell stays closed and every surface stays exact.

use truck_modeling::{
    Face, InnerSpace, Plane, Point3, Shell, Solid, Surface, Vector3, Wire, builder,
};

use crate::Error;
use crate::sketch::{Frame, Loop};

/// Distances below this are equal (mm); well above truck's own tolerance.
const EPS: f64 = 1e-6;

/// Extrudes the region inside `outer` and outside every `holes` loop, laid
/// out in `frame`, by `height` mm along the frame's normal.
pub fn prism(frame: &Frame, outer: &Loop, holes: &[Loop], height: f64) -> Result<Shell, Error> {
    if height.is_nan() || height <= 0.0 {
        return Err(Error::Sketch(format!(
            "extrusion height {height} mm is not positive"
        )));
    }
    let mut wires = vec![outer.wire(frame, true)?];
    for h in holes {
        wires.push(h.wire(frame, false)?);
    }
    let face = Face::try_new(wires, plane_of(frame)).map_err(|e| Error::Topology(e.to_string()))?;
    let solid: Solid = builder::tsweep(&face, frame.normal() * height);
    solid
        .into_boundaries()
        .pop()
        .ok_or_else(|| Error::Topology("extrusion made no shell".into()))
}

fn plane_of(frame: &Frame) -> Surface {
    Surface::Plane(Plane::new(
        frame.origin,
        frame.origin + frame.u,
        frame.origin + frame.v,
    ))
}

/// The outward normal of a planar face and a point on it.
fn planar(face: &Face) -> Option<(Point3, Vector3)> {
    match face.surface() {
        Surface::Plane(p) => {
            let n = if face.orientation() {
                p.normal()
            } else {
                -p.normal()
            };
            Some((p.origin(), n))
        }
        _ => None,
    }
}

/// The index of the planar face through `point` whose outward normal is `normal`.
pub fn find_face(shell: &Shell, point: Point3, normal: Vector3) -> Result<usize, Error> {
    let normal = normal.normalize();
    let hits: Vec<usize> = shell
        .face_iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let (o, n) = planar(f)?;
            (n.dot(normal) > 1.0 - 1e-9 && (point - o).dot(n).abs() < EPS).then_some(i)
        })
        .collect();
    // Coplanar faces (a cable clip's two tabs): the one whose outer loop
    // holds the point.
    let hits = if hits.len() > 1 {
        hits.into_iter()
            .filter(|&i| outer_contains(&shell[i], point, normal))
            .collect()
    } else {
        hits
    };
    match hits.as_slice() {
        [i] => Ok(*i),
        [] => Err(Error::Topology(format!(
            "no planar face through {point:?} facing {normal:?}"
        ))),
        _ => Err(Error::Topology(format!(
            "several planar faces through {point:?}"
        ))),
    }
}

/// Where a swept loop ends.
#[derive(Debug, Clone, Copy)]
pub enum End {
    /// On the opposite planar face (a through hole): the face there is found
    /// by its outward normal, the reverse of the entry face's.
    Through,
    /// A new planar face closes it (a pocket's floor or a boss's top).
    Cap,
}

/// Sweeps `lp`, drawn in `frame` (which must lie on face `entry`, normal
/// outward), by `vector`: into the material for a hole or pocket (vector
/// against the normal), out of it for a boss (vector along it). The loop
/// becomes an inner boundary of the entry face; its swept walls and the end
/// (see [`End`]) close the shell again.
pub fn sweep_loop(
    shell: &mut Shell,
    entry: usize,
    frame: &Frame,
    lp: &Loop,
    vector: Vector3,
    end: End,
) -> Result<(), Error> {
    let n1 = frame.normal();
    // A hole in the entry face runs clockwise about its outward normal.
    let w1: Wire = lp.wire(frame, false)?;
    let mut walls: Shell = builder::tsweep(&w1, vector);
    let e0 = w1
        .front_edge()
        .ok_or_else(|| Error::Sketch("empty loop".into()))?
        .clone();
    let same_sense = walls
        .face_iter()
        .flat_map(|f| f.boundaries())
        .flat_map(|w| w.into_iter())
        .find(|e| e.id() == e0.id())
        .map(|e| e.orientation() == e0.orientation())
        .ok_or_else(|| Error::Topology("swept walls lost their base loop".into()))?;
    // Closed means every edge is used once in each direction.
    if same_sense {
        walls.face_iter_mut().for_each(|f| {
            f.invert();
        });
    }
    let w2 = walls
        .extract_boundaries()
        .into_iter()
        .find(|w| !w.edge_iter().any(|e| e.id() == e0.id()))
        .ok_or_else(|| Error::Topology("swept walls have no far loop".into()))?;
    let far_point = frame.origin + vector;
    match end {
        End::Through => {
            let exit = find_face(shell, far_point, -n1)?;
            shell[exit]
                .try_add_boundary(w2.inverse())
                .map_err(|e| Error::Topology(e.to_string()))?;
        }
        End::Cap => {
            let cap_frame = Frame {
                origin: far_point,
                u: frame.u,
                v: frame.v,
            };
            let cap = Face::try_new(vec![w2.inverse()], plane_of(&cap_frame))
                .map_err(|e| Error::Topology(e.to_string()))?;
            shell.push(cap);
        }
    }
    shell[entry]
        .try_add_boundary(w1)
        .map_err(|e| Error::Topology(e.to_string()))?;
    shell.append(&mut walls);
    Ok(())
}

/// A hole through the solid: `lp` drawn on the planar face at `frame`
/// (outward normal = the frame's), `depth` mm to the opposite face.
pub fn through_hole(shell: &mut Shell, frame: &Frame, lp: &Loop, depth: f64) -> Result<(), Error> {
    let entry = find_face(shell, frame.origin, frame.normal())?;
    sweep_loop(
        shell,
        entry,
        frame,
        lp,
        -frame.normal() * depth,
        End::Through,
    )
}

/// A blind pocket `depth` mm deep into the face at `frame`.
pub fn pocket(shell: &mut Shell, frame: &Frame, lp: &Loop, depth: f64) -> Result<(), Error> {
    let entry = find_face(shell, frame.origin, frame.normal())?;
    sweep_loop(shell, entry, frame, lp, -frame.normal() * depth, End::Cap)
}

/// A boss `height` mm proud of the face at `frame`.
pub fn boss(shell: &mut Shell, frame: &Frame, lp: &Loop, height: f64) -> Result<(), Error> {
    let entry = find_face(shell, frame.origin, frame.normal())?;
    sweep_loop(shell, entry, frame, lp, frame.normal() * height, End::Cap)
}

/// The finished solid; fails unless the shell is closed (every edge used
/// once in each direction).
pub fn solid(shell: Shell) -> Result<Solid, Error> {
    Solid::try_new(vec![shell]).map_err(|e| Error::NotClosed(e.to_string()))
}

/// Whether `point` (on the face's plane) lies inside the polygon of the
/// face's outer loop's vertices (exact for straight-edged faces).
fn outer_contains(face: &Face, point: Point3, normal: Vector3) -> bool {
    let frame = Frame::with_normal(point, normal);
    let Some(outer) = face.boundaries().into_iter().next() else {
        return false;
    };
    let pts: Vec<[f64; 2]> = outer
        .vertex_iter()
        .map(|v| {
            let d = v.point() - point;
            [d.dot(frame.u), d.dot(frame.v)]
        })
        .collect();
    // Even-odd ray cast from the origin (the point) along +u.
    let mut inside = false;
    for i in 0..pts.len() {
        let (a, b) = (pts[i], pts[(i + 1) % pts.len()]);
        if (a[1] > 0.0) != (b[1] > 0.0) && a[0] + (b[0] - a[0]) * (0.0 - a[1]) / (b[1] - a[1]) > 0.0
        {
            inside = !inside;
        }
    }
    inside
}

/// Inverts every face of `walls` unless they already run along `edge`
/// against its direction (a closed shell uses each edge once each way).
fn run_against(walls: &mut Shell, edge: &truck_modeling::Edge) -> Result<(), Error> {
    let same_sense = walls
        .face_iter()
        .flat_map(|f| f.boundaries())
        .flat_map(|w| w.into_iter())
        .find(|e| e.id() == edge.id())
        .map(|e| e.orientation() == edge.orientation())
        .ok_or_else(|| Error::Topology("swept walls lost their base loop".into()))?;
    if same_sense {
        walls.face_iter_mut().for_each(|f| {
            f.invert();
        });
    }
    Ok(())
}

/// A countersunk through hole: a cone from `countersink_d` on the face at
/// `frame` down to the bore `bore_d` at `cone_depth`, then the bore to the
/// opposite face, `depth` below the entry. The cone is the ruled surface
/// between the two circles (equal weights, aligned vertices: exact).
pub fn countersunk_hole(
    shell: &mut Shell,
    frame: &Frame,
    countersink_d: f64,
    bore_d: f64,
    cone_depth: f64,
    depth: f64,
) -> Result<(), Error> {
    if !(cone_depth > 0.0 && cone_depth < depth && countersink_d > bore_d) {
        return Err(Error::Sketch(
            "the countersink must be wider than the bore and shallower than the hole".into(),
        ));
    }
    let n1 = frame.normal();
    let entry = find_face(shell, frame.origin, n1)?;
    let circle = |d: f64| Loop::Circle {
        center: [0.0, 0.0],
        radius: d / 2.0,
    };
    let w1 = circle(countersink_d).wire(frame, false)?;
    let mid_frame = Frame {
        origin: frame.origin - n1 * cone_depth,
        u: frame.u,
        v: frame.v,
    };
    let w_mid = circle(bore_d).wire(&mid_frame, false)?;
    let mut cone =
        builder::try_wire_homotopy(&w1, &w_mid).map_err(|e| Error::Topology(e.to_string()))?;
    let e0 = w1
        .front_edge()
        .ok_or_else(|| Error::Sketch("empty loop".into()))?
        .clone();
    run_against(&mut cone, &e0)?;
    // The bore must run along the middle circle against the cone's use of it.
    let em = w_mid
        .front_edge()
        .ok_or_else(|| Error::Sketch("empty loop".into()))?
        .clone();
    let cone_use = cone
        .face_iter()
        .flat_map(|f| f.boundaries())
        .flat_map(|w| w.into_iter())
        .find(|e| e.id() == em.id())
        .ok_or_else(|| Error::Topology("the cone lost its bore circle".into()))?;
    let mut bore: Shell = builder::tsweep(&w_mid, -n1 * (depth - cone_depth));
    run_against(&mut bore, &cone_use)?;
    let w2 = bore
        .extract_boundaries()
        .into_iter()
        .find(|w| !w.edge_iter().any(|e| e.id() == em.id()))
        .ok_or_else(|| Error::Topology("the bore has no far loop".into()))?;
    let exit = find_face(shell, frame.origin - n1 * depth, -n1)?;
    shell[exit]
        .try_add_boundary(w2.inverse())
        .map_err(|e| Error::Topology(e.to_string()))?;
    shell[entry]
        .try_add_boundary(w1)
        .map_err(|e| Error::Topology(e.to_string()))?;
    shell.append(&mut cone);
    shell.append(&mut bore);
    Ok(())
}

/// A solid of revolution about the z axis: the open profile `points` in the
/// x-z plane (x = radius > 0; consecutive points joined by lines, or by an
/// arc through `Some(mid)`), from a point at z = 0 to one at the top, swept
/// a full turn; its two end circles are closed by planar caps, so the faces
/// at z = 0 and at the top are planes (holes can be drilled through them).
pub fn revolve_capped(points: &[([f64; 2], Option<[f64; 2]>)]) -> Result<Shell, Error> {
    use truck_modeling::{EuclideanSpace, Rad};
    if points.len() < 2 || points.iter().any(|(p, _)| p[0] <= 0.0) {
        return Err(Error::Sketch(
            "a revolved profile needs two points off the axis".into(),
        ));
    }
    let at = |p: [f64; 2]| Point3::new(p[0], 0.0, p[1]);
    let verts: Vec<_> = points
        .iter()
        .map(|(p, _)| builder::vertex(at(*p)))
        .collect();
    let edges: Vec<_> = (1..points.len())
        .map(|i| match points[i].1 {
            Some(mid) => builder::circle_arc(&verts[i - 1], &verts[i], at(mid)),
            None => builder::line(&verts[i - 1], &verts[i]),
        })
        .collect();
    let wire = Wire::from(edges);
    let mut shell: Shell = builder::rsweep(
        &wire,
        Point3::origin(),
        Vector3::unit_z(),
        Rad(2.0 * std::f64::consts::PI),
    );
    let ends = shell.extract_boundaries();
    if ends.len() != 2 {
        return Err(Error::Topology(format!(
            "a revolved profile left {} open loops",
            ends.len()
        )));
    }
    let top_z = points[points.len() - 1].0[1];
    let mut flipped = false;
    for end in ends {
        let cap_wire = end.inverse();
        let z = cap_wire.vertex_iter().next().map_or(0.0, |v| v.point().z);
        // Which way the loop turns about +z, from its vertices' shoelace.
        let pts: Vec<Point3> = cap_wire.vertex_iter().map(|v| v.point()).collect();
        let turn: f64 = (0..pts.len())
            .map(|i| {
                let (a, b) = (pts[i], pts[(i + 1) % pts.len()]);
                a.x * b.y - b.x * a.y
            })
            .sum();
        let up = turn > 0.0;
        let frame = if up {
            Frame::xy(z)
        } else {
            Frame {
                origin: Point3::new(0.0, 0.0, z),
                u: Vector3::unit_x(),
                v: -Vector3::unit_y(),
            }
        };
        // The top cap must face +z; if the sweep's turn makes it face −z,
        // every face is inside out and is flipped below.
        if (z - top_z).abs() < EPS {
            flipped = !up;
        }
        let cap = Face::try_new(vec![cap_wire], plane_of(&frame))
            .map_err(|e| Error::Topology(e.to_string()))?;
        shell.push(cap);
    }
    if flipped {
        shell.face_iter_mut().for_each(|f| {
            f.invert();
        });
    }
    Ok(shell)
}
