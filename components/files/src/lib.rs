//! `GET /v1/files/{id}` (status, `metrics_json`, printability report) and
//! `POST /v1/files/{id}/unit` (unit override that recomputes every metric
//! from the stored mesh), seed 001.

use farm_platform::farm_domain::scope::Scope;
use farm_platform::{ApiError, Ctx, handle, response};
use kit::rows::FileRow;
use serde::Deserialize;
use spin_sdk::http::{Method, Request, Response};

farm_platform::export_http!(crate::serve);

fn serve(req: Request) -> Response {
    handle(req, |ctx| {
        ctx.dispatch(&[
            ("/v1/files/:id", Method::Get, get_file),
            ("/v1/files/:id/unit", Method::Post, set_unit),
        ])
    })
}

fn get_file(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::FilesRead)?;
    let id = ctx.param("id")?;
    let file = FileRow::load(ctx, &id, &caller.account_id)?;
    Ok(response::ok(&file.to_json()))
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
    let file = FileRow::load(ctx, &id, &caller.account_id)?;
    if file.status != "ready" {
        return Err(ApiError::file_not_ready(&file.status));
    }
    let bytes = kit::store::get(ctx, &file.object_key)?.ok_or_else(|| {
        ApiError::internal(format!(
            "object {} missing for a ready file",
            file.object_key
        ))
    })?;
    let analysis = kit::analysis::analyze(&bytes, Some(unit))
        .map_err(|e| ApiError::internal(format!("re-analysis: {e}")))?;
    ctx.db()?.execute(
        "update files set selected_unit = $3, unit_confirmed_by = $4, metrics = ($5::text)::jsonb, \
           report = ($6::text)::jsonb, updated_at = now() where id = $1 and account_id = $2",
        &[
            id.clone().into(),
            caller.account_id.clone().into(),
            unit.code().to_owned().into(),
            confirmed_by.into(),
            analysis.metrics.to_string().into(),
            analysis.report.to_string().into(),
        ],
    )?;
    let file = FileRow::load(ctx, &id, &caller.account_id)?;
    Ok(response::ok(&file.to_json()))
}
