//! AWS Signature Version 4 for the S3 protocol.
//!
//! Two ways to sign, both over path-style URLs (`http://host/bucket/key`):
//! - [`Bucket::presign`]: query-string authentication. The URL itself carries
//!   the signature and an expiry; a partner PUTs the file with exactly the
//!   returned `required_headers`.
//! - [`Bucket::sign`]: header authentication (`Authorization`, `x-amz-date`,
//!   `x-amz-content-sha256`) for requests a component sends itself.
//!
//! The general forms [`presign`] and [`sign`] take any host and path, which is
//! how the AWS documentation's worked examples (virtual-hosted style) are tested.

use std::fmt;

use crate::mac::{hex_lower, hmac_sha256, sha256_hex};
use crate::{Error, Result, timefmt};

/// Payload hash for requests whose body is not signed (presigned uploads).
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// SHA-256 of the empty body, the payload hash of HEAD and GET.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// SigV4's longest allowed presigned URL lifetime: 7 days.
pub const MAX_EXPIRES_SECS: u64 = 604_800;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const SERVICE: &str = "s3";

/// Access key, secret key and region. `Debug` never shows the secret.
#[derive(Clone)]
pub struct Credentials {
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("region", &self.region)
            .finish()
    }
}

/// Where the object store listens: scheme plus `host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    scheme: &'static str,
    authority: String,
}

impl Endpoint {
    /// Parses `http://host[:port]` or `https://host[:port]` (a trailing `/` is
    /// allowed; any other path is not, since the bucket goes there).
    pub fn parse(url: &str) -> Result<Self> {
        let invalid = || Error::InvalidEndpoint(url.to_owned());
        let (scheme, rest) = if let Some(rest) = url.strip_prefix("http://") {
            ("http", rest)
        } else if let Some(rest) = url.strip_prefix("https://") {
            ("https", rest)
        } else {
            return Err(invalid());
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        let valid_char =
            |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
        if authority.is_empty() || !authority.chars().all(valid_char) {
            return Err(invalid());
        }
        Ok(Self {
            scheme,
            authority: authority.to_ascii_lowercase(),
        })
    }

    /// The `Host` header value: `host[:port]`.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    fn url(&self, encoded_path: &str, query: &str) -> String {
        let mut url = format!("{}://{}{}", self.scheme, self.authority, encoded_path);
        if !query.is_empty() {
            url.push('?');
            url.push_str(query);
        }
        url
    }
}

/// A presigned request: the URL and the headers the caller must send with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedRequest {
    pub method: String,
    pub url: String,
    /// Headers covered by the signature (besides `Host`), names as given.
    pub required_headers: Vec<(String, String)>,
    /// Unix time after which the store refuses the URL.
    pub expires_unix: i64,
}

/// A header-signed request, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    pub method: String,
    pub url: String,
    /// Every header to send, `Authorization` included (the `Host` header is the
    /// URL's authority and is not repeated here).
    pub headers: Vec<(String, String)>,
}

/// One bucket addressed path-style: `{endpoint}/{bucket}/{key}`.
#[derive(Debug, Clone)]
pub struct Bucket {
    endpoint: Endpoint,
    name: String,
    credentials: Credentials,
}

