//! Issue 10: checkout in test mode, the order's life, public tracking,
//! cancel and refund, idempotency under concurrency, scopes and accounts.
//! Amounts are derived independently (`expected_total_cents`: grams ×
//! rate, bulk tiers, $3 minimum), never recomputed with the app's code.

#[path = "upload_common.rs"]
mod common;

use common::*;
use farm_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

fn address() -> Value {
    json!({"line1": "123 Main St", "city": "San Francisco", "state": "CA", "postal_code": "94105", "country": "US"})
}

/// POST with an `Idempotency-Key`; a 409 `idempotency_request_in_progress`
/// is retried after its `Retry-After`, as a client must.
async fn post_idem(app: &TestApp, key: &str, path: &str, idem: &str, body: &Value) -> (u16, Value) {
    for _ in 0..120 {
        let r = app
            .with_key(key)
            .request(Method::POST, path)
            .header("idempotency-key", idem)
            .json(body)
            .send()
            .await
            .expect("send");
        let status = r.status().as_u16();
        let retry = r
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if status == 409 && body["error"] == "idempotency_request_in_progress" {
            tokio::time::sleep(Duration::from_secs(retry.unwrap_or(1))).await;
            continue;
        }
        return (status, body);
    }
    panic!("still in progress after two minutes");
}

/// A ready box file and a quote for `quantity` parts of PLA (big enough
/// that the price is grams × rate, not the $3 minimum).
async fn quoted(app: &TestApp, key: &str, quantity: i64) -> Value {
    let file = upload_box(app, key, "bracket.stl", [60.0, 40.0, 30.0]).await;
    quote(app, key, &file, "pla", quantity).await
}

fn expected_total(q: &Value, quantity: i64) -> i64 {
    let grams = q["breakdown"]["grams_per_part"].as_f64().expect("grams");
    expected_total_cents(grams, "pla", quantity)
}

async fn checkout(app: &TestApp, key: &str, q: &Value, idem: &str) -> Value {
    let (status, s) = post_idem(
        app,
        key,
        "/v1/checkout_sessions",
        idem,
        &json!({"quote_id": q["quote_id"], "shipping_address_json": address()}),
    )
    .await;
    assert_eq!(status, 201, "{s}");
    s
}

async fn complete(app: &TestApp, key: &str, session: &Value) -> (u16, Value) {
    let path = format!(
        "/v1/test_helpers/checkout_sessions/{}/complete",
        session["id"].as_str().expect("session id")
    );
    post(app, key, &path, &json!({})).await
}

