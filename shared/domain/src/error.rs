//! The one domain error enum.
//!
//! Every rule the domain (and the crates built on it) can refuse is a variant
//! here, with structured fields a caller can act on. The mapping to an HTTP
//! status and a stable error code lives only in `farm-platform`
//! (`ApiError::from(Error)`); this crate knows nothing of HTTP.

use crate::scope::Scope;

/// Result with the domain error as default.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A resource kind, for "not found" errors: `file_not_found`, `quote_not_found`, ...
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Account,
    ApiKey,
    File,
    Quote,
    Job,
    Order,
    Printer,
    WebhookEndpoint,
    Event,
}

impl Resource {
    /// The lowercase noun used in error codes (`key` gives `key_not_found`).
    pub fn noun(self) -> &'static str {
        match self {
            Resource::Account => "account",
            Resource::ApiKey => "key",
            Resource::File => "file",
            Resource::Quote => "quote",
            Resource::Job => "job",
            Resource::Order => "order",
            Resource::Printer => "printer",
            Resource::WebhookEndpoint => "webhook_endpoint",
            Resource::Event => "event",
        }
    }
}

/// One invalid input field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name as the caller sent it (`email`, `scopes[2]`).
    pub field: String,
    /// What is wrong, in words a person or a program can act on.
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Everything the domain refuses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// One or more input fields are invalid.
    #[error("invalid input: {}", describe_fields(.0))]
    InvalidFields(Vec<FieldError>),

    /// The API key is missing, malformed, unknown or revoked. Deliberately one
    /// variant: a caller must not learn which of these it was.
    #[error("invalid API key")]
    InvalidApiKey,

    /// The key is valid but lacks the scope the endpoint requires.
    #[error("the API key lacks the `{required}` scope")]
    InsufficientScope { required: Scope },

    /// A test-mode key tried to do something only a live key may do.
    #[error("a {key_mode} key cannot {action}")]
    ModeNotAllowed {
        key_mode: &'static str,
        action: &'static str,
    },

    /// The resource does not exist *for this account* (another account's
    /// resource is reported exactly like a missing one).
    #[error("{} not found", .0.noun())]
    NotFound(Resource),

    /// The account already has the maximum number of active keys.
    #[error("the account already has {limit} active API keys")]
    KeyLimitReached { limit: u32 },

    /// The material id is not in the catalog.
    #[error("unknown material `{id}`")]
    UnknownMaterial { id: String },

    /// The file exists but its analysis is not complete (or failed).
    #[error("file is not ready (status `{status}`)")]
    FileNotReady { status: String },

    /// The quote exists but has expired.
    #[error("quote expired")]
    QuoteExpired,

    /// Required shipping address fields are absent.
    #[error("missing shipping fields: {}", .fields.join(", "))]
    MissingShippingFields { fields: Vec<String> },

    /// The autonomous-order policy refused the order.
    #[error("autonomous order not allowed: {reason}")]
    AutonomousNotAllowed { reason: String },

    /// A signed token or link is malformed or its signature does not verify.
    #[error("invalid token")]
    InvalidToken,

    /// A signed token or link has expired.
    #[error("token expired")]
    TokenExpired,

    /// The object in the store is not the file that was declared at presign:
    /// its size or its sniffed format (`stl-binary`, `stl-ascii`, `obj`,
    /// `3mf`, or `unknown`) differs. The file cannot become valid (the stored
    /// object is write-once), so it is failed and must be presigned again.
    #[error(
        "the stored upload is {found_format}, {found_bytes} bytes; {expected_format}, {expected_bytes} bytes was declared"
    )]
    UploadMismatch {
        expected_format: String,
        expected_bytes: u64,
        found_format: String,
        found_bytes: u64,
    },

    /// A presented email verification code is refused (see
    /// [`crate::verification::judge`]).
    #[error("verification refused: {0:?}")]
    VerificationRefused(crate::verification::Refusal),

    /// A state transition that the current state does not allow.
    #[error("conflict: {reason}")]
    Conflict { code: &'static str, reason: String },
}

impl Error {
    /// Shorthand for a single invalid field.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidFields(vec![FieldError::new(field, reason)])
    }
}

fn describe_fields(fields: &[FieldError]) -> String {
    fields
        .iter()
        .map(|f| format!("{}: {}", f.field, f.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_fields_message_names_every_field() {
        let e = Error::InvalidFields(vec![
            FieldError::new("email", "must contain @"),
            FieldError::new("name", "must not be empty"),
        ]);
        assert_eq!(
            e.to_string(),
            "invalid input: email: must contain @; name: must not be empty"
        );
    }

    #[test]
    fn not_found_uses_the_resource_noun() {
        assert_eq!(
            Error::NotFound(Resource::ApiKey).to_string(),
            "key not found"
        );
        assert_eq!(Resource::File.noun(), "file");
    }
}
