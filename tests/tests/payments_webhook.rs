//! `POST /v1/payments/webhook` over HTTP against the real host (issue 10,
//! Done-when "Provider webhooks"): a bad signature, a timestamp 301 s old or
//! ahead, a body re-serialised after signing, a malformed header and a replay
//! each change nothing; a valid event delivered three times is stored and
//! handed to orders once; two v1 values, one from a rotated-out secret, in
//! either order, verify. Requests are signed here with the `hmac` crate, and
//! by the Stripe stand-in (Python's `hmac`), never by the app's code.

#[path = "payments_common.rs"]
mod common;

use common::*;
use farm_tests::TestApp;
use serde_json::{Value, json};
use std::time::Duration;

const HOOK: &str = "/v1/payments/webhook";
const SECRET: &str = "whsec_current_for_tests";
const OLD_SECRET: &str = "whsec_rotated_out";

async fn app() -> TestApp {
    spawn_payments_app(&[("stripe_webhook_secrets", SECRET)]).await
}

fn event(id: &str, kind: &str, order_id: &str) -> Vec<u8> {
    // Compact JSON, exactly the bytes that are signed and sent.
    serde_json::to_vec(&json!({
        "id": id, "object": "event", "type": kind, "created": unix_now(), "livemode": false,
        "data": {"object": {"id": "cs_test_abc", "object": "checkout.session",
            "payment_intent": "pi_abc", "amount_total": 4250, "currency": "usd",
            "metadata": {"order_id": order_id}}}
    }))
    .expect("json")
}

async fn deliver(app: &TestApp, body: &[u8], signature: Option<&str>) -> (u16, Value) {
    let mut req = app
        .request(reqwest::Method::POST, HOOK)
        .header("content-type", "application/json; charset=utf-8")
        .body(body.to_vec());
    if let Some(sig) = signature {
        req = req.header("stripe-signature", sig);
    }
    let r = req.send().await.expect("send");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn stored(app: &TestApp) -> (i64, i64) {
    (
        app.count_rows("provider_events").await,
        app.scalar(
            "select count(*) from background_jobs where kind = 'apply_payment_event'",
            &[],
        )
        .await,
    )
}

/// Waits until the current second has just begun, so a request sent now
/// arrives within the same second the test read (the ±301 s cases sit one
/// second outside the tolerance).
async fn start_of_a_second() {
    loop {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        if nanos < 150_000_000 {
            return;
        }
        tokio::time::sleep(Duration::from_nanos(
            u64::from(1_000_000_000 - nanos) + 1_000_000,
        ))
        .await;
    }
}

#[tokio::test]
async fn a_valid_event_delivered_three_times_is_stored_and_enqueued_once() {
    let app = app().await;
    let body = event("evt_three_times", "checkout.session.completed", "ord_1");
    let mut duplicates = Vec::new();
    for _ in 0..3 {
        let t = unix_now();
        let sig = format!("t={t},v1={}", v1(SECRET, t, &body));
        let (status, answer) = deliver(&app, &body, Some(&sig)).await;
        assert_eq!(status, 200, "{answer}");
        duplicates.push(answer["duplicate"].as_bool().expect("duplicate flag"));
    }
    assert_eq!(duplicates, [false, true, true]);
    assert_eq!(stored(&app).await, (1, 1));
    let payload: Value = app
        .scalar(
            "select payload from background_jobs where kind = 'apply_payment_event'",
            &[],
        )
        .await;
    assert_eq!(
        payload,
        json!({"provider_event_id": "evt_three_times", "type": "checkout.session.completed",
               "order_id": "ord_1", "payment_intent": "pi_abc", "checkout_session": "cs_test_abc",
               "amount_cents": 4250, "currency": "usd"})
    );
    let dedupe: String = app
        .scalar("select dedupe_key from background_jobs", &[])
        .await;
    assert_eq!(dedupe, "evt_three_times");
}

#[tokio::test]
async fn bad_signatures_old_or_future_stamps_and_reserialised_bodies_change_nothing() {
    let app = app().await;
    let body = event("evt_refused", "checkout.session.completed", "ord_2");
    // Warm the component so the timing-sensitive requests are not the first.
    let (status, _) = deliver(&app, b"{}", Some("t=1,v1=00")).await;
    assert_eq!(status, 400);

    let t = unix_now();
    let good = v1(SECRET, t, &body);
    let mut wrong = good.clone();
    wrong.replace_range(0..2, if &good[0..2] == "00" { "11" } else { "00" });
    let cases: Vec<(&str, String, Vec<u8>, &str)> = vec![
        (
            "bad signature",
            format!("t={t},v1={wrong}"),
            body.clone(),
            "signature_mismatch",
        ),
        (
            "another secret",
            format!("t={t},v1={}", v1("whsec_attacker", t, &body)),
            body.clone(),
            "signature_mismatch",
        ),
        (
            "re-serialised body",
            format!("t={t},v1={good}"),
            serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(&body).expect("json"))
                .expect("json"),
            "signature_mismatch",
        ),
        (
            "no header",
            String::new(),
            body.clone(),
            "signature_malformed",
        ),
        (
            "garbage header",
            "garbage".into(),
            body.clone(),
            "signature_malformed",
        ),
        (
            "t not a number",
            format!("t=soon,v1={good}"),
            body.clone(),
            "signature_malformed",
        ),
        (
            "no v1",
            format!("t={t},v0={good}"),
            body.clone(),
            "signature_malformed",
        ),
    ];
    for (what, header, payload, code) in cases {
        let sig = (!header.is_empty()).then_some(header.as_str());
        let (status, answer) = deliver(&app, &payload, sig).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some(code)),
            "{what}: {answer}"
        );
    }
    for offset in [-301, 301] {
        start_of_a_second().await;
        let t = unix_now() + offset;
        let sig = format!("t={t},v1={}", v1(SECRET, t, &body));
        let (status, answer) = deliver(&app, &body, Some(&sig)).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some("signature_timestamp_out_of_tolerance")),
            "offset {offset}: {answer}"
        );
    }
    assert_eq!(
        stored(&app).await,
        (0, 0),
        "a refused delivery stored something"
    );
    // Inside the tolerance (300 s either way) the same event is accepted.
    start_of_a_second().await;
    let t = unix_now() - 299;
    let sig = format!("t={t},v1={}", v1(SECRET, t, &body));
    assert_eq!(deliver(&app, &body, Some(&sig)).await.0, 200);
    assert_eq!(stored(&app).await, (1, 1));
}

