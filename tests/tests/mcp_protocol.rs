//! `POST /mcp`, the transport and protocol rules (MCP 2026-07-28,
//! Streamable HTTP: Request Metadata, Server Validation, Backward
//! Compatibility; `server/discover`; `tools/list`), and the legacy
//! `initialize` of 2025-06-18 / 2025-11-25 answered without a session.

#[path = "upload_common.rs"]
mod common;
#[path = "mcp_common.rs"]
mod mcp;

use mcp::*;
use serde_json::{Value, json};

/// (headers, body, expected HTTP status, expected JSON-RPC error code)
type Case<'a> = (Vec<(&'a str, &'a str)>, Value, u16, i64);

fn list_body(version: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": 7, "method": "tools/list", "params": {"_meta": meta(version)}})
}

#[tokio::test]
async fn get_and_delete_are_405_and_origin_is_checked() {
    let app = common::spawn_upload_app().await;
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let r = app
            .client
            .request(method.clone(), app.url("/mcp"))
            .send()
            .await
            .expect("send");
        assert_eq!(r.status().as_u16(), 405, "{method}");
        assert_eq!(r.headers()["allow"], "POST");
        let body: Value = r.json().await.expect("json");
        assert_eq!(
            body["error"], "method_not_allowed",
            "the API's error shape: {body}"
        );
    }
    let r = app
        .client
        .post(app.url("/mcp"))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 415);
    // Envelopes JSON-RPC 2.0 / MCP do not allow: 400 Invalid Request (-32600)
    // or, for a malformed initialize, Invalid Params (-32602).
    for (body, code) in [
        (
            json!([{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}]),
            -32600,
        ),
        (
            json!({"jsonrpc": "1.0", "id": 1, "method": "tools/list"}),
            -32600,
        ),
        (
            json!({"jsonrpc": "2.0", "id": 1.5, "method": "tools/list"}),
            -32600,
        ),
        (json!({"jsonrpc": "2.0", "method": "tools/list"}), -32600),
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "extra": 1}),
            -32600,
        ),
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}}}),
            -32602,
        ),
    ] {
        let (status, _, answer) = raw(&app, None, &[], &body).await;
        assert_eq!(
            (status, answer["error"]["code"].as_i64()),
            (400, Some(code)),
            "{body}: {answer}"
        );
    }
    let h = [
        ("mcp-protocol-version", MODERN),
        ("mcp-method", "tools/list"),
    ];
    let mut with_origin = h.to_vec();
    with_origin.push(("origin", "http://evil.example"));
    let (status, _, body) = raw(&app, None, &with_origin, &list_body(MODERN)).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"]["code"].is_i64(), "{body}");
    assert_eq!(body["id"], Value::Null);
    // The app's own origin (its public_base_url) passes.
    let own_origin = app.url("").trim_end_matches('/').to_owned();
    let mut own = h.to_vec();
    own.push(("origin", own_origin.as_str()));
    let (status, _, body) = raw(&app, None, &own, &list_body(MODERN)).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn headers_must_match_the_body() {
    let app = common::spawn_upload_app().await;
    let call = |name: &str| {
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
            "params": {"name": name, "arguments": {}, "_meta": meta(MODERN)}})
    };
    let cases: Vec<Case> = vec![
        (
            vec![("mcp-method", "tools/list")],
            list_body(MODERN),
            400,
            -32020,
        ),
        (
            vec![
                ("mcp-protocol-version", "2025-11-25"),
                ("mcp-method", "tools/list"),
            ],
            list_body(MODERN),
            400,
            -32020,
        ),
        (
            vec![("mcp-protocol-version", MODERN)],
            list_body(MODERN),
            400,
            -32020,
        ),
        (
            vec![
                ("mcp-protocol-version", MODERN),
                ("mcp-method", "tools/call"),
            ],
            list_body(MODERN),
            400,
            -32020,
        ),
        (
            vec![
                ("mcp-protocol-version", MODERN),
                ("mcp-method", "tools/call"),
            ],
            call("get_catalog"),
            400,
            -32020,
        ),
        (
            vec![
                ("mcp-protocol-version", MODERN),
                ("mcp-method", "tools/call"),
                ("mcp-name", "quote_part"),
            ],
            call("get_catalog"),
            400,
            -32020,
        ),
        // A modern header on a body without the modern _meta.
        (
            vec![
                ("mcp-protocol-version", MODERN),
                ("mcp-method", "tools/list"),
            ],
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
            400,
            -32020,
        ),
        // A version nobody speaks, consistently in header and body.
        (
            vec![
                ("mcp-protocol-version", "2099-01-01"),
                ("mcp-method", "tools/list"),
            ],
            list_body("2099-01-01"),
            400,
            -32022,
        ),
        // Unknown method of a valid modern request.
        (
            vec![
                ("mcp-protocol-version", MODERN),
                ("mcp-method", "resources/list"),
            ],
            json!({"jsonrpc": "2.0", "id": 1, "method": "resources/list", "params": {"_meta": meta(MODERN)}}),
            404,
            -32601,
        ),
    ];
    for (i, (headers, body, status, code)) in cases.into_iter().enumerate() {
        let (got, _, answer) = raw(&app, None, &headers, &body).await;
        assert_eq!(
            (got, answer["error"]["code"].as_i64()),
            (status, Some(code)),
            "case {i}: {answer}"
        );
        assert_eq!(answer["id"], body["id"], "case {i}");
    }
    let (_, _, answer) = raw(
        &app,
        None,
        &[
            ("mcp-protocol-version", "2099-01-01"),
            ("mcp-method", "tools/list"),
        ],
        &list_body("2099-01-01"),
    )
    .await;
    assert_eq!(
        answer["error"]["data"],
        json!({"supported": ["2026-07-28", "2025-11-25", "2025-06-18"], "requested": "2099-01-01"})
    );
    // Mcp-Name in the base64 sentinel form matches its decoded value.
    let encoded = format!("=?base64?{}?=", "Z2V0X2NhdGFsb2c="); // "get_catalog"
    let (got, _, answer) = raw(
        &app,
        None,
        &[
            ("mcp-protocol-version", MODERN),
            ("mcp-method", "tools/call"),
            ("mcp-name", &encoded),
        ],
        &call("get_catalog"),
    )
    .await;
    assert_eq!(got, 200, "{answer}");
    assert_ne!(answer["result"]["isError"], true, "{answer}");
}

