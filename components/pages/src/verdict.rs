//! The overview's parts awaiting a person's verdict: print tasks `printed`
//! with no inspection for their current attempt. The simulated farm and a
//! printer's own AI detections send a verdict with the photos; a real
//! printer inspected by its camera (printer-gateway's camera inspector)
//! uploads `camera.png` and sends none, so such a part waits here until a
//! person passes it (`POST /internal/farm/tasks/{task_id}/pass`) or fails it
//! with a defect (`POST /internal/farm/tasks/{task_id}/fail`).

use farm_platform::{ApiError, Ctx, col, wire};
use order_kit::production::{ANSWER_URL_SECS, PhotoUrls, photo_urls};
use serde_json::{Value, json};

/// Parts listed, longest waiting first (the same bound as the overview's
/// other lists).
pub(crate) const LIMIT: i64 = 50;

/// One statement: each part with its order, printer and the photos stored
/// for its current attempt (`[{name, key}]`), longest waiting first. Only
/// parts the pass route would take: their order not shipped or delivered.
const SQL: &str = "select t.id, t.order_id, t.copy_index, t.failures + 1, t.material, t.color, \
       pr.serial, extract(epoch from coalesce(t.finished_at, t.updated_at))::bigint, \
       (select coalesce(json_agg(json_build_object('name', ph.name, 'key', ph.object_key) \
                 order by ph.name), '[]') \
          from task_photos ph where ph.task_id = t.id and ph.attempt = t.failures + 1)::text \
     from print_tasks t \
     left join orders o on o.id = t.order_id \
     left join printers pr on pr.id = t.printer_id \
     where t.status = 'printed' \
       and coalesce(o.status, '') not in ('shipped', 'delivered') \
       and not exists (select 1 from inspections i where i.task_id = t.id and i.attempt = t.failures + 1) \
     order by coalesce(t.finished_at, t.updated_at), t.id limit $1";

/// `[{task_id, order_id, part, attempt, material, color, printer,
/// printed_at, photos: [{name, url}]}]`, the photo URLs presigned GETs of
/// the object store valid for [`ANSWER_URL_SECS`] (an hour, as the orders'
/// answers sign them).
pub(crate) fn awaiting(ctx: &mut Ctx) -> Result<Vec<Value>, ApiError> {
    let urls = PhotoUrls::from_ctx(ctx)?;
    let rows = ctx.db()?.query(SQL, &[LIMIT.into()])?;
    let mut out = Vec::with_capacity(rows.rows.len());
    for row in &rows.rows {
        let photos: Value = serde_json::from_str(&col::<String>(row, 8)?)
            .map_err(|e| ApiError::internal(format!("photos: {e}")))?;
        out.push(json!({
            "task_id": col::<i64>(row, 0)?,
            "order_id": col::<Option<String>>(row, 1)?,
            "part": col::<Option<i32>>(row, 2)?,
            "attempt": col::<i32>(row, 3)?,
            "material": col::<String>(row, 4)?,
            "color": col::<String>(row, 5)?,
            "printer": col::<Option<String>>(row, 6)?,
            "printed_at": wire::timestamp(col::<i64>(row, 7)?),
            "photos": photo_urls(&urls, &photos, ANSWER_URL_SECS)?,
        }));
    }
    Ok(out)
}
