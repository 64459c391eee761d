//! What partners see of production: each part's state, inspection and
//! photos. Photos are never public objects: a partner gets them only as
//! presigned, expiring GET URLs of the object store, signed when the answer
//! is made (1 hour on `GET /v1/orders/{id}` and public tracking; 7 days,
//! SigV4's longest, in a webhook event, which is signed when recorded).

use farm_platform::{ApiError, Ctx, col};
use farm_signing::sigv4::Bucket;
use serde_json::{Value, json};
use spin_sdk::pg4::Connection;

/// Lifetime of photo URLs in API answers, seconds.
pub const ANSWER_URL_SECS: u64 = 3600;

/// Lifetime of photo URLs inside events, seconds (7 days, SigV4's maximum).
pub use upload_kit::store::EVENT_URL_SECS;

/// Signs photo URLs without holding the request (usable in a transaction).
#[derive(Debug, Clone)]
pub struct PhotoUrls {
    bucket: Bucket,
    now: i64,
    pub event_expiry_secs: u64,
}

impl PhotoUrls {
    pub fn from_ctx(ctx: &Ctx) -> Result<Self, ApiError> {
        Ok(Self {
            bucket: upload_kit::store::bucket(ctx)?,
            now: ctx.now(),
            event_expiry_secs: EVENT_URL_SECS,
        })
    }

    /// A presigned GET of `key` valid for `secs`.
    pub fn sign(&self, key: &str, secs: u64) -> Result<String, ApiError> {
        Ok(self
            .bucket
            .presign_download(key, secs, self.now)
            .map_err(ApiError::internal)?
            .url)
    }
}

/// `[{name, key}]` → `[{name, url}]` with URLs valid for `secs`.
pub fn photo_urls(urls: &PhotoUrls, photos: &Value, secs: u64) -> Result<Value, ApiError> {
    let mut out = Vec::new();
    for p in photos.as_array().into_iter().flatten() {
        let Some(key) = p["key"].as_str() else {
            continue;
        };
        out.push(json!({ "name": p["name"], "url": urls.sign(key, secs)? }));
    }
    Ok(Value::Array(out))
}

/// SQL for one order's parts as a JSON array (text), the order's id being
/// the SQL expression `order_id` (a parameter such as `$1`, or a column of
/// the outer query, so a page of orders reads every page's parts in its own
/// statement). Aliases are `p*`, so an outer `t` or `o` is not shadowed.
/// [`render_parts`] turns it into the wire form.
pub fn parts_json_sql(order_id: &str) -> String {
    format!(
        "(select coalesce(json_agg(json_build_object('part', pt.copy_index, 'status', pt.status,
           'attempts', pt.failures + case when pt.status = 'gave_up' then 0 else 1 end,
           'energy_kwh', round(pt.energy_kwh::numeric, 3), 'grid_kwh', round(pt.grid_kwh::numeric, 3),
           'inspection', (select json_build_object('attempt', pi.attempt, 'passed', pi.passed,
               'defect', pi.defect, 'source', pi.source,
               'photos', (select coalesce(json_agg(json_build_object('name', pp.name, 'key', pp.object_key)
                            order by pp.name), '[]') from task_photos pp
                          where pp.task_id = pi.task_id and pp.attempt = pi.attempt))
             from inspections pi where pi.task_id = pt.id order by pi.attempt desc limit 1))
           order by pt.copy_index), '[]')::text
         from print_tasks pt where pt.order_id = {order_id})"
    )
}

/// The parts of [`parts_json_sql`] as `GET /v1/orders/{id}` and each item
/// of `GET /v1/orders` show them: `[{part, status, attempts, energy_kwh,
/// grid_kwh, inspection: null | {attempt, passed, defect, source, photos:
/// [{name, url}]}}]`, the latest inspection of each, photos signed now for
/// [`ANSWER_URL_SECS`]. Part statuses: `queued`, `printing` (leased or
/// printing), `printed` (awaiting inspection), `passed`, `failed` (about to
/// be re-printed), `gave_up` (failed three times), `cancelled`.
pub fn render_parts(urls: &PhotoUrls, json: &str) -> Result<Vec<Value>, ApiError> {
    let mut parts: Vec<Value> = serde_json::from_str(json).map_err(ApiError::internal)?;
    for part in &mut parts {
        part["status"] = json!(wire_status(part["status"].as_str().unwrap_or("queued")));
        if part["inspection"].is_object() {
            let signed = photo_urls(urls, &part["inspection"]["photos"], ANSWER_URL_SECS)?;
            part["inspection"]["photos"] = signed;
        }
    }
    Ok(parts)
}

/// One order's parts ([`render_parts`]), in one statement.
pub fn parts(db: &Connection, urls: &PhotoUrls, order_id: &str) -> Result<Vec<Value>, ApiError> {
    let rows = db.query(
        &format!("select {}", parts_json_sql("$1")),
        &[order_id.to_owned().into()],
    )?;
    let text: String = rows
        .rows
        .first()
        .map(|r| col(r, 0))
        .transpose()?
        .unwrap_or_else(|| "[]".into());
    render_parts(urls, &text)
}

/// A task's status as a part's (`claimed` is `printing` to a partner; the
/// old `done` is `printed`).
fn wire_status(task: &str) -> &str {
    match task {
        "claimed" => "printing",
        "done" => "printed",
        other => other,
    }
}
