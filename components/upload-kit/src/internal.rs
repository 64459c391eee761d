//! The internal credential that guards the analyze component.

use farm_platform::{ApiError, Ctx};
use farm_signing::constant_time_eq;

/// Header that carries the internal token on service-chained calls.
pub const INTERNAL_HEADER: &str = "x-farm-internal-token";

/// Accepts `X-Farm-Internal-Token: <token>` or `Authorization: Bearer <token>`,
/// compared in constant time with the `internal_token` variable.
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
                && constant_time_eq(token.trim().as_bytes(), expected.as_bytes()) =>
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