impl Bucket {
    pub fn new(endpoint: Endpoint, name: impl Into<String>, credentials: Credentials) -> Self {
        Self {
            endpoint,
            name: name.into(),
            credentials,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The unencoded path of an object: `/bucket/key`.
    fn object_path(&self, key: &str) -> String {
        format!("/{}/{}", self.name, key)
    }

    /// A presigned URL for `method` on object `key`. `headers` are signed too and
    /// come back in `required_headers`; `x-amz-content-sha256: UNSIGNED-PAYLOAD`
    /// is added when missing, because S3-compatible stores such as s3s require it.
    pub fn presign(
        &self,
        method: &str,
        key: &str,
        headers: &[(&str, &str)],
        expires_secs: u64,
        now_unix: i64,
    ) -> Result<PresignedRequest> {
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        if !all
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("x-amz-content-sha256"))
        {
            all.push(("x-amz-content-sha256", UNSIGNED_PAYLOAD));
        }
        presign(
            &self.endpoint,
            &self.credentials,
            method,
            &self.object_path(key),
            &all,
            expires_secs,
            now_unix,
        )
    }

    /// A presigned GET of object `key` that signs only `Host`, so a plain
    /// link works (a browser or `curl` sends no `x-amz-*` header); S3 treats
    /// a presigned GET's payload as unsigned.
    pub fn presign_download(
        &self,
        key: &str,
        expires_secs: u64,
        now_unix: i64,
    ) -> Result<PresignedRequest> {
        presign(
            &self.endpoint,
            &self.credentials,
            "GET",
            &self.object_path(key),
            &[],
            expires_secs,
            now_unix,
        )
    }

    /// Header-signs `method` on object `key` with an empty body (HEAD, GET, DELETE).
    pub fn sign(
        &self,
        method: &str,
        key: &str,
        headers: &[(&str, &str)],
        now_unix: i64,
    ) -> Result<SignedRequest> {
        self.sign_payload(method, key, headers, EMPTY_SHA256, now_unix)
    }

    /// Header-signs `method` on object `key` with a body whose SHA-256 hex is
    /// `payload_sha256` (a PUT), so the store refuses any other body.
    pub fn sign_payload(
        &self,
        method: &str,
        key: &str,
        headers: &[(&str, &str)],
        payload_sha256: &str,
        now_unix: i64,
    ) -> Result<SignedRequest> {
        sign(
            &self.endpoint,
            &self.credentials,
            method,
            &self.object_path(key),
            &[],
            headers,
            payload_sha256,
            now_unix,
        )
    }
}

/// Query-string authentication of `method` on the unencoded `path` at `endpoint`.
pub fn presign(
    endpoint: &Endpoint,
    credentials: &Credentials,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    expires_secs: u64,
    now_unix: i64,
) -> Result<PresignedRequest> {
    if !(1..=MAX_EXPIRES_SECS).contains(&expires_secs) {
        return Err(Error::InvalidExpiry(expires_secs));
    }
    let amz_date = timefmt::amz_date(now_unix)?;
    let scope = Scope::new(&amz_date, &credentials.region);
    let canonical_headers = CanonicalHeaders::new(endpoint.authority(), headers)?;
    let credential = format!("{}/{}", credentials.access_key, scope.as_str());
    let expires = expires_secs.to_string();
    let mut query = vec![
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Credential", credential.as_str()),
        ("X-Amz-Date", amz_date.as_str()),
        ("X-Amz-Expires", expires.as_str()),
        ("X-Amz-SignedHeaders", canonical_headers.signed.as_str()),
    ];
    let encoded_path = uri_encode(path, false);
    let canonical_query = canonical_query(&query);
    let request = canonical_request(
        method,
        &encoded_path,
        &canonical_query,
        &canonical_headers,
        UNSIGNED_PAYLOAD,
    );
    let signature = scope.signature(&credentials.secret_key, &amz_date, &request);
    query.push(("X-Amz-Signature", signature.as_str()));
    Ok(PresignedRequest {
        method: method.to_owned(),
        url: endpoint.url(&encoded_path, &canonical_query_unsorted(&query)),
        required_headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
        expires_unix: now_unix.saturating_add_unsigned(expires_secs),
    })
}

/// Header authentication of `method` on the unencoded `path` with `query`.
/// `payload_sha256` is the body's SHA-256 hex, or [`UNSIGNED_PAYLOAD`].
#[allow(clippy::too_many_arguments)]
pub fn sign(
    endpoint: &Endpoint,
    credentials: &Credentials,
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    headers: &[(&str, &str)],
    payload_sha256: &str,
    now_unix: i64,
) -> Result<SignedRequest> {
    let amz_date = timefmt::amz_date(now_unix)?;
    let scope = Scope::new(&amz_date, &credentials.region);
    let mut all: Vec<(&str, &str)> = headers
        .iter()
        .copied()
        .filter(|(n, _)| {
            !n.eq_ignore_ascii_case("x-amz-date") && !n.eq_ignore_ascii_case("x-amz-content-sha256")
        })
        .collect();
    all.push(("x-amz-content-sha256", payload_sha256));
    all.push(("x-amz-date", &amz_date));
    let canonical_headers = CanonicalHeaders::new(endpoint.authority(), &all)?;
    let encoded_path = uri_encode(path, false);
    let canonical_query = canonical_query(query);
    let request = canonical_request(
        method,
        &encoded_path,
        &canonical_query,
        &canonical_headers,
        payload_sha256,
    );
    let signature = scope.signature(&credentials.secret_key, &amz_date, &request);
    let authorization = format!(
        "{ALGORITHM} Credential={}/{}, SignedHeaders={}, Signature={signature}",
        credentials.access_key,
        scope.as_str(),
        canonical_headers.signed
    );
    let mut out: Vec<(String, String)> = all
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    out.push(("Authorization".to_owned(), authorization));
    Ok(SignedRequest {
        method: method.to_owned(),
        url: endpoint.url(&encoded_path, &canonical_query),
        headers: out,
    })
}

/// The credential scope `YYYYMMDD/region/s3/aws4_request`.
struct Scope {
    date: String,
    region: String,
    text: String,
}

impl Scope {
    fn new(amz_date: &str, region: &str) -> Self {
        let date = amz_date[..8].to_owned();
        let text = format!("{date}/{region}/{SERVICE}/aws4_request");
        Self {
            date,
            region: region.to_owned(),
            text,
        }
    }

