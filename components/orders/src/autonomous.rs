//! `POST /v1/autonomous/orders` (seed 001, "Autonomous Orders";
//! `Idempotency-Key` required): an agent orders and pays in one call, only
//! within the conditions the person set (`order_kit::autonomous`). The
//! conditions, the spend reservation and the order are one transaction; in
//! test mode the order is paid and queued in it too (no provider).

use crate::address::{self, OrderBody};
use farm_platform::farm_domain::scope::Scope;
use farm_platform::{ApiError, Caller, Ctx, Fingerprint, response, transaction};
use order_kit::lifecycle::{self, NewOrder, Paid};
use serde_json::Value;
use spin_sdk::http::Response;

pub fn create(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::OrdersWrite)?;
    let body: OrderBody = ctx.json_body()?;
    let shipping = address::checked(body.shipping_address_json.as_ref())?;
    let fingerprint = Fingerprint::json_body(ctx)?;
    ctx.idempotent(&caller.clone(), true, &fingerprint, |ctx| {
        place(ctx, &caller, &body.quote_id, &shipping)
    })
}

fn place(
    ctx: &mut Ctx,
    caller: &Caller,
    quote_id: &str,
    shipping: &Value,
) -> Result<Response, ApiError> {
    let livemode = caller.livemode();
    if livemode {
        return Err(crate::checkout::live_payments_unavailable());
    }
    let base = crate::base_url(ctx)?;
    let db = ctx.db()?;
    let order = transaction(db, |db| {
        let quote = order_kit::quote::load(db, caller, quote_id)?;
        order_kit::autonomous::reserve(db, &caller.account_id, livemode, &quote)?;
        let order = lifecycle::create(
            db,
            &NewOrder {
                account_id: &caller.account_id,
                livemode,
                source: "autonomous",
                job_id: None,
                quote: &quote,
                shipping_address: Some(shipping),
                reserves_spend: true,
            },
            &base,
        )?;
        // Test mode: the saved test payment method always succeeds.
        match lifecycle::pay_and_queue(db, order, None, None, &base)? {
            Paid::Now(o) | Paid::Already(o) => Ok(o),
        }
    })?;
    Ok(response::created(&order.render(&base)))
}
