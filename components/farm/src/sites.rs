//! `POST /internal/farm/sites`: the operator's way to create a site and its
//! token (or rotate the token of an existing site), and to set the site's
//! energy source configuration (issue 12, item 6: its share of on-site
//! solar); `PATCH /internal/farm/sites/{name}` changes that configuration
//! without touching the token. Both take the deployment's internal token.
//! A token is in the creating or rotating answer only; the app keeps its
//! SHA-256.

use farm_domain::site_token::{SITE_TOKEN_RANDOM_BYTES, SiteToken, is_valid_site_name};
use farm_platform::{ApiError, Ctx, col, internal, random_bytes, response};
use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use spin_sdk::pg4::ParameterValue;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSite {
    name: String,
    /// The share of the site's print energy that its own solar supplies, 0
    /// to 1. Absent: a new site takes the app-wide default
    /// (`farm_solar_share`), an existing site keeps what it has.
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    solar_share: Option<f64>,
}

#[derive(Debug, Serialize)]
struct CreatedSite {
    id: String,
    name: String,
    /// `fst_` + 48 hex; shown once.
    token: String,
    /// True when the site existed: its previous token stops working now.
    rotated: bool,
    /// The site's own share of on-site solar; null: the app-wide default.
    solar_share: Option<f64>,
}

/// 201 for a new site, 200 when an existing site's token was rotated (and
/// its `solar_share` set, when given); 400 `invalid_request` for a name
/// outside `^[a-z0-9][a-z0-9_-]{0,62}$` or a `solar_share` outside 0–1; 401
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
    if body.solar_share.is_some_and(|s| !(0.0..=1.0).contains(&s)) {
        return Err(ApiError::invalid_field(
            "solar_share",
            "a number from 0 (all grid) to 1 (all on-site solar)",
        ));
    }
    let token = SiteToken::generate(random_bytes::<SITE_TOKEN_RANDOM_BYTES>()?);
    let rows = ctx.db()?.query(
        "insert into farm_sites (name, token_sha256, solar_share) values ($1, $2, $3)
         on conflict (name) do update set token_sha256 = excluded.token_sha256, rotated_at = now(),
             solar_share = coalesce(excluded.solar_share, farm_sites.solar_share)
         returning id, (xmax <> 0), solar_share",
        &[
            body.name.clone().into(),
            token.sha256().into(),
            body.solar_share
                .map_or(ParameterValue::DbNull, ParameterValue::Floating64),
        ],
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
        solar_share: col(row, 2)?,
    };
    Ok(if site.rotated {
        response::ok(&site)
    } else {
        response::created(&site)
    })
}

/// 400 for a share outside 0–1.
fn check_share(share: Option<f64>) -> Result<(), ApiError> {
    if share.is_some_and(|s| !(0.0..=1.0).contains(&s)) {
        return Err(ApiError::invalid_field(
            "solar_share",
            "a number from 0 (all grid) to 1 (all on-site solar), or null for the app-wide default",
        ));
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteSettings {
    /// Required; null: back to the app-wide default.
    #[serde(deserialize_with = "Option::deserialize")]
    solar_share: Option<f64>,
}

/// `PATCH /internal/farm/sites/{name}` (internal token): sets the site's
/// share of on-site solar (null: the app-wide default), for the energy of
/// prints that finish from now on; the token stays. 200 `{"id", "name",
/// "solar_share"}`; 404 `site_not_found`; 400 for a share outside 0–1 or a
/// body without `solar_share`; 401 `invalid_internal_token`.
pub(crate) fn update(ctx: &mut Ctx) -> Result<Response, ApiError> {
    internal::require_internal(ctx)?;
    let name = ctx.param("name")?;
    let body: SiteSettings = ctx.json_body()?;
    check_share(body.solar_share)?;
    let rows = ctx.db()?.query(
        "update farm_sites set solar_share = $2 where name = $1 returning id, solar_share",
        &[
            name.clone().into(),
            body.solar_share
                .map_or(ParameterValue::DbNull, ParameterValue::Floating64),
        ],
    )?;
    let row = rows.rows.first().ok_or_else(|| {
        ApiError::new(
            404,
            "site_not_found",
            "No farm site has this name (POST /internal/farm/sites creates one).",
        )
    })?;
    let id: String = col(row, 0)?;
    let share: Option<f64> = col(row, 1)?;
    Ok(response::ok(
        &serde_json::json!({ "id": id, "name": name, "solar_share": share }),
    ))
}
