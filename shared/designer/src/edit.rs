//! Follow-up turns: patch the previous program ("5 mm thicker", "make it
//! 80 mm long", "add a third hole", "make the holes M4", "countersink the
//! holes", "mirror it", "30 teeth", "add a lid", "in PETG").

use crate::DesignError;
use crate::build::{metric_hole, round2};
use crate::edit_fields::{COMPARATIVES, ORDINALS, field, patterns};
use crate::edit_ops::{add_holes, clear_holes, mirror, refresh_requirements};
use crate::facts::{self, Facts, Key};
use crate::fasteners;
use crate::text::{Tok, tokens};
use farm_partspec::*;

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
