//! `POST /internal/farm/sites`: the operator's way to create a site and its
//! token (or rotate the token of an existing site), authenticated with the
//! deployment's internal token. The token is in this answer only; the app
//! keeps its SHA-256.

use farm_domain::site_token::{SITE_TOKEN_RANDOM_BYTES, SiteToken, is_valid_site_name};
use farm_platform::{ApiError, Ctx, col, internal, random_bytes, response};
use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSite {
    name: String,
}

#[derive(Debug, Serialize)]
struct CreatedSite {
    id: String,
    name: String,
    /// `fst_` + 48 hex; shown once.
    token: String,
    /// True when the site existed: its previous token stops working now.
    rotated: bool,
}

/// 201 for a new site, 200 when an existing site's token was rotated; 400
/// `invalid_request` for a name outside `^[a-z0-9][a-z0-9_-]{0,62}$`; 401
/// `invalid_internal_token`.
pub(crate) fn create_or_rotate(ctx: &mut Ctx) -> Result<Response, ApiError> {
    internal::require_internal(ctx)?;
    let body: NewSite = ctx.json_body()?;
    if !is_valid_site_name(&body.name) {
        return Err(ApiError::invalid_field(
            "name",
            "1 to 63 characters of a-z, 0-9, _ and -, starting with a letter or digit",
        ));
    }
    let token = SiteToken::generate(random_bytes::<SITE_TOKEN_RANDOM_BYTES>()?);
    let rows = ctx.db()?.query(
        "insert into farm_sites (name, token_sha256) values ($1, $2)
         on conflict (name) do update set token_sha256 = excluded.token_sha256, rotated_at = now()
         returning id, (xmax <> 0)",
        &[body.name.clone().into(), token.sha256().into()],
    )?;
    let row = rows
        .rows
        .first()
        .ok_or_else(|| ApiError::internal("site upsert returned no row"))?;
    let site = CreatedSite {
        id: col(row, 0)?,
        name: body.name,
        token: token.expose().to_owned(),
        rotated: col(row, 1)?,
    };
    Ok(if site.rotated {
        response::ok(&site)
    } else {
        response::created(&site)
    })
}
