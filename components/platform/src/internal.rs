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
            "This endpoint is internal.",
        )),
    }
}
