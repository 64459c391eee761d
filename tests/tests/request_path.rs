//! The request path's statement budget (issue 9, item 7): authentication and
//! counting a request is one SQL statement, a quote two (at most three). The counts
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
    (status, body, app.db_statements(request_id))
}

#[tokio::test]
async fn authentication_is_one_statement_and_a_quote_two() {
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

    // The request was counted by that one statement: its per-minute window
    // (the usage record until the sweep rolls it up) and last_used_at.
    let db = app.db().await;
    let window: i64 = db
        .query_one(
            "select coalesce(max(count), 0)::bigint from rate_limit_windows",
            &[],
        )
        .await
        .expect("window")
        .get(0);
    let stamped: bool = db
        .query_one(
            "select bool_and(last_used_at is not null) from api_keys where revoked_at is null",
            &[],
        )
        .await
        .expect("last_used_at")
        .get(0);
    assert!(
        window >= 1 && stamped,
        "window {window}, last_used_at set {stamped}"
    );

    // A quote: authentication, which reads the file with the farm's load in
    // the same statement, then the insert.
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
        assert_eq!(n, 2, "the quote path changed: {n} statements");
    }

    // A file that is not the caller's is found missing by that same first
    // statement: a 404 for one statement, and no quote stored.
    let missing =
        json!({"file_id": "file_00000000000000000000000000000000", "material_id": "petg"});
    let (status, body, n) = counted(&app, &key, "/v1/quotes", Some(&missing), "rp-q404").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("file_not_found")),
        "{body}"
    );
    assert_eq!(n, 1, "{body}");
    let other = new_key(&app, "test").await;
    let (status, body, n) = counted(&app, &other, "/v1/quotes", Some(&quote), "rp-qother").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("file_not_found")),
        "another account's file: {body}"
    );
    assert_eq!(n, 1);
    let stored: i64 = db
        .query_one("select count(*) from quotes", &[])
        .await
        .expect("quotes")
        .get(0);
    assert_eq!(stored, 3, "only the three 201s stored a quote");

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

/// The sweep moves windows older than an hour into `usage_daily` (by the
/// UTC day each window started) as it deletes them, so usage is never lost
/// or counted twice.
#[tokio::test]
async fn the_sweep_rolls_old_windows_up_into_daily_usage() {
    let app = spawn_upload_app().await;
    new_key(&app, "test").await;
    let db = app.db().await;
    let key_id: String = db
        .query_one(
            "select id from api_keys where revoked_at is null limit 1",
            &[],
        )
        .await
        .expect("key")
        .get(0);
    // Two old windows of one UTC day (2026-01-02 10:00 and 10:01), 7 and 5
    // requests, and one of the day before (2026-01-01 23:59), 3 requests.
    let jan2_10h = 1_767_348_000i64; // 2026-01-02T10:00:00Z
    let jan1_2359 = 1_767_311_940i64; // 2026-01-01T23:59:00Z
    for (start, count) in [(jan2_10h, 7), (jan2_10h + 60, 5), (jan1_2359, 3)] {
        db.execute(
            "insert into rate_limit_windows (key_id, window_start, count) values ($1, $2, $3)",
            &[&key_id, &start, &count],
        )
        .await
        .expect("old window");
    }
    // Authenticate once with the sweep forced on, cutoff now.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let hash: String = db
        .query_one("select key_hash from api_keys where id = $1", &[&key_id])
        .await
        .expect("hash")
        .get(0);
    db.query(
        "select * from farm_authenticate($1, $2, (now() at time zone 'UTC')::date, true, $3, $4)",
        &[
            &hash,
            &(now - now % 60),
            &(now - 3600),
            &(now - now % 86_400),
        ],
    )
    .await
    .expect("authenticate with sweep");
    let rows = db
        .query(
            "select day::text, requests from usage_daily where key_id = $1 order by day",
            &[&key_id],
        )
        .await
        .expect("usage");
    let days: Vec<(String, i64)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        days,
        vec![
            ("2026-01-01".to_string(), 3),
            ("2026-01-02".to_string(), 12)
        ]
    );
    let left: i64 = db
        .query_one(
            "select count(*) from rate_limit_windows where window_start < $1",
            &[&(now - 3600)],
        )
        .await
        .expect("left")
        .get(0);
    assert_eq!(left, 0, "rolled-up windows are deleted");

    // GET /v1/usage adds live windows to rolled-up days: accounts_api.rs's
    // usage_counts_every_authenticated_request_today_and_this_month.
}
