//! Helpers for the generations tests (included with `#[path]`).
#![allow(dead_code)]

#[path = "upload_common.rs"]
mod upload_common;

pub use upload_common::*;

use farm_tests::TestApp;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Every scope the generation flow touches.
pub const GEN_SCOPES: [&str; 8] = [
    "generate",
    "export",
    "files:read",
    "quotes:write",
    "quotes:read",
    "usage:read",
    "orders:read",
    "orders:write",
];

/// A new account (2 credits from the sign-up grant) and a key with `scopes`.
pub async fn gen_account(app: &TestApp, scopes: &[&str]) -> (String, String) {
    new_account_key(app, "test", scopes).await
}

/// Sets the account's balance straight in the database (a purchase stand-in).
pub async fn set_credits(app: &TestApp, account: &str, credits: i32) {
    app.db()
        .await
        .execute(
            "update accounts set generation_credits = $2 where id = $1",
            &[&account.to_string(), &credits],
        )
        .await
        .expect("set credits");
}

pub async fn balance(app: &TestApp, account: &str) -> i32 {
    app.scalar(
        "select generation_credits from accounts where id = $1",
        &[&account.to_string()],
    )
    .await
}

/// `POST /v1/generations` with `body`.
pub async fn start(app: &TestApp, key: &str, body: &Value) -> (u16, Value) {
    post(app, key, "/v1/generations", body).await
}

/// Polls `GET /v1/generations/{id}` until it leaves `processing` (ticking
/// the queue while it waits, as the scheduler would); returns the final body
/// and the stages seen on the way.
pub async fn wait_done(
    app: &TestApp,
    key: &str,
    id: &str,
    timeout: Duration,
) -> (Value, Vec<String>) {
    let started = Instant::now();
    let mut stages = Vec::new();
    loop {
        let (status, body) = get(app, key, &format!("/v1/generations/{id}")).await;
        assert_eq!(status, 200, "{body}");
        if let Some(stage) = body["stage"].as_str()
            && stages.last().map(String::as_str) != Some(stage)
        {
            stages.push(stage.to_owned());
        }
        if body["status"] != "processing" {
            return (body, stages);
        }
        assert!(
            started.elapsed() < timeout,
            "generation {id} still processing: {body}"
        );
        if started.elapsed() > Duration::from_secs(5) {
            tick(app).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `POST /internal/tick` with the app's internal token.
pub async fn tick(app: &TestApp) -> Value {
    let r = app
        .request(reqwest::Method::POST, "/internal/tick")
        .header("x-farm-internal-token", &app.internal_token)
        .send()
        .await
        .expect("tick");
    r.json().await.unwrap_or(Value::Null)
}

/// Exports `format` of a generation (or conversation) and downloads it.
pub async fn export(app: &TestApp, key: &str, target: Value, format: &str) -> (Value, Vec<u8>) {
    let mut body = target;
    body["format"] = json!(format);
    let (status, answer) = post(app, key, "/v1/exports", &body).await;
    assert_eq!(status, 201, "{answer}");
    let url = answer["download_url"].as_str().expect("download_url");
    let bytes = reqwest::get(url).await.expect("download");
    assert_eq!(bytes.status().as_u16(), 200, "download {url}");
    (answer, bytes.bytes().await.expect("bytes").to_vec())
}

/// The bounding-box size (x, y, z) of a binary STL, read from its bytes
/// (80-byte header, u32 count, 50 bytes a triangle: normal, 3 vertices,
/// attribute), independent of the app's mesh code.
pub fn stl_size(bytes: &[u8]) -> [f64; 3] {
    let count = u32::from_le_bytes(bytes[80..84].try_into().expect("count")) as usize;
    assert_eq!(bytes.len(), 84 + 50 * count, "binary STL length");
    let mut min = [f64::MAX; 3];
    let mut max = [f64::MIN; 3];
    for t in 0..count {
        let base = 84 + 50 * t + 12;
        for v in 0..3 {
            for axis in 0..3 {
                let at = base + v * 12 + axis * 4;
                let x = f64::from(f32::from_le_bytes(
                    bytes[at..at + 4].try_into().expect("f32"),
                ));
                min[axis] = min[axis].min(x);
                max[axis] = max[axis].max(x);
            }
        }
    }
    [max[0] - min[0], max[1] - min[1], max[2] - min[2]]
}
