//! Test mode's stand-in for the provider's checkout: the whole lifecycle
//! without money. Test checkout sessions (`cs_test_…`) never reach the
//! provider.
//!
//! - `POST /v1/test_helpers/checkout_sessions/{id}/complete` (Stripe's naming
//!   for test-only helpers): test keys only; a live key gets 404, as if the
//!   route did not exist.
//! - `/test/checkout/{id}`: the page a test `approval_url` opens; its button
//!   posts back to the same URL and completes the session. The session id
//!   (128 random bits) is the page's only credential, as a provider's
//!   checkout URL is.
//!
//! A session is an order's or a credit purchase's (`credits.rs`); both
//! complete here, the purchase by granting its credits once.

use crate::credits::{self, Purchase};
use farm_platform::farm_domain::scope::Scope;
use farm_platform::html::{escape, page as html_page};
use farm_platform::{ApiError, Ctx, response, transaction};
use order_kit::lifecycle::{self, Paid};
use order_kit::row::{ORDER_COLUMNS, OrderRow};
use serde_json::Value;
use spin_sdk::http::Response;

fn session_not_found() -> ApiError {
    ApiError::new(
        404,
        "checkout_session_not_found",
        "No test checkout session with this id exists in your account.",
    )
}

fn valid_session_id(id: &str) -> bool {
    id.strip_prefix(crate::checkout::TEST_SESSION_PREFIX)
        .is_some_and(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Completes a test checkout session (pays and queues its order, once) and
/// returns the order. `account`: the caller's account, or `None` for the
/// page (the session id is its credential).
fn complete_session(
    ctx: &mut Ctx,
    session_id: &str,
    account: Option<&str>,
) -> Result<OrderRow, ApiError> {
    if !valid_session_id(session_id) {
        return Err(session_not_found());
    }
    let base = crate::base_url(ctx)?;
    let db = ctx.db()?;
    transaction(db, |db| {
        let sql = format!(
            "select {ORDER_COLUMNS} from orders where checkout_session_id = $1 and livemode = false \
               and ($2::text is null or account_id = $2) for update"
        );
        let rows = db.query(
            &sql,
            &[
                session_id.to_owned().into(),
                account.map_or(spin_sdk::pg4::ParameterValue::DbNull, |a| {
                    a.to_owned().into()
                }),
            ],
        )?;
        let order = OrderRow::from_row(rows.rows.first().ok_or_else(session_not_found)?)?;
        if matches!(
            order.status,
            order_kit::farm_orders::OrderStatus::Cancelled
                | order_kit::farm_orders::OrderStatus::Refunded
        ) {
            return Err(lifecycle::not_cancellable(&order, "was cancelled")
                .with_detail("next_action", "create_checkout_session"));
        }
        let payment = format!(
            "pi_test_{}",
            &session_id[crate::checkout::TEST_SESSION_PREFIX.len()..]
        );
        match lifecycle::pay_and_queue(db, order, Some(&payment), None, &base)? {
            Paid::Now(o) | Paid::Already(o) => Ok(o),
        }
    })
}

/// Completes a test credit purchase whose session is `session_id` (grants
/// its credits once); `None` when the session is not a credit purchase's.
fn complete_purchase(
    ctx: &mut Ctx,
    session_id: &str,
    account: Option<&str>,
) -> Result<Option<Value>, ApiError> {
    if !valid_session_id(session_id) {
        return Ok(None);
    }
    let db = ctx.db()?;
    transaction(db, |db| {
        let Some(mut purchase) = Purchase::lock_test_session(db, session_id, account)? else {
            return Ok(None);
        };
        let payment = format!(
            "pi_test_{}",
            &session_id[crate::checkout::TEST_SESSION_PREFIX.len()..]
        );
        credits::grant(db, &purchase.id, Some(&payment))?;
        purchase.status = "paid".into();
        let rows = db.query(
            "select generation_credits from accounts where id = $1",
            &[purchase.account_id.clone().into()],
        )?;
        let balance: i32 = farm_platform::col(
            rows.rows
                .first()
                .ok_or_else(|| ApiError::internal("account row missing"))?,
            0,
        )?;
        let mut body = purchase.render();
        body["credits_balance"] = balance.into();
        Ok(Some(body))
    })
}

pub fn complete(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::OrdersWrite)?;
    if caller.livemode() {
        return Err(ApiError::route_not_found(&ctx.path()));
    }
    let id = ctx.param("id")?;
    if let Some(purchase) = complete_purchase(ctx, &id, Some(&caller.account_id))? {
        return Ok(response::ok(&purchase));
    }
    let order = complete_session(ctx, &id, Some(&caller.account_id))?;
    Ok(response::ok(&order.render(&crate::base_url(ctx)?)))
}

/// `GET /test/checkout/{id}`: what the person approves, and a button.
pub fn page(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let id = ctx.param("id")?;
    let not_found = || {
        html_page(
            404,
            "Checkout not found",
            "<h1>Checkout not found</h1><p>This test checkout link is not valid.</p>",
        )
    };
    if !valid_session_id(&id) {
        return Ok(not_found());
    }
    let sql = format!(
        "select {ORDER_COLUMNS} from orders where checkout_session_id = $1 and livemode = false"
    );
    let rows = ctx.db()?.query(&sql, &[id.clone().into()])?;
    let Some(row) = rows.rows.first() else {
        return purchase_page(ctx, &id).map(|page| page.unwrap_or_else(not_found));
    };
    let order = OrderRow::from_row(row)?;
    let total = farm_platform::farm_domain::money::Money::usd_cents(order.total_cents).display();
    let action = if order.status == order_kit::farm_orders::OrderStatus::RequiresPayment {
        format!(
            "<form method=\"post\" action=\"/test/checkout/{}\"><button type=\"submit\">Pay {} (test mode, no money moves)</button></form>",
            escape(&id),
            escape(&total)
        )
    } else {
        format!(
            "<p>This checkout is complete: the order is <strong>{}</strong>.</p>",
            order.status
        )
    };
    let body = format!(
        "<h1>Test checkout</h1><p class=\"muted\">Test mode: no card is charged and nothing reaches a payment provider.</p>\
         <table><tr><th>Part</th><td>{} × {} {}</td></tr><tr><th>Total</th><td>{}</td></tr></table>{action}\
         <p><a href=\"{}\">Track this order</a></p>",
        order.quantity,
        escape(&order.material),
        escape(&order.color),
        escape(&total),
        escape(&order.tracking_url(&crate::base_url(ctx)?)),
    );
    Ok(html_page(200, "Test checkout", &body))
}

/// The test checkout page of a credit purchase; `None` if there is none.
fn purchase_page(ctx: &mut Ctx, id: &str) -> Result<Option<Response>, ApiError> {
    let db = ctx.db()?;
    let Some(purchase) = Purchase::lock_test_session(db, id, None)? else {
        return Ok(None);
    };
    let total =
        farm_platform::farm_domain::money::Money::usd_cents(purchase.amount_cents).display();
    let action = if purchase.status == "requires_payment" {
        format!(
            "<form method=\"post\" action=\"/test/checkout/{}\"><button type=\"submit\">Pay {} (test mode, no money moves)</button></form>",
            escape(id),
            escape(&total)
        )
    } else {
        "<p>This checkout is complete: the credits are in the account.</p>".to_owned()
    };
    let body = format!(
        "<h1>Test checkout</h1><p class=\"muted\">Test mode: no card is charged and nothing reaches a payment provider.</p>\
         <table><tr><th>Item</th><td>{} generation credits</td></tr><tr><th>Total</th><td>{}</td></tr></table>{action}",
        purchase.credits,
        escape(&total),
    );
    Ok(Some(html_page(200, "Test checkout", &body)))
}

/// `POST /test/checkout/{id}` (the page's button): completes the session.
pub fn pay(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let id = ctx.param("id")?;
    match complete_purchase(ctx, &id, None) {
        Ok(Some(purchase)) => {
            let body = format!(
                "<h1>Paid (test mode)</h1><p>{} generation credits added; the balance is now {}.</p>",
                purchase["credits"], purchase["credits_balance"]
            );
            return Ok(html_page(200, "Paid", &body));
        }
        Ok(None) => {}
        Err(e) => {
            return Ok(html_page(
                e.status(),
                "Checkout failed",
                &format!(
                    "<h1>Checkout failed</h1><p class=\"error\">{}</p>",
                    escape(e.message())
                ),
            ));
        }
    }
    match complete_session(ctx, &id, None) {
        Ok(order) => {
            let body = format!(
                "<h1>Paid (test mode)</h1><p>The order is <strong>{}</strong>.</p><p><a href=\"{}\">Track this order</a></p>",
                order.status,
                escape(&order.tracking_url(&crate::base_url(ctx)?))
            );
            Ok(html_page(200, "Paid", &body))
        }
        Err(e) => Ok(html_page(
            e.status(),
            "Checkout failed",
            &format!(
                "<h1>Checkout failed</h1><p class=\"error\">{}</p>",
                escape(e.message())
            ),
        )),
    }
}
