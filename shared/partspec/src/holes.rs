//! Hole patterns expanded to concrete holes in the part's coordinates.

use crate::spec::{
    BoxPart, CableClip, Countersink, Cylinder, Flange, HoleLayout, HolePattern, HoleSpec, Hook,
    Knob, LBracket, Part, Plate, Spacer, SpurGear, Standoff, Washer,
};

/// One hole of a pattern, in the part's coordinates (mm).
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedHole {
    /// Centre of the hole on its entry face (where a countersink opens).
    pub entry: [f64; 3],
    /// Unit vector from the entry face into the material.
    pub direction: [f64; 3],
    /// Length of the bore: the thickness of the material it passes through.
    pub depth_mm: f64,
    /// Diameter and countersink.
    pub spec: HoleSpec,
}

impl HoleLayout {
    /// Hole centres in the face's `(u, v)` frame, mm, in a stable order
    /// (along the line, row by row, counter-clockwise).
    pub fn positions(&self) -> Vec<[f64; 2]> {
        match *self {
            HoleLayout::Single { center } => vec![center],
            HoleLayout::Linear {
                count,
                pitch_mm,
                center,
                angle_deg,
            } => {
                let (s, c) = angle_deg.to_radians().sin_cos();
                let first = -(f64::from(count.max(1)) - 1.0) / 2.0;
                (0..count)
                    .map(|i| {
                        let t = (first + f64::from(i)) * pitch_mm;
                        [center[0] + t * c, center[1] + t * s]
                    })
                    .collect()
            }
            HoleLayout::Grid {
                rows,
                columns,
                pitch_u_mm,
                pitch_v_mm,
                center,
            } => {
                let u0 = -(f64::from(columns.max(1)) - 1.0) / 2.0;
                let v0 = -(f64::from(rows.max(1)) - 1.0) / 2.0;
                let mut out = Vec::new();
                for r in 0..rows {
                    for c in 0..columns {
                        out.push([
                            center[0] + (u0 + f64::from(c)) * pitch_u_mm,
                            center[1] + (v0 + f64::from(r)) * pitch_v_mm,
                        ]);
                    }
                }
                out
            }
            HoleLayout::Circle {
                count,
                pitch_circle_diameter_mm,
                center,
                start_angle_deg,
            } => {
                let radius = pitch_circle_diameter_mm / 2.0;
                (0..count)
                    .map(|i| {
                        let a = start_angle_deg.to_radians()
                            + std::f64::consts::TAU * f64::from(i) / f64::from(count);
                        [center[0] + radius * a.cos(), center[1] + radius * a.sin()]
                    })
                    .collect()
            }
        }
    }

    /// Number of holes in the layout (saturating: a hostile grid cannot overflow).
    pub fn count(&self) -> u32 {
        match *self {
            HoleLayout::Single { .. } => 1,
            HoleLayout::Linear { count, .. } | HoleLayout::Circle { count, .. } => count,
            HoleLayout::Grid { rows, columns, .. } => rows.saturating_mul(columns),
        }
    }

    /// Centre-to-centre distance of neighbouring holes, if the layout has
    /// more than one hole (for a grid, the smaller pitch; for a circle, the chord).
    pub fn spacing_mm(&self) -> Option<f64> {
        match *self {
            HoleLayout::Single { .. } => None,
            HoleLayout::Linear {
                count, pitch_mm, ..
            } => (count > 1).then_some(pitch_mm),
            HoleLayout::Grid {
                rows,
                columns,
                pitch_u_mm,
                pitch_v_mm,
                ..
            } => match (rows > 1, columns > 1) {
                (true, true) => Some(pitch_u_mm.min(pitch_v_mm)),
                (false, true) => Some(pitch_u_mm),
                (true, false) => Some(pitch_v_mm),
                (false, false) => None,
            },
            HoleLayout::Circle {
                count,
                pitch_circle_diameter_mm,
                ..
            } => (count > 1).then(|| {
                pitch_circle_diameter_mm * (std::f64::consts::PI / f64::from(count)).sin()
            }),
        }
    }
}

/// A face's frame: where `(u, v) = (0, 0)` is, which way u and v point, the
/// direction into the material and the material's thickness there.
struct Frame {
    origin: [f64; 3],
    u: [f64; 3],
    v: [f64; 3],
    inward: [f64; 3],
    depth: f64,
}

impl Frame {
    fn place(&self, patterns: &[HolePattern], out: &mut Vec<PlacedHole>) {
        for pattern in patterns {
            for [a, b] in pattern.layout.positions() {
                let entry = std::array::from_fn(|i| self.origin[i] + a * self.u[i] + b * self.v[i]);
                out.push(PlacedHole {
                    entry,
                    direction: self.inward,
                    depth_mm: self.depth,
                    spec: pattern.hole.clone(),
                });
            }
        }
    }
}

