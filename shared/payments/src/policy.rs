//! The autopay policy a person sets (seed 001, "Account Settings"): whether
//! agents may pay without a checkout, and the caps that bound it. The check
//! of an order against it is one SQL step
//! (`farm_reserve_autonomous_spend`, migrations/0010) so it is exact under
//! concurrency; here are the rules for changing it.

use farm_domain::{Error, FieldError};

/// Largest cap accepted, in cents: 100 000 000 (1 000 000.00 USD). Far above
/// any print order, low enough that a typo of several digits is refused and
/// that a month's sum cannot approach `i64` limits.
pub const MAX_CAP_CENTS: i64 = 100_000_000;

/// Autopay needs a unit-confidence of at least this by default (seed 001:
/// "Unit confidence above threshold (default 0.7)"); the column default of
/// `account_billing.unit_confidence_threshold` is the same number.
pub const DEFAULT_UNIT_CONFIDENCE_THRESHOLD: f64 = 0.7;

/// The policy as stored (`account_billing`). A cap of `None` is not set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AutopayPolicy {
    pub autopay_enabled: bool,
    pub max_per_order_cents: Option<i64>,
    pub monthly_cap_cents: Option<i64>,
}

/// A change: `None` leaves a field as it is (the API's absent field);
/// `Some(None)` on a cap clears it (only the settings page, whose empty box
/// means "no cap").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AutopayChange {
    pub autopay_enabled: Option<bool>,
    pub max_per_order_cents: Option<Option<i64>>,
    pub monthly_cap_cents: Option<Option<i64>>,
}

impl AutopayPolicy {
    /// The policy after `change`. Refused: a cap outside 0..=[`MAX_CAP_CENTS`]
    /// (`invalid_request` naming every such field); autopay on while a cap
    /// is not set, neither stored nor in the change (409
    /// `autopay_caps_required` naming the missing caps: never pay without a
    /// limit the person set). The second is a conflict with the stored
    /// policy, not a malformed request: the same body is fine once caps exist.
    pub fn apply(&self, change: &AutopayChange) -> Result<AutopayPolicy, Error> {
        let next = AutopayPolicy {
            autopay_enabled: change.autopay_enabled.unwrap_or(self.autopay_enabled),
            max_per_order_cents: change
                .max_per_order_cents
                .unwrap_or(self.max_per_order_cents),
            monthly_cap_cents: change.monthly_cap_cents.unwrap_or(self.monthly_cap_cents),
        };
        let caps = [
            ("max_per_order_cents", next.max_per_order_cents),
            ("monthly_cap_cents", next.monthly_cap_cents),
        ];
        let out_of_range: Vec<FieldError> = caps
            .iter()
            .filter(|(_, v)| v.is_some_and(|v| !(0..=MAX_CAP_CENTS).contains(&v)))
            .map(|(field, _)| {
                FieldError::new(
                    *field,
                    format!("must be between 0 and {MAX_CAP_CENTS} cents"),
                )
            })
            .collect();
        if !out_of_range.is_empty() {
            return Err(Error::InvalidFields(out_of_range));
        }
        let missing: Vec<&str> = caps
            .iter()
            .filter(|(_, v)| v.is_none())
            .map(|(field, _)| *field)
            .collect();
        if next.autopay_enabled && !missing.is_empty() {
            return Err(Error::Conflict {
                code: "autopay_caps_required",
                reason: format!(
                    "Autopay needs both spending caps; set {} in the same request or first.",
                    missing.join(" and ")
                ),
            });
        }
        Ok(next)
    }
}

/// Parses an amount a person typed on the settings page, in dollars:
/// `500`, `500.5`, `500.50`, `$1200` (at most two decimals, no sign, no
/// separators). An empty box is `None` (no cap).
pub fn parse_dollars(field: &str, text: &str) -> Result<Option<i64>, FieldError> {
    let t = text.trim();
    let t = t.strip_prefix('$').unwrap_or(t).trim();
    if t.is_empty() {
        return Ok(None);
    }
    let bad = || FieldError::new(field, "an amount in dollars such as 250 or 250.00");
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 2 || whole.len() > 12 {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
        _ => frac.parse().map_err(|_| bad())?,
    };
    Ok(Some(whole * 100 + cents))
}

