//! `POST /v1/files/confirm`: checks the upload (the stored object must have
//! the declared size and sniff as the declared format, else the file fails
//! with `upload_mismatch`), moves the file to `processing` and queues its
//! analysis (an `analyze_file` job of the work queue) in one transaction,
//! answers at once, and then runs that job as the fast path (seed 001, step 3:
//! the caller polls `GET /v1/files/{id}` until `ready`). If the fast path
//! dies, the tick route runs the job once its lease expires. Idempotent: a
//! second confirm returns the current state and never queues a second
//! analysis.

use farm_platform::farm_domain::scope::Scope;
use farm_platform::work::{self, handlers::ANALYZE_FILE};
use farm_platform::{ApiError, Ctx, handle, response};
use kit::rows::FileRow;
use serde::Deserialize;
use spin_sdk::http::{Method, Request, Response};

farm_platform::export_http!(crate::serve);

fn serve(req: Request) -> Response {
    handle(req, |ctx| {
        ctx.dispatch(&[("/v1/files/confirm", Method::Post, confirm)])
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfirmBody {
    file_id: String,
}

fn confirm(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::FilesWrite)?;
    let body: ConfirmBody = ctx.json_body()?;
    let file = FileRow::load(ctx, &body.file_id, &caller.account_id, caller.livemode())?;
    if file.status != "pending_upload" {
        // Already confirmed: report the state (paced by Retry-After while
        // processing). Its analysis is in the queue.
        let body = file.render(ctx)?;
        return Ok(response::ok(&body));
    }
    let Some(stored_size) = kit::store::head(ctx, &file.object_key)? else {
        return Err(if ctx.now() >= file.upload_expires_at {
            ApiError::new(
                410,
                "upload_expired",
                "The upload URL expired before a file was stored; request a new one with POST /v1/files/presign.",
            )
        } else {
            ApiError::new(
                409,
                "upload_not_found",
                "No file has been uploaded yet; PUT it to upload_url with the required_headers, then confirm.",
            )
        }
        .with_detail("file_id", &file.id)
        .with_detail("status", &file.status));
    };
    // Distrust the store: what it holds must be the declared file (size and
    // sniffed format). The key is write-once, so a mismatch cannot be fixed
    // by another PUT: the file fails and the caller presigns again.
    let prefix = kit::store::get_prefix(ctx, &file.object_key, kit::formats::SNIFF_BYTES)?
        .unwrap_or_default();
    let declared = u64::try_from(file.size_bytes).unwrap_or_default();
    if let Err(mismatch) = kit::formats::check_stored(&file.format, declared, &prefix, stored_size)
    {
        let error = ApiError::from(mismatch);
        let failure = kit::analysis::failure_metrics(error.code(), error.message());
        farm_platform::transaction(ctx.db()?, |db| {
            let moved = db.execute(
                "update files set status = 'failed', failure_reason = $3, metrics = ($4::text)::jsonb, updated_at = now() \
                 where id = $1 and account_id = $2 and status = 'pending_upload'",
                &[
                    file.id.clone().into(),
                    caller.account_id.clone().into(),
                    error.message().to_owned().into(),
                    failure.to_string().into(),
                ],
            )?;
            if moved > 0 {
                kit::file_events::record_outcome(db, &file.id, "failed")?;
            }
            Ok(())
        })?;
        return Err(error
            .with_detail("file_id", &file.id)
            .with_detail("status", "failed"));
    }
    // One transaction: the status change and the queued analysis, so a
    // crash after this point loses nothing (the tick route runs the job).
    // The status guard makes concurrent confirms queue exactly one analysis.
    let worker = work::Worker::from_ctx(ctx)?;
    let (file_id, account_id) = (file.id.clone(), caller.account_id.clone());
    let job_id = farm_platform::transaction(ctx.db()?, |db| {
        let moved = db.query(
            "update files set status = 'processing', confirmed_at = now(), updated_at = now() \
             where id = $1 and account_id = $2 and status = 'pending_upload' returning id",
            &[file_id.clone().into(), account_id.clone().into()],
        )?;
        if moved.rows.is_empty() {
            return Ok(None);
        }
        let payload = serde_json::json!({ "file_id": file_id });
        work::enqueue(db, ANALYZE_FILE, &payload, Some(&file_id))
    })?;
    if let Some(job_id) = job_id {
        // The fast path: the job's lease keeps the tick from running it too.
        ctx.after_response(move || {
            worker.run_now(job_id);
        });
    }
    respond(ctx, &file.id, &caller.account_id, caller.livemode())
}

/// The file as `GET /v1/files/{id}` shows it, `Retry-After` included while
/// it is `processing`, so the caller's first poll is already paced.
fn respond(
    ctx: &mut Ctx,
    file_id: &str,
    account_id: &str,
    livemode: bool,
) -> Result<Response, ApiError> {
    let file = FileRow::load(ctx, file_id, account_id, livemode)?;
    let body = file.render(ctx)?;
    Ok(response::ok(&body))
}
