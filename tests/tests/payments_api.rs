//! Payment methods and autopay settings over HTTP against the real host, the
//! Stripe stand-in and localstripe (issue 10, items 3, 4 and 8): live keys
//! vault a card at the provider (Customer, SetupIntent, attached default
//! PaymentMethod, read back from localstripe), test keys save `pm_card_visa`
//! and turn autopay on with the provider unreachable, autopay needs both
//! caps, settings belong to one account and one mode, and scopes apply.

#[path = "payments_common.rs"]
mod common;

use common::*;
use farm_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

const ALL: [&str; 6] = [
    "files:read",
    "files:write",
    "quotes:read",
    "quotes:write",
    "orders:read",
    "orders:write",
];

/// Creates an account (email `<n>@example.com`) with one key per mode
/// holding `scopes`; returns (account id, live key, test key).
async fn account(app: &TestApp, scopes: &[&str]) -> (String, String, String) {
    let n = uuid::Uuid::new_v4().simple().to_string();
    let account = format!("acct_{n}");
    app.db()
        .await
        .execute(
            "insert into accounts (id, email, name) values ($1, $2, 'payments tests')",
            &[&account, &format!("{n}@example.com")],
        )
        .await
        .expect("account");
    let live = key(app, &account, "live", scopes).await;
    let test = key(app, &account, "test", scopes).await;
    (account, live, test)
}

/// Adds a key; its hash is computed with coreutils' sha256sum.
async fn key(app: &TestApp, account: &str, mode: &str, scopes: &[&str]) -> String {
    let a = uuid::Uuid::new_v4().simple().to_string();
    let b = uuid::Uuid::new_v4().simple().to_string();
    let key = format!("fk_{mode}_{a}{}", &b[..16]);
    let out = std::process::Command::new("sh")
        .args(["-c", &format!("printf %s '{key}' | sha256sum")])
        .output()
        .expect("sha256sum");
    let hash = String::from_utf8_lossy(&out.stdout)[..64].to_string();
    app.db()
        .await
        .execute(
            "insert into api_keys (id, account_id, key_hash, key_preview, name, mode, scopes) \
             values ($1, $2, $3, $4, 'k', $5, $6)",
            &[
                &format!("key_{a}"),
                &account.to_string(),
                &hash,
                &key[key.len() - 4..].to_string(),
                &mode.to_string(),
                &scopes.join(" "),
            ],
        )
        .await
        .expect("key");
    key
}

async fn call(
    app: &TestApp,
    key: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app.with_key(key).request(method, path);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("send");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The first day of this month (UTC), from `date`, not from the app.
fn this_month() -> String {
    let out = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-01"])
        .output()
        .expect("date");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test]
async fn a_test_key_saves_pm_card_visa_and_turns_autopay_on_without_the_provider() {
    // Nothing listens at the provider address: any call to it would be a 503.
    let app = spawn_payments_app(&[("stripe_api_base", UNREACHABLE)]).await;
    let (acct, _live, test) = account(&app, &ALL).await;

    let (status, s) = call(&app, &test, Method::GET, "/v1/settings", None).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["livemode"], false);
    assert_eq!(s["autopay_enabled"], false);
    assert_eq!(s["max_per_order_cents"], Value::Null);
    assert_eq!(s["monthly_cap_cents"], Value::Null);
    assert_eq!(s["unit_confidence_threshold"], 0.7);
    assert_eq!(s["month"], this_month());
    assert_eq!(s["month_spent_cents"], 0);
    assert_eq!(s["month_remaining_cents"], Value::Null);
    assert_eq!(s["payment_method_status"], "missing");
    assert_eq!(s["next_action"], "save_payment_method");
    let url = s["settings_url"].as_str().expect("settings_url");
    assert!(
        url.starts_with(&format!("{}/settings/", app.base_url)),
        "{url}"
    );

    let (status, si) = call(&app, &test, Method::POST, "/v1/payments/setup_intent", None).await;
    assert_eq!(status, 201, "{si}");
    let id = si["id"].as_str().expect("id");
    assert!(id.starts_with("seti_test_"), "{si}");
    assert!(
        si["client_secret"]
            .as_str()
            .expect("secret")
            .starts_with(&format!("{id}_secret_"))
    );
    assert_eq!(
        (si["livemode"].clone(), si["customer"].clone()),
        (json!(false), Value::Null)
    );

    let (status, e) = call(
        &app,
        &test,
        Method::POST,
        "/v1/payments/default_method",
        Some(json!({"payment_method_id": "pm_1PqRsTuVwXyZ"})),
    )
    .await;
    assert_eq!(
        (status, e["error"].as_str()),
        (404, Some("payment_method_not_found")),
        "{e}"
    );

    let (status, s) = call(
        &app,
        &test,
        Method::POST,
        "/v1/payments/default_method",
        Some(json!({"payment_method_id": "pm_card_visa"})),
    )
    .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["default_payment_method"], "pm_card_visa");
    assert_eq!(s["payment_method_status"], "saved");
    assert_eq!(s["next_action"], "ask_user_to_enable_autopay");

    let (status, e) = call(
        &app,
        &test,
        Method::POST,
        "/v1/settings/autopay",
        Some(json!({"autopay_enabled": true})),
    )
    .await;
    assert_eq!(
        (status, e["error"].as_str()),
        (409, Some("autopay_caps_required")),
        "{e}"
    );

    let (status, s) = call(&app, &test, Method::POST, "/v1/settings/autopay",
        Some(json!({"autopay_enabled": true, "max_per_order_cents": 50000, "monthly_cap_cents": 200000}))).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["autopay_enabled"], true);
    assert_eq!(s["month_remaining_cents"], 200_000);
    assert_eq!(s["next_action"], "create_autonomous_order");

    // Stored for test mode only; the live world is untouched.
    let rows = app
        .db()
        .await
        .query(
            "select livemode, default_payment_method, autopay_enabled, customer_id from account_billing where account_id = $1",
            &[&acct],
        )
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1);
    let (livemode, pm, on, customer): (bool, Option<String>, bool, Option<String>) = (
        rows[0].get(0),
        rows[0].get(1),
        rows[0].get(2),
        rows[0].get(3),
    );
    assert_eq!(
        (livemode, pm.as_deref(), on, customer),
        (false, Some("pm_card_visa"), true, None)
    );
    // And orders' reservation accepts it: the policy it checks is this one.
    let db = app.db().await;
    let row = db
        .query_one(
            "select ok, failed from farm_reserve_autonomous_spend($1, false, 50000)",
            &[&acct],
        )
        .await
        .expect("reserve");
    assert!(row.get::<_, bool>(0), "{:?}", row.get::<_, Vec<String>>(1));
}

