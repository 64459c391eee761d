//! Account identity: the email address and display name given to `connect`.

use crate::error::{Error, FieldError};

/// Maximum length of an email address (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;
/// Maximum length of an account name, in characters.
pub const MAX_ACCOUNT_NAME_CHARS: usize = 100;

/// A syntactically plausible email address, trimmed and lowercased (accounts
/// are found by email, so `Ann@X.io` and `ann@x.io` are the same account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Deliberately modest: one `@`, a non-empty local part, a dotted domain
    /// of letters, digits and hyphens, no whitespace. Whether the mailbox
    /// exists is not ours to check here.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let email = raw.trim().to_ascii_lowercase();
        let bad = |reason: &str| Err(FieldError::new("email", reason));
        if email.is_empty() {
            return bad("must not be empty");
        }
        if email.len() > MAX_EMAIL_LEN {
            return bad("must be at most 254 characters");
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return bad("must not contain whitespace");
        }
        let Some((local, domain)) = email.split_once('@') else {
            return bad("must contain an @");
        };
        if domain.contains('@') {
            return bad("must contain exactly one @");
        }
        if local.is_empty() || local.len() > 64 {
            return bad("the part before @ must be 1 to 64 characters");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let labels_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !labels_ok {
            return bad("the domain must look like example.com");
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The account's display name (an agent or team name).
pub fn parse_account_name(raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(FieldError::new("name", "must not be empty"));
    }
    if name.chars().count() > MAX_ACCOUNT_NAME_CHARS {
        return Err(FieldError::new("name", "must be at most 100 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(FieldError::new(
            "name",
            "must not contain control characters",
        ));
    }
    Ok(name.to_string())
}

/// Validates both connect fields at once, so the caller hears about every
/// problem in one response.
pub fn parse_connect(email: &str, name: &str) -> Result<(Email, String), Error> {
    match (Email::parse(email), parse_account_name(name)) {
        (Ok(e), Ok(n)) => Ok((e, n)),
        (e, n) => Err(Error::InvalidFields(
            e.err().into_iter().chain(n.err()).collect(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_normalises_case() {
        assert_eq!(
            Email::parse(" Ann.Lee+farm@Example.co.uk ").map(|e| e.0),
            Ok("ann.lee+farm@example.co.uk".into())
        );
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "",
            "ann",
            "ann@",
            "@x.io",
            "ann@x",
            "a@b@x.io",
            "ann@x..io",
            "an n@x.io",
            "ann@-x.io",
            "ann@x_y.io",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@x.io", "a".repeat(65))).is_err());
    }

    #[test]
    fn connect_reports_every_bad_field() {
        match parse_connect("nope", " ") {
            Err(Error::InvalidFields(f)) => {
                assert_eq!(
                    f.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
                    ["email", "name"]
                );
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(parse_connect("a@b.io", "my-agent").is_ok());
    }
}