    fn as_str(&self) -> &str {
        &self.text
    }

    fn signature(&self, secret_key: &str, amz_date: &str, canonical_request: &str) -> String {
        let string_to_sign = format!(
            "{ALGORITHM}\n{amz_date}\n{}\n{}",
            self.text,
            sha256_hex(canonical_request.as_bytes())
        );
        let k_date = hmac_sha256(format!("AWS4{secret_key}").as_bytes(), self.date.as_bytes());
        let k_region = hmac_sha256(&k_date, self.region.as_bytes());
        let k_service = hmac_sha256(&k_region, SERVICE.as_bytes());
        let k_signing = hmac_sha256(&k_service, b"aws4_request");
        hex_lower(&hmac_sha256(&k_signing, string_to_sign.as_bytes()))
    }
}

/// Lowercased, trimmed, sorted headers with `host` included.
struct CanonicalHeaders {
    /// `name:value\n` for each header.
    block: String,
    /// `name;name;...`
    signed: String,
}

impl CanonicalHeaders {
    fn new(host: &str, headers: &[(&str, &str)]) -> Result<Self> {
        let mut list: Vec<(String, String)> = vec![("host".to_owned(), host.to_owned())];
        for (name, value) in headers {
            let lower = name.trim().to_ascii_lowercase();
            let bad_name =
                lower.is_empty() || !lower.bytes().all(|b| b.is_ascii_graphic() && b != b':');
            if bad_name || lower == "host" || value.bytes().any(|b| b.is_ascii_control()) {
                return Err(Error::InvalidHeader((*name).to_owned()));
            }
            if list.iter().any(|(n, _)| *n == lower) {
                return Err(Error::InvalidHeader((*name).to_owned()));
            }
            let collapsed = value.split_ascii_whitespace().collect::<Vec<_>>().join(" ");
            list.push((lower, collapsed));
        }
        list.sort();
        let block = list.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
        let signed = list
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(";");
        Ok(Self { block, signed })
    }
}

fn canonical_request(
    method: &str,
    path: &str,
    query: &str,
    headers: &CanonicalHeaders,
    payload: &str,
) -> String {
    format!(
        "{method}\n{path}\n{query}\n{}\n{}\n{payload}",
        headers.block, headers.signed
    )
}

/// `k=v&k=v` with both sides URI-encoded, sorted by encoded key then value.
fn canonical_query(pairs: &[(&str, &str)]) -> String {
    let mut encoded: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (uri_encode(k, true), uri_encode(v, true)))
        .collect();
    encoded.sort();
    join_pairs(&encoded)
}

/// Same encoding as [`canonical_query`], in the given order (the signature
/// parameter goes last, as AWS's own examples print it).
fn canonical_query_unsorted(pairs: &[(&str, &str)]) -> String {
    let encoded: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (uri_encode(k, true), uri_encode(v, true)))
        .collect();
    join_pairs(&encoded)
}

fn join_pairs(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// SigV4's URI encoding: every byte except `A-Z a-z 0-9 - _ . ~` becomes `%XX`
/// (uppercase hex); `/` is kept in paths and encoded in query values.
pub fn uri_encode(input: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(input.len());
    for b in input.bytes() {
        let unreserved = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~');
        if unreserved || (b == b'/' && !encode_slash) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
#[path = "sigv4_tests.rs"]
mod tests;
