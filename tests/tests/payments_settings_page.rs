//! The signed settings link (issue 10, item 8; seed 001 "Signed settings
//! link"): the quote's `settings_url` opens a page where a person without the
//! API key changes autopay for one account and one mode, for 24 hours;
//! `invalid_token` / `token_expired` otherwise. Tokens are also built here
//! from the documented recipe with the `hmac` crate, independently of the
//! app's code: key = HMAC-SHA256(internal_token, "farm-api/settings-link/v1"),
//! token = "{account}-{mode}.{expires}.{hex HMAC(key, "{account}-{mode}.{expires}")}".

#[path = "payments_common.rs"]
mod common;
#[path = "upload_common.rs"]
mod upload;

use common::{hmac_hex, unix_now};
use farm_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

fn token(app: &TestApp, account: &str, mode: &str, expires: i64) -> String {
    let key = {
        let hex = hmac_hex(app.internal_token.as_bytes(), b"farm-api/settings-link/v1");
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
            .collect::<Vec<u8>>()
    };
    let body = format!("{account}-{mode}.{expires}");
    format!("{body}.{}", hmac_hex(&key, body.as_bytes()))
}

async fn page(app: &TestApp, path: &str) -> (u16, String, reqwest::header::HeaderMap) {
    let r = app.get(path).await;
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    (status, r.text().await.expect("text"), headers)
}

async fn submit(app: &TestApp, path: &str, form: &str) -> (u16, String) {
    let r = app
        .request(Method::POST, path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_string())
        .send()
        .await
        .expect("send");
    (r.status().as_u16(), r.text().await.expect("text"))
}

async fn settings(app: &TestApp, key: &str) -> Value {
    let (status, s) = upload::get(app, key, "/v1/settings").await;
    assert_eq!(status, 200, "{s}");
    s
}

fn path_of(app: &TestApp, url: &str) -> String {
    url.strip_prefix(&app.base_url)
        .expect("our base URL")
        .to_string()
}

#[tokio::test]
async fn a_person_with_the_link_changes_autopay_without_the_key() {
    let app = upload::spawn_upload_app().await;
    let (key, account) =
        upload::new_account_key(&app, "live", &["orders:read", "orders:write"]).await;
    let link = path_of(
        &app,
        settings(&app, &key).await["settings_url"]
            .as_str()
            .expect("url"),
    );

    let (status, html, headers) = page(&app, &link).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/html")
    );
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(headers.contains_key("content-security-policy"));
    assert!(
        html.contains(&account) && html.contains("Autopay settings"),
        "{html}"
    );

    let (status, html) = submit(
        &app,
        &link,
        "autopay_enabled=on&max_per_order=500&monthly_cap=2000.50",
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Saved."));
    let s = settings(&app, &key).await;
    assert_eq!(
        (
            s["autopay_enabled"].clone(),
            s["max_per_order_cents"].clone(),
            s["monthly_cap_cents"].clone()
        ),
        (json!(true), json!(50_000), json!(200_050))
    );

    // Refused changes leave the policy as it was.
    let (status, html) = submit(
        &app,
        &link,
        "autopay_enabled=on&max_per_order=12%2C50&monthly_cap=2000",
    )
    .await;
    assert_eq!(status, 400);
    assert!(html.contains("max_per_order"), "{html}");
    let (status, html) = submit(
        &app,
        &link,
        "autopay_enabled=on&max_per_order=&monthly_cap=",
    )
    .await;
    assert_eq!(status, 400);
    assert!(html.contains("Autopay needs both spending caps"), "{html}");
    assert_eq!(settings(&app, &key).await["max_per_order_cents"], 50_000);

    // Unchecked box and empty caps: autopay off, no caps.
    let (status, _) = submit(&app, &link, "max_per_order=&monthly_cap=").await;
    assert_eq!(status, 200);
    let s = settings(&app, &key).await;
    assert_eq!(
        (
            s["autopay_enabled"].clone(),
            s["max_per_order_cents"].clone(),
            s["monthly_cap_cents"].clone()
        ),
        (json!(false), Value::Null, Value::Null)
    );
    let r = app
        .request(Method::POST, &link)
        .json(&json!({"autopay_enabled": true}))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 415);
    // A field the form does not have is a client's mistake: the JSON error.
    let (status, body) = submit(&app, &link, "autopay_enabled=on&budget=5").await;
    assert_eq!(status, 400);
    let e: Value = serde_json::from_str(&body).expect("json error");
    assert_eq!(
        (e["error"].as_str(), e["fields"][0]["field"].as_str()),
        (Some("invalid_request"), Some("budget"))
    );
}

