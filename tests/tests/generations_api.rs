//! Text to part over HTTP (issue 14, item 6), through the real Wasm
//! components, Postgres and the S3 store: prompt -> completed -> quote of
//! its file; conversation edits; exports; credits, scopes and usage.

#[path = "generations_common.rs"]
mod common;

use common::*;
use serde_json::json;
use std::time::Duration;

const SEED_PROMPT: &str =
    "A 50mm x 30mm x 10mm rectangular bracket with two M3 clearance holes spaced 40mm apart";
const WAIT: Duration = Duration::from_secs(180);

#[tokio::test]
async fn a_prompt_completes_as_a_ready_file_that_quotes_orders_and_exports() {
    let app = spawn_upload_app().await;
    let (key, account) = gen_account(&app, &GEN_SCOPES).await;
    let (status, started) = start(&app, &key, &json!({"prompt": SEED_PROMPT})).await;
    assert_eq!(status, 202, "{started}");
    assert_eq!(started["status"], "processing");
    assert_eq!(started["stage"], "parsing");
    // The sign-up grant is 2 (seed 002); one was taken.
    assert_eq!(started["credits_remaining"], 1, "{started}");
    let id = started["id"].as_str().expect("id").to_owned();
    let (done, stages) = wait_done(&app, &key, &id, WAIT).await;
    assert_eq!(done["status"], "completed", "{done}");
    let order = ["parsing", "modelling", "validating", "exporting"];
    let positions: Vec<usize> = stages
        .iter()
        .map(|s| order.iter().position(|o| o == s).expect("known stage"))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "stages in order: {stages:?}"
    );
    let result = &done["result"];
    assert_eq!(
        result["dimensions_mm"],
        json!({"x": 50.0, "y": 30.0, "z": 10.0}),
        "{done}"
    );
    assert_eq!(result["part_spec"]["part"]["family"], "plate");
    assert!(result["summary"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(result["assumptions"].is_array());
    assert!(
        result["preview_url"]
            .as_str()
            .is_some_and(|u| u.contains("X-Amz-Signature"))
    );

    // The part is a ready file of the account, priced like an upload.
    let file_id = result["file_id"].as_str().expect("file_id");

    // Webhook subscribers hear `generation.completed` once, with the
    // generation as it is and a preview URL signed for a week that works.
    let events = generation_events(&app, &id).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let (kind, data) = &events[0];
    assert_eq!(kind, "generation.completed");
    assert_eq!(
        (data["id"].as_str(), data["status"].as_str()),
        (Some(id.as_str()), Some("completed"))
    );
    assert_eq!(data["result"]["file_id"], file_id);
    assert_eq!(data["result"]["dimensions_mm"], result["dimensions_mm"]);
    let preview = data["result"]["preview_url"].as_str().expect("preview_url");
    assert!(preview.contains("X-Amz-Expires=604800"), "{preview}");
    let glb = reqwest::get(preview).await.expect("preview");
    assert_eq!(glb.status(), 200);
    assert_eq!(
        &glb.bytes().await.expect("bytes")[..4],
        b"glTF",
        "a GLB file"
    );
    let (status, file) = get(&app, &key, &format!("/v1/files/{file_id}")).await;
    assert_eq!(status, 200, "{file}");
    assert_eq!(file["status"], "ready", "{file}");
    let (status, quote) = post(
        &app,
        &key,
        "/v1/quotes",
        &json!({"file_id": file_id, "material_id": "pla", "quantity": 2, "ship_country": "US"}),
    )
    .await;
    assert_eq!(status, 201, "{quote}");
    // 50 x 30 x 10 mm minus two 3.4 mm holes: 14.82 cm³ of part.
    let grams = quote["breakdown"]["grams_per_part"]
        .as_f64()
        .expect("grams");
    assert!(grams > 0.0, "{quote}");

    // ... and ordered in test mode: checkout, then the test helper pays.
    let r = app
        .with_key(&key)
        .request(reqwest::Method::POST, "/v1/checkout_sessions")
        .header("idempotency-key", "order-the-generated-part")
        .json(
            &json!({"quote_id": quote["quote_id"], "shipping_address_json": {
            "line1": "123 Main St", "city": "San Francisco", "state": "CA",
            "postal_code": "94105", "country": "US"}}),
        )
        .send()
        .await
        .expect("checkout");
    let status = r.status().as_u16();
    let session: serde_json::Value = r.json().await.expect("json");
    assert_eq!(status, 201, "{session}");
    let complete = format!(
        "/v1/test_helpers/checkout_sessions/{}/complete",
        session["id"].as_str().expect("session id")
    );
    let (status, order) = post(&app, &key, &complete, &json!({})).await;
    assert_eq!(
        (status, order["status"].as_str()),
        (200, Some("queued")),
        "{order}"
    );
    let tasks: i64 = app
        .scalar(
            "select count(*) from print_tasks where order_id = $1",
            &[&session["order_id"].as_str().expect("order_id")],
        )
        .await;
    assert_eq!(tasks, 2, "one print task per part of the generated file");

    // Exports: a presigned GET that expires; the STL measures 50 x 30 x 10.
    let (answer, stl) = export(&app, &key, json!({"generation_id": id}), "stl").await;
    let size = stl_size(&stl);
    for (got, want) in size.iter().zip([50.0, 30.0, 10.0]) {
        assert!((got - want).abs() < 0.05, "STL size {size:?}");
    }
    assert!(
        answer["download_url"]
            .as_str()
            .expect("url")
            .contains("X-Amz-Expires=3600")
    );
    assert!(
        answer["filename"]
            .as_str()
            .expect("filename")
            .ends_with(".stl")
    );
    let (_, step) = export(&app, &key, json!({"generation_id": id}), "step").await;
    assert!(step.starts_with(b"ISO-10303-21;"), "STEP header");
    let (_, glb) = export(&app, &key, json!({"generation_id": id}), "glb").await;
    assert_eq!(&glb[..4], b"glTF");
    let (_, three_mf) = export(&app, &key, json!({"generation_id": id}), "3mf").await;
    assert_eq!(&three_mf[..2], b"PK", "3MF is a zip");
    let (status, bad) = post(
        &app,
        &key,
        "/v1/exports",
        &json!({"generation_id": id, "format": "obj"}),
    )
    .await;
    assert_eq!(status, 400, "{bad}");

    // Usage counts the generation for the key.
    let (status, usage) = get(&app, &key, "/v1/usage").await;
    assert_eq!(status, 200, "{usage}");
    assert_eq!(usage["totals"]["generations_this_month"], 1, "{usage}");
    assert_eq!(usage["limits"]["generations_per_month"], 100);
    assert_eq!(balance(&app, &account).await, 1);
}

#[tokio::test]
async fn a_conversation_edit_is_a_new_version_and_the_old_one_stays_exportable() {
    let app = spawn_upload_app().await;
    let (key, _) = gen_account(&app, &GEN_SCOPES).await;
    let (status, conversation) = post(&app, &key, "/v1/conversations", &json!({})).await;
    assert_eq!(status, 201, "{conversation}");
    let conv = conversation["id"].as_str().expect("id").to_owned();
    let (status, first) = start(
        &app,
        &key,
        &json!({"prompt": SEED_PROMPT, "conversation_id": conv}),
    )
    .await;
    assert_eq!(status, 202, "{first}");
    let v1 = first["id"].as_str().expect("id").to_owned();
    let (done, _) = wait_done(&app, &key, &v1, WAIT).await;
    assert_eq!(done["status"], "completed", "{done}");
    let edit = json!({"prompt": "make it 5 mm thick, add a third hole", "conversation_id": conv});
    let (status, second) = start(&app, &key, &edit).await;
    assert_eq!(status, 202, "{second}");
    assert_eq!(second["version"], 2);
    let v2 = second["id"].as_str().expect("id").to_owned();
    let (done, _) = wait_done(&app, &key, &v2, WAIT).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["result"]["dimensions_mm"]["z"], 5.0, "{done}");
    let holes = &done["result"]["part_spec"]["part"]["holes"][0]["layout"]["count"];
    assert_eq!(*holes, 3, "{done}");

    let (status, view) = get(&app, &key, &format!("/v1/conversations/{conv}")).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["turns"].as_array().map(Vec::len), Some(2));
    assert_eq!(view["current"]["id"], v2.as_str());

    // The conversation exports its current part; v1 is still there by id.
    let (_, current) = export(&app, &key, json!({"conversation_id": conv}), "stl").await;
    assert!((stl_size(&current)[2] - 5.0).abs() < 0.05);
    let (_, old) = export(&app, &key, json!({"generation_id": v1}), "stl").await;
    assert!((stl_size(&old)[2] - 10.0).abs() < 0.05);
}

