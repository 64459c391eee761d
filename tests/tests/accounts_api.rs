//! Accounts and keys through the local host against real Postgres: connect,
//! key management, the authentication matrix, scopes, limits and usage.

use farm_tests::{TestApp, spawn_app, unique_email, wait_for_mails};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

async fn connect(app: &TestApp, email: &str) -> Value {
    let response = app
        .post_json("/v1/connect", &json!({"email": email, "name": "my-agent"}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.expect("connect returns JSON")
}

async fn key_of(app: &TestApp, email: &str) -> (String, String, String) {
    let body = connect(app, email).await;
    (
        body["api_key"].as_str().expect("api_key").to_string(),
        body["api_key_id"].as_str().expect("api_key_id").to_string(),
        body["account_id"].as_str().expect("account_id").to_string(),
    )
}

async fn create_key(app: &TestApp, key: &str, body: Value) -> reqwest::Response {
    app.with_key(key).post_json("/v1/keys", &body).await
}

async fn error_of(response: reqwest::Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status);
    let header_id = response
        .headers()
        .get("x-request-id")
        .expect("x-request-id")
        .to_str()
        .expect("ascii")
        .to_string();
    let body: Value = response.json().await.expect("error body is JSON");
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert_eq!(body["request_id"], header_id.as_str());
    body
}

#[tokio::test]
async fn connect_with_a_new_email_creates_an_account_and_a_live_key_stored_only_as_its_hash() {
    let app = spawn_app().await;

    let body = connect(&app, "ann@example.com").await;

    let key = body["api_key"].as_str().expect("api_key");
    assert!(key.starts_with("fk_live_") && key.len() == 8 + 48, "{key}");
    assert!(
        body["account_id"]
            .as_str()
            .is_some_and(|s| s.starts_with("acct_") && s.len() == 5 + 32)
    );
    assert!(
        body["api_key_id"]
            .as_str()
            .is_some_and(|s| s.starts_with("key_"))
    );
    assert_eq!(body["email"], "ann@example.com");
    assert_eq!(body["account_created"], true);
    assert_eq!(body["mode"], "live");
    // Every scope: files, quotes, orders (read and write each), keys:manage,
    // usage:read, webhooks:manage, events:read, generate, export.
    assert_eq!(body["scopes"].as_array().map(Vec::len), Some(12));
    assert_eq!(
        body["key_preview"],
        format!("fk_live_...{}", &key[key.len() - 4..])
    );
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("not be shown again"))
    );

    let db = app.db().await;
    let hashed = db
        .query_one(
            "select count(*) from api_keys where key_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')",
            &[&key],
        )
        .await
        .expect("query");
    assert_eq!(hashed.get::<_, i64>(0), 1);
    let leaked = db
        .query_one(
            "select count(*) from api_keys where strpos(row_to_json(api_keys)::text, $1) > 0",
            &[&&key[8..]],
        )
        .await
        .expect("query");
    assert_eq!(leaked.get::<_, i64>(0), 0, "the secret must not be stored");
}