#[tokio::test]
async fn a_live_key_vaults_the_card_at_the_provider() {
    let app = spawn_payments_app(&[]).await;
    let (acct, live, test) = account(&app, &ALL).await;

    let (status, si) = call(&app, &live, Method::POST, "/v1/payments/setup_intent", None).await;
    assert_eq!(status, 201, "{si}");
    assert_eq!(
        (si["livemode"].clone(), si["usage"].clone()),
        (json!(true), json!("off_session"))
    );
    let customer = si["customer"].as_str().expect("customer").to_string();
    assert!(customer.starts_with("cus_"));
    assert!(si["id"].as_str().expect("id").starts_with("seti_"));
    assert_eq!(si["status"], "requires_payment_method");
    // The provider has the Customer, named by our account id and email.
    let (status, cus) = stripe(Method::GET, &format!("/v1/customers/{customer}"), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(cus["metadata"]["account_id"], acct.as_str());
    assert_eq!(
        cus["email"],
        format!("{}@example.com", &acct["acct_".len()..])
    );
    // A second SetupIntent is for the same Customer.
    let (_, again) = call(
        &app,
        &live,
        Method::POST,
        "/v1/payments/setup_intent",
        Some(json!({})),
    )
    .await;
    assert_eq!(again["customer"], customer.as_str());
    assert_ne!(again["id"], si["id"]);

    let (status, s) = call(
        &app,
        &live,
        Method::POST,
        "/v1/payments/default_method",
        Some(json!({"payment_method_id": "pm_card_visa"})),
    )
    .await;
    assert_eq!(status, 200, "{s}");
    let saved = s["default_payment_method"]
        .as_str()
        .expect("saved")
        .to_string();
    assert!(
        saved.starts_with("pm_") && saved != "pm_card_visa",
        "{saved}"
    );
    assert_eq!(s["livemode"], true);
    let (_, cus) = stripe(Method::GET, &format!("/v1/customers/{customer}"), &[]).await;
    assert_eq!(
        cus["invoice_settings"]["default_payment_method"],
        saved.as_str()
    );
    let (_, pm) = stripe(Method::GET, &format!("/v1/payment_methods/{saved}"), &[]).await;
    assert_eq!(pm["customer"], customer.as_str());

    // A declined card and an unknown one are refused; the saved one stays.
    let (status, e) = call(
        &app,
        &live,
        Method::POST,
        "/v1/payments/default_method",
        Some(json!({"payment_method_id": "pm_card_visa_chargeDeclined"})),
    )
    .await;
    assert_eq!(
        (status, e["error"].as_str(), e["decline_code"].as_str()),
        (402, Some("payment_failed"), Some("card_declined")),
        "{e}"
    );
    let (status, e) = call(
        &app,
        &live,
        Method::POST,
        "/v1/payments/default_method",
        Some(json!({"payment_method_id": "pm_doesnotexist"})),
    )
    .await;
    assert_eq!(
        (status, e["error"].as_str()),
        (404, Some("payment_method_not_found")),
        "{e}"
    );
    let (_, s) = call(&app, &live, Method::GET, "/v1/settings", None).await;
    assert_eq!(s["default_payment_method"], saved.as_str());
    // Test mode is another world: nothing saved there.
    let (_, t) = call(&app, &test, Method::GET, "/v1/settings", None).await;
    assert_eq!(t["payment_method_status"], "missing");
}

#[tokio::test]
async fn setup_intent_replays_under_its_idempotency_key() {
    let app = spawn_payments_app(&[]).await;
    let (_, live, _) = account(&app, &ALL).await;
    let send = || {
        app.with_key(&live)
            .request(Method::POST, "/v1/payments/setup_intent")
            .header("idempotency-key", "setup-1")
            .send()
    };
    let first = send().await.expect("send");
    assert_eq!(first.status().as_u16(), 201);
    let first: Value = first.json().await.expect("json");
    let second = send().await.expect("send");
    assert_eq!(
        second
            .headers()
            .get("idempotent-replayed")
            .map(|v| v.as_bytes()),
        Some(&b"true"[..])
    );
    let second: Value = second.json().await.expect("json");
    assert_eq!(first["id"], second["id"]);
}

#[tokio::test]
async fn an_unreachable_provider_is_a_503_and_test_mode_does_not_notice() {
    let app = spawn_payments_app(&[("stripe_api_base", UNREACHABLE)]).await;
    let (_, live, test) = account(&app, &ALL).await;
    let r = app
        .with_key(&live)
        .request(Method::POST, "/v1/payments/setup_intent")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 503);
    assert_eq!(
        r.headers().get("retry-after").map(|v| v.as_bytes()),
        Some(&b"5"[..])
    );
    let e: Value = r.json().await.expect("json");
    assert_eq!(e["error"], "payment_provider_unavailable");
    let (status, _) = call(&app, &test, Method::POST, "/v1/payments/setup_intent", None).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn autopay_changes_are_checked_partial_and_belong_to_one_account() {
    let app = spawn_payments_app(&[]).await;
    let (_, a, _) = account(&app, &ALL).await;
    let (_, b, _) = account(&app, &ALL).await;
    let path = "/v1/settings/autopay";
    for (body, field) in [
        (json!({"max_per_order_cents": -1}), "max_per_order_cents"),
        (
            json!({"monthly_cap_cents": 100_000_001}),
            "monthly_cap_cents",
        ),
        (json!({"monthly_cap_cents": null}), "monthly_cap_cents"),
        (json!({"autopay_enabled": "yes"}), "autopay_enabled"),
        (json!({"monthly_cap_cents": 10.5}), "monthly_cap_cents"),
        (json!({"budget": 5}), "budget"),
    ] {
        let (status, e) = call(&app, &a, Method::POST, path, Some(body.clone())).await;
        assert_eq!(
            (status, e["error"].as_str()),
            (400, Some("invalid_request")),
            "{body}: {e}"
        );
        assert_eq!(e["fields"][0]["field"], field, "{body}: {e}");
    }
    let (status, s) = call(
        &app,
        &a,
        Method::POST,
        path,
        Some(json!({"max_per_order_cents": 1000, "monthly_cap_cents": 100_000_000})),
    )
    .await;
    assert_eq!(status, 200, "{s}");
    // Absent fields stay; the caps set earlier let autopay on alone.
    let (status, s) = call(
        &app,
        &a,
        Method::POST,
        path,
        Some(json!({"autopay_enabled": true})),
    )
    .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(
        (
            s["max_per_order_cents"].clone(),
            s["monthly_cap_cents"].clone()
        ),
        (json!(1000), json!(100_000_000))
    );
    let (_, s) = call(
        &app,
        &a,
        Method::POST,
        path,
        Some(json!({"max_per_order_cents": 0})),
    )
    .await;
    assert_eq!(
        (
            s["autopay_enabled"].clone(),
            s["max_per_order_cents"].clone()
        ),
        (json!(true), json!(0))
    );
    // Another account sees its own defaults.
    let (_, other) = call(&app, &b, Method::GET, "/v1/settings", None).await;
    assert_eq!(
        (
            other["autopay_enabled"].clone(),
            other["max_per_order_cents"].clone()
        ),
        (json!(false), Value::Null)
    );
}

#[tokio::test]
async fn settings_and_payment_methods_need_the_orders_scopes() {
    let app = spawn_payments_app(&[]).await;
    let (_, read_only, _) = account(&app, &["orders:read"]).await;
    let (_, no_orders, _) = account(&app, &["files:read", "quotes:read"]).await;
    for (path, body) in [
        ("/v1/settings/autopay", json!({"autopay_enabled": false})),
        ("/v1/payments/setup_intent", json!({})),
        (
            "/v1/payments/default_method",
            json!({"payment_method_id": "pm_card_visa"}),
        ),
    ] {
        let (status, e) = call(&app, &read_only, Method::POST, path, Some(body)).await;
        assert_eq!(
            (status, e["required_scope"].as_str()),
            (403, Some("orders:write")),
            "{path}"
        );
    }
    let (status, _) = call(&app, &read_only, Method::GET, "/v1/settings", None).await;
    assert_eq!(status, 200);
    let (status, e) = call(&app, &no_orders, Method::GET, "/v1/settings", None).await;
    assert_eq!(
        (status, e["required_scope"].as_str()),
        (403, Some("orders:read"))
    );
    let r = app.get("/v1/settings").await;
    assert_eq!(r.status().as_u16(), 401);
}
