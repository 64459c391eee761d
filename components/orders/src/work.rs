//! The work queue's `apply_payment_event` handler (PAYMENTS_API.md): the
//! payments component verifies a provider webhook, stores it and enqueues
//! this job (dedupe key = the provider's event id) in one transaction; this
//! applies it to the order.
//!
//! Payload: `{provider_event_id, type, order_id, payment_intent,
//! checkout_session, amount_cents, currency}`.
//! - `checkout.session.completed`, `payment_intent.succeeded`: pay and queue
//!   the order, exactly once (a repeated event finds it past
//!   `requires_payment` and changes nothing).
//! - `payment_intent.payment_failed`: an autonomous order whose off-session
//!   charge failed is cancelled (its spend reservation given back); a
//!   checkout order waits for the person to try again.
//! - `charge.refunded`: a cancelled order becomes `refunded`.
//! - A success for an order cancelled meanwhile (an autonomous charge whose
//!   answer was lost, then cancelled) is refunded through the provider, once.
//!
//! Test-mode orders never reach the provider; an event naming one is ignored.
//!
//! `metadata[order_id]` names what was bought: an order, or a credit
//! purchase (`cpur_…`, `credits.rs`), whose paid session grants its credits
//! once; its other events change nothing.

use farm_platform::internal::require_internal;
use farm_platform::work::{self, Job, handlers::APPLY_PAYMENT_EVENT};
use farm_platform::{ApiError, Ctx, response, transaction};
use order_kit::farm_orders::OrderStatus;
use order_kit::lifecycle::{self, Paid};
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;

pub fn serve(ctx: &mut Ctx) -> Result<Response, ApiError> {
    require_internal(ctx)?;
    match ctx.path().as_str() {
        "/work/apply_payment_event" => apply(ctx),
        path => Err(ApiError::route_not_found(path)),
    }
}

#[derive(Debug, Deserialize)]
struct Payload {
    provider_event_id: String,
    #[serde(rename = "type")]
    kind: String,
    order_id: String,
    #[serde(default)]
    payment_intent: Option<String>,
    #[serde(default)]
    amount_cents: Option<i64>,
    #[serde(default)]
    currency: Option<String>,
}

fn apply(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let job: Job<Payload> = work::job(ctx, APPLY_PAYMENT_EVENT)?;
    let p = job.payload;
    if job.give_up {
        // Nothing of ours to mark: the provider event stays stored, and the
        // dead job carries its last error for an operator.
        ctx.log(format_args!(
            "apply_payment_event gave up: event={} order={}",
            p.provider_event_id, p.order_id
        ));
        return Ok(response::ok(
            &json!({"applied": false, "reason": "gave_up"}),
        ));
    }
    if p.currency
        .as_deref()
        .is_some_and(|c| !c.eq_ignore_ascii_case("usd"))
    {
        ctx.log(format_args!(
            "event={} currency {:?} refused",
            p.provider_event_id, p.currency
        ));
        return Ok(response::ok(
            &json!({"applied": false, "reason": "currency_mismatch"}),
        ));
    }
    if p.order_id.starts_with(crate::credits::PURCHASE_PREFIX) {
        return apply_to_purchase(ctx, &p);
    }
    let base = crate::base_url(ctx)?;
    let db = ctx.db()?;
    let outcome = transaction(db, |db| {
        let Some(order) = lifecycle::lock(db, &p.order_id)? else {
            return Ok("unknown_order");
        };
        if !order.livemode {
            return Ok("test_mode_order");
        }
        match p.kind.as_str() {
            "checkout.session.completed" | "payment_intent.succeeded"
                if order.status == OrderStatus::Cancelled && order.amount_refunded_cents == 0 =>
            {
                // Money arrived for an order cancelled meanwhile (a charge
                // whose answer was lost): it goes back, once.
                if let Some(pi) = &p.payment_intent {
                    db.execute(
                        "update orders set payment_intent = $2, updated_at = now() where id = $1",
                        &[order.id.clone().into(), pi.clone().into()],
                    )?;
                    Ok("refund_late_payment")
                } else {
                    Ok("ignored")
                }
            }
            "checkout.session.completed" | "payment_intent.succeeded" => {
                match lifecycle::pay_and_queue(
                    db,
                    order,
                    p.payment_intent.as_deref(),
                    p.amount_cents,
                    &base,
                ) {
                    Ok(Paid::Now(_)) => Ok("paid_and_queued"),
                    Ok(Paid::Already(_)) => Ok("already_applied"),
                    // A wrong amount will not fix itself: record nothing, do not retry.
                    Err(e) if e.code() == "amount_mismatch" => Ok("amount_mismatch"),
                    Err(e) => Err(e),
                }
            }
            "payment_intent.payment_failed" => {
                if order.source != "checkout" && order.status == OrderStatus::RequiresPayment {
                    lifecycle::cancel(db, &order, &base)?;
                    Ok("cancelled")
                } else {
                    Ok("ignored")
                }
            }
            "charge.refunded" => {
                if order.status == OrderStatus::Cancelled {
                    let refund = format!("refund_of_{}", p.provider_event_id);
                    lifecycle::mark_refunded(db, &order, &refund, &base)?;
                    Ok("refunded")
                } else {
                    Ok("ignored")
                }
            }
            _ => Ok("ignored"),
        }
    })?;
    ctx.log(format_args!(
        "apply_payment_event event={} type={} order={} outcome={outcome}",
        p.provider_event_id, p.kind, p.order_id
    ));
    if outcome == "refund_late_payment" {
        // After the transaction: the provider's refund (idempotent on the
        // order id); a failure fails this job, which the queue retries.
        let db = ctx.db()?;
        let order = lifecycle::lock(db, &p.order_id)?
            .ok_or_else(|| ApiError::internal("order vanished"))?;
        order_kit::live::refund(ctx, &order, &base)?;
    }
    Ok(response::ok(
        &json!({"applied": matches!(outcome, "paid_and_queued" | "cancelled" | "refunded" | "refund_late_payment"), "outcome": outcome}),
    ))
}

/// A provider event for a live credit purchase: a paid session of the
/// right amount grants the credits, once (`credits::grant`).
fn apply_to_purchase(ctx: &mut Ctx, p: &Payload) -> Result<Response, ApiError> {
    let db = ctx.db()?;
    let outcome = transaction(db, |db| {
        let rows = db.query(
            "select livemode, amount_cents from credit_purchases where id = $1 for update",
            &[p.order_id.clone().into()],
        )?;
        let Some(row) = rows.rows.first() else {
            return Ok("unknown_purchase");
        };
        let livemode: bool = farm_platform::col(row, 0)?;
        let amount: i64 = farm_platform::col(row, 1)?;
        if !livemode {
            return Ok("test_mode_purchase");
        }
        match p.kind.as_str() {
            "checkout.session.completed" | "payment_intent.succeeded" => {
                if p.amount_cents.is_some_and(|paid| paid != amount) {
                    return Ok("amount_mismatch");
                }
                match crate::credits::grant(db, &p.order_id, p.payment_intent.as_deref())? {
                    Some(_) => Ok("credits_granted"),
                    None => Ok("already_applied"),
                }
            }
            _ => Ok("ignored"),
        }
    })?;
    ctx.log(format_args!(
        "apply_payment_event event={} type={} purchase={} outcome={outcome}",
        p.provider_event_id, p.kind, p.order_id
    ));
    Ok(response::ok(
        &json!({"applied": outcome == "credits_granted", "outcome": outcome}),
    ))
}
