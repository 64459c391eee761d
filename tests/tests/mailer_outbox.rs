//! The mailer's handler, as the work queue calls it (`POST /work/send_mail`
//! with the work envelope and the internal token): it sends an outbox row once,
//! answers a second call for the same row without sending again, and
//! refuses calls without the token.

use std::time::Duration;

use farm_tests::{AppBuilder, TestApp, mails_to, repo_root, unique_email, wait_for_mails};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn mailer_app() -> TestApp {
    AppBuilder::manifest(repo_root().join("tests/fixtures/mailer.spin.toml"))
        .migrations(true)
        .spawn()
        .await
}

async fn send(app: &TestApp, token: Option<&str>, mail_id: &str) -> (StatusCode, Value) {
    let mut request = app
        .request(reqwest::Method::POST, "/work/send_mail")
        .json(&json!({
            "job_id": 1,
            "kind": "send_mail",
            "payload": { "mail_id": mail_id },
            "attempt": 1,
            "max_attempts": 5,
            "give_up": false,
            "last_error": null
        }));
    if let Some(token) = token {
        request = request.header("x-farm-internal-token", token);
    }
    let response = request.send().await.expect("send");
    let status = response.status();
    (status, response.json().await.expect("JSON"))
}

/// An outbox row as `connect` writes it (its verification row too).
async fn queue_mail(app: &TestApp, to: &str) -> String {
    let db = app.db().await;
    let suffix = uuid_like();
    let (account, verification, mail) = (
        format!("acct_{suffix}"),
        format!("ver_{suffix}"),
        format!("mail_{suffix}"),
    );
    db.execute(
        "insert into accounts (id, email, name) values ($1, $2, 'x')",
        &[&account, &to],
    )
    .await
    .expect("account");
    db.execute(
        "insert into email_verifications (id, account_id, email, code_hash, mode, expires_at) \
         values ($1, $2, $3, 'h', 'live', now() + interval '10 minutes')",
        &[&verification, &account, &to],
    )
    .await
    .expect("verification");
    db.execute(
        "insert into mail_outbox (id, kind, ref_id, to_address) values ($1, 'verification_code', $2, $3)",
        &[&mail, &verification, &to],
    )
    .await
    .expect("outbox row");
    mail
}

fn uuid_like() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[tokio::test]
async fn a_mail_is_sent_once_and_a_second_call_for_it_sends_nothing() {
    let app = mailer_app().await;
    let to = unique_email("once");
    let mail_id = queue_mail(&app, &to).await;

    let (status, first) = send(&app, Some(&app.internal_token), &mail_id).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["already_sent"], false);
    let mails = wait_for_mails(&to, 1, Duration::from_secs(20)).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].message_id.contains(&mail_id));

    let (status, second) = send(&app, Some(&app.internal_token), &mail_id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(second["already_sent"], true);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(mails_to(&to).await.len(), 1, "sent exactly once");

    let attempts: i32 = app
        .db()
        .await
        .query_one(
            "select attempts from mail_outbox where id = $1",
            &[&mail_id],
        )
        .await
        .expect("row")
        .get(0);
    assert_eq!(attempts, 1, "the second call did not even claim the row");
}

#[tokio::test]
async fn the_handler_needs_the_internal_token_and_a_known_mail() {
    let app = mailer_app().await;
    let to = unique_email("guarded");
    let mail_id = queue_mail(&app, &to).await;

    let (status, body) = send(&app, None, &mail_id).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_internal_token");
    let (status, _) = send(&app, Some("wrong-token"), &mail_id).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = send(
        &app,
        Some(&app.internal_token),
        "mail_00000000000000000000000000000000",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "mail_not_found");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(mails_to(&to).await.is_empty(), "nothing was sent");
}
