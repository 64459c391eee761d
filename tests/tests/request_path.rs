//! The request path's statement budget (issue 9, item 7): authentication and
//! counting a request is one SQL statement, a quote at most three. The counts
//! are read from the request's own log line (`db_statements=N`), which the
//! platform's connection wrapper counts as each statement goes out, so a
//! statement added anywhere on the path makes these tests fail.

#[path = "upload_common.rs"]
mod common;

use common::*;
use farm_tests::TestApp;
use serde_json::{Value, json};

/// Sends `POST path` (or `GET` without a body) with a known request id and
/// returns the status, the body and the statements its log line reports.
async fn counted(
    app: &TestApp,
    key: &str,
    path: &str,
    body: Option<&Value>,
    request_id: &str,
) -> (u16, Value, u32) {
    let builder = match body {
        Some(b) => app.client.post(app.url(path)).json(b),
        None => app.client.get(app.url(path)),
    };
    let r = builder
        .bearer_auth(key)
        .header("x-request-id", request_id)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    (status, body, statements_of(app, request_id))
}

/// `db_statements=N` from the request's log line.
pub fn statements_of(app: &TestApp, request_id: &str) -> u32 {
    let needle = format!("request_id={request_id} method=");
    let line = app
        .logs()
        .into_iter()
        .find(|l| l.contains(&needle))
        .unwrap_or_else(|| panic!("no log line for {request_id}"));
    line.split_whitespace()
        .find_map(|w| w.strip_prefix("db_statements="))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no db_statements in {line}"))
}

#[tokio::test]
async fn authentication_is_one_statement_and_a_quote_at_most_three() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let file = upload_box(&app, &key, "box.stl", [30.0, 20.0, 10.0]).await;
    let file_id = file["id"].as_str().expect("id");

    // An authenticated request that needs nothing else: a malformed quote id
    // is a 404 without a lookup, so all it costs is authentication.
    let (status, body, n) = counted(&app, &key, "/v1/quotes/quote_nope", None, "rp-auth").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("quote_not_found"))
    );
    assert_eq!(n, 1, "authentication and counting must be one statement");

    // The request was counted by that one statement: the window, the day's
    // usage and last_used_at moved.
    let db = app.db().await;
    let used: i64 = db
        .query_one(
            "select coalesce(sum(requests), 0)::bigint from usage_daily",
            &[],
        )
        .await
        .expect("usage")
        .get(0);
    let window: i64 = db
        .query_one(
            "select coalesce(max(count), 0)::bigint from rate_limit_windows",
            &[],
        )
        .await
        .expect("window")
        .get(0);
    assert!(used >= 1 && window >= 1, "usage {used}, window {window}");

    // A quote: authentication, the file with the farm's load, the insert.
    let quote =
        json!({"file_id": file_id, "material_id": "petg", "quantity": 25, "ship_country": "US"});
    for i in 0..3 {
        let (status, body, n) = counted(
            &app,
            &key,
            "/v1/quotes",
            Some(&quote),
            &format!("rp-quote-{i}"),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        assert!(n <= 3, "a quote took {n} statements");
        assert_eq!(n, 3, "the quote path changed: {n} statements");
    }

    // A bad key costs one statement and counts nothing against anyone.
    let (status, _, n) = counted(
        &app,
        "fk_test_0000000000000000000000000000000000000000000000",
        "/v1/quotes/quote_nope",
        None,
        "rp-badkey",
    )
    .await;
    assert_eq!(status, 401);
    assert!(n <= 1, "{n}");
}

#[tokio::test]
async fn the_one_statement_still_enforces_the_limit_exactly() {
    let app = spawn_upload_app_with(&[("rate_limit_per_minute", "3")]).await;
    let minute = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs()
            / 60
    };
    // A fresh key per attempt; an attempt that straddles a minute boundary
    // (two windows) is run again rather than judged.
    for attempt in 0..3 {
        let key = new_key(&app, "test").await;
        let started = minute();
        let mut statuses = Vec::new();
        for i in 0..5 {
            let (status, _, n) = counted(
                &app,
                &key,
                "/v1/quotes/quote_nope",
                None,
                &format!("rp-lim-{attempt}-{i}"),
            )
            .await;
            assert_eq!(n, 1);
            statuses.push(status);
        }
        if minute() == started {
            assert_eq!(statuses, [404, 404, 404, 429, 429], "limit 3 a minute");
            return;
        }
    }
    panic!("three attempts straddled a minute boundary");
}
