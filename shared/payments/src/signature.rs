//! `Stripe-Signature`: how the provider signs a webhook delivery, and how we
//! check it (<https://docs.stripe.com/webhooks#verify-manually>).
//!
//! The header is a comma-separated list of `scheme=value` items:
//! `t=<unix seconds>,v1=<hex HMAC-SHA256>[,v1=…][,v0=…]`. The signed message
//! is `"{t}.{raw body}"` (the exact bytes received, never a re-serialisation),
//! keyed by the endpoint's signing secret (`whsec_…`). While a secret is being
//! rolled the provider sends one `v1` per active secret, so any one `v1`
//! matching any one of our secrets verifies. Schemes other than `v1` (`v0`,
//! test schemes, future ones) are ignored. The timestamp must be within
//! [`TOLERANCE_SECS`] of our clock in either direction, which bounds replays.

use farm_signing::mac::{constant_time_eq, hex_lower, hmac_sha256};

/// Largest allowed |now − t| in seconds: 300, Stripe's default tolerance
/// (`DEFAULT_TOLERANCE` in its libraries), applied to old and future stamps.
pub const TOLERANCE_SECS: i64 = 300;

/// A parsed header: the timestamp and every `v1` value, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    pub timestamp: i64,
    pub v1: Vec<String>,
}

/// Why a delivery is refused. Every variant is a 400 to the provider.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header is absent, empty, or not `t=…,v1=…` (reason given).
    #[error("malformed Stripe-Signature header: {0}")]
    Malformed(&'static str),
    /// No `v1` value matches any configured secret.
    #[error("no v1 signature matches")]
    NoMatch,
    /// Signed, but `t` is more than the tolerance away from now (`age`
    /// seconds; negative when from the future).
    #[error("timestamp outside the tolerance ({age} s from now)")]
    OutsideTolerance { age: i64 },
}

impl SignatureError {
    /// A stable code for the error body (`signature_malformed`,
    /// `signature_mismatch`, `signature_timestamp_out_of_tolerance`).
    pub fn code(&self) -> &'static str {
        match self {
            SignatureError::Malformed(_) => "signature_malformed",
            SignatureError::NoMatch => "signature_mismatch",
            SignatureError::OutsideTolerance { .. } => "signature_timestamp_out_of_tolerance",
        }
    }
}

/// Parses the header. Refused as malformed: empty; an item without `=`; no
/// `t`, a repeated `t`, or a `t` that is not a non-negative decimal integer;
/// no `v1` item. Items are trimmed of spaces; unknown schemes are skipped.
pub fn parse_header(header: &str) -> Result<SignatureHeader, SignatureError> {
    let mut timestamp = None;
    let mut v1 = Vec::new();
    if header.trim().is_empty() {
        return Err(SignatureError::Malformed("empty header"));
    }
    for item in header.split(',') {
        let (scheme, value) = item
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed("an item is not scheme=value"))?;
        match scheme {
            "t" => {
                if timestamp.is_some() {
                    return Err(SignatureError::Malformed("more than one t"));
                }
                let digits_only = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
                let t: i64 = value
                    .parse()
                    .ok()
                    .filter(|_| digits_only)
                    .ok_or(SignatureError::Malformed("t is not a Unix timestamp"))?;
                timestamp = Some(t);
            }
            "v1" => v1.push(value.to_string()),
            _ => {} // other schemes (v0, future ones) are ignored
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed("no t"))?;
    if v1.is_empty() {
        return Err(SignatureError::Malformed("no v1 signature"));
    }
    Ok(SignatureHeader { timestamp, v1 })
}

/// The `v1` value: lowercase hex of HMAC-SHA256(secret, "{t}.{payload}").
pub fn v1_signature(secret: &[u8], timestamp: i64, payload: &[u8]) -> String {
    let mut message = timestamp.to_string().into_bytes();
    message.push(b'.');
    message.extend_from_slice(payload);
    hex_lower(&hmac_sha256(secret, &message))
}

/// A complete header for one secret: `t=<t>,v1=<sig>` (what the provider and
/// our stand-in send).
pub fn sign(secret: &[u8], timestamp: i64, payload: &[u8]) -> String {
    format!(
        "t={timestamp},v1={}",
        v1_signature(secret, timestamp, payload)
    )
}

/// Verifies `header` for the raw `payload` against any of `secrets` at time
/// `now` (Unix seconds). The signature is checked first, every candidate
/// compared in constant time and none skipped, so timing says nothing about
/// which value or secret came close; then the tolerance.
pub fn verify(
    payload: &[u8],
    header: &str,
    secrets: &[&[u8]],
    now: i64,
) -> Result<SignatureHeader, SignatureError> {
    let parsed = parse_header(header)?;
    let mut matched = false;
    for secret in secrets {
        let expected = v1_signature(secret, parsed.timestamp, payload);
        for candidate in &parsed.v1 {
            matched |= constant_time_eq(expected.as_bytes(), candidate.as_bytes());
        }
    }
    if !matched {
        return Err(SignatureError::NoMatch);
    }
    let age = now.saturating_sub(parsed.timestamp);
    if age.abs() > TOLERANCE_SECS {
        return Err(SignatureError::OutsideTolerance { age });
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests;
