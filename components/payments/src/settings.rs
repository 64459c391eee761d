//! `GET /v1/settings` and `POST /v1/settings/autopay` (seed 001, "Account
//! Settings"): the policy, this month's spend and the payment method status
//! of the caller's account in the key's mode.

use farm_payments::policy::AutopayChange;
use farm_platform::farm_domain::scope::Scope;
use farm_platform::{ApiError, Ctx, response};
use serde::Deserialize;
use spin_sdk::http::Response;

use crate::billing;

pub fn get(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::OrdersRead)?;
    let state = billing::load(ctx.db()?, &caller.account_id, caller.mode)?;
    let url = billing::settings_url(ctx, &caller.account_id, caller.mode)?;
    Ok(response::ok(&state.wire(&url)))
}

/// Absent fields are left as they are; `null` is refused (strict bodies).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AutopayBody {
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    autopay_enabled: Option<bool>,
    #[serde(default, deserialize_with = "farm_platform::body::non_null_integer")]
    max_per_order_cents: Option<i64>,
    #[serde(default, deserialize_with = "farm_platform::body::non_null_integer")]
    monthly_cap_cents: Option<i64>,
}

/// Changes the policy (400 `invalid_request` naming every bad field: a cap
/// out of range, autopay on without both caps) and answers the settings.
/// Not a creating POST: the same body twice leaves the same policy.
pub fn autopay(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::OrdersWrite)?;
    let body: AutopayBody = ctx.json_body()?;
    let change = AutopayChange {
        autopay_enabled: body.autopay_enabled,
        max_per_order_cents: body.max_per_order_cents.map(Some),
        monthly_cap_cents: body.monthly_cap_cents.map(Some),
    };
    let db = ctx.db()?;
    billing::change_policy(db, &caller.account_id, caller.mode, &change)?;
    let state = billing::load(db, &caller.account_id, caller.mode)?;
    let url = billing::settings_url(ctx, &caller.account_id, caller.mode)?;
    Ok(response::ok(&state.wire(&url)))
}
