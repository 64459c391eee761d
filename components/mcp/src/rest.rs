//! Calls to the REST API through Spin service chaining
//! (`http://<component>.spin.internal/<path>`), carrying the caller's own
//! `Authorization` header: authentication, scopes, rate limits,
//! idempotency and errors are exactly the REST API's.

use serde_json::{Value, json};
use spin_sdk::http::{Method, Request, Response};

/// What a REST call answered: its status and JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The caller's credentials and request id, forwarded on every call.
#[derive(Debug, Clone)]
pub struct Caller {
    pub authorization: Option<String>,
    pub request_id: Option<String>,
}

/// The component that serves `path` (the routes of `spin.toml`); each host
/// here needs its `http://<component>.spin.internal` entry in the mcp
/// component's `allowed_outbound_hosts`.
fn component_for(path: &str) -> &'static str {
    let p = path.split('?').next().unwrap_or(path);
    if p == "/v1/files/presign" {
        "presign"
    } else if p == "/v1/files/confirm" {
        "confirm"
    } else if p.starts_with("/v1/files") {
        "files"
    } else if p.starts_with("/v1/quotes") {
        "quotes"
    } else if p.starts_with("/v1/catalog") {
        "catalog"
    } else if p.starts_with("/v1/generations") {
        "generations"
    } else {
        "orders"
    }
}

/// Sends one request to the API. A transport failure is answered like the
/// API's own 503 so the tool reports it the same way.
pub async fn call(
    caller: &Caller,
    method: Method,
    path: &str,
    body: Option<&Value>,
    idempotency_key: Option<&str>,
) -> Answer {
    let url = format!("http://{}.spin.internal{path}", component_for(path));
    let mut builder = Request::builder();
    builder.method(method).uri(url);
    if let Some(auth) = &caller.authorization {
        builder.header("authorization", auth.as_str());
    }
    if let Some(id) = &caller.request_id {
        builder.header("x-request-id", id.as_str());
    }
    if let Some(key) = idempotency_key {
        builder.header("idempotency-key", key);
    }
    let request = match body {
        Some(b) => builder
            .header("content-type", "application/json")
            .body(serde_json::to_vec(b).unwrap_or_default())
            .build(),
        None => builder.build(),
    };
    match spin_sdk::http::send::<_, Response>(request).await {
        Ok(response) => Answer {
            status: *response.status(),
            body: serde_json::from_slice(response.body()).unwrap_or(Value::Null),
        },
        Err(e) => Answer {
            status: 503,
            body: json!({
                "error": "upstream_temporarily_unavailable",
                "message": format!("the API could not be reached: {e}"),
                "next_action": "retry_later",
            }),
        },
    }
}

/// PUTs bytes to a presigned object-store URL with exactly the headers the
/// presign answer requires. Returns the store's status.
pub async fn put_presigned(url: &str, headers: &Value, bytes: Vec<u8>) -> Result<u16, String> {
    let mut builder = Request::builder();
    builder.method(Method::Put).uri(url);
    if let Some(map) = headers.as_object() {
        for (name, value) in map {
            builder.header(name.as_str(), value.as_str().unwrap_or_default());
        }
    }
    let response: Response = spin_sdk::http::send(builder.body(bytes).build())
        .await
        .map_err(|e| e.to_string())?;
    Ok(*response.status())
}
