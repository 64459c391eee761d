//! `POST /v1/files/confirm`: checks the upload, moves the file to
//! `processing`, queues its analysis durably, answers at once, and then kicks
//! the private analyze component (seed 001, step 3: the caller polls
//! `GET /v1/files/{id}` until `ready`). Idempotent: a second confirm returns
//! the current state and never queues a second analysis.

use farm_platform::farm_domain::scope::Scope;
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
    let file = FileRow::load(ctx, &body.file_id, &caller.account_id)?;
    if file.status != "pending_upload" {
        // Already confirmed: report the state; re-kick an analysis whose worker died.
        if file.status == "processing" {
            analyze_after_response(ctx, &file.id);
            return respond(ctx, &file.id, &caller.account_id);
        }
        return Ok(response::ok(&file.to_json()));
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
    if stored_size as i64 != file.size_bytes {
        return Err(ApiError::new(
            409,
            "size_mismatch",
            format!(
                "The stored file is {stored_size} bytes but {} were declared; presign again with the right size_bytes.",
                file.size_bytes
            ),
        )
        .with_detail("file_id", &file.id)
        .with_detail("declared_bytes", file.size_bytes)
        .with_detail("stored_bytes", stored_size));
    }
    // One transaction: the status change and the queue row, so a crash after
    // this point loses nothing (a later confirm or sweep re-kicks the analysis).
    // The status guard makes concurrent confirms queue exactly one analysis.
    let db = ctx.db()?;
    let moved = db.query(
        "with moved as ( \
           update files set status = 'processing', confirmed_at = now(), updated_at = now() \
           where id = $1 and account_id = $2 and status = 'pending_upload' returning id) \
         insert into analysis_jobs (file_id) select id from moved on conflict (file_id) do nothing returning file_id",
        &[file.id.clone().into(), caller.account_id.clone().into()],
    )?;
    if !moved.rows.is_empty() {
        analyze_after_response(ctx, &file.id);
    }
    respond(ctx, &file.id, &caller.account_id)
}

fn respond(ctx: &mut Ctx, file_id: &str, account_id: &str) -> Result<Response, ApiError> {
    let file = FileRow::load(ctx, file_id, account_id)?;
    Ok(response::ok(&file.to_json()))
}

/// Once the response is out, calls the private analyze component by service
/// chaining. When it cannot be reached the file stays `processing` with its
/// queue row, and the next confirm (or sweep) picks it up.
fn analyze_after_response(ctx: &Ctx, file_id: &str) {
    let token = ctx.var("internal_token");
    let (file_id, log) = (file_id.to_owned(), ctx.logger());
    ctx.after_response(move || {
        let outcome = (|| -> Result<u16, ApiError> {
            let body = serde_json::to_vec(&serde_json::json!({ "file_id": file_id }))
                .map_err(ApiError::internal)?;
            let request = Request::builder()
                .method(Method::Post)
                .uri("http://analyze.spin.internal/analyze")
                .header("content-type", "application/json")
                .header(kit::internal::INTERNAL_HEADER, token?)
                .header("x-request-id", log.request_id())
                .body(body)
                .build();
            let response: Response =
                spin_sdk::http::run(async move { spin_sdk::http::send(request).await })
                    .map_err(|e| ApiError::unavailable(format!("analyze: {e}")))?;
            Ok(*response.status())
        })();
        match outcome {
            Ok(200) => {}
            Ok(status) => log.line(format_args!("analyze file={file_id} status={status}")),
            Err(e) => log.line(format_args!(
                "analyze file={file_id} unreachable: {}",
                e.cause().unwrap_or(e.message())
            )),
        }
    });
}
