//! Each part family as a solid: the profile the family's docstring in
//! `farm_partspec::spec` describes, extruded, then the placed holes
//! (`Part::holes`) drilled through it.

use std::f64::consts::PI;

use farm_partspec::gear::GearProfile;
use farm_partspec::{
    AngleBracket, BoxPart, CableClip, CornerProfile, Cylinder, Flange, Hook, Knob, LBracket,
    LID_GAP_MM, Part, PlacedHole, Plate, SpurGear, Standoff,
};
use truck_modeling::{Point3, Shell, Solid, Vector3};

use crate::Error;
use crate::ops::{boss, countersunk_hole, pocket, prism, revolve_capped, solid, through_hole};
use crate::sketch::{Corner, Frame, Loop, P2, Seg};
use crate::stepped::{Profile, Segment, stepped_prism};

/// Points per involute flank and per tip/root arc of a gear's outline: the
/// polyline's area is then within 0.05 % of the exact profile's for gears
/// from 8 to 100 teeth (checked in the read-back test).
pub const GEAR_FLANK_POINTS: usize = 18;

/// The solids of `part` (two for a box with a lid), in the spec's coordinates.
pub fn build(part: &Part) -> Result<Vec<Solid>, Error> {
    let (shells, drill) = match part {
        Part::Plate(p) => (vec![plate(p)?], true),
        Part::LBracket(b) => (vec![l_bracket(b)?], true),
        Part::Hook(h) => (vec![hook(h)?], true),
        Part::CableClip(c) => (vec![clip(c)?], true),
        Part::Flange(f) => (vec![flange(f)?], true),
        Part::Box(b) => (boxed(b)?, false),
        Part::Cylinder(c) => (vec![cylinder(c)?], false),
        Part::Spacer(s) => (
            vec![tube(
                s.outer_diameter_mm,
                Some(s.bore_diameter_mm),
                s.length_mm,
            )?],
            false,
        ),
        Part::Washer(w) => (
            vec![tube(
                w.outer_diameter_mm,
                Some(w.inner_diameter_mm),
                w.thickness_mm,
            )?],
            false,
        ),
        Part::Standoff(s) => (vec![standoff(s)?], false),
        Part::Knob(k) => (vec![knob(k)?], false),
        Part::SpurGear(g) => (vec![gear(g)?], false),
        Part::AngleBracket(a) => (vec![angle_bracket(a)?], true),
    };
    let mut shells = shells;
    if drill {
        for hole in part.holes() {
            drill_hole(&mut shells[0], &hole)?;
        }
    }
    shells.into_iter().map(solid).collect()
}

fn corner(c: CornerProfile) -> Corner {
    match c {
        CornerProfile::Fillet { radius_mm } if radius_mm > 0.0 => Corner::Fillet(radius_mm),
        CornerProfile::Chamfer { size_mm } if size_mm > 0.0 => Corner::Chamfer(size_mm),
        _ => Corner::Sharp,
    }
}

fn fillet(r: f64) -> Corner {
    if r > 0.0 {
        Corner::Fillet(r)
    } else {
        Corner::Sharp
    }
}

fn circle(d: f64) -> Loop {
    Loop::Circle {
        center: [0.0, 0.0],
        radius: d / 2.0,
    }
}

fn drill_hole(shell: &mut Shell, hole: &PlacedHole) -> Result<(), Error> {
    let [x, y, z] = hole.entry;
    let [dx, dy, dz] = hole.direction;
    let frame = Frame::with_normal(Point3::new(x, y, z), -Vector3::new(dx, dy, dz));
    let d = hole.spec.diameter_mm;
    match &hole.spec.countersink {
        None => through_hole(shell, &frame, &circle(d), hole.depth_mm),
        Some(cs) => {
            let cone = farm_partspec::holes::countersink_depth_mm(cs, d);
            countersunk_hole(shell, &frame, cs.diameter_mm, d, cone, hole.depth_mm)
        }
    }
}

fn plate(p: &Plate) -> Result<Shell, Error> {
    let outline = Loop::rect([0.0, 0.0], [p.length_mm, p.width_mm], corner(p.corners));
    prism(&Frame::xy(0.0), &outline, &[], p.thickness_mm)
}

/// Profiles in the x-z plane are extruded along −y from y = width, so the
/// part spans y from 0 to width (the x-z frame's normal is −y).
fn xz_prism(outline: &Loop, width: f64) -> Result<Shell, Error> {
    prism(&Frame::xz(width), outline, &[], width)
}

