//! The shared machinery of the family builders: take a value the prompt
//! gave or fill in a default and record it as an assumption; derive the
//! requirements the solid must meet.

use crate::facts::{Facts, Key};
use crate::fasteners::{self, MetricSize};
use farm_partspec::{Assumption, Axis, Countersink, HoleSpec, Requirement};
use std::cell::RefCell;

pub(crate) struct Ctx<'a> {
    pub f: &'a Facts,
    pub assumptions: Vec<Assumption>,
    pub requirements: Vec<Requirement>,
    /// Keys whose value a builder used; a value the prompt gives that no
    /// builder used is refused rather than silently ignored.
    used: RefCell<Vec<Key>>,
}

/// Rounds to 0.01 mm so derived values print and compare cleanly.
pub(crate) fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

impl<'a> Ctx<'a> {
    pub fn new(f: &'a Facts) -> Self {
        Ctx {
            f,
            assumptions: Vec::new(),
            requirements: Vec::new(),
            used: RefCell::new(Vec::new()),
        }
    }

    pub fn assume(&mut self, parameter: &str, value: impl std::fmt::Display, reason: &str) {
        self.assumptions.push(Assumption {
            parameter: parameter.to_string(),
            value: value.to_string(),
            reason: reason.to_string(),
        });
    }

    /// The first of `keys` the prompt gave, else `default` (recorded as an assumption).
    pub fn take(&mut self, keys: &[Key], parameter: &str, default: f64, reason: &str) -> f64 {
        match self.given(keys) {
            Some(v) => v,
            None => {
                self.assume(parameter, format!("{} mm", round2(default)), reason);
                default
            }
        }
    }

    /// The first of `keys` the prompt gave (marking it used).
    pub fn given(&self, keys: &[Key]) -> Option<f64> {
        let (key, value) = keys.iter().find_map(|k| self.f.get(*k).map(|v| (*k, v)))?;
        self.used.borrow_mut().push(key);
        Some(value)
    }

    /// The prompt's values that no builder used, as the prompt wrote them.
    pub fn unused(&self) -> Vec<String> {
        let used = self.used.borrow();
        self.f
            .values
            .iter()
            .filter(|v| !used.contains(&v.key))
            .map(|v| v.phrase.clone())
            .collect()
    }

    pub fn require(&mut self, requirement: Requirement) {
        if !self.requirements.contains(&requirement) {
            self.requirements.push(requirement);
        }
    }

    pub fn extent(&mut self, axis: Axis, value_mm: f64) {
        self.require(Requirement::Extent { axis, value_mm });
    }

    /// The holes' size from the prompt: a diameter, or `M<n>` as a clearance
    /// hole (ISO 273 medium), a tap drill when tapped/threaded, with an
    /// ISO 10642 countersink when countersunk; else `M<default>` clearance,
    /// recorded as an assumption. Adds the diameter and countersink requirements
    /// the prompt states.
    pub fn hole_spec(&mut self, parameter: &str, default_metric: f64) -> HoleSpec {
        let countersunk = self.f.countersunk();
        if let Some(d) = self.given(&[Key::HoleDiameter]) {
            self.require(Requirement::HoleDiameter { diameter_mm: d });
            let countersink = countersunk.then(|| {
                let cs = round2(d * 2.0);
                self.assume(
                    &format!("{parameter}.countersink.diameter_mm"),
                    format!("{cs} mm"),
                    "twice the hole, 90° cone, when no screw size is given",
                );
                Countersink {
                    diameter_mm: cs,
                    angle_deg: 90.0,
                }
            });
            return HoleSpec {
                diameter_mm: d,
                countersink,
                fastener: None,
            };
        }
        let (size, stated) = match self.f.metric.and_then(fasteners::metric) {
            Some(m) => (m, true),
            None => {
                let m = fasteners::metric(default_metric).unwrap_or(&fasteners::METRIC[2]);
                (m, false)
            }
        };
        let spec = metric_hole(size, self.f.tapped() && !countersunk, countersunk);
        if stated {
            self.require(Requirement::HoleDiameter {
                diameter_mm: spec.diameter_mm,
            });
        } else {
            self.assume(
                &format!("{parameter}.diameter_mm"),
                format!("{} mm", spec.diameter_mm),
                &format!(
                    "{} (no screw size given)",
                    spec.fastener.clone().unwrap_or_default()
                ),
            );
        }
        spec
    }
}

/// A hole for metric screw `size`: the tap drill when `tapped`, else the
/// ISO 273 medium clearance, countersunk to the ISO 10642 head when asked.
pub(crate) fn metric_hole(size: &MetricSize, tapped: bool, countersunk: bool) -> HoleSpec {
    let name = fasteners::name(size.nominal);
    if tapped {
        return HoleSpec {
            diameter_mm: size.tap_drill,
            countersink: None,
            fastener: Some(format!("{name} tap drill")),
        };
    }
    HoleSpec {
        diameter_mm: size.clearance,
        countersink: countersunk.then_some(Countersink {
            diameter_mm: size.countersink,
            angle_deg: 90.0,
        }),
        fastener: Some(format!(
            "{name} {}",
            if countersunk {
                "countersunk"
            } else {
                "clearance"
            }
        )),
    }
}

/// Default distance from a hole's centre to the nearest edge: the larger of
/// 5 mm and the hole's entry diameter (leaves at least half a diameter of
/// material, above the 1.2 mm wall rule for every hole of 2.4 mm or more).
pub(crate) fn default_inset(hole: &HoleSpec) -> f64 {
    let entry = hole
        .countersink
        .as_ref()
        .map_or(hole.diameter_mm, |c| c.diameter_mm);
    entry.ceil().max(5.0)
}