#[tokio::test]
async fn wrong_and_old_links_are_refused_and_a_link_opens_one_account_and_mode() {
    let app = upload::spawn_upload_app().await;
    let (key_a, a) = upload::new_account_key(&app, "live", &["orders:read", "orders:write"]).await;
    let (key_b, b) = upload::new_account_key(&app, "live", &["orders:read"]).await;
    let test_b = upload::account_key(&app, &b, "test", &["orders:read"]).await;

    // The app's own link matches the documented recipe.
    let link = settings(&app, &key_a).await["settings_url"]
        .as_str()
        .expect("url")
        .to_string();
    let expires: i64 = link
        .rsplit('.')
        .nth(1)
        .expect("expiry")
        .parse()
        .expect("number");
    let lifetime = expires - unix_now();
    assert!((86_390..=86_400).contains(&lifetime), "{lifetime} s");
    assert_eq!(
        path_of(&app, &link),
        format!("/settings/{}", token(&app, &a, "live", expires))
    );

    // Built independently for B's test mode: opens exactly that.
    let for_b = format!("/settings/{}", token(&app, &b, "test", unix_now() + 600));
    let (status, html, _) = page(&app, &for_b).await;
    assert_eq!(status, 200);
    assert!(html.contains(&b) && !html.contains(&a) && html.contains("test mode"));
    let (status, _) = submit(
        &app,
        &for_b,
        "autopay_enabled=&max_per_order=10&monthly_cap=20",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(settings(&app, &test_b).await["monthly_cap_cents"], 2_000);
    assert_eq!(
        settings(&app, &key_b).await["monthly_cap_cents"],
        Value::Null
    );

    let good = token(&app, &a, "live", unix_now() + 600);
    let refusals = [
        (good.replacen(&a, &b, 1), "invalid_token"), // another account
        (good.replacen("-live.", "-test.", 1), "invalid_token"), // another mode
        (altered_last_hex(&good), "invalid_token"),  // altered signature
        ("garbage".to_string(), "invalid_token"),
        (token(&app, &a, "live", unix_now() - 1), "token_expired"),
    ];
    for (t, code) in refusals {
        for method in [Method::GET, Method::POST] {
            let r = app
                .request(method.clone(), &format!("/settings/{t}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("autopay_enabled=on&max_per_order=1&monthly_cap=1")
                .send()
                .await
                .expect("send");
            assert_eq!(r.status().as_u16(), 401, "{method} {t}");
            let html = r.text().await.expect("text");
            assert!(html.contains(code), "{method} {t}: {html}");
        }
    }
    assert_eq!(settings(&app, &key_a).await["autopay_enabled"], false);
}

#[tokio::test]
async fn every_quote_carries_a_settings_link_for_its_account_and_mode() {
    let app = upload::spawn_upload_app().await;
    let (key, account) = upload::new_account_key(&app, "test", &upload::ALL_SCOPES).await;
    let file = upload::upload_box(&app, &key, "bracket.stl", [20.0, 20.0, 10.0]).await;
    let quote = upload::quote(&app, &key, &file, "pla", 1).await;
    let url = quote["settings_url"].as_str().expect("settings_url");
    let path = path_of(&app, url);
    assert!(
        path.starts_with(&format!("/settings/{account}-test.")),
        "{url}"
    );
    let (status, html, _) = page(&app, &path).await;
    assert_eq!(status, 200);
    assert!(html.contains(&account) && html.contains("test mode"));
    // GET /v1/quotes/{id} answers the same link.
    let (_, again) = upload::get(
        &app,
        &key,
        &format!("/v1/quotes/{}", quote["quote_id"].as_str().expect("id")),
    )
    .await;
    assert_eq!(again["settings_url"], url);
}

/// `token` with its last hex digit changed (to another digit, so the
/// signature always differs: replacing it with a fixed '0' left one token in
/// sixteen unchanged).
fn altered_last_hex(token: &str) -> String {
    let (head, last) = token.split_at(token.len() - 1);
    format!("{head}{}", if last == "0" { "1" } else { "0" })
}
