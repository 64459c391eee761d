//! The part program's types: what a designer writes and the kernel reads.
//!
//! Every length is in millimetres (`*_mm`), every angle in degrees (`*_deg`).
//! Coordinates: right-handed, +z up (the build plate's normal), the part's
//! bounding box starts at the origin for prismatic families (`x, y, z >= 0`)
//! and is centred on the z axis for round families (`x, y` symmetric about 0,
//! `z >= 0`). Each family's docstring says where its faces are; the kernel
//! builds exactly that, and `geometry` computes the same part's analytic volume
//! and bounding box so the print-ready gate can compare the two.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The version of the part program this crate reads and writes.
pub const SPEC_VERSION: u32 = 1;

/// A part program: one printable part, the defaults that were assumed to
/// complete it, and what the prompt asked for (checked against the solid).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartSpec {
    /// Always [`SPEC_VERSION`] (1).
    pub version: u32,
    /// The part: its family and that family's parameters.
    pub part: Part,
    /// The material the prompt hinted at, if any (a hint for the quote; the
    /// geometry does not depend on it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub material: Option<MaterialHint>,
    /// Every value the designer filled in that the prompt did not say.
    #[serde(default)]
    pub assumptions: Vec<Assumption>,
    /// Checks derived from the prompt that the finished solid must pass.
    #[serde(default)]
    pub requirements: Vec<Requirement>,
}

impl From<Part> for PartSpec {
    /// A program of just `part`: [`SPEC_VERSION`], no material, assumptions
    /// or requirements.
    fn from(part: Part) -> Self {
        Self {
            version: SPEC_VERSION,
            part,
            material: None,
            assumptions: Vec::new(),
            requirements: Vec::new(),
        }
    }
}

/// A part family with its parameters (`"family"` names it in JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "family", rename_all = "snake_case")]
pub enum Part {
    /// A flat plate (also a mounting plate).
    Plate(Plate),
    /// An L-shaped bracket of constant thickness.
    LBracket(LBracket),
    /// An L-bracket stiffened by triangular gussets.
    AngleBracket(AngleBracket),
    /// An open-top box, optionally with a separate lid (an enclosure).
    Box(BoxPart),
    /// A solid cylinder (rod) or a tube when it has a bore.
    Cylinder(Cylinder),
    /// A round spacer: a short tube slid over a screw.
    Spacer(Spacer),
    /// A hexagonal standoff with a through bore (a tap-drill pilot or a clearance hole).
    Standoff(Standoff),
    /// A flat washer.
    Washer(Washer),
    /// A round flange: a disc with a bore, a bolt circle and an optional hub.
    Flange(Flange),
    /// A J-shaped wall hook.
    Hook(Hook),
    /// A fluted knob with a blind shaft bore.
    Knob(Knob),
    /// An involute spur gear.
    SpurGear(SpurGear),
    /// A cable clip: an open ring on a base with screw holes.
    CableClip(CableClip),
}

/// A fillet or chamfer applied to the corners of a family's sketched profile.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CornerProfile {
    /// Sharp corners.
    #[default]
    Sharp,
    /// A tangent arc of this radius replaces each corner.
    Fillet { radius_mm: f64 },
    /// A 45-degree cut with legs of this length replaces each corner.
    Chamfer { size_mm: f64 },
}

/// A countersink for a flat-head screw at a hole's entry face.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Countersink {
    /// Diameter of the cone where it meets the entry face.
    pub diameter_mm: f64,
    /// Included angle of the cone (90 for ISO 10642 / ISO 7046 heads).
    pub angle_deg: f64,
}

/// One kind of hole: its diameter and optional countersink.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HoleSpec {
    /// Diameter of the straight bore.
    pub diameter_mm: f64,
    /// Countersink at the entry face, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub countersink: Option<Countersink>,
    /// The fastener this hole is for, e.g. `"M3 clearance"` or `"M4 tap drill"`
    /// (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fastener: Option<String>,
}