#[tokio::test]
async fn twenty_concurrent_generations_with_five_credits_start_exactly_five() {
    let app = spawn_upload_app().await;
    let (key, account) = gen_account(&app, &GEN_SCOPES).await;
    set_credits(&app, &account, 5).await;
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (url, key) = (app.url("/v1/generations"), key.clone());
        requests.spawn(async move {
            let r = reqwest::Client::new()
                .post(url)
                .bearer_auth(key)
                .json(&json!({"prompt": SEED_PROMPT}))
                .send()
                .await
                .expect("post");
            let status = r.status().as_u16();
            (
                status,
                r.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        });
    }
    let answers = requests.join_all().await;
    let accepted = answers.iter().filter(|(s, _)| *s == 202).count();
    let refused: Vec<_> = answers.iter().filter(|(s, _)| *s == 402).collect();
    assert_eq!(accepted, 5, "{answers:?}");
    assert_eq!(refused.len(), 15, "{answers:?}");
    assert!(
        refused
            .iter()
            .all(|(_, b)| b["error"] == "insufficient_credits"),
        "{refused:?}"
    );
    assert_eq!(balance(&app, &account).await, 0);
    let debits: i64 = app
        .scalar(
            "select count(*) from credit_transactions where account_id = $1 and reason = 'generation'",
            &[&account],
        )
        .await;
    assert_eq!(debits, 5);
    let (status, credits) = get(&app, &key, "/v1/credits").await;
    assert_eq!(status, 200, "{credits}");
    assert_eq!(credits["balance"], 0);
    // 5 debits and the sign-up grant.
    assert_eq!(
        credits["history"].as_array().map(Vec::len),
        Some(6),
        "{credits}"
    );
}

