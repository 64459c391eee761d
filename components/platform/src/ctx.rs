//! The request context and the `handle` wrapper every component's entry
//! point calls.

use crate::auth::Caller;
use crate::error::ApiError;
use serde::de::DeserializeOwned;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::pg4;
use std::fmt;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Largest JSON body `json_body` accepts.
pub const MAX_JSON_BODY_BYTES: usize = 1024 * 1024;

/// An endpoint function, as listed in a [`Ctx::dispatch`] table.
pub type Endpoint = fn(&mut Ctx) -> Result<Response, ApiError>;

/// Runs one request: assigns the request id, calls `endpoint`, renders any
/// error as the one JSON shape, adds `X-Request-Id` and the rate-limit
/// headers, and prints one log line.
///
/// ```ignore
/// farm_platform::export_http!(crate::serve);
///
/// fn serve(req: Request) -> Response {
///     farm_platform::handle(req, |ctx| ctx.dispatch(&[
///         ("/v1/keys", Method::Get, list_keys),
///         ("/v1/keys", Method::Post, create_key),
///     ]))
/// }
/// ```
pub fn handle(
    req: Request,
    endpoint: impl FnOnce(&mut Ctx) -> Result<Response, ApiError>,
) -> Response {
    let started = Instant::now();
    let mut ctx = Ctx::new(req);
    let mut response = match endpoint(&mut ctx) {
        Ok(response) => response,
        Err(err) => {
            if let Some(cause) = err.cause() {
                ctx.log(format_args!("error={} cause={cause:?}", err.code()));
            }
            err.into_response(&ctx.request_id)
        }
    };
    response.set_header("x-request-id", ctx.request_id.clone());
    for (name, value) in std::mem::take(&mut ctx.response_headers) {
        response.set_header(name, value);
    }
    let (account, key) = match &ctx.caller {
        Some(c) => (c.account_id.as_str(), c.key_id.as_str()),
        None => ("-", "-"),
    };
    println!(
        "request_id={} method={} path={} status={} account={account} key={key} ms={} db_statements={}",
        ctx.request_id,
        ctx.req.method(),
        ctx.path(),
        response.status(),
        started.elapsed().as_millis(),
        ctx.db.as_ref().map_or(0, crate::db::Db::statements)
    );
    response
}

/// Everything an endpoint needs about its request, plus lazily opened
/// resources (one Postgres connection per request).
pub struct Ctx {
    pub(crate) req: Request,
    pub(crate) request_id: String,
    pub(crate) db: Option<crate::db::Db>,
    pub(crate) caller: Option<Caller>,
    pub(crate) response_headers: Vec<(String, String)>,
    pub(crate) now: i64,
}

impl fmt::Debug for Ctx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ctx")
            .field("request_id", &self.request_id)
            .field("path", &self.path())
            .finish()
    }
}

impl Ctx {
    fn new(req: Request) -> Self {
        let request_id = req
            .header("x-request-id")
            .and_then(|v| v.as_str())
            .filter(|id| is_well_formed_request_id(id))
            .map(str::to_string)
            .unwrap_or_else(|| {
                crate::random::new_id(farm_domain::ids::IdKind::Request)
                    .unwrap_or_else(|_| "req_unavailable".into())
            });
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Ctx {
            req,
            request_id,
            db: None,
            caller: None,
            response_headers: Vec::new(),
            now,
        }
    }

    /// The incoming request.
    pub fn request(&self) -> &Request {
        &self.req
    }

    /// This request's id (`X-Request-Id`, honoured when well-formed).
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    pub fn method(&self) -> &Method {
        self.req.method()
    }

    /// Unix seconds when the request arrived (one clock reading per request).
    pub fn now(&self) -> i64 {
        self.now
    }

