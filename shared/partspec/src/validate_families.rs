//! Each family's rules (see `validate` for the limits and their sources).

use crate::gear::GearProfile;
use crate::holes::clip_hole_offset_mm;
use crate::spec::*;
use crate::validate::{Checker, MAX_FLUTES, MIN_WALL_MM, Rule, entry_radius, flutes_fit};

/// The flat region of a face, in its `(u, v)` frame, where holes may go.
enum Region {
    Rect { u: [f64; 2], v: [f64; 2] },
    Annulus { inner: f64, outer: f64 },
}

/// An area of a face holes must stay clear of, in the face's frame.
struct Keepout {
    u: [f64; 2],
    v: [f64; 2],
}

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

fn cylinder(cy: &Cylinder, c: &mut Checker) {
    let ok =
        c.positive("part.diameter_mm", cy.diameter_mm) & c.positive("part.height_mm", cy.height_mm);
    if !ok {
        return;
    }
    let mut wall = cy.diameter_mm / 2.0;
    if let Some(bore) = cy.bore_diameter_mm
        && c.hole("part.bore_diameter_mm", bore)
    {
        wall = (cy.diameter_mm - bore) / 2.0;
        c.wall("part.bore_diameter_mm", wall, "the tube's wall");
    }
    c.wall("part.diameter_mm", cy.diameter_mm, "the rod's diameter");
    c.corner(
        "part.edges",
        cy.edges,
        (wall - MIN_WALL_MM / 2.0).min(cy.height_mm / 2.0),
    );
}

