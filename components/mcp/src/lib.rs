//! `POST /mcp`: the Model Context Protocol server, stateless (one request,
//! one answer, no session), speaking MCP 2026-07-28 and answering legacy
//! 2025-06-18 / 2025-11-25 clients' `initialize` on the same endpoint
//! without a session id. Each tool calls the REST API through service
//! chaining with the caller's own API key (`rest`), so authentication,
//! scopes, rate limits, idempotency and errors are the REST API's.
//!
//! Wire types come from `rmcp` (the official Rust SDK, `model` only); the
//! handler is ours: rmcp's HTTP server needs tokio tasks, which a Spin
//! handler does not run.

mod calls;
mod protocol;
mod rest;
mod tools;

use farm_platform::ApiError;
use farm_platform::farm_domain::ids::IdKind;
use protocol::{
    Era, Headers, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR, Refusal,
};
use rmcp::model::{
    CacheScope, CallToolResult, ContentBlock, DiscoverResult, Implementation, InitializeResult,
    ListToolsResult, ProtocolVersion, ServerCapabilities, ToolsCapability,
};
use serde_json::{Value, json};
use spin_sdk::http::{Method, Request, Response};

/// How long a client may cache `tools/list` and `server/discover`: the
/// tool set changes only with a deployment, so one hour (MCP 2026-07-28
/// `CacheableResult.ttlMs`). The same for every caller: `public`.
const LIST_TTL_MS: u64 = 3_600_000;

const INSTRUCTIONS: &str = "Farm API prints 3D parts. Flow: get_catalog, upload_part, poll get_part_analysis until ready, quote_part, then start_checkout (a person approves and pays) or place_autonomous_order (autopay), then get_order. Every tool needs the account's API key as `Authorization: Bearer`.";

#[allow(unsafe_code)]
mod export {
    #[spin_sdk::http_component]
    async fn entry(req: spin_sdk::http::Request) -> spin_sdk::http::Response {
        super::serve(req).await
    }
}

/// The largest body `/mcp` reads: 6 MiB, room for `upload_part`'s inline
/// mesh (4 MiB as base64, × 4/3) and the JSON-RPC envelope, under hosted
/// Spin's 10 MiB request limit (design.md §8).
pub const MAX_BODY_BYTES: usize = 6 * 1024 * 1024;

async fn serve(req: Request) -> Response {
    let request_id = header(&req, "x-request-id")
        .filter(|id| farm_platform::is_well_formed_request_id(id))
        .unwrap_or_else(|| {
            farm_platform::new_id(IdKind::Request).unwrap_or_else(|_| "req_unavailable".into())
        });
    let mut response = answer(req, &request_id).await;
    response.set_header("x-request-id", request_id);
    response
}

async fn answer(req: Request, request_id: &str) -> Response {
    // Transport-level refusals are the API's own error shape; everything
    // after the body is parsed is JSON-RPC.
    if *req.method() != Method::Post {
        let method = req.method().to_string();
        return ApiError::method_not_allowed(&method, &["POST"]).into_response(request_id);
    }
    let content_type = header(&req, "content-type");
    let essence = content_type
        .as_deref()
        .and_then(|c| c.split(';').next())
        .map(str::trim);
    if !essence.is_some_and(|c| c.eq_ignore_ascii_case("application/json")) {
        return ApiError::unsupported_media_type(content_type.as_deref()).into_response(request_id);
    }
    if req.body().len() > MAX_BODY_BYTES {
        return ApiError::payload_too_large(MAX_BODY_BYTES).into_response(request_id);
    }
    let base_url = spin_sdk::variables::get("public_base_url").unwrap_or_default();
    if let Some(origin) = header(&req, "origin").filter(|o| !origin_allowed(o, &base_url)) {
        let refusal = Refusal::new(
            403,
            INVALID_REQUEST,
            format!("Origin {origin} is not allowed"),
        );
        return refuse(&refusal, &Value::Null);
    }
    let message: Value = match serde_json::from_slice(req.body()) {
        Ok(v) => v,
        Err(e) => {
            return refuse(
                &Refusal::new(400, PARSE_ERROR, format!("Parse error: {e}")),
                &Value::Null,
            );
        }
    };
    let envelope = match protocol::Envelope::parse(&message) {
        Ok(envelope) => envelope,
        Err(refusal) => return refuse(&refusal, &Value::Null),
    };
    let Some(id) = envelope.id else {
        // A notification (the legacy `notifications/initialized`): accepted,
        // and nothing to keep, since nothing is kept.
        return Response::builder().status(202).body(Vec::new()).build();
    };
    let headers = Headers {
        protocol_version: header(&req, "mcp-protocol-version"),
        method: header(&req, "mcp-method"),
        name: header(&req, "mcp-name"),
    };
    let era = match protocol::classify(envelope.method, &envelope.params, &headers) {
        Ok(era) => era,
        Err(refusal) => return refuse(&refusal, &id),
    };
    let caller = rest::Caller {
        authorization: header(&req, "authorization"),
        request_id: Some(request_id.to_owned()),
    };
    match dispatch(envelope.method, &envelope.params, &era, &caller, &base_url).await {
        Ok(result) => reply(
            200,
            &json!({"jsonrpc": "2.0", "id": id, "result": shape(result, &era)}),
        ),
        Err(refusal) => refuse(&refusal, &id),
    }
}