    /// A request header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.req.header(name).and_then(|v| v.as_str())
    }

    /// The request path, without the query.
    pub fn path(&self) -> String {
        let path = self.req.path();
        if !path.is_empty() {
            return path.to_string();
        }
        // Fall back to the full URL Spin passes along.
        self.header("spin-full-url")
            .and_then(|url| url.split_once("://").map(|(_, rest)| rest))
            .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
            .map(|p| p.split(['?', '#']).next().unwrap_or(p).to_string())
            .unwrap_or_else(|| "/".into())
    }

    /// The `spin.toml` route that matched (`/v1/keys/:id`, `/...`).
    pub fn route(&self) -> String {
        self.header("spin-matched-route")
            .or_else(|| self.header("spin-raw-component-route"))
            .map(str::to_string)
            .unwrap_or_else(|| self.path())
    }

    /// A route parameter (`:id`). Spin passes it as `spin-path-match-<name>`;
    /// when that header is absent it is read by matching the path against the
    /// matched route. A missing parameter is a 404: the route did not match.
    pub fn param(&self, name: &str) -> Result<String, ApiError> {
        if let Some(v) = self.header(&format!("spin-path-match-{name}")) {
            return Ok(v.to_string());
        }
        let route = self.route();
        let path = self.path();
        let mut values = path.split('/').filter(|s| !s.is_empty());
        for segment in route.split('/').filter(|s| !s.is_empty()) {
            let value = values.next();
            if segment.strip_prefix(':') == Some(name)
                && let Some(v) = value
            {
                return Ok(v.to_string());
            }
        }
        Err(ApiError::route_not_found(&path))
    }

    /// The query string's `(name, value)` pairs, in order, each
    /// percent-decoding `+` and `%XX`.
    fn query_pairs(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.req
            .query()
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(k), percent_decode(v))
            })
    }

    /// A query-string parameter (first occurrence).
    pub fn query(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .find_map(|(k, v)| (k == name).then_some(v))
    }

    /// Every query-string parameter's name, in order (a name given twice
    /// appears twice).
    pub fn query_names(&self) -> Vec<String> {
        self.query_pairs().map(|(k, _)| k).collect()
    }

    /// True when the body is an HTML form (`application/x-www-form-urlencoded`).
    pub fn is_form(&self) -> bool {
        self.header("content-type").is_some_and(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
    }

    /// A field of an `application/x-www-form-urlencoded` body (first
    /// occurrence, decoded like [`Ctx::query`]).
    pub fn form_field(&self, name: &str) -> Option<String> {
        String::from_utf8_lossy(self.req.body())
            .split('&')
            .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
            .find_map(|(k, v)| (percent_decode(k) == name).then(|| percent_decode(v)))
    }

    /// A Spin variable declared for this component in `spin.toml`.
    pub fn var(&self, name: &str) -> Result<String, ApiError> {
        spin_sdk::variables::get(name)
            .map_err(|e| ApiError::internal(format!("variable {name}: {e}")))
    }

    /// The Postgres connection (variable `db_url`), opened on first use and
    /// reused for the rest of the request. Every statement sent through it is
    /// counted (see [`crate::db::Db`]).
    pub fn db(&mut self) -> Result<&crate::db::Db, ApiError> {
        if self.db.is_none() {
            let url = self.var("db_url")?;
            let conn = pg4::Connection::open(&url)
                .map_err(|e| ApiError::unavailable(format!("postgres open: {e}")))?;
            self.db = Some(crate::db::Db::new(conn));
        }
        self.db
            .as_ref()
            .ok_or_else(|| ApiError::internal("database connection vanished"))
    }

    /// Parses the JSON body under the strict rules of [`crate::body`]. 415
    /// `unsupported_media_type` unless the content type is
    /// `application/json`; 413 when over 1 MiB; 400 `invalid_json` with line
    /// and column for bad syntax; 400 `invalid_request` with
    /// `fields: [{field, reason}]` naming the unknown, missing, null or
    /// mistyped field (and `allowed_fields` for an unknown one).
    pub fn json_body<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        let content_type = self.header("content-type");
        let is_json = content_type.is_some_and(|ct| {
            let essence = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            essence == "application/json"
                || (essence.starts_with("application/") && essence.ends_with("+json"))
        });
        if !is_json {
            return Err(ApiError::unsupported_media_type(content_type));
        }
        let body = self.req.body();
        if body.len() > MAX_JSON_BODY_BYTES {
            return Err(ApiError::payload_too_large(MAX_JSON_BODY_BYTES));
        }
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::new(
                400,
                "invalid_json",
                "The request body is empty; send a JSON object.",
            ));
        }
        crate::body::from_json(body, None)
    }

    /// Adds a header to the eventual response, success or error.
    pub fn set_response_header(&mut self, name: &str, value: impl Into<String>) {
        let name = name.to_ascii_lowercase();
        self.response_headers.retain(|(n, _)| *n != name);
        self.response_headers.push((name, value.into()));
    }

    /// The authenticated caller, once [`Ctx::authenticate`] has succeeded.
    pub fn caller(&self) -> Option<&Caller> {
        self.caller.as_ref()
    }

    /// Prints one log line prefixed with the request id. Never log secrets.
    /// Queues `job` to run after the response has been sent (see
    /// [`crate::after_response`]): for work the caller polls for instead of
    /// waiting on, such as the analysis a confirm starts.
    pub fn after_response(&self, job: impl FnOnce() + 'static) {
        crate::after_response::push(Box::new(job));
    }

    pub fn log(&self, message: impl fmt::Display) {
        self.logger().line(message);
    }

    /// This request's log, for work that outlives the `Ctx` (see
    /// [`Ctx::after_response`]).
    pub fn logger(&self) -> RequestLog {
        RequestLog(self.request_id.clone())
    }

    /// Routes to the endpoint for this request's matched route and method.
    /// Unknown route → 404 `not_found`; known route, other method → 405
    /// `method_not_allowed` with `Allow`.
    pub fn dispatch(&mut self, table: &[(&str, Method, Endpoint)]) -> Result<Response, ApiError> {
        let route = self.route();
        let candidates: Vec<&(&str, Method, Endpoint)> =
            table.iter().filter(|(r, _, _)| *r == route).collect();
        if candidates.is_empty() {
            return Err(ApiError::route_not_found(&self.path()));
        }
        if let Some((_, _, endpoint)) = candidates.iter().find(|(_, m, _)| m == self.method()) {
            return endpoint(self);
        }
        let allowed: Vec<String> = candidates.iter().map(|(_, m, _)| m.to_string()).collect();
        let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
        Err(ApiError::method_not_allowed(
            &self.method().to_string(),
            &allowed,
        ))
    }
}

/// Request ids we echo back: 1–128 characters of `A-Za-z0-9._:-`. Anything
/// else is replaced, so a caller cannot inject text into our logs.
pub fn is_well_formed_request_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex_value(bytes[i + 1]), hex_value(bytes[i + 2]))
            {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_checked() {
        assert!(is_well_formed_request_id("req_abc-123:x.y"));
        assert!(!is_well_formed_request_id(""));
        assert!(!is_well_formed_request_id("a b"));
        assert!(!is_well_formed_request_id("x\ny"));
        assert!(!is_well_formed_request_id(&"a".repeat(129)));
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b+c"), "a b c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}

/// Writes log lines tagged with a request id: `request_id=… message`, the one
/// log line format of every component.
#[derive(Debug, Clone)]
pub struct RequestLog(String);

impl RequestLog {
    pub fn request_id(&self) -> &str {
        &self.0
    }

    pub fn line(&self, message: impl fmt::Display) {
        println!("request_id={} {message}", self.0);
    }
}
