//! Builders for the prismatic families: plate, box, hook (the brackets are
//! in `bracket.rs`, the cable clip in `clip.rs`).

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
        let default = if c.f.has_any(&["mounting", "corners", "corner"]) {
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
    // A lid printed lip-up beside the box could stand taller than it.
    let lid_height = lid
        .as_ref()
        .map_or(0.0, |l| l.thickness_mm + l.lip_height_mm);
    c.extent(Axis::Z, height.max(lid_height));
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
