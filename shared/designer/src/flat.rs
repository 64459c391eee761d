//! Builders for the prismatic families: plate, L- and angle bracket, box,
//! hook, cable clip.

use crate::build::{Ctx, default_inset, round2};
use crate::facts::Key;
use farm_partspec::*;

/// The corner profile the prompt asks for ("rounded corners", "a 3 mm
/// fillet", "chamfered 2 mm"), or sharp.
pub(crate) fn corners(c: &mut Ctx, parameter: &str) -> CornerProfile {
    let chamfer_words = c.f.has_any(&["chamfer", "chamfered", "chamfers"]);
    let round_words = c.f.has_any(&[
        "rounded", "fillet", "fillets", "filleted", "radius", "round",
    ]);
    if let Some(size_mm) = c
        .given(&[Key::Chamfer])
        .or_else(|| c.given(&[Key::Corner]).filter(|_| chamfer_words))
    {
        return CornerProfile::Chamfer { size_mm };
    }
    if let Some(radius_mm) = c
        .given(&[Key::Fillet])
        .or_else(|| c.given(&[Key::Corner]).filter(|_| round_words))
    {
        return CornerProfile::Fillet { radius_mm };
    }
    if chamfer_words {
        c.assume(
            &format!("{parameter}.size_mm"),
            "2 mm",
            "chamfer size not given",
        );
        return CornerProfile::Chamfer { size_mm: 2.0 };
    }
    if c.f.has("rounded") {
        c.assume(
            &format!("{parameter}.radius_mm"),
            "3 mm",
            "corner radius not given",
        );
        return CornerProfile::Fillet { radius_mm: 3.0 };
    }
    CornerProfile::Sharp
}

/// How many holes the prompt asks for, else `default` (an assumption).
fn hole_count(c: &mut Ctx, parameter: &str, default: u32) -> u32 {
    if let Some((rows, columns)) = c.f.grid {
        c.require(Requirement::HoleCount {
            count: rows * columns,
        });
        return rows * columns;
    }
    match c.f.hole_count {
        Some(n) => {
            c.require(Requirement::HoleCount { count: n });
            n
        }
        None => {
            c.assume(parameter, default, "number of holes not given");
            default
        }
    }
}

/// A pattern of `count` holes on a rectangular face `length` (u) × `width`
/// (v) centred on `center`: a grid when asked or for four holes at the
/// corners, a bolt circle when asked, else a row along u.
fn rect_pattern(
    c: &mut Ctx,
    path: &str,
    hole: HoleSpec,
    count: u32,
    length: f64,
    width: f64,
    center: [f64; 2],
) -> HolePattern {
    let inset = c
        .given(&[Key::Inset])
        .unwrap_or_else(|| default_inset(&hole));
    let spacing = c.given(&[Key::Spacing]);
    if let Some(s) = spacing {
        c.require(Requirement::HoleSpacing { spacing_mm: s });
    }
    let layout = if let Some((rows, columns)) = c.f.grid {
        let pitch = |n: u32, side: f64| {
            if n > 1 {
                round2((side - 2.0 * inset) / f64::from(n - 1))
            } else {
                0.0
            }
        };
        HoleLayout::Grid {
            rows,
            columns,
            pitch_u_mm: spacing.unwrap_or_else(|| pitch(columns, length)),
            pitch_v_mm: spacing.unwrap_or_else(|| pitch(rows, width)),
            center,
        }
    } else if count == 4 && (spacing.is_none() || c.f.has_any(&["corners", "corner", "square"])) {
        if spacing.is_none() {
            c.assume(
                &format!("{path}.layout"),
                format!("a 2 x 2 grid, {inset} mm in from each edge"),
                "four holes go in the corners",
            );
        }
        HoleLayout::Grid {
            rows: 2,
            columns: 2,
            pitch_u_mm: spacing.unwrap_or(length - 2.0 * inset),
            pitch_v_mm: spacing.unwrap_or(width - 2.0 * inset),
            center,
        }
    } else if count == 1 {
        match c.given(&[Key::Offset]) {
            Some(from_end) => HoleLayout::Single {
                center: [center[0] - length / 2.0 + from_end, center[1]],
            },
            None => {
                c.assume(
                    &format!("{path}.layout.center"),
                    "the centre",
                    "no position given",
                );
                HoleLayout::Single { center }
            }
        }
    } else {
        let pitch = spacing.unwrap_or_else(|| {
            let p = round2((length - 2.0 * inset) / f64::from(count - 1));
            c.assume(
                &format!("{path}.layout.pitch_mm"),
                format!("{p} mm"),
                "holes spread evenly, one hole's inset from each end",
            );
            p
        });
        HoleLayout::Linear {
            count,
            pitch_mm: pitch,
            center,
            angle_deg: 0.0,
        }
    };
    HolePattern { hole, layout }
}

