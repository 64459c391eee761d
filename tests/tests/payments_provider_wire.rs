//! The bodies the app sends the payment provider (`farm_payments::requests`,
//! which `farm-pay-kit` posts) against the test servers it runs on: the
//! Stripe stand-in (Checkout Sessions, Idempotency-Key) and localstripe
//! behind it (Customers, PaymentMethods, off-session PaymentIntents,
//! Refunds). What the orders helper's flows rely on, checked at the wire.

#[path = "payments_common.rs"]
mod common;

use common::{STRIPE_KEY, stripe_base};
use farm_payments::form::Form;
use farm_payments::objects::{self, ProviderFailure};
use farm_payments::requests::{self, Charge, Checkout};
use serde_json::Value;

/// POSTs a form as pay-kit does; (status, body).
async fn post(path: &str, form: &Form, idempotency_key: Option<&str>) -> (u16, Vec<u8>) {
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let body = form.encode();
    let mut req = client
        .post(format!("{}{path}", stripe_base()))
        .bearer_auth(STRIPE_KEY)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("content-length", body.len().to_string())
        .body(body);
    if let Some(k) = idempotency_key {
        req = req.header("idempotency-key", k);
    }
    let r = req.send().await.expect("stand-in reachable");
    (r.status().as_u16(), r.bytes().await.expect("body").to_vec())
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body).expect("json")
}

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

/// A Customer with `pm_card_visa` attached as its default; (cus, pm).
async fn customer_with_card(card: &str) -> (String, String) {
    let (status, body) = post(
        "/v1/customers",
        &requests::customer("acct_wire", None),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let cus = json(&body)["id"].as_str().expect("id").to_string();
    let (status, body) = post(
        &format!("/v1/payment_methods/{card}/attach"),
        &requests::attach(&cus),
        None,
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let pm = json(&body)["id"].as_str().expect("id").to_string();
    let (status, _) = post(
        &format!("/v1/customers/{cus}"),
        &requests::default_payment_method(&pm),
        None,
    )
    .await;
    assert_eq!(status, 200);
    (cus, pm)
}

#[tokio::test]
async fn a_checkout_session_is_created_once_per_idempotency_key() {
    let order = unique("ord_");
    let form = requests::checkout_session(&Checkout {
        order_id: &order,
        amount_cents: 4250,
        currency: "usd",
        product_name: "Bracket, PLA, 1 part",
        customer: None,
        success_url: "http://127.0.0.1:3000/orders/x",
        cancel_url: "http://127.0.0.1:3000/review/x",
    });
    let key = unique("checkout-");
    let (status, first) = post("/v1/checkout/sessions", &form, Some(&key)).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&first));
    let session: objects::CheckoutSession =
        objects::parse_response(status, &first).expect("a Checkout Session");
    assert!(session.id.starts_with("cs_test_") && session.url.contains(&session.id));
    let full = json(&first);
    assert_eq!(full["amount_total"], 4250);
    assert_eq!(full["metadata"]["order_id"], order.as_str());
    assert_eq!(full["client_reference_id"], order.as_str());
    // The same key and body: the same session; another body: refused.
    let (_, again) = post("/v1/checkout/sessions", &form, Some(&key)).await;
    assert_eq!(json(&again)["id"], session.id.as_str());
    let other = requests::refund("pi_x", 1);
    let (status, body) = post("/v1/checkout/sessions", &other, Some(&key)).await;
    assert_eq!(status, 400);
    assert_eq!(json(&body)["error"]["type"], "idempotency_error");
}

#[tokio::test]
async fn an_off_session_charge_succeeds_and_refunds_once_per_key() {
    let (cus, pm) = customer_with_card("pm_card_visa").await;
    let order = unique("ord_");
    let charge = requests::off_session_charge(&Charge {
        customer: &cus,
        payment_method: &pm,
        amount_cents: 9_000,
        currency: "usd",
        order_id: &order,
    });
    let (status, body) = post("/v1/payment_intents", &charge, Some(&unique("charge-"))).await;
    let pi: objects::PaymentIntent = objects::parse_response(status, &body).expect("charged");
    assert_eq!(pi.status, "succeeded");
    assert_eq!(json(&body)["metadata"]["order_id"], order.as_str());

    // A partial refund, retried with its key: one refund.
    let key = unique("refund-");
    let (status, first) = post("/v1/refunds", &requests::refund(&pi.id, 3_000), Some(&key)).await;
    let refund: objects::Refund = objects::parse_response(status, &first).expect("refunded");
    assert_eq!(refund.status, "succeeded");
    let (_, second) = post("/v1/refunds", &requests::refund(&pi.id, 3_000), Some(&key)).await;
    assert_eq!(json(&second)["id"], refund.id.as_str());
    let (status, list) = common::stripe(
        reqwest::Method::GET,
        &format!("/v1/refunds?payment_intent={}", pi.id),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["data"][0]["amount"], 3_000);
}

#[tokio::test]
async fn a_card_declined_off_session_is_a_decline() {
    // localstripe's test card that attaches but fails when charged.
    let (cus, pm) = customer_with_card("pm_card_chargeCustomerFail").await;
    let charge = requests::off_session_charge(&Charge {
        customer: &cus,
        payment_method: &pm,
        amount_cents: 500,
        currency: "usd",
        order_id: "ord_declined",
    });
    let (status, body) = post("/v1/payment_intents", &charge, Some(&unique("charge-"))).await;
    assert_eq!(status, 402, "{}", String::from_utf8_lossy(&body));
    match objects::parse_response::<objects::PaymentIntent>(status, &body) {
        Err(ProviderFailure::Declined { decline_code, .. }) => {
            assert_eq!(decline_code, "card_declined")
        }
        other => panic!("expected a decline, got {other:?}"),
    }
}
