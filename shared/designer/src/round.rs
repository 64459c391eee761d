//! Builders for the round families: cylinder/rod/tube, spacer, standoff,
//! washer, flange, knob, spur gear.

use crate::build::{Ctx, metric_hole, round2};
use crate::facts::Key;
use crate::fasteners::{self, MetricSize};
use farm_partspec::*;

/// The diameter and length of a round part, from named values or an `A x B`
/// pair (diameter first).
fn diameter_and_length(
    c: &mut Ctx,
    d_param: &str,
    l_param: &str,
    defaults: (f64, f64),
) -> (f64, f64) {
    let pair = match c.f.dims.as_slice() {
        [d, l] => Some((*d, *l)),
        _ => None,
    };
    let d = c.given(&[Key::Diameter]).or(pair.map(|p| p.0));
    let l = c
        .given(&[Key::Length, Key::Height, Key::Thickness])
        .or(pair.map(|p| p.1));
    let d = d.unwrap_or_else(|| c.take(&[], d_param, defaults.0, "diameter not given"));
    let l = l.unwrap_or_else(|| c.take(&[], l_param, defaults.1, "length not given"));
    (d, l)
}

fn round_extents(c: &mut Ctx, d: f64, z: f64) {
    c.extent(Axis::X, d);
    c.extent(Axis::Y, d);
    c.extent(Axis::Z, z);
}

/// The prompt's metric size, or `default` recorded as an assumption.
fn metric_or(c: &mut Ctx, parameter: &str, default: f64) -> &'static MetricSize {
    if let Some(m) = c.f.metric.and_then(fasteners::metric) {
        return m;
    }
    c.assume(parameter, fasteners::name(default), "no screw size given");
    fasteners::metric(default).unwrap_or(&fasteners::METRIC[2])
}

pub(crate) fn cylinder(c: &mut Ctx) -> Part {
    let (d, h) = diameter_and_length(c, "part.diameter_mm", "part.height_mm", (20.0, 40.0));
    let tube =
        c.f.has_any(&["tube", "pipe", "sleeve", "hollow", "bushing"]);
    let bore = match c.given(&[Key::InnerDiameter, Key::Bore, Key::HoleDiameter]) {
        Some(b) => Some(b),
        None if tube => {
            let wall = c.take(&[Key::Wall], "part.wall_mm", 2.0, "tube wall not given");
            Some(round2(d - 2.0 * wall))
        }
        None => None,
    };
    let edges = match (c.given(&[Key::Chamfer]), c.given(&[Key::Fillet])) {
        (Some(size_mm), _) => CornerProfile::Chamfer { size_mm },
        (None, Some(radius_mm)) => CornerProfile::Fillet { radius_mm },
        _ => CornerProfile::Sharp,
    };
    round_extents(c, d, h);
    Part::Cylinder(Cylinder {
        diameter_mm: d,
        height_mm: h,
        bore_diameter_mm: bore,
        edges,
    })
}

pub(crate) fn spacer(c: &mut Ctx) -> Part {
    let bore = match c.given(&[Key::InnerDiameter, Key::Bore, Key::HoleDiameter]) {
        Some(b) => b,
        None => metric_or(c, "part.bore_diameter_mm", 3.0).clearance,
    };
    let od = match c.given(&[Key::Diameter]) {
        Some(d) => d,
        None => {
            let d = (bore * 2.0).ceil();
            c.assume(
                "part.outer_diameter_mm",
                format!("{d} mm"),
                "twice the bore, rounded up",
            );
            d
        }
    };
    let length = c.take(
        &[Key::Length, Key::Height, Key::Thickness],
        "part.length_mm",
        10.0,
        "length not given",
    );
    round_extents(c, od, length);
    Part::Spacer(Spacer {
        outer_diameter_mm: od,
        bore_diameter_mm: bore,
        length_mm: length,
    })
}

