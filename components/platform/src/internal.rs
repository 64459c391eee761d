//! The internal credential: the shared `internal_token` variable that guards
//! internal routes (the tick route, work handlers reached by service
//! chaining). Partners never hold it; the printer-gateway and the production
//! cron do.

use crate::{ApiError, Ctx};

/// Header that carries the internal token on internal calls.
pub const INTERNAL_HEADER: &str = "x-farm-internal-token";

/// Accepts `X-Farm-Internal-Token: <token>` or `Authorization: Bearer <token>`,
/// compared in constant time with the `internal_token` variable. Anything else
/// (no token, a wrong one, an empty configured token) is 401
/// `invalid_internal_token`.
pub fn require_internal(ctx: &Ctx) -> Result<(), ApiError> {
    let expected = ctx.var("internal_token")?;
    let given = ctx.header(INTERNAL_HEADER).map(str::to_owned).or_else(|| {
        ctx.header("authorization")
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned)
    });
    match given {
        Some(token)
            if !expected.is_empty()
                && farm_domain::api_key::constant_time_eq(
                    token.trim().as_bytes(),
                    expected.as_bytes(),
                ) =>
        {
            Ok(())
        }
        _ => Err(ApiError::new(
            401,
            "invalid_internal_token",
            "This endpoint is internal: send the internal token (`internal_token`; `scripts/run.sh` keeps it in .state/internal_token) as `X-Farm-Internal-Token` or `Authorization: Bearer <token>`.",
        )),
    }
}

/// The farm operator's credential: `Authorization: Bearer <token>` compared
/// in constant time with the `farm_operator_token` variable (empty: nobody
/// is the operator). Used by the operator's routes in `farm` (plate clear,
/// marking a part failed, utilisation) and `pages` (the `/farm` overview).
pub fn operator_token_matches(ctx: &Ctx) -> Result<bool, ApiError> {
    let expected = ctx.var("farm_operator_token")?;
    let given = ctx
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("");
    Ok(!expected.is_empty()
        && !given.is_empty()
        && farm_domain::api_key::constant_time_eq(given.as_bytes(), expected.as_bytes()))
}

/// 401 `invalid_operator_token` unless [`operator_token_matches`].
pub fn require_operator(ctx: &Ctx) -> Result<(), ApiError> {
    if operator_token_matches(ctx)? {
        Ok(())
    } else {
        Err(ApiError::new(
            401,
            "invalid_operator_token",
            "Send the operator token (farm_operator_token) as `Authorization: Bearer <token>`.",
        ))
    }
}