/// Where a group of identical holes sits on a face. Positions are in the
/// face's own 2-D frame `(u, v)`, in mm, whose origin is the centre of that
/// face (each family says which face and which way `u` and `v` point).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "layout", rename_all = "snake_case", deny_unknown_fields)]
pub enum HoleLayout {
    /// One hole at `center`.
    Single { center: [f64; 2] },
    /// `count` holes on a line through `center`, `pitch_mm` apart, along the
    /// direction `angle_deg` from +u (0 = along u).
    Linear {
        count: u32,
        pitch_mm: f64,
        #[serde(default)]
        center: [f64; 2],
        #[serde(default)]
        angle_deg: f64,
    },
    /// `rows` × `columns` holes centred on `center`, `pitch_u_mm` apart along u
    /// and `pitch_v_mm` apart along v.
    Grid {
        rows: u32,
        columns: u32,
        pitch_u_mm: f64,
        pitch_v_mm: f64,
        #[serde(default)]
        center: [f64; 2],
    },
    /// `count` holes equally spaced on a circle of diameter
    /// `pitch_circle_diameter_mm` around `center`, the first at `start_angle_deg`
    /// from +u, counter-clockwise.
    Circle {
        count: u32,
        pitch_circle_diameter_mm: f64,
        #[serde(default)]
        center: [f64; 2],
        #[serde(default)]
        start_angle_deg: f64,
    },
}

/// A group of identical through holes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HolePattern {
    pub hole: HoleSpec,
    pub layout: HoleLayout,
}

/// A flat plate: `length_mm` along x, `width_mm` along y, `thickness_mm` along z.
/// Profile: the x-y rectangle (its four vertical corners take `corners`),
/// extruded up z. Holes go through z from the top face (z = thickness, where
/// countersinks open); their frame is u = +x, v = +y, origin at the plate's
/// centre (length/2, width/2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Plate {
    pub length_mm: f64,
    pub width_mm: f64,
    pub thickness_mm: f64,
    #[serde(default)]
    pub corners: CornerProfile,
    #[serde(default)]
    pub holes: Vec<HolePattern>,
}

/// An L-bracket. Profile in the x-z plane, extruded along y over `width_mm`:
/// the base leg lies on the plate (x from 0 to `length_mm`, z from 0 to
/// `thickness_mm`), the upright leg stands at x = 0 (x from 0 to `thickness_mm`,
/// z from 0 to `height_mm`). `inner_fillet_mm` rounds the inside corner at
/// (thickness, thickness) (0 = sharp); `outer_corner` shapes the outside
/// corner at (0, 0).
///
/// `base_holes` go down z from the base's top face (z = thickness, where
/// countersinks open); frame u = +x, v = +y, origin at (length/2, width/2).
/// `upright_holes` go along -x from the upright's inner face (x = thickness,
/// where countersinks open); frame u = +z, v = +y, origin at
/// (height/2, width/2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LBracket {
    pub length_mm: f64,
    pub height_mm: f64,
    pub width_mm: f64,
    pub thickness_mm: f64,
    #[serde(default)]
    pub inner_fillet_mm: f64,
    #[serde(default)]
    pub outer_corner: CornerProfile,
    #[serde(default)]
    pub base_holes: Vec<HolePattern>,
    #[serde(default)]
    pub upright_holes: Vec<HolePattern>,
}

/// Triangular gussets between the legs of an angle bracket. Each is a
/// right triangle in the x-z plane with legs `size_mm` along the base's top
/// face and up the upright's inner face, starting at the inside corner
/// (thickness, thickness); `thickness_mm` thick along y. One gusset is
/// centred on y = width/2; two sit flush with y = 0 and y = width.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Gusset {
    /// 1 (centred) or 2 (at both ends).
    pub count: u32,
    pub size_mm: f64,
    pub thickness_mm: f64,
}

