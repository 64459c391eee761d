//! Issue 10, live mode against the payment servers (scripts/services.sh:
//! the Checkout stand-in in front of localstripe): quote → checkout → the
//! provider's completion (a signed `checkout.session.completed`, delivered
//! three times) → order `queued` with its print tasks, paid once; cancel
//! refunds once at the provider; an autonomous order is charged off-session.

#[path = "upload_common.rs"]
mod common;
#[path = "payments_common.rs"]
mod pay;

use common::*;
use farm_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn live_app() -> TestApp {
    let base = pay::stripe_base();
    let secret = pay::standin_webhook_secret();
    spawn_upload_app_with(&[
        ("stripe_api_base", base.as_str()),
        ("stripe_secret_key", pay::STRIPE_KEY),
        ("stripe_webhook_secrets", secret.as_str()),
    ])
    .await
}

fn body(q: &Value) -> Value {
    json!({"quote_id": q["quote_id"], "shipping_address_json":
        {"line1": "9 Dock Rd", "city": "Oakland", "country": "US"}})
}

async fn post_idem(app: &TestApp, key: &str, path: &str, idem: &str, b: &Value) -> (u16, Value) {
    let r = app
        .with_key(key)
        .request(Method::POST, path)
        .header("idempotency-key", idem)
        .json(b)
        .send()
        .await
        .expect("send");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Polls the order until it has `status`, draining the work queue through
/// the tick route meanwhile (the webhook's fast path usually got there first).
async fn wait_status(app: &TestApp, key: &str, id: &str, status: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, o) = get(app, key, &format!("/v1/orders/{id}")).await;
        if o["status"] == status {
            return o;
        }
        assert!(
            Instant::now() < deadline,
            "order never became {status}: {o}"
        );
        app.request(Method::POST, "/internal/tick")
            .header("x-farm-internal-token", &app.internal_token)
            .send()
            .await
            .expect("tick");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn live_checkout_completed_by_the_provider_is_queued_once_and_cancel_refunds_once() {
    let app = live_app().await;
    let key = new_key(&app, "live").await;
    let file = upload_box(&app, &key, "part.stl", [60.0, 40.0, 30.0]).await;
    let q = quote(&app, &key, &file, "pla", 10).await;
    let grams = q["breakdown"]["grams_per_part"].as_f64().expect("grams");
    let total = expected_total_cents(grams, "pla", 10);
    assert!(total > 300, "{total}: priced by the rate, not the minimum");
    let (status, s) = post_idem(&app, &key, "/v1/checkout_sessions", "live-1", &body(&q)).await;
    assert_eq!(status, 201, "{s}");
    assert_eq!(s["livemode"], true);
    assert_eq!(s["amount_total"]["amount"].as_i64(), Some(total));
    let sid = s["id"].as_str().expect("session id");
    assert!(
        s["approval_url"]
            .as_str()
            .expect("url")
            .starts_with(&pay::stripe_base()),
        "{s}"
    );
    // The provider's session carries the server's amount.
    let (_, session) = pay::stripe(Method::GET, &format!("/v1/checkout/sessions/{sid}"), &[]).await;
    assert_eq!(session["amount_total"].as_i64(), Some(total), "{session}");
    let order_id = s["order_id"].as_str().expect("order").to_owned();

    let done = pay::complete_session(sid, &app.url("/v1/payments/webhook"), 3).await;
    assert!(
        done["deliveries"]
            .as_array()
            .expect("deliveries")
            .iter()
            .all(|d| d["status"] == 200),
        "{done}"
    );
    let o = wait_status(&app, &key, &order_id, "queued").await;
    let tasks: i64 = app
        .scalar(
            "select count(*) from print_tasks where order_id = $1",
            &[&order_id],
        )
        .await;
    assert_eq!(tasks, 10);
    let paid: i64 = app
        .scalar(
            "select count(*) from events where order_id = $1 and type = 'order.paid'",
            &[&order_id],
        )
        .await;
    assert_eq!(paid, 1, "three deliveries, paid once");
    assert_eq!(o["total"]["amount"].as_i64(), Some(total));

    let path = format!("/v1/orders/{order_id}/cancel");
    let (status, c) = post(&app, &key, &path, &json!({})).await;
    assert_eq!(
        (status, c["status"].as_str()),
        (200, Some("refunded")),
        "{c}"
    );
    assert_eq!(c["amount_refunded"]["amount"].as_i64(), Some(total));
    let (status, again) = post(&app, &key, &path, &json!({})).await;
    assert_eq!((status, again["status"].as_str()), (200, Some("refunded")));
    let refunds: i64 = app
        .scalar(
            "select count(*) from events where order_id = $1 and type = 'order.refunded'",
            &[&order_id],
        )
        .await;
    assert_eq!(refunds, 1);
    let pi = done["session"]["payment_intent"].as_str().expect("pi");
    let (_, intent) = pay::stripe(Method::GET, &format!("/v1/payment_intents/{pi}"), &[]).await;
    // At the provider: the charge refunded in full, by exactly one refund.
    let charge = &intent["charges"]["data"][0];
    assert_eq!(charge["amount_refunded"].as_i64(), Some(total), "{intent}");
    assert_eq!(charge["refunds"]["total_count"], 1, "{intent}");
    println!("live checkout: {total} cents paid once after 3 deliveries, refunded once");
}

#[tokio::test]
async fn live_autonomous_order_is_charged_off_session_within_the_caps() {
    let app = live_app().await;
    let (key, account) = new_account_key(&app, "live", &ALL_SCOPES).await;
    let file = upload_box(&app, &key, "part.stl", [60.0, 40.0, 30.0]).await;
    let q = quote(&app, &key, &file, "pla", 12).await;
    let grams = q["breakdown"]["grams_per_part"].as_f64().expect("grams");
    let total = expected_total_cents(grams, "pla", 12);
    // Without a policy: refused, naming every condition, nothing charged.
    let (status, e) = post_idem(&app, &key, "/v1/autonomous/orders", "a0", &body(&q)).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (403, Some("autonomous_not_allowed")),
        "{e}"
    );
    // A customer with the test card saved at the provider, as payments' vaulting leaves it.
    let (_, cus) = pay::stripe(Method::POST, "/v1/customers", &[]).await;
    let cus = cus["id"].as_str().expect("customer").to_owned();
    let (_, pm) = pay::stripe(
        Method::POST,
        "/v1/payment_methods/pm_card_visa/attach",
        &[("customer", cus.as_str())],
    )
    .await;
    let pm = pm["id"].as_str().expect("pm").to_owned();
    set_billing(&app, &account, true, Some((total, total * 3))).await;
    app.db()
        .await
        .execute(
            "update account_billing set customer_id = $2, default_payment_method = $3 where account_id = $1 and livemode",
            &[&account, &cus, &pm],
        )
        .await
        .expect("billing");
    let (status, o) = post_idem(&app, &key, "/v1/autonomous/orders", "a1", &body(&q)).await;
    assert_eq!((status, o["status"].as_str()), (201, Some("queued")), "{o}");
    assert_eq!(o["total"]["amount"].as_i64(), Some(total));
    let id = o["id"].as_str().expect("id");
    let pi: String = app
        .scalar("select payment_intent from orders where id = $1", &[&id])
        .await;
    let (_, intent) = pay::stripe(Method::GET, &format!("/v1/payment_intents/{pi}"), &[]).await;
    assert_eq!(
        (intent["status"].as_str(), intent["amount"].as_i64()),
        (Some("succeeded"), Some(total)),
        "{intent}"
    );
    // The retry replays; no second charge.
    let (status, again) = post_idem(&app, &key, "/v1/autonomous/orders", "a1", &body(&q)).await;
    assert_eq!((status, &again), (201, &o));
    assert_eq!(app.count_rows("orders").await, 1);
}

