//! The transport rules of MCP's Streamable HTTP, both eras, on one stateless
//! endpoint: which protocol version a request speaks, and whether its
//! headers agree with its body.
//!
//! Sources: the MCP specification 2026-07-28 (`basic/transports/streamable-http`,
//! sections Request Metadata, Server Validation and Backward Compatibility;
//! `basic/versioning`; `basic/index` Error Codes) and the 2025-06-18 /
//! 2025-11-25 lifecycle pages for the legacy `initialize` handshake.

use base64::Engine as _;
use serde_json::{Value, json};

/// The modern (per-request `_meta`) revision this server speaks.
pub const MODERN: &str = "2026-07-28";
/// The legacy (handshake) revisions this server answers, newest first. A
/// legacy `initialize` asking for another version is answered with the
/// newest one (2025-11-25 lifecycle: "the server MUST respond with another
/// protocol version it supports").
pub const LEGACY: [&str; 2] = ["2025-11-25", "2025-06-18"];

/// Every version, modern first: `supportedVersions` in `server/discover` and
/// `supported` in `UnsupportedProtocolVersionError`.
pub fn supported_versions() -> Vec<&'static str> {
    std::iter::once(MODERN).chain(LEGACY).collect()
}

/// `_meta` keys of 2026-07-28 (`RequestMetaObject`, `ResultMetaObject`).
pub const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub const META_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
pub const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";

/// JSON-RPC 2.0 error codes, and the MCP ones from the range the 2026-07-28
/// specification reserves (`-32020..=-32099`).
pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const HEADER_MISMATCH: i64 = -32020;
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// A refusal before any method runs: the HTTP status and the JSON-RPC error.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl Refusal {
    pub fn new(status: u16, code: i64, message: impl Into<String>) -> Self {
        Refusal {
            status,
            code,
            message: message.into(),
            data: None,
        }
    }

    fn mismatch(message: impl Into<String>) -> Self {
        Refusal::new(400, HEADER_MISMATCH, message)
    }

    /// The JSON-RPC error response (`id` null when the request had none).
    pub fn body(&self, id: &Value) -> Value {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(data) = &self.data {
            error["data"] = data.clone();
        }
        json!({"jsonrpc": "2.0", "id": id, "error": error})
    }
}

/// Which generation a request belongs to, and so how its result is shaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Era {
    /// 2026-07-28: stateless, results carry `resultType` and `_meta.serverInfo`.
    Modern,
    /// 2025-06-18 / 2025-11-25 after (or during) the `initialize` handshake.
    Legacy(String),
}

/// The request headers MCP mirrors from the body (names are matched
/// case-insensitively by the HTTP layer).
#[derive(Debug, Default)]
pub struct Headers {
    pub protocol_version: Option<String>,
    pub method: Option<String>,
    pub name: Option<String>,
}

/// Decides the era of a request and checks its headers against its body.
///
/// Modern requests carry `_meta["io.modelcontextprotocol/protocolVersion"]`;
/// `MCP-Protocol-Version` must equal it, `Mcp-Method` must equal `method`,
/// and `tools/call` needs `Mcp-Name` equal to `params.name` (after the
/// `=?base64?…?=` sentinel is decoded). A missing or different header is
/// `400 HeaderMismatch` (-32020); an unknown modern version is
/// `400 UnsupportedProtocolVersion` (-32022) listing what we speak.
///
/// Legacy requests: `initialize` itself carries its version in
/// `params.protocolVersion`; every later request must send a supported
/// legacy `MCP-Protocol-Version` (we do not serve the 2025-03-26 clients that
/// omit it, so a missing header is refused, as Server Validation requires).
pub fn classify(method: &str, params: &Value, headers: &Headers) -> Result<Era, Refusal> {
    let body_version = params
        .get("_meta")
        .and_then(|m| m.get(META_PROTOCOL_VERSION));
    if method == "initialize" {
        return Ok(Era::Legacy(negotiate_legacy(params)));
    }
    match body_version {
        Some(version) => {
            let version = version.as_str().ok_or_else(|| {
                Refusal::new(
                    400,
                    INVALID_PARAMS,
                    "_meta protocolVersion must be a string",
                )
            })?;
            modern(method, params, headers, version)
        }
        None => legacy(headers),
    }
}

fn modern(method: &str, params: &Value, headers: &Headers, version: &str) -> Result<Era, Refusal> {
    match headers.protocol_version.as_deref() {
        None => {
            return Err(Refusal::mismatch(
                "Header mismatch: MCP-Protocol-Version header is missing",
            ));
        }
        Some(h) if h != version => {
            return Err(Refusal::mismatch(format!(
                "Header mismatch: MCP-Protocol-Version header value '{h}' does not match body value '{version}'"
            )));
        }
        Some(_) => {}
    }
    if version != MODERN {
        return Err(unsupported(version));
    }
    match headers.method.as_deref() {
        None => {
            return Err(Refusal::mismatch(
                "Header mismatch: Mcp-Method header is missing",
            ));
        }
        Some(h) if h != method => {
            return Err(Refusal::mismatch(format!(
                "Header mismatch: Mcp-Method header value '{h}' does not match body value '{method}'"
            )));
        }
        Some(_) => {}
    }
    if method == "tools/call" {
        let body_name = params
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let header = headers
            .name
            .as_deref()
            .ok_or_else(|| Refusal::mismatch("Header mismatch: Mcp-Name header is missing"))?;
        let decoded = decode_header_value(header).ok_or_else(|| {
            Refusal::mismatch("Header mismatch: Mcp-Name header is not valid base64")
        })?;
        if decoded != body_name {
            return Err(Refusal::mismatch(format!(
                "Header mismatch: Mcp-Name header value '{decoded}' does not match body value '{body_name}'"
            )));
        }
    }
    if params
        .get("_meta")
        .and_then(|m| m.get(META_CLIENT_CAPABILITIES))
        .is_none_or(|c| !c.is_object())
    {
        return Err(Refusal::new(
            400,
            INVALID_PARAMS,
            "_meta io.modelcontextprotocol/clientCapabilities is required (an object)",
        ));
    }
    Ok(Era::Modern)
}