fn l_bracket(b: &LBracket) -> Result<Shell, Error> {
    let (l, h, t) = (b.length_mm, b.height_mm, b.thickness_mm);
    let outline = Loop::Polygon(vec![
        ([0.0, 0.0], corner(b.outer_corner)),
        ([l, 0.0], Corner::Sharp),
        ([l, t], Corner::Sharp),
        ([t, t], fillet(b.inner_fillet_mm)),
        ([t, h], Corner::Sharp),
        ([0.0, h], Corner::Sharp),
    ]);
    xz_prism(&outline, b.width_mm)
}

/// The L profile (counter-clockwise in x-z) with the inner corner either
/// bridged by a gusset's hypotenuse of legs `gusset` or kept.
fn bracket_profile(b: &LBracket, gusset: Option<f64>) -> Profile {
    let (l, h, t) = (b.length_mm, b.height_mm, b.thickness_mm);
    let mut p: Profile = match corner(b.outer_corner) {
        Corner::Sharp => vec![([0.0, 0.0], None)],
        Corner::Chamfer(c) => vec![([0.0, c], None), ([c, 0.0], None)],
        Corner::Fillet(f) => {
            let m = f - f * std::f64::consts::FRAC_1_SQRT_2;
            vec![([0.0, f], Some([m, m])), ([f, 0.0], None)]
        }
    };
    p.push(([l, 0.0], None));
    p.push(([l, t], None));
    match gusset {
        Some(s) => {
            p.push(([t + s, t], None));
            p.push(([t, t + s], None));
        }
        None => p.extend(inner_corner(b, None)),
    }
    p.push(([t, h], None));
    p.push(([0.0, h], None));
    p
}

/// The inner corner's vertices from the base's top face to the upright's
/// inner face, split at a gusset's feet when `gusset` is its size.
fn inner_corner(b: &LBracket, gusset: Option<f64>) -> Profile {
    let (t, r) = (b.thickness_mm, b.inner_fillet_mm);
    let mut p: Profile = Vec::new();
    if let Some(s) = gusset {
        p.push(([t + s, t], None));
    }
    if r > 0.0 {
        let m = t + r - r * std::f64::consts::FRAC_1_SQRT_2;
        p.push(([t + r, t], Some([m, m])));
        p.push(([t, t + r], None));
    } else {
        p.push(([t, t], None));
    }
    p
}

fn angle_bracket(a: &AngleBracket) -> Result<Shell, Error> {
    let (b, g) = (&a.bracket, &a.gusset);
    let (w, gt, s, t) = (b.width_mm, g.thickness_mm, g.size_mm, b.thickness_mm);
    // Split at the gusset's feet only where a gusset's segment meets it
    // (stepped_prism splits edges per level), so the base's top face stays
    // whole for holes that cross the gusset's line.
    let plain = bracket_profile(b, None);
    let gusseted = bracket_profile(b, Some(s));
    // The step between them: the triangle less the inner fillet's spandrel.
    let mut step = inner_corner(b, Some(s));
    step.push(([t, t + s], None));
    let segments: Vec<(Profile, f64, f64)> = match g.count {
        1 => {
            let y0 = (w - gt) / 2.0;
            vec![
                (plain.clone(), 0.0, y0),
                (gusseted, y0, y0 + gt),
                (plain, y0 + gt, w),
            ]
        }
        2 => vec![
            (gusseted.clone(), 0.0, gt),
            (plain, gt, w - gt),
            (gusseted, w - gt, w),
        ],
        n => {
            return Err(Error::Unsupported(format!(
                "{n} gussets (1 or 2 are modelled)"
            )));
        }
    };
    let segments: Vec<Segment> = segments
        .into_iter()
        .map(|(profile, y0, y1)| Segment { profile, y0, y1 })
        .collect();
    stepped_prism(&segments, &[step.clone(), step])
}

fn hook(k: &Hook) -> Result<Shell, Error> {
    let (t, r) = (k.thickness_mm, k.reach_mm);
    let outline = Loop::polygon(&[
        [0.0, 0.0],
        [r, 0.0],
        [r, k.tip_height_mm],
        [r - t, k.tip_height_mm],
        [r - t, t],
        [t, t],
        [t, k.back_height_mm],
        [0.0, k.back_height_mm],
    ]);
    xz_prism(&outline, k.width_mm)
}