/// A signed provider event for `order_id`, delivered to the payments webhook.
async fn provider_event(app: &TestApp, id: &str, kind: &str, object: Value) -> u16 {
    let body = serde_json::to_vec(&json!({
        "id": id, "object": "event", "type": kind, "created": pay::unix_now(),
        "livemode": false, "data": {"object": object}
    }))
    .expect("json");
    let t = pay::unix_now();
    let sig = format!(
        "t={t},v1={}",
        pay::v1(&pay::standin_webhook_secret(), t, &body)
    );
    app.request(Method::POST, "/v1/payments/webhook")
        .header("content-type", "application/json")
        .header("stripe-signature", sig)
        .body(body)
        .send()
        .await
        .expect("webhook")
        .status()
        .as_u16()
}

#[tokio::test]
async fn an_unsettled_charge_waits_for_the_provider_and_a_failure_cancels_and_gives_the_spend_back()
{
    // The provider cannot be reached: the charge's outcome is unknown, so the
    // order stays requires_payment with its reservation (no retry can charge
    // twice: the answer is stored under the Idempotency-Key).
    let secret = pay::standin_webhook_secret();
    let app = spawn_upload_app_with(&[
        ("stripe_api_base", pay::UNREACHABLE),
        ("stripe_secret_key", pay::STRIPE_KEY),
        ("stripe_webhook_secrets", secret.as_str()),
    ])
    .await;
    let (key, account) = new_account_key(&app, "live", &ALL_SCOPES).await;
    let file = upload_box(&app, &key, "part.stl", [60.0, 40.0, 30.0]).await;
    let q = quote(&app, &key, &file, "pla", 10).await;
    let grams = q["breakdown"]["grams_per_part"].as_f64().expect("grams");
    let total = expected_total_cents(grams, "pla", 10);
    set_billing(&app, &account, true, Some((total, total * 2))).await;
    app.db()
        .await
        .execute(
            "update account_billing set customer_id = 'cus_x' where account_id = $1 and livemode",
            &[&account],
        )
        .await
        .expect("billing");
    let (status, o) = post_idem(&app, &key, "/v1/autonomous/orders", "u1", &body(&q)).await;
    assert_eq!(
        (status, o["status"].as_str()),
        (201, Some("requires_payment")),
        "{o}"
    );
    let id = o["id"].as_str().expect("id").to_owned();
    let spent = || async {
        app.scalar::<i64>(
            "select spent_cents from account_monthly_spend where account_id = $1 and livemode",
            &[&account],
        )
        .await
    };
    assert_eq!(spent().await, total, "the reservation is held");

    // The provider reports the charge failed (delivered twice): cancelled once,
    // the reservation given back.
    let intent = json!({"id": "pi_unsettled", "object": "payment_intent", "amount": total,
        "amount_received": 0, "currency": "usd", "metadata": {"order_id": id}});
    for _ in 0..2 {
        assert_eq!(
            provider_event(
                &app,
                "evt_failed_1",
                "payment_intent.payment_failed",
                intent.clone()
            )
            .await,
            200
        );
    }
    let o = wait_status(&app, &key, &id, "cancelled").await;
    assert_eq!(o["amount_refunded"]["amount"].as_i64(), Some(0));
    assert_eq!(spent().await, 0);
    let cancelled: i64 = app
        .scalar(
            "select count(*) from events where order_id = $1 and type = 'order.cancelled'",
            &[&id],
        )
        .await;
    assert_eq!(cancelled, 1);

    // A late success for the cancelled order: not queued; its money must go
    // back, so the job asks the provider for a refund (unreachable here: the
    // job fails and stays queued for a retry).
    let succeeded = json!({"id": "pi_unsettled", "object": "payment_intent", "amount": total,
        "amount_received": total, "currency": "usd", "metadata": {"order_id": id}});
    assert_eq!(
        provider_event(&app, "evt_late_ok", "payment_intent.succeeded", succeeded).await,
        200
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, o) = get(&app, &key, &format!("/v1/orders/{id}")).await;
    assert_eq!(o["status"], "cancelled");
    let tasks: i64 = app
        .scalar(
            "select count(*) from print_tasks where order_id = $1",
            &[&id],
        )
        .await;
    assert_eq!(tasks, 0);
    // The webhook's fast path runs the job after its answer; wait for it.
    let deadline = Instant::now() + Duration::from_secs(20);
    let (job, error) = loop {
        let row = app
            .db()
            .await
            .query_one(
                "select status, last_error, attempts from background_jobs where dedupe_key = 'evt_late_ok'",
                &[],
            )
            .await
            .expect("job");
        let (job, error, attempts): (String, Option<String>, i32) =
            (row.get(0), row.get(1), row.get(2));
        if attempts > 0 && job != "running" {
            break (job, error);
        }
        assert!(Instant::now() < deadline, "the job never ran");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(job, "queued", "failed, to be retried: {error:?}");
    assert!(
        error.unwrap_or_default().contains("provider"),
        "a refund was attempted"
    );
}
