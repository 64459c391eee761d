//! AWS S3's rule for signed headers, which s3s 0.14.1 does not apply.
//!
//! A SigV4 signature covers only the headers listed in `SignedHeaders`
//! (the `X-Amz-SignedHeaders` query parameter of a presigned URL, or the
//! `SignedHeaders=` part of an `Authorization` header). S3 gives `x-amz-*`
//! headers meaning (`x-amz-copy-source` turns a PUT into a server-side copy,
//! `x-amz-acl` sets permissions), so AWS refuses a request that carries any
//! `x-amz-*` header the signature does not cover: `403 AccessDenied`, "There
//! were headers present in the request which were not signed" (AWS S3 API
//! reference, "Authenticating Requests (AWS Signature Version 4)": every
//! `x-amz-*` header sent must be signed; for presigned URLs, "Signed headers").

use http::HeaderMap;

/// The lowercase header names a request's signature covers, or `None` for a
/// request that carries no SigV4 signature (s3s answers those itself).
pub fn signed_headers(query: Option<&str>, headers: &HeaderMap) -> Option<Vec<String>> {
    let from_query = query.and_then(|q| {
        q.split('&').find_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            name.eq_ignore_ascii_case("X-Amz-SignedHeaders")
                .then(|| percent_decode(value))
        })
    });
    let from_header = || {
        let auth = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
        let rest = auth.strip_prefix("AWS4-HMAC-SHA256")?;
        rest.split(',').find_map(|part| {
            part.trim()
                .strip_prefix("SignedHeaders=")
                .map(str::to_owned)
        })
    };
    let list = from_query.or_else(from_header)?;
    Some(
        list.split(';')
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect(),
    )
}

/// The `x-amz-*` headers of a signed request that its signature does not
/// cover, sorted; empty when the request may proceed.
pub fn unsigned_amz_headers(query: Option<&str>, headers: &HeaderMap) -> Vec<String> {
    let Some(signed) = signed_headers(query, headers) else {
        return Vec::new();
    };
    let mut unsigned: Vec<String> = headers
        .keys()
        .map(|name| name.as_str().to_ascii_lowercase())
        .filter(|name| name.starts_with("x-amz-") && !signed.contains(name))
        .collect();
    unsigned.sort();
    unsigned.dedup();
    unsigned
}

/// Whether the request is a conditional write (`If-None-Match` or
/// `If-Match` on a PUT), which the store must check and apply atomically.
pub fn is_conditional_write(method: &http::Method, headers: &HeaderMap) -> bool {
    *method == http::Method::PUT
        && (headers.contains_key(http::header::IF_NONE_MATCH)
            || headers.contains_key(http::header::IF_MATCH))
}

/// Decodes `%XX` escapes (the query value `host%3Bx-amz-date`).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (n, v) in pairs {
            map.append(
                http::header::HeaderName::from_bytes(n.as_bytes()).expect("name"),
                v.parse().expect("value"),
            );
        }
        map
    }

    const PRESIGNED: &str = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-SignedHeaders=content-type%3Bhost%3Bx-amz-content-sha256&X-Amz-Signature=ab";

    #[test]
    fn a_presigned_request_with_only_signed_headers_passes() {
        let h = headers(&[
            ("content-type", "model/stl"),
            ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
        ]);
        assert!(unsigned_amz_headers(Some(PRESIGNED), &h).is_empty());
    }

    #[test]
    fn unsigned_amz_headers_on_a_presigned_request_are_named() {
        let h = headers(&[
            ("X-Amz-Copy-Source", "/farm-uploads/other"),
            ("x-amz-acl", "public-read"),
            ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
            ("content-type", "model/stl"),
        ]);
        assert_eq!(
            unsigned_amz_headers(Some(PRESIGNED), &h),
            ["x-amz-acl", "x-amz-copy-source"]
        );
    }

    #[test]
    fn header_signed_requests_follow_the_same_rule() {
        let auth = "AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=ab";
        let ok = headers(&[
            ("authorization", auth),
            ("x-amz-date", "20260101T000000Z"),
            ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
        ]);
        assert!(unsigned_amz_headers(None, &ok).is_empty());
        let mut bad = ok.clone();
        bad.insert("x-amz-copy-source", "/b/k".parse().expect("value"));
        assert_eq!(unsigned_amz_headers(None, &bad), ["x-amz-copy-source"]);
    }

    #[test]
    fn unsigned_requests_are_left_to_the_store() {
        let h = headers(&[("x-amz-acl", "public-read")]);
        assert!(unsigned_amz_headers(Some("list-type=2"), &h).is_empty());
    }

    #[test]
    fn only_puts_with_a_precondition_are_conditional_writes() {
        let h = headers(&[("if-none-match", "*")]);
        assert!(is_conditional_write(&http::Method::PUT, &h));
        assert!(!is_conditional_write(&http::Method::GET, &h));
        assert!(!is_conditional_write(&http::Method::PUT, &HeaderMap::new()));
    }
}
