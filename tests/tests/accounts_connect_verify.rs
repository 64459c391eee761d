//! `POST /v1/connect` for an email that already has an account hands out no
//! key: it mails a single-use, expiring code (read here from the real mail
//! catcher), and `POST /v1/connect/verify` exchanges it for a key of the same
//! account. Codes are stored only as keyed hashes, allow 5 attempts, last 10
//! minutes; connect is limited per email and per client address.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use farm_tests::{CaughtMail, TestApp, spawn_app, unique_email, wait_for_mails};
use reqwest::StatusCode;
use serde_json::{Value, json};

const MAIL_WAIT: Duration = Duration::from_secs(20);

async fn connect(app: &TestApp, email: &str) -> reqwest::Response {
    app.post_json("/v1/connect", &json!({"email": email, "name": "agent"}))
        .await
}

async fn verify(app: &TestApp, email: &str, code: &str) -> reqwest::Response {
    app.post_json("/v1/connect/verify", &json!({"email": email, "code": code}))
        .await
}

async fn body(response: reqwest::Response, status: StatusCode) -> Value {
    let got = response.status();
    let value: Value = response.json().await.expect("JSON body");
    assert_eq!(got, status, "{value}");
    value
}

/// The six digits after "Your verification code: " in a mail.
fn code_in(mail: &CaughtMail) -> String {
    let code: String = mail
        .text
        .split("Your verification code: ")
        .nth(1)
        .map(|rest| rest.chars().take(6).collect())
        .expect("the mail carries a code");
    assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code:?}");
    code
}

/// A code that is not `code`.
fn other_than(code: &str) -> String {
    format!(
        "{:06}",
        (code.parse::<u32>().expect("digits") + 1) % 1_000_000
    )
}

/// Creates the account (201 with a key), then asks again (202) and returns
/// (the first key's account id, the mailed code).
async fn account_and_code(app: &TestApp, email: &str) -> (String, String) {
    let first = body(connect(app, email).await, StatusCode::CREATED).await;
    body(connect(app, email).await, StatusCode::ACCEPTED).await;
    let mails = wait_for_mails(email, 1, MAIL_WAIT).await;
    assert_eq!(mails.len(), 1, "one mail for one code");
    (
        first["account_id"]
            .as_str()
            .expect("account_id")
            .to_string(),
        code_in(&mails[0]),
    )
}

/// The limits use fixed one-hour windows; a test that must stay inside one
/// window waits out the last `margin` seconds of an hour.
async fn inside_one_hour_window(margin: u64) {
    let into_hour = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        % 3600;
    if into_hour + margin >= 3600 {
        tokio::time::sleep(Duration::from_secs(3601 - into_hour)).await;
    }
}

