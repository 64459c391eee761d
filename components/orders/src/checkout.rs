//! `POST /v1/checkout_sessions` (seed 001, "Checkout"; `Idempotency-Key`
//! required): a quote and a shipping address become an order in
//! `requires_payment`, with the link a person opens to approve and pay.
//!
//! Test mode never reaches the payment provider: the `approval_url` is the
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
    let shipping = address::checked(body.shipping_address_json.as_ref())?;
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
    if livemode {
        return Err(live_payments_unavailable());
    }
    let session_id = format!("{TEST_SESSION_PREFIX}{}", to_hex(&random_bytes::<16>()?));
    let approval_url = format!("{base}/test/checkout/{session_id}");
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
        attach_session(db, &order, &session_id, &approval_url)
    })?;
    Ok(response::created(&session_body(&order, &base)))
}

/// Records the checkout session on the order (id and the link to approve).
fn attach_session(
    db: &spin_sdk::pg4::Connection,
    order: &OrderRow,
    session_id: &str,
    approval_url: &str,
) -> Result<OrderRow, ApiError> {
    let sql = format!(
        "update orders set checkout_session_id = $2, approval_url = $3 where id = $1 returning {}",
        order_kit::row::ORDER_COLUMNS
    );
    let rows = db.query(
        &sql,
        &[
            order.id.clone().into(),
            session_id.to_owned().into(),
            approval_url.to_owned().into(),
        ],
    )?;
    OrderRow::from_row(
        rows.rows
            .first()
            .ok_or_else(|| ApiError::internal("order vanished"))?,
    )
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

/// 503 `payment_provider_unavailable`: live payments need the provider.
pub fn live_payments_unavailable() -> ApiError {
    ApiError::new(
        503,
        "payment_provider_unavailable",
        "Live payments are not available right now; retry later, or use a test key to try the whole flow without money.",
    )
}