async fn order_types(app: &TestApp, order_id: &str) -> Vec<String> {
    app.db()
        .await
        .query(
            "select type from events where order_id = $1 order by seq",
            &[&order_id],
        )
        .await
        .expect("events")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn test_mode_human_path_quote_checkout_complete_queued_with_one_task_per_part() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let q = quoted(&app, &key, 25).await;
    let total = expected_total(&q, 25);
    let s = checkout(&app, &key, &q, "human-1").await;
    assert_eq!(s["status"], "requires_payment");
    assert_eq!(s["next_action"], "redirect_user_to_approval_url");
    assert_eq!(s["amount_total"]["amount"].as_i64(), Some(total), "{s}");
    let grams = q["breakdown"]["grams_per_part"].as_f64().expect("grams");
    println!("human path: 25 × {grams} g of PLA = {total} cents");
    assert!(
        total > 300,
        "{total}: above the minimum, so the rate is what is tested"
    );
    let public = s["public_order_id"].as_str().expect("public id");
    // pord_ + 40 hex digits: 160 random bits (>= 128).
    assert_eq!(public.len(), "pord_".len() + 40, "{public}");
    assert!(
        s["approval_url"]
            .as_str()
            .expect("url")
            .contains("/test/checkout/cs_test_")
    );
    assert!(
        s["tracking_url"]
            .as_str()
            .expect("url")
            .ends_with(&format!("/orders/{public}"))
    );
    let order_id = s["order_id"].as_str().expect("order id").to_owned();

    // The approval link opens the local test checkout page.
    let approval = s["approval_url"].as_str().expect("url");
    let path = &approval[approval.find("/test/").expect("path")..];
    let page = app.get(path).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(
        html.contains("Test checkout") && html.contains("<form"),
        "{html}"
    );
    // The review page shows the part, price and risks before paying.
    let review = s["review_url"].as_str().expect("review");
    let review = app
        .get(&review[review.find("/review/").expect("path")..])
        .await;
    assert_eq!(review.status(), 200);
    assert!(
        review
            .text()
            .await
            .expect("html")
            .contains("Execution confidence")
    );

    let (status, order) = get(&app, &key, &format!("/v1/orders/{order_id}")).await;
    assert_eq!(
        (status, order["status"].as_str()),
        (200, Some("requires_payment")),
        "{order}"
    );
    let (status, order) = complete(&app, &key, &s).await;
    assert_eq!(
        (status, order["status"].as_str()),
        (200, Some("queued")),
        "{order}"
    );
    assert_eq!(order["total"]["amount"].as_i64(), Some(total));
    // Completing again changes nothing.
    let (status, again) = complete(&app, &key, &s).await;
    assert_eq!((status, again["status"].as_str()), (200, Some("queued")));
    let tasks: i64 = app
        .scalar(
            "select count(*) from print_tasks where order_id = $1 and status = 'queued'",
            &[&order_id],
        )
        .await;
    assert_eq!(tasks, 25, "one print task per part");
    assert_eq!(
        order_types(&app, &order_id).await,
        ["order.created", "order.paid", "order.queued"]
    );

    // Tracking without auth: the status and timeline, nothing private.
    let r = app.get(&format!("/v1/public/orders/{public}")).await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.expect("text");
    let t: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(t["status"], "queued");
    let timeline: Vec<&str> = t["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|e| e["status"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(timeline, ["requires_payment", "paid", "queued"]);
    for secret in [
        "123 Main St",
        "San Francisco",
        "94105",
        "@example.com",
        &order_id,
        &total.to_string(),
    ] {
        assert!(!text.contains(secret), "tracking leaks {secret}: {text}");
    }
    let page = app.get(&format!("/orders/{public}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(
        html.contains("queued") && !html.contains("123 Main St"),
        "{html}"
    );
}

#[tokio::test]
async fn tracking_shows_nothing_of_another_order_and_unknown_ids_are_404() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let q = quoted(&app, &key, 1).await;
    let a = checkout(&app, &key, &q, "a").await;
    let b = checkout(&app, &key, &q, "b").await;
    // The person pays on the test checkout page (its form posts back).
    let approval = a["approval_url"].as_str().expect("url");
    let page = app
        .request(
            Method::POST,
            &approval[approval.find("/test/").expect("path")..],
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .expect("pay");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("html").contains("queued"));
    let ta: Value = app
        .get(&format!(
            "/v1/public/orders/{}",
            a["public_order_id"].as_str().expect("present")
        ))
        .await
        .json()
        .await
        .expect("present");
    let tb: Value = app
        .get(&format!(
            "/v1/public/orders/{}",
            b["public_order_id"].as_str().expect("present")
        ))
        .await
        .json()
        .await
        .expect("present");
    assert_eq!(
        (ta["status"].as_str(), tb["status"].as_str()),
        (Some("queued"), Some("requires_payment"))
    );
    assert!(
        !ta.to_string()
            .contains(b["public_order_id"].as_str().expect("present"))
    );
    let unknown = format!("pord_{}", "0".repeat(40));
    for id in [unknown.as_str(), "pord_short", "not-an-id"] {
        let r = app.get(&format!("/v1/public/orders/{id}")).await;
        assert_eq!(r.status(), 404, "{id}");
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["error"], "order_not_found");
        assert_eq!(app.get(&format!("/orders/{id}")).await.status(), 404);
    }
}

