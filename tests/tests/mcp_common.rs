//! Helpers for the MCP tests: one JSON-RPC request to `POST /mcp` with the
//! headers MCP 2026-07-28 (or a legacy revision) requires.

#![allow(dead_code)]

use farm_tests::TestApp;
use serde_json::{Value, json};

pub const MODERN: &str = "2026-07-28";

/// `_meta` of a modern request (RequestMetaObject: version and client
/// capabilities are required; clientInfo is a SHOULD).
pub fn meta(version: &str) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "farm-tests", "version": "0"}
    })
}

/// A raw request: `headers` are sent as given (so tests can omit or falsify
/// them); returns the status, the `mcp-session-id` header, and the body.
pub async fn raw(
    app: &TestApp,
    key: Option<&str>,
    headers: &[(&str, &str)],
    body: &Value,
) -> (u16, Option<String>, Value) {
    let mut req = app
        .client
        .post(app.url("/mcp"))
        .header("accept", "application/json, text/event-stream")
        .json(body);
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.expect("POST /mcp");
    let status = r.status().as_u16();
    let session = r
        .headers()
        .get("mcp-session-id")
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    (status, session, r.json().await.unwrap_or(Value::Null))
}

/// A well-formed modern request: body `_meta` and the three headers agree.
pub async fn modern(
    app: &TestApp,
    key: Option<&str>,
    method: &str,
    mut params: Value,
) -> (u16, Value) {
    params["_meta"] = meta(MODERN);
    let name = params["name"].as_str().map(str::to_owned);
    let mut headers = vec![("mcp-protocol-version", MODERN), ("mcp-method", method)];
    if let Some(name) = name.as_deref() {
        headers.push(("mcp-name", name));
    }
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let (status, _, body) = raw(app, key, &headers, &body).await;
    (status, body)
}

/// Calls a tool (modern); returns the `CallToolResult` after checking the
/// parts every result must have: `resultType`, one text block that is the
/// exact JSON of `structuredContent`.
pub async fn call_tool(app: &TestApp, key: Option<&str>, name: &str, arguments: Value) -> Value {
    let (status, body) = modern(
        app,
        key,
        "tools/call",
        json!({"name": name, "arguments": arguments}),
    )
    .await;
    assert_eq!(status, 200, "{name}: {body}");
    let result = body["result"].clone();
    assert_eq!(result["resultType"], "complete", "{result}");
    let content = result["content"].as_array().expect("content");
    assert_eq!(content.len(), 1, "{result}");
    assert_eq!(content[0]["type"], "text");
    let text: Value =
        serde_json::from_str(content[0]["text"].as_str().expect("text")).expect("text is JSON");
    assert_eq!(
        text, result["structuredContent"],
        "text block is the structured content"
    );
    result
}

/// The structured content of a successful tool call.
pub async fn tool_ok(app: &TestApp, key: &str, name: &str, arguments: Value) -> Value {
    let result = call_tool(app, Some(key), name, arguments).await;
    assert_ne!(result["isError"], true, "{name} failed: {result}");
    result["structuredContent"].clone()
}

/// The structured content of a tool call that must fail as a tool result.
pub async fn tool_err(app: &TestApp, key: Option<&str>, name: &str, arguments: Value) -> Value {
    let result = call_tool(app, key, name, arguments).await;
    assert_eq!(result["isError"], true, "{name} should fail: {result}");
    let err = result["structuredContent"].clone();
    assert!(err["next_action"].is_string(), "{err}");
    err
}
