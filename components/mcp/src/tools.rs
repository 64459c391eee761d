//! The tool definitions `tools/list` returns, in a fixed order (the
//! 2026-07-28 changelog: servers SHOULD list tools deterministically).
//! Tools are job-shaped (price a part, order it, follow it), not one per
//! endpoint. Names are `[a-z_]`, at most 64 characters.
//!
//! Annotations are set on every tool, deliberately:
//! - `readOnlyHint`: only the `get_*`/`list_*` tools change nothing.
//!   `generate_part` spends a credit and creates a file: not read-only,
//!   idempotent only through its `idempotency_key`, closed-world (the
//!   designer and kernel run inside the farm; an LLM designer, when
//!   configured, is the operator's, not the caller's world).
//! - `destructiveHint`: only `cancel_order` undoes something (an order).
//! - `idempotentHint`: reads; `cancel_order` (a second cancel changes
//!   nothing more); `start_checkout` and `place_autonomous_order` (their
//!   `idempotency_key` makes a repeat return the same order). Uploads and
//!   quotes create a new record each call.
//! - `openWorldHint`: true where a call reaches beyond this API's records
//!   into the world: a person approving a payment (`start_checkout`), a
//!   charge and a physical print (`place_autonomous_order`, `reorder` does
//!   not: it only quotes). Everything else stays inside the farm's records.

use std::sync::Arc;

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::{Value, json};

/// One tool: its definition and whether it needs the orders API.
struct Def {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    input: Value,
    output: Value,
    /// (readOnly, destructive, idempotent, openWorld)
    hints: (bool, bool, bool, bool),
}

fn object(v: Value) -> Arc<JsonObject> {
    Arc::new(v.as_object().cloned().unwrap_or_default())
}

/// An output schema: an object with these documented properties; the API
/// may add fields (they are passed through), so others are allowed.
fn out(properties: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": properties, "required": required})
}

const FILE_ID: &str = "^file_[0-9a-f]{32}$";
const QUOTE_ID: &str = "^quote_[0-9a-f]{32}$";
const ORDER_ID: &str = "^ord_[0-9a-f]{32}$";
const GENERATION_ID: &str = "^gen_[0-9a-f]{32}$";
const CONVERSATION_ID: &str = "^conv_[0-9a-f]{32}$";

fn generation_out() -> Value {
    out(
        json!({
            "id": {"type": "string"}, "status": {"type": "string", "enum": ["processing", "completed", "failed"]},
            "stage": {"type": ["string", "null"]}, "conversation_id": {"type": ["string", "null"]},
            "version": {"type": "integer"}, "credits_remaining": {"type": "integer"},
            "result": {"type": "object", "description": "Once completed: summary, assumptions, dimensions_mm, part_spec, preview_url (GLB), file_id."},
            "error": {"type": "object", "description": "Once failed: code, message, parameter."}
        }),
        &["id", "status"],
    )
}

fn shipping_address() -> Value {
    json!({
        "type": "object",
        "description": "Where the part ships. line1, city and country (ISO 3166-1 alpha-2) are required.",
        "required": ["line1", "city", "country"],
        "additionalProperties": false,
        "properties": {
            "line1": {"type": "string", "maxLength": 200},
            "line2": {"type": "string", "maxLength": 200},
            "city": {"type": "string", "maxLength": 200},
            "state": {"type": "string", "maxLength": 200},
            "postal_code": {"type": "string", "maxLength": 200},
            "country": {"type": "string", "pattern": "^[A-Za-z]{2}$"}
        }
    })
}

fn quote_input() -> Value {
    json!({
        "file_id": {"type": "string", "pattern": FILE_ID, "description": "A file whose analysis is ready."},
        "material_id": {"type": "string", "description": "A material id from get_catalog, e.g. pla."},
        "color": {"type": "string", "description": "A colour the material offers (get_catalog)."},
        "quantity": {"type": "integer", "minimum": 1, "description": "Copies; default 1."},
        "ship_country": {"type": "string", "pattern": "^[A-Za-z]{2}$", "description": "ISO 3166-1 alpha-2; default US."}
    })
}

fn order_out() -> Value {
    out(
        json!({
            "id": {"type": "string"}, "status": {"type": "string"},
            "public_order_id": {"type": "string"}, "total": {"type": "object"},
            "tracking_url": {"type": ["string", "null"]}, "next_action": {"type": "string"}
        }),
        &["id", "status"],
    )
}

