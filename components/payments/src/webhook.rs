//! `POST /v1/payments/webhook`: the provider's events (PAYMENTS_API.md).
//!
//! 0. The body must be `application/json` (415 otherwise), at most 1 MiB (413).
//! 1. `Stripe-Signature` is verified on the raw body against every secret
//!    of `stripe_webhook_secrets` (farm_payments::signature): malformed →
//!    400 `signature_malformed`, no match → 400 `signature_mismatch`,
//!    timestamp more than 300 s away → 400
//!    `signature_timestamp_out_of_tolerance`. Nothing is stored.
//! 2. The body must be an event (`evt_…` id, `type`, `data.object`), else
//!    400 `invalid_event`.
//! 3. One transaction: the event is inserted into `provider_events` (a
//!    repeated id inserts nothing: 200 with `duplicate: true`, and nothing
//!    else happens) and, for the four types that move an order, work
//!    `apply_payment_event` is enqueued with the event id as its dedupe key.
//! 4. After the response, the job is started at once when its handler is
//!    registered (the tick runs it otherwise).

use farm_payments::event;
use farm_platform::work::{self, Worker, handlers};
use farm_platform::{ApiError, Ctx, MAX_JSON_BODY_BYTES, response, transaction};
use serde_json::json;
use spin_sdk::http::Response;

/// The work kind orders handles (PAYMENTS_API.md).
pub const APPLY_PAYMENT_EVENT: &str = "apply_payment_event";

pub fn receive(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let json = ctx.header("content-type").is_some_and(|ct| {
        let essence = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        essence == "application/json"
    });
    if !json {
        return Err(ApiError::unsupported_media_type(ctx.header("content-type")));
    }
    let body = ctx.request().body().to_vec();
    if body.len() > MAX_JSON_BODY_BYTES {
        return Err(ApiError::payload_too_large(MAX_JSON_BODY_BYTES));
    }
    let header = ctx.header("stripe-signature").unwrap_or("").to_owned();
    let secrets = pay::webhook_secrets(ctx)?;
    if secrets.is_empty() {
        ctx.log("stripe_webhook_secrets is empty: every provider event is refused");
    }
    let keys: Vec<&[u8]> = secrets.iter().map(|s| s.as_bytes()).collect();
    farm_payments::signature::verify(&body, &header, &keys, ctx.now()).map_err(|e| {
        ApiError::new(
            400,
            e.code(),
            format!("The Stripe-Signature check failed: {e}."),
        )
        .with_detail("next_action", "check_webhook_signing_secret")
    })?;
    let event = event::parse(&body).map_err(|e| {
        ApiError::new(400, "invalid_event", format!("{e}."))
            .with_detail("next_action", "fix_request")
    })?;
    let applied = event::payment_event(&event);
    let db = ctx.db()?;
    let outcome = transaction(db, |db| {
        let inserted = db.query(
            "insert into provider_events (id, type, payload) values ($1, $2, ($3::text)::jsonb) \
             on conflict (id) do nothing returning id",
            &[
                event.id.clone().into(),
                event.kind.clone().into(),
                String::from_utf8_lossy(&body).into_owned().into(),
            ],
        )?;
        if inserted.rows.is_empty() {
            return Ok(None); // seen before: acknowledged, nothing more
        }
        let job = match &applied {
            Some(p) => work::enqueue(db, APPLY_PAYMENT_EVENT, &p.work_payload(), Some(&event.id))?,
            None => None,
        };
        Ok(Some(job))
    })?;
    let duplicate = outcome.is_none();
    if let Some(Some(job_id)) = outcome
        && handlers::handler_url(APPLY_PAYMENT_EVENT).is_some()
    {
        let worker = Worker::from_ctx(ctx)?;
        ctx.after_response(move || {
            worker.run_now(job_id);
        });
    }
    ctx.log(format_args!(
        "provider event id={} type={} duplicate={duplicate} applied={}",
        event.id,
        event.kind,
        applied.is_some()
    ));
    Ok(response::ok(&json!({
        "received": true,
        "id": event.id,
        "type": event.kind,
        "duplicate": duplicate,
        "enqueued": !duplicate && applied.is_some(),
    })))
}
