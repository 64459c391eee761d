//! `POST /internal/farm/tasks/{task_id}/pass` (operator token): a person
//! passes a printed part. Real printers inspected by their camera
//! (printer-gateway's camera inspector) send a photo and no verdict: the
//! verdict is a person's, and without this route such a part could never
//! pass, so its order could never ship. The failing half is
//! `floor::fail_task`.

use farm_platform::internal::require_operator;
use farm_platform::{ApiError, Ctx, col, response};
use serde_json::json;
use spin_sdk::http::Response;

/// Passes print task `task_id` (status `printed`, its order not shipped):
/// records a passed inspection of its current attempt with `source:
/// operator` and the photos stored for that attempt (at least one: a part
/// never passes without a photo the partner can see), marks the task
/// `passed` and queues `advance_order`, which ships the order once every part
/// passed. One statement.
///
/// 200 `{"task_id", "status": "passed", "photos": [names]}`; 401 without the
/// operator token; 404 `task_not_found`; 409 `task_not_passable` (not
/// printed and awaiting a verdict, or its order shipped) or
/// `photos_required` (no photo stored for this attempt: upload one through
/// `PUT /internal/farm/photos/{task_id}/{name}` first).
pub(crate) fn pass_task(ctx: &mut Ctx) -> Result<Response, ApiError> {
    require_operator(ctx)?;
    let task_id: i64 = ctx
        .param("task_id")?
        .parse()
        .map_err(|_| ApiError::invalid_field("task_id", "a print task id (an integer)"))?;
    let rows = ctx.db()?.query(
        "with t as (select t.id, t.status, t.failures, t.plate_id, t.order_id,
                           coalesce(o.status, '') as order_status
                    from print_tasks t left join orders o on o.id = t.order_id
                    where t.id = $1 for update of t),
              ph as (select coalesce(jsonb_agg(p.name order by p.name), '[]'::jsonb) as names
                     from t join task_photos p on p.task_id = t.id and p.attempt = t.failures + 1),
              ok as (select t.* from t, ph where t.status = 'printed'
                       and t.order_status not in ('shipped', 'delivered')
                       and jsonb_array_length(ph.names) > 0),
              ins as (insert into inspections (task_id, attempt, passed, photos, defect, source, plate_id)
                      select ok.id, ok.failures + 1, true, ph.names, null, 'operator', ok.plate_id from ok, ph
                      on conflict (task_id, attempt) do nothing returning task_id),
              upd as (update print_tasks p set status = 'passed', updated_at = now()
                      from ok where p.id = ok.id and exists (select 1 from ins) returning p.id),
              job as (insert into background_jobs (kind, payload)
                      select 'advance_order', jsonb_build_object('order_id', ok.order_id)
                      from ok where ok.order_id is not null and exists (select 1 from ins) returning id)
         select (select status from t), (select count(*) from upd), (select min(id) from job),
                (select names::text from ph)",
        &[task_id.into()],
    )?;
    let row = rows
        .rows
        .first()
        .ok_or_else(|| ApiError::internal("pass returned no row"))?;
    let (status, passed, job, photos): (Option<String>, i64, Option<i64>, Option<String>) =
        (col(row, 0)?, col(row, 1)?, col(row, 2)?, col(row, 3)?);
    let Some(status) = status else {
        return Err(ApiError::new(
            404,
            "task_not_found",
            "No print task has this id.",
        ));
    };
    let photos: serde_json::Value = photos
        .and_then(|p| serde_json::from_str(&p).ok())
        .unwrap_or_else(|| json!([]));
    if passed == 0 {
        if status == "printed" && photos.as_array().is_some_and(Vec::is_empty) {
            return Err(ApiError::new(
                409,
                "photos_required",
                "No photo is stored for this attempt of the part; upload one (PUT /internal/farm/photos/{task_id}/{name}) before passing it.",
            ));
        }
        return Err(ApiError::new(
            409,
            "task_not_passable",
            "Only a printed part awaiting its verdict, of an order not yet shipped, can be passed.",
        )
        .with_detail("status", &status));
    }
    if let Some(job) = job {
        let worker = farm_platform::work::Worker::from_ctx(ctx)?;
        ctx.after_response(move || {
            worker.run_now(job);
        });
    }
    Ok(response::ok(
        &json!({ "task_id": task_id, "status": "passed", "photos": photos }),
    ))
}
