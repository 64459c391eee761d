//! The handler side of the work contract ([`super`]): what every handler of
//! a private work route does before its own work, in one place.

use crate::internal::require_internal;
use crate::{ApiError, Ctx};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use spin_sdk::http::Method;

/// The work envelope as a handler reads it, with its own payload type `P`.
/// Fields a handler does not need are simply not read.
#[derive(Debug, Deserialize)]
pub struct Job<P> {
    pub kind: String,
    pub payload: P,
    /// This attempt's number (1-based).
    #[serde(default)]
    pub attempt: u32,
    #[serde(default)]
    pub max_attempts: u32,
    /// No attempts left: record the permanent failure and answer 2xx.
    #[serde(default)]
    pub give_up: bool,
    #[serde(default)]
    pub last_error: Option<String>,
}

/// Checks and reads the request of a handler of `kind`: the internal token
/// (401 `invalid_internal_token`), POST (405), the JSON envelope (400 naming
/// the field) and its `kind` (400 when it is another kind's job).
pub fn job<P: DeserializeOwned>(ctx: &mut Ctx, kind: &str) -> Result<Job<P>, ApiError> {
    require_internal(ctx)?;
    if *ctx.method() != Method::Post {
        return Err(ApiError::method_not_allowed(
            &ctx.method().to_string(),
            &["POST"],
        ));
    }
    let job: Job<P> = ctx.json_body()?;
    if job.kind != kind {
        return Err(ApiError::invalid_field(
            "kind",
            &format!("this handler runs `{kind}` jobs"),
        ));
    }
    Ok(job)
}
