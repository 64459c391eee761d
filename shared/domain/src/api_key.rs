//! API key format, hashing and constant-time comparison.
//!
//! A key is `fk_live_` or `fk_test_` followed by 48 lowercase hex characters
//! (24 random bytes, 192 bits). Only the SHA-256 hex of the whole key is
//! stored; the secret is shown once, at creation.

use crate::error::Error;
use sha2::{Digest, Sha256};
use std::fmt;

/// Random bytes in a key's body.
pub const KEY_RANDOM_BYTES: usize = 24;
/// Characters after the prefix.
pub const KEY_BODY_LEN: usize = KEY_RANDOM_BYTES * 2;
/// Maximum number of active (unrevoked) keys per account.
pub const MAX_ACTIVE_KEYS: u32 = 10;
/// Maximum length of a key's name, in characters.
pub const MAX_KEY_NAME_CHARS: usize = 50;

/// Live keys act on the real farm and charge; test keys run the whole
/// lifecycle on the simulated farm and never charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMode {
    Live,
    Test,
}

impl KeyMode {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyMode::Live => "live",
            KeyMode::Test => "test",
        }
    }

    /// The key prefix: `fk_live_` or `fk_test_`.
    pub fn prefix(self) -> &'static str {
        match self {
            KeyMode::Live => "fk_live_",
            KeyMode::Test => "fk_test_",
        }
    }

    /// Parses `"live"` or `"test"` (field `mode`).
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "live" => Ok(KeyMode::Live),
            "test" => Ok(KeyMode::Test),
            other => Err(Error::invalid(
                "mode",
                format!("must be \"live\" or \"test\", got {other:?}"),
            )),
        }
    }
}

impl fmt::Display for KeyMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A complete API key secret. `Debug` never prints the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeySecret {
    key: String,
    mode: KeyMode,
}

impl fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ApiKeySecret({}...{})",
            self.mode.prefix(),
            self.preview()
        )
    }
}

impl ApiKeySecret {
    /// Builds a new key from random bytes supplied by the caller.
    pub fn generate(mode: KeyMode, random: [u8; KEY_RANDOM_BYTES]) -> Self {
        ApiKeySecret {
            key: format!("{}{}", mode.prefix(), to_hex(&random)),
            mode,
        }
    }

    /// Parses a presented key: a known prefix followed by exactly
    /// [`KEY_BODY_LEN`] lowercase hex characters. Anything else is
    /// [`Error::InvalidApiKey`]; the check looks only at the shape, never at
    /// stored data, so it is safe to run before any lookup.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let (mode, body) = if let Some(body) = s.strip_prefix(KeyMode::Live.prefix()) {
            (KeyMode::Live, body)
        } else if let Some(body) = s.strip_prefix(KeyMode::Test.prefix()) {
            (KeyMode::Test, body)
        } else {
            return Err(Error::InvalidApiKey);
        };
        let well_formed = body.len() == KEY_BODY_LEN
            && body
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !well_formed {
            return Err(Error::InvalidApiKey);
        }
        Ok(ApiKeySecret {
            key: s.to_string(),
            mode,
        })
    }

    pub fn mode(&self) -> KeyMode {
        self.mode
    }

    /// The secret itself, for the one response that shows it.
    pub fn expose(&self) -> &str {
        &self.key
    }

    /// The stored form: SHA-256 of the whole key, lowercase hex.
    pub fn hash(&self) -> KeyHash {
        KeyHash(sha256_hex(self.key.as_bytes()))
    }

    /// The last four characters, safe to show in listings.
    pub fn preview(&self) -> String {
        self.key[self.key.len() - 4..].to_string()
    }

    /// How a listing shows the key: `fk_live_...1a2b`.
    pub fn display_preview(&self) -> String {
        format!("{}...{}", self.mode.prefix(), self.preview())
    }
}

/// The SHA-256 hex of a key, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHash(String);

