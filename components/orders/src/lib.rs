//! Orders (issue 10; seed 001's checkout, autonomous, orders and tracking
//! sections): one component for every route of an order's life.
//!
//! - `POST /v1/checkout_sessions` (`checkout.rs`): quote + shipping address →
//!   an order awaiting a person's approval.
//! - `POST /v1/autonomous/orders` (`autonomous.rs`): an order placed and paid
//!   within the person's caps.
//! - `POST /v1/credits/checkout` (`credits.rs`): generation credits bought
//!   through the same checkout (seed 002: 100 credits for $4.99).
//! - `GET /v1/orders`, `GET /v1/orders/{id}`, `POST /v1/orders/{id}/cancel`
//!   (`orders.rs`).
//! - Test mode (`test_mode.rs`): `POST /v1/test_helpers/checkout_sessions/{id}/complete`
//!   and the local test checkout page `/test/checkout/{id}`.
//! - Public (`public.rs`): `GET /v1/public/orders/{public_order_id}`, the
//!   tracking page `/orders/{public_order_id}`, the review page `/review/{token}`.
//! - The work queue's `apply_payment_event` handler (`work.rs`), reached only
//!   by service chaining (`http://orders.spin.internal/work/...`, internal token).

mod address;
mod autonomous;
mod checkout;
mod credits;
mod orders;
mod part_view;
mod public;
mod test_mode;
mod work;

use farm_platform::{ApiError, Ctx, handle};
use spin_sdk::http::{Method, Request, Response};

farm_platform::export_http!(crate::serve);

fn serve(req: Request) -> Response {
    handle(req, |ctx| {
        // Work handlers are reached by service chaining, which may not carry
        // a matched route; they are matched by path and need the internal token.
        if ctx.path().starts_with("/work/") {
            return work::serve(ctx);
        }
        ctx.dispatch(&[
            ("/v1/checkout_sessions", Method::Post, checkout::create),
            ("/v1/autonomous/orders", Method::Post, autonomous::create),
            ("/v1/credits/checkout", Method::Post, credits::create),
            ("/v1/orders", Method::Get, orders::list),
            ("/v1/orders/:id", Method::Get, orders::get),
            ("/v1/orders/:id/cancel", Method::Post, orders::cancel),
            (
                "/v1/test_helpers/checkout_sessions/:id/complete",
                Method::Post,
                test_mode::complete,
            ),
            ("/test/checkout/:id", Method::Get, test_mode::page),
            ("/test/checkout/:id", Method::Post, test_mode::pay),
            (
                "/v1/public/orders/:public_order_id",
                Method::Get,
                public::tracking,
            ),
            (
                "/orders/:public_order_id",
                Method::Get,
                public::tracking_page,
            ),
            ("/review/:token", Method::Get, public::review_page),
        ])
    })
}

/// The `public_base_url` variable, without a trailing slash.
pub(crate) fn base_url(ctx: &Ctx) -> Result<String, ApiError> {
    Ok(ctx.var("public_base_url")?.trim_end_matches('/').to_owned())
}
