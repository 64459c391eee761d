//! Helpers shared by the farm tests (`farm_production`, `farm_operations`):
//! the calls a printer-gateway and an operator make, driven through the
//! internal routes as they are (site token, plate contract, operator token).
//! Included with `#[path]`; re-exports `upload_common`'s helpers. As a test
//! target of its own it holds no tests.
#![allow(dead_code)]

#[path = "upload_common.rs"]
mod upload_common;

pub use upload_common::*;

use farm_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

pub const OPERATOR: &str = "op-token-for-tests-0123456789";

pub async fn spawn() -> TestApp {
    spawn_upload_app_with(&[
        ("farm_operator_token", OPERATOR),
        ("farm_transit_secs", "2"),
        ("farm_solar_share", "0.2"),
        ("rate_limit_per_minute", "1000"),
    ])
    .await
}

pub async fn call(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    let response = app
        .request(method, path)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("send");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub async fn register(app: &TestApp, token: &str, serials: &[&str]) {
    let printers: Vec<Value> = serials
        .iter()
        .map(|s| json!({ "serial": s, "model": "P1S" }))
        .collect();
    let (status, body) = call(
        app,
        token,
        Method::PUT,
        "/internal/farm/printers",
        &json!({ "printers": printers }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

/// A claim with PLA black loaded (what the gateway reads from the AMS).
pub async fn claim(app: &TestApp, token: &str, serial: &str) -> Value {
    claim_loaded(
        app,
        token,
        serial,
        json!([{"material": "PLA", "color": "Black"}]),
    )
    .await
}

/// A claim reporting `loaded` (the AMS trays, as the gateway sends them),
/// whatever it answers (200 asserted).
pub async fn claim_loaded(app: &TestApp, token: &str, serial: &str, loaded: Value) -> Value {
    let (status, body) = call(
        app,
        token,
        Method::POST,
        "/internal/farm/claims",
        &json!({ "printer": serial, "loaded": loaded }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The plate `plate` on `serial` starts and finishes; `detail` is the
/// finish's (`print_s`, `usage`).
pub async fn start_and_finish(
    app: &TestApp,
    token: &str,
    serial: &str,
    plate: &Value,
    detail: Value,
) {
    push(
        app,
        token,
        vec![
            event(serial, "task_started", json!({"plate_id": plate})),
            event(
                serial,
                "task_finished",
                json!({"plate_id": plate, "detail": detail}),
            ),
        ],
    )
    .await;
}

/// Claims on `serial` and fails the print (a stop-class error), then lets
/// the order's work run; returns the claim. Three of these make a part give up.
pub async fn fail_print(app: &TestApp, token: &str, serial: &str) -> Value {
    let c = claim(app, token, serial).await;
    assert_eq!(c["reason"], "claimed", "{c}");
    let plate = c["plate"]["id"].clone();
    push(app, token, vec![
        event(serial, "task_started", json!({"plate_id": plate})),
        event(serial, "task_failed", json!({"plate_id": plate, "detail": {"print_error": 0x0300_4000u32, "reason": "stopped"}})),
    ]).await;
    settle(app).await;
    c
}

pub fn plate_tasks(claim: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = claim["plate"]["parts"]
        .as_array()
        .map(|p| p.iter().filter_map(|x| x["task_id"].as_i64()).collect())
        .unwrap_or_default();
    ids.sort_unstable();
    ids
}

/// One event of `kind` from `serial`, with a fresh id.
pub fn event(serial: &str, kind: &str, extra: Value) -> Value {
    let mut e = json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "printer": serial,
        "kind": kind,
        "occurred_at": "2026-11-30T04:00:00Z",
    });
    for (k, v) in extra.as_object().expect("object") {
        e[k] = v.clone();
    }
    e
}

pub async fn push(app: &TestApp, token: &str, events: Vec<Value>) -> Value {
    let (status, body) = call(
        app,
        token,
        Method::POST,
        "/internal/farm/events",
        &json!({ "events": events }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Runs the work queue until no order work is due (the tick route, as the
/// gateway's timer calls it; the fast path may be running some already).
pub async fn settle(app: &TestApp) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let r = app
            .request(Method::POST, "/internal/tick")
            .header("x-farm-internal-token", &app.internal_token)
            .send()
            .await
            .expect("tick");
        assert!(r.status().is_success(), "{}", r.status());
        let open: i64 = app
            .scalar(
                "select count(*) from background_jobs where kind = 'advance_order' \
                 and status in ('queued', 'running') and run_at <= now()",
                &[],
            )
            .await;
        if open == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "advance_order jobs never finished"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A paid, queued autonomous order of `quantity` boxes of `size` mm in PLA
/// black; returns (key, order).
pub async fn queued_order(app: &TestApp, quantity: i64, size: [f32; 3]) -> (String, Value) {
    let key = new_key(app, "test").await;
    let file = upload_box(app, &key, "part.stl", size).await;
    app.db()
        .await
        .execute(
            "update files set unit_confirmed_by = 'user' where id = $1",
            &[&file["id"].as_str().expect("id")],
        )
        .await
        .expect("confirm unit");
    let q = quote(app, &key, &file, "pla", quantity).await;
    let r = app
        .with_key(&key)
        .request(Method::POST, "/v1/autonomous/orders")
        .header("idempotency-key", uuid::Uuid::new_v4().to_string())
        .json(&json!({"quote_id": q["quote_id"], "shipping_address_json":
            {"line1": "1 Main St", "city": "Austin", "country": "US"}}))
        .send()
        .await
        .expect("order");
    let status = r.status().as_u16();
    let order: Value = r.json().await.expect("json");
    assert_eq!(
        (status, order["status"].as_str()),
        (201, Some("queued")),
        "{order}"
    );
    assert_eq!(order["color"], "black", "the tests load black PLA");
    (key, order)
}

pub async fn order_events(app: &TestApp, order_id: &str) -> Vec<Value> {
    let rows = app
        .db()
        .await
        .query(
            "select json_build_object('type', type, 'data', data)::text from events \
             where order_id = $1 order by seq",
            &[&order_id],
        )
        .await
        .expect("events");
    rows.iter()
        .map(|r| serde_json::from_str(&r.get::<_, String>(0)).expect("json"))
        .collect()
}

pub fn types(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// A real PNG (64 × 64, one shaded triangle), encoded by farm-inspection's
/// PNG encoder (the png crate).
pub fn png() -> Vec<u8> {
    let mut image = farm_inspection::Image::new(64, 64);
    image.triangle(
        [[4.0, 4.0, 0.0], [60.0, 8.0, 0.0], [30.0, 60.0, 0.0]],
        [200, 80, 40],
    );
    image.to_png()
}

pub async fn put_photo(
    app: &TestApp,
    token: &str,
    task: i64,
    name: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    let r = app
        .request(Method::PUT, &format!("/internal/farm/photos/{task}/{name}"))
        .bearer_auth(token)
        .header("content-type", "image/png")
        .body(bytes)
        .send()
        .await
        .expect("put photo");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}