impl KeyHash {
    /// Wraps a hash read from storage.
    pub fn from_stored(hex: String) -> Self {
        KeyHash(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Compares in constant time. The lookup that found the stored row was by
    /// hash (an index probe on a high-entropy value leaks nothing usable), and
    /// this comparison confirms the match without a data-dependent early exit.
    pub fn matches(&self, stored: &KeyHash) -> bool {
        constant_time_eq(self.0.as_bytes(), stored.0.as_bytes())
    }
}

/// Constant-time byte comparison: the time taken depends only on the lengths,
/// never on where the first difference is.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // black_box keeps the optimiser from turning the fold into an early exit.
    std::hint::black_box(diff) == 0
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    to_hex(&Sha256::digest(bytes))
}

/// Lowercase hex encoding.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

/// Validates a key's name: 1 to [`MAX_KEY_NAME_CHARS`] characters after
/// trimming, no control characters.
pub fn parse_key_name(name: &str) -> Result<String, Error> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::invalid("name", "must not be empty"));
    }
    if name.chars().count() > MAX_KEY_NAME_CHARS {
        return Err(Error::invalid(
            "name",
            format!("must be at most {MAX_KEY_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "name",
            "must not contain control characters",
        ));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(mode: KeyMode) -> ApiKeySecret {
        let mut random = [0u8; KEY_RANDOM_BYTES];
        for (i, b) in random.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37).wrapping_add(11);
        }
        ApiKeySecret::generate(mode, random)
    }

    #[test]
    fn generated_keys_have_the_prefix_and_parse_back() {
        for mode in [KeyMode::Live, KeyMode::Test] {
            let key = sample(mode);
            assert!(key.expose().starts_with(mode.prefix()));
            assert_eq!(key.expose().len(), mode.prefix().len() + KEY_BODY_LEN);
            let parsed = ApiKeySecret::parse(key.expose()).expect("own keys parse");
            assert_eq!(parsed, key);
            assert_eq!(parsed.mode(), mode);
        }
    }

    #[test]
    fn malformed_keys_are_rejected() {
        let good = sample(KeyMode::Live);
        let body = &good.expose()[8..];
        for bad in [
            "".to_string(),
            "fk_live_".to_string(),
            format!("fk_prod_{body}"),
            format!("FK_LIVE_{body}"),
            format!("fk_live_{}", &body[1..]),
            format!("fk_live_{body}0"),
            format!("fk_live_{}", body.to_uppercase()),
            format!("fk_live_{}g", &body[1..]),
            format!("Bearer fk_live_{body}"),
        ] {
            assert_eq!(
                ApiKeySecret::parse(&bad),
                Err(Error::InvalidApiKey),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn hash_is_sha256_of_the_whole_key() {
        // SHA-256("abc"), the FIPS 180-2 test vector.
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let key = sample(KeyMode::Test);
        assert_eq!(key.hash().as_str(), sha256_hex(key.expose().as_bytes()));
        assert_ne!(sample(KeyMode::Live).hash(), key.hash());
    }

    #[test]
    fn preview_is_the_last_four_characters_and_debug_hides_the_secret() {
        let key = sample(KeyMode::Live);
        let s = key.expose();
        assert_eq!(key.preview(), &s[s.len() - 4..]);
        assert_eq!(
            key.display_preview(),
            format!("fk_live_...{}", &s[s.len() - 4..])
        );
        assert!(!format!("{key:?}").contains(&s[8..40]));
    }

    #[test]
    fn constant_time_eq_compares_contents_and_lengths() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abcd", b"abcd"));
        assert!(!constant_time_eq(b"abcd", b"abce"));
        assert!(!constant_time_eq(b"abcd", b"xbcd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        let key = sample(KeyMode::Live);
        assert!(
            key.hash()
                .matches(&KeyHash::from_stored(key.hash().as_str().to_string()))
        );
        assert!(!key.hash().matches(&sample(KeyMode::Test).hash()));
    }

    #[test]
    fn mode_parses_only_live_and_test() {
        assert_eq!(KeyMode::parse("live"), Ok(KeyMode::Live));
        assert_eq!(KeyMode::parse("test"), Ok(KeyMode::Test));
        assert!(KeyMode::parse("LIVE").is_err());
    }

    #[test]
    fn key_names_are_trimmed_and_bounded() {
        assert_eq!(
            parse_key_name("  CI Pipeline "),
            Ok("CI Pipeline".to_string())
        );
        assert!(parse_key_name("   ").is_err());
        assert!(parse_key_name(&"x".repeat(51)).is_err());
        assert!(parse_key_name(&"é".repeat(50)).is_ok());
        assert!(parse_key_name("a\nb").is_err());
    }

    #[test]
    fn hex_encoding() {
        assert_eq!(to_hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    }
}
