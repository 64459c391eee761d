//! Issue 10, autonomous orders: allowed only within the person's policy
//! (autopay on, a saved payment method, per-order and monthly caps, a
//! trusted unit), with the cap check and the spend update one atomic step.
//! Test mode: the policy lives in `account_billing` (livemode = false) and
//! the order is paid with the test card without any provider.

#[path = "upload_common.rs"]
mod common;

use common::*;
use farm_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

fn body(q: &Value) -> Value {
    json!({"quote_id": q["quote_id"], "shipping_address_json":
        {"line1": "1 Main St", "city": "Austin", "country": "US"}})
}

async fn order(app: &TestApp, key: &str, idem: &str, body: &Value) -> (u16, Value) {
    for _ in 0..120 {
        let r = app
            .with_key(key)
            .request(Method::POST, "/v1/autonomous/orders")
            .header("idempotency-key", idem)
            .json(body)
            .send()
            .await
            .expect("send");
        let status = r.status().as_u16();
        let b: Value = r.json().await.unwrap_or(Value::Null);
        if status == 409 && b["error"] == "idempotency_request_in_progress" {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        return (status, b);
    }
    panic!("still in progress");
}

#[tokio::test]
async fn twenty_concurrent_orders_over_the_monthly_cap_accept_at_most_the_cap() {
    let app = Arc::new(spawn_upload_app_with(&[("rate_limit_per_minute", "1000")]).await);
    let (key, account) = new_account_key(&app, "test", &ALL_SCOPES).await;
    // Big enough that the price is grams × rate, not the $3 minimum.
    let file = upload_box(&app, &key, "part.stl", [60.0, 40.0, 30.0]).await;
    let q = quote(&app, &key, &file, "pla", 10).await;
    let grams = q["breakdown"]["grams_per_part"].as_f64().expect("grams");
    let each = expected_total_cents(grams, "pla", 10);
    // Room for 7 orders and a bit: 20 together exceed it.
    let cap = each * 7 + each / 2;
    set_billing(&app, &account, false, Some((each, cap))).await;
    let b = body(&q);
    let handles: Vec<_> = (0..20)
        .map(|i| {
            let (app, key, b) = (app.clone(), key.clone(), b.clone());
            tokio::spawn(async move { order(&app, &key, &format!("auto-{i}"), &b).await })
        })
        .collect();
    let (mut accepted, mut refused) = (Vec::new(), 0);
    for h in handles {
        let (status, o) = h.await.expect("task");
        match status {
            201 => {
                assert_eq!(o["status"], "queued", "{o}");
                accepted.push(o["total"]["amount"].as_i64().expect("amount"));
            }
            403 => {
                assert_eq!(o["error"], "autonomous_not_allowed", "{o}");
                assert_eq!(o["failed_conditions"], json!(["over_monthly_cap"]), "{o}");
                refused += 1;
            }
            other => panic!("unexpected {other}: {o}"),
        }
    }
    let sum: i64 = accepted.iter().sum();
    println!(
        "autonomous cap: {} accepted summing {sum} of cap {cap} cents, {refused} refused",
        accepted.len()
    );
    assert!(each > 300, "{each} is above the minimum");
    assert!(accepted.iter().all(|a| *a == each));
    assert!(sum <= cap, "accepted {sum} > cap {cap}");
    assert_eq!(accepted.len(), 7, "every order that fits is accepted");
    assert_eq!(refused, 13);
    let spent: i64 = app
        .scalar(
            "select spent_cents from account_monthly_spend where account_id = $1 and livemode = false",
            &[&account],
        )
        .await;
    assert_eq!(spent, sum);
    let tasks: i64 = app.scalar("select count(*) from print_tasks", &[]).await;
    assert_eq!(tasks, 7 * 10);
}

#[tokio::test]
async fn every_failed_condition_is_named_and_nothing_is_stored() {
    let app = spawn_upload_app().await;
    let (key, account) = new_account_key(&app, "test", &ALL_SCOPES).await;
    let file = upload_box(&app, &key, "part.stl", [30.0, 20.0, 10.0]).await;
    let q = quote(&app, &key, &file, "pla", 1).await;
    set_billing(&app, &account, false, None).await;
    app.db()
        .await
        .execute(
            "update files set metrics = jsonb_set(metrics, '{unit_confidence}', '0.5') where id = $1",
            &[&file["id"].as_str().expect("id")],
        )
        .await
        .expect("lower confidence");
    let (status, e) = order(&app, &key, "n1", &body(&q)).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (403, Some("autonomous_not_allowed")),
        "{e}"
    );
    assert_eq!(
        e["failed_conditions"],
        json!([
            "autopay_disabled",
            "no_default_payment_method",
            "over_per_order_cap",
            "over_monthly_cap",
            "unit_confidence_below_threshold"
        ])
    );
    // Within the policy but the unit guess is too weak: the reservation is
    // rolled back with the refusal.
    set_billing(&app, &account, false, Some(TEST_CAPS)).await;
    let (status, e) = order(&app, &key, "n2", &body(&q)).await;
    assert_eq!(status, 403);
    assert_eq!(
        e["failed_conditions"],
        json!(["unit_confidence_below_threshold"])
    );
    assert_eq!(app.count_rows("orders").await, 0);
    let spent: i64 = app
        .scalar(
            "select coalesce(sum(spent_cents), 0)::bigint from account_monthly_spend",
            &[],
        )
        .await;
    assert_eq!(spent, 0);
    // A person confirming the unit lifts that condition.
    app.db()
        .await
        .execute(
            "update files set unit_confirmed_by = 'user' where id = $1",
            &[&file["id"].as_str().expect("id")],
        )
        .await
        .expect("confirm unit");
    let (status, o) = order(&app, &key, "n3", &body(&q)).await;
    assert_eq!((status, o["status"].as_str()), (201, Some("queued")), "{o}");
    assert_eq!(o["source"], "autonomous");
}

