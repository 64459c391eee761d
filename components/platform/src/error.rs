//! `ApiError`: the one JSON error shape, and the one mapping from domain
//! errors to HTTP statuses and stable codes.
//!
//! Body: `{"error": "<stable_code>", "message": "...", "request_id": "...", ...details}`.
//! 4xx messages say what to fix; 5xx messages are generic and the cause goes
//! only to the log, next to the request id.

use farm_domain::rate_limit::{Decision, FixedWindow};
use farm_domain::{Error as DomainError, FieldError, Resource};
use serde::Serialize;
use serde_json::{Map, Value, json};
use spin_sdk::http::Response;
use std::borrow::Cow;
use std::fmt;

/// An error on its way to becoming an HTTP response. Boxed inside, so a
/// `Result<T, ApiError>` stays one pointer wide on the error side.
#[derive(Debug, Clone)]
pub struct ApiError(Box<Inner>);

#[derive(Debug, Clone)]
struct Inner {
    status: u16,
    code: Cow<'static, str>,
    message: String,
    details: Map<String, Value>,
    headers: Vec<(String, String)>,
    /// Logged, never sent.
    cause: Option<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.0.status, self.0.code, self.0.message)
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    /// Any status, stable code and message. Prefer the named constructors.
    pub fn new(
        status: u16,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        ApiError(Box::new(Inner {
            status,
            code: code.into(),
            message: message.into(),
            details: Map::new(),
            headers: Vec::new(),
            cause: None,
        }))
    }

    /// Adds a top-level field beside `error` and `message`.
    pub fn with_detail(mut self, key: &str, value: impl Serialize) -> Self {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.0.details.insert(key.to_string(), value);
        self
    }

    /// Adds a response header (e.g. `allow`, `retry-after`).
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.0
            .headers
            .push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// Records the underlying cause for the log; never sent to the caller.
    pub fn with_cause(mut self, cause: impl fmt::Display) -> Self {
        self.0.cause = Some(cause.to_string());
        self
    }

    pub fn status(&self) -> u16 {
        self.0.status
    }

    /// The answer tells the caller to retry the same request later (it
    /// carries `Retry-After`: a file still processing, a rate limit): a state
    /// that passes, so an `Idempotency-Key` must not keep replaying it.
    pub fn asks_to_retry(&self) -> bool {
        self.0.headers.iter().any(|(name, _)| name == "retry-after")
    }

    pub fn code(&self) -> &str {
        &self.0.code
    }

    pub fn message(&self) -> &str {
        &self.0.message
    }

    pub fn cause(&self) -> Option<&str> {
        self.0.cause.as_deref()
    }

    // ---------------------------------------------------------- 4xx: request

    /// 400 `invalid_json`: the body is not JSON (with line and column).
    pub fn invalid_json(err: &serde_json::Error) -> Self {
        ApiError::new(400, "invalid_json", "The request body is not valid JSON.")
            .with_detail("reason", err.to_string())
            .with_detail("line", err.line())
            .with_detail("column", err.column())
    }

    /// 400 `invalid_request` with one entry per bad field.
    pub fn invalid_fields(fields: &[FieldError]) -> Self {
        let message = fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.reason))
            .collect::<Vec<_>>()
            .join("; ");
        let list: Vec<Value> = fields
            .iter()
            .map(|f| json!({"field": f.field, "reason": f.reason}))
            .collect();
        ApiError::new(400, "invalid_request", message).with_detail("fields", list)
    }

    /// 400 `invalid_request` for one field.
    pub fn invalid_field(field: &str, reason: &str) -> Self {
        ApiError::invalid_fields(&[FieldError::new(field, reason)])
    }

    /// 415 `unsupported_media_type`: bodies must be `application/json`.
    pub fn unsupported_media_type(got: Option<&str>) -> Self {
        ApiError::new(
            415,
            "unsupported_media_type",
            "Send the body with Content-Type: application/json.",
        )
        .with_detail("content_type", got)
    }

    /// 413 `payload_too_large`.
    pub fn payload_too_large(limit_bytes: usize) -> Self {
        ApiError::new(
            413,
            "payload_too_large",
            format!("The body is larger than {limit_bytes} bytes."),
        )
        .with_detail("limit_bytes", limit_bytes)
    }

    /// 404 `not_found`: no such route.
    pub fn route_not_found(path: &str) -> Self {
        ApiError::new(
            404,
            "not_found",
            format!("No endpoint at {path}. See /v1/openapi.json."),
        )
        .with_detail("path", path)
    }

    /// 405 `method_not_allowed` with the `Allow` header.
    pub fn method_not_allowed(method: &str, allowed: &[&str]) -> Self {
        ApiError::new(
            405,
            "method_not_allowed",
            format!(
                "{method} is not allowed here; use {}.",
                allowed.join(" or ")
            ),
        )
        .with_detail("allowed_methods", allowed)
        .with_header("allow", allowed.join(", "))
    }

    // ------------------------------------------------------------ 4xx: auth

    /// 401 `invalid_api_key`: missing, malformed, unknown or revoked key.
    pub fn invalid_api_key(message: &str) -> Self {
        ApiError::new(401, "invalid_api_key", message).with_header("www-authenticate", "Bearer")
    }

    /// 403 `insufficient_scope`.
    pub fn insufficient_scope(required: farm_domain::scope::Scope) -> Self {
        ApiError::new(
            403,
            "insufficient_scope",
            format!("This API key lacks the `{required}` scope."),
        )
        .with_detail("required_scope", required.as_str())
    }

    /// 429 `rate_limit_exceeded` with `Retry-After`.
    pub fn rate_limited(d: &Decision) -> Self {
        ApiError::rate_limited_in(d, &FixedWindow::per_minute(d.limit))
    }

    /// 429 `rate_limit_exceeded` for `window` (the per-minute or the daily
    /// one): `limit`, `limit_scope` (`minute`, `day`), `window_seconds`,
    /// `retry_after_seconds` (until the window resets) and `Retry-After`.
    pub fn rate_limited_in(d: &Decision, window: &FixedWindow) -> Self {
        let scope = window.scope_name();
        ApiError::new(
            429,
            "rate_limit_exceeded",
            format!(
                "More than {} requests this {scope} for this key; retry after {} s.",
                d.limit, d.retry_after_secs
            ),
        )
        .with_detail("limit", d.limit)
        .with_detail("limit_scope", scope)
        .with_detail("window_seconds", window.window_secs)
        .with_detail("retry_after_seconds", d.retry_after_secs)
        .with_header("retry-after", d.retry_after_secs.to_string())
    }

    // ------------------------------------------------------- 4xx: resources

    /// 404 `<resource>_not_found` (`file_not_found`, `key_not_found`, ...).
    pub fn not_found(resource: Resource) -> Self {
        ApiError::from(DomainError::NotFound(resource))
    }

    pub fn file_not_found() -> Self {
        ApiError::not_found(Resource::File)
    }

    pub fn quote_not_found() -> Self {
        ApiError::not_found(Resource::Quote)
    }

    pub fn file_not_ready(status: &str) -> Self {
        ApiError::from(DomainError::FileNotReady {
            status: status.to_string(),
        })
    }

    pub fn unknown_material(id: &str) -> Self {
        ApiError::from(DomainError::UnknownMaterial { id: id.to_string() })
    }

    pub fn quote_expired() -> Self {
        ApiError::from(DomainError::QuoteExpired)
    }

    /// 409 `idempotency_key_reused`: same key, different request.
    pub fn idempotency_key_reused() -> Self {
        ApiError::new(
            409,
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different request; use a new key.",
        )
    }

    /// 409 `idempotency_request_in_progress`: the first request with this key
    /// has not finished yet.
    pub fn idempotency_in_progress() -> Self {
        ApiError::new(
            409,
            "idempotency_request_in_progress",
            "A request with this Idempotency-Key is still being processed; retry shortly.",
        )
        .with_header("retry-after", "1")
    }

    /// 400 `idempotency_key_required`.
    pub fn idempotency_key_required() -> Self {
        ApiError::new(
            400,
            "idempotency_key_required",
            "This endpoint requires an Idempotency-Key header.",
        )
    }

    // ------------------------------------------------------------------ 5xx

    /// 500 `internal_error`; the cause goes to the log only.
    pub fn internal(cause: impl fmt::Display) -> Self {
        ApiError::new(
            500,
            "internal_error",
            "Something went wrong on our side; quote the request_id if you report it.",
        )
        .with_cause(cause)
    }

    /// 503 `upstream_temporarily_unavailable` (database, object store down).
    pub fn unavailable(cause: impl fmt::Display) -> Self {
        ApiError::new(
            503,
            "upstream_temporarily_unavailable",
            "A service we depend on is unavailable; retry shortly.",
        )
        .with_cause(cause)
        .with_header("retry-after", "2")
    }

    /// The JSON body.
    pub fn body(&self, request_id: &str) -> Value {
        let mut body = Map::new();
        body.insert("error".into(), Value::String(self.0.code.to_string()));
        body.insert("message".into(), Value::String(self.0.message.clone()));
        body.insert("request_id".into(), Value::String(request_id.to_string()));
        for (k, v) in &self.0.details {
            body.entry(k.clone()).or_insert_with(|| v.clone());
        }
        body.entry("next_action")
            .or_insert_with(|| Value::String(next_action(self.0.status, &self.0.code).into()));
        Value::Object(body)
    }

    /// Renders the response (status, headers, JSON body).
    pub fn into_response(self, request_id: &str) -> Response {
        let body = self.body(request_id);
        let mut response = crate::response::json(self.0.status, &body);
        for (name, value) in self.0.headers {
            response.set_header(name, value);
        }
        response
    }
}

