//! Live mode's calls to the payment provider (`farm-pay-kit`): the checkout
//! session a person approves, the off-session charge of an autonomous
//! order, and the refund of a cancelled one. Each runs after the
//! transaction that recorded the order, with an idempotency key derived from
//! the order id, so a retry never charges or refunds twice. Test-mode orders
//! never come here.

use crate::autonomous::Billing;
use crate::lifecycle::{self, Paid};
use crate::row::OrderRow;
use farm_orders::OrderStatus;
use farm_platform::{ApiError, Ctx, transaction};
use pay_kit::{CheckoutParams, OffSessionCharge, PaymentProvider, StripeProvider};

/// The live provider from the Spin variables `stripe_api_base` and
/// `stripe_secret_key` (as `pay_kit::provider_from_ctx`, but owning nothing
/// of `ctx`, so the request's database stays usable alongside it).
fn provider(ctx: &Ctx) -> Result<StripeProvider, ApiError> {
    StripeProvider::new(&ctx.var("stripe_api_base")?, &ctx.var("stripe_secret_key")?)
}

/// Opens the provider's checkout session for a new live order and records
/// its id and URL on the order. On a provider failure the order (nothing
/// was charged) is cancelled and the error returned.
pub fn open_checkout(ctx: &mut Ctx, order: &OrderRow, base: &str) -> Result<OrderRow, ApiError> {
    let provider = provider(ctx)?;
    let params = CheckoutParams {
        order_id: order.id.clone(),
        amount_cents: order.total_cents,
        currency: order.currency.to_ascii_lowercase(),
        product_name: format!(
            "{} × {} {} part",
            order.quantity, order.material, order.color
        ),
        customer: None,
        success_url: order.tracking_url(base),
        cancel_url: order.review_url(base),
    };
    match provider.create_checkout_session(&params, &format!("checkout-{}", order.id)) {
        Ok(session) => {
            let db = ctx.db()?;
            transaction(db, |db| {
                crate::lifecycle::attach_session(db, &order.id, &session.id, &session.url)
            })
        }
        Err(e) => {
            let db = ctx.db()?;
            transaction(db, |db| {
                if let Some(o) = lifecycle::lock(db, &order.id)? {
                    lifecycle::cancel(db, &o, base)?;
                }
                Ok(())
            })?;
            Err(e)
        }
    }
}

/// Charges a new live autonomous order off-session. Succeeded: paid and
/// queued at once (the provider's `payment_intent.succeeded` later finds it
/// done). Declined (402 `payment_failed`): the order is cancelled and its
/// spend reservation given back. Provider unavailable or unsure: the order
/// stays `requires_payment` holding its reservation, and the provider's
/// webhook settles it (paid, or failed and cancelled); retrying the request
/// replays this answer rather than charging again.
pub fn charge(
    ctx: &mut Ctx,
    order: OrderRow,
    billing: &Billing,
    base: &str,
) -> Result<OrderRow, ApiError> {
    let (Some(customer), Some(method)) = (&billing.customer_id, &billing.default_payment_method)
    else {
        return Err(ApiError::new(
            409,
            "autonomous_not_allowed",
            "No saved payment method with a provider customer; save one with POST /v1/payments/default_method.",
        )
        .with_detail("failed_conditions", ["no_default_payment_method"]));
    };
    let provider = provider(ctx)?;
    let charge = OffSessionCharge {
        customer: customer.clone(),
        payment_method: method.clone(),
        amount_cents: order.total_cents,
        currency: order.currency.to_ascii_lowercase(),
        order_id: order.id.clone(),
    };
    let result = provider.charge_off_session(&charge, &format!("charge-{}", order.id));
    let db = ctx.db()?;
    match result {
        Ok(pi) if pi.status == "succeeded" => transaction(db, |db| {
            let o = lifecycle::lock(db, &order.id)?
                .ok_or_else(|| ApiError::internal("order vanished"))?;
            match lifecycle::pay_and_queue(db, o, Some(&pi.id), None, base)? {
                Paid::Now(o) | Paid::Already(o) => Ok(o),
            }
        }),
        Ok(pi) => transaction(db, |db| {
            db.execute(
                "update orders set payment_intent = $2, updated_at = now() where id = $1",
                &[order.id.clone().into(), pi.id.clone().into()],
            )?;
            lifecycle::lock(db, &order.id)?.ok_or_else(|| ApiError::internal("order vanished"))
        }),
        Err(e) if e.status() == 402 => {
            transaction(db, |db| {
                if let Some(o) = lifecycle::lock(db, &order.id)?
                    && o.status == OrderStatus::RequiresPayment
                {
                    lifecycle::cancel(db, &o, base)?;
                }
                Ok(())
            })?;
            Err(e.with_detail("order_id", &order.id))
        }
        Err(e) => {
            ctx.log(format_args!(
                "order={} off-session charge unsettled: {} ({})",
                order.id,
                e.code(),
                e.message()
            ));
            Ok(order)
        }
    }
}

/// Refunds a cancelled live order that was charged (once: the provider's
/// idempotency key is the order's), then records it `refunded`.
pub fn refund(ctx: &mut Ctx, order: &OrderRow, base: &str) -> Result<OrderRow, ApiError> {
    let Some(pi) = &order.payment_intent else {
        return Ok(order.clone());
    };
    let provider = provider(ctx)?;
    let refund = provider.refund(pi, order.total_cents, &format!("refund-{}", order.id))?;
    let db = ctx.db()?;
    transaction(db, |db| {
        let o =
            lifecycle::lock(db, &order.id)?.ok_or_else(|| ApiError::internal("order vanished"))?;
        lifecycle::mark_refunded(db, &o, &refund.id, base)
    })
}
