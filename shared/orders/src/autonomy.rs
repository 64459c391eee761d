//! The autonomous-order conditions (seed 001, "Autonomous Orders"). The
//! spending conditions are one atomic step in Postgres
//! (`farm_reserve_autonomous_spend`, owned by payments); the file's unit
//! confidence is checked here because orders knows the file.

/// Unit confidence at or above which an agent may order without a person
/// confirming the unit (seed 001: "Unit confidence above threshold (default 0.7)").
pub const DEFAULT_UNIT_CONFIDENCE_THRESHOLD: f64 = 0.7;

/// The failed-condition name for a unit guess below the threshold.
pub const UNIT_CONFIDENCE_BELOW_THRESHOLD: &str = "unit_confidence_below_threshold";

/// Every failed-condition name `autonomous_not_allowed` may carry, in the
/// order they are reported (the first four are the payments helper's).
pub const CONDITIONS: [&str; 5] = [
    "autopay_disabled",
    "no_default_payment_method",
    "over_per_order_cap",
    "over_monthly_cap",
    UNIT_CONFIDENCE_BELOW_THRESHOLD,
];

/// True when the file's unit is trustworthy enough: a person (or agent)
/// confirmed it, or the detector's confidence is at least `threshold`.
pub fn unit_is_trusted(confidence: f64, threshold: f64, unit_confirmed: bool) -> bool {
    unit_confirmed || confidence >= threshold
}

/// All failed conditions, deduplicated and in [`CONDITIONS`] order.
pub fn failed_conditions(spend_failed: &[String], unit_trusted: bool) -> Vec<&'static str> {
    CONDITIONS
        .into_iter()
        .filter(|c| {
            if *c == UNIT_CONFIDENCE_BELOW_THRESHOLD {
                !unit_trusted
            } else {
                spend_failed.iter().any(|f| f == c)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_is_inclusive_and_a_confirmation_overrides_it() {
        assert!(unit_is_trusted(0.7, 0.7, false));
        assert!(!unit_is_trusted(0.69, 0.7, false));
        assert!(unit_is_trusted(0.1, 0.7, true));
    }

    #[test]
    fn every_failed_condition_is_named_once_in_a_stable_order() {
        let spend = vec!["over_monthly_cap".to_owned(), "autopay_disabled".to_owned()];
        assert_eq!(
            failed_conditions(&spend, false),
            [
                "autopay_disabled",
                "over_monthly_cap",
                "unit_confidence_below_threshold"
            ]
        );
        assert!(failed_conditions(&[], true).is_empty());
    }
}