/// What an agent should do next about payments, from the policy and whether
/// a default payment method is saved: `save_payment_method`, then
/// `ask_user_to_enable_autopay`, then `create_autonomous_order`.
pub fn next_action(policy: &AutopayPolicy, has_payment_method: bool) -> &'static str {
    if !has_payment_method {
        "save_payment_method"
    } else if !policy.autopay_enabled {
        "ask_user_to_enable_autopay"
    } else {
        "create_autonomous_order"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(e: Error) -> Vec<String> {
        match e {
            Error::InvalidFields(f) => f.into_iter().map(|f| f.field).collect(),
            other => panic!("expected invalid fields, got {other:?}"),
        }
    }

    fn conflict(e: Error) -> String {
        match e {
            Error::Conflict { code, reason } => format!("{code}: {reason}"),
            other => panic!("expected a conflict, got {other:?}"),
        }
    }

    #[test]
    fn autopay_turns_on_only_with_both_caps() {
        let off = AutopayPolicy::default();
        let on = AutopayChange {
            autopay_enabled: Some(true),
            ..Default::default()
        };
        assert_eq!(
            conflict(off.apply(&on).expect_err("no caps")),
            "autopay_caps_required: Autopay needs both spending caps; set max_per_order_cents and monthly_cap_cents in the same request or first."
        );
        let with_caps = AutopayChange {
            autopay_enabled: Some(true),
            max_per_order_cents: Some(Some(50_000)),
            monthly_cap_cents: Some(Some(200_000)),
        };
        let policy = off.apply(&with_caps).expect("valid");
        assert_eq!(
            policy,
            AutopayPolicy {
                autopay_enabled: true,
                max_per_order_cents: Some(50_000),
                monthly_cap_cents: Some(200_000)
            }
        );
        // Clearing a cap while autopay stays on is refused; off, it is fine.
        let clear = AutopayChange {
            monthly_cap_cents: Some(None),
            ..Default::default()
        };
        assert!(
            conflict(policy.apply(&clear).expect_err("on")).contains("set monthly_cap_cents in")
        );
        let off_and_clear = AutopayChange {
            autopay_enabled: Some(false),
            monthly_cap_cents: Some(None),
            ..Default::default()
        };
        assert_eq!(
            policy.apply(&off_and_clear).map(|p| p.monthly_cap_cents),
            Ok(None)
        );
    }

    #[test]
    fn caps_are_bounded_and_absent_fields_unchanged() {
        let policy = AutopayPolicy {
            autopay_enabled: false,
            max_per_order_cents: Some(10),
            monthly_cap_cents: Some(20),
        };
        assert_eq!(policy.apply(&AutopayChange::default()), Ok(policy));
        let bad = AutopayChange {
            max_per_order_cents: Some(Some(-1)),
            monthly_cap_cents: Some(Some(100_000_001)),
            ..Default::default()
        };
        assert_eq!(
            fields(policy.apply(&bad).expect_err("bounds")),
            ["max_per_order_cents", "monthly_cap_cents"]
        );
        let edge = AutopayChange {
            max_per_order_cents: Some(Some(0)),
            monthly_cap_cents: Some(Some(100_000_000)),
            ..Default::default()
        };
        assert!(policy.apply(&edge).is_ok());
    }

    #[test]
    fn dollars_parse_to_cents() {
        for (text, cents) in [
            ("500", Some(50_000)),
            ("500.5", Some(50_050)),
            ("500.05", Some(50_005)),
            (" $1200 ", Some(120_000)),
            ("0", Some(0)),
            ("", None),
            ("  ", None),
        ] {
            assert_eq!(parse_dollars("cap", text), Ok(cents), "{text:?}");
        }
        for text in [
            "-5",
            "5.001",
            "1,000",
            "abc",
            ".5",
            "5e3",
            "1.2.3",
            "9999999999999",
        ] {
            assert!(parse_dollars("cap", text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn next_action_follows_what_is_missing() {
        let on = AutopayPolicy {
            autopay_enabled: true,
            max_per_order_cents: Some(1),
            monthly_cap_cents: Some(1),
        };
        assert_eq!(next_action(&on, false), "save_payment_method");
        assert_eq!(
            next_action(&AutopayPolicy::default(), true),
            "ask_user_to_enable_autopay"
        );
        assert_eq!(next_action(&on, true), "create_autonomous_order");
    }
}
