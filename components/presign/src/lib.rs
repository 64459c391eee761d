//! `POST /v1/files/presign`: registers a file and returns a presigned SigV4
//! `PUT` URL, so the bytes go straight to the object store (seed 001, step 1).

use farm_platform::farm_domain::ids::IdKind;
use farm_platform::farm_domain::scope::Scope;
use farm_platform::{ApiError, Caller, Ctx, Fingerprint, handle, new_id, response};
use kit::formats;
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::{Method, Request, Response};

farm_platform::export_http!(crate::serve);

fn serve(req: Request) -> Response {
    handle(req, |ctx| {
        ctx.dispatch(&[("/v1/files/presign", Method::Post, presign)])
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PresignBody {
    filename: String,
    content_type: String,
    #[serde(deserialize_with = "farm_platform::body::integer")]
    size_bytes: i64,
}

fn presign(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::FilesWrite)?;
    let body: PresignBody = ctx.json_body()?;
    let filename = formats::check_filename(&body.filename)?;
    let format = formats::format_of(&filename)?;
    let content_type = formats::check_content_type(format, &body.content_type)?;
    let size = formats::check_size(body.size_bytes)?;
    let fingerprint = Fingerprint::json_body(ctx)?;
    ctx.idempotent(&caller.clone(), false, &fingerprint, |ctx| {
        register(ctx, &caller, &filename, format, &content_type, size)
    })
}

/// Registers the file and signs its upload URL.
fn register(
    ctx: &mut Ctx,
    caller: &Caller,
    filename: &str,
    format: &'static str,
    content_type: &str,
    size: u64,
) -> Result<Response, ApiError> {
    let file_id = new_id(IdKind::File)?;
    let key = kit::store::object_key(&caller.account_id, &file_id, format);
    let signed = kit::store::presign_put(ctx, &key, content_type, formats::UPLOAD_URL_TTL_SECS)?;
    ctx.db()?.execute(
        "insert into files (id, account_id, status, filename, content_type, format, size_bytes, object_key, upload_expires_at, livemode) \
         values ($1, $2, 'pending_upload', $3, $4, $5, $6, $7, to_timestamp($8::bigint), $9)",
        &[
            file_id.clone().into(),
            caller.account_id.clone().into(),
            filename.to_owned().into(),
            content_type.to_owned().into(),
            format.to_owned().into(),
            (size as i64).into(),
            key.into(),
            signed.expires_unix.into(),
            caller.livemode().into(),
        ],
    )?;
    let required_headers: serde_json::Map<String, serde_json::Value> = signed
        .required_headers
        .iter()
        .map(|(n, v)| (n.clone(), json!(v)))
        .collect();
    Ok(response::created(&json!({
        "file_id": file_id,
        "status": "pending_upload",
        "upload_url": signed.url,
        "upload_method": "PUT",
        "required_headers": required_headers,
        "size_bytes": size,
        "expires_at": farm_platform::wire::timestamp(signed.expires_unix),
        "next_action": "upload_file_then_confirm",
    })))
}
