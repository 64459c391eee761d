//! `POST /v1/checkout_sessions` (seed 001, "Checkout"; `Idempotency-Key`
//! required): a quote and a shipping address become an order in
//! `requires_payment`, with the link a person opens to approve and pay.
//!
//! Live mode opens the provider's Checkout Session (`order_kit::live`) once
//! the order is recorded; its `checkout.session.completed` webhook pays and
//! queues the order (`work.rs`). Test mode never reaches the payment provider: the `approval_url` is the
//! local test checkout page (`/test/checkout/cs_test_…`), completed there or
//! with `POST /v1/test_helpers/checkout_sessions/{id}/complete`.

use crate::address::{self, OrderBody};
use farm_platform::farm_domain::api_key::to_hex;
use farm_platform::farm_domain::scope::Scope;
use farm_platform::{
    ApiError, Caller, Ctx, Fingerprint, random_bytes, response, transaction, wire,
};
use order_kit::lifecycle::{self, NewOrder};
use order_kit::row::OrderRow;
use serde_json::{Value, json};

/// Prefix of a test-mode checkout session id (Stripe's `cs_test_`), then
/// 128 random bits in hex: the test checkout page's link is unguessable.
pub const TEST_SESSION_PREFIX: &str = "cs_test_";

pub fn create(ctx: &mut Ctx) -> Result<spin_sdk::http::Response, ApiError> {
    let caller = ctx.authenticate(Scope::OrdersWrite)?;
    let body: OrderBody = ctx.json_body()?;
    let shipping = address::checked(body.shipping_address_json.as_ref(), "shipping_address_json")?;
    let fingerprint = Fingerprint::json_body(ctx)?;
    ctx.idempotent(&caller.clone(), true, &fingerprint, |ctx| {
        checkout(ctx, &caller, &body.quote_id, &shipping)
    })
}

fn checkout(
    ctx: &mut Ctx,
    caller: &Caller,
    quote_id: &str,
    shipping: &Value,
) -> Result<spin_sdk::http::Response, ApiError> {
    let base = crate::base_url(ctx)?;
    let livemode = caller.livemode();
    let db = ctx.db()?;
    let order = transaction(db, |db| {
        let quote = order_kit::quote::load(db, caller, quote_id)?;
        let order = lifecycle::create(
            db,
            &NewOrder {
                account_id: &caller.account_id,
                livemode,
                source: "checkout",
                job_id: None,
                quote: &quote,
                shipping_address: Some(shipping),
                reserves_spend: false,
            },
            &base,
        )?;
        if livemode {
            return Ok(order);
        }
        // Test mode: the local test checkout page stands in for the provider's.
        let session_id = format!("{TEST_SESSION_PREFIX}{}", to_hex(&random_bytes::<16>()?));
        let approval_url = format!("{base}/test/checkout/{session_id}");
        lifecycle::attach_session(db, &order.id, &session_id, &approval_url)
    })?;
    let order = if livemode {
        order_kit::live::open_checkout(ctx, &order, &base)?
    } else {
        order
    };
    Ok(response::created(&session_body(&order, &base)))
}

/// The answer of a checkout (seed 001's fields, plus the session and amount).
fn session_body(order: &OrderRow, base: &str) -> Value {
    json!({
        "object": "checkout_session",
        "id": order.checkout_session_id,
        "livemode": order.livemode,
        "order_id": order.id,
        "public_order_id": order.public_order_id,
        "quote_id": order.quote_id,
        "amount_total": wire::Money::from(farm_platform::farm_domain::money::Money::usd_cents(order.total_cents)),
        "approval_url": order.approval_url,
        "tracking_url": order.tracking_url(base),
        "review_url": order.review_url(base),
        "status": order.status.as_str(),
        "next_action": "redirect_user_to_approval_url",
    })
}
