//! The round families' rules: cylinder, flange, knob, spur gear.

use crate::gear::GearProfile;
use crate::spec::*;
use crate::validate::{Checker, MAX_FLUTES, MIN_WALL_MM, flutes_fit};
use crate::validate_holes::{Region, holes_on_face};

pub(crate) fn cylinder(cy: &Cylinder, c: &mut Checker) {
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

pub(crate) fn flange(f: &Flange, c: &mut Checker) {
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

pub(crate) fn knob(k: &Knob, c: &mut Checker) {
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

pub(crate) fn gear(g: &SpurGear, c: &mut Checker) {
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