#[tokio::test]
async fn two_v1_values_one_from_a_rotated_out_secret_verify_in_either_order() {
    let app = app().await;
    for (i, old_first) in [true, false].into_iter().enumerate() {
        let body = event(
            &format!("evt_rotation_{i}"),
            "payment_intent.succeeded",
            "ord_3",
        );
        let t = unix_now();
        let (old, new) = (v1(OLD_SECRET, t, &body), v1(SECRET, t, &body));
        let sig = if old_first {
            format!("t={t},v1={old},v1={new}")
        } else {
            format!("t={t},v1={new},v1={old}")
        };
        let (status, answer) = deliver(&app, &body, Some(&sig)).await;
        assert_eq!(status, 200, "old first: {old_first}: {answer}");
    }
    // Only the rotated-out secret: refused.
    let body = event("evt_rotation_old_only", "payment_intent.succeeded", "ord_3");
    let t = unix_now();
    let sig = format!("t={t},v1={}", v1(OLD_SECRET, t, &body));
    assert_eq!(deliver(&app, &body, Some(&sig)).await.0, 400);
    assert_eq!(app.count_rows("provider_events").await, 2);
}

#[tokio::test]
async fn while_we_rotate_both_configured_secrets_verify() {
    let both = format!("{SECRET}, {OLD_SECRET}");
    let app = spawn_payments_app(&[("stripe_webhook_secrets", &both)]).await;
    for (i, secret) in [SECRET, OLD_SECRET].into_iter().enumerate() {
        let body = event(&format!("evt_ours_{i}"), "charge.refunded", "ord_4");
        let t = unix_now();
        let sig = format!("t={t},v1={}", v1(secret, t, &body));
        assert_eq!(deliver(&app, &body, Some(&sig)).await.0, 200, "{secret}");
    }
}

#[tokio::test]
async fn other_event_types_are_stored_not_enqueued_and_non_events_are_refused() {
    let app = app().await;
    let body = event("evt_other_type", "customer.created", "ord_5");
    let t = unix_now();
    let sig = format!("t={t},v1={}", v1(SECRET, t, &body));
    let (status, answer) = deliver(&app, &body, Some(&sig)).await;
    assert_eq!((status, answer["enqueued"].as_bool()), (200, Some(false)));
    assert_eq!(stored(&app).await, (1, 0));

    for junk in [
        &b"[1,2]"[..],
        b"{\"id\":\"not_an_event\",\"type\":\"x\",\"data\":{\"object\":{}}}",
    ] {
        let sig = format!("t={t},v1={}", v1(SECRET, t, junk));
        let (status, answer) = deliver(&app, junk, Some(&sig)).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some("invalid_event"))
        );
    }
    assert_eq!(stored(&app).await, (1, 0));
}

#[tokio::test]
async fn the_stand_in_completing_a_checkout_delivers_a_signed_event_applied_once() {
    let app = spawn_payments_app(&[]).await; // the stand-in's own secret
    let session = checkout_session("ord_standin", 4250).await;
    let sid = session["id"].as_str().expect("session id");
    assert!(sid.starts_with("cs_test_"), "{session}");
    assert_eq!(session["amount_total"], 4250);
    assert_eq!(session["status"], "open");
    let done = complete_session(sid, &app.url(HOOK), 3).await;
    let statuses: Vec<u64> = done["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .map(|d| d["status"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(statuses, [200, 200, 200], "{done}");
    let pi = done["session"]["payment_intent"].as_str().expect("paid");
    assert!(pi.starts_with("pi_"));
    assert_eq!(stored(&app).await, (1, 1));
    let payload: Value = app.scalar("select payload from background_jobs", &[]).await;
    assert_eq!(payload["order_id"], "ord_standin");
    assert_eq!(payload["checkout_session"], sid);
    assert_eq!(payload["payment_intent"], pi);
    assert_eq!(payload["amount_cents"], 4250);
    // The PaymentIntent is real at localstripe, with the order in its metadata.
    let (status, intent) = stripe(
        reqwest::Method::GET,
        &format!("/v1/payment_intents/{pi}"),
        &[],
    )
    .await;
    assert_eq!(
        (status, intent["status"].as_str()),
        (200, Some("succeeded"))
    );
    assert_eq!(intent["metadata"]["order_id"], "ord_standin");
    assert_eq!(intent["amount"], 4250);
}