/// What a caller should do after an error, when the error did not say it
/// more precisely (`with_detail("next_action", …)` wins). Every error carries
/// one, so an agent never reaches a dead end (issue 9, item 10).
pub fn next_action(status: u16, code: &str) -> &'static str {
    match (status, code) {
        (_, "invalid_api_key") => "check_api_key",
        (_, "insufficient_scope") => "use_key_with_required_scope",
        (_, "rate_limit_exceeded" | "idempotency_request_in_progress") => "retry_after",
        (_, "idempotency_key_reused") => "use_new_idempotency_key",
        (_, "quote_expired") => "create_quote",
        (_, "part_not_printable" | "unreadable_mesh") => "fix_file_and_upload_again",
        (_, "part_needs_review") => "create_quote",
        (_, "file_not_ready") => "get_file",
        (_, "key_limit_reached") => "revoke_unused_key",
        (_, "autonomous_not_allowed" | "mode_not_allowed") => "ask_user",
        (_, "payload_too_large") => "use_presigned_upload",
        (_, "upload_not_found") => "upload_file_then_confirm",
        (_, "upload_mismatch") => "presign_new_upload",
        (_, "starting_after_not_found") => "list_from_first_page",
        (404, "not_found") | (405, _) => "read_openapi",
        (404, _) => "check_id",
        (500..=599, _) => "retry_later",
        _ => "fix_request",
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        let message = e.to_string();
        match e {
            DomainError::InvalidFields(fields) => ApiError::invalid_fields(&fields),
            DomainError::InvalidApiKey => ApiError::invalid_api_key(
                "The API key is not valid (revoked, mistyped or unknown). Send `Authorization: Bearer <key>`; get a key with POST /v1/connect.",
            ),
            DomainError::InsufficientScope { required } => ApiError::insufficient_scope(required),
            DomainError::ModeNotAllowed { key_mode, action } => {
                ApiError::new(403, "mode_not_allowed", message)
                    .with_detail("key_mode", key_mode)
                    .with_detail("action", action)
            }
            DomainError::NotFound(resource) => {
                let noun = resource.noun();
                ApiError::new(
                    404,
                    format!("{noun}_not_found"),
                    format!(
                        "No {noun} with this id exists in your account (another account's {noun} is never visible). Check the id, and that the key belongs to the account that created it."
                    ),
                )
            }
            DomainError::KeyLimitReached { limit } => ApiError::new(
                409,
                "key_limit_reached",
                format!("The account already has {limit} active API keys; revoke one first."),
            )
            .with_detail("limit", limit),
            DomainError::UnknownMaterial { id } => ApiError::new(400, "unknown_material", message)
                .with_detail("material_id", id)
                .with_detail(
                    "available",
                    farm_domain::catalog::MATERIALS
                        .iter()
                        .map(|m| m.id())
                        .collect::<Vec<_>>(),
                ),
            DomainError::FileNotReady { status } => {
                // 409: the request is well formed; the file's state is not
                // ready for it yet (seed 001 sketched 400; a state conflict
                // is 409, which also lets a client retry it after polling).
                ApiError::new(409, "file_not_ready", message).with_detail("status", status)
            }
            DomainError::QuoteExpired => ApiError::new(
                410,
                "quote_expired",
                "The quote has expired; request a new one.",
            ),
            DomainError::MissingShippingFields { fields } => {
                ApiError::new(400, "missing_shipping_fields", message).with_detail("fields", fields)
            }
            DomainError::AutonomousNotAllowed { reason } => {
                ApiError::new(403, "autonomous_not_allowed", message).with_detail("reason", reason)
            }
            DomainError::InvalidToken => ApiError::new(401, "invalid_token", message),
            DomainError::TokenExpired => ApiError::new(401, "token_expired", message),
            DomainError::UploadMismatch {
                expected_format,
                expected_bytes,
                found_format,
                found_bytes,
            } => ApiError::new(
                409,
                "upload_mismatch",
                format!(
                    "The stored file is not the one declared: {message}. Presign again and PUT the declared file."
                ),
            )
            .with_detail(
                "expected",
                serde_json::json!({ "format": expected_format, "size_bytes": expected_bytes }),
            )
            .with_detail(
                "found",
                serde_json::json!({ "format": found_format, "size_bytes": found_bytes }),
            ),
            DomainError::VerificationRefused(refusal) => {
                // No code was ever sent to the email: nothing to verify (404,
                // as a resource that does not exist); a code that is wrong,
                // used, expired or locked is a bad request.
                let status = match refusal {
                    farm_domain::verification::Refusal::NotRequested => 404,
                    _ => 400,
                };
                let e = ApiError::new(status, refusal.code(), refusal.explain())
                    .with_detail("next_action", refusal.next_action());
                match refusal {
                    farm_domain::verification::Refusal::Wrong { attempts_remaining } => {
                        e.with_detail("attempts_remaining", attempts_remaining)
                    }
                    _ => e,
                }
            }
            DomainError::Conflict { code, reason } => ApiError::new(409, code, reason),
        }
    }
}

