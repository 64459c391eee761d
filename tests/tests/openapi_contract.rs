//! The served OpenAPI document states the answers every operation can give:
//! the common error responses are described once (`components/responses`)
//! and each operation references the ones it can answer, and every request
//! body refuses unknown fields as the code does. schemathesis
//! (`scripts/schemathesis.sh`) then checks the document against the live app;
//! this test keeps a new operation from silently leaving a common answer out.

use farm_tests::spawn_app;
use serde_json::Value;

/// Responses an operation can give because of what it is, by reason.
fn required_responses(op: &Value) -> Vec<(&'static str, &'static str)> {
    let mut codes = vec![("405", "MethodNotAllowed")];
    let authenticated = op["security"]
        .as_array()
        .is_some_and(|s| s.iter().any(|r| r.get("bearerAuth").is_some()));
    if authenticated {
        // Authentication reads the key from Postgres and counts the request.
        codes.extend([
            ("401", "Unauthorized"),
            ("403", "Forbidden"),
            ("429", "TooManyRequests"),
            ("500", "InternalError"),
            ("503", "Unavailable"),
        ]);
    }
    if op.get("requestBody").is_some() {
        codes.extend([
            ("400", "BadRequest"),
            ("413", "PayloadTooLarge"),
            ("415", "UnsupportedMediaType"),
        ]);
    }
    codes
}

#[tokio::test]
async fn every_operation_documents_the_common_errors_it_can_answer_and_refuses_unknown_fields() {
    let app = spawn_app().await;
    let doc: Value = app.openapi().await;
    let common = doc["components"]["responses"]
        .as_object()
        .expect("components/responses");
    for name in [
        "BadRequest",
        "Unauthorized",
        "Forbidden",
        "NotFound",
        "MethodNotAllowed",
        "IdempotencyConflict",
        "PayloadTooLarge",
        "UnsupportedMediaType",
        "TooManyRequests",
        "InternalError",
        "Unavailable",
    ] {
        assert!(common.contains_key(name), "components/responses/{name}");
    }
    let retry = &doc["components"]["responses"]["TooManyRequests"]["headers"];
    for header in [
        "Retry-After",
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
    ] {
        assert!(retry.get(header).is_some(), "429 declares {header}");
    }

    let mut missing = Vec::new();
    let mut lax_bodies = Vec::new();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            operations += 1;
            let responses = &op["responses"];
            for (code, name) in required_responses(op) {
                // A reference to the common response, or an operation-specific
                // one (with its own codes) in the same error shape.
                let declared = &responses[code];
                let schema = &declared["content"]["application/json"]["schema"]["$ref"];
                // `/mcp` answers a malformed message with a JSON-RPC error,
                // as the MCP specification requires, not the REST shape.
                let ok = declared["$ref"] == format!("#/components/responses/{name}")
                    || schema == "#/components/schemas/Error"
                    || (path == "/mcp"
                        && code == "400"
                        && schema == "#/components/schemas/McpErrorResponse");
                if !ok {
                    missing.push(format!("{method} {path} {code}"));
                }
            }
            for (media, content) in op["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flatten()
            {
                let mut schema = &content["schema"];
                if let Some(r) = schema["$ref"].as_str() {
                    schema = doc.pointer(r.trim_start_matches('#')).expect("$ref");
                }
                // The one exception: the payment provider's webhook, whose
                // body is Stripe's event object, signed by Stripe and read
                // as Stripe documents it (it adds fields without notice).
                let foreign = op["operationId"] == "receiveProviderWebhook";
                // A raw binary body (an inspection photo) has no fields.
                let binary = schema["type"] == "string" && schema["format"] == "binary";
                if schema["additionalProperties"] != Value::Bool(false) && !foreign && !binary {
                    lax_bodies.push(format!("{method} {path} {media}"));
                }
            }
        }
    }
    assert!(operations >= 14, "{operations} operations");
    assert!(
        missing.is_empty(),
        "undocumented common answers: {missing:#?}"
    );
    assert!(
        lax_bodies.is_empty(),
        "request bodies without additionalProperties: false: {lax_bodies:#?}"
    );
}

#[tokio::test]
async fn the_quote_request_schema_offers_exactly_the_catalogs_colours_per_material() {
    let app = spawn_app().await;
    let doc: Value = app.openapi().await;
    let catalog: Value = app.get("/v1/catalog").await.json().await.expect("json");
    let schema =
        &doc["paths"]["/v1/quotes"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    let branches = schema["anyOf"].as_array().expect("one branch per material");
    let items = catalog["items"].as_array().expect("items");
    assert_eq!(branches.len(), items.len());
    for item in items {
        let branch = branches
            .iter()
            .find(|b| b["properties"]["material_id"]["const"] == item["id"])
            .unwrap_or_else(|| panic!("no branch for {}", item["id"]));
        assert_eq!(
            branch["properties"]["color"]["enum"], item["colors"],
            "{}",
            item["id"]
        );
    }
    let ids: Vec<&Value> = items.iter().map(|i| &i["id"]).collect();
    let enumerated: Vec<&Value> = schema["properties"]["material_id"]["enum"]
        .as_array()
        .expect("material_id enum")
        .iter()
        .collect();
    assert_eq!(enumerated, ids);
}
