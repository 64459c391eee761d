//! Each family's analytic volume and bounding box, computed from the same
//! definitions the family docstrings give the kernel, so the print-ready gate
//! can compare a built solid against them.

use crate::gear::GearProfile;
use crate::holes::{PlacedHole, countersink_depth_mm};
use crate::spec::*;
use std::f64::consts::PI;

/// Gap between a box and its lid when both are printed together (mm).
pub const LID_GAP_MM: f64 = 10.0;

/// An axis-aligned box in the part's coordinates, mm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    pub min: [f64; 3],
    pub max: [f64; 3],
}

impl BoundingBox {
    /// Extent along x, y and z.
    pub fn size(&self) -> [f64; 3] {
        std::array::from_fn(|i| self.max[i] - self.min[i])
    }
}

/// Area a corner profile removes from one 90-degree corner of a sketch:
/// `r² (1 - pi/4)` for a fillet, `c² / 2` for a chamfer.
pub fn corner_loss(corner: CornerProfile) -> f64 {
    match corner {
        CornerProfile::Sharp => 0.0,
        CornerProfile::Fillet { radius_mm: r } => r * r * (1.0 - PI / 4.0),
        CornerProfile::Chamfer { size_mm: c } => c * c / 2.0,
    }
}

/// Distance from the corner's sides to the centroid of the area a corner
/// profile removes (for Pappus' theorem on revolved profiles): `c / 3` for a
/// chamfer; `r (10 - 3 pi) / (12 - 3 pi)` for a fillet's spandrel.
fn corner_loss_centroid(corner: CornerProfile) -> f64 {
    match corner {
        CornerProfile::Sharp => 0.0,
        CornerProfile::Fillet { radius_mm: r } => r * (10.0 - 3.0 * PI) / (12.0 - 3.0 * PI),
        CornerProfile::Chamfer { size_mm: c } => c / 3.0,
    }
}

/// Area of a rectangle whose four corners are rounded with radius `r`.
pub fn rounded_rect_area(length: f64, width: f64, r: f64) -> f64 {
    length * width - 4.0 * r * r * (1.0 - PI / 4.0)
}

fn disc(d: f64) -> f64 {
    PI * d * d / 4.0
}

/// Material a hole removes: its bore through `depth_mm` plus, with a
/// countersink, the cone frustum beyond the bore
/// (`pi h / 12 (D² + D d + d²) - pi d² h / 4`).
pub fn hole_volume(hole: &PlacedHole) -> f64 {
    let d = hole.spec.diameter_mm;
    let mut v = disc(d) * hole.depth_mm;
    if let Some(cs) = &hole.spec.countersink {
        let h = countersink_depth_mm(cs, d).min(hole.depth_mm);
        let big = d + 2.0 * h * (cs.angle_deg.to_radians() / 2.0).tan();
        v += PI * h / 12.0 * (big * big + big * d + d * d) - disc(d) * h;
    }
    v
}

/// Area of the intersection of two circles of radii `r1`, `r2` whose centres
/// are `d` apart (the lens), assuming they overlap partially.
fn lens_area(r1: f64, r2: f64, d: f64) -> f64 {
    let a1 = ((d * d + r1 * r1 - r2 * r2) / (2.0 * d * r1))
        .clamp(-1.0, 1.0)
        .acos();
    let a2 = ((d * d + r2 * r2 - r1 * r1) / (2.0 * d * r2))
        .clamp(-1.0, 1.0)
        .acos();
    let k = (-d + r1 + r2) * (d + r1 - r2) * (d - r1 + r2) * (d + r1 + r2);
    r1 * r1 * a1 + r2 * r2 * a2 - 0.5 * k.max(0.0).sqrt()
}

impl Part {
    /// Number of separate solids the part prints as (2 for a box with a lid).
    pub fn solid_count(&self) -> usize {
        match self {
            Part::Box(b) if b.lid.is_some() => 2,
            _ => 1,
        }
    }

    /// The analytic volume of the finished part, mm³ (all solids together).
    pub fn volume_mm3(&self) -> f64 {
        let holes: f64 = self.holes().iter().map(hole_volume).sum();
        self.body_volume_mm3() - holes
    }

