//! Webhook delivery signatures, in the two header sets every delivery
//! carries, computed from one endpoint secret.
//!
//! - Seed 001's set: `X-Webhook-Id`, `X-Webhook-Timestamp`, `X-Webhook-Event`
//!   and `X-Webhook-Signature-256: sha256=<hex HMAC-SHA256(key,
//!   "{timestamp}.{body}")>`, where the key is the secret string exactly as
//!   shown to the partner (`whsec_` prefix included), as GitHub's
//!   `X-Hub-Signature-256` keys its HMAC with the configured string.
//! - The Standard Webhooks set (standardwebhooks.com, `spec/standard-webhooks.md`):
//!   `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64
//!   HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`, where the key is the
//!   base64 part of the `whsec_` secret, decoded, so the standard's published
//!   libraries verify our deliveries unchanged.
//!
//! During a secret rotation both secrets sign: the standard's header lists
//! one `v1,` value per secret separated by spaces (as the standard
//! specifies), seed 001's lists one `sha256=` value per secret separated by
//! `, ` (an HTTP list, RFC 9110 §5.6.1); a receiver accepts a delivery when
//! any value matches the secret it holds.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::mac::{constant_time_eq, hmac_sha256, webhook_signature};

/// The prefix of a secret's wire form (Standard Webhooks' convention).
pub const SECRET_PREFIX: &str = "whsec_";

/// Random bytes in a new secret: 24 (192 bits), inside the standard's
/// 24..=64 byte recommendation.
pub const SECRET_BYTES: usize = 24;

/// An endpoint's signing secret: `whsec_<base64 of the key bytes>`.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret {
    wire: String,
    key: Vec<u8>,
}

impl std::fmt::Debug for WebhookSecret {
    // Secrets never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(redacted)")
    }
}

impl WebhookSecret {
    /// A secret from freshly drawn random bytes (the caller draws them, so
    /// this crate stays free of I/O).
    pub fn from_random(bytes: [u8; SECRET_BYTES]) -> Self {
        Self {
            wire: format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes)),
            key: bytes.to_vec(),
        }
    }

    /// Parses the wire form; `None` unless it is `whsec_` followed by
    /// standard base64 of at least 16 bytes.
    pub fn parse(wire: &str) -> Option<Self> {
        let key = STANDARD.decode(wire.strip_prefix(SECRET_PREFIX)?).ok()?;
        (key.len() >= 16).then(|| Self {
            wire: wire.to_owned(),
            key,
        })
    }

    /// The string the partner is shown once and keeps.
    pub fn expose(&self) -> &str {
        &self.wire
    }

    /// `v1,<base64>`: the Standard Webhooks signature of one message.
    pub fn standard_signature(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut message = format!("{id}.{timestamp}.").into_bytes();
        message.extend_from_slice(body);
        format!("v1,{}", STANDARD.encode(hmac_sha256(&self.key, &message)))
    }

    /// `sha256=<hex>`: seed 001's signature of one message.
    pub fn seed_signature(&self, timestamp: i64, body: &[u8]) -> String {
        webhook_signature(self.wire.as_bytes(), timestamp, body)
    }
}

/// Storage form of a secret: it must sign, so it cannot be kept as a hash;
/// it is kept sealed instead. `nonce.ciphertext.tag` in hex, where the
/// ciphertext is the key bytes XOR the first bytes of HMAC-SHA256(storage
/// key, "seal" || nonce) (a keystream from a PRF, fresh per nonce) and the
/// tag is the first 16 bytes of HMAC-SHA256(storage key, "tag" || nonce ||
/// ciphertext). The storage key is derived from an operator secret with
/// [`storage_key`]; the nonce is 16 random bytes drawn by the caller.
pub fn seal(storage_key: &[u8; 32], nonce: [u8; 16], secret: &WebhookSecret) -> String {
    let stream = keystream(storage_key, &nonce);
    let ct: Vec<u8> = secret
        .key
        .iter()
        .zip(stream.iter())
        .map(|(k, s)| k ^ s)
        .collect();
    let tag = seal_tag(storage_key, &nonce, &ct);
    format!(
        "{}.{}.{}",
        crate::hex_lower(&nonce),
        crate::hex_lower(&ct),
        crate::hex_lower(&tag)
    )
}

