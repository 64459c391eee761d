//! What each tool does: a REST call or two through service chaining
//! (`rest`), the answer reshaped only where a job needs it (an upload's
//! next step, a page cursor). `Ok` is the tool's `structuredContent`;
//! `Err` is the API's error body (`error`, `message`, `next_action`, …)
//! with its HTTP `status` added, returned as an `isError` tool result.

use base64::Engine as _;
use serde_json::{Map, Value, json};
use spin_sdk::http::Method;

use crate::rest::{self, Answer, Caller};

pub type Outcome = Result<Value, Value>;

/// The largest inline mesh `upload_part` takes, decoded: 4 MiB. Its base64
/// (× 4/3) plus the JSON-RPC envelope stays well under hosted Spin's 10 MiB
/// request body limit (design.md §8); larger files use the presigned URL.
pub const INLINE_LIMIT_BYTES: usize = 4 * 1024 * 1024;

/// Runs tool `name`; `None` when there is no such tool.
pub async fn run(name: &str, args: &Value, caller: &Caller, base_url: &str) -> Option<Outcome> {
    let outcome = match name {
        "get_catalog" => get_catalog(args, caller).await,
        "upload_part" => upload_part(args, caller).await,
        "get_part_analysis" => get_part_analysis(args, caller).await,
        "quote_part" => quote_part(args, caller).await,
        "start_checkout" => start_checkout(args, caller).await,
        "place_autonomous_order" => place_autonomous_order(args, caller, base_url).await,
        "get_order" => get_order(args, caller, base_url).await,
        "list_orders" => list_orders(args, caller).await,
        "cancel_order" => cancel_order(args, caller, base_url).await,
        "reorder" => reorder(args, caller).await,
        "generate_part" => generate_part(args, caller).await,
        "get_generation" => get_generation(args, caller).await,
        _ => return None,
    };
    Some(outcome)
}

/// The API's answer as a tool outcome.
fn answer(a: Answer) -> Outcome {
    if a.ok() {
        return Ok(a.body);
    }
    let mut body = match a.body {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    body.entry("error")
        .or_insert_with(|| json!("upstream_error"));
    body.entry("message")
        .or_insert_with(|| json!(format!("the API answered {}", a.status)));
    body.entry("next_action")
        .or_insert_with(|| json!("retry_later"));
    body.insert("status".into(), json!(a.status));
    Err(Value::Object(body))
}

/// A tool-level refusal of the arguments, shaped like the API's
/// `invalid_request` so an agent handles both alike.
fn invalid(message: impl Into<String>) -> Value {
    json!({"error": "invalid_request", "message": message.into(), "next_action": "fix_request", "status": 400})
}

fn string<'a>(args: &'a Value, field: &str) -> Result<&'a str, Value> {
    args.get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid(format!("`{field}` is required (a string)")))
}

/// `id` is put into a URL path: only ids of the documented shape pass.
fn id_arg<'a>(args: &'a Value, field: &str, prefix: &str) -> Result<&'a str, Value> {
    let id = string(args, field)?;
    let hex = id.strip_prefix(prefix).unwrap_or_default();
    if hex.len() == 32
        && hex
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        Ok(id)
    } else {
        Err(invalid(format!(
            "`{field}` must look like {prefix}<32 hex digits>"
        )))
    }
}

/// The arguments minus the tool-only ones, as a REST body.
fn pick(args: &Value, fields: &[&str]) -> Value {
    let mut body = Map::new();
    for f in fields {
        if let Some(v) = args.get(*f).filter(|v| !v.is_null()) {
            body.insert((*f).to_owned(), v.clone());
        }
    }
    Value::Object(body)
}

fn default_content_type(filename: &str) -> &'static str {
    let lower = filename.to_ascii_lowercase();
    if lower.ends_with(".obj") {
        "model/obj"
    } else if lower.ends_with(".3mf") {
        "model/3mf"
    } else {
        "model/stl"
    }
}

async fn get_catalog(args: &Value, caller: &Caller) -> Outcome {
    if let Some(extra) = args.as_object().and_then(|m| m.keys().next()) {
        return Err(invalid(format!(
            "get_catalog takes no arguments (got `{extra}`)"
        )));
    }
    answer(rest::call(caller, Method::Get, "/v1/catalog", None, None).await)
}

