//! A provider webhook event (<https://docs.stripe.com/api/events/object>)
//! and the part of it the orders work queue needs.
//!
//! Which event types move an order (PAYMENTS_API.md, the payments/orders
//! seam): `checkout.session.completed`, `payment_intent.succeeded`,
//! `payment_intent.payment_failed`, `charge.refunded`. Their object names the
//! order in `metadata[order_id]` (we set it on the Checkout Session, its
//! PaymentIntent and off-session PaymentIntents; Stripe copies a
//! PaymentIntent's metadata to its charges). Other types are stored and
//! acknowledged only.

use serde::Deserialize;
use serde_json::Value;

/// The event types that are handed to orders.
pub const APPLIED_TYPES: [&str; 4] = [
    "checkout.session.completed",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "charge.refunded",
];

/// The envelope; `object` is kept as JSON since its type depends on `type`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub data: EventData,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EventData {
    pub object: Value,
}

/// Why an event body was refused (400 `invalid_event`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("the body is not a provider event: {0}")]
    NotAnEvent(String),
    #[error("the event id {0:?} is not an evt_ id")]
    BadId(String),
}

/// What orders needs to apply a payment event: the work payload of
/// `apply_payment_event`. Amounts in the smallest currency unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentEvent {
    pub provider_event_id: String,
    pub kind: String,
    pub order_id: String,
    pub payment_intent: Option<String>,
    pub checkout_session: Option<String>,
    pub amount_cents: Option<i64>,
    pub currency: Option<String>,
}

/// Parses an event body (already verified). The id must be `evt_` followed
/// by 1–255 characters of `A-Za-z0-9_`.
pub fn parse(body: &[u8]) -> Result<Event, EventError> {
    let event: Event =
        serde_json::from_slice(body).map_err(|e| EventError::NotAnEvent(e.to_string()))?;
    let well_formed = event.id.len() <= 259
        && event.id.strip_prefix("evt_").is_some_and(|rest| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
    if !well_formed {
        return Err(EventError::BadId(event.id));
    }
    Ok(event)
}

/// The payment event for orders, or `None` when the type is not one of
/// [`APPLIED_TYPES`] or the object names no order.
pub fn payment_event(event: &Event) -> Option<PaymentEvent> {
    let o = &event.data.object;
    let text = |v: &Value| v.as_str().map(str::to_string);
    // An expandable field: an id, or the expanded object with an id.
    let id_of = |v: &Value| text(v).or_else(|| v.get("id").and_then(text));
    let order_id = o.get("metadata")?.get("order_id").and_then(text)?;
    let currency = o.get("currency").and_then(text);
    let (payment_intent, checkout_session, amount) = match event.kind.as_str() {
        "checkout.session.completed" => (
            o.get("payment_intent").and_then(id_of),
            o.get("id").and_then(text),
            o.get("amount_total"),
        ),
        "payment_intent.succeeded" => (o.get("id").and_then(text), None, o.get("amount_received")),
        "payment_intent.payment_failed" => (o.get("id").and_then(text), None, o.get("amount")),
        "charge.refunded" => (
            o.get("payment_intent").and_then(id_of),
            None,
            o.get("amount_refunded"),
        ),
        _ => return None,
    };
    Some(PaymentEvent {
        provider_event_id: event.id.clone(),
        kind: event.kind.clone(),
        order_id,
        payment_intent,
        checkout_session,
        amount_cents: amount.and_then(Value::as_i64),
        currency,
    })
}

impl PaymentEvent {
    /// The `apply_payment_event` work payload, field names as the seam fixes
    /// them: `{"provider_event_id","type","order_id","payment_intent",
    /// "checkout_session","amount_cents","currency"}`.
    pub fn work_payload(&self) -> Value {
        serde_json::json!({
            "provider_event_id": self.provider_event_id,
            "type": self.kind,
            "order_id": self.order_id,
            "payment_intent": self.payment_intent,
            "checkout_session": self.checkout_session,
            "amount_cents": self.amount_cents,
            "currency": self.currency,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, object: Value) -> Event {
        Event {
            id: "evt_1".into(),
            kind: kind.into(),
            data: EventData { object },
        }
    }

    #[test]
    fn a_completed_checkout_session_names_order_session_intent_and_amount() {
        let e = event(
            "checkout.session.completed",
            serde_json::json!({"id": "cs_1", "object": "checkout.session", "payment_intent": "pi_1",
                "amount_total": 4250, "currency": "usd", "metadata": {"order_id": "ord_7"}}),
        );
        let p = payment_event(&e).expect("applied type");
        assert_eq!(p.order_id, "ord_7");
        assert_eq!(p.checkout_session.as_deref(), Some("cs_1"));
        assert_eq!(p.payment_intent.as_deref(), Some("pi_1"));
        assert_eq!(p.amount_cents, Some(4250));
        assert_eq!(
            p.work_payload(),
            serde_json::json!({"provider_event_id": "evt_1", "type": "checkout.session.completed",
                "order_id": "ord_7", "payment_intent": "pi_1", "checkout_session": "cs_1",
                "amount_cents": 4250, "currency": "usd"})
        );
    }

    #[test]
    fn refunds_and_intents_read_their_own_amount_fields() {
        let refunded = event(
            "charge.refunded",
            serde_json::json!({"id": "ch_1", "payment_intent": {"id": "pi_2"}, "amount": 900,
                "amount_refunded": 300, "currency": "usd", "metadata": {"order_id": "ord_2"}}),
        );
        let p = payment_event(&refunded).expect("applied");
        assert_eq!(
            (p.payment_intent.as_deref(), p.amount_cents),
            (Some("pi_2"), Some(300))
        );
        let failed = event(
            "payment_intent.payment_failed",
            serde_json::json!({"id": "pi_3", "amount": 500, "amount_received": 0,
                "currency": "usd", "metadata": {"order_id": "ord_3"}}),
        );
        assert_eq!(
            payment_event(&failed).and_then(|p| p.amount_cents),
            Some(500)
        );
    }

    #[test]
    fn other_types_and_events_without_an_order_are_not_applied() {
        let other = event(
            "customer.created",
            serde_json::json!({"id": "cus_1", "metadata": {"order_id": "ord_1"}}),
        );
        assert_eq!(payment_event(&other), None);
        let no_order = event(
            "payment_intent.succeeded",
            serde_json::json!({"id": "pi_1", "metadata": {}}),
        );
        assert_eq!(payment_event(&no_order), None);
    }

    #[test]
    fn parse_refuses_non_events_and_bad_ids() {
        assert!(matches!(parse(b"[]"), Err(EventError::NotAnEvent(_))));
        assert!(matches!(
            parse(br#"{"id":"evt_1","type":"x"}"#),
            Err(EventError::NotAnEvent(_))
        ));
        let bad = br#"{"id":"nope","type":"x","data":{"object":{}}}"#;
        assert_eq!(parse(bad), Err(EventError::BadId("nope".into())));
        let ok = br#"{"id":"evt_1AbC","type":"x","data":{"object":{}}}"#;
        assert_eq!(parse(ok).map(|e| e.kind), Ok("x".to_string()));
    }
}
