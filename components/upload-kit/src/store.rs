//! The object store, reached over the S3 protocol with SigV4-signed requests.
//!
//! Every upload is write-once: the presigned PUT signs `If-None-Match: *`
//! (S3 conditional writes), so the store refuses a second write to the key
//! with `412 Precondition Failed`, and the bytes that were checked at confirm
//! and analysed are the bytes that stay. A client cannot drop the header: it
//! is covered by the signature.

use farm_platform::{ApiError, Ctx};
use farm_signing::sigv4::{Bucket, Credentials, Endpoint, PresignedRequest};
use spin_sdk::http::{Method, Request, Response};

/// The S3 conditional-write header and value that make a PUT create-only.
pub const WRITE_ONCE: (&str, &str) = ("If-None-Match", "*");

/// Lifetime of object URLs signed into a webhook event, seconds: SigV4's
/// maximum (7 days, AWS's limit for presigned URLs), longer than any
/// delivery retry (3.9 days). Answers sign for less (see their modules).
pub const EVENT_URL_SECS: u64 = 7 * 24 * 3600;

/// The bucket configured by the `s3_*` variables (for signing many URLs
/// where the `Ctx` is busy, e.g. inside a transaction).
pub fn bucket(ctx: &Ctx) -> Result<Bucket, ApiError> {
    let endpoint = Endpoint::parse(&ctx.var("s3_endpoint")?).map_err(ApiError::internal)?;
    Ok(Bucket::new(
        endpoint,
        ctx.var("s3_bucket")?,
        Credentials {
            access_key: ctx.var("s3_access_key")?,
            secret_key: ctx.var("s3_secret_key")?,
            region: ctx.var("s3_region")?,
        },
    ))
}

/// A presigned, create-only PUT for `key`: the client must send exactly the
/// returned `required_headers` (`Content-Type`, `If-None-Match: *`,
/// `x-amz-content-sha256`), and the store refuses any other `x-amz-*` header.
pub fn presign_put(
    ctx: &Ctx,
    key: &str,
    content_type: &str,
    expires_secs: u64,
) -> Result<PresignedRequest, ApiError> {
    bucket(ctx)?
        .presign(
            "PUT",
            key,
            &[("Content-Type", content_type), WRITE_ONCE],
            expires_secs,
            ctx.now(),
        )
        .map_err(ApiError::internal)
}

/// A presigned GET of `key` that expires after `expires_secs` (the exports
/// of generated parts, `POST /v1/exports`).
pub fn presign_get(ctx: &Ctx, key: &str, expires_secs: u64) -> Result<PresignedRequest, ApiError> {
    bucket(ctx)?
        .presign_download(key, expires_secs, ctx.now())
        .map_err(ApiError::internal)
}

fn send(
    ctx: &Ctx,
    method: Method,
    key: &str,
    body: Vec<u8>,
    extra: &[(&str, &str)],
) -> Result<Response, ApiError> {
    let bucket = bucket(ctx)?;
    let name = match method {
        Method::Head => "HEAD",
        Method::Get => "GET",
        Method::Put => "PUT",
        _ => "DELETE",
    };
    let signed = if name == "PUT" {
        let hash = farm_signing::sha256_hex(&body);
        bucket.sign_payload(name, key, extra, &hash, ctx.now())
    } else {
        bucket.sign(name, key, extra, ctx.now())
    }
    .map_err(ApiError::internal)?;
    let mut builder = Request::builder();
    builder.method(method).uri(&signed.url);
    for (n, v) in &signed.headers {
        builder.header(n, v);
    }
    // The store wants an explicit length (no chunked uploads); it is not signed.
    if name == "PUT" {
        builder.header("content-length", body.len().to_string());
    }
    let request = builder.body(body).build();
    spin_sdk::http::run(async move { spin_sdk::http::send::<_, Response>(request).await })
        .map_err(|e| ApiError::unavailable(format!("object store {name} {key}: {e}")))
}

/// Size of the stored object, or `None` when there is none.
pub fn head(ctx: &Ctx, key: &str) -> Result<Option<u64>, ApiError> {
    let response = send(ctx, Method::Head, key, Vec::new(), &[])?;
    match *response.status() {
        200 => Ok(Some(
            response
                .header("content-length")
                .and_then(|v| v.as_str())
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| ApiError::unavailable("object store HEAD without content-length"))?,
        )),
        404 => Ok(None),
        s => Err(ApiError::unavailable(format!(
            "object store HEAD {key}: status {s}"
        ))),
    }
}

/// The stored object's bytes, or `None` when there is none.
pub fn get(ctx: &Ctx, key: &str) -> Result<Option<Vec<u8>>, ApiError> {
    let response = send(ctx, Method::Get, key, Vec::new(), &[])?;
    match *response.status() {
        200 => Ok(Some(response.into_body())),
        404 => Ok(None),
        s => Err(ApiError::unavailable(format!(
            "object store GET {key}: status {s}"
        ))),
    }
}

/// The first `len` bytes of the stored object (fewer when it is shorter), or
/// `None` when there is none: an HTTP range request (RFC 9110 §14), so
/// confirm can sniff a 64 MiB upload without fetching it.
pub fn get_prefix(ctx: &Ctx, key: &str, len: u64) -> Result<Option<Vec<u8>>, ApiError> {
    let range = format!("bytes=0-{}", len.saturating_sub(1));
    let response = send(ctx, Method::Get, key, Vec::new(), &[("range", &range)])?;
    match *response.status() {
        // 200: a store that ignores ranges sends everything; keep the prefix.
        200 | 206 => {
            let mut body = response.into_body();
            body.truncate(usize::try_from(len).unwrap_or(usize::MAX));
            Ok(Some(body))
        }
        404 => Ok(None),
        s => Err(ApiError::unavailable(format!(
            "object store GET {key} ({range}): status {s}"
        ))),
    }
}

/// Stores `bytes` under a new `key` (payload hash signed, create-only: a key
/// that already holds an object is an internal error, never an overwrite).
pub fn put(ctx: &Ctx, key: &str, content_type: &str, bytes: Vec<u8>) -> Result<(), ApiError> {
    let response = send(
        ctx,
        Method::Put,
        key,
        bytes,
        &[("content-type", content_type), WRITE_ONCE],
    )?;
    match *response.status() {
        200 | 201 | 204 => Ok(()),
        412 => Err(ApiError::internal(format!(
            "object store PUT {key}: an object already exists (write-once key)"
        ))),
        s => Err(ApiError::unavailable(format!(
            "object store PUT {key}: status {s}"
        ))),
    }
}

/// The object key of a file: `<account>/<file id>.<format>`.
pub fn object_key(account_id: &str, file_id: &str, format: &str) -> String {
    format!("{account_id}/{file_id}.{format}")
}