/// Opens what [`seal`] wrote; `None` if it was altered or sealed under
/// another key.
pub fn unseal(storage_key: &[u8; 32], sealed: &str) -> Option<WebhookSecret> {
    let mut parts = sealed.split('.');
    let nonce = from_hex(parts.next()?)?;
    let ct = from_hex(parts.next()?)?;
    let tag = from_hex(parts.next()?)?;
    if parts.next().is_some() || ct.len() > 32 || nonce.len() != 16 {
        return None;
    }
    if !constant_time_eq(&seal_tag(storage_key, &nonce, &ct), &tag) {
        return None;
    }
    let stream = keystream(storage_key, &nonce);
    let key: Vec<u8> = ct.iter().zip(stream.iter()).map(|(c, s)| c ^ s).collect();
    Some(WebhookSecret {
        wire: format!("{SECRET_PREFIX}{}", STANDARD.encode(&key)),
        key,
    })
}

/// The sealing key derived from an operator secret (the internal token),
/// with a label of its own so it is never the key of anything else.
pub fn storage_key(operator_secret: &[u8]) -> [u8; 32] {
    hmac_sha256(operator_secret, b"farm webhook secret sealing v1")
}

fn keystream(storage_key: &[u8; 32], nonce: &[u8]) -> [u8; 32] {
    let mut message = b"seal".to_vec();
    message.extend_from_slice(nonce);
    hmac_sha256(storage_key, &message)
}

