//! `farm-platform`: the adapter every Wasm component shares.
//!
//! It owns request ids, authentication, rate limits, the error → HTTP
//! mapping and access to Postgres and Spin variables, so that components stay
//! thin: parse the request into domain types, call `shared/`, render a wire
//! type.
//!
//! # A component in full
//!
//! ```ignore
//! use farm_platform::{ApiError, Ctx, handle, response};
//! use farm_platform::farm_domain::{ids::IdKind, scope::Scope};
//! use spin_sdk::http::{Method, Request, Response};
//!
//! farm_platform::export_http!(crate::serve);
//!
//! fn serve(req: Request) -> Response {
//!     handle(req, |ctx| ctx.dispatch(&[
//!         ("/v1/files/:id", Method::Get, get_file),
//!     ]))
//! }
//!
//! fn get_file(ctx: &mut Ctx) -> Result<Response, ApiError> {
//!     let caller = ctx.authenticate(Scope::FilesRead)?;     // 401 / 429 / 403
//!     let id = ctx.param("id")?;
//!     if !IdKind::File.is_valid(&id) { return Err(ApiError::file_not_found()); }
//!     let rows = ctx.db()?.query(
//!         "select status from files where id = $1 and account_id = $2",  // always scope by account
//!         &[id.clone().into(), caller.account_id.clone().into()],
//!     )?;
//!     let row = rows.rows.first().ok_or_else(ApiError::file_not_found)?;
//!     let status: String = farm_platform::col(row, 0)?;
//!     Ok(response::ok(&serde_json::json!({"id": id, "status": status})))
//! }
//! ```
//!
//! # Surface
//!
//! - [`handle`]`(req, |ctx| ...) -> Response`: assigns the request id (an
//!   incoming `X-Request-Id` is kept when it is 1–128 chars of
//!   `A-Za-z0-9._:-`, else `req_<32 hex>`), runs the closure, renders an
//!   `Err(ApiError)` as the one JSON error shape, adds `X-Request-Id` and any
//!   rate-limit headers, prints one log line
//!   (`request_id=… method=… path=… status=… account=… key=… ms=… db_statements=…`).
//!   5xx causes are logged with the request id, never sent.
//! - [`Ctx`]:
//!   - `ctx.authenticate(Scope) -> Result<Caller>`: Bearer key → [`Caller`]
//!     `{ account_id, key_id, mode, scopes }`; counts the request against the
//!     per-minute limit (Spin variable `rate_limit_per_minute`, default 60) and
//!     sets `X-RateLimit-Limit/-Remaining/-Reset` on the response whatever its
//!     status; 401 `invalid_api_key`, 429 `rate_limit_exceeded` (+ `Retry-After`),
//!     403 `insufficient_scope`. `caller.require(Scope)` checks another scope.
//!     `ctx.authenticate_with(Scope, Some(ReadWithAuth { sql, params }))`
//!     also reads the caller's own data in the same statement (a lateral
//!     `SELECT` naming `a.account_id`, `a.mode`, `$7`…) and returns its row's
//!     columns: one round trip instead of two (a quote reads its file so).
//!   - `ctx.db() -> Result<&Db>`: opened from variable `db_url` once per
//!     request; [`Db`] counts its statements (`db_statements=N` in the log
//!     line; authentication is one statement). `?` on pg4 errors gives 500 (503 when the connection
//!     fails). [`col`]`::<T>(row, i)` decodes a column.
//!   - `ctx.var(name)`, `ctx.param("id")` (route parameter),
//!     `ctx.query(name)`, `ctx.header(name)`, `ctx.path()`, `ctx.route()`,
//!     `ctx.method()`, `ctx.now()` (Unix seconds), `ctx.request_id()`,
//!     `ctx.log(msg)` (one line prefixed with the request id).
//!   - `ctx.json_body::<T>()`: 415 `unsupported_media_type`, 400
//!     `invalid_json` (reason, line, column), 400 `invalid_request`
//!     (`fields: [{field, reason}]` naming an unknown, missing, null or
//!     mistyped field; `allowed_fields` for an unknown one), 413
//!     `payload_too_large`. Wire types declare `#[serde(deny_unknown_fields)]`
//!     and put [`body::non_null`] on optional fields (see [`body`]).
//!   - `ctx.dispatch(&[(route, Method, fn)])`: 404 `not_found` / 405
//!     `method_not_allowed` (+ `Allow`).
//!   - `ctx.idempotent(&caller, required, &fingerprint, |ctx| ...)`:
//!     `Idempotency-Key` bound to what the request means ([`Fingerprint`]:
//!     `Fingerprint::json_body(ctx)` for JSON, the file's SHA-256 and parsed
//!     options for an upload), never its raw bytes (same key + same meaning →
//!     first response, `Idempotent-Replayed: true`; other request → 409
//!     `idempotency_key_reused`; concurrent → 409
//!     `idempotency_request_in_progress`; a 5xx releases the key; malformed →
//!     400; absent and required → 400 `idempotency_key_required`).
//!     `ctx.idempotent_redacted(namespace, required, &fingerprint, redact, ..)`
//!     when the answer holds a secret: `redact` maps the body to the copy
//!     that is stored and replayed; `namespace` replaces the caller's account.
//!   - `ctx.limit(scope, bucket, FixedWindow)`: a rate limit on a named
//!     bucket (no API key needed; `connect` limits per client address and per
//!     email): 429 `rate_limit_exceeded` + `Retry-After` + `limit_scope`.
//!     `ctx.client_bucket()`: the caller's address as a bucket (IPv4 or IPv6
//!     /64) from `spin-client-addr`, or from the header named by the
//!     variable `client_ip_header` behind a proxy.
//!   - `ctx.set_response_header(name, value)`.
//!   - `ctx.after_response(job)`: work run once the response has gone out;
//!     `ctx.logger()` gives it the request's log (`request_id=… message`).
//! - [`ApiError`]: `new(status, code, message)`, `.with_detail(k, v)`,
//!   `.with_header(k, v)`, `.with_cause(e)`; named constructors for the
//!   stable codes; `From<farm_domain::Error>` is the one domain → HTTP mapping.
//! - [`response`]: `ok(&T)`, `created(&T)`, `json(status, &T)`, `no_content()`.
//! - [`internal::require_internal`]`(ctx)`: the internal token that private
//!   components (analyze, mailer) require on service-chained calls.
//! - [`new_id`]`(IdKind)`, [`random_bytes`]`::<N>()`: ids and secrets from the
//!   host's CSPRNG.
//! - [`wire::Money`] `{amount, currency, display}` and [`wire::timestamp`].
//! - [`transaction`]`(db, |db| ...)`: `BEGIN` ... `COMMIT`, rolled back on `Err`.
//! - [`work`]: the durable work queue (`background_jobs`): `enqueue` inside
//!   the caller's transaction, `Worker::run_now` after the response,
//!   `Worker::drain` from the tick route; the kind → handler table.
//! - [`internal::require_internal`]: the internal-token check of internal
//!   routes (401 `invalid_internal_token`).
//!
//! # Scopes per endpoint group
//!
//! `files:read` / `files:write`, `quotes:read` / `quotes:write`,
//! `orders:read` / `orders:write` (jobs too), `keys:manage`, `usage:read`, `webhooks:manage`, `events:read`.
//! Another account's resource is always `<thing>_not_found` (404), never 403.
//!
//! # Tables it relies on (migrations/0001_accounts.sql)
//!
//! `api_keys`, `rate_limit_windows`, `usage_daily`, `idempotency_keys`;
//! `background_jobs` (migrations/0005_work_queue.sql) for [`work`].