impl From<spin_sdk::pg4::Error> for ApiError {
    fn from(e: spin_sdk::pg4::Error) -> Self {
        ApiError::internal(format!("postgres: {e}"))
    }
}

impl From<spin_sdk::pg4::PgError> for ApiError {
    fn from(e: spin_sdk::pg4::PgError) -> Self {
        match &e {
            spin_sdk::pg4::PgError::ConnectionFailed(_) => {
                ApiError::unavailable(format!("postgres: {e}"))
            }
            _ => ApiError::internal(format!("postgres: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_code_message_request_id_and_details() {
        let e = ApiError::new(400, "unknown_material", "unknown material `x`")
            .with_detail("material_id", "x");
        let body = e.body("req_1");
        assert_eq!(body["error"], "unknown_material");
        assert_eq!(body["request_id"], "req_1");
        assert_eq!(body["material_id"], "x");
    }

    #[test]
    fn every_error_says_what_to_do_next() {
        let body = ApiError::new(400, "invalid_request", "m").body("r");
        assert_eq!(body["next_action"], "fix_request");
        assert_eq!(
            ApiError::quote_expired().body("r")["next_action"],
            "create_quote"
        );
        assert_eq!(
            ApiError::internal("x").body("r")["next_action"],
            "retry_later"
        );
        assert_eq!(
            ApiError::file_not_found().body("r")["next_action"],
            "check_id"
        );
        // A precise next action given by the endpoint wins.
        let body = ApiError::file_not_ready("failed")
            .with_detail("next_action", "fix_file_and_upload_again")
            .body("r");
        assert_eq!(body["next_action"], "fix_file_and_upload_again");
    }

    #[test]
    fn details_cannot_overwrite_the_fixed_fields() {
        let body = ApiError::new(400, "a", "m")
            .with_detail("error", "b")
            .body("r");
        assert_eq!(body["error"], "a");
    }

    #[test]
    fn internal_errors_hide_the_cause() {
        let e = ApiError::internal("password authentication failed for user farm");
        let text = e.body("r").to_string();
        assert!(!text.contains("password"));
        assert_eq!(
            e.cause(),
            Some("password authentication failed for user farm")
        );
    }

    #[test]
    fn domain_errors_map_to_stable_codes() {
        let cases = [
            (DomainError::InvalidApiKey, 401, "invalid_api_key"),
            (DomainError::NotFound(Resource::File), 404, "file_not_found"),
            (
                DomainError::NotFound(Resource::ApiKey),
                404,
                "key_not_found",
            ),
            (
                DomainError::KeyLimitReached { limit: 10 },
                409,
                "key_limit_reached",
            ),
            (
                DomainError::UnknownMaterial { id: "x".into() },
                400,
                "unknown_material",
            ),
            (
                DomainError::FileNotReady {
                    status: "processing".into(),
                },
                409,
                "file_not_ready",
            ),
            (DomainError::QuoteExpired, 410, "quote_expired"),
            (
                DomainError::UploadMismatch {
                    expected_format: "stl".into(),
                    expected_bytes: 684,
                    found_format: "obj".into(),
                    found_bytes: 90,
                },
                409,
                "upload_mismatch",
            ),
            (DomainError::invalid("email", "bad"), 400, "invalid_request"),
        ];
        for (err, status, code) in cases {
            let e = ApiError::from(err);
            assert_eq!((e.status(), e.code()), (status, code));
        }
    }
}
