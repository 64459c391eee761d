//! Risk flags, execution confidence and execution-mode resolution.
//!
//! The agent policy (seed 001) asks an agent to stop and ask the user when risk
//! flags include `non_watertight`, `non_manifold` or `too_large`, or when the
//! execution confidence is below 0.75. This module computes exactly those
//! inputs, and resolves the execution mode the quote can actually run in.

use farm_domain::catalog::ExecutionMode;

use crate::PartFacts;
use crate::price::{BULK_TIERS, Quantity};

/// Below this execution confidence a person must confirm (seed 001).
pub const CONFIRMATION_THRESHOLD: f64 = 0.75;
/// Below this unit confidence the unit is flagged (seed 001's autopay default).
pub const LOW_UNIT_CONFIDENCE: f64 = 0.7;
/// Above this relative weight uncertainty the price range is flagged.
pub const HIGH_WEIGHT_UNCERTAINTY: f64 = 0.25;

/// Something about the part a person may want to know before paying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RiskFlag {
    NonWatertight,
    NonManifold,
    InsideOut,
    LowUnitConfidence,
    ThinWalls,
    MultipleBodies,
    NeedsSupports,
    HighWeightUncertainty,
}

impl RiskFlag {
    /// Stable id (seed 001's names where it has them).
    pub fn id(self) -> &'static str {
        match self {
            RiskFlag::NonWatertight => "non_watertight",
            RiskFlag::NonManifold => "non_manifold",
            RiskFlag::InsideOut => "inside_out",
            RiskFlag::LowUnitConfidence => "low_unit_confidence",
            RiskFlag::ThinWalls => "thin_walls",
            RiskFlag::MultipleBodies => "multiple_bodies",
            RiskFlag::NeedsSupports => "needs_supports",
            RiskFlag::HighWeightUncertainty => "high_weight_uncertainty",
        }
    }

    /// Whether a person must confirm before an order with this flag.
    pub fn requires_user(self) -> bool {
        matches!(
            self,
            RiskFlag::NonWatertight
                | RiskFlag::NonManifold
                | RiskFlag::InsideOut
                | RiskFlag::LowUnitConfidence
        )
    }

    /// How much this flag lowers the execution confidence (multiplier).
    fn confidence_factor(self) -> f64 {
        match self {
            RiskFlag::NonWatertight => 0.75,
            RiskFlag::NonManifold => 0.85,
            RiskFlag::InsideOut => 0.9,
            RiskFlag::LowUnitConfidence => 1.0, // already counted through the unit confidence
            RiskFlag::ThinWalls => 0.85,
            RiskFlag::MultipleBodies => 0.95,
            RiskFlag::NeedsSupports => 0.97,
            RiskFlag::HighWeightUncertainty => 0.9,
        }
    }
}

/// The flags that apply to a part, sorted and without duplicates.
pub fn flags(facts: &PartFacts) -> Vec<RiskFlag> {
    let mut out = Vec::new();
    if !facts.is_watertight {
        out.push(RiskFlag::NonWatertight);
    }
    if !facts.is_manifold {
        out.push(RiskFlag::NonManifold);
    }
    if !facts.unit_confirmed && facts.unit_confidence < LOW_UNIT_CONFIDENCE {
        out.push(RiskFlag::LowUnitConfidence);
    }
    if facts.weight_uncertainty > HIGH_WEIGHT_UNCERTAINTY {
        out.push(RiskFlag::HighWeightUncertainty);
    }
    for (check, _) in &facts.findings {
        let flag = match check.as_str() {
            "inside_out" => RiskFlag::InsideOut,
            "thin_walls" => RiskFlag::ThinWalls,
            "multiple_bodies" => RiskFlag::MultipleBodies,
            "overhang" => RiskFlag::NeedsSupports,
            "unit_suspect" if !facts.unit_confirmed => RiskFlag::LowUnitConfidence,
            _ => continue,
        };
        out.push(flag);
    }
    out.sort();
    out.dedup();
    out
}

