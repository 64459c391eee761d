//! Each family's rules (see `validate` for the limits and their sources).

use crate::holes::clip_hole_offset_mm;
use crate::spec::*;
use crate::validate::{Checker, MIN_WALL_MM, Rule, entry_radius};
use crate::validate_holes::{Keepout, Region, holes_on_face};
use crate::validate_round::{cylinder, flange, gear, knob};

pub(crate) fn check_part(part: &Part, c: &mut Checker) {
    match part {
        Part::Plate(p) => plate(p, c),
        Part::LBracket(b) => {
            bracket(b, "part", &[], c);
        }
        Part::AngleBracket(a) => angle_bracket(a, c),
        Part::Box(b) => box_part(b, c),
        Part::Cylinder(cy) => cylinder(cy, c),
        Part::Spacer(s) => {
            let ok = c.positive("part.outer_diameter_mm", s.outer_diameter_mm)
                & c.positive("part.length_mm", s.length_mm)
                & c.hole("part.bore_diameter_mm", s.bore_diameter_mm);
            if ok {
                c.wall(
                    "part.outer_diameter_mm",
                    (s.outer_diameter_mm - s.bore_diameter_mm) / 2.0,
                    "the spacer's wall",
                );
            }
        }
        Part::Standoff(s) => {
            let ok = c.positive("part.across_flats_mm", s.across_flats_mm)
                & c.positive("part.length_mm", s.length_mm)
                & c.hole("part.bore_diameter_mm", s.bore_diameter_mm);
            if ok {
                c.wall(
                    "part.across_flats_mm",
                    (s.across_flats_mm - s.bore_diameter_mm) / 2.0,
                    "the standoff's wall at the flats",
                );
            }
        }
        Part::Washer(w) => {
            let ok = c.positive("part.outer_diameter_mm", w.outer_diameter_mm)
                & c.hole("part.inner_diameter_mm", w.inner_diameter_mm)
                & c.positive("part.thickness_mm", w.thickness_mm);
            if ok {
                c.wall(
                    "part.thickness_mm",
                    w.thickness_mm,
                    "the washer's thickness",
                );
                c.wall(
                    "part.outer_diameter_mm",
                    (w.outer_diameter_mm - w.inner_diameter_mm) / 2.0,
                    "the washer's ring",
                );
            }
        }
        Part::Flange(f) => flange(f, c),
        Part::Hook(h) => hook(h, c),
        Part::Knob(k) => knob(k, c),
        Part::SpurGear(g) => gear(g, c),
        Part::CableClip(clip) => cable_clip(clip, c),
    }
}

fn plate(p: &Plate, c: &mut Checker) {
    let ok = c.positive("part.length_mm", p.length_mm)
        & c.positive("part.width_mm", p.width_mm)
        & c.positive("part.thickness_mm", p.thickness_mm);
    if !ok {
        return;
    }
    c.wall("part.thickness_mm", p.thickness_mm, "the plate's thickness");
    c.corner("part.corners", p.corners, p.length_mm.min(p.width_mm) / 2.0);
    let (l, w) = (p.length_mm / 2.0, p.width_mm / 2.0);
    let region = Region::Rect {
        u: [-l, l],
        v: [-w, w],
    };
    holes_on_face(c, "part.holes", &p.holes, p.thickness_mm, &region, &[]);
}

