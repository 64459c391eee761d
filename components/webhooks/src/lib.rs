//! Webhooks and events, the partner's side (issue 13):
//!
//! - `POST /v1/webhooks/endpoints` `{url, events?, description?}`: registers
//!   an endpoint (at most 16 per account; the target is checked by
//!   `farm_webhooks::target`) and answers 201 with its `whsec_` secret, shown
//!   this once. `GET` lists them (Stripe's list shape), `GET`/`DELETE
//!   /v1/webhooks/endpoints/{id}` reads or deletes one,
//!   `POST .../{id}/rotate_secret` issues a new secret while the old one
//!   keeps signing for 24 h, `GET .../{id}/deliveries` lists its deliveries
//!   with every attempt (time, status, latency, response excerpt).
//! - `GET /v1/events` (cursor pagination, filters `type` and `object`),
//!   `GET /v1/events/{id}`, `POST /v1/events/{id}/redeliver` (one endpoint
//!   with `endpoint_id`, else every endpoint subscribed to its type).
//!
//! Endpoints belong to the mode of the key that registered them: a test key
//! sees and registers test-mode endpoints, which receive only test-mode
//! events. Delivery itself is components/webhook-sender's.

mod endpoints;
mod events_api;
mod rows;

use farm_platform::handle;
use spin_sdk::http::{Method, Request, Response};

farm_platform::export_http!(crate::serve);

fn serve(req: Request) -> Response {
    handle(req, |ctx| {
        ctx.dispatch(&[
            ("/v1/webhooks/endpoints", Method::Post, endpoints::create),
            ("/v1/webhooks/endpoints", Method::Get, endpoints::list),
            ("/v1/webhooks/endpoints/:id", Method::Get, endpoints::get),
            (
                "/v1/webhooks/endpoints/:id",
                Method::Delete,
                endpoints::delete,
            ),
            (
                "/v1/webhooks/endpoints/:id/rotate_secret",
                Method::Post,
                endpoints::rotate_secret,
            ),
            (
                "/v1/webhooks/endpoints/:id/deliveries",
                Method::Get,
                endpoints::deliveries,
            ),
            ("/v1/events", Method::Get, events_api::list),
            ("/v1/events/:id", Method::Get, events_api::get),
            (
                "/v1/events/:id/redeliver",
                Method::Post,
                events_api::redeliver,
            ),
        ])
    })
}