/// How sure we are the part prints as the customer expects, `0.0..=1.0`, two
/// decimals: the unit confidence (unless confirmed), the weight estimate's
/// uncertainty and one factor per risk flag.
pub fn execution_confidence(facts: &PartFacts, flags: &[RiskFlag]) -> f64 {
    let unit = if facts.unit_confirmed {
        1.0
    } else {
        0.6 + 0.4 * facts.unit_confidence.clamp(0.0, 1.0)
    };
    let weight = 1.0 - 0.3 * facts.weight_uncertainty.clamp(0.0, 1.0);
    let c = flags
        .iter()
        .fold(unit * weight, |c, f| c * f.confidence_factor());
    let c = if c.is_finite() {
        c.clamp(0.0, 1.0)
    } else {
        0.0
    };
    (c * 100.0).round() / 100.0
}

/// The mode a quote can run in, and what the agent should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolution {
    pub mode: ExecutionMode,
    pub requires_user_confirmation: bool,
    pub next_action: &'static str,
}

/// Resolves the requested mode. `agent_autonomous` falls back to
/// `agent_assisted` when the account may not pay on its own or a person has to
/// look at the part first.
pub fn resolve_mode(
    requested: ExecutionMode,
    autonomous_allowed: bool,
    flags: &[RiskFlag],
    confidence: f64,
) -> Resolution {
    let needs_user = flags.iter().any(|f| f.requires_user()) || confidence < CONFIRMATION_THRESHOLD;
    let mode = match requested {
        ExecutionMode::AgentAutonomous if !autonomous_allowed || needs_user => {
            ExecutionMode::AgentAssisted
        }
        other => other,
    };
    let next_action = if needs_user {
        "confirm_risks_with_user"
    } else {
        match mode {
            ExecutionMode::AgentAutonomous => "create_autonomous_order",
            ExecutionMode::AgentAssisted => "create_checkout_session",
            ExecutionMode::HumanManual => "share_quote_with_user",
        }
    };
    Resolution {
        mode,
        requires_user_confirmation: needs_user || mode != ExecutionMode::AgentAutonomous,
        next_action,
    }
}

/// Something the caller could change, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub code: &'static str,
    pub message: String,
}

