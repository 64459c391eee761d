//! `Idempotency-Key` on the POSTs whose answer holds a key's secret
//! (`POST /v1/keys`, `POST /v1/connect`, `POST /v1/connect/verify`): a retry
//! creates nothing more and replays the first answer without the secret
//! (`api_key_redacted: true`), the secret is never stored, another request
//! under the same key is a 409, and a replayed 202 sends no second mail.

use std::time::Duration;

use farm_tests::{TestApp, mails_to, spawn_app, unique_email, wait_for_mails};
use reqwest::Method;
use serde_json::{Value, json};

const MAIL_WAIT: Duration = Duration::from_secs(20);

/// A whole secret as `farm_domain::api_key` makes it (`fk_<mode>_` + 48
/// hex); `key_preview` (`fk_live_...1a2b`) does not match it.
const SECRET_PATTERN: &str = "fk_(live|test)_[0-9a-f]{48}";

struct Answer {
    status: u16,
    replayed: Option<String>,
    body: Value,
}

async fn send(req: reqwest::RequestBuilder) -> Answer {
    let r = req.send().await.expect("send");
    let replayed = r
        .headers()
        .get("idempotent-replayed")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let status = r.status().as_u16();
    Answer {
        status,
        replayed,
        body: r.json().await.expect("JSON body"),
    }
}

/// POSTs `text` as JSON (a test controls key order) with `Idempotency-Key: idem`,
/// authenticated by `key` when there is one.
async fn post(app: &TestApp, key: Option<&str>, path: &str, idem: &str, text: &str) -> Answer {
    let mut req = app
        .request(Method::POST, path)
        .header("content-type", "application/json")
        .header("idempotency-key", idem)
        .body(text.to_string());
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    send(req).await
}

/// A key (every scope) for a new account, from `connect` without a key.
async fn connect_key(app: &TestApp, email: &str) -> String {
    let r = app
        .post_json("/v1/connect", &json!({"email": email, "name": "agent"}))
        .await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.expect("JSON");
    body["api_key"].as_str().expect("api_key").to_string()
}

/// Stored idempotent answers that hold a whole secret, or `secret` itself.
async fn stored_secrets(app: &TestApp, secret: &str) -> i64 {
    app.scalar(
        "select count(*) from idempotency_keys \
         where response_body ~ $1 or strpos(response_body, $2) > 0",
        &[&SECRET_PATTERN, &secret],
    )
    .await
}

/// The replay is the first body without `secret_field`, with
/// `api_key_redacted: true` and a message naming the key to revoke.
fn assert_redacted_replay(first: &Answer, replay: &Answer, secret_field: &str, id_field: &str) {
    assert_eq!(replay.status, first.status, "{}", replay.body);
    assert_eq!(replay.replayed.as_deref(), Some("true"));
    assert!(replay.body.get(secret_field).is_none(), "{}", replay.body);
    assert_eq!(replay.body["api_key_redacted"], true);
    let id = first.body[id_field].as_str().expect("key id");
    let message = replay.body["message"].as_str().expect("message");
    assert!(message.contains("shown once"), "{message}");
    assert!(
        message.contains(&format!("DELETE /v1/keys/{id}")),
        "{message}"
    );
    let mut expected = first.body.clone();
    let fields = expected.as_object_mut().expect("object");
    fields.remove(secret_field);
    fields.insert("api_key_redacted".into(), json!(true));
    fields.insert("message".into(), json!(message));
    assert_eq!(replay.body, expected);
    assert!(
        !replay
            .body
            .to_string()
            .contains(&*first.body[secret_field].to_string())
    );
}

#[tokio::test]
async fn a_retried_key_creation_makes_one_key_and_replays_it_without_the_secret() {
    let app = spawn_app().await;
    let admin = connect_key(&app, &unique_email("keys-idem")).await;
    assert_eq!(app.count_rows("api_keys").await, 1);

    let body = r#"{"name": "ci", "scopes": ["files:read", "usage:read"]}"#;
    let first = post(&app, Some(&admin), "/v1/keys", "key-1", body).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.replayed, None);
    let secret = first.body["key"]
        .as_str()
        .expect("the first answer shows the secret");
    assert!(secret.starts_with("fk_live_"), "{secret}");

    // Same meaning, keys reordered and spaced otherwise.
    let reordered = r#"{"scopes":["files:read","usage:read"],"name":"ci"}"#;
    let replay = post(&app, Some(&admin), "/v1/keys", "key-1", reordered).await;
    assert_redacted_replay(&first, &replay, "key", "key_id");
    assert_eq!(
        app.count_rows("api_keys").await,
        2,
        "one key for two requests"
    );

    // The secret from the first answer works: it was made once, not remade.
    let usage = app.with_key(secret).get("/v1/usage").await;
    assert_eq!(usage.status(), 200);

    let other = post(&app, Some(&admin), "/v1/keys", "key-1", r#"{"name":"cd"}"#).await;
    assert_eq!(other.status, 409, "{}", other.body);
    assert_eq!(
        other.body["error"], "idempotency_key_reused",
        "{}",
        other.body
    );
    assert_eq!(app.count_rows("api_keys").await, 2);

    assert_eq!(app.count_rows("idempotency_keys").await, 1);
    assert_eq!(stored_secrets(&app, secret).await, 0, "no secret is stored");
    let stored: String = app
        .scalar("select response_body from idempotency_keys", &[])
        .await;
    assert!(stored.contains("\"api_key_redacted\":true"), "{stored}");
}

