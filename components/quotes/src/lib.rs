//! `POST /v1/quotes` and `GET /v1/quotes/{id}`: instant prices with a checkable
//! breakdown, a price range, lead time from the farm's queue, risk flags and
//! the execution mode (seeds 000 and 001). A quote costs two SQL statements:
//! authentication with the file and the farm's load, then the insert.

use farm_platform::farm_domain::ids::IdKind;
use farm_platform::farm_domain::scope::Scope;
use farm_platform::{ApiError, Caller, Ctx, Fingerprint, col, handle, response};
use serde::Deserialize;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::pg4::DbValue;

farm_platform::export_http!(crate::serve);

fn serve(req: Request) -> Response {
    handle(req, |ctx| {
        ctx.dispatch(&[
            ("/v1/quotes", Method::Post, create_quote),
            ("/v1/quotes/:id", Method::Get, get_quote),
        ])
    })
}

/// The body of `POST /v1/quotes`. Absent optional fields take the documented
/// defaults; present ones are checked (see `farm_platform::body`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuoteBody {
    file_id: String,
    material_id: String,
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    color: Option<String>,
    #[serde(default, deserialize_with = "farm_platform::body::non_null_integer")]
    quantity: Option<i64>,
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    ship_country: Option<String>,
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    requested_execution_mode: Option<String>,
}

fn create_quote(ctx: &mut Ctx) -> Result<Response, ApiError> {
    // The body is parsed before authentication so that authentication's
    // statement can read the file too (issue 9, item 7); its errors still
    // come after authentication's, as on every endpoint.
    let body = ctx.json_body::<QuoteBody>();
    // The farm's load is the one the quoted filament sees; a body whose
    // parameters are refused reads nothing (its 400 comes first in `quote`).
    let read = body.as_ref().ok().and_then(|b| {
        let params = kit::quote::parse_params(
            Some(&b.material_id),
            b.color.as_deref(),
            b.quantity,
            b.ship_country.as_deref(),
            b.requested_execution_mode.as_deref(),
        )
        .ok()?;
        kit::quote::file_and_farm_read(&b.file_id, params.material, params.color)
    });
    let (caller, file) = ctx.authenticate_with(Scope::QuotesWrite, read)?;
    let body = body?;
    let fingerprint = Fingerprint::json_body(ctx)?;
    ctx.idempotent(&caller.clone(), false, &fingerprint, |ctx| {
        quote(ctx, &caller, body, file)
    })
}

fn quote(
    ctx: &mut Ctx,
    caller: &Caller,
    body: QuoteBody,
    file: Option<Vec<DbValue>>,
) -> Result<Response, ApiError> {
    let params = kit::quote::parse_params(
        Some(&body.material_id),
        body.color.as_deref(),
        body.quantity,
        body.ship_country.as_deref(),
        body.requested_execution_mode.as_deref(),
    )?;
    // Two statements in all: authentication, which read the file with the
    // load of the printers that hold its filament, and the insert (issue 9, item 7; tests/tests/request_path.rs).
    let (file, load) = kit::quote::file_and_farm(file)?;
    let facts = kit::quote::facts_for(&file, params.material)?;
    let assessment = kit::quote::assess(ctx, caller, &file, &facts, &params, &load)?;
    let (_, body) = kit::quote::store(ctx, caller, &file, &params, &assessment, &facts)?;
    Ok(response::created(&body))
}

fn get_quote(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::QuotesRead)?;
    let id = ctx.param("id")?;
    if !IdKind::Quote.is_valid(&id) {
        return Err(ApiError::quote_not_found());
    }
    let rows = ctx.db()?.query(
        "select response::text, expires_at < now() from quotes where id = $1 and account_id = $2 and livemode = $3",
        &[id.into(), caller.account_id.clone().into(), caller.livemode().into()],
    )?;
    let row = rows.rows.first().ok_or_else(ApiError::quote_not_found)?;
    let text: String = col(row, 0)?;
    let expired: bool = col(row, 1)?;
    let mut body: serde_json::Value = serde_json::from_str(&text).map_err(ApiError::internal)?;
    body["status"] = serde_json::json!(if expired { "expired" } else { "open" });
    Ok(response::ok(&body))
}