/// The clip's profile. The ring's two ends are cut along radii (the
/// opening is `opening_mm` at the inner circle and widens outwards), so
/// each end is a full-thickness face meeting both arcs at right angles: no
/// acute tip for the thin-wall check to find (a vertical cut left a wedge
/// under 0.8 mm at each end of the ring).
fn clip(c: &CableClip) -> Result<Shell, Error> {
    let t = c.thickness_mm;
    let ri = c.cable_diameter_mm / 2.0;
    let ro = ri + t;
    let zc = t + ri;
    let half = c.base_length_mm / 2.0;
    let x1 = (ro * ro - ri * ri).sqrt();
    let centre = [0.0, zc];
    // Half the opening's angle, measured from +z at the ring's centre.
    let (sin_a, cos_a) = farm_partspec::geometry::clip_opening_half_angle(c).sin_cos();
    let outer_end = [ro * sin_a, zc + ro * cos_a];
    let inner_end = [ri * sin_a, zc + ri * cos_a];
    let outline = Loop::Path {
        start: [-half, 0.0],
        segs: vec![
            Seg::Line([half, 0.0]),
            Seg::Line([half, t]),
            Seg::Line([x1, t]),
            Seg::Arc {
                center: centre,
                to: outer_end,
                ccw: true,
            },
            Seg::Line(inner_end),
            Seg::Arc {
                center: centre,
                to: [-inner_end[0], inner_end[1]],
                ccw: false,
            },
            Seg::Line([-outer_end[0], outer_end[1]]),
            Seg::Arc {
                center: centre,
                to: [-x1, t],
                ccw: true,
            },
            Seg::Line([-half, t]),
            Seg::Line([-half, 0.0]),
        ],
    };
    xz_prism(&outline, c.width_mm)
}

fn flange(f: &Flange) -> Result<Shell, Error> {
    let t = f.thickness_mm;
    match &f.hub {
        None => prism(
            &Frame::xy(0.0),
            &circle(f.outer_diameter_mm),
            &[circle(f.bore_diameter_mm)],
            t,
        ),
        Some(hub) => {
            let mut shell = prism(&Frame::xy(0.0), &circle(f.outer_diameter_mm), &[], t)?;
            boss(
                &mut shell,
                &Frame::xy(t),
                &circle(hub.diameter_mm),
                hub.height_mm,
            )?;
            let top = Frame::xy(t + hub.height_mm);
            through_hole(
                &mut shell,
                &top,
                &circle(f.bore_diameter_mm),
                t + hub.height_mm,
            )?;
            Ok(shell)
        }
    }
}

fn rounded_rect(center: P2, l: f64, w: f64, r: f64) -> Loop {
    let min = [center[0] - l / 2.0, center[1] - w / 2.0];
    let max = [center[0] + l / 2.0, center[1] + w / 2.0];
    Loop::rect(min, max, fillet(r))
}

fn boxed(b: &BoxPart) -> Result<Vec<Shell>, Error> {
    let (l, w, wall) = (b.length_mm, b.width_mm, b.wall_mm);
    let r = b.corner_radius_mm;
    let ri = (r - wall).max(0.0);
    let (cl, cw) = (l - 2.0 * wall, w - 2.0 * wall);
    let mid = [l / 2.0, w / 2.0];
    let mut body = prism(
        &Frame::xy(0.0),
        &rounded_rect(mid, l, w, r),
        &[],
        b.height_mm,
    )?;
    let top = Frame::xy(b.height_mm);
    let cavity = Loop::rect(
        [mid[0] - cl / 2.0, mid[1] - cw / 2.0],
        [mid[0] + cl / 2.0, mid[1] + cw / 2.0],
        fillet(ri),
    );
    pocket(&mut body, &top, &cavity, b.height_mm - b.floor_mm)?;
    let mut shells = vec![body];
    if let Some(lid) = &b.lid {
        let c = lid.clearance_mm;
        let lid_mid = [l + LID_GAP_MM + l / 2.0, w / 2.0];
        let mut plate = prism(
            &Frame::xy(0.0),
            &rounded_rect(lid_mid, l, w, r),
            &[],
            lid.thickness_mm,
        )?;
        let face = Frame::xy(lid.thickness_mm);
        let (ol, ow) = (cl - 2.0 * c, cw - 2.0 * c);
        boss(
            &mut plate,
            &face,
            &rounded_rect(lid_mid, ol, ow, (ri - c).max(0.0)),
            lid.lip_height_mm,
        )?;
        let lip_top = Frame::xy(lid.thickness_mm + lid.lip_height_mm);
        let inner = rounded_rect(
            lid_mid,
            ol - 2.0 * wall,
            ow - 2.0 * wall,
            (ri - c - wall).max(0.0),
        );
        pocket(&mut plate, &lip_top, &inner, lid.lip_height_mm)?;
        shells.push(plate);
    }
    Ok(shells)
}

