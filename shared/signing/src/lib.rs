//! Signatures and wire-level helpers for the upload path.
//!
//! - [`sigv4`]: AWS Signature Version 4 for the S3 protocol: presigned URLs
//!   (query-string authentication) that partners use to PUT files straight to the
//!   object store, and `Authorization` header signing for the HEAD/GET requests
//!   the components make themselves.
//! - [`mac`]: HMAC-SHA256, SHA-256 hex digests, constant-time comparison, and the
//!   webhook and signed-link signatures built from them.
//! - [`webhook`]: webhook delivery secrets (`whsec_`) and both signature
//!   header sets (seed 001's `X-Webhook-Signature-256`, Standard Webhooks').
//! - [`multipart`]: a bounded `multipart/form-data` parser for the one-shot
//!   `POST /v1/jobs` upload.
//!
//! Pure Rust, no I/O and no clock: every function that depends on time takes the
//! current Unix time as an argument, so results are reproducible and testable.

pub mod mac;
pub mod multipart;
pub mod sigv4;
mod timefmt;
pub mod webhook;

pub use mac::{constant_time_eq, hex_lower, hmac_sha256, sha256_hex};

/// Everything that can go wrong while signing or parsing.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// The object store endpoint is not `http://host[:port]` or `https://host[:port]`.
    #[error("invalid endpoint {0:?}: expected http(s)://host[:port]")]
    InvalidEndpoint(String),
    /// Presigned URLs may live between 1 second and 7 days (SigV4's limit).
    #[error("expiry of {0} s is outside 1..=604800")]
    InvalidExpiry(u64),
    /// A header name or value cannot be signed (empty name or control characters).
    #[error("header {0:?} cannot be signed")]
    InvalidHeader(String),
    /// The time is before 1970 or after year 9999.
    #[error("time {0} is outside the supported range")]
    InvalidTime(i64),
    /// The body is not well-formed `multipart/form-data`, or breaks a limit.
    #[error("malformed multipart body: {0}")]
    Multipart(&'static str),
    /// A signed token is malformed or its signature does not match.
    #[error("invalid token")]
    InvalidToken,
    /// A signed token's expiry is in the past.
    #[error("token expired")]
    TokenExpired,
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