/// Checks an L-bracket at `path`, with gusset keep-outs on the base and the
/// upright; returns whether its own parameters hold.
fn bracket(b: &LBracket, path: &str, gussets: &[GussetBand], c: &mut Checker) -> bool {
    let p = |name: &str| format!("{path}.{name}");
    let ok = c.positive(&p("length_mm"), b.length_mm)
        & c.positive(&p("height_mm"), b.height_mm)
        & c.positive(&p("width_mm"), b.width_mm)
        & c.positive(&p("thickness_mm"), b.thickness_mm)
        & c.non_negative(&p("inner_fillet_mm"), b.inner_fillet_mm);
    if !ok {
        return false;
    }
    let t = b.thickness_mm;
    let r = b.inner_fillet_mm;
    let mut ok = c.wall(&p("thickness_mm"), t, "the bracket's thickness");
    ok &= c.require(
        b.length_mm > t + r,
        &p("length_mm"),
        "must exceed the thickness plus the inner fillet",
    );
    ok &= c.require(
        b.height_mm > t + r,
        &p("height_mm"),
        "must exceed the thickness plus the inner fillet",
    );
    c.corner(&p("outer_corner"), b.outer_corner, t);
    if !ok {
        return false;
    }
    let half_w = b.width_mm / 2.0;
    let base_keepouts = keepouts(gussets, t, b.length_mm, half_w);
    let upright_keepouts = keepouts(gussets, t, b.height_mm, half_w);
    let base = Region::Rect {
        u: [t + r - b.length_mm / 2.0, b.length_mm / 2.0],
        v: [-half_w, half_w],
    };
    holes_on_face(c, &p("base_holes"), &b.base_holes, t, &base, &base_keepouts);
    let upright = Region::Rect {
        u: [t + r - b.height_mm / 2.0, b.height_mm / 2.0],
        v: [-half_w, half_w],
    };
    holes_on_face(
        c,
        &p("upright_holes"),
        &b.upright_holes,
        t,
        &upright,
        &upright_keepouts,
    );
    true
}

/// A gusset seen from one leg: its y band `[y_min, y_max]` and its size.
struct GussetBand {
    y: [f64; 2],
    size: f64,
}

/// Gusset keep-outs on a leg `leg` mm long, in that leg's face frame.
fn keepouts(gussets: &[GussetBand], t: f64, leg: f64, half_w: f64) -> Vec<Keepout> {
    gussets
        .iter()
        .map(|g| Keepout {
            u: [-leg / 2.0, t + g.size - leg / 2.0],
            v: [g.y[0] - half_w, g.y[1] - half_w],
        })
        .collect()
}

fn angle_bracket(a: &AngleBracket, c: &mut Checker) {
    let g = &a.gusset;
    let b = &a.bracket;
    let ok = c.require(
        g.count == 1 || g.count == 2,
        "part.gusset.count",
        "must be 1 (centred) or 2 (at both ends)",
    ) & c.positive("part.gusset.size_mm", g.size_mm)
        & c.positive("part.gusset.thickness_mm", g.thickness_mm);
    if !ok {
        bracket(b, "part.bracket", &[], c);
        return;
    }
    c.wall(
        "part.gusset.thickness_mm",
        g.thickness_mm,
        "the gusset's thickness",
    );
    c.require(
        g.size_mm >= b.inner_fillet_mm,
        "part.gusset.size_mm",
        "must be at least the inner fillet's radius",
    );
    c.require(
        g.size_mm <= b.length_mm.min(b.height_mm) - b.thickness_mm,
        "part.gusset.size_mm",
        "must fit within both legs (at most the shorter leg less the thickness)",
    );
    c.require(
        f64::from(g.count) * g.thickness_mm <= b.width_mm,
        "part.gusset.thickness_mm",
        "the gussets are wider together than the bracket",
    );
    let size = g.size_mm;
    let spans: Vec<GussetBand> = if g.count == 1 {
        let y0 = (b.width_mm - g.thickness_mm) / 2.0;
        vec![GussetBand {
            y: [y0, y0 + g.thickness_mm],
            size,
        }]
    } else {
        vec![
            GussetBand {
                y: [0.0, g.thickness_mm],
                size,
            },
            GussetBand {
                y: [b.width_mm - g.thickness_mm, b.width_mm],
                size,
            },
        ]
    };
    bracket(b, "part.bracket", &spans, c);
}

