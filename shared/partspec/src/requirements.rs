//! The program's own check of its requirements: does the part program, as
//! written, give what the prompt asked for? (The kernel's gate checks the
//! built solid against the same requirements.)

use crate::spec::{Axis, Part, PartSpec, Requirement};

/// Tolerance of an extent requirement, mm (the print-ready gate's 0.05 mm).
pub const EXTENT_TOLERANCE_MM: f64 = 0.05;

impl PartSpec {
    /// Every requirement the program itself does not meet, as sentences
    /// (empty when all hold).
    pub fn unmet_requirements(&self) -> Vec<String> {
        let size = self.part.bounding_box().size();
        let holes = self.part.holes();
        let mut out = Vec::new();
        for r in &self.requirements {
            let ok = match r {
                Requirement::Extent { axis, value_mm } => {
                    let i = match axis {
                        Axis::X => 0,
                        Axis::Y => 1,
                        Axis::Z => 2,
                    };
                    (size[i] - value_mm).abs() <= EXTENT_TOLERANCE_MM
                }
                Requirement::HoleCount { count } => holes.len() == *count as usize,
                Requirement::HoleDiameter { diameter_mm } => {
                    !holes.is_empty()
                        && holes
                            .iter()
                            .all(|h| (h.spec.diameter_mm - diameter_mm).abs() < 1e-6)
                }
                Requirement::HoleSpacing { spacing_mm } => self
                    .part
                    .hole_patterns()
                    .iter()
                    .flat_map(|(_, patterns)| patterns.iter())
                    .any(|p| {
                        p.layout
                            .spacing_mm()
                            .is_some_and(|s| (s - spacing_mm).abs() < 1e-6)
                    }),
                Requirement::ToothCount { count } => {
                    matches!(&self.part, Part::SpurGear(g) if g.teeth == *count)
                }
                Requirement::CountersunkCount { count } => {
                    holes
                        .iter()
                        .filter(|h| h.spec.countersink.is_some())
                        .count()
                        == *count as usize
                }
            };
            if !ok {
                out.push(format!("requirement {r:?} does not hold"));
            }
        }
        out
    }
}