#[tokio::test]
async fn cancelling_an_autonomous_order_gives_its_spend_back_and_refunds_once() {
    let app = spawn_upload_app().await;
    let (key, account) = new_account_key(&app, "test", &ALL_SCOPES).await;
    let file = upload_box(&app, &key, "part.stl", [30.0, 20.0, 10.0]).await;
    let q = quote(&app, &key, &file, "pla", 1).await;
    let grams = q["breakdown"]["grams_per_part"].as_f64().expect("grams");
    let each = expected_total_cents(grams, "pla", 1);
    set_billing(&app, &account, false, Some((each, each))).await;
    let (status, o) = order(&app, &key, "c1", &body(&q)).await;
    assert_eq!(status, 201, "{o}");
    let (status, _) = order(&app, &key, "c2", &body(&q)).await;
    assert_eq!(status, 403, "the cap is used up");
    let path = format!("/v1/orders/{}/cancel", o["id"].as_str().expect("id"));
    let (status, c) = post(&app, &key, &path, &json!({})).await;
    assert_eq!(
        (status, c["status"].as_str()),
        (200, Some("refunded")),
        "{c}"
    );
    assert_eq!(c["amount_refunded"]["amount"].as_i64(), Some(each));
    let (status, again) = post(&app, &key, &path, &json!({})).await;
    assert_eq!(
        (status, again["amount_refunded"]["amount"].as_i64()),
        (200, Some(each))
    );
    let spent: i64 = app
        .scalar(
            "select spent_cents from account_monthly_spend where account_id = $1",
            &[&account],
        )
        .await;
    assert_eq!(spent, 0, "the reservation came back exactly once");
    let (status, o2) = order(&app, &key, "c3", &body(&q)).await;
    assert_eq!(
        (status, o2["status"].as_str()),
        (201, Some("queued")),
        "{o2}"
    );
}

#[tokio::test]
async fn the_readmes_test_mode_path_a_new_test_key_saves_the_test_card_turns_autopay_on_and_orders_a_job()
 {
    let app = spawn_upload_app().await;
    let email = format!("agent-{}@example.com", uuid::Uuid::new_v4().simple());
    let r = app
        .post_json(
            "/v1/connect",
            &json!({"email": email, "name": "my agent", "mode": "test"}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 201);
    let connected: Value = r.json().await.expect("json");
    assert_eq!(connected["mode"], "test");
    let key = connected["api_key"].as_str().expect("key").to_owned();
    let cube = box_stl([20.0, 20.0, 20.0], 1);
    let boundary = "readmeboundary0123456789";
    let options = r#"{"material":"PETG","color":"black","quantity":25}"#;
    // Before the person's settings: refused, naming why.
    let (status, e) = send_job(
        &app,
        &key,
        job_multipart(boundary, "cube.stl", &cube, options),
    )
    .await;
    assert_eq!(
        (status, e["error"].as_str()),
        (403, Some("autonomous_not_allowed")),
        "{e}"
    );
    assert_eq!(
        e["failed_conditions"],
        json!(["autopay_disabled", "no_default_payment_method"])
    );
    let (status, b) = post(
        &app,
        &key,
        "/v1/payments/default_method",
        &json!({"payment_method_id": "pm_card_visa"}),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    let (status, b) = post(
        &app,
        &key,
        "/v1/settings/autopay",
        &json!({"autopay_enabled": true, "max_per_order_cents": 50000, "monthly_cap_cents": 200000}),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    let (status, job) = send_job(
        &app,
        &key,
        job_multipart(boundary, "cube.stl", &cube, options),
    )
    .await;
    assert_eq!(
        (status, job["status"].as_str()),
        (201, Some("queued")),
        "{job}"
    );
    assert_eq!(job["livemode"], false);
    let tasks: i64 = app
        .scalar(
            "select count(*) from print_tasks where order_id = $1 and not livemode",
            &[&job["order_id"].as_str().expect("order")],
        )
        .await;
    assert_eq!(
        tasks, 25,
        "test orders go to the simulated farm's queue, one task per part"
    );
}
