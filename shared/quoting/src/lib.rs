//! Instant quotes: price, lead time, risk and execution mode for one part.
//!
//! - [`price`]: the price formula, the bulk discount table and the rounding rules.
//! - [`lead_time`]: lead time and ship date from the farm's real queue.
//! - [`risk`]: risk flags, execution confidence, execution-mode resolution and
//!   the next action an agent should take.
//!
//! The crate knows nothing of the mesh engine's types: the caller condenses an
//! analysis into [`PartFacts`], so the pricing rules can be tested (and
//! property-tested) on plain numbers. No I/O, no clock: "now" is an argument.

pub mod lead_time;
pub mod price;
pub mod risk;

use farm_domain::catalog::{ExecutionMode, Material};

pub use lead_time::{FarmLoad, LeadTime};
pub use price::{BULK_TIERS, BulkTier, Price, PriceRange, Quantity};
pub use risk::{RiskFlag, Suggestion};

/// What the analysis says about one part, in the quote's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct PartFacts {
    /// Estimated printed weight of the part itself, grams (shell + infill).
    pub model_grams: f64,
    /// Estimated weight of the support material, grams.
    pub support_grams: f64,
    /// Relative uncertainty of the weight estimate (0.1 = ±10 %).
    pub weight_uncertainty: f64,
    /// Estimated print time of one part, hours.
    pub print_hours: f64,
    pub is_watertight: bool,
    pub is_manifold: bool,
    /// Confidence in the unit the metrics were computed with (1 when confirmed).
    pub unit_confidence: f64,
    /// Whether a person or agent confirmed the unit.
    pub unit_confirmed: bool,
    /// Ids of the printability checks that reported something, with whether the
    /// finding blocks printing (`("build_volume", true)`, `("overhang", false)`).
    pub findings: Vec<(String, bool)>,
}

/// What the caller asks for.
#[derive(Debug, Clone, Copy)]
pub struct QuoteRequest {
    pub material: &'static Material,
    pub quantity: Quantity,
    pub requested_mode: ExecutionMode,
    /// Whether the account may pay without a person (autopay or a test key).
    pub autonomous_allowed: bool,
}

/// A complete instant quote.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub price: Price,
    pub estimate: PriceRange,
    pub lead_time: LeadTime,
    pub execution_confidence: f64,
    pub risk_flags: Vec<RiskFlag>,
    pub suggestions: Vec<Suggestion>,
    pub resolved_mode: ExecutionMode,
    pub requires_user_confirmation: bool,
    pub next_action: &'static str,
}

/// Why a part cannot be quoted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// One or more printability checks block printing (ids in `checks`).
    #[error("the part cannot be printed: {}", .checks.join(", "))]
    Unprintable { checks: Vec<String> },
    /// The weight estimate is zero or not a number (an empty or broken mesh).
    #[error("the part has no printable volume")]
    NoVolume,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Prices and judges one part. The same facts and request always give the same
/// price; only the lead time depends on `load` and `now_unix`.
pub fn assess(
    facts: &PartFacts,
    request: &QuoteRequest,
    load: &FarmLoad,
    now_unix: i64,
) -> Result<Assessment> {
    let blocking: Vec<String> = facts
        .findings
        .iter()
        .filter(|(_, b)| *b)
        .map(|(id, _)| id.clone())
        .collect();
    if !blocking.is_empty() {
        return Err(Error::Unprintable { checks: blocking });
    }
    let grams = facts.model_grams + facts.support_grams;
    if !grams.is_finite() || grams <= 0.0 {
        return Err(Error::NoVolume);
    }
    let price = price::price(
        facts.model_grams,
        facts.support_grams,
        request.material,
        request.quantity,
    );
    let estimate = price::range(facts, request.material, request.quantity);
    let job_hours = facts.print_hours * f64::from(request.quantity.get());
    let lead_time = lead_time::lead_time(request.material, load, job_hours, now_unix);
    let risk_flags = risk::flags(facts);
    let execution_confidence = risk::execution_confidence(facts, &risk_flags);
    let resolution = risk::resolve_mode(
        request.requested_mode,
        request.autonomous_allowed,
        &risk_flags,
        execution_confidence,
    );
    let suggestions = risk::suggestions(&risk_flags, request.quantity);
    Ok(Assessment {
        price,
        estimate,
        lead_time,
        execution_confidence,
        risk_flags,
        suggestions,
        resolved_mode: resolution.mode,
        requires_user_confirmation: resolution.requires_user_confirmation,
        next_action: resolution.next_action,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> PartFacts {
        PartFacts {
            model_grams: 61.33,
            support_grams: 0.0,
            weight_uncertainty: 0.1,
            print_hours: 1.5,
            is_watertight: true,
            is_manifold: true,
            unit_confidence: 0.95,
            unit_confirmed: false,
            findings: vec![("overhang".into(), false)],
        }
    }

    fn request(n: u32) -> QuoteRequest {
        QuoteRequest {
            material: Material::parse("PETG").expect("petg"),
            quantity: Quantity::new(n).expect("valid"),
            requested_mode: ExecutionMode::AgentAssisted,
            autonomous_allowed: false,
        }
    }

    const IDLE: FarmLoad = FarmLoad {
        backlog_hours: 0.0,
        matching_printers: 0,
        available_printers: 0,
    };

    #[test]
    fn seed_000s_order_prices_at_46_dollars() {
        let a = assess(&facts(), &request(25), &IDLE, 0).expect("printable");
        assert_eq!(
            (a.price.unit_price.minor(), a.price.total.minor()),
            (184, 4600)
        );
        assert!(a.estimate.min.minor() < 4600 && a.estimate.max.minor() > 4600);
        assert_eq!(a.risk_flags, [RiskFlag::NeedsSupports]);
        assert_eq!(a.next_action, "create_checkout_session");
        // 1.5 h × 25 over 10 printers adds a day to PETG's 2–4 days.
        assert_eq!((a.lead_time.min_days, a.lead_time.max_days), (3, 5));
    }

    #[test]
    fn blocking_findings_refuse_the_quote_with_their_ids() {
        let f = PartFacts {
            findings: vec![("build_volume".into(), true), ("overhang".into(), false)],
            ..facts()
        };
        assert_eq!(
            assess(&f, &request(1), &IDLE, 0),
            Err(Error::Unprintable {
                checks: vec!["build_volume".into()]
            })
        );
        let empty = PartFacts {
            model_grams: 0.0,
            ..facts()
        };
        assert_eq!(assess(&empty, &request(1), &IDLE, 0), Err(Error::NoVolume));
    }
}