    fn body_volume_mm3(&self) -> f64 {
        match self {
            Part::Plate(p) => {
                (p.length_mm * p.width_mm - 4.0 * corner_loss(p.corners)) * p.thickness_mm
            }
            Part::LBracket(b) => bracket_area(b) * b.width_mm,
            Part::AngleBracket(a) => {
                let b = &a.bracket;
                let g = &a.gusset;
                let fillet = b.inner_fillet_mm;
                let triangle = g.size_mm * g.size_mm / 2.0 - fillet * fillet * (1.0 - PI / 4.0);
                bracket_area(b) * b.width_mm + f64::from(g.count) * triangle * g.thickness_mm
            }
            Part::Box(b) => box_volume(b),
            Part::Cylinder(c) => {
                let r = c.diameter_mm / 2.0;
                let bore = c.bore_diameter_mm.map_or(0.0, disc);
                let edge =
                    2.0 * 2.0 * PI * (r - corner_loss_centroid(c.edges)) * corner_loss(c.edges);
                (disc(c.diameter_mm) - bore) * c.height_mm - edge
            }
            Part::Spacer(s) => (disc(s.outer_diameter_mm) - disc(s.bore_diameter_mm)) * s.length_mm,
            Part::Standoff(s) => {
                let hexagon = 3f64.sqrt() / 2.0 * s.across_flats_mm * s.across_flats_mm;
                (hexagon - disc(s.bore_diameter_mm)) * s.length_mm
            }
            Part::Washer(w) => {
                (disc(w.outer_diameter_mm) - disc(w.inner_diameter_mm)) * w.thickness_mm
            }
            Part::Flange(f) => {
                let hub = f.hub.as_ref().map_or(0.0, |h| {
                    (disc(h.diameter_mm) - disc(f.bore_diameter_mm)) * h.height_mm
                });
                (disc(f.outer_diameter_mm) - disc(f.bore_diameter_mm)) * f.thickness_mm + hub
            }
            Part::Hook(h) => {
                let t = h.thickness_mm;
                let area = h.back_height_mm * t + (h.reach_mm - t) * t + (h.tip_height_mm - t) * t;
                area * h.width_mm
            }
            Part::Knob(k) => {
                let r = k.diameter_mm / 2.0;
                let flutes = if k.flutes > 0 && k.flute_radius_mm > 0.0 {
                    f64::from(k.flutes) * lens_area(r, k.flute_radius_mm, r)
                } else {
                    0.0
                };
                (PI * r * r - flutes) * k.height_mm - disc(k.shaft_diameter_mm) * k.shaft_depth_mm
            }
            Part::SpurGear(g) => {
                (GearProfile::new(g).area() - disc(g.bore_diameter_mm)) * g.face_width_mm
            }
            Part::CableClip(c) => clip_area(c) * c.width_mm,
        }
    }

    /// The analytic bounding box of the finished part (all solids), mm.
    pub fn bounding_box(&self) -> BoundingBox {
        let prism = |x: f64, y: f64, z: f64| BoundingBox {
            min: [0.0; 3],
            max: [x, y, z],
        };
        let round = |d: f64, z: f64| BoundingBox {
            min: [-d / 2.0, -d / 2.0, 0.0],
            max: [d / 2.0, d / 2.0, z],
        };
        match self {
            Part::Plate(p) => prism(p.length_mm, p.width_mm, p.thickness_mm),
            Part::LBracket(b) => prism(b.length_mm, b.width_mm, b.height_mm),
            Part::AngleBracket(a) => {
                let b = &a.bracket;
                prism(b.length_mm, b.width_mm, b.height_mm)
            }
            Part::Box(b) => match &b.lid {
                None => prism(b.length_mm, b.width_mm, b.height_mm),
                Some(lid) => prism(
                    2.0 * b.length_mm + LID_GAP_MM,
                    b.width_mm,
                    b.height_mm.max(lid.thickness_mm + lid.lip_height_mm),
                ),
            },
            Part::Cylinder(c) => round(c.diameter_mm, c.height_mm),
            Part::Spacer(s) => round(s.outer_diameter_mm, s.length_mm),
            Part::Standoff(s) => {
                // Vertices on ±x: across corners = across flats / cos(30°).
                let corners = s.across_flats_mm / (PI / 6.0).cos();
                BoundingBox {
                    min: [-corners / 2.0, -s.across_flats_mm / 2.0, 0.0],
                    max: [corners / 2.0, s.across_flats_mm / 2.0, s.length_mm],
                }
            }
            Part::Washer(w) => round(w.outer_diameter_mm, w.thickness_mm),
            Part::Flange(f) => round(
                f.outer_diameter_mm,
                f.thickness_mm + f.hub.as_ref().map_or(0.0, |h| h.height_mm),
            ),
            Part::Hook(h) => prism(
                h.reach_mm,
                h.width_mm,
                h.back_height_mm.max(h.tip_height_mm),
            ),
            Part::Knob(k) => knob_box(k),
            Part::SpurGear(g) => gear_box(g),
            Part::CableClip(c) => {
                let ri = c.cable_diameter_mm / 2.0;
                let ro = ri + c.thickness_mm;
                let half_x = (c.base_length_mm / 2.0).max(ro);
                // The highest material: the outer corners of the ring's ends.
                let top = c.thickness_mm + ri + ro * clip_opening_half_angle(c).cos();
                BoundingBox {
                    min: [-half_x, 0.0, 0.0],
                    max: [half_x, c.width_mm, top],
                }
            }
        }
    }
}

