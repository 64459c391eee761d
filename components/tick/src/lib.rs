//! `POST /internal/tick`: drains due background work (the `background_jobs`
//! queue of `farm_platform::work`) in one bounded batch, dispatching each job
//! by kind to its handler, and answers what it did.
//!
//! First it returns the farm's expired plate leases to the queue (one
//! statement, `farm_release_expired_leases`, migrations/0018: the rule a
//! claim applies too), so the parts a site's dead gateway had leased are
//! printable elsewhere without waiting for another claim.
//!
//! Called on a schedule: locally by the printer-gateway's timer, in
//! production by a cron (a SpinKube `CronJob` running curl, or the hosted
//! platform's cron calling the route); see README "Background work". Several
//! concurrent ticks are safe: each job is claimed with `FOR UPDATE SKIP
//! LOCKED` and a lease.
//!
//! Authenticated with the `internal_token` variable (`X-Farm-Internal-Token`
//! or `Authorization: Bearer`): 401 `invalid_internal_token` otherwise. The
//! batch stops starting jobs after 50 jobs or 10 s (`farm_work::TickBudget`),
//! well inside hosted Spin's 30 s per request; `more_due: true` says another
//! call would find work now.
//!
//! 200 `{"started", "done", "retried", "dead", "more_due", "elapsed_ms",
//! "leases_released"}`.

use farm_platform::farm_work::TickBudget;
use farm_platform::work::Worker;
use farm_platform::{ApiError, Ctx, col, handle, internal, response};
use spin_sdk::http::{Method, Request, Response};

farm_platform::export_http!(crate::serve);

fn serve(req: Request) -> Response {
    handle(req, |ctx| {
        ctx.dispatch(&[("/internal/tick", Method::Post, tick)])
    })
}

fn tick(ctx: &mut Ctx) -> Result<Response, ApiError> {
    internal::require_internal(ctx)?;
    let released = ctx
        .db()?
        .query("select farm_release_expired_leases()", &[])?;
    let released: i64 = released
        .rows
        .first()
        .map(|r| col(r, 0))
        .transpose()?
        .unwrap_or(0);
    let report = Worker::from_ctx(ctx)?.drain(TickBudget::default())?;
    let mut body = serde_json::to_value(&report).map_err(ApiError::internal)?;
    body["leases_released"] = released.into();
    Ok(response::ok(&body))
}