pub mod after_response;
mod auth;
pub mod body;
mod ctx;
mod db;
pub mod error;
pub mod events;
pub mod html;
mod idempotency;
pub mod internal;
mod limits;
pub mod list;
mod random;
pub mod response;
pub mod wire;
pub mod work;

pub use auth::{Caller, ReadWithAuth, col};
pub use ctx::{Ctx, Endpoint, MAX_JSON_BODY_BYTES, RequestLog, handle, is_well_formed_request_id};
pub use db::{Db, transaction};
pub use error::ApiError;
pub use idempotency::{Fingerprint, IDEMPOTENCY_ABANDONED_AFTER_SECS, IDEMPOTENCY_TTL_HOURS};
pub use random::{new_id, random_bytes};

/// Re-exported so components use the same versions.
pub use farm_domain;
pub use farm_work;
pub use spin_sdk;

/// Exports a component's entry point: `farm_platform::export_http!(crate::serve);`
/// with `fn serve(req: Request) -> Response` (usually `handle(req, ...)`). The
/// response is sent first, then any work the endpoint queued with
/// [`Ctx::after_response`] runs.
///
/// Spin's `#[http_component]` expands to the `wasi:http` export glue, which
/// needs `unsafe` (exported symbols); the workspace denies `unsafe_code`, so
/// the glue is confined to this one generated module that contains nothing
/// else. The component must depend on `spin-sdk` directly (the glue names it).
#[macro_export]
macro_rules! export_http {
    ($serve:path) => {
        #[allow(unsafe_code)]
        mod __farm_http_export {
            #[::spin_sdk::http_component]
            async fn entry(
                req: ::spin_sdk::http::Request,
                out: ::spin_sdk::http::ResponseOutparam,
            ) {
                $crate::after_response::respond_then_run_queued(out, $serve(req)).await
            }
        }
    };
}