fn box_part(b: &BoxPart, c: &mut Checker) {
    let ok = c.positive("part.length_mm", b.length_mm)
        & c.positive("part.width_mm", b.width_mm)
        & c.positive("part.height_mm", b.height_mm)
        & c.positive("part.wall_mm", b.wall_mm)
        & c.positive("part.floor_mm", b.floor_mm)
        & c.non_negative("part.corner_radius_mm", b.corner_radius_mm);
    if !ok {
        return;
    }
    c.wall("part.wall_mm", b.wall_mm, "the box's wall");
    c.wall("part.floor_mm", b.floor_mm, "the box's floor");
    let cavity = (b.length_mm.min(b.width_mm) - 2.0 * b.wall_mm).min(b.height_mm - b.floor_mm);
    c.require(
        cavity >= 2.0,
        "part.wall_mm",
        "leaves no cavity of at least 2 mm inside the box",
    );
    c.require(
        b.corner_radius_mm <= b.length_mm.min(b.width_mm) / 2.0,
        "part.corner_radius_mm",
        "must be at most half the box's shorter side",
    );
    if let Some(lid) = &b.lid {
        let ok = c.positive("part.lid.thickness_mm", lid.thickness_mm)
            & c.positive("part.lid.lip_height_mm", lid.lip_height_mm)
            & c.non_negative("part.lid.clearance_mm", lid.clearance_mm);
        if ok {
            c.wall(
                "part.lid.thickness_mm",
                lid.thickness_mm,
                "the lid's thickness",
            );
            let lip_hole = b.length_mm.min(b.width_mm) - 4.0 * b.wall_mm - 2.0 * lid.clearance_mm;
            c.require(
                lip_hole >= 2.0,
                "part.lid.clearance_mm",
                "leaves no room for the lid's lip inside the walls",
            );
            c.require(
                lid.lip_height_mm <= b.height_mm - b.floor_mm,
                "part.lid.lip_height_mm",
                "must be at most the box's inner depth",
            );
        }
    }
}

fn hook(h: &Hook, c: &mut Checker) {
    let ok = c.positive("part.back_height_mm", h.back_height_mm)
        & c.positive("part.reach_mm", h.reach_mm)
        & c.positive("part.tip_height_mm", h.tip_height_mm)
        & c.positive("part.width_mm", h.width_mm)
        & c.positive("part.thickness_mm", h.thickness_mm);
    if !ok {
        return;
    }
    let t = h.thickness_mm;
    c.wall("part.thickness_mm", t, "the hook's thickness");
    let mut ok = c.require(
        h.reach_mm > 2.0 * t + 2.0,
        "part.reach_mm",
        "must leave at least 2 mm between the back and the tip",
    );
    ok &= c.require(
        h.back_height_mm > t,
        "part.back_height_mm",
        "must exceed the thickness",
    );
    ok &= c.require(
        h.tip_height_mm > t,
        "part.tip_height_mm",
        "must exceed the thickness",
    );
    if ok {
        let region = Region::Rect {
            u: [t - h.back_height_mm / 2.0, h.back_height_mm / 2.0],
            v: [-h.width_mm / 2.0, h.width_mm / 2.0],
        };
        holes_on_face(c, "part.holes", &h.holes, t, &region, &[]);
    }
}

fn cable_clip(clip: &CableClip, c: &mut Checker) {
    let ok = c.hole("part.cable_diameter_mm", clip.cable_diameter_mm)
        & c.positive("part.thickness_mm", clip.thickness_mm)
        & c.positive("part.width_mm", clip.width_mm)
        & c.positive("part.opening_mm", clip.opening_mm)
        & c.positive("part.base_length_mm", clip.base_length_mm);
    if !ok {
        return;
    }
    c.wall("part.thickness_mm", clip.thickness_mm, "the clip's wall");
    c.require(
        clip.opening_mm < clip.cable_diameter_mm,
        "part.opening_mm",
        "must be narrower than the cable",
    );
    let ring_outer = clip.cable_diameter_mm / 2.0 + clip.thickness_mm;
    c.require(
        clip.base_length_mm >= 2.0 * ring_outer,
        "part.base_length_mm",
        "must be at least the ring's outer diameter",
    );
    if let Some(hole) = &clip.screw_hole
        && c.hole("part.screw_hole.diameter_mm", hole.diameter_mm)
    {
        let x = clip_hole_offset_mm(clip);
        let r = entry_radius(hole);
        let room = (x - r - ring_outer)
            .min(clip.base_length_mm / 2.0 - x - r)
            .min(clip.width_mm / 2.0 - r);
        if room < MIN_WALL_MM - 1e-9 {
            c.fail(
                "part.base_length_mm",
                Rule::EdgeDistance,
                format!("the tabs leave {room:.2} mm around the screw holes; at least {MIN_WALL_MM} mm is needed"),
            );
        }
    }
}