#[tokio::test]
async fn fifty_concurrent_checkouts_with_one_key_create_one_order_and_the_same_body() {
    // 50 requests and their retries in one minute: above the default
    // per-key limit (60), which is not what this test is about.
    let app =
        std::sync::Arc::new(spawn_upload_app_with(&[("rate_limit_per_minute", "1000")]).await);
    let key = new_key(&app, "test").await;
    let q = quoted(&app, &key, 2).await;
    let body = json!({"quote_id": q["quote_id"], "shipping_address_json": address()});
    let handles: Vec<_> = (0..50)
        .map(|_| {
            let (app, key, body) = (app.clone(), key.clone(), body.clone());
            tokio::spawn(async move {
                post_idem(&app, &key, "/v1/checkout_sessions", "same-key", &body).await
            })
        })
        .collect();
    let mut bodies = Vec::new();
    for h in handles {
        let (status, b) = h.await.expect("task");
        assert_eq!(status, 201, "{b}");
        bodies.push(b);
    }
    assert!(
        bodies.iter().all(|b| *b == bodies[0]),
        "every answer is the first one"
    );
    assert_eq!(app.count_rows("orders").await, 1);
    let mut other = body.clone();
    other["shipping_address_json"]["line1"] = json!("1 Other Rd");
    let (status, refused) =
        post_idem(&app, &key, "/v1/checkout_sessions", "same-key", &other).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (409, Some("idempotency_key_reused")),
        "{refused}"
    );
    assert_eq!(app.count_rows("orders").await, 1);
    // Idempotency-Key is required.
    let (status, b) = post(&app, &key, "/v1/checkout_sessions", &body).await;
    assert_eq!(
        (status, b["error"].as_str()),
        (400, Some("idempotency_key_required"))
    );
}

#[tokio::test]
async fn missing_address_fields_are_named_and_an_expired_quote_is_refused() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let q = quoted(&app, &key, 1).await;
    let (status, b) = post_idem(
        &app,
        &key,
        "/v1/checkout_sessions",
        "m1",
        &json!({"quote_id": q["quote_id"], "shipping_address_json": {"line1": "1 A St", "state": "CA"}}),
    )
    .await;
    assert_eq!(
        (status, b["error"].as_str()),
        (400, Some("missing_shipping_fields")),
        "{b}"
    );
    assert_eq!(b["missing_fields"], json!(["city", "country"]));
    assert_eq!(b["fields"][0]["field"], "shipping_address_json.city");
    let (status, b) = post_idem(
        &app,
        &key,
        "/v1/checkout_sessions",
        "m2",
        &json!({"quote_id": q["quote_id"]}),
    )
    .await;
    assert_eq!(
        b["missing_fields"],
        json!(["line1", "city", "country"]),
        "{status} {b}"
    );
    app.db()
        .await
        .execute(
            "update quotes set expires_at = now() - interval '1 second' where id = $1",
            &[&q["quote_id"].as_str().expect("present")],
        )
        .await
        .expect("expire");
    let (status, b) = post_idem(
        &app,
        &key,
        "/v1/checkout_sessions",
        "m3",
        &json!({"quote_id": q["quote_id"], "shipping_address_json": address()}),
    )
    .await;
    assert_eq!(
        (status, b["error"].as_str()),
        (410, Some("quote_expired")),
        "{b}"
    );
    assert_eq!(app.count_rows("orders").await, 0);
}

