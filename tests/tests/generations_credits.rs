//! Buying generation credits through checkout (seed 002: 100 credits for
//! $4.99) and starting a generation from an earlier generated file
//! (`base_file_id`), through the real components.

#[path = "generations_common.rs"]
mod common;

use common::*;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(180);

async fn checkout(app: &farm_tests::TestApp, key: &str, idempotency_key: &str) -> (u16, Value) {
    let r = app
        .with_key(key)
        .request(reqwest::Method::POST, "/v1/credits/checkout")
        .header("idempotency-key", idempotency_key)
        .json(&json!({}))
        .send()
        .await
        .expect("checkout");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn complete(app: &farm_tests::TestApp, key: &str, session: &str) -> (u16, Value) {
    post(
        app,
        key,
        &format!("/v1/test_helpers/checkout_sessions/{session}/complete"),
        &json!({}),
    )
    .await
}

#[tokio::test]
async fn a_credit_checkout_grants_one_hundred_credits_exactly_once() {
    let app = spawn_upload_app().await;
    let (key, account) = gen_account(&app, &GEN_SCOPES).await;
    assert_eq!(balance(&app, &account).await, 2, "the sign-up grant");

    let (status, session) = checkout(&app, &key, "buy-1").await;
    assert_eq!(status, 201, "{session}");
    assert_eq!(session["object"], "checkout_session");
    assert_eq!(session["credits"], 100);
    assert_eq!(
        session["amount_total"],
        json!({"amount": 499, "currency": "USD", "display": "$4.99"})
    );
    assert_eq!(session["status"], "requires_payment");
    let id = session["id"].as_str().expect("session id").to_owned();
    assert!(id.starts_with("cs_test_"), "{id}");
    let approval = session["approval_url"].as_str().expect("approval_url");
    assert!(
        approval.ends_with(&format!("/test/checkout/{id}")),
        "{approval}"
    );
    // The same Idempotency-Key is the same session.
    let (status, again) = checkout(&app, &key, "buy-1").await;
    assert_eq!((status, &again["id"]), (201, &session["id"]));
    assert_eq!(
        balance(&app, &account).await,
        2,
        "nothing granted before paying"
    );

    // The test checkout page shows the pack; paying it grants once, and
    // the test helper (and the page again, and a burst) grant nothing more.
    let page = app.client.get(approval).send().await.expect("page");
    assert_eq!(page.status().as_u16(), 200);
    assert!(
        page.text()
            .await
            .expect("html")
            .contains("100 generation credits")
    );
    let paid = app.client.post(approval).send().await.expect("pay");
    assert_eq!(paid.status().as_u16(), 200);
    assert_eq!(balance(&app, &account).await, 102);
    let burst = (0..8).map(|_| {
        let r = app
            .with_key(&key)
            .request(
                reqwest::Method::POST,
                &format!("/v1/test_helpers/checkout_sessions/{id}/complete"),
            )
            .json(&json!({}));
        tokio::spawn(async move { r.send().await.expect("complete") })
    });
    for handle in burst {
        let r = handle.await.expect("task");
        assert_eq!(r.status().as_u16(), 200);
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["object"], "credit_purchase", "{body}");
        assert_eq!(body["status"], "paid");
        assert_eq!(body["credits_balance"], 102);
    }
    assert_eq!(balance(&app, &account).await, 102, "granted exactly once");

    let (status, credits) = get(&app, &key, "/v1/credits").await;
    assert_eq!(status, 200);
    assert_eq!(credits["balance"], 102);
    let purchases: Vec<&Value> = credits["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|h| h["reason"] == "purchase")
        .collect();
    assert_eq!(purchases.len(), 1, "{credits}");
    assert_eq!(purchases[0]["delta"], 100);
    assert_eq!(purchases[0]["balance_after"], 102);
    assert_eq!(purchases[0]["purchase_id"], session["credit_purchase_id"]);

    // Another account cannot complete this account's session.
    let (other, _) = gen_account(&app, &GEN_SCOPES).await;
    let (status, _) = complete(&app, &other, &id).await;
    assert_eq!(status, 404);
    // A key without orders:write cannot buy.
    let (narrow, _) = gen_account(&app, &["generate"]).await;
    let (status, body) = checkout(&app, &narrow, "buy-2").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("insufficient_scope"))
    );
}

#[tokio::test]
async fn base_file_id_edits_a_generated_part_and_refuses_an_uploaded_mesh() {
    let app = spawn_upload_app().await;
    let scopes: Vec<&str> = GEN_SCOPES.iter().copied().chain(["files:write"]).collect();
    let (key, account) = gen_account(&app, &scopes).await;
    set_credits(&app, &account, 5).await;
    let (status, started) = start(
        &app,
        &key,
        &json!({"prompt": "a 60 x 40 x 4 mm plate with four M3 clearance holes"}),
    )
    .await;
    assert_eq!(status, 202, "{started}");
    let (first, _) = wait_done(&app, &key, started["id"].as_str().expect("id"), WAIT).await;
    assert_eq!(first["status"], "completed", "{first}");
    let file_id = first["result"]["file_id"]
        .as_str()
        .expect("file_id")
        .to_owned();

    let (status, edit) = start(
        &app,
        &key,
        &json!({"prompt": "make it 5 mm thicker", "base_file_id": file_id}),
    )
    .await;
    assert_eq!(status, 202, "{edit}");
    assert_eq!(edit["base_file_id"], file_id);
    let (done, _) = wait_done(&app, &key, edit["id"].as_str().expect("id"), WAIT).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(
        done["result"]["dimensions_mm"],
        json!({"x": 60.0, "y": 40.0, "z": 9.0}),
        "4 mm + 5 mm: {done}"
    );
    assert_eq!(done["base_file_id"], file_id);
    assert_ne!(done["result"]["file_id"], first["result"]["file_id"]);
    let credits_before = balance(&app, &account).await;

    // An uploaded mesh has no part program: refused, naming the field.
    let mesh = upload_box(&app, &key, "box.stl", [20.0, 20.0, 20.0]).await;
    let mesh_id = mesh["id"].as_str().expect("file id");
    let (status, refused) = start(
        &app,
        &key,
        &json!({"prompt": "make it 5 mm thicker", "base_file_id": mesh_id}),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"], "base_file_not_generated");
    assert_eq!(refused["parameter"], "base_file_id");
    // Another account's file is not found; both anchors at once is refused.
    let (other, _) = gen_account(&app, &GEN_SCOPES).await;
    let (status, _) = start(
        &app,
        &other,
        &json!({"prompt": "make it 5 mm thicker", "base_file_id": file_id}),
    )
    .await;
    assert_eq!(status, 404);
    let (_, conversation) = post(&app, &key, "/v1/conversations", &json!({})).await;
    let (status, both) = start(
        &app,
        &key,
        &json!({"prompt": "make it 5 mm thicker", "base_file_id": file_id,
                "conversation_id": conversation["id"]}),
    )
    .await;
    assert_eq!(status, 400, "{both}");
    assert_eq!(
        balance(&app, &account).await,
        credits_before,
        "refusals are free"
    );
}
