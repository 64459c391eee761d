//! The edits themselves: clear, add and mirror holes; recompute the
//! requirements of a patched program.

use crate::build::round2;
use crate::edit_fields::patterns;
use farm_partspec::*;

pub(crate) fn clear_holes(part: &mut Part) {
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
pub(crate) fn add_holes(pattern: &mut HolePattern, more: u32) -> Result<(), &'static str> {
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
pub(crate) fn mirror(part: &mut Part) {
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
pub(crate) fn refresh_requirements(
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