#[tokio::test]
async fn cancel_before_printing_refunds_once_and_after_printing_is_refused_with_the_status() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let q = quoted(&app, &key, 4).await;
    let total = expected_total(&q, 4);
    let s = checkout(&app, &key, &q, "c1").await;
    complete(&app, &key, &s).await;
    let id = s["order_id"].as_str().expect("present").to_owned();
    let path = format!("/v1/orders/{id}/cancel");
    let (status, o) = post(&app, &key, &path, &json!({})).await;
    assert_eq!(
        (status, o["status"].as_str()),
        (200, Some("refunded")),
        "{o}"
    );
    assert_eq!(o["amount_refunded"]["amount"].as_i64(), Some(total));
    let (status, o) = post(&app, &key, &path, &json!({})).await;
    assert_eq!((status, o["status"].as_str()), (200, Some("refunded")));
    let types = order_types(&app, &id).await;
    assert_eq!(
        types.iter().filter(|t| *t == "order.refunded").count(),
        1,
        "{types:?}"
    );
    let open: i64 = app
        .scalar(
            "select count(*) from print_tasks where order_id = $1 and status <> 'cancelled'",
            &[&id],
        )
        .await;
    assert_eq!(open, 0);

    // An unpaid order is cancelled with nothing to refund.
    let s2 = checkout(&app, &key, &q, "c2").await;
    let (status, o) = post(
        &app,
        &key,
        &format!(
            "/v1/orders/{}/cancel",
            s2["order_id"].as_str().expect("present")
        ),
        &json!({}),
    )
    .await;
    assert_eq!(
        (
            status,
            o["status"].as_str(),
            o["amount_refunded"]["amount"].as_i64()
        ),
        (200, Some("cancelled"), Some(0))
    );

    // Printing started: refused, with the order's status.
    let s3 = checkout(&app, &key, &q, "c3").await;
    complete(&app, &key, &s3).await;
    let id3 = s3["order_id"].as_str().expect("present").to_owned();
    app.db()
        .await
        .execute(
            "update print_tasks set status = 'printing' where order_id = $1 and copy_index = 1",
            &[&id3],
        )
        .await
        .expect("start printing");
    let (status, e) = post(&app, &key, &format!("/v1/orders/{id3}/cancel"), &json!({})).await;
    assert_eq!(
        (status, e["error"].as_str(), e["status"].as_str()),
        (409, Some("order_not_cancellable"), Some("queued")),
        "{e}"
    );
    let (_, o) = get(&app, &key, &format!("/v1/orders/{id3}")).await;
    assert_eq!(o["status"], "queued");
}

