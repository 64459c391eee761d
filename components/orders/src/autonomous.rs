//! `POST /v1/autonomous/orders` (seed 001, "Autonomous Orders";
//! `Idempotency-Key` required): an agent orders and pays in one call, only
//! within the conditions the person set (`order_kit::autonomous`). The
//! conditions, the spend reservation and the order are one transaction; a
//! test order is paid and queued in it too (no provider), a live one is
//! charged off-session right after it.

use crate::address::{self, OrderBody};
use farm_platform::farm_domain::scope::Scope;
use farm_platform::{ApiError, Caller, Ctx, Fingerprint, response, transaction};
use serde_json::Value;
use spin_sdk::http::Response;

pub fn create(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::OrdersWrite)?;
    let body: OrderBody = ctx.json_body()?;
    let shipping = address::checked(body.shipping_address_json.as_ref(), "shipping_address_json")?;
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
    let base = crate::base_url(ctx)?;
    let db = ctx.db()?;
    let (order, billing) = transaction(db, |db| {
        order_kit::autonomous::place(
            db,
            caller,
            quote_id,
            "autonomous",
            None,
            Some(shipping),
            &base,
        )
    })?;
    let order = order_kit::autonomous::settle(ctx, order, &billing, &base)?;
    Ok(response::created(&order.render(&base)))
}
