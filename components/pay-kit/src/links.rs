//! The signed settings link (`farm_payments::settings_link`) as a URL: the
//! quote's `settings_url` and the settings object's. Needs the Spin variables
//! `internal_token` (the key is derived from it) and `public_base_url`.

use farm_payments::settings_link::SettingsLinkKey;
use farm_platform::farm_domain::api_key::KeyMode;
use farm_platform::{ApiError, Ctx};

/// The settings-link key, derived from the app secret (`internal_token`).
pub fn settings_link_key(ctx: &Ctx) -> Result<SettingsLinkKey, ApiError> {
    let secret = ctx.var("internal_token")?;
    if secret.is_empty() {
        return Err(ApiError::internal("internal_token is empty"));
    }
    Ok(SettingsLinkKey::derive(secret.as_bytes()))
}

/// `{public_base_url}/settings/{token}`: opens `account_id`'s settings in
/// `mode` for 24 hours, without the API key.
pub fn settings_url(ctx: &Ctx, account_id: &str, mode: KeyMode) -> Result<String, ApiError> {
    let token = settings_link_key(ctx)?.sign(account_id, mode, ctx.now())?;
    let base = ctx.var("public_base_url")?;
    Ok(format!("{}/settings/{token}", base.trim_end_matches('/')))
}