/// An L-bracket with gussets; `bracket`'s frames and faces apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AngleBracket {
    pub bracket: LBracket,
    pub gusset: Gusset,
}

/// A separate lid for a box: a plate the box's outer size with a lip that
/// fits inside the box's walls with `clearance_mm` all round. Printed beside
/// the box, lip up: its plate spans x from `length + LID_GAP_MM` to
/// `2 * length + LID_GAP_MM`, y from 0 to width, z from 0 to `thickness_mm`;
/// the lip is a ring `lip_height_mm` tall and `wall` thick on top of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lid {
    pub thickness_mm: f64,
    pub lip_height_mm: f64,
    pub clearance_mm: f64,
}

/// An open-top box: outer `length_mm` (x) × `width_mm` (y) × `height_mm` (z),
/// walls `wall_mm` thick, floor `floor_mm` thick. `corner_radius_mm` rounds the
/// four vertical outside corners (the inside corners get
/// `max(0, radius - wall)`). With a `lid`, the part is two solids (box and lid).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BoxPart {
    pub length_mm: f64,
    pub width_mm: f64,
    pub height_mm: f64,
    pub wall_mm: f64,
    pub floor_mm: f64,
    #[serde(default)]
    pub corner_radius_mm: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lid: Option<Lid>,
}

/// A cylinder on the z axis from z = 0 to `height_mm`; a tube when
/// `bore_diameter_mm` is set (a through bore on the axis). `edges` shapes the
/// outer circular edges at both ends (a corner of the revolved profile).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cylinder {
    pub diameter_mm: f64,
    pub height_mm: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bore_diameter_mm: Option<f64>,
    #[serde(default)]
    pub edges: CornerProfile,
}

/// A round spacer on the z axis, z from 0 to `length_mm`, with a through bore.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spacer {
    pub outer_diameter_mm: f64,
    pub bore_diameter_mm: f64,
    pub length_mm: f64,
}

/// A hexagonal standoff on the z axis, z from 0 to `length_mm`, two flats
/// parallel to the x axis (vertices on ±x), with a through bore.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Standoff {
    pub across_flats_mm: f64,
    pub bore_diameter_mm: f64,
    pub length_mm: f64,
    /// The thread the bore is a pilot for, e.g. `"M3"` (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<String>,
}

/// A flat washer on the z axis, z from 0 to `thickness_mm`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Washer {
    pub outer_diameter_mm: f64,
    pub inner_diameter_mm: f64,
    pub thickness_mm: f64,
}

/// A raised hub on a flange's top face, around the bore.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hub {
    pub diameter_mm: f64,
    /// Height above the flange's top face.
    pub height_mm: f64,
}

/// A flange: a disc on the z axis, z from 0 to `thickness_mm`, with a through
/// bore on the axis, an optional hub on top (through which the bore also
/// runs), and bolt holes down z from the top face. Bolt-hole frame: u = +x, v = +y, origin on
/// the axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Flange {
    pub outer_diameter_mm: f64,
    pub thickness_mm: f64,
    pub bore_diameter_mm: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hub: Option<Hub>,
    #[serde(default)]
    pub bolt_holes: Vec<HolePattern>,
}

/// A J-hook. Profile in the x-z plane, extruded along y over `width_mm`, all
/// of it `thickness_mm` thick: the back stands at x from 0 to thickness, z
/// from 0 to `back_height_mm`; the arm runs along the bottom, x from 0 to
/// `reach_mm`, z from 0 to thickness; the tip rises at x from
/// `reach_mm - thickness` to `reach_mm`, z from 0 to `tip_height_mm`.
/// `holes` go along -x from the back's inner face (x = thickness, where
/// countersinks open); frame u = +z, v = +y, origin at (back_height/2, width/2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hook {
    pub back_height_mm: f64,
    pub reach_mm: f64,
    pub tip_height_mm: f64,
    pub width_mm: f64,
    pub thickness_mm: f64,
    #[serde(default)]
    pub holes: Vec<HolePattern>,
}

