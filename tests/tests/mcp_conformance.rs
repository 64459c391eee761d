//! MCP conformance with a client nobody here wrote: the official Python SDK
//! (`mcp` 2.3.0, installed by scripts/mcp-client.sh) runs
//! tests/mcp/conformance.py against the real app, under 2026-07-28 and
//! under the 2025 handshake (the SDK's `legacy` mode negotiates 2025-11-25).
//! Its answers are checked here against the REST API's.

#[path = "upload_common.rs"]
mod common;

use common::*;
use farm_tests::{corpus_path, repo_root};
use serde_json::Value;
use std::process::Command;

/// The SDK's python: `FARM_MCP_PYTHON` (scripts/test.sh sets it), else
/// what scripts/mcp-client.sh prints (it installs the venv when missing).
fn sdk_python() -> String {
    if let Ok(p) = std::env::var("FARM_MCP_PYTHON") {
        return p;
    }
    let out = Command::new("bash")
        .arg(repo_root().join("scripts/mcp-client.sh"))
        .output()
        .expect("run scripts/mcp-client.sh");
    assert!(
        out.status.success(),
        "scripts/mcp-client.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn run_client(python: &str, url: &str, key: &str, mode: &str, material: &str) -> Value {
    let out = Command::new(python)
        .arg(repo_root().join("tests/mcp/conformance.py"))
        .args([
            "--url",
            url,
            "--key",
            key,
            "--mode",
            mode,
            "--material",
            material,
        ])
        .arg("--mesh")
        .arg(corpus_path("synthetic/cube10_ascii.stl"))
        .arg("--order")
        .output()
        .expect("run the MCP Python SDK");
    assert!(
        out.status.success(),
        "conformance.py --mode {mode} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("conformance.py prints JSON")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_official_python_sdk_quotes_and_orders_under_both_protocol_generations() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let (_, catalog) = get(&app, &key, "/v1/catalog").await;
    let material = catalog["items"][0]["id"]
        .as_str()
        .expect("a material")
        .to_owned();
    let python = sdk_python();
    let url = app.url("").trim_end_matches('/').to_owned();
    for (mode, negotiated) in [("2026-07-28", "2026-07-28"), ("legacy", "2025-11-25")] {
        let (p, u, k, m) = (python.clone(), url.clone(), key.clone(), material.clone());
        let out = tokio::task::spawn_blocking(move || run_client(&p, &u, &k, mode, &m))
            .await
            .expect("client thread");
        eprintln!("mcp conformance {mode}: {out}");
        assert_eq!(out["protocol_version"], negotiated, "{out}");
        let tools: Vec<&str> = out["tools"]
            .as_array()
            .expect("tools")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for t in [
            "get_catalog",
            "upload_part",
            "get_part_analysis",
            "quote_part",
        ] {
            assert!(tools.contains(&t), "{mode}: {t} missing from {tools:?}");
        }
        assert_eq!(out["analysis_status"], "ready");
        // The quote the SDK got is the one the REST API stored.
        let quote_id = out["quote"]["quote_id"].as_str().expect("quote_id");
        let (status, stored) = get(&app, &key, &format!("/v1/quotes/{quote_id}")).await;
        assert_eq!(status, 200, "{stored}");
        assert_eq!(out["quote"]["total"], stored["total"], "{mode}");
        assert_eq!(stored["quantity"], 2);
        assert_eq!(out["error"]["error"], "file_not_found", "{out}");
        // quote -> test-mode order -> status, through MCP: the checkout the
        // SDK started, completed by the test helper, is a queued order.
        let order_id = out["checkout"]["order_id"].as_str().expect("order_id");
        assert_eq!(out["order"]["status"], "queued", "{mode}: {out}");
        let (status, stored) = get(&app, &key, &format!("/v1/orders/{order_id}")).await;
        assert_eq!(
            (status, stored["status"].as_str()),
            (200, Some("queued")),
            "{stored}"
        );
    }
}
