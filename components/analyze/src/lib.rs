//! The private analyze component: the handler of `analyze_file` jobs of the
//! work queue (`farm_platform::work`). Fetches an uploaded mesh, runs the
//! mesh engine, stores metrics, the printability report and per-material
//! estimates, and moves the file to `ready` or `failed`.
//!
//! Reachable only by service chaining (`http://analyze.spin.internal`, a
//! private route) with the internal token (`X-Farm-Internal-Token` or
//! `Authorization: Bearer <internal_token>`); partners cannot call it.
//!
//! `POST` with the work envelope `{job_id, kind: "analyze_file", payload:
//! {file_id}, attempt, max_attempts, give_up, last_error}`. Idempotent: a
//! file that is no longer `processing` is answered as it is. A transient
//! failure (the object store unavailable) is a 503, which the queue retries
//! with backoff; a `give_up` call marks the file `failed`.

use farm_platform::work::{self, Job, handlers::ANALYZE_FILE};
use farm_platform::{ApiError, Ctx, handle, response};
use kit::rows::{FILE_COLUMNS, FileRow};
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::{Request, Response};

farm_platform::export_http!(crate::serve);

fn serve(req: Request) -> Response {
    handle(req, run)
}

#[derive(Deserialize)]
struct Payload {
    file_id: String,
}

fn run(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let job: Job<Payload> = work::job(ctx, ANALYZE_FILE)?;
    let file_id = job.payload.file_id;
    let status = if job.give_up {
        let reason = format!(
            "The analysis did not complete after {} attempts; upload the file again.",
            job.max_attempts
        );
        fail(ctx, &file_id, &reason, "analysis_abandoned")?
    } else {
        analyze_file(ctx, &file_id)?
    };
    Ok(response::ok(
        &json!({ "file_id": file_id, "status": status }),
    ))
}

/// Analyses a `processing` file; any other state is answered as it is (a
/// job that already ran, or a file deleted since).
fn analyze_file(ctx: &mut Ctx, file_id: &str) -> Result<String, ApiError> {
    let sql = format!("select {FILE_COLUMNS} from files where id = $1");
    let rows = ctx.db()?.query(&sql, &[file_id.to_owned().into()])?;
    let Some(row) = rows.rows.first() else {
        return Ok("missing".to_owned());
    };
    let file = FileRow::from_row(row)?;
    if file.status != "processing" {
        return Ok(file.status);
    }
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
        // Transient: the queue retries with backoff, then gives up.
        Err(e) => return Err(e),
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
            // The state and its event (and so its webhook deliveries) in
            // one transaction; the guard makes a second run record nothing.
            farm_platform::transaction(ctx.db()?, |db| {
                let moved = db.execute(
                    "update files set status = 'ready', content_sha256 = $2, metrics = ($3::text)::jsonb, \
                       report = ($4::text)::jsonb, failure_reason = null, analyzed_at = now(), updated_at = now() \
                     where id = $1 and status = 'processing'",
                    &[
                        file_id.to_owned().into(),
                        sha.clone().into(),
                        analysis.metrics.to_string().into(),
                        analysis.report.to_string().into(),
                    ],
                )?;
                if moved > 0 {
                    kit::file_events::record_outcome(db, file_id, "ready")?;
                }
                Ok(())
            })?;
            Ok("ready".to_owned())
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

/// Marks a `processing` file `failed` with `reason` (shown to the caller).
fn fail(ctx: &mut Ctx, file_id: &str, reason: &str, code: &str) -> Result<String, ApiError> {
    let metrics = kit::analysis::failure_metrics(code, reason);
    farm_platform::transaction(ctx.db()?, |db| {
        let moved = db.execute(
            "update files set status = 'failed', failure_reason = $2, metrics = ($3::text)::jsonb, \
               analyzed_at = now(), updated_at = now() where id = $1 and status = 'processing'",
            &[
                file_id.to_owned().into(),
                reason.to_owned().into(),
                metrics.to_string().into(),
            ],
        )?;
        if moved > 0 {
            kit::file_events::record_outcome(db, file_id, "failed")?;
        }
        Ok(())
    })?;
    Ok("failed".to_owned())
}