fn flange(f: &Flange, c: &mut Checker) {
    let ok = c.positive("part.outer_diameter_mm", f.outer_diameter_mm)
        & c.positive("part.thickness_mm", f.thickness_mm)
        & c.hole("part.bore_diameter_mm", f.bore_diameter_mm);
    if !ok {
        return;
    }
    c.wall(
        "part.thickness_mm",
        f.thickness_mm,
        "the flange's thickness",
    );
    c.wall(
        "part.outer_diameter_mm",
        (f.outer_diameter_mm - f.bore_diameter_mm) / 2.0,
        "the flange's ring",
    );
    let mut inner = f.bore_diameter_mm / 2.0;
    if let Some(hub) = &f.hub
        && c.positive("part.hub.diameter_mm", hub.diameter_mm)
            & c.positive("part.hub.height_mm", hub.height_mm)
    {
        c.wall(
            "part.hub.diameter_mm",
            (hub.diameter_mm - f.bore_diameter_mm) / 2.0,
            "the hub's wall",
        );
        c.require(
            hub.diameter_mm < f.outer_diameter_mm,
            "part.hub.diameter_mm",
            "must be smaller than the flange",
        );
        inner = hub.diameter_mm / 2.0;
    }
    let region = Region::Annulus {
        inner,
        outer: f.outer_diameter_mm / 2.0,
    };
    holes_on_face(
        c,
        "part.bolt_holes",
        &f.bolt_holes,
        f.thickness_mm,
        &region,
        &[],
    );
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

fn knob(k: &Knob, c: &mut Checker) {
    let ok = c.positive("part.diameter_mm", k.diameter_mm)
        & c.positive("part.height_mm", k.height_mm)
        & c.hole("part.shaft_diameter_mm", k.shaft_diameter_mm)
        & c.positive("part.shaft_depth_mm", k.shaft_depth_mm)
        & c.non_negative("part.flute_radius_mm", k.flute_radius_mm);
    if !ok {
        return;
    }
    c.require(
        k.shaft_depth_mm <= k.height_mm - MIN_WALL_MM,
        "part.shaft_depth_mm",
        "must leave a 1.2 mm top above the blind bore",
    );
    if !c.require(k.flutes <= MAX_FLUTES, "part.flutes", "must be at most 120") {
        return;
    }
    if k.flutes > 0 {
        c.require(
            k.flute_radius_mm > 0.0,
            "part.flute_radius_mm",
            "must be positive when the knob has flutes",
        );
        c.require(
            flutes_fit(k),
            "part.flute_radius_mm",
            "the flutes overlap; use fewer or smaller flutes",
        );
    }
    let flute = if k.flutes > 0 { k.flute_radius_mm } else { 0.0 };
    c.wall(
        "part.shaft_diameter_mm",
        k.diameter_mm / 2.0 - flute - k.shaft_diameter_mm / 2.0,
        "the wall between the shaft bore and the flutes",
    );
}

fn gear(g: &SpurGear, c: &mut Checker) {
    let ok = c.positive("part.module_mm", g.module_mm)
        & c.positive("part.face_width_mm", g.face_width_mm)
        & c.hole("part.bore_diameter_mm", g.bore_diameter_mm)
        & c.require(
            g.teeth >= 6 && g.teeth <= 300,
            "part.teeth",
            "must be between 6 and 300",
        )
        & c.require(
            (14.5..=30.0).contains(&g.pressure_angle_deg),
            "part.pressure_angle_deg",
            "must be between 14.5 and 30 degrees",
        );
    if !ok {
        return;
    }
    c.require(
        g.module_mm >= 0.5,
        "part.module_mm",
        "must be at least 0.5 mm to print teeth",
    );
    let profile = GearProfile::new(g);
    c.require(
        profile.tip_land() > 0.0,
        "part.teeth",
        "the teeth come to a point; use more teeth or a smaller pressure angle",
    );
    c.require(
        profile.root_gap() > 0.0,
        "part.teeth",
        "the teeth meet at the root; use fewer teeth",
    );
    c.wall(
        "part.bore_diameter_mm",
        profile.root_radius - g.bore_diameter_mm / 2.0,
        "the rim between the bore and the tooth roots",
    );
    c.wall(
        "part.face_width_mm",
        g.face_width_mm,
        "the gear's face width",
    );
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

/// Checks every pattern of a face: its own parameters, each hole inside the
/// region with [`MIN_WALL_MM`] to spare, clear of the keep-outs, and every
/// pair of holes at least [`MIN_WALL_MM`] apart at the entry face.
fn holes_on_face(
    c: &mut Checker,
    path: &str,
    patterns: &[HolePattern],
    depth: f64,
    region: &Region,
    keepouts: &[Keepout],
) {
    let mut placed: Vec<([f64; 2], f64, String)> = Vec::new();
    for (i, pattern) in patterns.iter().enumerate() {
        let at = format!("{path}[{i}]");
        if !c.pattern(&at, pattern, depth) {
            continue;
        }
        let r = entry_radius(&pattern.hole);
        for p in pattern.layout.positions() {
            let room = match region {
                Region::Rect { u, v } => {
                    (p[0] - u[0])
                        .min(u[1] - p[0])
                        .min(p[1] - v[0])
                        .min(v[1] - p[1])
                        - r
                }
                Region::Annulus { inner, outer } => {
                    let d = p[0].hypot(p[1]);
                    (d - inner).min(outer - d) - r
                }
            };
            if room < MIN_WALL_MM - 1e-9 {
                c.fail(
                    format!("{at}.layout"),
                    Rule::EdgeDistance,
                    format!(
                        "a hole at ({:.1}, {:.1}) leaves {room:.2} mm to the edge; at least {MIN_WALL_MM} mm is needed",
                        p[0], p[1]
                    ),
                );
                break;
            }
            let blocked = keepouts.iter().any(|k| {
                p[0] + r + MIN_WALL_MM > k.u[0]
                    && p[0] - r - MIN_WALL_MM < k.u[1]
                    && p[1] + r + MIN_WALL_MM > k.v[0]
                    && p[1] - r - MIN_WALL_MM < k.v[1]
            });
            if blocked {
                c.fail(
                    format!("{at}.layout"),
                    Rule::EdgeDistance,
                    "a hole runs into a gusset".to_string(),
                );
                break;
            }
            placed.push((p, r, at.clone()));
        }
    }
    for i in 0..placed.len() {
        for j in i + 1..placed.len() {
            let (a, ra, _) = &placed[i];
            let (b, rb, at) = &placed[j];
            let gap = (a[0] - b[0]).hypot(a[1] - b[1]) - ra - rb;
            if gap < MIN_WALL_MM - 1e-9 {
                c.fail(
                    format!("{at}.layout"),
                    Rule::EdgeDistance,
                    format!("two holes are {gap:.2} mm apart; at least {MIN_WALL_MM} mm must stay between them"),
                );
                return;
            }
        }
    }
}
