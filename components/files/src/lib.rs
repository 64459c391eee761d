//! `GET /v1/files` (the caller's files, newest first, Stripe's list shape with
//! `limit` and `starting_after`), `GET /v1/files/{id}` (status,
//! `metrics_json`, printability report; the upload URL while one is pending;
//! `Retry-After` while processing) and `POST /v1/files/{id}/unit` (unit
//! override that recomputes every metric from the stored mesh), seed 001.

use farm_platform::farm_domain::Error as DomainError;
use farm_platform::farm_domain::ids::IdKind;
use farm_platform::farm_domain::scope::Scope;
use farm_platform::{ApiError, Ctx, handle, response};
use kit::list::Page;
use kit::rows::{FILE_COLUMNS, FileRow};
use serde::Deserialize;
use spin_sdk::http::{Method, Request, Response};

farm_platform::export_http!(crate::serve);

fn serve(req: Request) -> Response {
    handle(req, |ctx| {
        ctx.dispatch(&[
            ("/v1/files", Method::Get, list_files),
            ("/v1/files/:id", Method::Get, get_file),
            ("/v1/files/:id/unit", Method::Post, set_unit),
        ])
    })
}

fn list_files(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::FilesRead)?;
    let page = Page::from_query(ctx, IdKind::File, &[])?;
    let rows = page.fetch(
        ctx,
        "files",
        FILE_COLUMNS,
        &caller.account_id,
        caller.livemode(),
    )?;
    let items = rows
        .iter()
        .map(|r| FileRow::from_row(r).map(|f| f.to_json()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(response::ok(&page.render(items)))
}

fn get_file(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::FilesRead)?;
    let id = ctx.param("id")?;
    let file = FileRow::load(ctx, &id, &caller.account_id, caller.livemode())?;
    let body = file.render(ctx)?;
    Ok(response::ok(&body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitBody {
    selected_unit: String,
    confirmed_by: String,
}

fn set_unit(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::FilesWrite)?;
    let id = ctx.param("id")?;
    let body: UnitBody = ctx.json_body()?;
    let unit = match body.selected_unit.trim().to_ascii_lowercase().as_str() {
        "mm" => mesh_engine::Unit::Millimeter,
        "cm" => mesh_engine::Unit::Centimeter,
        "in" => mesh_engine::Unit::Inch,
        _ => {
            return Err(ApiError::invalid_field(
                "selected_unit",
                "must be mm, cm or in",
            ));
        }
    };
    let confirmed_by = match body.confirmed_by.trim() {
        by @ ("agent" | "user") => by.to_owned(),
        _ => {
            return Err(ApiError::invalid_field(
                "confirmed_by",
                "must be agent or user",
            ));
        }
    };
    let file = FileRow::load(ctx, &id, &caller.account_id, caller.livemode())?;
    if file.status != "ready" {
        return Err(ApiError::file_not_ready(&file.status)
            .with_detail("next_action", file.next_action(ctx.now())));
    }
    let bytes = kit::store::get(ctx, &file.object_key)?.ok_or_else(|| {
        ApiError::internal(format!(
            "object {} missing for a ready file",
            file.object_key
        ))
    })?;
    // The metrics must keep describing the bytes `content_sha256` names (the
    // ones quotes were priced from): re-read exactly those, or refuse.
    let analysed = file.content_sha256.clone().unwrap_or_default();
    if kit::analysis::content_sha256(&bytes) != analysed {
        return Err(ApiError::from(DomainError::Conflict {
            code: "content_changed",
            reason: "The stored bytes are no longer the ones that were analysed; upload the file again with POST /v1/files/presign.".to_owned(),
        })
        .with_detail("content_sha256", analysed));
    }
    let analysis = kit::analysis::analyze(&bytes, Some(unit))
        .map_err(|e| ApiError::internal(format!("re-analysis: {e}")))?;
    ctx.db()?.execute(
        "update files set selected_unit = $3, unit_confirmed_by = $4, metrics = ($5::text)::jsonb, \
           report = ($6::text)::jsonb, updated_at = now() where id = $1 and account_id = $2 and content_sha256 = $7",
        &[
            id.clone().into(),
            caller.account_id.clone().into(),
            unit.code().to_owned().into(),
            confirmed_by.into(),
            analysis.metrics.to_string().into(),
            analysis.report.to_string().into(),
            analysed.into(),
        ],
    )?;
    let file = FileRow::load(ctx, &id, &caller.account_id, caller.livemode())?;
    let body = file.render(ctx)?;
    Ok(response::ok(&body))
}
