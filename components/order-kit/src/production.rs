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

/// The order's parts as `GET /v1/orders/{id}` shows them: `[{part,
/// status, attempts, energy_kwh, grid_kwh, inspection: null | {passed,
/// defect, source, photos: [{name, url}]}}]`, the latest inspection of each.
/// Part statuses: `queued`, `printing` (leased or printing), `printed`
/// (awaiting inspection), `passed`, `failed` (about to be re-printed),
/// `gave_up` (failed three times), `cancelled`.
pub fn parts(db: &Connection, urls: &PhotoUrls, order_id: &str) -> Result<Vec<Value>, ApiError> {
    let rows = db.query(
        "select json_build_object('part', t.copy_index, 'status', t.status, 'attempts', t.failures + 1,
           'energy_kwh', round(t.energy_kwh::numeric, 3), 'grid_kwh', round(t.grid_kwh::numeric, 3),
           'inspection', (select json_build_object('attempt', i.attempt, 'passed', i.passed,
               'defect', i.defect, 'source', i.source,
               'photos', (select coalesce(json_agg(json_build_object('name', ph.name, 'key', ph.object_key)
                            order by ph.name), '[]') from task_photos ph
                          where ph.task_id = i.task_id and ph.attempt = i.attempt))
             from inspections i where i.task_id = t.id order by i.attempt desc limit 1))::text
         from print_tasks t where t.order_id = $1 order by t.copy_index",
        &[order_id.to_owned().into()],
    )?;
    let mut parts = Vec::with_capacity(rows.rows.len());
    for row in &rows.rows {
        let text: String = col(row, 0)?;
        let mut part: Value = serde_json::from_str(&text).map_err(ApiError::internal)?;
        part["status"] = json!(wire_status(part["status"].as_str().unwrap_or("queued")));
        if part["inspection"].is_object() {
            let signed = photo_urls(urls, &part["inspection"]["photos"], ANSWER_URL_SECS)?;
            part["inspection"]["photos"] = signed;
        }
        parts.push(part);
    }
    Ok(parts)
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