const X: [f64; 3] = [1.0, 0.0, 0.0];
const Y: [f64; 3] = [0.0, 1.0, 0.0];
const Z: [f64; 3] = [0.0, 0.0, 1.0];
const DOWN: [f64; 3] = [0.0, 0.0, -1.0];
const MINUS_X: [f64; 3] = [-1.0, 0.0, 0.0];

impl Part {
    /// Every hole of the part's hole patterns (and a cable clip's screw
    /// holes), in the part's coordinates. Bores on the axis of round parts
    /// (a tube's, spacer's, standoff's, washer's, flange's, knob's or gear's
    /// bore) are not holes here.
    pub fn holes(&self) -> Vec<PlacedHole> {
        let mut out = Vec::new();
        match self {
            Part::Plate(Plate {
                length_mm,
                width_mm,
                thickness_mm,
                holes,
                ..
            }) => Frame {
                origin: [length_mm / 2.0, width_mm / 2.0, *thickness_mm],
                u: X,
                v: Y,
                inward: DOWN,
                depth: *thickness_mm,
            }
            .place(holes, &mut out),
            Part::LBracket(b) => bracket_holes(b, &mut out),
            Part::AngleBracket(a) => bracket_holes(&a.bracket, &mut out),
            Part::Hook(Hook {
                back_height_mm,
                width_mm,
                thickness_mm,
                holes,
                ..
            }) => Frame {
                origin: [*thickness_mm, width_mm / 2.0, back_height_mm / 2.0],
                u: Z,
                v: Y,
                inward: MINUS_X,
                depth: *thickness_mm,
            }
            .place(holes, &mut out),
            Part::Flange(Flange {
                thickness_mm,
                bolt_holes,
                ..
            }) => Frame {
                origin: [0.0, 0.0, *thickness_mm],
                u: X,
                v: Y,
                inward: DOWN,
                depth: *thickness_mm,
            }
            .place(bolt_holes, &mut out),
            Part::CableClip(clip) => clip_holes(clip, &mut out),
            Part::Box(BoxPart { .. })
            | Part::Cylinder(Cylinder { .. })
            | Part::Spacer(Spacer { .. })
            | Part::Standoff(Standoff { .. })
            | Part::Washer(Washer { .. })
            | Part::Knob(Knob { .. })
            | Part::SpurGear(SpurGear { .. }) => {}
        }
        out
    }

    /// The hole patterns of the part (not a cable clip's screw holes), with
    /// the JSON path of each list, for validation and follow-up edits.
    pub fn hole_patterns(&self) -> Vec<(&'static str, &[HolePattern])> {
        match self {
            Part::Plate(p) => vec![("part.holes", &p.holes)],
            Part::LBracket(b) => vec![
                ("part.base_holes", &b.base_holes),
                ("part.upright_holes", &b.upright_holes),
            ],
            Part::AngleBracket(a) => vec![
                ("part.bracket.base_holes", &a.bracket.base_holes),
                ("part.bracket.upright_holes", &a.bracket.upright_holes),
            ],
            Part::Hook(h) => vec![("part.holes", &h.holes)],
            Part::Flange(f) => vec![("part.bolt_holes", &f.bolt_holes)],
            _ => Vec::new(),
        }
    }
}

fn bracket_holes(b: &LBracket, out: &mut Vec<PlacedHole>) {
    Frame {
        origin: [b.length_mm / 2.0, b.width_mm / 2.0, b.thickness_mm],
        u: X,
        v: Y,
        inward: DOWN,
        depth: b.thickness_mm,
    }
    .place(&b.base_holes, out);
    Frame {
        origin: [b.thickness_mm, b.width_mm / 2.0, b.height_mm / 2.0],
        u: Z,
        v: Y,
        inward: MINUS_X,
        depth: b.thickness_mm,
    }
    .place(&b.upright_holes, out);
}

/// Where a cable clip's tabs put their screw holes: x = ±(outer ring radius +
/// base_length/2)/2 (the middle of each tab).
pub fn clip_hole_offset_mm(clip: &CableClip) -> f64 {
    let ring_outer = clip.cable_diameter_mm / 2.0 + clip.thickness_mm;
    (ring_outer + clip.base_length_mm / 2.0) / 2.0
}

fn clip_holes(clip: &CableClip, out: &mut Vec<PlacedHole>) {
    let Some(spec) = &clip.screw_hole else {
        return;
    };
    let x = clip_hole_offset_mm(clip);
    for sx in [-x, x] {
        out.push(PlacedHole {
            entry: [sx, clip.width_mm / 2.0, clip.thickness_mm],
            direction: DOWN,
            depth_mm: clip.thickness_mm,
            spec: spec.clone(),
        });
    }
}

/// Depth of a countersink's cone below its entry face for a bore of
/// `bore_mm`: `(D - d) / 2 / tan(angle / 2)`.
pub fn countersink_depth_mm(countersink: &Countersink, bore_mm: f64) -> f64 {
    (countersink.diameter_mm - bore_mm) / 2.0 / (countersink.angle_deg.to_radians() / 2.0).tan()
}
