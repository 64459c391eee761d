//! Follow-up turns: patch the previous program ("5 mm thicker", "make it
//! 80 mm long", "add a third hole", "make the holes M4", "countersink the
//! holes", "mirror it", "30 teeth", "add a lid", "in PETG").

use crate::DesignError;
use crate::build::{metric_hole, round2};
use crate::facts::{self, Facts, Key};
use crate::fasteners;
use crate::text::{Tok, tokens};
use farm_partspec::*;

/// Comparatives and the dimension they change (+1 grows, -1 shrinks).
const COMPARATIVES: &[(&str, Key, f64)] = &[
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

const ORDINALS: &[(&str, u32)] = &[
    ("second", 2),
    ("third", 3),
    ("fourth", 4),
    ("fifth", 5),
    ("sixth", 6),
    ("eighth", 8),
];

/// The field a key names in `part`, if the family has one.
fn field(part: &mut Part, key: Key) -> Option<(&mut f64, &'static str)> {
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

fn bracket_field(b: &mut LBracket, key: Key) -> Option<(&mut f64, &'static str)> {
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
fn patterns(part: &mut Part) -> (Vec<&mut HolePattern>, bool) {
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

/// Applies the edit in `prompt` to `previous`.
pub(crate) fn apply(previous: &PartSpec, prompt: &str) -> Result<PartSpec, DesignError> {
    let f = facts::read(prompt);
    let toks = tokens(prompt);
    let mut spec = previous.clone();
    let mut changed: Vec<&'static str> = Vec::new();
    let mut understood: Vec<String> = Vec::new();
    let mut touched_count = false;
    let mut touched_size = false;
    let mut touched_countersinks = false;

    // "5 mm thicker": a length followed by a comparative.
    let mut relative_keys = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        let Tok::Num { value, unit, .. } = t else {
            continue;
        };
        let Some(Tok::Word(next)) = toks.get(i + 1) else {
            continue;
        };
        if let Some((word, key, sign)) = COMPARATIVES.iter().find(|(w, _, _)| w == next) {
            let delta = value * unit.unwrap_or(crate::text::Unit::Mm).to_mm() * sign;
            let key = if matches!(spec.part, Part::Box(_)) && *key == Key::Thickness {
                Key::Wall
            } else {
                *key
            };
            if let Some((v, name)) = field(&mut spec.part, key) {
                *v = round2(*v + delta);
                changed.push(name);
                understood.push(format!("{value} mm {word}"));
                relative_keys.push(key);
            }
        }
    }
    // "make it 8 mm thick", "a 12 mm bore": absolute values.
    for v in &f.values {
        if relative_keys.contains(&v.key) || v.key == Key::HoleDiameter || v.key == Key::Spacing {
            continue;
        }
        if let Some((field_value, name)) = field(&mut spec.part, v.key) {
            *field_value = v.mm;
            changed.push(name);
            understood.push(v.phrase.clone());
        } else if !matches!(v.key, Key::Fillet | Key::Chamfer | Key::Corner) {
            // A value this part has nowhere to put: refuse the edit rather than drop it.
            return Err(unsupported(
                &f,
                understood,
                &format!("what \"{}\" means for this part", v.phrase),
            ));
        }
    }
    if let Some(teeth) = f.teeth
        && let Part::SpurGear(g) = &mut spec.part
    {
        g.teeth = teeth;
        changed.push("teeth");
        understood.push(format!("{teeth} teeth"));
    }
    // Holes: count, size, countersinks, spacing.
    if f.has_any(&["remove", "without", "no"]) && f.has_any(&["holes", "hole"]) && !f.has("lid") {
        clear_holes(&mut spec.part);
        changed.push("holes");
        touched_count = true;
        understood.push("remove the holes".into());
    } else if f.has_any(&["add", "another", "more", "extra"]) && f.has_any(&["hole", "holes"]) {
        let (first, _) = patterns(&mut spec.part);
        let Some(pattern) = first.into_iter().next() else {
            return Err(unsupported(
                &f,
                understood,
                "holes to add to (the part has none; say where they go)",
            ));
        };
        // "a third hole": the first pattern grows to three.
        let ordinal = ORDINALS.iter().find(|(w, _)| f.has(w)).map(|(_, n)| *n);
        let more = ordinal
            .map(|n| n.saturating_sub(pattern.layout.count()))
            .or(f.hole_count)
            .unwrap_or(1);
        if more == 0 {
            return Err(unsupported(
                &f,
                understood,
                "how many holes to add (the pattern already has that many)",
            ));
        }
        add_holes(pattern, more).map_err(|m| unsupported(&f, understood.clone(), m))?;
        changed.push("holes");
        touched_count = true;
        understood.push(format!("{more} more hole(s)"));
    }
    if let Some(m) = f.metric.and_then(fasteners::metric) {
        let countersunk = f.countersunk();
        let tapped = f.tapped();
        let (list, _) = patterns(&mut spec.part);
        for p in list {
            let keep_cs = p.hole.countersink.is_some() || countersunk;
            p.hole = metric_hole(m, tapped && !keep_cs, keep_cs);
        }
        if let Part::CableClip(c) = &mut spec.part
            && c.screw_hole.is_some()
        {
            c.screw_hole = Some(metric_hole(m, false, false));
        }
        changed.push("diameter_mm");
        touched_size = true;
        understood.push(format!("{} holes", fasteners::name(m.nominal)));
    } else if let Some(d) = f.get(Key::HoleDiameter)
        && spec.part.hole_patterns().is_empty()
        && let Some((bore, name)) = field(&mut spec.part, Key::Bore)
    {
        // A washer's or spacer's "hole" is its bore.
        *bore = d;
        changed.push(name);
        understood.push(format!("{d} mm hole"));
    } else if let Some(d) = f.get(Key::HoleDiameter) {
        let (list, _) = patterns(&mut spec.part);
        for p in list {
            p.hole.diameter_mm = d;
            p.hole.fastener = None;
        }
        changed.push("diameter_mm");
        touched_size = true;
        understood.push(format!("{d} mm holes"));
    } else if f.countersunk() {
        let (list, _) = patterns(&mut spec.part);
        for p in list {
            let d = p.hole.diameter_mm;
            let cs = fasteners::METRIC
                .iter()
                .find(|m| (m.clearance - d).abs() < 1e-9)
                .map_or(round2(2.0 * d), |m| m.countersink);
            p.hole.countersink = Some(Countersink {
                diameter_mm: cs,
                angle_deg: 90.0,
            });
            p.hole.fastener = p
                .hole
                .fastener
                .as_ref()
                .map(|f| f.replace("clearance", "countersunk"));
        }
        changed.push("countersink");
        touched_countersinks = true;
        understood.push("countersunk holes".into());
    }
    if let Some(s) = f.get(Key::Spacing) {
        let (list, _) = patterns(&mut spec.part);
        for p in list {
            if let HoleLayout::Linear { pitch_mm, .. } = &mut p.layout {
                *pitch_mm = s;
            }
        }
        changed.push("pitch_mm");
        understood.push(format!("holes {s} mm apart"));
    }
    if f.has("mirror") || f.has("mirrored") || f.has("flip") {
        mirror(&mut spec.part);
        spec.assumptions.push(Assumption {
            parameter: "part".into(),
            value: "mirrored".into(),
            reason: "mirrored across the part's mid-plane (x for plates and flanges, y for brackets and hooks)".into(),
        });
        changed.push("mirror");
        understood.push("mirror".into());
    }
    if let Part::Box(b) = &mut spec.part {
        if f.has("lid") && f.has_any(&["remove", "without", "no", "drop"]) {
            b.lid = None;
            changed.push("lid");
        } else if f.has("lid") && b.lid.is_none() {
            b.lid = Some(Lid {
                thickness_mm: b.wall_mm,
                lip_height_mm: 5.0,
                clearance_mm: 0.2,
            });
            changed.push("lid");
        }
    }
    if f.has_any(&["rounded", "round", "fillet", "chamfer", "chamfered"])
        && f.has_any(&["corners", "corner", "edges"])
    {
        let mut c = crate::build::Ctx::new(&f);
        let profile = crate::flat::corners(&mut c, "part.corners");
        match &mut spec.part {
            Part::Plate(p) => p.corners = profile,
            Part::Cylinder(cy) => cy.edges = profile,
            Part::Box(b) => {
                b.corner_radius_mm = match profile {
                    CornerProfile::Fillet { radius_mm } => radius_mm,
                    _ => b.corner_radius_mm,
                }
            }
            _ => {}
        }
        changed.push("corners");
    }
    if let Some(m) = f.material {
        spec.material = Some(m);
        changed.push("material");
    }
    if changed.is_empty() {
        return Err(unsupported(
            &f,
            understood,
            "an edit we know: a new size (\"8 mm thick\", \"5 mm thicker\"), holes (\"add a third hole\", \"make the holes M4\", \"countersink the holes\"), \"mirror it\", a tooth count, a lid, a material",
        ));
    }
    spec.assumptions
        .retain(|a| !changed.iter().any(|c| a.parameter.ends_with(c)));
    refresh_requirements(&mut spec, touched_count, touched_size, touched_countersinks);
    Ok(spec)
}

fn unsupported(f: &Facts, mut understood: Vec<String>, missing: &str) -> DesignError {
    understood.extend(f.understood());
    DesignError::UnsupportedPrompt {
        understood,
        missing: vec![missing.to_string()],
    }
}

fn clear_holes(part: &mut Part) {
    match part {
        Part::Plate(p) => p.holes.clear(),
        Part::Flange(f) => f.bolt_holes.clear(),
        Part::LBracket(b) => {
            b.base_holes.clear();
            b.upright_holes.clear();
        }
        Part::AngleBracket(a) => {
            a.bracket.base_holes.clear();
            a.bracket.upright_holes.clear();
        }
        Part::Hook(h) => h.holes.clear(),
        Part::CableClip(c) => c.screw_hole = None,
        _ => {}
    }
}

/// Adds `more` holes to a pattern: a row keeps its end holes and spreads the
/// holes evenly between them; a circle keeps its diameter.
fn add_holes(pattern: &mut HolePattern, more: u32) -> Result<(), &'static str> {
    match &mut pattern.layout {
        HoleLayout::Linear {
            count, pitch_mm, ..
        } => {
            let span = *pitch_mm * f64::from(count.saturating_sub(1));
            *count += more;
            *pitch_mm = round2(span / f64::from(*count - 1));
            Ok(())
        }
        HoleLayout::Circle { count, .. } => {
            *count += more;
            Ok(())
        }
        _ => {
            Err("where the new hole goes (the holes are a grid or a single hole; give the layout)")
        }
    }
}

/// Mirrors every hole pattern across the part's mid-plane.
fn mirror(part: &mut Part) {
    let (list, flip_u) = patterns(part);
    let axis = usize::from(!flip_u);
    for p in list {
        match &mut p.layout {
            HoleLayout::Single { center } | HoleLayout::Grid { center, .. } => {
                center[axis] = 0.0 - center[axis]
            }
            HoleLayout::Linear {
                center, angle_deg, ..
            } => {
                center[axis] = 0.0 - center[axis];
                *angle_deg = if flip_u {
                    180.0 - *angle_deg
                } else {
                    -*angle_deg
                };
                *angle_deg = angle_deg.rem_euclid(180.0);
            }
            HoleLayout::Circle {
                center,
                start_angle_deg,
                ..
            } => {
                center[axis] = 0.0 - center[axis];
                *start_angle_deg = if flip_u {
                    180.0 - *start_angle_deg
                } else {
                    -*start_angle_deg
                };
                *start_angle_deg = start_angle_deg.rem_euclid(360.0);
            }
        }
    }
}

/// Recomputes the previous requirements from the patched part (the edit
/// changed what the prompt asked for) and adds those the edit states.
fn refresh_requirements(
    spec: &mut PartSpec,
    touched_count: bool,
    touched_size: bool,
    touched_countersinks: bool,
) {
    let bb = spec.part.bounding_box().size();
    let holes = spec.part.holes();
    let spacing = {
        let mut part = spec.part.clone();
        let (list, _) = patterns(&mut part);
        list.first().and_then(|p| p.layout.spacing_mm())
    };
    let teeth = match &spec.part {
        Part::SpurGear(g) => Some(g.teeth),
        _ => None,
    };
    let mut out: Vec<Requirement> = Vec::new();
    for r in &spec.requirements {
        let next = match r {
            Requirement::Extent { axis, .. } => {
                let i = match axis {
                    Axis::X => 0,
                    Axis::Y => 1,
                    Axis::Z => 2,
                };
                Some(Requirement::Extent {
                    axis: *axis,
                    value_mm: round2(bb[i]),
                })
            }
            Requirement::HoleCount { .. } => {
                (!holes.is_empty()).then_some(Requirement::HoleCount {
                    count: holes.len() as u32,
                })
            }
            Requirement::HoleDiameter { .. } => holes.first().map(|h| Requirement::HoleDiameter {
                diameter_mm: h.spec.diameter_mm,
            }),
            Requirement::HoleSpacing { .. } => {
                spacing.map(|s| Requirement::HoleSpacing { spacing_mm: s })
            }
            Requirement::ToothCount { .. } => teeth.map(|count| Requirement::ToothCount { count }),
            Requirement::CountersunkCount { .. } => Some(Requirement::CountersunkCount {
                count: holes
                    .iter()
                    .filter(|h| h.spec.countersink.is_some())
                    .count() as u32,
            }),
        };
        if let Some(n) = next
            && !out.contains(&n)
        {
            out.push(n);
        }
    }
    if touched_count
        && !out
            .iter()
            .any(|r| matches!(r, Requirement::HoleCount { .. }))
    {
        out.push(Requirement::HoleCount {
            count: holes.len() as u32,
        });
    }
    if touched_size
        && let Some(h) = holes.first()
        && !out
            .iter()
            .any(|r| matches!(r, Requirement::HoleDiameter { .. }))
    {
        out.push(Requirement::HoleDiameter {
            diameter_mm: h.spec.diameter_mm,
        });
    }
    let countersunk = holes
        .iter()
        .filter(|h| h.spec.countersink.is_some())
        .count() as u32;
    if touched_countersinks
        && !out
            .iter()
            .any(|r| matches!(r, Requirement::CountersunkCount { .. }))
    {
        out.push(Requirement::CountersunkCount { count: countersunk });
    }
    spec.requirements = out;
}
