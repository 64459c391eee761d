//! The MCP tools `generate_part` and `get_generation` against the real
//! components: a prompt becomes a completed part whose answer is the REST
//! API's own (`GET /v1/generations/{id}`), charged once under one
//! `idempotency_key`; a prompt the designer cannot map and a malformed id are
//! tool errors shaped like the API's.

#[path = "upload_common.rs"]
mod common;
#[path = "mcp_common.rs"]
mod mcp;

use common::*;
use mcp::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn generate_part_then_get_generation_match_the_rest_api() {
    let app = spawn_upload_app().await;
    let (key, _) = new_account_key(&app, "test", &["generate", "files:read"]).await;

    let (_, listed) = modern(&app, Some(&key), "tools/list", json!({})).await;
    let tools = listed["result"]["tools"].as_array().expect("tools");
    let tool = |n: &str| tools.iter().find(|t| t["name"] == n).cloned().expect(n);
    let generate = tool("generate_part");
    assert_eq!(generate["annotations"]["readOnlyHint"], false);
    assert_eq!(generate["inputSchema"]["required"], json!(["prompt"]));
    assert_eq!(tool("get_generation")["annotations"]["readOnlyHint"], true);

    let prompt = "a 50 x 30 x 5 mm plate with two M3 clearance holes 40 mm apart";
    let args = json!({"prompt": prompt, "idempotency_key": "mcp-gen-1"});
    let started = tool_ok(&app, &key, "generate_part", args.clone()).await;
    assert_eq!(started["status"], "processing", "{started}");
    // Two free credits at sign-up, one spent.
    assert_eq!(started["credits_remaining"], 1, "{started}");
    let id = started["id"].as_str().expect("id").to_owned();
    let again = tool_ok(&app, &key, "generate_part", args).await;
    assert_eq!(
        again["id"], started["id"],
        "same idempotency_key, same generation"
    );
    assert_eq!(again["credits_remaining"], 1, "charged once");

    let mut done = serde_json::Value::Null;
    for _ in 0..300 {
        done = tool_ok(&app, &key, "get_generation", json!({"generation_id": id})).await;
        if done["status"] != "processing" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(done["status"], "completed", "{done}");
    let (status, rest) = get(&app, &key, &format!("/v1/generations/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(done["result"]["file_id"], rest["result"]["file_id"]);
    assert_eq!(done["result"]["part_spec"], rest["result"]["part_spec"]);
    assert_eq!(
        rest["result"]["dimensions_mm"],
        json!({"x": 50.0, "y": 30.0, "z": 5.0}),
        "{rest}"
    );

    // Refused prompts and malformed ids are tool errors, never charged.
    let refused = tool_err(
        &app,
        Some(&key),
        "generate_part",
        json!({"prompt": "a nice shape"}),
    )
    .await;
    assert_eq!(refused["error"], "unsupported_prompt", "{refused}");
    assert_eq!(refused["status"], 422);
    let (_, credits) = get(&app, &key, "/v1/credits").await;
    assert_eq!(credits["balance"], 1, "{credits}");
    let bad = tool_err(
        &app,
        Some(&key),
        "get_generation",
        json!({"generation_id": "gen_nope"}),
    )
    .await;
    assert_eq!(bad["error"], "invalid_request");
    let missing = tool_err(
        &app,
        Some(&key),
        "get_generation",
        json!({"generation_id": format!("gen_{}", "0".repeat(32))}),
    )
    .await;
    assert_eq!(missing["error"], "generation_not_found");
    assert_eq!(missing["status"], 404);
}