fn seal_tag(storage_key: &[u8; 32], nonce: &[u8], ct: &[u8]) -> [u8; 16] {
    let mut message = b"tag".to_vec();
    message.extend_from_slice(nonce);
    message.extend_from_slice(ct);
    let mac = hmac_sha256(storage_key, &message);
    let mut tag = [0u8; 16];
    tag.copy_from_slice(&mac[..16]);
    tag
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The signature header values of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeaders {
    /// `X-Webhook-Signature-256`.
    pub seed: String,
    /// `webhook-signature`.
    pub standard: String,
}

/// Signs one delivery with every active secret (the current one first, then
/// one still inside its rotation overlap).
pub fn sign_delivery(
    secrets: &[&WebhookSecret],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> SignatureHeaders {
    let seed = secrets
        .iter()
        .map(|s| s.seed_signature(timestamp, body))
        .collect::<Vec<_>>()
        .join(", ");
    let standard = secrets
        .iter()
        .map(|s| s.standard_signature(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ");
    SignatureHeaders { seed, standard }
}

/// Whether a `webhook-signature` header holds a valid signature under
/// `secret` (any of its space-separated `v1,` values, compared in constant
/// time), as the standard's libraries check it. Timestamp tolerance is the
/// caller's (the standard suggests 5 minutes).
pub fn verify_standard(
    secret: &WebhookSecret,
    id: &str,
    timestamp: i64,
    body: &[u8],
    header: &str,
) -> bool {
    let expected = secret.standard_signature(id, timestamp, body);
    header
        .split(' ')
        .filter(|v| !v.is_empty())
        .any(|v| constant_time_eq(v.as_bytes(), expected.as_bytes()))
}

/// Whether an `X-Webhook-Signature-256` header holds a valid signature under
/// `secret` (any of its comma-separated values, compared in constant time).
pub fn verify_seed(secret: &WebhookSecret, timestamp: i64, body: &[u8], header: &str) -> bool {
    let expected = secret.seed_signature(timestamp, body);
    header
        .split(',')
        .map(str::trim)
        .any(|v| constant_time_eq(v.as_bytes(), expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector the Standard Webhooks specification and its reference
    /// libraries publish: this exact secret, id, timestamp and body must give
    /// this exact signature, or a partner's off-the-shelf verifier refuses us.
    const VECTOR_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const VECTOR_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const VECTOR_TIMESTAMP: i64 = 1_614_265_330;
    const VECTOR_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const VECTOR_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn vector_secret() -> WebhookSecret {
        WebhookSecret::parse(VECTOR_SECRET).expect("the published secret parses")
    }

    #[test]
    fn the_standard_signature_reproduces_the_published_test_vector() {
        let sig = vector_secret().standard_signature(VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY);
        assert_eq!(sig, VECTOR_SIGNATURE);
        assert!(verify_standard(
            &vector_secret(),
            VECTOR_ID,
            VECTOR_TIMESTAMP,
            VECTOR_BODY,
            VECTOR_SIGNATURE
        ));
    }

    #[test]
    fn a_changed_id_timestamp_or_body_fails_the_standard_check() {
        let s = vector_secret();
        let ok =
            |id: &str, ts: i64, body: &[u8]| verify_standard(&s, id, ts, body, VECTOR_SIGNATURE);
        assert!(!ok("msg_other", VECTOR_TIMESTAMP, VECTOR_BODY));
        assert!(!ok(VECTOR_ID, VECTOR_TIMESTAMP + 1, VECTOR_BODY));
        assert!(!ok(VECTOR_ID, VECTOR_TIMESTAMP, br#"{"test": 2432232315}"#));
    }

    #[test]
    fn the_seed_signature_is_hex_hmac_of_timestamp_dot_body_keyed_by_the_whole_secret() {
        // Expected value from the HMAC primitive directly (checked against
        // RFC 4231 in mac.rs), not from the function under test.
        let s = vector_secret();
        let mac = hmac_sha256(
            VECTOR_SECRET.as_bytes(),
            b"1614265330.{\"test\": 2432232314}",
        );
        let expected = format!("sha256={}", crate::hex_lower(&mac));
        assert_eq!(s.seed_signature(VECTOR_TIMESTAMP, VECTOR_BODY), expected);
        assert!(verify_seed(&s, VECTOR_TIMESTAMP, VECTOR_BODY, &expected));
        assert!(!verify_seed(
            &s,
            VECTOR_TIMESTAMP + 1,
            VECTOR_BODY,
            &expected
        ));
    }

    #[test]
    fn during_a_rotation_each_secret_alone_verifies_both_header_sets() {
        let new = WebhookSecret::from_random([7; SECRET_BYTES]);
        let old = WebhookSecret::from_random([9; SECRET_BYTES]);
        let stranger = WebhookSecret::from_random([1; SECRET_BYTES]);
        let h = sign_delivery(&[&new, &old], "evt_1", 1_700_000_000, b"{}");
        assert_eq!(h.standard.split(' ').count(), 2);
        assert_eq!(h.seed.split(", ").count(), 2);
        for s in [&new, &old] {
            assert!(verify_standard(
                s,
                "evt_1",
                1_700_000_000,
                b"{}",
                &h.standard
            ));
            assert!(verify_seed(s, 1_700_000_000, b"{}", &h.seed));
        }
        assert!(!verify_standard(
            &stranger,
            "evt_1",
            1_700_000_000,
            b"{}",
            &h.standard
        ));
        assert!(!verify_seed(&stranger, 1_700_000_000, b"{}", &h.seed));
    }

    #[test]
    fn sealed_secrets_open_only_under_their_key_and_unaltered() {
        let key = storage_key(b"internal-token");
        let s = WebhookSecret::from_random([0x5a; SECRET_BYTES]);
        let sealed = seal(&key, [3; 16], &s);
        assert!(!sealed.contains(&crate::hex_lower(&[0x5a; SECRET_BYTES])));
        assert_eq!(unseal(&key, &sealed), Some(s.clone()));
        assert_eq!(unseal(&storage_key(b"other-token"), &sealed), None);
        let mut altered = sealed.clone().into_bytes();
        altered[40] = if altered[40] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            unseal(&key, &String::from_utf8(altered).expect("ascii")),
            None
        );
        // A fresh nonce gives a different storage form of the same secret.
        assert_ne!(seal(&key, [4; 16], &s), sealed);
    }

    #[test]
    fn secrets_round_trip_their_wire_form_and_refuse_malformed_ones() {
        let s = WebhookSecret::from_random([0xab; SECRET_BYTES]);
        assert!(s.expose().starts_with("whsec_"));
        assert_eq!(WebhookSecret::parse(s.expose()), Some(s.clone()));
        assert_eq!(format!("{s:?}"), "WebhookSecret(redacted)");
        assert!(WebhookSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_none());
        assert!(WebhookSecret::parse("whsec_not base64!").is_none());
        assert!(WebhookSecret::parse("whsec_AAAA").is_none(), "too short");
    }
}
