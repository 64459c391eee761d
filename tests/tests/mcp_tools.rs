//! The MCP tools against the real components, Postgres and object store:
//! each tool's happy path and an error path. Tools call the REST API with
//! the caller's key, so their answers are checked against the REST API's
//! own answers to the same question.

#[path = "upload_common.rs"]
mod common;
#[path = "mcp_common.rs"]
mod mcp;

use base64::Engine as _;
use common::*;
use farm_tests::corpus_path;
use mcp::*;
use serde_json::{Value, json};

/// Uploads a corpus mesh inline through `upload_part` and polls
/// `get_part_analysis` until the analysis is ready.
async fn upload_inline_and_wait(
    app: &farm_tests::TestApp,
    key: &str,
    path: &str,
    filename: &str,
) -> Value {
    let bytes = std::fs::read(corpus_path(path)).expect("corpus file");
    let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let up = tool_ok(
        app,
        key,
        "upload_part",
        json!({"filename": filename, "content_base64": b64}),
    )
    .await;
    assert_eq!(up["status"], "processing", "{up}");
    let file_id = up["file_id"].as_str().expect("file_id").to_owned();
    assert!(
        up["next_step"]
            .as_str()
            .is_some_and(|s| s.contains("get_part_analysis")),
        "{up}"
    );
    for _ in 0..100 {
        let file = tool_ok(app, key, "get_part_analysis", json!({"file_id": file_id})).await;
        match file["status"].as_str() {
            Some("ready") => return file,
            Some("processing") => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
            other => panic!("analysis ended {other:?}: {file}"),
        }
    }
    panic!("analysis of {filename} not ready in 20 s");
}

#[tokio::test]
async fn catalog_upload_analysis_and_quote_match_the_rest_api() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;

    let catalog = tool_ok(&app, &key, "get_catalog", json!({})).await;
    let (status, rest_catalog) = get(&app, &key, "/v1/catalog").await;
    assert_eq!(status, 200);
    assert_eq!(catalog, rest_catalog, "get_catalog is the catalog");

    let file = upload_inline_and_wait(&app, &key, "synthetic/cube10_ascii.stl", "cube.stl").await;
    let (_, rest_file) = get(
        &app,
        &key,
        &format!("/v1/files/{}", file["id"].as_str().expect("id")),
    )
    .await;
    assert_eq!(
        file["metrics_json"], rest_file["metrics_json"],
        "analysis is the file's"
    );
    assert!(
        file.get("upload_url").is_none(),
        "no upload credential in the analysis: {file}"
    );
    // A 10 mm cube: 1000 mm³ = 1 cm³ (the corpus's EXPECTED.json).
    let volume = file["metrics_json"]["volume_cm3"]
        .as_f64()
        .unwrap_or_default();
    assert!((volume - 1.0).abs() < 1e-9, "{file}");

    let material = rest_catalog["items"][0]["id"]
        .as_str()
        .expect("a material")
        .to_owned();
    let args = json!({"file_id": file["id"], "material_id": material, "quantity": 3, "ship_country": "US"});
    let quote = tool_ok(&app, &key, "quote_part", args.clone()).await;
    assert!(
        quote["quote_id"]
            .as_str()
            .is_some_and(|q| q.starts_with("quote_")),
        "{quote}"
    );
    let (status, rest_quote) = post(&app, &key, "/v1/quotes", &args).await;
    assert_eq!(status, 201, "{rest_quote}");
    assert_eq!(quote["total"], rest_quote["total"], "same part, same price");
    assert_eq!(quote["breakdown"], rest_quote["breakdown"]);
    // The quote is stored under the caller's account, as with REST.
    let (status, stored) = get(
        &app,
        &key,
        &format!("/v1/quotes/{}", quote["quote_id"].as_str().expect("id")),
    )
    .await;
    assert_eq!((status, &stored["total"]), (200, &quote["total"]));
}

#[tokio::test]
async fn presigned_upload_then_confirm() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let bytes = std::fs::read(corpus_path("synthetic/cube10_ascii.stl")).expect("corpus");
    let presigned = tool_ok(
        &app,
        &key,
        "upload_part",
        json!({"filename": "c.stl", "size_bytes": bytes.len()}),
    )
    .await;
    assert_eq!(presigned["status"], "pending_upload", "{presigned}");
    assert_eq!(presigned["upload_method"], "PUT");
    assert!(
        presigned["next_step"]
            .as_str()
            .is_some_and(|s| s.contains("upload_part")),
        "{presigned}"
    );
    assert_eq!(put(&app, &presigned, bytes).await, 200);
    let confirmed = tool_ok(
        &app,
        &key,
        "upload_part",
        json!({"file_id": presigned["file_id"]}),
    )
    .await;
    assert_eq!(confirmed["status"], "processing", "{confirmed}");
    // Confirming a file that was never PUT is the API's own error.
    let other = tool_ok(
        &app,
        &key,
        "upload_part",
        json!({"filename": "d.stl", "size_bytes": 10}),
    )
    .await;
    let err = tool_err(
        &app,
        Some(&key),
        "upload_part",
        json!({"file_id": other["file_id"]}),
    )
    .await;
    let (status, rest_err) = post(
        &app,
        &key,
        "/v1/files/confirm",
        &json!({"file_id": other["file_id"]}),
    )
    .await;
    assert_eq!(
        (err["status"].as_u64(), &err["error"]),
        (Some(status as u64), &rest_err["error"]),
        "{err}"
    );
}

#[tokio::test]
async fn errors_are_tool_results_with_the_api_code_and_next_action() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    // No key: the REST API's 401.
    let err = tool_err(
        &app,
        None,
        "upload_part",
        json!({"filename": "a.stl", "size_bytes": 100}),
    )
    .await;
    assert_eq!(
        (err["status"].as_u64(), err["error"].as_str()),
        (Some(401), Some("invalid_api_key")),
        "{err}"
    );
    assert_eq!(err["next_action"], "check_api_key");
    // A key without quotes:write: the REST API's scope error.
    let (read_only, _) = new_account_key(&app, "test", &["files:read", "quotes:read"]).await;
    let err = tool_err(
        &app,
        Some(&read_only),
        "quote_part",
        json!({"file_id": format!("file_{}", "0".repeat(32)), "material_id": "pla"}),
    )
    .await;
    assert_eq!(err["status"], 403, "{err}");
    assert_eq!(err["error"], "insufficient_scope", "{err}");
    // An unknown file.
    let missing = format!("file_{}", "a".repeat(32));
    let err = tool_err(
        &app,
        Some(&key),
        "get_part_analysis",
        json!({"file_id": missing}),
    )
    .await;
    let (status, rest_err) = get(&app, &key, &format!("/v1/files/{missing}")).await;
    assert_eq!(
        (err["status"].as_u64(), &err["error"]),
        (Some(status as u64), &rest_err["error"])
    );
    // Arguments the tool refuses before any call.
    let err = tool_err(
        &app,
        Some(&key),
        "get_part_analysis",
        json!({"file_id": "../v1/keys"}),
    )
    .await;
    assert_eq!(err["error"], "invalid_request");
    let err = tool_err(&app, Some(&key), "get_catalog", json!({"material": "pla"})).await;
    assert_eq!(err["error"], "invalid_request");
    // An unknown tool is a protocol error, not a tool result.
    let (status, body) = modern(
        &app,
        Some(&key),
        "tools/call",
        json!({"name": "print_money", "arguments": {}}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_i64()),
        (400, Some(-32602)),
        "{body}"
    );
}
