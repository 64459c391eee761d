//! A person's answers to what the farm flagged for them (operator token,
//! `farm_operator_token`, the credential of the plate clear on the `/farm`
//! page):
//!
//! - `POST /internal/farm/printers/{serial}/resolve`: the printer's
//!   `needs_attention` flag (a failed dispatch, a pause-class fault, a
//!   certificate alarm) is dealt with; it takes plates again.
//! - `POST /internal/farm/tasks/{task_id}/requeue`: a part that gave up
//!   (three failures) or that the farm cancelled is printed again. Refunding
//!   instead is the order's cancel and refund path, not the farm's.

use farm_platform::internal::require_operator;
use farm_platform::work::{self, Worker};
use farm_platform::{ApiError, Ctx, col, response, transaction};
use order_kit::farm_orders::OrderStatus;
use order_kit::lifecycle;
use order_kit::row::{ORDER_COLUMNS, OrderRow};
use serde_json::json;
use spin_sdk::http::Response;
use spin_sdk::pg4::Connection;

use crate::advance::ADVANCE_ORDER;

/// `POST /internal/farm/printers/{serial}/resolve` (operator token): clears
/// the printer's `needs_attention`, so its next claim may get a plate (a
/// plate awaiting its clear still needs the clear). 200 `{"printer",
/// "needs_attention": false}`; 404 `printer_not_found`; 409
/// `not_needing_attention` (nothing to resolve: a second click).
pub(crate) fn resolve(ctx: &mut Ctx) -> Result<Response, ApiError> {
    require_operator(ctx)?;
    let serial = ctx.param("serial")?;
    crate::link::refuse_nul("serial", &serial)?;
    let rows = ctx.db()?.query(
        "with p as (select id, needs_attention from printers where serial = $1 for update),
              resolved as (update printers set needs_attention = false, updated_at = now()
                           where id = (select id from p) and needs_attention returning id)
         select (select needs_attention from p), (select count(*) from resolved)",
        &[serial.clone().into()],
    )?;
    let row = rows
        .rows
        .first()
        .ok_or_else(|| ApiError::internal("resolve returned no row"))?;
    let flagged: Option<bool> = col(row, 0)?;
    match flagged {
        None => Err(ApiError::new(
            404,
            "printer_not_found",
            "No printer has this serial.",
        )),
        Some(false) => Err(ApiError::new(
            409,
            "not_needing_attention",
            "The printer is not flagged for a person.",
        )
        .with_detail("printer", &serial)),
        Some(true) => Ok(response::ok(
            &json!({ "printer": serial, "needs_attention": false }),
        )),
    }
}

/// What a re-queue did.
struct Requeued {
    order_id: Option<String>,
    order_needs_attention: bool,
    job: Option<i64>,
}

/// `POST /internal/farm/tasks/{task_id}/requeue` (operator token): a part
/// that gave up after three failures, or that the farm cancelled, goes back
/// to the queue at the front (it is a re-print) with three more attempts
/// (`failures_set_aside`; its attempt count keeps counting). In the order's
/// transaction, under its row lock: the order's `needs_attention` flag is
/// cleared when no other part holds it, and `order.status_changed` records
/// the re-queue (`requeued: {part, task_id, attempts}`); `advance_order`
/// then keeps its `estimated_ship` current. 200 `{"task_id", "status":
/// "queued", "order_id", "order_needs_attention"}`; 404 `task_not_found`;
/// 409 `task_not_requeueable` (the part did not give up and was not
/// cancelled on the farm, or its order is no longer in production).
pub(crate) fn requeue(ctx: &mut Ctx) -> Result<Response, ApiError> {
    require_operator(ctx)?;
    let task_id: i64 = ctx
        .param("task_id")?
        .parse()
        .map_err(|_| ApiError::invalid_field("task_id", "a print task id (an integer)"))?;
    let base = ctx.var("public_base_url")?;
    let db = ctx.db()?;
    let done = transaction(db, |db| requeue_in(db, task_id, &base))?;
    if let Some(job) = done.job {
        let worker = Worker::from_ctx(ctx)?;
        ctx.after_response(move || {
            worker.run_now(job);
        });
    }
    Ok(response::ok(&json!({
        "task_id": task_id,
        "status": "queued",
        "order_id": done.order_id,
        "order_needs_attention": done.order_needs_attention,
    })))
}

fn not_requeueable() -> ApiError {
    ApiError::new(
        409,
        "task_not_requeueable",
        "Only a part that gave up after its failures, or that the farm cancelled, of an order still in production can be re-queued.",
    )
}

fn requeue_in(db: &Connection, task_id: i64, base: &str) -> Result<Requeued, ApiError> {
    let found = db.query(
        "select order_id from print_tasks where id = $1",
        &[task_id.into()],
    )?;
    let order_id: Option<String> = match found.rows.first() {
        None => {
            return Err(ApiError::new(
                404,
                "task_not_found",
                "No print task has this id.",
            ));
        }
        Some(row) => col(row, 0)?,
    };
    // The order's row lock first, as advance_order takes it: the two never
    // wait on each other's task rows.
    let order = match &order_id {
        Some(id) => Some(lifecycle::lock(db, id)?.ok_or_else(not_requeueable)?),
        None => None,
    };
    if order
        .as_ref()
        .is_some_and(|o| !matches!(o.status, OrderStatus::Queued | OrderStatus::InProduction))
    {
        return Err(not_requeueable());
    }
    let rows = db.query(
        "update print_tasks set status = 'queued', failures_set_aside = failures, printer_id = null,
                plate_id = null, claimed_at = null, lease_expires_at = null, center_x_mm = null,
                center_y_mm = null, rotation_deg = null, finished_at = null, updated_at = now()
         where id = $1 and status in ('gave_up', 'cancelled')
         returning copy_index, failures",
        &[task_id.into()],
    )?;
    let row = rows.rows.first().ok_or_else(not_requeueable)?;
    let (part, failures): (i32, i32) = (col(row, 0)?, col(row, 1)?);
    let Some(mut order) = order else {
        return Ok(Requeued {
            order_id: None,
            order_needs_attention: false,
            job: None,
        });
    };
    // The flag stays while another part still gave up or was cancelled.
    let rows = db.query(
        &format!(
            "update orders o set needs_attention = false, status_detail = null, updated_at = now()
             where o.id = $1 and o.needs_attention and not exists (
               select 1 from print_tasks t where t.order_id = o.id and t.status in ('gave_up', 'cancelled'))
             returning {ORDER_COLUMNS}"
        ),
        &[order.id.clone().into()],
    )?;
    if let Some(row) = rows.rows.first() {
        order = OrderRow::from_row(row)?;
    }
    lifecycle::emit_with(
        db,
        &order,
        "order.status_changed",
        base,
        &json!({ "requeued": { "part": part, "task_id": task_id, "attempts": failures + 1 } }),
    )?;
    let job = work::enqueue(db, ADVANCE_ORDER, &json!({ "order_id": order.id }), None)?;
    Ok(Requeued {
        order_id: Some(order.id.clone()),
        order_needs_attention: order.needs_attention,
        job,
    })
}
