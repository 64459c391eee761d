//! Proof of control of an email address, asked for when `POST /v1/connect`
//! names an email that already has an account: the code sent to that
//! address, how it is derived and stored, and when a presented code is
//! refused.
//!
//! # How a code lives
//!
//! - `connect` creates a verification (`ver_<32 hex>`, 128 random bits) and a
//!   mail in the outbox, in one transaction. The code is never stored: it is
//!   derived as `HMAC-SHA256(key, "code" ‖ verification_id)` reduced to
//!   [`CODE_DIGITS`] decimal digits, where `key` comes from the app's secret
//!   ([`VerificationKey::derive`]). The row holds only
//!   `HMAC-SHA256(key, "hash" ‖ verification_id ‖ code)` ([`VerificationKey::code_hash`]).
//!   A six-digit code has only 10^6 values, so a bare SHA-256 of it could be
//!   reversed from a leaked row in milliseconds; the keyed hash cannot be
//!   without the app's secret.
//! - The mailer, which runs later (possibly after a restart), derives the
//!   same code from the verification id to write the mail; the outbox row
//!   therefore holds no code either.
//! - `POST /v1/connect/verify` counts the attempt first, then compares the
//!   presented code's hash with the stored one in constant time and decides
//!   with [`judge`]. Only the newest verification of an email counts.

use crate::api_key::to_hex;
use crate::rate_limit::FixedWindow;
use farm_signing::{constant_time_eq, hmac_sha256};
use std::fmt;

/// Digits in a code. NIST SP 800-63B §5.1.3.2 (out-of-band authenticators):
/// at least 6 decimal digits.
pub const CODE_DIGITS: usize = 6;
/// 10^[`CODE_DIGITS`]: the number of possible codes.
pub const CODE_SPACE: u64 = 1_000_000;
/// How long a code is valid, in seconds. NIST SP 800-63B §5.1.3.2: an
/// out-of-band secret is accepted for at most 10 minutes.
pub const CODE_TTL_SECS: i64 = 600;
/// Attempts per code, the right one included; the code is locked after that
/// many wrong ones. With [`SENDS_PER_EMAIL_PER_HOUR`] codes an hour, an
/// attacker gets at most 5 × 5 = 25 guesses an hour at 1 in 10^6 each
/// (NIST SP 800-63B §5.2.2 allows up to 100 consecutive failures).
pub const MAX_ATTEMPTS: u32 = 5;
/// `connect` requests per email per hour (each one for an existing account
/// sends one mail, so this also bounds the mails an address receives).
pub const SENDS_PER_EMAIL_PER_HOUR: u32 = 5;
/// `connect` and `connect/verify` requests per client address per hour: a
/// script cannot mint accounts or lock codes faster than this. Our choice:
/// above what one person or one agent needs (one connect, one verify), low
/// enough that a single address cannot fill the accounts table.
pub const CONNECTS_PER_ADDRESS_PER_HOUR: u32 = 30;

/// The per-email window (fixed, one hour).
pub fn email_window() -> FixedWindow {
    FixedWindow {
        limit: SENDS_PER_EMAIL_PER_HOUR,
        window_secs: 3600,
    }
}

/// The per-client-address window (fixed, one hour).
pub fn address_window() -> FixedWindow {
    FixedWindow {
        limit: CONNECTS_PER_ADDRESS_PER_HOUR,
        window_secs: 3600,
    }
}

/// A code as sent and as typed: exactly [`CODE_DIGITS`] ASCII digits.
/// `Debug` does not print it.
#[derive(Clone, PartialEq, Eq)]
pub struct VerificationCode(String);

impl fmt::Debug for VerificationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerificationCode(******)")
    }
}

impl VerificationCode {
    /// Parses a presented code. Spaces and hyphens are ignored (people copy
    /// `123 456` or `123-456`); anything else must be digits, exactly
    /// [`CODE_DIGITS`] of them. `None` when malformed.
    pub fn parse(raw: &str) -> Option<Self> {
        let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        (digits.len() == CODE_DIGITS && digits.bytes().all(|b| b.is_ascii_digit()))
            .then_some(VerificationCode(digits))
    }

    /// The digits, for the one mail that carries them.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The key codes are derived and hashed with. Derived from the app's secret
/// (Spin variable `internal_token`) with a label, so the secret itself never
/// keys anything else's hashes.
#[derive(Clone)]
pub struct VerificationKey([u8; 32]);

impl fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerificationKey(..)")
    }
}

/// Domain-separation label for [`VerificationKey::derive`].
const KEY_LABEL: &[u8] = b"farm-api/email-verification/v1";

impl VerificationKey {
    /// `HMAC-SHA256(app_secret, label)`.
    pub fn derive(app_secret: &[u8]) -> Self {
        VerificationKey(hmac_sha256(app_secret, KEY_LABEL))
    }

