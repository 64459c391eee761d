//! The internal credential that guards private components (analyze, mailer)
//! reached by service chaining: Spin keeps a private route off the public
//! listener, and the token makes a misrouted request fail closed as well.

use crate::ctx::Ctx;
use crate::error::ApiError;
use farm_domain::api_key::constant_time_eq;

/// Header that carries the internal token on service-chained calls.
pub const INTERNAL_HEADER: &str = "x-farm-internal-token";

/// Accepts `X-Farm-Internal-Token: <token>` or `Authorization: Bearer <token>`,
/// compared in constant time with the `internal_token` variable; else 401
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