async fn upload_part(args: &Value, caller: &Caller) -> Outcome {
    if args.get("file_id").is_some() {
        let file_id = id_arg(args, "file_id", "file_")?;
        return confirm(caller, file_id).await;
    }
    let filename = string(args, "filename")?;
    let content_type = args
        .get("content_type")
        .and_then(Value::as_str)
        .unwrap_or_else(|| default_content_type(filename));
    let inline = match args.get("content_base64").and_then(Value::as_str) {
        Some(b64) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|e| invalid(format!("`content_base64` is not base64: {e}")))?;
            if bytes.len() > INLINE_LIMIT_BYTES {
                return Err(invalid(format!(
                    "an inline mesh is at most {INLINE_LIMIT_BYTES} bytes; pass size_bytes for a presigned upload"
                )));
            }
            Some(bytes)
        }
        None => None,
    };
    let size = match (&inline, args.get("size_bytes").and_then(Value::as_u64)) {
        (Some(bytes), _) => bytes.len() as u64,
        (None, Some(size)) => size,
        (None, None) => {
            return Err(invalid(
                "pass content_base64, or size_bytes for a presigned upload",
            ));
        }
    };
    let presign_body =
        json!({"filename": filename, "content_type": content_type, "size_bytes": size});
    let presigned = answer(
        rest::call(
            caller,
            Method::Post,
            "/v1/files/presign",
            Some(&presign_body),
            None,
        )
        .await,
    )?;
    let file_id = presigned["file_id"].as_str().unwrap_or_default().to_owned();
    let Some(bytes) = inline else {
        let mut out = presigned;
        out["next_step"] = json!(format!(
            "PUT the file's bytes to upload_url with exactly required_headers before expires_at, then call upload_part with file_id {file_id} to confirm it"
        ));
        return Ok(out);
    };
    let url = presigned["upload_url"].as_str().unwrap_or_default();
    match rest::put_presigned(url, &presigned["required_headers"], bytes).await {
        Ok(status) if (200..300).contains(&status) => confirm(caller, &file_id).await,
        Ok(status) => Err(
            json!({"error": "upload_refused", "status": status, "file_id": file_id,
            "message": format!("the object store refused the upload with {status}"),
            "next_action": "presign_new_upload"}),
        ),
        Err(e) => Err(
            json!({"error": "upstream_temporarily_unavailable", "status": 503,
            "message": format!("the object store could not be reached: {e}"), "next_action": "retry_later"}),
        ),
    }
}

async fn confirm(caller: &Caller, file_id: &str) -> Outcome {
    let body = json!({"file_id": file_id});
    let file =
        answer(rest::call(caller, Method::Post, "/v1/files/confirm", Some(&body), None).await)?;
    Ok(json!({
        "file_id": file_id,
        "status": file["status"],
        "next_action": file["next_action"],
        "next_step": format!("call get_part_analysis with file_id {file_id} until status is ready, then quote_part"),
    }))
}

async fn get_part_analysis(args: &Value, caller: &Caller) -> Outcome {
    let id = id_arg(args, "file_id", "file_")?;
    let mut file =
        answer(rest::call(caller, Method::Get, &format!("/v1/files/{id}"), None, None).await)?;
    // The signed upload URL is a credential for an upload that is over;
    // it is not part of the analysis.
    if let Some(map) = file.as_object_mut() {
        map.remove("upload_url");
        map.remove("required_headers");
    }
    Ok(file)
}

async fn quote_part(args: &Value, caller: &Caller) -> Outcome {
    id_arg(args, "file_id", "file_")?;
    string(args, "material_id")?;
    let body = pick(
        args,
        &[
            "file_id",
            "material_id",
            "color",
            "quantity",
            "ship_country",
        ],
    );
    answer(rest::call(caller, Method::Post, "/v1/quotes", Some(&body), None).await)
}

fn order_body(args: &Value) -> Result<Value, Value> {
    id_arg(args, "quote_id", "quote_")?;
    Ok(
        json!({"quote_id": args["quote_id"], "shipping_address_json": args.get("shipping_address").cloned().unwrap_or(Value::Null)}),
    )
}

async fn start_checkout(args: &Value, caller: &Caller) -> Outcome {
    let key = string(args, "idempotency_key")?;
    let body = order_body(args)?;
    answer(
        rest::call(
            caller,
            Method::Post,
            "/v1/checkout_sessions",
            Some(&body),
            Some(key),
        )
        .await,
    )
}

/// Adds the order's tracking page (where its timeline and inspection
/// photos are shown) as a link; images are never inlined.
fn with_links(mut order: Value, base_url: &str) -> Value {
    if let Some(public) = order["public_order_id"].as_str() {
        order["tracking_page"] = json!(format!(
            "{}/orders/{public}",
            base_url.trim_end_matches('/')
        ));
    }
    order
}

