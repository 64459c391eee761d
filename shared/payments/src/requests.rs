//! The bodies of the provider calls the app makes, in Stripe's form encoding
//! (<https://docs.stripe.com/api>): built here, natively tested, sent by
//! `farm-pay-kit` over Spin's outbound HTTP and, in tests, straight to the
//! Stripe stand-in and localstripe.

use crate::form::Form;

/// `POST /v1/customers`: the account's Customer, named by `metadata[account_id]`.
pub fn customer(account_id: &str, email: Option<&str>) -> Form {
    Form::new()
        .field("metadata[account_id]", account_id)
        .field_opt("email", email)
}

/// `POST /v1/setup_intents`: a card saved for charges without the person
/// present (`usage=off_session`).
pub fn setup_intent(customer: &str) -> Form {
    Form::new()
        .field("customer", customer)
        .field("usage", "off_session")
        .field("payment_method_types[]", "card")
}

/// `POST /v1/payment_methods/{pm}/attach`.
pub fn attach(customer: &str) -> Form {
    Form::new().field("customer", customer)
}

/// `POST /v1/customers/{cus}`: the default PaymentMethod.
pub fn default_payment_method(payment_method: &str) -> Form {
    Form::new().field("invoice_settings[default_payment_method]", payment_method)
}

/// A Checkout Session for one order (amounts in cents, currency lowercase
/// ISO 4217 as Stripe writes it).
#[derive(Debug, Clone, Copy)]
pub struct Checkout<'a> {
    pub order_id: &'a str,
    pub amount_cents: i64,
    pub currency: &'a str,
    pub product_name: &'a str,
    pub customer: Option<&'a str>,
    pub success_url: &'a str,
    pub cancel_url: &'a str,
}

/// `POST /v1/checkout/sessions`: `mode=payment`, one line item of quantity 1
/// at `amount_cents` (`price_data`, so no Price object is needed), the order
/// in `metadata[order_id]`, `client_reference_id` and
/// `payment_intent_data[metadata][order_id]` (so the PaymentIntent and its
/// charge name it too).
pub fn checkout_session(c: &Checkout<'_>) -> Form {
    let li = "line_items[0]";
    Form::new()
        .field("mode", "payment")
        .field(format!("{li}[quantity]"), "1")
        .field(format!("{li}[price_data][currency]"), c.currency)
        .field(
            format!("{li}[price_data][unit_amount]"),
            c.amount_cents.to_string(),
        )
        .field(
            format!("{li}[price_data][product_data][name]"),
            c.product_name,
        )
        .field("metadata[order_id]", c.order_id)
        .field("payment_intent_data[metadata][order_id]", c.order_id)
        .field("client_reference_id", c.order_id)
        .field_opt("customer", c.customer)
        .field("success_url", c.success_url)
        .field("cancel_url", c.cancel_url)
}

/// An off-session charge of a saved card for one order.
#[derive(Debug, Clone, Copy)]
pub struct Charge<'a> {
    pub customer: &'a str,
    pub payment_method: &'a str,
    pub amount_cents: i64,
    pub currency: &'a str,
    pub order_id: &'a str,
}

/// `POST /v1/payment_intents`: created and confirmed at once, without the
/// person (`confirm=true`, `off_session=true`).
pub fn off_session_charge(c: &Charge<'_>) -> Form {
    Form::new()
        .field("amount", c.amount_cents.to_string())
        .field("currency", c.currency)
        .field("customer", c.customer)
        .field("payment_method", c.payment_method)
        .field("confirm", "true")
        .field("off_session", "true")
        .field("metadata[order_id]", c.order_id)
}

/// `POST /v1/refunds` of `amount_cents` of a PaymentIntent.
pub fn refund(payment_intent: &str, amount_cents: i64) -> Form {
    Form::new()
        .field("payment_intent", payment_intent)
        .field("amount", amount_cents.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(f: &Form) -> Vec<&str> {
        f.pairs().iter().map(|(k, _)| k.as_str()).collect()
    }

    #[test]
    fn a_checkout_session_names_the_order_three_ways_and_charges_the_quote() {
        let f = checkout_session(&Checkout {
            order_id: "ord_1",
            amount_cents: 4250,
            currency: "usd",
            product_name: "Bracket",
            customer: None,
            success_url: "https://x.test/ok",
            cancel_url: "https://x.test/no",
        });
        let get = |k: &str| {
            f.pairs()
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("mode"), Some("payment"));
        assert_eq!(get("line_items[0][price_data][unit_amount]"), Some("4250"));
        assert_eq!(get("line_items[0][quantity]"), Some("1"));
        assert_eq!(get("metadata[order_id]"), Some("ord_1"));
        assert_eq!(
            get("payment_intent_data[metadata][order_id]"),
            Some("ord_1")
        );
        assert_eq!(get("client_reference_id"), Some("ord_1"));
        assert_eq!(get("customer"), None);
    }

    #[test]
    fn an_off_session_charge_confirms_at_once_without_the_person() {
        let f = off_session_charge(&Charge {
            customer: "cus_1",
            payment_method: "pm_1",
            amount_cents: 900,
            currency: "usd",
            order_id: "ord_2",
        });
        assert_eq!(
            keys(&f),
            [
                "amount",
                "currency",
                "customer",
                "payment_method",
                "confirm",
                "off_session",
                "metadata[order_id]"
            ]
        );
        assert_eq!(
            f.encode(),
            "amount=900&currency=usd&customer=cus_1&payment_method=pm_1&confirm=true&off_session=true&metadata%5Border_id%5D=ord_2"
        );
        assert_eq!(
            refund("pi_1", 300).encode(),
            "payment_intent=pi_1&amount=300"
        );
    }
}