#[tokio::test]
async fn a_retried_connect_makes_one_account_and_one_key_and_keys_live_per_email() {
    let app = spawn_app().await;
    let email = unique_email("connect-idem");
    let body = json!({"email": email, "name": "agent"}).to_string();

    let first = post(&app, None, "/v1/connect", "connect-1", &body).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let secret = first.body["api_key"].as_str().expect("secret").to_string();
    let replay = post(&app, None, "/v1/connect", "connect-1", &body).await;
    assert_redacted_replay(&first, &replay, "api_key", "api_key_id");
    assert_eq!(app.count_rows("accounts").await, 1);
    assert_eq!(app.count_rows("api_keys").await, 1);

    let renamed = json!({"email": email, "name": "other"}).to_string();
    let other = post(&app, None, "/v1/connect", "connect-1", &renamed).await;
    assert_eq!(other.status, 409, "{}", other.body);
    assert_eq!(other.body["error"], "idempotency_key_reused");

    // The key is scoped to the email: another email may use the same key.
    let second_email = unique_email("connect-idem");
    let elsewhere = json!({"email": second_email, "name": "agent"}).to_string();
    let second = post(&app, None, "/v1/connect", "connect-1", &elsewhere).await;
    assert_eq!(second.status, 201, "{}", second.body);
    assert_eq!(second.replayed, None);
    assert_ne!(second.body["account_id"], first.body["account_id"]);
    assert_eq!(app.count_rows("accounts").await, 2);

    assert_eq!(stored_secrets(&app, &secret).await, 0);
    let namespaces: Vec<String> = app
        .db()
        .await
        .query("select account_id from idempotency_keys", &[])
        .await
        .expect("query")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(namespaces.len(), 2);
    for ns in &namespaces {
        let hex = ns.strip_prefix("connect:").expect("connect: namespace");
        assert_eq!(hex.len(), 64, "{ns}");
        assert!(!ns.contains('@'), "no address in clear: {ns}");
    }
}

#[tokio::test]
async fn a_replayed_202_sends_no_second_mail_and_a_retried_verify_makes_one_key() {
    let app = spawn_app().await;
    let email = unique_email("verify-idem");
    connect_key(&app, &email).await;

    let body = json!({"email": email, "name": "agent"}).to_string();
    let asked = post(&app, None, "/v1/connect", "ask-1", &body).await;
    assert_eq!(asked.status, 202, "{}", asked.body);
    let mails = wait_for_mails(&email, 1, MAIL_WAIT).await;
    assert_eq!(mails.len(), 1);
    let again = post(&app, None, "/v1/connect", "ask-1", &body).await;
    assert_eq!(again.status, 202);
    assert_eq!(again.replayed.as_deref(), Some("true"));
    assert_eq!(
        again.body, asked.body,
        "a 202 holds no secret: replayed as it was"
    );
    assert_eq!(app.count_rows("email_verifications").await, 1);
    assert_eq!(app.count_rows("mail_outbox").await, 1);
    // The fast path sends within milliseconds; give a second mail time to show.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(mails_to(&email).await.len(), 1, "one mail for one code");

    let code: String = mails[0]
        .text
        .split("Your verification code: ")
        .nth(1)
        .expect("code line")
        .chars()
        .take(6)
        .collect();
    let verify = json!({"email": email, "code": code}).to_string();
    let first = post(&app, None, "/v1/connect/verify", "verify-1", &verify).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let secret = first.body["api_key"].as_str().expect("secret").to_string();
    let replay = post(&app, None, "/v1/connect/verify", "verify-1", &verify).await;
    assert_redacted_replay(&first, &replay, "api_key", "api_key_id");

    // The mailed page's form is the same request as the JSON.
    let form = send(
        app.request(Method::POST, "/v1/connect/verify")
            .header("idempotency-key", "verify-1")
            .form(&[("email", email.as_str()), ("code", code.as_str())]),
    )
    .await;
    assert_eq!(form.replayed.as_deref(), Some("true"));
    assert_eq!(form.body, replay.body);
    assert_eq!(
        app.count_rows("api_keys").await,
        2,
        "connect's key and one more"
    );

    let wrong = json!({"email": email, "code": "000000"}).to_string();
    let other = post(&app, None, "/v1/connect/verify", "verify-1", &wrong).await;
    assert_eq!(other.status, 409, "{}", other.body);
    assert_eq!(other.body["error"], "idempotency_key_reused");
    assert_eq!(stored_secrets(&app, &secret).await, 0);
}
