//! The L-bracket and the angle bracket with gussets.

use crate::build::{Ctx, default_inset, round2};
use crate::facts::Key;
use farm_partspec::*;

/// Holes on one leg of a bracket: one in the middle of the free flat, or a
/// row across the width (along the leg when they do not fit across).
fn leg_holes(
    c: &mut Ctx,
    path: &str,
    hole: &HoleSpec,
    count: u32,
    width: f64,
    free_length: f64,
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
        let entry = hole
            .countersink
            .as_ref()
            .map_or(hole.diameter_mm, |cs| cs.diameter_mm);
        let spread = |side: f64| round2((side - 2.0 * inset) / f64::from(count - 1));
        let fits = |pitch: f64| pitch - entry >= farm_partspec::MIN_WALL_MM;
        let spacing = c.given(&[Key::Spacing]);
        let across = spacing.unwrap_or_else(|| spread(width));
        let along = spacing.unwrap_or_else(|| spread(free_length));
        let (pitch_mm, angle_deg) = if !fits(across) && fits(along) {
            c.assume(
                &format!("{path}[0].layout.angle_deg"),
                0,
                "the holes do not fit across the width",
            );
            (along, 0.0)
        } else {
            (across, 90.0)
        };
        HoleLayout::Linear {
            count,
            pitch_mm,
            center: [u_center, 0.0],
            angle_deg,
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
            length - thickness - clear(n_base),
            round2(past(length, clear(n_base))),
        );
        upright_holes = leg_holes(
            c,
            &p("upright_holes"),
            &hole,
            n_up,
            width,
            height - thickness - clear(n_up),
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
