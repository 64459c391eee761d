//! Helpers shared by the payments tests (included with `#[path]`; as a test
//! target of its own it holds no tests).
#![allow(dead_code)]

use farm_tests::{AppBuilder, TestApp};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// The Stripe stand-in (scripts/stripe-standin.py, localstripe behind it):
/// `FARM_STRIPE_API_BASE` as `scripts/services.sh env` exports it.
pub fn stripe_base() -> String {
    std::env::var("FARM_STRIPE_API_BASE")
        .unwrap_or_else(|_| "http://127.0.0.1:12111".into())
        .trim_end_matches('/')
        .to_owned()
}

/// The secret the stand-in signs webhooks with (`FARM_STRIPE_WEBHOOK_SECRET`).
pub fn standin_webhook_secret() -> String {
    std::env::var("FARM_STRIPE_WEBHOOK_SECRET").unwrap_or_else(|_| "whsec_farm_local".into())
}

/// A secret key the stand-in and localstripe accept (any `sk_…`).
pub const STRIPE_KEY: &str = "sk_test_farm_payments_tests";

/// Nothing listens on port 9 (discard) on loopback: a provider base URL that
/// fails if anything tries to reach it.
pub const UNREACHABLE: &str = "http://127.0.0.1:9";

/// The real app with its payment variables and any others.
pub async fn spawn_payments_app(vars: &[(&str, &str)]) -> TestApp {
    let mut b = AppBuilder::farm()
        .variable("stripe_api_base", stripe_base())
        .variable("stripe_secret_key", STRIPE_KEY)
        .variable("stripe_webhook_secrets", standin_webhook_secret());
    for (k, v) in vars {
        b = b.variable(k, *v);
    }
    b.spawn().await
}

/// `hex(HMAC-SHA256(key, message))` with the `hmac` crate.
pub fn hmac_hex(key: &[u8], message: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    mac.update(message);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Stripe's v1 signature of `payload` at `t` (https://docs.stripe.com/webhooks#verify-manually).
pub fn v1(secret: &str, t: i64, payload: &[u8]) -> String {
    let mut message = format!("{t}.").into_bytes();
    message.extend_from_slice(payload);
    hmac_hex(secret.as_bytes(), &message)
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A call to the stand-in's Stripe API (form-encoded, as Stripe takes it).
pub async fn stripe(method: reqwest::Method, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let mut req = client
        .request(method.clone(), format!("{}{path}", stripe_base()))
        .bearer_auth(STRIPE_KEY);
    if method == reqwest::Method::POST {
        let body: String = form
            .iter()
            .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        req = req
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
    }
    let r = req.send().await.expect("stand-in reachable");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Creates a Checkout Session at the stand-in as orders would (one line
/// item, `metadata[order_id]` on the session and its PaymentIntent).
pub async fn checkout_session(order_id: &str, amount_cents: i64) -> Value {
    let amount = amount_cents.to_string();
    let (status, session) = stripe(
        reqwest::Method::POST,
        "/v1/checkout/sessions",
        &[
            ("mode", "payment"),
            ("line_items[0][quantity]", "1"),
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", &amount),
            ("line_items[0][price_data][product_data][name]", "Test part"),
            ("metadata[order_id]", order_id),
            ("payment_intent_data[metadata][order_id]", order_id),
            ("success_url", "http://127.0.0.1/ok"),
            ("cancel_url", "http://127.0.0.1/cancel"),
        ],
    )
    .await;
    assert_eq!(status, 200, "stand-in refused the session: {session}");
    session
}

/// Pays a stand-in session (test-only helper) and has it deliver the signed
/// `checkout.session.completed` to `webhook_url` `deliveries` times.
pub async fn complete_session(session_id: &str, webhook_url: &str, deliveries: u32) -> Value {
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let r = client
        .post(format!(
            "{}/_test/checkout/sessions/{session_id}/complete",
            stripe_base()
        ))
        .json(&json!({"webhook_url": webhook_url, "deliveries": deliveries}))
        .send()
        .await
        .expect("stand-in reachable");
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.expect("json")
}