pub(crate) fn plate(c: &mut Ctx) -> Part {
    let (mut length, mut width, mut thickness) = (None, None, None);
    match c.f.dims.as_slice() {
        [a, b, t] => {
            // The smallest of three is the thickness; the others keep their order.
            let mut v = [*a, *b, *t];
            let k = (0..3).min_by(|i, j| v[*i].total_cmp(&v[*j])).unwrap_or(2);
            thickness = Some(v[k]);
            v[k] = f64::NAN;
            let rest: Vec<f64> = v.into_iter().filter(|x| !x.is_nan()).collect();
            (length, width) = (Some(rest[0]), Some(rest[1]));
        }
        [a, b] => (length, width) = (Some(*a), Some(*b)),
        _ => {}
    }
    let length = length
        .or(c.given(&[Key::Length, Key::Square]))
        .unwrap_or_else(|| c.take(&[], "part.length_mm", 60.0, "length not given"));
    let width = width
        .or(c.given(&[Key::Width, Key::Square]))
        .unwrap_or_else(|| c.take(&[], "part.width_mm", 40.0, "width not given"));
    let thickness = thickness
        .or(c.given(&[Key::Thickness, Key::Height]))
        .unwrap_or_else(|| c.take(&[], "part.thickness_mm", 3.0, "thickness not given"));
    c.extent(Axis::X, length);
    c.extent(Axis::Y, width);
    c.extent(Axis::Z, thickness);
    let corners = corners(c, "part.corners");
    let mut holes = Vec::new();
    if c.f.mentions_holes() || c.f.has("mounting") {
        let default = if c.f.has("mounting") || c.f.has("corners") {
            4
        } else if c.f.has("holes") {
            2
        } else {
            1
        };
        let count = hole_count(c, "part.holes[0].layout.count", default);
        let hole = c.hole_spec("part.holes[0].hole", 3.0);
        holes.push(rect_pattern(
            c,
            "part.holes[0]",
            hole,
            count,
            length,
            width,
            [0.0, 0.0],
        ));
    }
    Part::Plate(Plate {
        length_mm: length,
        width_mm: width,
        thickness_mm: thickness,
        corners,
        holes,
    })
}

/// Holes on one leg of a bracket: one in the middle of the free flat, or a
/// row across the width.
fn leg_holes(
    c: &mut Ctx,
    path: &str,
    hole: &HoleSpec,
    count: u32,
    width: f64,
    u_center: f64,
) -> Vec<HolePattern> {
    if count == 0 {
        return Vec::new();
    }
    c.assume(
        &format!("{path}[0].layout"),
        format!(
            "centred on the leg's free flat ({u_center} mm from the leg's middle), across the width"
        ),
        "no hole position given",
    );
    let layout = if count == 1 {
        HoleLayout::Single {
            center: [u_center, 0.0],
        }
    } else {
        let inset = default_inset(hole);
        let pitch = c
            .given(&[Key::Spacing])
            .unwrap_or_else(|| round2((width - 2.0 * inset) / f64::from(count - 1)));
        HoleLayout::Linear {
            count,
            pitch_mm: pitch,
            center: [u_center, 0.0],
            angle_deg: 90.0,
        }
    };
    vec![HolePattern {
        hole: hole.clone(),
        layout,
    }]
}

