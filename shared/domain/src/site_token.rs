//! Farm site tokens: the credential a site's printer-gateway presents on the
//! app's internal farm routes (`Authorization: Bearer <token>`).
//!
//! A token is `fst_` followed by 48 lowercase hex characters (24 random
//! bytes, 192 bits, as API keys). Only the SHA-256 hex of the whole token is
//! stored (`farm_sites.token_sha256`); the secret is shown once, when the site
//! is created or its token rotated.

use crate::api_key::{sha256_hex, to_hex};

/// The prefix of every site token.
pub const SITE_TOKEN_PREFIX: &str = "fst_";
/// Random bytes in a token's body (192 bits, the same as an API key).
pub const SITE_TOKEN_RANDOM_BYTES: usize = 24;

/// A site token in full. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SiteToken(String);

impl std::fmt::Debug for SiteToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SiteToken(***)")
    }
}

impl SiteToken {
    /// A new token from random bytes supplied by the caller.
    pub fn generate(random: [u8; SITE_TOKEN_RANDOM_BYTES]) -> Self {
        SiteToken(format!("{SITE_TOKEN_PREFIX}{}", to_hex(&random)))
    }

    /// A presented token, if it has the shape of one (checked before any
    /// lookup, so a malformed value costs no database statement).
    pub fn parse(s: &str) -> Option<Self> {
        let body = s.strip_prefix(SITE_TOKEN_PREFIX)?;
        let well_formed = body.len() == SITE_TOKEN_RANDOM_BYTES * 2
            && body
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        well_formed.then(|| SiteToken(s.to_owned()))
    }

    /// The secret itself, for the one response that shows it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The stored form: SHA-256 of the whole token, lowercase hex.
    pub fn sha256(&self) -> String {
        sha256_hex(self.0.as_bytes())
    }
}

/// Whether `name` is a valid site name: 1 to 63 of `a-z 0-9 _ -`, starting
/// with a letter or digit (the `farm_sites.name` check of migration 0011).
pub fn is_valid_site_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (1..=63).contains(&bytes.len())
        && bytes[0].is_ascii_alphanumeric()
        && !bytes[0].is_ascii_uppercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_' || *b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_token_parses_back_and_hashes_as_sha256() {
        let token = SiteToken::generate([0xab; SITE_TOKEN_RANDOM_BYTES]);
        assert_eq!(token.expose(), format!("fst_{}", "ab".repeat(24)));
        assert_eq!(SiteToken::parse(token.expose()), Some(token.clone()));
        // SHA-256 of the ASCII text, computed independently (sha256sum).
        assert_eq!(
            SiteToken::parse("fst_000000000000000000000000000000000000000000000000")
                .map(|t| t.sha256()),
            Some("5739f749d6ad4bb53b1acec78565ac09f32f9bee9f0f4828b5f827da381f245a".to_owned())
        );
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for bad in [
            "",
            "fst_",
            "fk_live_abc",
            &format!("fst_{}", "AB".repeat(24)),
            &format!("fst_{}", "a".repeat(47)),
        ] {
            assert_eq!(SiteToken::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let token = SiteToken::generate([7; SITE_TOKEN_RANDOM_BYTES]);
        assert!(!format!("{token:?}").contains("0707"));
    }

    #[test]
    fn site_names_follow_the_column_check() {
        for good in ["local", "north-1", "a", "site_2"] {
            assert!(is_valid_site_name(good), "{good}");
        }
        for bad in ["", "North", "-x", "a b", &"a".repeat(64)] {
            assert!(!is_valid_site_name(bad), "{bad}");
        }
    }
}