fn tube(outer: f64, bore: Option<f64>, height: f64) -> Result<Shell, Error> {
    let holes: Vec<Loop> = bore.filter(|d| *d > 0.0).map(circle).into_iter().collect();
    prism(&Frame::xy(0.0), &circle(outer), &holes, height)
}

fn cylinder(c: &Cylinder) -> Result<Shell, Error> {
    let (r, h) = (c.diameter_mm / 2.0, c.height_mm);
    let profile = match corner(c.edges) {
        Corner::Sharp => return tube(c.diameter_mm, c.bore_diameter_mm, h),
        Corner::Chamfer(k) => vec![
            ([r - k, 0.0], None),
            ([r, k], None),
            ([r, h - k], None),
            ([r - k, h], None),
        ],
        Corner::Fillet(f) => {
            let s = std::f64::consts::FRAC_1_SQRT_2 * f;
            vec![
                ([r - f, 0.0], None),
                ([r, f], Some([r - f + s, f - s])),
                ([r, h - f], None),
                ([r - f, h], Some([r - f + s, h - f + s])),
            ]
        }
    };
    let mut shell = revolve_capped(&profile)?;
    if let Some(bore) = c.bore_diameter_mm.filter(|d| *d > 0.0) {
        through_hole(&mut shell, &Frame::xy(h), &circle(bore), h)?;
    }
    Ok(shell)
}

fn standoff(s: &Standoff) -> Result<Shell, Error> {
    // Vertices on ±x: circumradius = across-flats / √3.
    let r = s.across_flats_mm / 3f64.sqrt();
    let hex: Vec<P2> = (0..6)
        .map(|i| {
            let a = PI / 3.0 * f64::from(i);
            [r * a.cos(), r * a.sin()]
        })
        .collect();
    prism(
        &Frame::xy(0.0),
        &Loop::polygon(&hex),
        &[circle(s.bore_diameter_mm)],
        s.length_mm,
    )
}

fn knob(k: &Knob) -> Result<Shell, Error> {
    let r = k.diameter_mm / 2.0;
    let outline = if k.flutes == 0 || k.flute_radius_mm <= 0.0 {
        circle(k.diameter_mm)
    } else {
        let n = k.flutes;
        let pitch = 2.0 * PI / f64::from(n);
        let alpha = farm_partspec::geometry::flute_half_angle(k);
        let rim = |a: f64| [r * a.cos(), r * a.sin()];
        let phi = |i: u32| pitch / 2.0 + pitch * f64::from(i);
        let mut segs = Vec::new();
        for i in 0..n {
            let c = rim(phi(i));
            segs.push(Seg::Arc {
                center: c,
                to: rim(phi(i) + alpha),
                ccw: false,
            });
            let next = if i + 1 == n {
                phi(0) + 2.0 * PI
            } else {
                phi(i + 1)
            };
            let to = if i + 1 == n {
                rim(phi(0) - alpha)
            } else {
                rim(next - alpha)
            };
            segs.push(Seg::Arc {
                center: [0.0, 0.0],
                to,
                ccw: true,
            });
        }
        Loop::Path {
            start: rim(phi(0) - alpha),
            segs,
        }
    };
    let mut shell = prism(&Frame::xy(0.0), &outline, &[], k.height_mm)?;
    let bottom = Frame {
        origin: Point3::new(0.0, 0.0, 0.0),
        u: Vector3::unit_x(),
        v: -Vector3::unit_y(),
    };
    pocket(
        &mut shell,
        &bottom,
        &circle(k.shaft_diameter_mm),
        k.shaft_depth_mm,
    )?;
    Ok(shell)
}

fn gear(g: &SpurGear) -> Result<Shell, Error> {
    let outline = Loop::polygon(&GearProfile::new(g).outline(GEAR_FLANK_POINTS));
    prism(
        &Frame::xy(0.0),
        &outline,
        &[circle(g.bore_diameter_mm)],
        g.face_width_mm,
    )
}