    /// The code for a verification: the first 8 bytes of
    /// `HMAC(key, "code\0" ‖ id)` as a big-endian integer, modulo 10^6,
    /// zero-padded. The modulo bias is below 10^6 / 2^64 ≈ 5·10^-14.
    pub fn code_for(&self, verification_id: &str) -> VerificationCode {
        let mac = hmac_sha256(&self.0, &[b"code\0", verification_id.as_bytes()].concat());
        let mut first = [0u8; 8];
        first.copy_from_slice(&mac[..8]);
        let n = u64::from_be_bytes(first) % CODE_SPACE;
        VerificationCode(format!("{n:0width$}", width = CODE_DIGITS))
    }

    /// What the row stores: hex `HMAC(key, "hash\0" ‖ id ‖ "\0" ‖ code)`.
    pub fn code_hash(&self, verification_id: &str, code: &VerificationCode) -> String {
        let message = [
            b"hash\0".as_slice(),
            verification_id.as_bytes(),
            b"\0",
            code.0.as_bytes(),
        ]
        .concat();
        to_hex(&hmac_sha256(&self.0, &message))
    }

    /// Whether `presented` is the code whose hash is `stored`, compared in
    /// constant time.
    pub fn matches(
        &self,
        verification_id: &str,
        presented: &VerificationCode,
        stored: &str,
    ) -> bool {
        let hash = self.code_hash(verification_id, presented);
        constant_time_eq(hash.as_bytes(), stored.as_bytes())
    }
}

/// A stored verification as `verify` sees it, after counting this attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptState {
    /// Attempts so far, this one included.
    pub attempts: u32,
    /// Unix seconds after which the code is refused.
    pub expires_at: i64,
    /// The code was already exchanged for a key.
    pub consumed: bool,
}

/// Why a presented code is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Already exchanged for a key: codes are single-use.
    Used,
    /// Past its [`CODE_TTL_SECS`].
    Expired,
    /// [`MAX_ATTEMPTS`] attempts were used up before this one.
    Locked,
    /// Wrong code; `attempts_remaining` more are allowed (0: now locked).
    Wrong { attempts_remaining: u32 },
    /// No code was ever sent to this email.
    NotRequested,
}

impl Refusal {
    /// The stable error code (`verification_code_invalid`, ...).
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Used => "verification_code_used",
            Refusal::Expired => "verification_code_expired",
            Refusal::Locked => "verification_code_locked",
            Refusal::Wrong { .. } => "verification_code_invalid",
            Refusal::NotRequested => "verification_not_requested",
        }
    }

    /// What the caller does next: try again with the right code while
    /// attempts remain, else ask for a new code with `POST /v1/connect`.
    pub fn next_action(self) -> &'static str {
        match self {
            Refusal::Wrong {
                attempts_remaining: 1..,
            } => "verify_email",
            _ => "connect",
        }
    }

    /// One sentence for the error message.
    pub fn explain(self) -> String {
        match self {
            Refusal::Used => {
                "This code was already used; request a new one with POST /v1/connect.".into()
            }
            Refusal::Expired => format!(
                "This code has expired (codes last {} minutes); request a new one with POST /v1/connect.",
                CODE_TTL_SECS / 60
            ),
            Refusal::Locked => format!(
                "Too many wrong codes ({MAX_ATTEMPTS}); this code is locked. Request a new one with POST /v1/connect."
            ),
            Refusal::Wrong {
                attempts_remaining: 0,
            } => "Wrong code; no attempts remain. Request a new one with POST /v1/connect.".into(),
            Refusal::Wrong { attempts_remaining } => {
                format!("Wrong code; {attempts_remaining} attempts remain.")
            }
            Refusal::NotRequested => {
                "No code was sent to this email; request one with POST /v1/connect.".into()
            }
        }
    }
}

/// Decides one attempt. Order matters: a used, expired or locked code is
/// refused whatever was presented, so those answers reveal nothing about
/// the code.
pub fn judge(state: AttemptState, now: i64, code_matches: bool) -> Result<(), Refusal> {
    if state.consumed {
        return Err(Refusal::Used);
    }
    if now >= state.expires_at {
        return Err(Refusal::Expired);
    }
    if state.attempts > MAX_ATTEMPTS {
        return Err(Refusal::Locked);
    }
    if !code_matches {
        return Err(Refusal::Wrong {
            attempts_remaining: MAX_ATTEMPTS - state.attempts,
        });
    }
    Ok(())
}

/// A mail's subject and plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailText {
    pub subject: String,
    pub text: String,
}