#[tokio::test]
async fn discover_and_tools_list() {
    let app = common::spawn_upload_app().await;
    let (status, body) = modern(&app, None, "server/discover", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let d = &body["result"];
    assert_eq!(d["resultType"], "complete");
    assert_eq!(
        d["supportedVersions"],
        json!(["2026-07-28", "2025-11-25", "2025-06-18"])
    );
    assert!(d["capabilities"]["tools"].is_object(), "{d}");
    assert_eq!(
        d["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "farm-api"
    );
    assert!(
        d["ttlMs"].as_u64().is_some() && d["cacheScope"] == "public",
        "{d}"
    );

    let (status, first) = modern(&app, None, "tools/list", json!({})).await;
    assert_eq!(status, 200, "{first}");
    let (_, second) = modern(&app, None, "tools/list", json!({})).await;
    assert_eq!(first, second, "tools/list is deterministic");
    let r = &first["result"];
    assert_eq!(r["resultType"], "complete");
    assert_eq!(r["ttlMs"], 3_600_000);
    assert_eq!(r["cacheScope"], "public");
    let tools = r["tools"].as_array().expect("tools");
    let names: Vec<&str> = tools
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names[..4],
        [
            "get_catalog",
            "upload_part",
            "get_part_analysis",
            "quote_part"
        ]
    );
    for t in tools {
        let name = t["name"].as_str().expect("name");
        assert!(
            name.len() <= 64 && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{name}"
        );
        for hint in [
            "readOnlyHint",
            "destructiveHint",
            "idempotentHint",
            "openWorldHint",
        ] {
            assert!(t["annotations"][hint].is_boolean(), "{name} lacks {hint}");
        }
        assert_eq!(t["inputSchema"]["type"], "object", "{name}");
        assert_eq!(t["outputSchema"]["type"], "object", "{name}");
        assert!(
            t["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{name}"
        );
    }
    let hints = |n: &str| {
        let t = tools.iter().find(|t| t["name"] == n).expect(n);
        let a = &t["annotations"];
        (a["readOnlyHint"].clone(), a["destructiveHint"].clone())
    };
    assert_eq!(hints("get_catalog"), (json!(true), json!(false)));
    assert_eq!(hints("quote_part"), (json!(false), json!(false)));
}

#[tokio::test]
async fn legacy_initialize_is_answered_without_a_session() {
    let app = common::spawn_upload_app().await;
    for (asked, answered) in [
        ("2025-06-18", "2025-06-18"),
        ("2025-11-25", "2025-11-25"),
        ("2024-11-05", "2025-11-25"),
    ] {
        let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": asked, "capabilities": {}, "clientInfo": {"name": "legacy", "version": "1"}}});
        let (status, session, body) = raw(&app, None, &[], &init).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(session, None, "no Mcp-Session-Id");
        let r = &body["result"];
        assert_eq!(r["protocolVersion"], answered, "{r}");
        assert_eq!(r["serverInfo"]["name"], "farm-api");
        assert!(r["capabilities"]["tools"].is_object(), "{r}");
        assert!(
            r.get("resultType").is_none(),
            "legacy results have no resultType: {r}"
        );
    }
    // An integral float id is an integer (as JSON Schema counts it) and is echoed.
    let init = json!({"jsonrpc": "2.0", "id": -420.0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "f", "version": "1"}}});
    let (status, _, body) = raw(&app, None, &[], &init).await;
    assert_eq!((status, body["id"].as_f64()), (200, Some(-420.0)), "{body}");
    // notifications/initialized: 202, no body.
    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let (status, session, _) =
        raw(&app, None, &[("mcp-protocol-version", "2025-06-18")], &note).await;
    assert_eq!((status, session), (202, None));
    // A later legacy request: version header, no _meta.
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    let (status, _, body) = raw(&app, None, &[("mcp-protocol-version", "2025-06-18")], &list).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["result"]["tools"]
            .as_array()
            .is_some_and(|t| t.len() >= 4),
        "{body}"
    );
    assert!(body["result"].get("ttlMs").is_none(), "{body}");
    // Without the version header it is refused (no 2025-03-26 support).
    let (status, _, body) = raw(&app, None, &[], &list).await;
    assert_eq!(
        (status, body["error"]["code"].as_i64()),
        (400, Some(-32020)),
        "{body}"
    );
}