pub(crate) fn standoff(c: &mut Ctx) -> Part {
    let size = metric_or(c, "part.thread", 3.0);
    let clearance = c.f.has("clearance");
    let bore = c
        .given(&[Key::Bore, Key::InnerDiameter, Key::HoleDiameter])
        .unwrap_or(if clearance {
            size.clearance
        } else {
            size.tap_drill
        });
    if !clearance
        && c.given(&[Key::Bore, Key::InnerDiameter, Key::HoleDiameter])
            .is_none()
    {
        c.assume(
            "part.bore_diameter_mm",
            format!("{} mm", size.tap_drill),
            "the tap drill, so the standoff can be tapped or take a self-tapping screw",
        );
    }
    let af = match c.given(&[Key::AcrossFlats, Key::Diameter]) {
        Some(v) => v,
        None => {
            c.assume(
                "part.across_flats_mm",
                format!("{} mm", size.across_flats),
                "the ISO 4032 nut's width across flats",
            );
            size.across_flats
        }
    };
    let length = c.take(
        &[Key::Length, Key::Height],
        "part.length_mm",
        10.0,
        "length not given",
    );
    c.extent(Axis::Y, af);
    c.extent(Axis::Z, length);
    Part::Standoff(Standoff {
        across_flats_mm: af,
        bore_diameter_mm: bore,
        length_mm: length,
        thread: Some(fasteners::name(size.nominal)),
    })
}

pub(crate) fn washer(c: &mut Ctx) -> Part {
    let named = (
        c.given(&[Key::Diameter]),
        c.given(&[Key::InnerDiameter, Key::Bore, Key::HoleDiameter]),
    );
    let (od, id) = match named {
        (Some(od), Some(id)) => (od, id),
        _ => {
            let size = metric_or(c, "part.inner_diameter_mm", 5.0);
            let od = named.0.unwrap_or(size.washer_outer);
            let id = named.1.unwrap_or(size.washer_inner);
            if named.1.is_none() {
                c.assume(
                    "part.inner_diameter_mm",
                    format!("{id} mm"),
                    "ISO 7089 normal series",
                );
            }
            c.assume(
                "part.outer_diameter_mm",
                format!("{od} mm"),
                "ISO 7089 normal series",
            );
            (od, id)
        }
    };
    let thickness = c.take(
        &[Key::Thickness, Key::Height],
        "part.thickness_mm",
        2.0,
        "ISO 7089 steel thicknesses are too thin to print; 2 mm prints",
    );
    round_extents(c, od, thickness);
    Part::Washer(Washer {
        outer_diameter_mm: od,
        inner_diameter_mm: id,
        thickness_mm: thickness,
    })
}

pub(crate) fn flange(c: &mut Ctx) -> Part {
    let od = c.take(
        &[Key::Diameter],
        "part.outer_diameter_mm",
        80.0,
        "diameter not given",
    );
    let thickness = c.take(
        &[Key::Thickness],
        "part.thickness_mm",
        6.0,
        "thickness not given",
    );
    let bore = match c.given(&[Key::Bore, Key::InnerDiameter]) {
        Some(b) => b,
        None => {
            let b = (od / 4.0).round();
            c.assume(
                "part.bore_diameter_mm",
                format!("{b} mm"),
                "a quarter of the diameter",
            );
            b
        }
    };
    let hub = c.f.has("hub").then(|| {
        let diameter_mm = match c.given(&[Key::Hub]) {
            Some(d) => d,
            None => {
                c.assume(
                    "part.hub.diameter_mm",
                    format!("{} mm", bore * 2.0),
                    "twice the bore",
                );
                bore * 2.0
            }
        };
        let height_mm = c.take(
            &[Key::Height],
            "part.hub.height_mm",
            thickness,
            "hub as tall as the flange is thick",
        );
        Hub {
            diameter_mm,
            height_mm,
        }
    });
    let count = match c.f.hole_count {
        Some(n) => {
            c.require(Requirement::HoleCount { count: n });
            n
        }
        None => {
            c.assume("part.bolt_holes[0].layout.count", 4, "four bolt holes");
            4
        }
    };
    let hole = c.hole_spec("part.bolt_holes[0].hole", 5.0);
    let inner = hub.as_ref().map_or(bore, |h| h.diameter_mm);
    let pcd = match c.given(&[Key::Pcd, Key::Spacing]) {
        Some(p) => p,
        None => {
            let p = (od + inner) / 2.0;
            c.assume(
                "part.bolt_holes[0].layout.pitch_circle_diameter_mm",
                format!("{p} mm"),
                "midway between the hub (or bore) and the rim",
            );
            p
        }
    };
    let layout = HoleLayout::Circle {
        count,
        pitch_circle_diameter_mm: pcd,
        center: [0.0, 0.0],
        start_angle_deg: 0.0,
    };
    round_extents(c, od, thickness + hub.as_ref().map_or(0.0, |h| h.height_mm));
    Part::Flange(Flange {
        outer_diameter_mm: od,
        thickness_mm: thickness,
        bore_diameter_mm: bore,
        hub,
        bolt_holes: vec![HolePattern { hole, layout }],
    })
}

