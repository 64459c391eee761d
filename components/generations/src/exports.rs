//! `POST /v1/exports` `{generation_id | conversation_id, format}` ->
//! `{download_url, filename, expires_at}`: a presigned GET of the stored
//! export that expires after [`URL_EXPIRES_SECS`]. A conversation exports its
//! current part; each turn keeps its own files, so an older version stays
//! exportable by its generation id.

use crate::rows::{self, Generation, URL_EXPIRES_SECS, timestamp};
use farm_cad::export::ExportFormat;
use farm_platform::farm_domain::scope::Scope;
use farm_platform::{ApiError, Ctx, col, response};
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportBody {
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    generation_id: Option<String>,
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    conversation_id: Option<String>,
    format: String,
}

pub fn create_export(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::Export)?;
    let body: ExportBody = ctx.json_body()?;
    let format = ExportFormat::parse(&body.format).ok_or_else(|| {
        ApiError::invalid_field("format", "must be one of `step`, `stl`, `3mf`, `glb`")
    })?;
    let generation_id = match (body.generation_id, body.conversation_id) {
        (Some(id), None) => id,
        (None, Some(conversation)) => current_of(ctx, &conversation, &caller.account_id)?,
        _ => {
            return Err(ApiError::invalid_field(
                "generation_id",
                "give exactly one of `generation_id` and `conversation_id`",
            ));
        }
    };
    let generation = Generation::load(ctx, &generation_id, &caller.account_id)?;
    let key = match (generation.status.as_str(), generation.export_key(format)) {
        ("completed", Some(key)) => key,
        (status, _) => {
            return Err(ApiError::new(
                409,
                "generation_not_completed",
                format!("Generation {generation_id} is {status}; only a completed generation can be exported."),
            )
            .with_detail("status", status));
        }
    };
    let signed = kit::store::presign_get(ctx, &key, URL_EXPIRES_SECS)?;
    let filename = format!(
        "{}-v{}{}",
        generation.id,
        generation.version,
        format.extension()
    );
    let expires_at = ctx.now() + URL_EXPIRES_SECS as i64;
    Ok(response::created(&json!({
        "object": "export",
        "generation_id": generation.id,
        "format": format.code(),
        "media_type": format.media_type(),
        "download_url": signed.url,
        "filename": filename,
        "expires_at": timestamp(expires_at),
    })))
}

/// The latest completed turn of the caller's conversation.
fn current_of(ctx: &mut Ctx, conversation_id: &str, account_id: &str) -> Result<String, ApiError> {
    rows::conversation_head(ctx, conversation_id, account_id)?;
    let rows = ctx.db()?.query(
        "select id from generations where conversation_id = $1 and status = 'completed' \
         order by version desc limit 1",
        &[conversation_id.to_owned().into()],
    )?;
    match rows.rows.first() {
        Some(row) => col(row, 0),
        None => Err(ApiError::new(
            409,
            "generation_not_completed",
            "This conversation has no completed part yet.",
        )),
    }
}