/// The L profile's area: both legs, plus the inner fillet's spandrel, less
/// the outer corner's cut.
fn bracket_area(b: &LBracket) -> f64 {
    let t = b.thickness_mm;
    let r = b.inner_fillet_mm;
    b.length_mm * t + (b.height_mm - t) * t + r * r * (1.0 - PI / 4.0) - corner_loss(b.outer_corner)
}

fn box_volume(b: &BoxPart) -> f64 {
    let w = b.wall_mm;
    let r = b.corner_radius_mm;
    let ri = (r - w).max(0.0);
    let outer = rounded_rect_area(b.length_mm, b.width_mm, r);
    let cavity_l = b.length_mm - 2.0 * w;
    let cavity_w = b.width_mm - 2.0 * w;
    let inner = rounded_rect_area(cavity_l, cavity_w, ri);
    let body = outer * b.height_mm - inner * (b.height_mm - b.floor_mm);
    let lid = b.lid.as_ref().map_or(0.0, |lid| {
        let c = lid.clearance_mm;
        let lip_outer =
            rounded_rect_area(cavity_l - 2.0 * c, cavity_w - 2.0 * c, (ri - c).max(0.0));
        let lip_inner = rounded_rect_area(
            cavity_l - 2.0 * c - 2.0 * w,
            cavity_w - 2.0 * c - 2.0 * w,
            (ri - c - w).max(0.0),
        );
        outer * lid.thickness_mm + (lip_outer - lip_inner) * lid.lip_height_mm
    });
    body + lid
}

/// Half the angle of a cable clip's opening at the ring's centre, radians,
/// from +z: the radial cut meets the inner circle `opening_mm` apart, so
/// `sin(angle) = (opening/2) / inner radius` (see [`CableClip`]).
pub fn clip_opening_half_angle(c: &CableClip) -> f64 {
    (c.opening_mm / c.cable_diameter_mm).clamp(0.0, 1.0).asin()
}

/// The clip's profile: the base strip, the ring above the strip's top, less
/// the opening's sector at the top (see [`CableClip`]).
fn clip_area(c: &CableClip) -> f64 {
    let t = c.thickness_mm;
    let ri = c.cable_diameter_mm / 2.0;
    let ro = ri + t;
    // The strip's top is `ri` below the ring's centre: the outer disc's
    // segment below it lies inside the strip; the inner disc just touches it.
    let segment_below = ro * ro * (ri / ro).acos() - ri * (ro * ro - ri * ri).sqrt();
    let ring_above = PI * ro * ro - segment_below - PI * ri * ri;
    // The opening: the annulus's sector of angle 2a.
    let slot = clip_opening_half_angle(c) * (ro * ro - ri * ri);
    c.base_length_mm * t + ring_above - slot
}

/// A knob's box: ±r along any axis that meets a land; elsewhere the farthest
/// end of the neighbouring lands (the flutes are concave).
fn knob_box(k: &Knob) -> BoundingBox {
    let r = k.diameter_mm / 2.0;
    if k.flutes == 0 || k.flute_radius_mm <= 0.0 {
        return BoundingBox {
            min: [-r, -r, 0.0],
            max: [r, r, k.height_mm],
        };
    }
    let pitch = 2.0 * PI / f64::from(k.flutes);
    let half = flute_half_angle(k);
    // Within a flute's angle, the nearer end of the cut rim is the farthest
    // point: the groove bulges inwards, the lands are farther round.
    let extent = |direction: f64| {
        (0..k.flutes)
            .map(|i| angle_between(direction, pitch / 2.0 + pitch * f64::from(i)))
            .find(|offset| *offset < half)
            .map_or(r, |offset| r * (half - offset).cos())
    };
    BoundingBox {
        min: [-extent(PI), -extent(1.5 * PI), 0.0],
        max: [extent(0.0), extent(0.5 * PI), k.height_mm],
    }
}

fn angle_between(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(2.0 * PI);
    d.min(2.0 * PI - d)
}

/// Half the angle of rim one flute of a knob removes, radians: the flute's
/// circle (centred on the rim) meets the rim where the chord from its centre,
/// `2 r sin(b / 2)`, equals the flute radius.
pub fn flute_half_angle(k: &Knob) -> f64 {
    let r = k.diameter_mm / 2.0;
    2.0 * (k.flute_radius_mm / (2.0 * r)).min(1.0).asin()
}

/// A gear's box from a dense polyline of its outline (the error is below
/// 0.001 mm for gears that fit the build volume).
fn gear_box(g: &SpurGear) -> BoundingBox {
    let outline = GearProfile::new(g).outline(400);
    let mut min = [f64::MAX, f64::MAX, 0.0];
    let mut max = [f64::MIN, f64::MIN, g.face_width_mm];
    for [x, y] in outline {
        min[0] = min[0].min(x);
        min[1] = min[1].min(y);
        max[0] = max[0].max(x);
        max[1] = max[1].max(y);
    }
    BoundingBox { min, max }
}