pub(crate) fn knob(c: &mut Ctx) -> Part {
    let d = c.take(
        &[Key::Diameter],
        "part.diameter_mm",
        30.0,
        "diameter not given",
    );
    let h = c.take(
        &[Key::Height, Key::Thickness],
        "part.height_mm",
        15.0,
        "height not given",
    );
    let shaft = c.take(
        &[Key::Shaft, Key::Bore, Key::HoleDiameter],
        "part.shaft_diameter_mm",
        6.0,
        "a 6 mm potentiometer shaft",
    );
    let depth = match c.given(&[Key::Depth]) {
        Some(v) => v,
        None => {
            let v = h - 3.0;
            c.assume(
                "part.shaft_depth_mm",
                format!("{v} mm"),
                "the bore stops 3 mm under the top",
            );
            v
        }
    };
    let fluted = c.f.flutes.is_some()
        || c.f
            .has_any(&["fluted", "knurled", "grip", "grippy", "ridged", "flutes"]);
    let (flutes, flute_radius) = if fluted {
        let n = c.f.flutes.unwrap_or_else(|| {
            c.assume("part.flutes", 12, "number of flutes not given");
            12
        });
        let r = round2(d / 20.0);
        c.assume(
            "part.flute_radius_mm",
            format!("{r} mm"),
            "a twentieth of the diameter",
        );
        (n, r)
    } else {
        (0, 0.0)
    };
    let knob = Part::Knob(Knob {
        diameter_mm: d,
        height_mm: h,
        flutes,
        flute_radius_mm: flute_radius,
        shaft_diameter_mm: shaft,
        shaft_depth_mm: depth,
    });
    // A flute can fall on the x or y axis (6 flutes put one on +y): the
    // diameter is then not the box's width there, so only axes that meet a
    // land are required to measure the diameter.
    let size = knob.bounding_box().size();
    for (axis, extent) in [(Axis::X, size[0]), (Axis::Y, size[1])] {
        if (extent - d).abs() < 1e-9 {
            c.extent(axis, d);
        }
    }
    c.extent(Axis::Z, h);
    knob
}

pub(crate) fn gear(c: &mut Ctx) -> Part {
    let teeth = match c.f.teeth {
        Some(n) => {
            c.require(Requirement::ToothCount { count: n });
            n
        }
        None => {
            c.assume("part.teeth", 20, "tooth count not given");
            20
        }
    };
    let z = f64::from(teeth);
    let module = match (
        c.given(&[Key::Module]),
        c.given(&[Key::PitchDiameter]),
        c.given(&[Key::Diameter]),
    ) {
        (Some(m), _, _) => m,
        (None, Some(pd), _) => pd / z,
        (None, None, Some(od)) => od / (z + 2.0),
        _ => {
            c.assume("part.module_mm", "1 mm", "module not given");
            1.0
        }
    };
    let face = c.take(
        &[Key::FaceWidth, Key::Thickness, Key::Width, Key::Height],
        "part.face_width_mm",
        6.0,
        "face width not given",
    );
    let bore = match c.given(&[Key::Bore, Key::Shaft, Key::HoleDiameter]) {
        Some(b) => b,
        None => match c.f.metric.and_then(fasteners::metric) {
            Some(m) => metric_hole(m, false, false).diameter_mm,
            None => c.take(&[], "part.bore_diameter_mm", 5.0, "bore not given"),
        },
    };
    let pressure = c.given(&[Key::PressureAngle]).unwrap_or_else(|| {
        c.assume(
            "part.pressure_angle_deg",
            "20°",
            "the ISO 53 standard pressure angle",
        );
        20.0
    });
    // Only a face width the prompt states is a requirement.
    if c.given(&[Key::FaceWidth, Key::Thickness, Key::Width, Key::Height])
        .is_some()
    {
        c.extent(Axis::Z, face);
    }
    Part::SpurGear(SpurGear {
        module_mm: module,
        teeth,
        face_width_mm: face,
        bore_diameter_mm: bore,
        pressure_angle_deg: pressure,
    })
}