/// One suggestion per actionable flag, plus the next bulk tier when it is
/// within 25 % of the requested quantity.
pub fn suggestions(flags: &[RiskFlag], quantity: Quantity) -> Vec<Suggestion> {
    let mut out: Vec<Suggestion> = flags
        .iter()
        .filter_map(|f| {
            let (code, message) = match f {
                RiskFlag::NonWatertight => ("close_holes", "Close the mesh's holes in a slicer or mesh tool and upload it again."),
                RiskFlag::NonManifold => ("repair_non_manifold", "Repair non-manifold edges and vertices, then upload again."),
                RiskFlag::InsideOut => ("flip_normals", "The normals point inwards; flip them and upload again."),
                RiskFlag::LowUnitConfidence => ("confirm_unit", "Confirm the unit with POST /v1/files/{id}/unit (mm, cm or in)."),
                RiskFlag::ThinWalls => ("thicken_walls", "Some walls are thinner than the material prints reliably; thicken them."),
                RiskFlag::MultipleBodies => ("confirm_multiple_parts", "The file holds several separate bodies; confirm they are meant to print together."),
                RiskFlag::NeedsSupports => ("reorient_to_reduce_supports", "Overhangs need supports (priced in); reorienting the part may need fewer."),
                RiskFlag::HighWeightUncertainty => return None,
            };
            Some(Suggestion { code, message: message.to_owned() })
        })
        .collect();
    let n = quantity.get();
    if let Some(next) = BULK_TIERS.iter().find(|t| t.min_quantity > n)
        && f64::from(next.min_quantity) <= f64::from(n) * 1.25
    {
        out.push(Suggestion {
            code: "bulk_discount_available",
            message: format!(
                "Ordering {} or more parts takes {}% off every part.",
                next.min_quantity,
                next.discount_bp / 100
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean() -> PartFacts {
        PartFacts {
            model_grams: 50.0,
            support_grams: 0.0,
            weight_uncertainty: 0.1,
            print_hours: 2.0,
            is_watertight: true,
            is_manifold: true,
            unit_confidence: 0.95,
            unit_confirmed: false,
            findings: vec![],
        }
    }

    fn qty(n: u32) -> Quantity {
        Quantity::new(n).expect("valid")
    }

    #[test]
    fn a_clean_part_has_no_flags_and_high_confidence() {
        let f = clean();
        assert!(flags(&f).is_empty());
        assert_eq!(execution_confidence(&f, &[]), 0.95);
    }

    #[test]
    fn a_leaky_part_is_flagged_and_needs_a_person() {
        let f = PartFacts {
            is_watertight: false,
            is_manifold: false,
            ..clean()
        };
        let fl = flags(&f);
        assert_eq!(fl, [RiskFlag::NonWatertight, RiskFlag::NonManifold]);
        let c = execution_confidence(&f, &fl);
        assert!(c < CONFIRMATION_THRESHOLD, "{c}");
        let r = resolve_mode(ExecutionMode::AgentAutonomous, true, &fl, c);
        assert_eq!(r.mode, ExecutionMode::AgentAssisted);
        assert!(r.requires_user_confirmation);
        assert_eq!(r.next_action, "confirm_risks_with_user");
        let codes: Vec<_> = suggestions(&fl, qty(1)).iter().map(|s| s.code).collect();
        assert_eq!(codes, ["close_holes", "repair_non_manifold"]);
    }

    #[test]
    fn findings_and_unit_map_to_flags() {
        let f = PartFacts {
            unit_confidence: 0.5,
            weight_uncertainty: 0.3,
            findings: vec![
                ("overhang".into(), false),
                ("thin_walls".into(), false),
                ("open_edges".into(), false),
            ],
            ..clean()
        };
        assert_eq!(
            flags(&f),
            [
                RiskFlag::LowUnitConfidence,
                RiskFlag::ThinWalls,
                RiskFlag::NeedsSupports,
                RiskFlag::HighWeightUncertainty
            ]
        );
        let confirmed = PartFacts {
            unit_confirmed: true,
            ..f
        };
        assert!(!flags(&confirmed).contains(&RiskFlag::LowUnitConfidence));
    }

    #[test]
    fn modes_resolve_by_policy() {
        let assisted = resolve_mode(ExecutionMode::AgentAssisted, true, &[], 0.95);
        assert_eq!(
            (
                assisted.mode,
                assisted.requires_user_confirmation,
                assisted.next_action
            ),
            (
                ExecutionMode::AgentAssisted,
                true,
                "create_checkout_session"
            )
        );
        let auto = resolve_mode(ExecutionMode::AgentAutonomous, true, &[], 0.95);
        assert_eq!(
            (auto.mode, auto.requires_user_confirmation, auto.next_action),
            (
                ExecutionMode::AgentAutonomous,
                false,
                "create_autonomous_order"
            )
        );
        let no_autopay = resolve_mode(ExecutionMode::AgentAutonomous, false, &[], 0.95);
        assert_eq!(no_autopay.mode, ExecutionMode::AgentAssisted);
        let low = resolve_mode(ExecutionMode::AgentAutonomous, true, &[], 0.74);
        assert_eq!(
            (low.mode, low.next_action),
            (ExecutionMode::AgentAssisted, "confirm_risks_with_user")
        );
        let manual = resolve_mode(ExecutionMode::HumanManual, true, &[], 0.95);
        assert_eq!(manual.next_action, "share_quote_with_user");
    }

    #[test]
    fn the_next_bulk_tier_is_suggested_only_when_close() {
        let near = suggestions(&[], qty(45));
        assert_eq!(near.len(), 1);
        assert_eq!(near[0].code, "bulk_discount_available");
        assert!(near[0].message.contains("50"));
        assert!(suggestions(&[], qty(10)).is_empty());
        assert!(suggestions(&[], qty(600)).is_empty());
    }
}