fn defs() -> Vec<Def> {
    vec![
        Def {
            name: "get_catalog",
            title: "Materials, colours and prices",
            description: "The materials the farm prints, their colours, price per gram and limits, and the inputs a quote needs. Call first to pick material_id and color.",
            input: json!({"type": "object", "properties": {}, "additionalProperties": false}),
            output: out(
                json!({"currency": {"type": "string"}, "items": {"type": "array"}}),
                &["items"],
            ),
            hints: (true, false, true, false),
        },
        Def {
            name: "upload_part",
            title: "Upload a 3D model",
            description: "Starts an upload of an STL, OBJ or 3MF mesh. Either pass content_base64 (a small mesh, at most 4 MiB decoded): the server stores it and starts the analysis; or pass size_bytes: you get a presigned upload_url to PUT the file to with exactly required_headers, then call upload_part again with file_id to confirm it. Then poll get_part_analysis.",
            input: json!({
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "filename": {"type": "string", "maxLength": 255, "description": "Ends in .stl, .obj or .3mf."},
                    "content_type": {"type": "string", "description": "Default: model/stl, model/obj or model/3mf from the extension."},
                    "size_bytes": {"type": "integer", "minimum": 1, "description": "For a presigned upload: the file's exact size."},
                    "content_base64": {"type": "string", "description": "The whole file, base64; at most 4 MiB decoded."},
                    "file_id": {"type": "string", "pattern": FILE_ID, "description": "Confirm a file you PUT to its upload_url."}
                }
            }),
            output: out(
                json!({
                    "file_id": {"type": "string"}, "status": {"type": "string"},
                    "upload_url": {"type": "string"}, "upload_method": {"type": "string"},
                    "required_headers": {"type": "object"}, "expires_at": {"type": "string"},
                    "next_action": {"type": "string"}, "next_step": {"type": "string"}
                }),
                &["file_id", "status", "next_step"],
            ),
            hints: (false, false, false, false),
        },
        Def {
            name: "get_part_analysis",
            title: "A part's analysis",
            description: "The uploaded file's state and, once ready, its analysis: dimensions (mm), volume, printability findings, unit. Poll while status is processing.",
            input: json!({"type": "object", "required": ["file_id"], "additionalProperties": false,
                "properties": {"file_id": {"type": "string", "pattern": FILE_ID}}}),
            output: out(
                json!({"id": {"type": "string"}, "status": {"type": "string"}, "metrics_json": {},
                    "printability": {}, "next_action": {"type": "string"}}),
                &["id", "status"],
            ),
            hints: (true, false, true, false),
        },
        Def {
            name: "quote_part",
            title: "Instant price",
            description: "Prices a ready part: total with its breakdown, price range, lead time, estimated ship date, risk flags and the next action. Quotes expire (expires_at).",
            input: json!({"type": "object", "required": ["file_id", "material_id"], "additionalProperties": false,
                "properties": quote_input()}),
            output: out(
                json!({"quote_id": {"type": "string"}, "total": {"type": "object"}, "breakdown": {"type": "object"},
                    "lead_time_days": {}, "risk_flags": {"type": "array"}, "expires_at": {"type": "string"},
                    "next_action": {"type": "string"}}),
                &["quote_id", "total"],
            ),
            hints: (false, false, false, false),
        },
        Def {
            name: "start_checkout",
            title: "Order with a person's approval",
            description: "Creates an order for a quote that a person approves and pays: returns the approval_url to give them. idempotency_key makes a retry return the same order. Follow it with get_order.",
            input: json!({"type": "object", "required": ["quote_id", "shipping_address", "idempotency_key"], "additionalProperties": false,
                "properties": {"quote_id": {"type": "string", "pattern": QUOTE_ID}, "shipping_address": shipping_address(),
                    "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}}}),
            output: out(
                json!({"id": {"type": "string"}, "order_id": {"type": "string"},
                    "approval_url": {"type": "string"}, "status": {"type": "string"},
                    "tracking_url": {"type": "string"}, "next_action": {"type": "string"}}),
                &["id", "order_id", "approval_url"],
            ),
            hints: (false, false, true, true),
        },
        Def {
            name: "place_autonomous_order",
            title: "Order and pay without a person",
            description: "Orders a quote and charges the account's saved payment method within its autopay limits. idempotency_key makes a retry return the same order, never a second charge.",
            input: json!({"type": "object", "required": ["quote_id", "shipping_address", "idempotency_key"], "additionalProperties": false,
                "properties": {"quote_id": {"type": "string", "pattern": QUOTE_ID}, "shipping_address": shipping_address(),
                    "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}}}),
            output: order_out(),
            hints: (false, false, true, true),
        },
        Def {
            name: "get_order",
            title: "An order's status",
            description: "An order: status, timeline, tracking, and links to its inspection photos (never the images themselves).",
            input: json!({"type": "object", "required": ["order_id"], "additionalProperties": false,
                "properties": {"order_id": {"type": "string", "pattern": ORDER_ID}}}),
            output: order_out(),
            hints: (true, false, true, false),
        },
        Def {
            name: "list_orders",
            title: "Your orders",
            description: "The account's orders, newest first, a page at a time: pass next_cursor back as starting_after.",
            input: json!({"type": "object", "additionalProperties": false, "properties": {
                "limit": {"type": "integer", "minimum": 1, "maximum": 50, "description": "Default 10."},
                "starting_after": {"type": "string", "pattern": ORDER_ID},
                "status": {"type": "string"}}}),
            output: out(
                json!({"orders": {"type": "array", "items": {"type": "object"}}, "has_more": {"type": "boolean"},
                    "next_cursor": {"type": ["string", "null"]}}),
                &["orders", "has_more"],
            ),
            hints: (true, false, true, false),
        },
        Def {
            name: "cancel_order",
            title: "Cancel an order",
            description: "Cancels an order that has not started printing; a paid order is refunded.",
            input: json!({"type": "object", "required": ["order_id"], "additionalProperties": false,
                "properties": {"order_id": {"type": "string", "pattern": ORDER_ID}}}),
            output: order_out(),
            hints: (false, true, true, false),
        },
        Def {
            name: "reorder",
            title: "Price the same part again",
            description: "A new quote for an earlier order's part (same file, material and colour unless changed). Order it with start_checkout or place_autonomous_order.",
            input: json!({"type": "object", "required": ["order_id"], "additionalProperties": false,
                "properties": {"order_id": {"type": "string", "pattern": ORDER_ID},
                    "quantity": {"type": "integer", "minimum": 1}, "material_id": {"type": "string"},
                    "color": {"type": "string"}, "ship_country": {"type": "string", "pattern": "^[A-Za-z]{2}$"}}}),
            output: out(
                json!({"quote_id": {"type": "string"}, "total": {"type": "object"}, "reordered_from": {"type": "string"},
                    "next_action": {"type": "string"}}),
                &["quote_id", "total", "reordered_from"],
            ),
            hints: (false, false, false, false),
        },
        Def {
            name: "generate_part",
            title: "Design a part from a description",
            description: "Turns an English description (\"a 50 x 30 x 10 mm bracket with two M3 clearance holes 40 mm apart\") into a validated, print-ready part, in the background: returns a generation id with status processing; poll get_generation until completed, then quote its result.file_id with quote_part. Costs one generation credit (refunded if it fails); a description the designer cannot map is refused (unsupported_prompt) and not charged. Pass conversation_id to change an earlier part (\"make it 5 mm thicker\"), or base_file_id to start from an earlier generated file. idempotency_key makes a retry the same generation, charged once.",
            input: json!({"type": "object", "required": ["prompt"], "additionalProperties": false,
            "properties": {
                "prompt": {"type": "string", "minLength": 1, "maxLength": 2000, "description": "The part, in English, with dimensions."},
                "conversation_id": {"type": "string", "pattern": CONVERSATION_ID, "description": "A conversation whose latest part this prompt changes."},
                "base_file_id": {"type": "string", "pattern": FILE_ID, "description": "A ready file made by an earlier generation: this prompt changes that part."},
                "designer": {"type": "string", "enum": ["offline", "llm"], "description": "Default offline (deterministic); llm only where the operator configured one."},
                "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}
            }}),
            output: generation_out(),
            hints: (false, false, false, false),
        },
        Def {
            name: "get_generation",
            title: "A generation's progress and part",
            description: "A generation: processing (with its stage), completed (summary, assumptions, dimensions in mm, the part program, a GLB preview link and the ready file_id to quote) or failed (code, message, the parameter at fault). Poll while processing.",
            input: json!({"type": "object", "required": ["generation_id"], "additionalProperties": false,
                "properties": {"generation_id": {"type": "string", "pattern": GENERATION_ID}}}),
            output: generation_out(),
            hints: (true, false, true, false),
        },
    ]
}

/// Every tool, in the order `tools/list` returns them.
pub fn all() -> Vec<Tool> {
    defs()
        .into_iter()
        .map(|d| {
            let (ro, destructive, idempotent, open) = d.hints;
            Tool::new(d.name, d.description, object(d.input))
                .with_title(d.title)
                .with_raw_output_schema(object(d.output))
                .with_annotations(
                    ToolAnnotations::with_title(d.title)
                        .read_only(ro)
                        .destructive(destructive)
                        .idempotent(idempotent)
                        .open_world(open),
                )
        })
        .collect()
}