async fn place_autonomous_order(args: &Value, caller: &Caller, base_url: &str) -> Outcome {
    let key = string(args, "idempotency_key")?;
    let body = order_body(args)?;
    let order = answer(
        rest::call(
            caller,
            Method::Post,
            "/v1/autonomous/orders",
            Some(&body),
            Some(key),
        )
        .await,
    )?;
    Ok(with_links(order, base_url))
}

async fn get_order(args: &Value, caller: &Caller, base_url: &str) -> Outcome {
    let id = id_arg(args, "order_id", "ord_")?;
    let order =
        answer(rest::call(caller, Method::Get, &format!("/v1/orders/{id}"), None, None).await)?;
    Ok(with_links(order, base_url))
}

/// At most 50 orders a page (a tool result is read by a model: kept small).
async fn list_orders(args: &Value, caller: &Caller) -> Outcome {
    let limit = args
        .get("limit")
        .and_then(Value::as_u64)
        .unwrap_or(10)
        .clamp(1, 50);
    let mut query = format!("limit={limit}");
    if args.get("starting_after").is_some() {
        query.push_str(&format!(
            "&starting_after={}",
            id_arg(args, "starting_after", "ord_")?
        ));
    }
    if let Some(status) = args.get("status").and_then(Value::as_str) {
        if !status.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return Err(invalid(
                "`status` is an order status such as paid or shipped",
            ));
        }
        query.push_str(&format!("&status={status}"));
    }
    let page = answer(
        rest::call(
            caller,
            Method::Get,
            &format!("/v1/orders?{query}"),
            None,
            None,
        )
        .await,
    )?;
    let orders = page["data"].as_array().cloned().unwrap_or_default();
    let has_more = page["has_more"].as_bool().unwrap_or(false);
    let next_cursor = if has_more {
        orders.last().map(|o| o["id"].clone())
    } else {
        None
    };
    Ok(
        json!({"orders": orders, "has_more": has_more, "next_cursor": next_cursor.unwrap_or(Value::Null)}),
    )
}

async fn cancel_order(args: &Value, caller: &Caller, base_url: &str) -> Outcome {
    let id = id_arg(args, "order_id", "ord_")?;
    let order = answer(
        rest::call(
            caller,
            Method::Post,
            &format!("/v1/orders/{id}/cancel"),
            None,
            None,
        )
        .await,
    )?;
    Ok(with_links(order, base_url))
}

/// Same part, new quote: the earlier order's file, material and colour
/// (each overridable), priced now.
async fn reorder(args: &Value, caller: &Caller) -> Outcome {
    let id = id_arg(args, "order_id", "ord_")?;
    let order =
        answer(rest::call(caller, Method::Get, &format!("/v1/orders/{id}"), None, None).await)?;
    let mut body = json!({
        "file_id": order["file_id"],
        "material_id": args.get("material_id").unwrap_or(&order["material_id"]),
        "quantity": args.get("quantity").unwrap_or(&order["quantity"]),
    });
    let color = args.get("color").unwrap_or(&order["color"]);
    if !color.is_null() {
        body["color"] = color.clone();
    }
    let country = args
        .get("ship_country")
        .or_else(|| order["shipping_address"].get("country"));
    if let Some(c) = country.filter(|c| !c.is_null()) {
        body["ship_country"] = c.clone();
    }
    let mut quote =
        answer(rest::call(caller, Method::Post, "/v1/quotes", Some(&body), None).await)?;
    quote["reordered_from"] = json!(id);
    Ok(quote)
}

/// Starts a text-to-part generation (`POST /v1/generations`, one credit);
/// `idempotency_key` makes a retry the same generation, charged once.
async fn generate_part(args: &Value, caller: &Caller) -> Outcome {
    string(args, "prompt")?;
    if args.get("conversation_id").is_some() {
        id_arg(args, "conversation_id", "conv_")?;
    }
    if args.get("base_file_id").is_some() {
        id_arg(args, "base_file_id", "file_")?;
    }
    let key = match args.get("idempotency_key") {
        Some(_) => Some(string(args, "idempotency_key")?),
        None => None,
    };
    let body = pick(
        args,
        &["prompt", "conversation_id", "base_file_id", "designer"],
    );
    answer(rest::call(caller, Method::Post, "/v1/generations", Some(&body), key).await)
}

/// A generation's state; once completed, its part program, dimensions,
/// preview link and the ready `file_id` to quote.
async fn get_generation(args: &Value, caller: &Caller) -> Outcome {
    let id = id_arg(args, "generation_id", "gen_")?;
    answer(
        rest::call(
            caller,
            Method::Get,
            &format!("/v1/generations/{id}"),
            None,
            None,
        )
        .await,
    )
}
