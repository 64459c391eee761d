//! Which field of a part an edit's words change.

use crate::facts::Key;
use farm_partspec::*;

/// Comparatives and the dimension they change (+1 grows, -1 shrinks).
pub(crate) const COMPARATIVES: &[(&str, Key, f64)] = &[
    ("thicker", Key::Thickness, 1.0),
    ("thinner", Key::Thickness, -1.0),
    ("longer", Key::Length, 1.0),
    ("shorter", Key::Length, -1.0),
    ("wider", Key::Width, 1.0),
    ("narrower", Key::Width, -1.0),
    ("taller", Key::Height, 1.0),
    ("higher", Key::Height, 1.0),
    ("lower", Key::Height, -1.0),
    ("deeper", Key::Height, 1.0),
    ("shallower", Key::Height, -1.0),
    ("bigger", Key::Diameter, 1.0),
    ("larger", Key::Diameter, 1.0),
    ("smaller", Key::Diameter, -1.0),
];

pub(crate) const ORDINALS: &[(&str, u32)] = &[
    ("second", 2),
    ("third", 3),
    ("fourth", 4),
    ("fifth", 5),
    ("sixth", 6),
    ("eighth", 8),
];

/// The field a key names in `part`, if the family has one.
pub(crate) fn field(part: &mut Part, key: Key) -> Option<(&mut f64, &'static str)> {
    use Key::*;
    Some(match (part, key) {
        (Part::Plate(p), Length) => (&mut p.length_mm, "length_mm"),
        (Part::Plate(p), Width) => (&mut p.width_mm, "width_mm"),
        (Part::Plate(p), Thickness | Height) => (&mut p.thickness_mm, "thickness_mm"),
        (Part::LBracket(b), k) => return bracket_field(b, k),
        (Part::AngleBracket(a), k) => return bracket_field(&mut a.bracket, k),
        (Part::Box(b), Length) => (&mut b.length_mm, "length_mm"),
        (Part::Box(b), Width) => (&mut b.width_mm, "width_mm"),
        (Part::Box(b), Height | Depth) => (&mut b.height_mm, "height_mm"),
        (Part::Box(b), Wall | Thickness) => (&mut b.wall_mm, "wall_mm"),
        (Part::Box(b), Floor) => (&mut b.floor_mm, "floor_mm"),
        (Part::Box(b), Fillet | Corner) => (&mut b.corner_radius_mm, "corner_radius_mm"),
        (Part::Cylinder(c), Diameter) => (&mut c.diameter_mm, "diameter_mm"),
        (Part::Cylinder(c), Length | Height) => (&mut c.height_mm, "height_mm"),
        (Part::Cylinder(c), Bore | InnerDiameter) => {
            (c.bore_diameter_mm.as_mut()?, "bore_diameter_mm")
        }
        (Part::Spacer(s), Diameter) => (&mut s.outer_diameter_mm, "outer_diameter_mm"),
        (Part::Spacer(s), Bore | InnerDiameter) => (&mut s.bore_diameter_mm, "bore_diameter_mm"),
        (Part::Spacer(s), Length | Height | Thickness) => (&mut s.length_mm, "length_mm"),
        (Part::Standoff(s), AcrossFlats | Diameter) => (&mut s.across_flats_mm, "across_flats_mm"),
        (Part::Standoff(s), Length | Height) => (&mut s.length_mm, "length_mm"),
        (Part::Standoff(s), Bore | InnerDiameter) => (&mut s.bore_diameter_mm, "bore_diameter_mm"),
        (Part::Washer(w), Diameter) => (&mut w.outer_diameter_mm, "outer_diameter_mm"),
        (Part::Washer(w), InnerDiameter | Bore) => (&mut w.inner_diameter_mm, "inner_diameter_mm"),
        (Part::Washer(w), Thickness | Height) => (&mut w.thickness_mm, "thickness_mm"),
        (Part::Flange(f), Diameter) => (&mut f.outer_diameter_mm, "outer_diameter_mm"),
        (Part::Flange(f), Thickness) => (&mut f.thickness_mm, "thickness_mm"),
        (Part::Flange(f), Bore | InnerDiameter) => (&mut f.bore_diameter_mm, "bore_diameter_mm"),
        (Part::Hook(h), Height | Back) => (&mut h.back_height_mm, "back_height_mm"),
        (Part::Hook(h), Reach | Depth | Length) => (&mut h.reach_mm, "reach_mm"),
        (Part::Hook(h), Tip) => (&mut h.tip_height_mm, "tip_height_mm"),
        (Part::Hook(h), Width) => (&mut h.width_mm, "width_mm"),
        (Part::Hook(h), Thickness) => (&mut h.thickness_mm, "thickness_mm"),
        (Part::Knob(k), Diameter) => (&mut k.diameter_mm, "diameter_mm"),
        (Part::Knob(k), Height | Thickness) => (&mut k.height_mm, "height_mm"),
        (Part::Knob(k), Shaft | Bore) => (&mut k.shaft_diameter_mm, "shaft_diameter_mm"),
        (Part::Knob(k), Depth) => (&mut k.shaft_depth_mm, "shaft_depth_mm"),
        (Part::SpurGear(g), Module) => (&mut g.module_mm, "module_mm"),
        (Part::SpurGear(g), FaceWidth | Thickness | Width | Height) => {
            (&mut g.face_width_mm, "face_width_mm")
        }
        (Part::SpurGear(g), Bore | Shaft) => (&mut g.bore_diameter_mm, "bore_diameter_mm"),
        (Part::CableClip(c), Cable | Diameter) => (&mut c.cable_diameter_mm, "cable_diameter_mm"),
        (Part::CableClip(c), Thickness | Wall) => (&mut c.thickness_mm, "thickness_mm"),
        (Part::CableClip(c), Width) => (&mut c.width_mm, "width_mm"),
        (Part::CableClip(c), Opening) => (&mut c.opening_mm, "opening_mm"),
        (Part::CableClip(c), Length) => (&mut c.base_length_mm, "base_length_mm"),
        _ => return None,
    })
}

pub(crate) fn bracket_field(b: &mut LBracket, key: Key) -> Option<(&mut f64, &'static str)> {
    Some(match key {
        Key::Length => (&mut b.length_mm, "length_mm"),
        Key::Height => (&mut b.height_mm, "height_mm"),
        Key::Width => (&mut b.width_mm, "width_mm"),
        Key::Thickness => (&mut b.thickness_mm, "thickness_mm"),
        Key::Fillet => (&mut b.inner_fillet_mm, "inner_fillet_mm"),
        _ => return None,
    })
}

/// Every hole pattern of the part, mutable, with whether a mirror flips u
/// (plates, flanges) or v (brackets, hooks).
pub(crate) fn patterns(part: &mut Part) -> (Vec<&mut HolePattern>, bool) {
    match part {
        Part::Plate(p) => (p.holes.iter_mut().collect(), true),
        Part::Flange(f) => (f.bolt_holes.iter_mut().collect(), true),
        Part::LBracket(b) => (
            b.base_holes
                .iter_mut()
                .chain(b.upright_holes.iter_mut())
                .collect(),
            false,
        ),
        Part::AngleBracket(a) => (
            a.bracket
                .base_holes
                .iter_mut()
                .chain(a.bracket.upright_holes.iter_mut())
                .collect(),
            false,
        ),
        Part::Hook(h) => (h.holes.iter_mut().collect(), false),
        _ => (Vec::new(), false),
    }
}