#[tokio::test]
async fn orders_write_is_required_and_other_accounts_and_modes_see_404() {
    let app = spawn_upload_app().await;
    let (key, account) = new_account_key(&app, "test", &ALL_SCOPES).await;
    let q = quoted(&app, &key, 1).await;
    let s = checkout(&app, &key, &q, "o1").await;
    let order = s["order_id"].as_str().expect("present").to_owned();
    let body = json!({"quote_id": q["quote_id"], "shipping_address_json": address()});

    let read_only = account_key(&app, &account, "test", &["quotes:read", "orders:read"]).await;
    for path in ["/v1/checkout_sessions", "/v1/autonomous/orders"] {
        let (status, e) = post_idem(&app, &read_only, path, "x", &body).await;
        assert_eq!(
            (status, e["error"].as_str()),
            (403, Some("insufficient_scope")),
            "{path}: {e}"
        );
    }
    let (status, _) = post(
        &app,
        &read_only,
        &format!("/v1/orders/{order}/cancel"),
        &json!({}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = get(&app, &read_only, &format!("/v1/orders/{order}")).await;
    assert_eq!(status, 200);

    let other = new_key(&app, "test").await;
    let (status, e) = post_idem(&app, &other, "/v1/checkout_sessions", "y", &body).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (404, Some("quote_not_found"))
    );
    let (status, e) = post_idem(&app, &other, "/v1/autonomous/orders", "z", &body).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (404, Some("quote_not_found"))
    );
    for (method, path) in [
        (Method::GET, format!("/v1/orders/{order}")),
        (Method::POST, format!("/v1/orders/{order}/cancel")),
        (
            Method::POST,
            format!(
                "/v1/test_helpers/checkout_sessions/{}/complete",
                s["id"].as_str().expect("present")
            ),
        ),
    ] {
        let r = app
            .with_key(&other)
            .request(method, &path)
            .json(&json!({}))
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), 404, "{path}");
    }
    let (_, list) = get(&app, &other, "/v1/orders").await;
    assert_eq!(list["data"], json!([]));

    // Test and live are separate worlds: a live key of the same account sees
    // none of the test objects, and cannot use the test helper.
    let live = account_key(&app, &account, "live", &ALL_SCOPES).await;
    let (status, _) = get(&app, &live, &format!("/v1/orders/{order}")).await;
    assert_eq!(status, 404);
    let (status, _) = get(
        &app,
        &live,
        &format!("/v1/quotes/{}", q["quote_id"].as_str().expect("present")),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = get(
        &app,
        &live,
        &format!("/v1/files/{}", q["file_id"].as_str().expect("present")),
    )
    .await;
    assert_eq!(status, 404);
    let (_, files) = get(&app, &live, "/v1/files").await;
    assert_eq!(files["data"], json!([]));
    let (status, _) = complete(&app, &live, &s).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn orders_list_newest_first_with_a_status_filter_and_cursor() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let q = quoted(&app, &key, 1).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let s = checkout(&app, &key, &q, &format!("l{i}")).await;
        ids.push(s["order_id"].as_str().expect("present").to_owned());
        if i == 1 {
            complete(&app, &key, &s).await;
        }
    }
    let (status, page) = get(&app, &key, "/v1/orders?limit=2").await;
    assert_eq!(status, 200);
    let got: Vec<&str> = page["data"]
        .as_array()
        .expect("present")
        .iter()
        .map(|o| o["id"].as_str().expect("present"))
        .collect();
    assert_eq!(got, [ids[2].as_str(), ids[1].as_str()]);
    assert_eq!(page["has_more"], true);
    let (_, next) = get(
        &app,
        &key,
        &format!("/v1/orders?limit=2&starting_after={}", ids[1]),
    )
    .await;
    assert_eq!(next["data"][0]["id"].as_str(), Some(ids[0].as_str()));
    assert_eq!(next["has_more"], false);
    let (_, queued) = get(&app, &key, "/v1/orders?status=queued").await;
    let got: Vec<&str> = queued["data"]
        .as_array()
        .expect("present")
        .iter()
        .map(|o| o["id"].as_str().expect("present"))
        .collect();
    assert_eq!(got, [ids[1].as_str()]);
    let (status, _) = get(&app, &key, "/v1/orders?status=printing").await;
    assert_eq!(status, 400);
}

/// Median of `n` timings of GET `path`, milliseconds.
async fn median_ms(app: &TestApp, path: &str, n: usize) -> f64 {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let started = std::time::Instant::now();
        let r = app.get(path).await;
        let _ = r.bytes().await;
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    times[n / 2]
}

#[tokio::test]
async fn an_unknown_tracking_id_takes_about_as_long_as_a_known_one() {
    let app = spawn_upload_app_with(&[("rate_limit_per_minute", "1000")]).await;
    let key = new_key(&app, "test").await;
    let q = quoted(&app, &key, 1).await;
    let s = checkout(&app, &key, &q, "t").await;
    let known = format!(
        "/v1/public/orders/{}",
        s["public_order_id"].as_str().expect("id")
    );
    let unknown = format!("/v1/public/orders/pord_{}", "7".repeat(40));
    let malformed = "/v1/public/orders/pord_guess".to_owned();
    // Warm both paths, then measure them interleaved in rounds.
    median_ms(&app, &known, 5).await;
    median_ms(&app, &unknown, 5).await;
    let (mut k, mut u, mut m) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        k.push(median_ms(&app, &known, 9).await);
        u.push(median_ms(&app, &unknown, 9).await);
        m.push(median_ms(&app, &malformed, 9).await);
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (k, u, m) = (med(&mut k), med(&mut u), med(&mut m));
    println!("tracking median ms: known {k:.2}, unknown {u:.2}, malformed {m:.2}");
    // The unknown and malformed ids run the same lookup: neither answers in
    // a fraction of the known id's time (a skipped query would).
    assert!(
        u > k * 0.5 && m > k * 0.5,
        "known {k}, unknown {u}, malformed {m}"
    );
}