pub(crate) fn bracket(c: &mut Ctx, gusseted: bool) -> Part {
    let (mut length, mut height, mut width) = (None, None, None);
    if let [a, b, w] = c.f.dims.as_slice() {
        (length, height, width) = (Some(*a), Some(*b), Some(*w));
    }
    let leg = c.given(&[Key::Leg]);
    let prefix = if gusseted { "part.bracket" } else { "part" };
    let p = |name: &str| format!("{prefix}.{name}");
    let length = length
        .or(c.given(&[Key::Length]))
        .or(leg)
        .unwrap_or_else(|| c.take(&[], &p("length_mm"), 40.0, "base leg length not given"));
    let height = height
        .or(c.given(&[Key::Height]))
        .or(leg)
        .unwrap_or_else(|| {
            c.take(
                &[],
                &p("height_mm"),
                length,
                "upright leg as long as the base",
            )
        });
    let width = width
        .or(c.given(&[Key::Width]))
        .unwrap_or_else(|| c.take(&[], &p("width_mm"), 20.0, "width not given"));
    let thickness = c.take(
        &[Key::Thickness],
        &p("thickness_mm"),
        3.0,
        "thickness not given",
    );
    c.extent(Axis::X, length);
    c.extent(Axis::Y, width);
    c.extent(Axis::Z, height);
    let inner_fillet_mm = c.given(&[Key::Fillet]).unwrap_or(0.0);
    let outer_corner = match c.given(&[Key::Chamfer]) {
        Some(size_mm) => CornerProfile::Chamfer { size_mm },
        None => CornerProfile::Sharp,
    };
    let gusset = gusseted.then(|| {
        let count = c.f.gussets.unwrap_or_else(|| {
            c.assume("part.gusset.count", 1, "one centred gusset");
            1
        });
        let size_mm = c.given(&[Key::Gusset]).unwrap_or_else(|| {
            let s = ((length.min(height) - thickness) / 2.0).floor();
            c.assume(
                "part.gusset.size_mm",
                format!("{s} mm"),
                "half the shorter leg's free length",
            );
            s
        });
        Gusset {
            count,
            size_mm,
            thickness_mm: thickness,
        }
    });
    let (mut base_holes, mut upright_holes) = (Vec::new(), Vec::new());
    if c.f.mentions_holes() {
        let hole = c.hole_spec(&format!("{prefix}.base_holes[0].hole"), 4.0);
        let each = c.f.has("eachleg");
        let total = match c.f.hole_count {
            Some(n) => {
                c.require(Requirement::HoleCount {
                    count: if each { 2 * n } else { n },
                });
                n
            }
            None => {
                c.assume(
                    &format!("{prefix}.base_holes[0].layout.count"),
                    1,
                    "one hole per leg",
                );
                if each { 1 } else { 2 }
            }
        };
        let base_only = c.f.has_any(&["base", "bottom", "horizontal"]) && !each;
        let upright_only = c.f.has_any(&["upright", "vertical"]) && !each;
        let (n_base, n_up) = if each {
            (total, total)
        } else if base_only {
            (total, 0)
        } else if upright_only {
            (0, total)
        } else {
            (total.div_ceil(2), total / 2)
        };
        // Centre of the free flat of each leg, past the other leg (and a
        // single hole also past a centred gusset).
        let past = |leg: f64, extra: f64| (thickness + extra + leg) / 2.0 - leg / 2.0;
        let centred_gusset = gusset.as_ref().is_some_and(|g| g.count == 1);
        let g_size = gusset.as_ref().map_or(inner_fillet_mm, |g| g.size_mm);
        let clear = |n: u32| {
            if n == 1 && centred_gusset {
                g_size
            } else {
                inner_fillet_mm
            }
        };
        base_holes = leg_holes(
            c,
            &p("base_holes"),
            &hole,
            n_base,
            width,
            round2(past(length, clear(n_base))),
        );
        upright_holes = leg_holes(
            c,
            &p("upright_holes"),
            &hole,
            n_up,
            width,
            round2(past(height, clear(n_up))),
        );
    }
    let bracket = LBracket {
        length_mm: length,
        height_mm: height,
        width_mm: width,
        thickness_mm: thickness,
        inner_fillet_mm,
        outer_corner,
        base_holes,
        upright_holes,
    };
    match gusset {
        Some(gusset) => Part::AngleBracket(AngleBracket { bracket, gusset }),
        None => Part::LBracket(bracket),
    }
}