fn legacy(headers: &Headers) -> Result<Era, Refusal> {
    match headers.protocol_version.as_deref() {
        None => Err(Refusal::mismatch(
            "Header mismatch: MCP-Protocol-Version header is missing",
        )),
        Some(MODERN) => Err(Refusal::mismatch(format!(
            "Header mismatch: MCP-Protocol-Version is {MODERN} but the body has no _meta {META_PROTOCOL_VERSION}"
        ))),
        Some(v) if LEGACY.contains(&v) => Ok(Era::Legacy(v.to_owned())),
        Some(v) => Err(unsupported(v)),
    }
}

/// The version a legacy `initialize` gets: the one it asked for when we
/// speak it, else our newest legacy version (the client then decides).
fn negotiate_legacy(params: &Value) -> String {
    let asked = params.get("protocolVersion").and_then(Value::as_str);
    match asked {
        Some(v) if LEGACY.contains(&v) => v.to_owned(),
        _ => LEGACY[0].to_owned(),
    }
}

fn unsupported(requested: &str) -> Refusal {
    let mut refusal = Refusal::new(
        400,
        UNSUPPORTED_PROTOCOL_VERSION,
        "Unsupported protocol version",
    );
    refusal.data = Some(json!({"supported": supported_versions(), "requested": requested}));
    refusal
}

/// Decodes a header value that may use the `=?base64?{value}?=` sentinel of
/// the 2026-07-28 Value Encoding rules; `None` if the sentinel's payload is
/// not base64 of UTF-8.
pub fn decode_header_value(value: &str) -> Option<String> {
    match value
        .strip_prefix("=?base64?")
        .and_then(|v| v.strip_suffix("?="))
    {
        Some(encoded) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .ok()?;
            String::from_utf8(bytes).ok()
        }
        None => Some(value.to_owned()),
    }
}

/// One JSON-RPC 2.0 message as MCP allows it over HTTP: a request (`id` a
/// string or an integer) or a notification (no `id`, a `notifications/…`
/// method). Members other than `jsonrpc`, `id`, `method` and `params` are
/// refused, as is a batch (MCP dropped batching in 2025-06-18).
#[derive(Debug)]
pub struct Envelope<'a> {
    pub id: Option<Value>,
    pub method: &'a str,
    pub params: Value,
}

impl<'a> Envelope<'a> {
    pub fn parse(message: &'a Value) -> Result<Self, Refusal> {
        let bad = |why: &str| Refusal::new(400, INVALID_REQUEST, format!("Invalid request: {why}"));
        let map = message
            .as_object()
            .ok_or_else(|| bad("one JSON-RPC object (no batches)"))?;
        if let Some(k) = map
            .keys()
            .find(|k| !["jsonrpc", "id", "method", "params"].contains(&k.as_str()))
        {
            return Err(bad(&format!("unknown member `{k}`")));
        }
        if map.get("jsonrpc") != Some(&json!("2.0")) {
            return Err(bad("`jsonrpc` must be \"2.0\""));
        }
        let method = map
            .get("method")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("`method` must be a string"))?;
        let id = match map.get("id") {
            None => None,
            Some(id @ Value::String(_)) => Some(id.clone()),
            Some(id @ Value::Number(n)) if n.as_f64().is_some_and(is_safe_integer) => {
                Some(id.clone())
            }
            Some(_) => {
                return Err(bad(
                    "`id` must be a string or an integer of at most 2^53 - 1 in size",
                ));
            }
        };
        let params = match map.get("params") {
            None => json!({}),
            Some(p @ Value::Object(_)) => p.clone(),
            Some(_) => return Err(bad("`params` must be an object")),
        };
        if id.is_none() && !method.starts_with("notifications/") {
            return Err(bad(
                "a request needs an `id`; only notifications/… methods go without",
            ));
        }
        if method == "initialize" {
            check_initialize(&params)?;
        }
        Ok(Envelope { id, method, params })
    }
}

/// An integer JavaScript clients can hold exactly (|n| ≤ 2^53 − 1, the MCP
/// specification's bound for integer values); `-420.0` counts, as in JSON
/// Schema.
fn is_safe_integer(n: f64) -> bool {
    const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
    n.fract() == 0.0 && n.abs() <= MAX_SAFE
}

/// `InitializeRequest.params` of 2025-06-18 / 2025-11-25: `protocolVersion`
/// (string), `capabilities` (object) and `clientInfo` (`name`, `version`).
fn check_initialize(params: &Value) -> Result<(), Refusal> {
    let ok = params.get("protocolVersion").is_some_and(Value::is_string)
        && params.get("capabilities").is_some_and(Value::is_object)
        && params.get("clientInfo").is_some_and(|c| {
            c.get("name").is_some_and(Value::is_string)
                && c.get("version").is_some_and(Value::is_string)
        });
    if ok {
        Ok(())
    } else {
        Err(Refusal::new(
            400,
            INVALID_PARAMS,
            "initialize needs params.protocolVersion (string), capabilities (object) and clientInfo {name, version}",
        ))
    }
}
