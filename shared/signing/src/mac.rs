//! HMAC-SHA256, SHA-256 digests and constant-time comparison, plus the two
//! signatures built from them: webhook deliveries and signed links.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// HMAC-SHA256 of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// SHA-256 of `data` as 64 lowercase hex digits.
pub fn sha256_hex(data: &[u8]) -> String {
    hex_lower(&Sha256::digest(data))
}

/// Lowercase hex of `bytes`.
pub fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

/// Compares two byte strings in time that depends only on their lengths, so a
/// caller learns nothing about where a guessed secret first differs.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// The `X-Webhook-Signature-256` value for a delivery:
/// `sha256=<hex HMAC-SHA256(secret, "{timestamp}.{body}")>`.
pub fn webhook_signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut message = timestamp.to_string().into_bytes();
    message.push(b'.');
    message.extend_from_slice(body);
    format!("sha256={}", hex_lower(&hmac_sha256(secret, &message)))
}

/// Checks a webhook signature header in constant time.
pub fn verify_webhook_signature(secret: &[u8], timestamp: i64, body: &[u8], header: &str) -> bool {
    let expected = webhook_signature(secret, timestamp, body);
    constant_time_eq(expected.as_bytes(), header.trim().as_bytes())
}

/// A signed, expiring token `{payload}.{expires_unix}.{hex hmac}` for links
/// that work without an API key (settings links, downloads).
///
/// `payload` must be URL-safe (`A-Z a-z 0-9 - _`) and non-empty, so the token
/// can be put in a path or query as it is.
pub fn sign_token(key: &[u8], payload: &str, expires_unix: i64) -> Result<String> {
    let url_safe = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if payload.is_empty() || !payload.chars().all(url_safe) {
        return Err(Error::InvalidToken);
    }
    let body = format!("{payload}.{expires_unix}");
    let sig = hex_lower(&hmac_sha256(key, body.as_bytes()));
    Ok(format!("{body}.{sig}"))
}

/// Verifies a token from [`sign_token`] and returns its payload. The signature
/// is checked (in constant time) before the expiry, so a forged token never
/// learns whether its expiry would have passed.
pub fn verify_token(key: &[u8], token: &str, now_unix: i64) -> Result<String> {
    let mut parts = token.rsplitn(3, '.');
    let (Some(sig), Some(expires), Some(payload)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::InvalidToken);
    };
    let body = format!("{payload}.{expires}");
    let expected = hex_lower(&hmac_sha256(key, body.as_bytes()));
    if !constant_time_eq(expected.as_bytes(), sig.as_bytes()) {
        return Err(Error::InvalidToken);
    }
    let expires: i64 = expires.parse().map_err(|_| Error::InvalidToken)?;
    if now_unix >= expires {
        return Err(Error::TokenExpired);
    }
    Ok(payload.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 test cases 1 and 2.
    #[test]
    fn hmac_matches_rfc_4231() {
        let key = [0x0b; 20];
        assert_eq!(
            hex_lower(&hmac_sha256(&key, b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hex_lower(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn sha256_of_empty_input() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn constant_time_eq_compares_content_and_length() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn webhook_signature_signs_timestamp_dot_body() {
        let sig = webhook_signature(b"whsec", 1_709_123_456, b"{\"a\":1}");
        let manual = hex_lower(&hmac_sha256(b"whsec", b"1709123456.{\"a\":1}"));
        assert_eq!(sig, format!("sha256={manual}"));
        assert!(verify_webhook_signature(
            b"whsec",
            1_709_123_456,
            b"{\"a\":1}",
            &sig
        ));
        assert!(!verify_webhook_signature(
            b"whsec",
            1_709_123_457,
            b"{\"a\":1}",
            &sig
        ));
        assert!(!verify_webhook_signature(
            b"other",
            1_709_123_456,
            b"{\"a\":1}",
            &sig
        ));
    }

    #[test]
    fn tokens_round_trip_and_reject_tampering_and_expiry() {
        let token = sign_token(b"k", "acct_123", 1000).expect("valid payload");
        assert_eq!(verify_token(b"k", &token, 999).as_deref(), Ok("acct_123"));
        assert_eq!(verify_token(b"k", &token, 1000), Err(Error::TokenExpired));
        assert_eq!(verify_token(b"other", &token, 0), Err(Error::InvalidToken));
        let forged = token.replace("acct_123", "acct_999");
        assert_eq!(verify_token(b"k", &forged, 0), Err(Error::InvalidToken));
        let extended = token.replace(".1000.", ".9999.");
        assert_eq!(verify_token(b"k", &extended, 0), Err(Error::InvalidToken));
        assert_eq!(verify_token(b"k", "garbage", 0), Err(Error::InvalidToken));
        assert_eq!(sign_token(b"k", "a.b", 1), Err(Error::InvalidToken));
        assert_eq!(sign_token(b"k", "", 1), Err(Error::InvalidToken));
    }
}
