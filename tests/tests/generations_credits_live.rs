//! Buying generation credits in live mode against the payment servers
//! (scripts/services.sh: the Checkout stand-in in front of localstripe):
//! `POST /v1/credits/checkout` opens the provider's Checkout Session for
//! $4.99 naming the purchase; the provider's signed
//! `checkout.session.completed`, delivered three times, comes back through
//! the payments webhook and `apply_payment_event` and grants 100 credits
//! exactly once.

#[path = "generations_common.rs"]
mod common;
#[path = "payments_common.rs"]
mod pay;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_live_credit_checkout_is_granted_once_by_the_provider_webhook() {
    let base = pay::stripe_base();
    let secret = pay::standin_webhook_secret();
    let app = spawn_upload_app_with(&[
        ("stripe_api_base", base.as_str()),
        ("stripe_secret_key", pay::STRIPE_KEY),
        ("stripe_webhook_secrets", secret.as_str()),
    ])
    .await;
    let (key, account) = new_account_key(&app, "live", &GEN_SCOPES).await;
    let r = app
        .with_key(&key)
        .request(Method::POST, "/v1/credits/checkout")
        .header("idempotency-key", "live-credits-1")
        .send()
        .await
        .expect("checkout");
    assert_eq!(r.status().as_u16(), 201);
    let s: Value = r.json().await.expect("json");
    assert_eq!(s["livemode"], true, "{s}");
    let purchase = s["credit_purchase_id"]
        .as_str()
        .expect("purchase")
        .to_owned();
    let sid = s["id"].as_str().expect("session id").to_owned();
    assert!(
        s["approval_url"]
            .as_str()
            .is_some_and(|u| u.starts_with(&base)),
        "the person pays at the provider: {s}"
    );
    // The provider's session holds the price and names the purchase.
    let (_, session) = pay::stripe(Method::GET, &format!("/v1/checkout/sessions/{sid}"), &[]).await;
    assert_eq!(session["amount_total"].as_i64(), Some(499), "{session}");
    assert_eq!(
        session["metadata"]["order_id"],
        json!(purchase),
        "{session}"
    );

    let done = pay::complete_session(&sid, &app.url("/v1/payments/webhook"), 3).await;
    assert!(
        done["deliveries"]
            .as_array()
            .expect("deliveries")
            .iter()
            .all(|d| d["status"] == 200),
        "{done}"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while balance(&app, &account).await != 102 {
        assert!(Instant::now() < deadline, "credits never granted");
        tick(&app).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Every delivery applied; still granted once.
    for _ in 0..3 {
        tick(&app).await;
    }
    assert_eq!(balance(&app, &account).await, 102);
    let rows: i64 = app
        .scalar(
            "select count(*) from credit_transactions where purchase_id = $1",
            &[&purchase],
        )
        .await;
    assert_eq!(rows, 1, "one ledger row for the purchase");
    let status: String = app
        .scalar(
            "select status from credit_purchases where id = $1",
            &[&purchase],
        )
        .await;
    assert_eq!(status, "paid");
}
