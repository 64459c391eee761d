//! The signed settings link (seed 001, "Signed settings link"): a quote's
//! `settings_url`, `{public_base_url}/settings/{token}`, lets a person without
//! the API key change one account's autopay policy for 24 hours.
//!
//! The token is `farm_signing::mac::sign_token` over `{account_id}-{mode}`
//! (`acct_…-live` / `acct_…-test`: one account, one mode) with its expiry,
//! keyed by HMAC-SHA256(app secret, [`KEY_LABEL`]) so the app secret
//! (`internal_token`) keys nothing else directly. Refusals: a token that is
//! not ours, altered, or names no account is `invalid_token`; one past its
//! expiry `token_expired` (checked only after the signature).

use farm_domain::Error;
use farm_domain::api_key::KeyMode;
use farm_signing::mac::hmac_sha256;

/// How long a link works: 24 hours (seed 001: "a time-limited link (24h
/// default)").
pub const SETTINGS_LINK_TTL_SECS: i64 = 24 * 3600;

/// Domain separation for the key derived from the app secret.
pub const KEY_LABEL: &[u8] = b"farm-api/settings-link/v1";

/// The key links are signed with.
#[derive(Clone)]
pub struct SettingsLinkKey([u8; 32]);

impl std::fmt::Debug for SettingsLinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SettingsLinkKey(..)")
    }
}

/// Whose settings a valid token opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSubject {
    pub account_id: String,
    pub mode: KeyMode,
}

impl SettingsLinkKey {
    /// `HMAC-SHA256(app_secret, KEY_LABEL)`.
    pub fn derive(app_secret: &[u8]) -> Self {
        SettingsLinkKey(hmac_sha256(app_secret, KEY_LABEL))
    }

    /// A token for `account_id` in `mode`, valid until `now +`
    /// [`SETTINGS_LINK_TTL_SECS`]. `account_id` must be URL-safe
    /// (`acct_<hex>`); anything else is `invalid_token`.
    pub fn sign(&self, account_id: &str, mode: KeyMode, now: i64) -> Result<String, Error> {
        let payload = format!("{account_id}-{}", mode.as_str());
        farm_signing::mac::sign_token(&self.0, &payload, now + SETTINGS_LINK_TTL_SECS)
            .map_err(|_| Error::InvalidToken)
    }

    /// The account and mode a token opens at time `now`.
    pub fn verify(&self, token: &str, now: i64) -> Result<LinkSubject, Error> {
        let payload =
            farm_signing::mac::verify_token(&self.0, token, now).map_err(|e| match e {
                farm_signing::Error::TokenExpired => Error::TokenExpired,
                _ => Error::InvalidToken,
            })?;
        let (account_id, mode) = payload.rsplit_once('-').ok_or(Error::InvalidToken)?;
        let mode = KeyMode::parse(mode).map_err(|_| Error::InvalidToken)?;
        if account_id.is_empty() {
            return Err(Error::InvalidToken);
        }
        Ok(LinkSubject {
            account_id: account_id.to_string(),
            mode,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_link_opens_its_account_and_mode_for_24_hours() {
        let key = SettingsLinkKey::derive(b"itok_app_secret");
        let token = key
            .sign("acct_0123abcd", KeyMode::Test, NOW)
            .expect("url-safe");
        let subject = LinkSubject {
            account_id: "acct_0123abcd".into(),
            mode: KeyMode::Test,
        };
        assert_eq!(key.verify(&token, NOW), Ok(subject.clone()));
        // 24 h = 86 400 s: valid one second before, expired at the second.
        assert_eq!(key.verify(&token, NOW + 86_399), Ok(subject));
        assert_eq!(key.verify(&token, NOW + 86_400), Err(Error::TokenExpired));
    }

    #[test]
    fn altered_foreign_and_garbage_tokens_are_invalid() {
        let key = SettingsLinkKey::derive(b"itok_app_secret");
        let token = key.sign("acct_1", KeyMode::Live, NOW).expect("url-safe");
        let other_app = SettingsLinkKey::derive(b"another_secret");
        assert_eq!(other_app.verify(&token, NOW), Err(Error::InvalidToken));
        let other_account = token.replacen("acct_1", "acct_2", 1);
        assert_eq!(key.verify(&other_account, NOW), Err(Error::InvalidToken));
        let to_test = token.replacen("-live", "-test", 1);
        assert_eq!(key.verify(&to_test, NOW), Err(Error::InvalidToken));
        for junk in ["", "abc", "a.b.c", "...", "acct_1-live.9999999999.00"] {
            assert_eq!(key.verify(junk, NOW), Err(Error::InvalidToken), "{junk:?}");
        }
        // An altered *and* old token is invalid, not expired.
        assert_eq!(
            key.verify(&other_account, NOW + 10 * 86_400),
            Err(Error::InvalidToken)
        );
    }

    #[test]
    fn the_key_is_not_the_app_secret_itself() {
        // A token signed directly with the app secret must not verify.
        let direct = farm_signing::mac::sign_token(b"itok_app_secret", "acct_1-live", NOW + 60)
            .expect("url-safe");
        let key = SettingsLinkKey::derive(b"itok_app_secret");
        assert_eq!(key.verify(&direct, NOW), Err(Error::InvalidToken));
        assert_eq!(
            key.sign("acct 1", KeyMode::Live, NOW),
            Err(Error::InvalidToken)
        );
    }
}