pub(crate) fn box_part(c: &mut Ctx) -> Part {
    let (mut length, mut width, mut height) = (None, None, None);
    if let [a, b, h] = c.f.dims.as_slice() {
        (length, width, height) = (Some(*a), Some(*b), Some(*h));
    }
    let length = length
        .or(c.given(&[Key::Length]))
        .unwrap_or_else(|| c.take(&[], "part.length_mm", 80.0, "length not given"));
    let width = width
        .or(c.given(&[Key::Width]))
        .unwrap_or_else(|| c.take(&[], "part.width_mm", 60.0, "width not given"));
    let height = height
        .or(c.given(&[Key::Height, Key::Depth]))
        .unwrap_or_else(|| c.take(&[], "part.height_mm", 40.0, "height not given"));
    let wall = c.take(
        &[Key::Wall, Key::Thickness],
        "part.wall_mm",
        2.0,
        "wall thickness not given",
    );
    let floor = match c.given(&[Key::Floor]) {
        Some(v) => v,
        None => {
            c.assume(
                "part.floor_mm",
                format!("{wall} mm"),
                "floor as thick as the walls",
            );
            wall
        }
    };
    let corner_radius_mm = match c.given(&[Key::Fillet, Key::Corner]) {
        Some(r) => r,
        None if c.f.has("rounded") => {
            c.assume("part.corner_radius_mm", "5 mm", "corner radius not given");
            5.0
        }
        None => 0.0,
    };
    let lid = c.f.has_any(&["lid", "cover", "enclosure"]).then(|| {
        if !c.f.has_any(&["lid", "cover"]) {
            c.assume("part.lid", "a lid", "an enclosure comes with a lid");
        }
        let lip = c.take(
            &[Key::Lip],
            "part.lid.lip_height_mm",
            5.0,
            "lid lip height not given",
        );
        c.assume(
            "part.lid.clearance_mm",
            "0.2 mm",
            "a sliding fit for FDM parts",
        );
        c.assume(
            "part.lid.thickness_mm",
            format!("{wall} mm"),
            "lid as thick as the walls",
        );
        Lid {
            thickness_mm: wall,
            lip_height_mm: lip,
            clearance_mm: 0.2,
        }
    });
    if lid.is_none() {
        c.extent(Axis::X, length);
    }
    c.extent(Axis::Y, width);
    c.extent(Axis::Z, height);
    Part::Box(BoxPart {
        length_mm: length,
        width_mm: width,
        height_mm: height,
        wall_mm: wall,
        floor_mm: floor,
        corner_radius_mm,
        lid,
    })
}