#[tokio::test]
async fn connect_in_test_mode_issues_a_test_key() {
    let app = spawn_app().await;
    let r = app
        .post_json(
            "/v1/connect",
            &json!({"email": "t@example.com", "name": "ci", "mode": "test"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.expect("json");
    assert!(
        body["api_key"]
            .as_str()
            .is_some_and(|k| k.starts_with("fk_test_"))
    );
    assert_eq!(body["mode"], "test");

    let bad = app
        .post_json(
            "/v1/connect",
            &json!({"email": "t@example.com", "name": "ci", "mode": "prod"}),
        )
        .await;
    let body = error_of(bad, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(body["fields"][0]["field"], "mode");
}

#[tokio::test]
async fn connect_with_bad_input_is_400_naming_every_field() {
    let app = spawn_app().await;

    let bad_email = app
        .post_json(
            "/v1/connect",
            &json!({"email": "not-an-email", "name": "x"}),
        )
        .await;
    let body = error_of(bad_email, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(
        body["fields"],
        json!([{"field": "email", "reason": "must contain an @"}])
    );

    let both = app
        .post_json("/v1/connect", &json!({"email": "a@b", "name": "  "}))
        .await;
    let body = error_of(both, StatusCode::BAD_REQUEST, "invalid_request").await;
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(fields, ["email", "name"]);

    let missing = app.post_json("/v1/connect", &json!({})).await;
    let body = error_of(missing, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(body["fields"].as_array().map(Vec::len), Some(2));

    let wrong_type = app
        .post_json("/v1/connect", &json!({"email": 5, "name": "x"}))
        .await;
    error_of(wrong_type, StatusCode::BAD_REQUEST, "invalid_request").await;

    let db = app.db().await;
    let accounts = db
        .query_one("select count(*) from accounts", &[])
        .await
        .expect("query");
    assert_eq!(accounts.get::<_, i64>(0), 0);
}

#[tokio::test]
async fn bad_json_is_400_invalid_json_and_a_wrong_content_type_is_415() {
    let app = spawn_app().await;

    let r = app
        .request(Method::POST, "/v1/connect")
        .header("content-type", "application/json")
        .body("{\"email\": \"a@b.io\",\n \"name\": }")
        .send()
        .await
        .expect("send");
    let body = error_of(r, StatusCode::BAD_REQUEST, "invalid_json").await;
    assert_eq!(body["line"], 2);
    assert!(body["column"].as_u64().is_some_and(|c| c > 0));

    let r = app
        .request(Method::POST, "/v1/connect")
        .header("content-type", "text/plain")
        .body("{\"email\": \"a@b.io\", \"name\": \"x\"}")
        .send()
        .await
        .expect("send");
    let body = error_of(
        r,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    assert_eq!(body["content_type"], "text/plain");
}

#[tokio::test]
async fn unsupported_methods_on_account_routes_are_405_with_allow() {
    let app = spawn_app().await;
    for (method, path, allow) in [
        (Method::GET, "/v1/connect", "POST"),
        (Method::PUT, "/v1/keys", "GET, POST"),
        (
            Method::GET,
            "/v1/keys/key_00000000000000000000000000000000",
            "DELETE",
        ),
        (Method::POST, "/v1/usage", "GET"),
    ] {
        let r = app
            .request(method.clone(), path)
            .send()
            .await
            .expect("send");
        assert_eq!(
            r.headers().get("allow").and_then(|v| v.to_str().ok()),
            Some(allow),
            "{method} {path}"
        );
        error_of(r, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    }
}

#[tokio::test]
async fn missing_malformed_unknown_and_revoked_keys_are_all_401_invalid_api_key() {
    let app = spawn_app().await;
    let (key, key_id, _) = key_of(&app, "matrix@example.com").await;
    let body = create_key(&app, &key, json!({"name": "doomed"}))
        .await
        .json::<Value>()
        .await
        .expect("json");
    let doomed = body["key"].as_str().expect("key").to_string();
    let doomed_id = body["key_id"].as_str().expect("key_id").to_string();
    let unknown = format!("fk_live_{}", "0123456789abcdef".repeat(3));

    let no_header = app.get("/v1/keys").await;
    error_of(no_header, StatusCode::UNAUTHORIZED, "invalid_api_key").await;
    for header in [
        "Basic abc",
        "Bearer",
        "Bearer fk_live_short",
        "Bearer sk_live_0000",
        &format!("Bearer {unknown}"),
    ] {
        let r = app
            .request(Method::GET, "/v1/keys")
            .header("authorization", header)
            .send()
            .await
            .expect("send");
        let body = error_of(r, StatusCode::UNAUTHORIZED, "invalid_api_key").await;
        assert!(
            !body.to_string().contains(&unknown[8..]),
            "never echo the key"
        );
    }

    assert_eq!(
        app.with_key(&doomed).get("/v1/usage").await.status(),
        StatusCode::OK
    );
    let revoked = app
        .with_key(&key)
        .delete(&format!("/v1/keys/{doomed_id}"))
        .await;
    assert_eq!(revoked.status(), StatusCode::OK);
    let body: Value = revoked.json().await.expect("json");
    assert_eq!(
        (body["key_id"].as_str(), body["revoked"].as_bool()),
        (Some(doomed_id.as_str()), Some(true))
    );
    error_of(
        app.with_key(&doomed).get("/v1/usage").await,
        StatusCode::UNAUTHORIZED,
        "invalid_api_key",
    )
    .await;

    // The revoking key is unaffected and revoking again is idempotent.
    let again = app
        .with_key(&key)
        .delete(&format!("/v1/keys/{doomed_id}"))
        .await;
    assert_eq!(again.status(), StatusCode::OK);
    let db = app.db().await;
    let active: Vec<String> = db
        .query(
            "select id from api_keys where revoked_at is null and id in ($1, $2)",
            &[&key_id, &doomed_id],
        )
        .await
        .expect("query")
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(active, [key_id], "only the doomed key is revoked");
}

#[tokio::test]
async fn another_accounts_key_is_404_never_403_and_stays_active() {
    let app = spawn_app().await;
    let (alice, _, _) = key_of(&app, "alice@example.com").await;
    let (mallory, _, _) = key_of(&app, "mallory@example.com").await;
    let alice_second = create_key(&app, &alice, json!({"name": "second"}))
        .await
        .json::<Value>()
        .await
        .expect("json");
    let alice_key_id = alice_second["key_id"].as_str().expect("key_id");

    let r = app
        .with_key(&mallory)
        .delete(&format!("/v1/keys/{alice_key_id}"))
        .await;
    error_of(r, StatusCode::NOT_FOUND, "key_not_found").await;
    let r = app
        .with_key(&mallory)
        .delete("/v1/keys/not-even-an-id")
        .await;
    error_of(r, StatusCode::NOT_FOUND, "key_not_found").await;

    let listed: Value = app
        .with_key(&mallory)
        .get("/v1/keys")
        .await
        .json()
        .await
        .expect("json");
    assert!(
        !listed.to_string().contains(alice_key_id),
        "listings are per account"
    );
    let still = app
        .with_key(alice_second["key"].as_str().expect("key"))
        .get("/v1/usage")
        .await;
    assert_eq!(still.status(), StatusCode::OK);
}

#[tokio::test]
async fn named_scoped_keys_are_listed_with_a_preview_and_never_the_secret() {
    let app = spawn_app().await;
    let (root, _, _) = key_of(&app, "lister@example.com").await;

    let r = create_key(
        &app,
        &root,
        json!({"name": " CI Pipeline ", "scopes": ["files:read", "quotes:write", "files:read"]}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.expect("json");
    let secret = created["key"].as_str().expect("key").to_string();
    assert!(secret.starts_with("fk_live_"));
    assert_eq!(created["name"], "CI Pipeline");
    assert_eq!(created["scopes"], json!(["files:read", "quotes:write"]));
    assert_eq!(
        created["key_preview"],
        format!("fk_live_...{}", &secret[secret.len() - 4..])
    );
    assert_eq!(created["last_used_at"], Value::Null);

    let listed: Value = app
        .with_key(&root)
        .get("/v1/keys")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["active_count"], 2);
    assert_eq!(listed["max_active_keys"], 10);
    let text = listed.to_string();
    assert!(
        !text.contains(&secret[8..]) && !text.contains(&root[8..]),
        "no secrets in listings"
    );
    let entry = listed["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["key_id"] == created["key_id"]))
        .expect("new key listed");
    for field in [
        "key_preview",
        "name",
        "scopes",
        "mode",
        "created_at",
        "last_used_at",
    ] {
        assert!(entry.get(field).is_some(), "missing {field}");
    }
    let root_entry = listed["keys"]
        .as_array()
        .and_then(|k| k.iter().find(|k| k["name"] == "connect"))
        .expect("root");
    assert!(
        root_entry["last_used_at"].is_string(),
        "the listing request itself used the root key"
    );

    for (body, field) in [
        (json!({}), "name"),
        (json!({"name": "x".repeat(51)}), "name"),
        (json!({"name": "x", "scopes": ["root"]}), "scopes[0]"),
    ] {
        let r = create_key(&app, &root, body).await;
        let err = error_of(r, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert_eq!(err["fields"][0]["field"], field);
    }
}

#[tokio::test]
async fn a_key_without_the_scope_gets_403_and_cannot_grant_what_it_lacks() {
    let app = spawn_app().await;
    let (root, _, _) = key_of(&app, "scopes@example.com").await;
    let reader = create_key(
        &app,
        &root,
        json!({"name": "reader", "scopes": ["files:read"]}),
    )
    .await;
    let reader = reader.json::<Value>().await.expect("json")["key"]
        .as_str()
        .expect("key")
        .to_string();
    let manager = create_key(
        &app,
        &root,
        json!({"name": "mgr", "scopes": ["keys:manage", "files:read"]}),
    )
    .await;
    let manager = manager.json::<Value>().await.expect("json")["key"]
        .as_str()
        .expect("key")
        .to_string();

    let r = app.with_key(&reader).get("/v1/keys").await;
    assert!(
        r.headers().contains_key("x-ratelimit-remaining"),
        "403s are counted and carry the headers"
    );
    let body = error_of(r, StatusCode::FORBIDDEN, "insufficient_scope").await;
    assert_eq!(body["required_scope"], "keys:manage");
    error_of(
        app.with_key(&reader).get("/v1/usage").await,
        StatusCode::FORBIDDEN,
        "insufficient_scope",
    )
    .await;

    let escalate = create_key(
        &app,
        &manager,
        json!({"name": "x", "scopes": ["orders:write"]}),
    )
    .await;
    let body = error_of(escalate, StatusCode::FORBIDDEN, "insufficient_scope").await;
    assert_eq!(body["required_scope"], "orders:write");
    let inherits = create_key(&app, &manager, json!({"name": "child"})).await;
    assert_eq!(inherits.status(), StatusCode::CREATED);
    assert_eq!(
        inherits.json::<Value>().await.expect("json")["scopes"],
        json!(["files:read", "keys:manage"])
    );
}

#[tokio::test]
async fn a_test_key_cannot_create_a_live_key() {
    let app = spawn_app().await;
    let r = app
        .post_json(
            "/v1/connect",
            &json!({"email": "sandbox@example.com", "name": "s", "mode": "test"}),
        )
        .await;
    let test_key = r.json::<Value>().await.expect("json")["api_key"]
        .as_str()
        .expect("key")
        .to_string();

    let live = create_key(&app, &test_key, json!({"name": "prod", "mode": "live"})).await;
    error_of(live, StatusCode::FORBIDDEN, "mode_not_allowed").await;
    let default = create_key(&app, &test_key, json!({"name": "more"})).await;
    assert_eq!(default.status(), StatusCode::CREATED);
    let body: Value = default.json().await.expect("json");
    assert!(
        body["key"]
            .as_str()
            .is_some_and(|k| k.starts_with("fk_test_"))
    );
}

#[tokio::test]
async fn the_eleventh_active_key_is_refused_until_one_is_revoked() {
    let app = spawn_app().await;
    let email = unique_email("many");
    let (root, root_id, _) = key_of(&app, &email).await;
    for i in 2..=10 {
        let r = create_key(&app, &root, json!({"name": format!("k{i}")})).await;
        assert_eq!(r.status(), StatusCode::CREATED, "key {i}");
    }

    let eleventh = create_key(&app, &root, json!({"name": "k11"})).await;
    let body = error_of(eleventh, StatusCode::CONFLICT, "key_limit_reached").await;
    assert_eq!(body["limit"], 10);
    // A key through connect's verification counts against the same limit,
    // and the refused exchange leaves the code unused.
    let again = app
        .post_json("/v1/connect", &json!({"email": email, "name": "x"}))
        .await;
    assert_eq!(again.status(), StatusCode::ACCEPTED);
    let mails = wait_for_mails(&email, 1, Duration::from_secs(20)).await;
    let code = code_in(&mails.last().expect("the code mail").text);
    let exchange = json!({"email": email, "code": code});
    let verify = || app.post_json("/v1/connect/verify", &exchange);
    error_of(verify().await, StatusCode::CONFLICT, "key_limit_reached").await;

    let listed: Value = app
        .with_key(&root)
        .get("/v1/keys")
        .await
        .json()
        .await
        .expect("json");
    let victim = listed["keys"]
        .as_array()
        .and_then(|k| k.iter().find(|k| k["key_id"] != root_id.as_str()))
        .expect("k");
    let victim = victim["key_id"].as_str().expect("id");
    assert_eq!(
        app.with_key(&root)
            .delete(&format!("/v1/keys/{victim}"))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(verify().await.status(), StatusCode::CREATED);
    assert_eq!(
        create_key(&app, &root, json!({"name": "k11"}))
            .await
            .status(),
        StatusCode::CONFLICT,
        "the verified key took the freed slot"
    );
}

/// The six digits after "Your verification code: " in a mail.
fn code_in(text: &str) -> String {
    text.split("Your verification code: ")
        .nth(1)
        .map(|rest| rest.chars().take(6).collect())
        .expect("the mail carries a code")
}

#[tokio::test]
async fn usage_counts_every_authenticated_request_today_and_this_month() {
    let app = spawn_app().await;
    // Exact per-day counts: do not straddle UTC midnight (nor a month's end).
    farm_tests::clock::within_one_utc_day(120).await;
    let (key, key_id, account_id) = key_of(&app, "usage@example.com").await;
    let other = create_key(&app, &key, json!({"name": "other"})).await; // request 1 of `key`
    let other = other.json::<Value>().await.expect("json")["key"]
        .as_str()
        .expect("key")
        .to_string();
    for _ in 0..3 {
        assert_eq!(
            app.with_key(&key).get("/v1/keys").await.status(),
            StatusCode::OK
        ); // requests 2..=4
    }
    assert_eq!(
        app.with_key(&other).get("/v1/keys").await.status(),
        StatusCode::OK
    );

    let r = app.with_key(&key).get("/v1/usage").await; // request 5
    assert_eq!(r.status(), StatusCode::OK);
    for h in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "x-request-id",
    ] {
        assert!(r.headers().contains_key(h), "{h}");
    }
    let usage: Value = r.json().await.expect("json");
    assert_eq!(usage["key_id"], key_id.as_str());
    assert_eq!(usage["account_id"], account_id.as_str());
    assert_eq!(
        usage["totals"],
        json!({"requests_today": 5, "requests_this_month": 5, "generations_this_month": 0})
    );
    assert_eq!(
        usage["account_totals"],
        json!({"requests_today": 6, "requests_this_month": 6, "generations_this_month": 0})
    );
    assert_eq!(usage["limits"]["requests_per_minute"], 60);
    assert_eq!(
        usage["limits"]["requests_per_day"], 1000,
        "seed 002: 1,000 requests/day"
    );
    assert_eq!(usage["limits"]["generations_per_month"], 100);
    let db = app.db().await;
    let today = db
        .query_one("select to_char(now() at time zone 'utc', 'YYYY-MM-DD'), to_char(now() at time zone 'utc', 'YYYY-MM')", &[])
        .await
        .expect("query");
    assert_eq!(usage["period"]["day"], today.get::<_, String>(0));
    assert_eq!(usage["period"]["month"], today.get::<_, String>(1));
}

#[tokio::test]
async fn a_well_formed_request_id_is_echoed_and_a_malformed_one_replaced() {
    let app = spawn_app().await;
    let r = app
        .request(Method::GET, "/v1/keys")
        .header("x-request-id", "trace-42.a:b")
        .send()
        .await
        .expect("send");
    assert_eq!(r.headers()["x-request-id"], "trace-42.a:b");
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["request_id"], "trace-42.a:b");

    let r = app
        .request(Method::GET, "/v1/keys")
        .header("x-request-id", "bad id; drop")
        .send()
        .await
        .expect("send");
    let id = r.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(id.starts_with("req_") && id.len() == 4 + 32, "{id}");
    assert!(
        app.logs()
            .iter()
            .any(|line| line.contains("request_id=trace-42.a:b") && line.contains("status=401")),
        "the component logs one line with the request id"
    );
}