/// A knob on the z axis, z from 0 to `height_mm`: a disc of `diameter_mm`
/// with `flutes` round grooves of radius `flute_radius_mm` centred on its
/// rim (evenly spaced, the first at 180/flutes degrees from +x, so +x is a
/// land), and a blind shaft bore of
/// `shaft_diameter_mm` rising `shaft_depth_mm` from the bottom face.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Knob {
    pub diameter_mm: f64,
    pub height_mm: f64,
    #[serde(default)]
    pub flutes: u32,
    #[serde(default)]
    pub flute_radius_mm: f64,
    pub shaft_diameter_mm: f64,
    pub shaft_depth_mm: f64,
}

/// An involute spur gear on the z axis, z from 0 to `face_width_mm`, with a
/// through bore. Addendum 1 module, dedendum 1.25 module, no root fillet:
/// below the base circle a flank continues as a radial line to the root
/// circle. The first tooth is centred on +x. `gear::GearProfile` gives the
/// exact profile (and a polyline of it) the kernel sketches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpurGear {
    pub module_mm: f64,
    pub teeth: u32,
    pub face_width_mm: f64,
    pub bore_diameter_mm: f64,
    /// 20 unless the prompt says otherwise (ISO 53 basic rack).
    pub pressure_angle_deg: f64,
}

/// A cable clip. Profile in the x-z plane, extruded along y over `width_mm`:
/// a base strip x from `-base_length_mm/2` to `+base_length_mm/2`, z from 0 to
/// `thickness_mm`; on it a ring of inner diameter `cable_diameter_mm` and
/// wall `thickness_mm`, centred at (0, thickness + cable_diameter/2) (so it
/// rests on the strip); the ring is open at the top between two radii that
/// meet the inner circle `opening_mm` apart (the gap the cable is pushed
/// through), symmetric about +z, so each end of the ring is a
/// full-thickness face at right angles to both arcs. `screw_hole` (if any) is one hole through z in each
/// tab, down z from the tab's top face, centred at
/// x = ±(outer ring radius + base_length/2)/2, y = width/2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CableClip {
    pub cable_diameter_mm: f64,
    pub thickness_mm: f64,
    pub width_mm: f64,
    pub opening_mm: f64,
    pub base_length_mm: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screw_hole: Option<HoleSpec>,
}

/// A material named in the prompt (the farm's catalog names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum MaterialHint {
    Pla,
    Petg,
    Abs,
    Asa,
    Tpu,
}

impl MaterialHint {
    /// The catalog name (`"PLA"`, `"PETG"`, ...), as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            MaterialHint::Pla => "PLA",
            MaterialHint::Petg => "PETG",
            MaterialHint::Abs => "ABS",
            MaterialHint::Asa => "ASA",
            MaterialHint::Tpu => "TPU",
        }
    }
}

/// A default the designer filled in: the parameter (a JSON pointer-like path
/// such as `part.thickness_mm`), the value used and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Assumption {
    pub parameter: String,
    pub value: String,
    pub reason: String,
}

/// An axis of the part's bounding box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Axis {
    X,
    Y,
    Z,
}

/// Something the prompt asked for that the finished solid must show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Requirement {
    /// The bounding box's extent along `axis` (within 0.05 mm).
    Extent { axis: Axis, value_mm: f64 },
    /// The number of through holes (bores on the axis of round parts excluded).
    HoleCount { count: u32 },
    /// Every hole of the patterns has this straight-bore diameter.
    HoleDiameter { diameter_mm: f64 },
    /// Neighbouring holes of a pattern are this far apart, centre to centre.
    HoleSpacing { spacing_mm: f64 },
    /// The number of gear teeth.
    ToothCount { count: u32 },
    /// The number of countersunk holes.
    CountersunkCount { count: u32 },
}