pub(crate) fn hook(c: &mut Ctx) -> Part {
    let back = c.take(
        &[Key::Back, Key::Height],
        "part.back_height_mm",
        60.0,
        "back height not given",
    );
    let reach = c.take(
        &[Key::Reach, Key::Depth, Key::Length],
        "part.reach_mm",
        30.0,
        "reach not given",
    );
    let tip = c.take(
        &[Key::Tip],
        "part.tip_height_mm",
        15.0,
        "tip height not given",
    );
    let width = c.take(&[Key::Width], "part.width_mm", 20.0, "width not given");
    let thickness = c.take(
        &[Key::Thickness],
        "part.thickness_mm",
        4.0,
        "thickness not given",
    );
    c.extent(Axis::Z, back.max(tip));
    c.extent(Axis::X, reach);
    c.extent(Axis::Y, width);
    let hole = if c.f.mentions_holes() {
        c.hole_spec("part.holes[0].hole", 4.0)
    } else {
        c.assume(
            "part.holes",
            "2 x M4 countersunk",
            "a wall hook needs screws",
        );
        crate::build::metric_hole(
            crate::fasteners::metric(4.0).unwrap_or(&crate::fasteners::METRIC[3]),
            false,
            true,
        )
    };
    let count = if c.f.mentions_holes() {
        hole_count(c, "part.holes[0].layout.count", 2)
    } else {
        2
    };
    let u_center = round2(thickness / 2.0);
    c.assume(
        "part.holes[0].layout",
        "on the back's centre line, spread over the back above the arm",
        "no hole position given",
    );
    let layout = if count == 1 {
        HoleLayout::Single {
            center: [u_center, 0.0],
        }
    } else {
        let pitch = c
            .given(&[Key::Spacing])
            .unwrap_or_else(|| round2((back - thickness) / 2.0));
        HoleLayout::Linear {
            count,
            pitch_mm: pitch,
            center: [u_center, 0.0],
            angle_deg: 0.0,
        }
    };
    Part::Hook(Hook {
        back_height_mm: back,
        reach_mm: reach,
        tip_height_mm: tip,
        width_mm: width,
        thickness_mm: thickness,
        holes: vec![HolePattern { hole, layout }],
    })
}

pub(crate) fn cable_clip(c: &mut Ctx) -> Part {
    let cable = c.take(
        &[Key::Cable, Key::Diameter, Key::InnerDiameter],
        "part.cable_diameter_mm",
        6.0,
        "cable diameter not given",
    );
    let thickness = c.take(
        &[Key::Thickness, Key::Wall],
        "part.thickness_mm",
        2.0,
        "wall thickness not given",
    );
    let width = c.take(&[Key::Width], "part.width_mm", 10.0, "width not given");
    let opening = match c.given(&[Key::Opening]) {
        Some(v) => v,
        None => {
            let v = round2(cable * 0.7);
            c.assume(
                "part.opening_mm",
                format!("{v} mm"),
                "70 % of the cable so it snaps in and stays",
            );
            v
        }
    };
    let screw_hole = if c.f.has_any(&["adhesive", "glue", "tape", "screwless"]) {
        None
    } else if c.f.mentions_holes() {
        Some(c.hole_spec("part.screw_hole", 3.0))
    } else {
        c.assume(
            "part.screw_hole",
            "M3 clearance (3.4 mm)",
            "one screw per tab",
        );
        Some(crate::build::metric_hole(
            crate::fasteners::metric(3.0).unwrap_or(&crate::fasteners::METRIC[2]),
            false,
            false,
        ))
    };
    let ring_outer = cable / 2.0 + thickness;
    let tab = screw_hole.as_ref().map_or(5.0, |h| {
        h.countersink
            .as_ref()
            .map_or(h.diameter_mm, |cs| cs.diameter_mm)
            + 5.0
    });
    let base = match c.given(&[Key::Length]) {
        Some(v) => v,
        None => {
            let v = round2(2.0 * (ring_outer + tab));
            c.assume(
                "part.base_length_mm",
                format!("{v} mm"),
                "a tab each side, the screw hole plus 2.5 mm around it",
            );
            v
        }
    };
    if screw_hole.is_some() && c.f.hole_count.is_some() {
        c.require(Requirement::HoleCount { count: 2 });
    }
    c.extent(Axis::Y, width);
    Part::CableClip(CableClip {
        cable_diameter_mm: cable,
        thickness_mm: thickness,
        width_mm: width,
        opening_mm: opening,
        base_length_mm: base,
        screw_hole,
    })
}