/// The mail that carries a code. `verify_link` is the browser page for the
/// code (`GET /v1/connect/verify?email=…&code=…`, which exchanges nothing
/// until the person presses its button). Lines stay under 78 characters
/// (RFC 5322 §2.1.1) except the link, which must not be broken.
pub fn verification_mail(code: &VerificationCode, email: &str, verify_link: &str) -> MailText {
    let minutes = CODE_TTL_SECS / 60;
    MailText {
        subject: format!("Farm API: your verification code {}", code.0),
        text: format!(
            "Someone asked for a new API key for the Farm API account of\n\
             {email}.\n\
             \n\
             Your verification code: {code}\n\
             \n\
             It works once, for {minutes} minutes. Give it only to the agent or\n\
             program you asked for a key; it sends it to POST /v1/connect/verify.\n\
             Or open this page to get the key in your browser:\n\
             {verify_link}\n\
             \n\
             If you did not ask for a key, ignore this mail: nothing changes\n\
             without the code.\n",
            code = code.0
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> VerificationKey {
        VerificationKey::derive(b"test secret")
    }

    #[test]
    fn codes_are_six_digits_and_depend_on_the_key_and_the_id() {
        let k = key();
        let a = k.code_for("ver_00000000000000000000000000000001");
        assert_eq!(a.expose().len(), 6);
        assert!(a.expose().bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(k.code_for("ver_00000000000000000000000000000001"), a);
        // Over 200 ids, codes spread: a constant or near-constant derivation
        // would collide far more (expected collisions ≈ 200²/2/10^6 ≈ 0.02).
        let codes: std::collections::HashSet<String> = (0..200)
            .map(|i| k.code_for(&format!("ver_{i:032x}")).0)
            .collect();
        assert!(codes.len() >= 198, "{}", codes.len());
        let other = VerificationKey::derive(b"another secret");
        let differ = (0..20)
            .filter(|i| {
                let id = format!("ver_{i:032x}");
                other.code_for(&id) != k.code_for(&id)
            })
            .count();
        assert!(differ >= 19);
    }

    #[test]
    fn the_code_is_the_hmac_reduced_modulo_a_million() {
        // Recomputed here from the definition, independently of code_for.
        let secret = b"s";
        let derived = hmac_sha256(secret, b"farm-api/email-verification/v1");
        let mac = hmac_sha256(&derived, b"code\0ver_x");
        let n = u64::from_be_bytes(mac[..8].try_into().expect("8 bytes")) % 1_000_000;
        assert_eq!(
            VerificationKey::derive(secret).code_for("ver_x").expose(),
            format!("{n:06}")
        );
    }

    #[test]
    fn the_stored_hash_matches_only_its_code_and_id() {
        let k = key();
        let id = "ver_1";
        let code = k.code_for(id);
        let stored = k.code_hash(id, &code);
        assert_eq!(stored.len(), 64);
        assert!(k.matches(id, &code, &stored));
        let wrong = VerificationCode::parse(if code.expose() == "000000" {
            "000001"
        } else {
            "000000"
        })
        .expect("six digits");
        assert!(!k.matches(id, &wrong, &stored));
        assert!(!k.matches("ver_2", &code, &stored));
        assert!(!VerificationKey::derive(b"x").matches(id, &code, &stored));
    }

    #[test]
    fn presented_codes_parse_with_spaces_and_hyphens_only() {
        assert_eq!(
            VerificationCode::parse(" 123 456 ").map(|c| c.0),
            Some("123456".into())
        );
        assert_eq!(
            VerificationCode::parse("123-456").map(|c| c.0),
            Some("123456".into())
        );
        for bad in ["", "12345", "1234567", "12345a", "１２３４５６", "123.456"] {
            assert!(VerificationCode::parse(bad).is_none(), "{bad:?}");
        }
        assert!(!format!("{:?}", VerificationCode::parse("123456")).contains("123456"));
    }

    #[test]
    fn judge_refuses_used_expired_and_locked_codes_whatever_is_presented() {
        let fresh = AttemptState {
            attempts: 1,
            expires_at: 1_000,
            consumed: false,
        };
        assert_eq!(judge(fresh, 999, true), Ok(()));
        assert_eq!(
            judge(fresh, 999, false),
            Err(Refusal::Wrong {
                attempts_remaining: 4
            })
        );
        assert_eq!(judge(fresh, 1_000, true), Err(Refusal::Expired));
        let used = AttemptState {
            consumed: true,
            ..fresh
        };
        assert_eq!(judge(used, 10, true), Err(Refusal::Used));
        let fifth = AttemptState {
            attempts: 5,
            ..fresh
        };
        assert_eq!(judge(fifth, 10, true), Ok(()));
        assert_eq!(
            judge(fifth, 10, false),
            Err(Refusal::Wrong {
                attempts_remaining: 0
            })
        );
        let sixth = AttemptState {
            attempts: 6,
            ..fresh
        };
        assert_eq!(judge(sixth, 10, true), Err(Refusal::Locked));
    }

    #[test]
    fn the_mail_carries_the_code_the_link_and_the_expiry() {
        let code = VerificationCode::parse("042917").expect("code");
        let link = "https://api.example.com/v1/connect/verify?email=a%40b.io&code=042917";
        let mail = verification_mail(&code, "a@b.io", link);
        assert!(mail.subject.contains("042917"));
        assert!(mail.text.contains("Your verification code: 042917\n"));
        assert!(mail.text.contains(&format!("\n{link}\n")));
        assert!(mail.text.contains("for 10 minutes"));
        assert!(mail.text.contains("a@b.io"));
        for line in mail.text.lines().filter(|l| *l != link) {
            assert!(line.len() <= 78, "{line:?}");
        }
    }
}
