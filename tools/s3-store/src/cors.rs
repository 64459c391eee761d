//! CORS for browser uploads and downloads: the upload page PUTs the file
//! by its presigned URL and the 3D views GET meshes and photos, from the
//! app's origin, which is not the store's. On AWS this is the bucket's CORS
//! configuration; here it is `--cors-origin` (repeatable): an exact origin,
//! or `scheme://host:*` for any port of a host (tests serve the app on a
//! free port). Allowed: GET, HEAD and PUT, any request header (the
//! presigned PUT's signed headers differ by request), `ETag` exposed, as a
//! bucket rule `AllowedHeaders: ["*"]`, `ExposeHeaders: ["ETag"]` would.

use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};

/// The methods a page may use.
pub const METHODS: &str = "GET, HEAD, PUT";
/// Seconds a browser may cache a preflight answer (AWS's `MaxAgeSeconds`).
pub const MAX_AGE_SECS: &str = "600";

/// True when `origin` matches one of `patterns`.
pub fn allowed(patterns: &[String], origin: &str) -> bool {
    patterns.iter().any(|p| match p.strip_suffix(":*") {
        Some(host) => origin
            .strip_prefix(host)
            .and_then(|rest| rest.strip_prefix(':'))
            .is_some_and(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())),
        None => p == origin,
    })
}

/// The answer to a preflight (`OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`): 204 with the CORS headers when the
/// origin and method are allowed, else 403 as S3 answers.
pub fn preflight<B: Default>(patterns: &[String], headers: &HeaderMap) -> Response<B> {
    let origin = headers
        .get("origin")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let method = headers
        .get("access-control-request-method")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut response = Response::new(B::default());
    if !allowed(patterns, origin) || !METHODS.split(", ").any(|m| m == method) {
        *response.status_mut() = StatusCode::FORBIDDEN;
        return response;
    }
    *response.status_mut() = StatusCode::NO_CONTENT;
    let h = response.headers_mut();
    add_origin(h, origin);
    h.insert(
        "access-control-allow-methods",
        HeaderValue::from_static(METHODS),
    );
    if let Some(requested) = headers.get("access-control-request-headers") {
        h.insert("access-control-allow-headers", requested.clone());
    }
    h.insert(
        "access-control-max-age",
        HeaderValue::from_static(MAX_AGE_SECS),
    );
    response
}

/// True for a CORS preflight request.
pub fn is_preflight(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::OPTIONS
        && headers.contains_key("origin")
        && headers.contains_key("access-control-request-method")
}

/// Adds the CORS headers to an actual response for an allowed `Origin`.
pub fn decorate(patterns: &[String], request_origin: Option<&str>, h: &mut HeaderMap) {
    if let Some(origin) = request_origin.filter(|o| allowed(patterns, o)) {
        add_origin(h, origin);
        h.insert(
            "access-control-expose-headers",
            HeaderValue::from_static("ETag"),
        );
    }
}

fn add_origin(h: &mut HeaderMap, origin: &str) {
    if let Ok(v) = HeaderValue::from_str(origin) {
        h.insert("access-control-allow-origin", v);
    }
    h.append("vary", HeaderValue::from_static("Origin"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterns() -> Vec<String> {
        vec!["http://127.0.0.1:*".into(), "https://farm.example".into()]
    }

    #[test]
    fn origins_match_exactly_or_by_any_port() {
        let p = patterns();
        assert!(allowed(&p, "http://127.0.0.1:3000"));
        assert!(allowed(&p, "https://farm.example"));
        assert!(!allowed(&p, "http://127.0.0.1"));
        assert!(!allowed(&p, "http://127.0.0.1:3000.evil.example"));
        assert!(!allowed(&p, "http://127.0.0.10:3000"));
        assert!(!allowed(&p, "https://farm.example.evil"));
        assert!(!allowed(&[], "http://127.0.0.1:3000"));
    }

    #[test]
    fn preflight_allows_listed_methods_for_listed_origins_only() {
        let mut h = HeaderMap::new();
        h.insert("origin", HeaderValue::from_static("http://127.0.0.1:4567"));
        h.insert(
            "access-control-request-method",
            HeaderValue::from_static("PUT"),
        );
        h.insert(
            "access-control-request-headers",
            HeaderValue::from_static("content-type,if-none-match"),
        );
        let ok: Response<()> = preflight(&patterns(), &h);
        assert_eq!(ok.status(), StatusCode::NO_CONTENT);
        assert_eq!(
            ok.headers()["access-control-allow-origin"],
            "http://127.0.0.1:4567"
        );
        assert_eq!(
            ok.headers()["access-control-allow-headers"],
            "content-type,if-none-match"
        );
        h.insert(
            "access-control-request-method",
            HeaderValue::from_static("DELETE"),
        );
        let refused: Response<()> = preflight(&patterns(), &h);
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert!(
            !refused
                .headers()
                .contains_key("access-control-allow-origin")
        );
    }
}
