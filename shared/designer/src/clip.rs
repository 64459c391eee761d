//! The cable clip.

use crate::build::{Ctx, round2};
use crate::facts::Key;
use farm_partspec::*;

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
