//! Payments (issue 10, items 3, 4 and 8): the account's payment method and
//! autopay policy, and the provider's webhook.
//!
//! - `POST /v1/payments/setup_intent` (`orders:write`): a Stripe SetupIntent
//!   (`usage=off_session`) for the account's Customer, created on first use;
//!   the browser completes it with `client_secret`.
//! - `POST /v1/payments/default_method` (`orders:write`)
//!   `{"payment_method_id": "pm_…"}`: attaches it and makes it the default
//!   that autonomous orders charge off-session.
//! - `POST /v1/payments/webhook` (no key; `Stripe-Signature`): the provider's
//!   events, verified on the raw bytes, stored once per event id, and handed
//!   to orders through the work queue (`webhook.rs`).
//! - `GET /v1/settings` (`orders:read`), `POST /v1/settings/autopay`
//!   (`orders:write`): the autopay policy, this month's spend, the payment
//!   method status (`settings.rs`).
//! - `GET|POST /settings/{token}`: the same policy on a page, for a person
//!   with the signed link and no key (`page.rs`).
//!
//! Test keys never reach the provider: their SetupIntent is local and they
//! may save only Stripe's test payment methods (`pm_card_visa`).
//! Variables: `db_url`, `rate_limit_per_minute`, `public_base_url`,
//! `internal_token` (keys the settings links and the work queue's calls),
//! `work_lease_seconds`, `stripe_api_base`, `stripe_secret_key`,
//! `stripe_webhook_secrets`.

mod billing;
mod methods;
mod page;
mod settings;
mod webhook;

use farm_platform::handle;
use spin_sdk::http::{Method, Request, Response};

farm_platform::export_http!(crate::serve);

fn serve(req: Request) -> Response {
    handle(req, |ctx| {
        ctx.dispatch(&[
            (
                "/v1/payments/setup_intent",
                Method::Post,
                methods::setup_intent,
            ),
            (
                "/v1/payments/default_method",
                Method::Post,
                methods::default_method,
            ),
            ("/v1/payments/webhook", Method::Post, webhook::receive),
            ("/v1/settings", Method::Get, settings::get),
            ("/v1/settings/autopay", Method::Post, settings::autopay),
            ("/settings/:token", Method::Get, page::show),
            ("/settings/:token", Method::Post, page::submit),
        ])
    })
}
