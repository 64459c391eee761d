//! Opaque resource ids with a type prefix: `acct_`, `key_`, `file_`, ...
//!
//! The body is 32 lowercase hex characters (128 random bits), so ids are
//! unguessable and can double as public tracking ids.

use crate::api_key::to_hex;

/// Random bytes in an id's body.
pub const ID_RANDOM_BYTES: usize = 16;

/// The kinds of resource that have ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Account,
    ApiKey,
    File,
    Quote,
    Job,
    Order,
    Event,
    Printer,
    /// Email verifications (`ver_`), see [`crate::verification`].
    Verification,
    /// Mails in the outbox (`mail_`).
    Mail,
    /// Request ids (`req_`), generated when the caller sends none.
    Request,
    /// Webhook endpoints (`we_`, Stripe's prefix).
    WebhookEndpoint,
    /// Webhook deliveries: one event to one endpoint (`whdel_`).
    WebhookDelivery,
    /// Part generations (`gen_`, issue 14).
    Generation,
    /// Design conversations (`conv_`).
    Conversation,
}

impl IdKind {
    pub fn prefix(self) -> &'static str {
        match self {
            IdKind::Account => "acct_",
            IdKind::ApiKey => "key_",
            IdKind::File => "file_",
            IdKind::Quote => "quote_",
            IdKind::Job => "job_",
            IdKind::Order => "ord_",
            IdKind::Event => "evt_",
            IdKind::Printer => "prn_",
            IdKind::Verification => "ver_",
            IdKind::Mail => "mail_",
            IdKind::Request => "req_",
            IdKind::WebhookEndpoint => "we_",
            IdKind::WebhookDelivery => "whdel_",
            IdKind::Generation => "gen_",
            IdKind::Conversation => "conv_",
        }
    }

    /// Formats a new id from random bytes supplied by the caller.
    pub fn format(self, random: [u8; ID_RANDOM_BYTES]) -> String {
        format!("{}{}", self.prefix(), to_hex(&random))
    }

    /// True when `s` has this kind's prefix and a well-formed body. Use it to
    /// answer a malformed id with the same `*_not_found` as an unknown one
    /// without a database round trip.
    pub fn is_valid(self, s: &str) -> bool {
        s.strip_prefix(self.prefix()).is_some_and(|body| {
            body.len() == ID_RANDOM_BYTES * 2
                && body
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatted_ids_validate_only_for_their_kind() {
        let id = IdKind::File.format([0xab; ID_RANDOM_BYTES]);
        assert_eq!(id, format!("file_{}", "ab".repeat(16)));
        assert!(IdKind::File.is_valid(&id));
        assert!(!IdKind::Quote.is_valid(&id));
        assert!(!IdKind::File.is_valid("file_abc"));
        assert!(!IdKind::File.is_valid(&id.to_uppercase()));
    }
}