#[tokio::test]
async fn an_existing_email_gets_no_key_but_a_mailed_code_that_verify_exchanges_for_a_key() {
    let app = spawn_app().await;
    let email = unique_email("owner");
    let first = body(connect(&app, &email).await, StatusCode::CREATED).await;
    assert!(
        first["api_key"]
            .as_str()
            .is_some_and(|k| k.starts_with("fk_live_"))
    );

    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let asked = body(
        connect(&app, &email.to_uppercase()).await,
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(asked["next_action"], "verify_email");
    assert_eq!(asked["status"], "verification_required");
    assert_eq!(asked["account_created"], false);
    assert_eq!(asked["email"], email.as_str());
    assert_eq!(asked["code_length"], 6);
    assert_eq!(asked["max_attempts"], 5);
    assert!(
        asked.get("api_key").is_none() && asked.get("account_id").is_none(),
        "{asked}"
    );
    let db = app.db().await;
    let keys = app.count_rows("api_keys").await;
    assert_eq!(keys, 1, "no key was created for the second connect");
    // The code lasts 10 minutes from now.
    let expires: i64 = app
        .scalar(
            "select extract(epoch from expires_at)::bigint from email_verifications",
            &[],
        )
        .await;
    assert!(
        (expires - started - 600).abs() <= 5,
        "expires {expires}, asked at {started}"
    );

    let mails = wait_for_mails(&email, 1, MAIL_WAIT).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    let code = code_in(mail);
    assert_eq!(mail.rcpt_tos, vec![email.clone()]);
    assert!(mail.subject.contains(&code));
    let link = format!(
        "{}/v1/connect/verify?email={}&code={code}",
        app.base_url,
        email.replace('@', "%40")
    );
    assert!(mail.text.contains(&link), "{}", mail.text);

    // The code is stored nowhere in clear: not in its row, not in the outbox.
    for table in ["email_verifications", "mail_outbox"] {
        let rows = db
            .query(&format!("select row_to_json(t)::text from {table} t"), &[])
            .await
            .expect("rows");
        assert_eq!(rows.len(), 1, "{table}");
        let text: String = rows[0].get(0);
        assert!(!text.contains(&code), "{table} holds the code: {text}");
    }
    // The mailer marks the outbox row sent (just after the relay accepted
    // the mail, so poll); its Message-ID names the row.
    let started_wait = std::time::Instant::now();
    let (mail_id, sent) = loop {
        let row = db
            .query_one("select id, sent_at is not null from mail_outbox", &[])
            .await
            .expect("outbox row");
        let (id, sent): (String, bool) = (row.get(0), row.get(1));
        if sent || started_wait.elapsed() > MAIL_WAIT {
            break (id, sent);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(sent);
    assert!(mail.message_id.contains(&mail_id), "{}", mail.message_id);

    let verified = body(verify(&app, &email, &code).await, StatusCode::CREATED).await;
    assert_eq!(verified["account_id"], first["account_id"]);
    assert_eq!(verified["account_created"], false);
    let key = verified["api_key"].as_str().expect("a key");
    assert_ne!(key, first["api_key"].as_str().expect("first key"));
    let listed: Value = app
        .with_key(key)
        .get("/v1/keys")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["active_count"], 2, "{listed}");

    // Single use: the same code again gives nothing.
    let again = body(verify(&app, &email, &code).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(again["error"], "verification_code_used");
    assert_eq!(again["next_action"], "connect");
}

#[tokio::test]
async fn wrong_codes_count_and_lock_the_code_after_five_attempts() {
    let app = spawn_app().await;
    let email = unique_email("guess");
    let (_, code) = account_and_code(&app, &email).await;
    let wrong = other_than(&code);

    for remaining in (0..5).rev() {
        let refused = body(verify(&app, &email, &wrong).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(refused["error"], "verification_code_invalid");
        assert_eq!(refused["attempts_remaining"], remaining);
        let next = if remaining > 0 {
            "verify_email"
        } else {
            "connect"
        };
        assert_eq!(refused["next_action"], next);
    }
    // Five wrong attempts lock the code: the right one is refused now.
    let locked = body(verify(&app, &email, &code).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(locked["error"], "verification_code_locked");
    let attempts: i32 = app
        .scalar("select attempts from email_verifications", &[])
        .await;
    assert_eq!(attempts, 6);
    let keys = app.count_rows("api_keys").await;
    assert_eq!(keys, 1);

    // A new code replaces the locked one; the old code stays dead.
    body(connect(&app, &email).await, StatusCode::ACCEPTED).await;
    let mails = wait_for_mails(&email, 2, MAIL_WAIT).await;
    assert_eq!(mails.len(), 2);
    let fresh = code_in(&mails[1]);
    if fresh != code {
        let old = body(verify(&app, &email, &code).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(old["error"], "verification_code_invalid");
    }
    body(verify(&app, &email, &fresh).await, StatusCode::CREATED).await;
}

#[tokio::test]
async fn an_expired_code_is_refused_and_a_code_never_sent_is_refused() {
    let app = spawn_app().await;
    let email = unique_email("late");
    let (_, code) = account_and_code(&app, &email).await;
    // Ten minutes pass (the row's clock, not ours: the test cannot wait).
    app.db()
        .await
        .execute(
            "update email_verifications set expires_at = now() - interval '1 second'",
            &[],
        )
        .await
        .expect("age the code");
    let expired = body(verify(&app, &email, &code).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(expired["error"], "verification_code_expired");
    assert_eq!(expired["next_action"], "connect");

    let never = body(
        verify(&app, &unique_email("nobody"), "123456").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(never["error"], "verification_not_requested");

    let malformed = body(
        verify(&app, &email, "12a456").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(malformed["error"], "invalid_request");
    assert_eq!(malformed["fields"][0]["field"], "code");
}

#[tokio::test]
async fn connect_is_limited_per_email_and_every_refused_connect_sends_nothing() {
    let app = spawn_app().await;
    let email = unique_email("flood");
    inside_one_hour_window(60).await;
    body(connect(&app, &email).await, StatusCode::CREATED).await;
    for _ in 0..4 {
        body(connect(&app, &email).await, StatusCode::ACCEPTED).await;
    }
    let response = connect(&app, &email).await;
    let retry_after: i64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    let limited = body(response, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(limited["error"], "rate_limit_exceeded");
    assert_eq!(limited["limit_scope"], "email");
    assert_eq!(limited["limit"], 5);

    // Four codes were mailed, and the refused sixth connect mailed none.
    let mails = wait_for_mails(&email, 4, MAIL_WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(farm_tests::mails_to(&email).await.len(), 4, "{mails:?}");
    // Another email from the same address is not held back.
    body(
        connect(&app, &unique_email("neighbour")).await,
        StatusCode::CREATED,
    )
    .await;
}

#[tokio::test]
async fn connect_is_limited_per_client_address_so_a_script_cannot_mint_accounts() {
    let app = spawn_app().await;
    inside_one_hour_window(120).await;
    for i in 0..30 {
        let r = connect(&app, &unique_email(&format!("mint{i}"))).await;
        assert_eq!(r.status(), StatusCode::CREATED, "connect {i}");
    }
    let response = connect(&app, &unique_email("mint30")).await;
    assert!(response.headers().contains_key("retry-after"));
    let limited = body(response, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(limited["limit_scope"], "client_address");
    assert_eq!(limited["limit"], 30);
    let accounts = app.count_rows("accounts").await;
    assert_eq!(accounts, 30, "the refused connect created no account");
    // Verify shares the address's budget: no guessing around the limit.
    let guess = verify(&app, &unique_email("mint0"), "000000").await;
    assert_eq!(guess.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_mail_the_relay_refuses_stays_unsent_in_the_outbox_with_its_error() {
    // The relay's port is closed: the mailer's connection fails.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let app = farm_tests::AppBuilder::farm()
        .variable("smtp_port", port.to_string())
        .spawn()
        .await;
    let email = unique_email("bounce");
    body(connect(&app, &email).await, StatusCode::CREATED).await;
    body(connect(&app, &email).await, StatusCode::ACCEPTED).await;

    let db = app.db().await;
    let started = std::time::Instant::now();
    let (sent, error) = loop {
        let row = db
            .query_one(
                "select sent_at is not null, last_error from mail_outbox",
                &[],
            )
            .await
            .expect("outbox row");
        let (sent, error): (bool, Option<String>) = (row.get(0), row.get(1));
        if error.is_some() || sent || started.elapsed() > MAIL_WAIT {
            break (sent, error);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(!sent, "nothing accepted the mail");
    let error = error.expect("the failure is recorded for the retry");
    assert!(error.contains(&format!("127.0.0.1:{port}")), "{error}");
}

#[tokio::test]
async fn the_mailed_link_opens_a_page_that_uses_nothing_until_its_button_posts_the_form() {
    let app = spawn_app().await;
    let email = unique_email("browser");
    let (account_id, code) = account_and_code(&app, &email).await;
    let mail = wait_for_mails(&email, 1, MAIL_WAIT).await.remove(0);
    let link = mail
        .text
        .lines()
        .find(|l| l.starts_with("http"))
        .expect("the mail has a link")
        .to_string();
    let path = link
        .strip_prefix(&app.base_url)
        .expect("the link points at the app");

    let page = app.get(path).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .is_ok_and(|ct| ct.starts_with("text/html"))
    );
    let html = page.text().await.expect("html");
    assert!(
        html.contains(r#"<form method="post" action="/v1/connect/verify">"#),
        "{html}"
    );
    assert!(
        html.contains(&format!(r#"name="code" value="{code}""#)),
        "{html}"
    );
    let attempts: i32 = app
        .scalar("select attempts from email_verifications", &[])
        .await;
    assert_eq!(attempts, 0, "opening the page counts no attempt");

    let form = format!("email={}&code={code}", email.replace('@', "%40"));
    let posted = app
        .request(reqwest::Method::POST, "/v1/connect/verify")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .expect("send");
    let key = body(posted, StatusCode::CREATED).await;
    assert_eq!(key["account_id"], account_id.as_str());
}

#[tokio::test]
async fn behind_a_proxy_the_address_comes_from_the_configured_header_rightmost_entry() {
    let app = farm_tests::AppBuilder::farm()
        .variable("client_ip_header", "x-forwarded-for")
        .spawn()
        .await;
    inside_one_hour_window(120).await;
    let connect_from = |forwarded: &'static str, i: usize| {
        app.request(reqwest::Method::POST, "/v1/connect")
            .header("x-forwarded-for", forwarded)
            .json(&json!({"email": unique_email(&format!("proxied{i}")), "name": "a"}))
            .send()
    };
    // The client may prepend anything; the proxy's own entry is the last one.
    for i in 0..30 {
        let spoofed = if i % 2 == 0 {
            "9.9.9.9, 203.0.113.5"
        } else {
            "203.0.113.5"
        };
        let r = connect_from(spoofed, i).await.expect("send");
        assert_eq!(r.status(), StatusCode::CREATED, "connect {i}");
    }
    let limited = connect_from("8.8.8.8, 203.0.113.5", 30)
        .await
        .expect("send");
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let other = connect_from("203.0.113.6", 31).await.expect("send");
    assert_eq!(
        other.status(),
        StatusCode::CREATED,
        "another client has its own budget"
    );
}
