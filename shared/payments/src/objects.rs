//! The provider objects we read back, and its error body
//! (<https://docs.stripe.com/api/errors>). Only the fields we use are
//! declared; unknown fields are ignored, as Stripe adds fields without a new
//! API version.

use serde::Deserialize;
use serde::de::DeserializeOwned;

/// `customer` (`cus_…`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Customer {
    pub id: String,
}

/// `payment_method` (`pm_…`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PaymentMethod {
    pub id: String,
}

/// `setup_intent` (`seti_…`): `client_secret` completes the card setup in the
/// browser (Stripe.js); `status` is Stripe's (`requires_payment_method`, …).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SetupIntent {
    pub id: String,
    pub client_secret: String,
    pub status: String,
}

/// `checkout.session` (`cs_…`): `url` is the hosted page the person opens.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckoutSession {
    pub id: String,
    pub url: String,
}

/// `payment_intent` (`pi_…`); `status` is Stripe's (`succeeded`,
/// `requires_action`, `processing`, …).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PaymentIntent {
    pub id: String,
    pub status: String,
}

/// `refund` (`re_…`); `status`: `succeeded`, `pending`, `failed`, …
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Refund {
    pub id: String,
    pub status: String,
}

/// The `error` object of a non-2xx answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ErrorObject {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub decline_code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub param: Option<String>,
    /// On a failed off-session charge, the PaymentIntent it left behind.
    #[serde(default)]
    pub payment_intent: Option<PaymentIntent>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorObject,
}

/// What went wrong with a provider call, in the terms callers act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderFailure {
    /// The card was declined (HTTP 402 or `type: card_error`):
    /// `decline_code` is Stripe's (`insufficient_funds`, …) when given, else
    /// its `code` (`card_declined`, `authentication_required`, …).
    #[error("card declined: {decline_code} ({message})")]
    Declined {
        decline_code: String,
        message: String,
        payment_intent: Option<String>,
    },
    /// Not reachable, rate limited (429), or failing (5xx): try again later.
    #[error("provider unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the request (other 4xx): `code` and `param` as it
    /// sent them (`resource_missing` / `payment_method`, …).
    #[error("provider refused the request ({status} {code}): {message}")]
    Rejected {
        status: u16,
        code: String,
        param: Option<String>,
        message: String,
    },
    /// A 2xx whose body is not the object we asked for.
    #[error("unexpected provider answer: {0}")]
    Malformed(String),
}

/// Reads an answer: a 2xx body as `T`, anything else as a [`ProviderFailure`].
pub fn parse_response<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T, ProviderFailure> {
    if (200..300).contains(&status) {
        return serde_json::from_slice(body).map_err(|e| ProviderFailure::Malformed(e.to_string()));
    }
    Err(classify_error(status, body))
}

/// Classifies a non-2xx answer from its status and error body.
pub fn classify_error(status: u16, body: &[u8]) -> ProviderFailure {
    let error = serde_json::from_slice::<ErrorBody>(body)
        .map(|b| b.error)
        .unwrap_or_default();
    let message = error
        .message
        .clone()
        .unwrap_or_else(|| format!("HTTP {status}"));
    if status == 429 || status >= 500 {
        return ProviderFailure::Unavailable(format!("HTTP {status}: {message}"));
    }
    if status == 402 || error.kind.as_deref() == Some("card_error") {
        let decline_code = error
            .decline_code
            .or(error.code)
            .unwrap_or_else(|| "card_declined".to_string());
        return ProviderFailure::Declined {
            decline_code,
            message,
            payment_intent: error.payment_intent.map(|pi| pi.id),
        };
    }
    ProviderFailure::Rejected {
        status,
        code: error
            .code
            .or(error.kind)
            .unwrap_or_else(|| "unknown".to_string()),
        param: error.param,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_2xx_parses_the_object_and_ignores_extra_fields() {
        let body = br#"{"id":"seti_1","object":"setup_intent","client_secret":"seti_1_secret_x","status":"requires_payment_method","usage":"off_session"}"#;
        let si: SetupIntent = parse_response(200, body).expect("parses");
        assert_eq!(si.id, "seti_1");
        assert_eq!(si.client_secret, "seti_1_secret_x");
        assert_eq!(si.status, "requires_payment_method");
        assert!(matches!(
            parse_response::<Customer>(200, b"{}"),
            Err(ProviderFailure::Malformed(_))
        ));
    }

    #[test]
    fn a_card_error_is_a_decline_with_its_decline_code() {
        // Stripe's documented shape for a declined off-session charge.
        let body = br#"{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds.","payment_intent":{"id":"pi_9","status":"requires_payment_method"}}}"#;
        assert_eq!(
            classify_error(402, body),
            ProviderFailure::Declined {
                decline_code: "insufficient_funds".into(),
                message: "Your card has insufficient funds.".into(),
                payment_intent: Some("pi_9".into()),
            }
        );
        let no_decline_code =
            br#"{"error":{"type":"card_error","code":"authentication_required","message":"3DS"}}"#;
        assert!(matches!(
            classify_error(402, no_decline_code),
            ProviderFailure::Declined { decline_code, .. } if decline_code == "authentication_required"
        ));
    }

    #[test]
    fn server_errors_and_rate_limits_are_unavailable_and_other_4xx_rejected() {
        assert!(matches!(
            classify_error(503, b"oops"),
            ProviderFailure::Unavailable(_)
        ));
        assert!(matches!(
            classify_error(429, b"{}"),
            ProviderFailure::Unavailable(_)
        ));
        let missing = br#"{"error":{"type":"invalid_request_error","code":"resource_missing","param":"payment_method","message":"No such PaymentMethod: 'pm_x'"}}"#;
        assert_eq!(
            classify_error(404, missing),
            ProviderFailure::Rejected {
                status: 404,
                code: "resource_missing".into(),
                param: Some("payment_method".into()),
                message: "No such PaymentMethod: 'pm_x'".into(),
            }
        );
    }
}
