//! The private webhook sender: the handler of `deliver_webhook` jobs of the
//! work queue (`POST /work/deliver_webhook`, internal token, reached only by
//! service chaining at `http://webhook-sender.spin.internal`). It is the only
//! component allowed to reach partner URLs.
//!
//! One job is one attempt of one delivery (`{delivery_id, attempt}`):
//! 1. Under a transaction-scoped advisory lock on (endpoint, ordering key):
//!    skip it if the delivery is no longer pending or this attempt is already
//!    recorded (a job that ran twice); fail it if the endpoint is disabled or
//!    deleted; hold it back (`waiting`) while an earlier event with the same
//!    ordering key is still pending for the endpoint.
//! 2. Sign the envelope with every active secret (both header sets), check
//!    the target again, POST it: no redirects followed, 10 s to connect and
//!    10 s to the first byte, at most 1 KiB of the answer read.
//! 3. Under the lock again: record the attempt; delivered, or 410 (endpoint
//!    disabled), or failed: the next attempt is a new job due after
//!    `farm_webhooks::retry`'s backoff or the receiver's `Retry-After`; after
//!    16 attempts the delivery fails; after 3 days of failures without a
//!    success the endpoint is disabled and its account mailed. A delivery
//!    that ends releases the next waiting one.
//!
//! Receiver failures are answered 200 (the job is done: the next attempt is
//! its own job); only the sender's own failures (database down) answer 5xx,
//! so the work queue retries the same attempt.

mod deliver;
mod send;

use farm_platform::internal::require_internal;
use farm_platform::work::{self, Job, handlers::DELIVER_WEBHOOK};
use farm_platform::{ApiError, Ctx, handle, response};
use serde::Deserialize;
use spin_sdk::http::{Request, Response};

farm_platform::export_http!(crate::serve);

fn serve(req: Request) -> Response {
    handle(req, |ctx| {
        require_internal(ctx)?;
        match ctx.path().as_str() {
            "/work/deliver_webhook" => run(ctx),
            path => Err(ApiError::route_not_found(path)),
        }
    })
}

#[derive(Debug, Deserialize)]
struct Payload {
    delivery_id: String,
    attempt: u32,
}

fn run(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let job: Job<Payload> = work::job(ctx, DELIVER_WEBHOOK)?;
    // The work queue gave up on this attempt (this component kept failing):
    // count it as a failed attempt, so the delivery's own schedule goes on.
    let forced_error = job.give_up.then(|| {
        format!(
            "the sender failed: {}",
            job.last_error.as_deref().unwrap_or("no detail")
        )
    });
    let outcome = deliver::attempt(
        ctx,
        &job.payload.delivery_id,
        job.payload.attempt,
        forced_error,
    )?;
    Ok(response::ok(&outcome))
}