async fn dispatch(
    method: &str,
    params: &Value,
    era: &Era,
    caller: &rest::Caller,
    base_url: &str,
) -> Result<Value, Refusal> {
    match (method, era) {
        ("initialize", Era::Legacy(version)) => {
            let result = InitializeResult::new(capabilities())
                .with_protocol_version(parse_version(version))
                .with_server_info(server_info())
                .with_instructions(INSTRUCTIONS);
            Ok(to_value(&result))
        }
        ("ping", Era::Legacy(_)) => Ok(json!({})),
        ("server/discover", Era::Modern) => {
            let versions = protocol::supported_versions()
                .into_iter()
                .map(parse_version)
                .collect();
            let mut result = DiscoverResult::new(versions, capabilities());
            result.instructions = Some(INSTRUCTIONS.into());
            result.ttl_ms = LIST_TTL_MS;
            result.cache_scope = CacheScope::Public;
            Ok(to_value(&result))
        }
        ("tools/list", _) => {
            let mut result = ListToolsResult::with_all_items(tools::all());
            result.ttl_ms = Some(LIST_TTL_MS);
            result.cache_scope = Some(CacheScope::Public);
            Ok(to_value(&result))
        }
        ("tools/call", _) => {
            let name = params
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let args = params
                .get("arguments")
                .cloned()
                .unwrap_or_else(|| json!({}));
            if !args.is_object() {
                return Err(Refusal::new(
                    400,
                    INVALID_PARAMS,
                    "arguments must be an object",
                ));
            }
            let outcome = calls::run(name, &args, caller, base_url)
                .await
                .ok_or_else(|| {
                    Refusal::new(400, INVALID_PARAMS, format!("Unknown tool: {name}"))
                })?;
            Ok(to_value(&tool_result(outcome)))
        }
        _ => {
            let status = if *era == Era::Modern { 404 } else { 200 };
            Err(Refusal::new(
                status,
                METHOD_NOT_FOUND,
                format!("Method not found: {method}"),
            ))
        }
    }
}

/// A tool outcome as a `CallToolResult`: `structuredContent` carries all
/// of it and the one text block is its exact JSON, because clients differ
/// in which of the two the model sees.
fn tool_result(outcome: calls::Outcome) -> CallToolResult {
    let (value, is_error) = match outcome {
        Ok(v) => (v, false),
        Err(v) => (v, true),
    };
    let text = serde_json::to_string(&value).unwrap_or_default();
    let mut result = if is_error {
        CallToolResult::error(vec![ContentBlock::text(text)])
    } else {
        CallToolResult::success(vec![ContentBlock::text(text)])
    };
    result.structured_content = Some(value);
    result
}

/// Modern results carry `resultType` and `_meta.serverInfo`; legacy ones
/// have neither, nor the 2026-07-28 cache fields.
fn shape(mut result: Value, era: &Era) -> Value {
    let Some(map) = result.as_object_mut() else {
        return result;
    };
    match era {
        Era::Modern => {
            map.insert("resultType".into(), json!("complete"));
            let meta = map.entry("_meta").or_insert_with(|| json!({}));
            meta[protocol::META_SERVER_INFO] = to_value(&server_info());
        }
        Era::Legacy(_) => {
            for key in ["resultType", "ttlMs", "cacheScope"] {
                map.remove(key);
            }
        }
    }
    result
}

fn capabilities() -> ServerCapabilities {
    let mut capabilities = ServerCapabilities::default();
    capabilities.tools = Some(ToolsCapability::default());
    capabilities
}

/// rmcp's `ProtocolVersion` is built by deserializing its string.
fn parse_version(v: &str) -> ProtocolVersion {
    serde_json::from_value(json!(v)).unwrap_or_default()
}

fn server_info() -> Implementation {
    Implementation::new("farm-api", env!("CARGO_PKG_VERSION"))
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.header(name).and_then(|v| v.as_str()).map(str::to_owned)
}

/// Browsers send `Origin`; a page on another site must not drive a
/// caller's tools (DNS rebinding, MCP Streamable HTTP "Security"). Only
/// the app's own origin (`public_base_url`) passes; clients that send no
/// `Origin` (every non-browser client) are not affected.
fn origin_allowed(origin: &str, base_url: &str) -> bool {
    let own = base_url.trim_end_matches('/');
    let own_origin = match own.find("://") {
        Some(i) => own[i + 3..].find('/').map_or(own, |j| &own[..i + 3 + j]),
        None => own,
    };
    !own_origin.is_empty() && origin.eq_ignore_ascii_case(own_origin)
}

fn refuse(refusal: &Refusal, id: &Value) -> Response {
    reply(refusal.status, &refusal.body(id))
}

fn reply(status: u16, body: &Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap_or_default())
        .build()
}