#[tokio::test]
async fn a_retried_request_with_the_same_idempotency_key_is_charged_once() {
    let app = spawn_upload_app().await;
    let (key, account) = gen_account(&app, &GEN_SCOPES).await;
    let send = || async {
        let r = app
            .with_key(&key)
            .request(reqwest::Method::POST, "/v1/generations")
            .header("idempotency-key", "retry-me-1")
            .json(&json!({"prompt": SEED_PROMPT}))
            .send()
            .await
            .expect("post");
        let status = r.status().as_u16();
        (status, r.json::<serde_json::Value>().await.expect("json"))
    };
    let (s1, a) = send().await;
    let (s2, b) = send().await;
    assert_eq!((s1, s2), (202, 202), "{a} {b}");
    assert_eq!(a["id"], b["id"]);
    assert_eq!(balance(&app, &account).await, 1, "charged once");
}

#[tokio::test]
async fn an_unsupported_prompt_is_refused_and_not_charged() {
    let app = spawn_upload_app().await;
    let (key, account) = gen_account(&app, &GEN_SCOPES).await;
    let (status, body) = start(
        &app,
        &key,
        &json!({"prompt": "a dragon that breathes fire"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "unsupported_prompt");
    assert!(
        body["missing"].as_array().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert_eq!(balance(&app, &account).await, 2);
}

#[tokio::test]
async fn zero_credits_is_402_and_scopes_guard_generate_and_export() {
    let app = spawn_upload_app().await;
    let (key, account) = gen_account(&app, &GEN_SCOPES).await;
    set_credits(&app, &account, 0).await;
    let (status, body) = start(&app, &key, &json!({"prompt": SEED_PROMPT})).await;
    assert_eq!(status, 402, "{body}");
    assert_eq!(body["error"], "insufficient_credits");
    // The way out is named: buy credits, where.
    assert_eq!(body["next_action"], "buy_credits", "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("POST /v1/credits/checkout"))
    );
    let (narrow, _) = gen_account(&app, &["files:read"]).await;
    let (status, body) = start(&app, &narrow, &json!({"prompt": SEED_PROMPT})).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "insufficient_scope");
    let (no_export, _) = gen_account(&app, &["generate"]).await;
    let (status, body) = post(
        &app,
        &no_export,
        "/v1/exports",
        &json!({"generation_id": format!("gen_{}", "0".repeat(32)), "format": "stl"}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
}

/// A generation that fails in its job (here a prompt the request check never
/// saw: the row and job are written as the request would) fails with the
/// designer's code and gets its credit back once, however often its job runs.
#[tokio::test]
async fn a_failed_generation_refunds_exactly_once() {
    let app = spawn_upload_app().await;
    let (key, account) = gen_account(&app, &GEN_SCOPES).await;
    let key_id: String = app
        .scalar("select id from api_keys where account_id = $1", &[&account])
        .await;
    let id = format!("gen_{}", uuid::Uuid::new_v4().simple());
    let db = app.db().await;
    db.batch_execute("begin").await.expect("begin");
    db.execute(
        "update accounts set generation_credits = generation_credits - 1 where id = $1",
        &[&account],
    )
    .await
    .expect("debit");
    db.execute(
        "insert into credit_transactions (account_id, delta, reason, generation_id, balance_after) \
         values ($1, -1, 'generation', $2, 1)",
        &[&account, &id],
    )
    .await
    .expect("ledger");
    db.execute(
        "insert into generations (id, account_id, key_id, prompt, stage, livemode) values ($1, $2, $3, 'a dragon', 'parsing', false)",
        &[&id, &account, &key_id],
    )
    .await
    .expect("generation");
    for _ in 0..2 {
        // Two jobs for one generation: the second finds it failed already.
        db.execute(
            "insert into background_jobs (kind, payload) values ('generate_part', jsonb_build_object('generation_id', $1::text))",
            &[&id],
        )
        .await
        .expect("job");
    }
    db.batch_execute("commit").await.expect("commit");
    let (done, _) = wait_done(&app, &key, &id, WAIT).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(done["error"]["code"], "unsupported_prompt", "{done}");
    for _ in 0..3 {
        tick(&app).await;
    }
    let pending: i64 = app
        .scalar("select count(*) from background_jobs where kind = 'generate_part' and status <> 'done'", &[])
        .await;
    assert_eq!(pending, 0, "both jobs ran");
    let refunds: i64 = app
        .scalar(
            "select count(*) from credit_transactions where generation_id = $1 and reason = 'refund'",
            &[&id],
        )
        .await;
    assert_eq!(refunds, 1);
    assert_eq!(balance(&app, &account).await, 2);
    // One `generation.failed`, though two jobs ran, naming the code.
    let events = generation_events(&app, &id).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].0, "generation.failed");
    assert_eq!(
        events[0].1["error"]["code"], "unsupported_prompt",
        "{events:?}"
    );
    assert_eq!(events[0].1["status"], "failed");
}

/// The events recorded about generation `id`: (type, data), oldest first.
async fn generation_events(
    app: &farm_tests::TestApp,
    id: &str,
) -> Vec<(String, serde_json::Value)> {
    let rows = app
        .db()
        .await
        .query(
            "select type, data::text from events where object_type = 'generation' and object_id = $1 order by seq",
            &[&id],
        )
        .await
        .expect("events");
    rows.iter()
        .map(|r| {
            (
                r.get(0),
                serde_json::from_str(&r.get::<_, String>(1)).expect("json"),
            )
        })
        .collect()
}
