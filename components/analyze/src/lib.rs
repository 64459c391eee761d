//! The private analyze component: fetches an uploaded mesh, runs the mesh
//! engine, stores metrics, the printability report and per-material estimates,
//! and moves the file to `ready` or `failed`.
//!
//! Reachable only by service chaining (`http://analyze.spin.internal`, a
//! private route) or with the internal token (`X-Farm-Internal-Token` or
//! `Authorization: Bearer <internal_token>`); partners cannot call it.
//!
//! `POST` with `{"file_id": "..."}` analyses that file; without a body it
//! claims the oldest queued (or lease-expired) file: the sweep.

use farm_platform::{ApiError, Ctx, col, handle, response};
use kit::rows::{FILE_COLUMNS, FileRow};
use serde_json::json;
use spin_sdk::http::{Method, Request, Response};

/// How long a claimed analysis may run before another worker may take it over.
const LEASE_SECS: i64 = 120;
/// After this many attempts the file is failed instead of retried.
const MAX_ATTEMPTS: i32 = 3;

farm_platform::export_http!(crate::serve);

fn serve(req: Request) -> Response {
    handle(req, run)
}

fn run(ctx: &mut Ctx) -> Result<Response, ApiError> {
    kit::internal::require_internal(ctx)?;
    if *ctx.method() != Method::Post {
        return Err(ApiError::method_not_allowed(
            &ctx.method().to_string(),
            &["POST"],
        ));
    }
    let wanted: Option<String> = if ctx.request().body().is_empty() {
        None
    } else {
        let v: serde_json::Value =
            serde_json::from_slice(ctx.request().body()).map_err(|e| ApiError::invalid_json(&e))?;
        v["file_id"].as_str().map(str::to_owned)
    };
    let Some((file_id, attempts)) = claim(ctx, wanted.as_deref())? else {
        return Ok(response::ok(&json!({ "claimed": false })));
    };
    let status = analyze_file(ctx, &file_id, attempts)?;
    Ok(response::ok(
        &json!({ "claimed": true, "file_id": file_id, "status": status }),
    ))
}

/// Claims one analysis (the given file's, or the oldest claimable) with a lease.
fn claim(ctx: &mut Ctx, file_id: Option<&str>) -> Result<Option<(String, i32)>, ApiError> {
    let filter = if file_id.is_some() {
        "and file_id = $2"
    } else {
        "and $2::text is null"
    };
    let sql = format!(
        "update analysis_jobs set status = 'running', attempts = attempts + 1, \
           lease_until = now() + make_interval(secs => $1::bigint), updated_at = now() \
         where file_id = (select file_id from analysis_jobs \
           where (status = 'queued' or (status = 'running' and lease_until < now())) {filter} \
           order by created_at limit 1 for update skip locked) \
         returning file_id, attempts"
    );
    let param = file_id.map_or(spin_sdk::pg4::ParameterValue::DbNull, |f| {
        f.to_owned().into()
    });
    let rows = ctx.db()?.query(&sql, &[LEASE_SECS.into(), param])?;
    match rows.rows.first() {
        Some(row) => Ok(Some((col(row, 0)?, col(row, 1)?))),
        None => Ok(None),
    }
}

fn analyze_file(ctx: &mut Ctx, file_id: &str, attempts: i32) -> Result<&'static str, ApiError> {
    let sql = format!("select {FILE_COLUMNS} from files where id = $1");
    let rows = ctx.db()?.query(&sql, &[file_id.to_owned().into()])?;
    let file = FileRow::from_row(
        rows.rows
            .first()
            .ok_or_else(|| ApiError::internal("queued file vanished"))?,
    )?;
    let bytes = match kit::store::get(ctx, &file.object_key) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            return fail(
                ctx,
                file_id,
                "The uploaded object is missing from the store.",
                "object_missing",
            );
        }
        Err(e) if attempts < MAX_ATTEMPTS => {
            // Leave the lease to expire; the next sweep or confirm retries.
            return Err(e);
        }
        Err(_) => {
            return fail(
                ctx,
                file_id,
                "The object store was unavailable for every attempt.",
                "store_unavailable",
            );
        }
    };
    // Confirm checked the stored object, and the key is write-once; a store
    // that lost that guarantee still cannot make us analyse other bytes.
    if i64::try_from(bytes.len()).ok() != Some(file.size_bytes) {
        let message = format!(
            "The stored file is {} bytes but {} were declared; presign again and upload the declared file.",
            bytes.len(),
            file.size_bytes
        );
        return fail(ctx, file_id, &message, "upload_mismatch");
    }
    let sha = kit::analysis::content_sha256(&bytes);
    let unit = file
        .selected_unit
        .as_deref()
        .and_then(mesh_engine::Unit::parse);
    match kit::analysis::analyze(&bytes, unit) {
        Ok(analysis) => {
            ctx.db()?.execute(
                "with f as (update files set status = 'ready', content_sha256 = $2, metrics = ($3::text)::jsonb, \
                   report = ($4::text)::jsonb, failure_reason = null, analyzed_at = now(), updated_at = now() \
                   where id = $1 returning id) \
                 update analysis_jobs set status = 'done', lease_until = null, updated_at = now() \
                 where file_id in (select id from f)",
                &[
                    file_id.to_owned().into(),
                    sha.into(),
                    analysis.metrics.to_string().into(),
                    analysis.report.to_string().into(),
                ],
            )?;
            Ok("ready")
        }
        Err(e) => {
            let message = format!(
                "The file could not be read as {}: {e}",
                file.format.to_ascii_uppercase()
            );
            fail(ctx, file_id, &message, e.code())
        }
    }
}

fn fail(ctx: &mut Ctx, file_id: &str, reason: &str, code: &str) -> Result<&'static str, ApiError> {
    let metrics = kit::analysis::failure_metrics(code, reason);
    ctx.db()?.execute(
        "with f as (update files set status = 'failed', failure_reason = $2, metrics = ($3::text)::jsonb, \
           analyzed_at = now(), updated_at = now() where id = $1 returning id) \
         update analysis_jobs set status = 'failed', last_error = $2, lease_until = null, updated_at = now() \
         where file_id in (select id from f)",
        &[file_id.to_owned().into(), reason.to_owned().into(), metrics.to_string().into()],
    )?;
    Ok("failed")
}
