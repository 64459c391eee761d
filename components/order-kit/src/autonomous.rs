//! Autonomous orders (seed 001, "Autonomous Orders"; issue 10 items 5, 6):
//! an agent orders without a person's approval only when autopay is on, a
//! default payment method is saved, the amount is within the per-order cap,
//! this month's spend plus the amount stays within the monthly cap, and the
//! file's unit is trusted (confidence at least the threshold, 0.7 by
//! default, or confirmed). The spending conditions and the spend update are
//! one atomic step in Postgres (`farm_reserve_autonomous_spend`,
//! migrations/0010, owned by payments); the unit condition is checked here.

use crate::quote::OrderableQuote;
use farm_orders::autonomy;
use farm_platform::{ApiError, col};
use spin_sdk::pg4::Connection;

/// The account's billing facts an autonomous live charge needs.
#[derive(Debug, Clone)]
pub struct Billing {
    pub customer_id: Option<String>,
    pub default_payment_method: Option<String>,
}

/// Checks every condition and, when all hold, reserves `quote`'s total in
/// this month's spend (inside the caller's transaction, so the order
/// insert commits with the reservation or neither does). 403
/// `autonomous_not_allowed` naming every failed condition
/// (`failed_conditions`) otherwise; the caller must then roll back, which
/// also undoes nothing (no reservation was made when any condition failed).
pub fn reserve(
    db: &Connection,
    account_id: &str,
    livemode: bool,
    quote: &OrderableQuote,
) -> Result<Billing, ApiError> {
    let rows = db.query(
        "select r.ok, coalesce(array_to_string(r.failed, ','), ''), r.month_spent_cents, \
                coalesce(b.unit_confidence_threshold::float8, $4), b.customer_id, b.default_payment_method \
         from farm_reserve_autonomous_spend($1, $2, $3) r \
         left join account_billing b on b.account_id = $1 and b.livemode = $2",
        &[
            account_id.to_owned().into(),
            livemode.into(),
            quote.total_cents.into(),
            autonomy::DEFAULT_UNIT_CONFIDENCE_THRESHOLD.into(),
        ],
    )?;
    let row = rows
        .rows
        .first()
        .ok_or_else(|| ApiError::internal("farm_reserve_autonomous_spend returned no row"))?;
    let ok: bool = col(row, 0)?;
    let failed: String = col(row, 1)?;
    let spent: i64 = col(row, 2)?;
    let threshold: f64 = col(row, 3)?;
    let spend_failed: Vec<String> = failed
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let trusted = autonomy::unit_is_trusted(quote.unit_confidence, threshold, quote.unit_confirmed);
    let conditions = autonomy::failed_conditions(&spend_failed, trusted);
    if ok && conditions.is_empty() {
        return Ok(Billing {
            customer_id: col(row, 4)?,
            default_payment_method: col(row, 5)?,
        });
    }
    Err(ApiError::new(
        403,
        "autonomous_not_allowed",
        format!(
            "This order needs a person's approval: {}. Check out with POST /v1/checkout_sessions, or ask the person to change the settings.",
            conditions.join(", ")
        ),
    )
    .with_detail("failed_conditions", &conditions)
    .with_detail("amount_cents", quote.total_cents)
    .with_detail("month_spent_cents", spent)
    .with_detail("unit_confidence", quote.unit_confidence)
    .with_detail("unit_confidence_threshold", threshold)
    .with_detail("next_action", "ask_user"))
}

/// Places an autonomous order inside the caller's transaction: loads the
/// caller's quote, checks every condition and reserves the spend
/// ([`reserve`]), creates the order (`source`: `autonomous` or `job`). In
/// test mode it is paid and queued in the same transaction (the test card
/// always succeeds; nothing reaches the provider); a live order is charged
/// by [`settle`] once this transaction has committed.
pub fn place(
    db: &Connection,
    caller: &farm_platform::Caller,
    quote_id: &str,
    source: &str,
    job_id: Option<&str>,
    shipping: Option<&serde_json::Value>,
    base: &str,
) -> Result<(crate::row::OrderRow, Billing), ApiError> {
    let quote = crate::quote::load(db, caller, quote_id)?;
    let billing = reserve(db, &caller.account_id, caller.livemode(), &quote)?;
    let order = crate::lifecycle::create(
        db,
        &crate::lifecycle::NewOrder {
            account_id: &caller.account_id,
            livemode: caller.livemode(),
            source,
            job_id,
            quote: &quote,
            shipping_address: shipping,
            reserves_spend: true,
        },
        base,
    )?;
    if caller.livemode() {
        return Ok((order, billing));
    }
    match crate::lifecycle::pay_and_queue(db, order, None, None, base)? {
        crate::lifecycle::Paid::Now(o) | crate::lifecycle::Paid::Already(o) => Ok((o, billing)),
    }
}

/// After [`place`]'s transaction: charges a live order off-session
/// (`crate::live::charge`); a test order is returned as it is.
pub fn settle(
    ctx: &mut farm_platform::Ctx,
    order: crate::row::OrderRow,
    billing: &Billing,
    base: &str,
) -> Result<crate::row::OrderRow, ApiError> {
    if order.livemode {
        crate::live::charge(ctx, order, billing, base)
    } else {
        Ok(order)
    }
}

/// The conditions that do not depend on an amount (autopay on, a default
/// payment method), checked before a one-shot job reads and analyses its
/// upload: a caller who cannot order autonomously at all learns it at once.
/// 403 `autonomous_not_allowed` naming those that failed; the amount's
/// conditions are checked (atomically) by [`reserve`] when the job is placed.
pub fn precheck(db: &Connection, account_id: &str, livemode: bool) -> Result<(), ApiError> {
    let rows = db.query(
        "select coalesce(bool_or(autopay_enabled), false), bool_or(default_payment_method is not null) \
         from account_billing where account_id = $1 and livemode = $2",
        &[account_id.to_owned().into(), livemode.into()],
    )?;
    let row = rows
        .rows
        .first()
        .ok_or_else(|| ApiError::internal("aggregate returned no row"))?;
    let autopay: bool = col(row, 0)?;
    let method: Option<bool> = col(row, 1)?;
    let mut failed = Vec::new();
    if !autopay {
        failed.push("autopay_disabled".to_owned());
    }
    if method != Some(true) {
        failed.push("no_default_payment_method".to_owned());
    }
    if failed.is_empty() {
        return Ok(());
    }
    let conditions = autonomy::failed_conditions(&failed, true);
    Err(ApiError::new(
        403,
        "autonomous_not_allowed",
        format!(
            "This account cannot order without a person's approval: {}. Quote and check out with POST /v1/checkout_sessions, or ask the person to turn on autopay.",
            conditions.join(", ")
        ),
    )
    .with_detail("failed_conditions", &conditions)
    .with_detail("next_action", "ask_user"))
}
