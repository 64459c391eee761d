//! Public documents through the local host: the catalog, the OpenAPI
//! document (checked against spin.toml and against the running app), the
//! agent policy, and the JSON 404/405 shapes.

use farm_tests::{repo_root, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;

#[tokio::test]
async fn the_catalog_lists_the_five_fdm_materials_with_pla_at_two_cents_a_gram_and_a_three_dollar_minimum()
 {
    let app = spawn_app().await;
    let r = app.get("/v1/catalog").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().contains_key("x-request-id"));
    let catalog: Value = r.json().await.expect("json");

    let items = catalog["items"].as_array().expect("items");
    let ids: Vec<&str> = items.iter().filter_map(|i| i["id"].as_str()).collect();
    assert_eq!(ids, ["pla", "petg", "abs", "asa", "tpu"]);
    for item in items {
        assert_eq!(item["process"], "FDM");
        assert!(item["material"].is_string());
        assert!(
            item["density_g_cm3"]
                .as_f64()
                .is_some_and(|d| (0.9..1.5).contains(&d)),
            "{item}"
        );
        assert_eq!(item["currency"], "USD");
        assert_eq!(
            item["price_per_gram"]["amount"],
            item["price_per_gram_cents"]
        );
        assert_eq!(item["minimum_fee_cents"], 300);
        assert_eq!(
            item["minimum_order"],
            json!({"amount": 300, "currency": "USD", "display": "$3.00"})
        );
        assert!(item["colors"].as_array().is_some_and(|c| !c.is_empty()));
        let (lo, hi) = (
            item["lead_time_min_days"].as_u64(),
            item["lead_time_max_days"].as_u64(),
        );
        assert!(lo.is_some() && lo <= hi, "{item}");
    }
    let pla = &items[0];
    assert_eq!(pla["material"], "PLA");
    assert_eq!(
        pla["price_per_gram"],
        json!({"amount": 2, "currency": "USD", "display": "$0.02"})
    );
    assert_eq!(
        catalog["required_user_inputs"],
        json!([
            "material_id",
            "quantity",
            "ship_country",
            "shipping_address_json"
        ])
    );
    assert_eq!(
        catalog["supported_execution_modes"],
        json!(["agent_assisted", "agent_autonomous", "human_manual"])
    );
}

/// Public routes of spin.toml in OpenAPI form (`:id` → `{id}`), without the
/// catch-all and private routes.
fn spin_routes() -> BTreeSet<String> {
    let text = std::fs::read_to_string(repo_root().join("spin.toml")).expect("spin.toml");
    let manifest: toml::Table = toml::from_str(&text).expect("spin.toml parses");
    let routes = manifest["trigger"]["http"]
        .as_array()
        .expect("[[trigger.http]]");
    routes
        .iter()
        .filter_map(|r| r.get("route").and_then(toml::Value::as_str))
        .filter(|r| !r.ends_with("/..."))
        .map(|r| {
            r.split('/')
                .map(|s| {
                    s.strip_prefix(':')
                        .map_or(s.to_string(), |p| format!("{{{p}}}"))
                })
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect()
}

#[tokio::test]
async fn openapi_describes_exactly_the_routes_of_spin_toml() {
    let app = spawn_app().await;
    let doc: Value = app.openapi().await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["components"]["schemas"]["Error"].is_object());
    assert!(
        doc["components"]["securitySchemes"]
            .as_object()
            .is_some_and(|s| !s.is_empty())
    );

    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .cloned()
        .collect();
    let routed = spin_routes();
    assert!(routed.contains("/v1/keys/{id}"));
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty(),
        "routes in spin.toml missing from openapi.json: {undocumented:?}"
    );
    assert!(
        unrouted.is_empty(),
        "paths in openapi.json that spin.toml does not route: {unrouted:?}"
    );
}

#[tokio::test]
async fn every_documented_operation_is_served_and_every_other_method_is_405() {
    let app = spawn_app().await;
    let doc: Value = app.openapi().await;
    let methods = ["get", "post", "put", "delete", "patch"];
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let concrete = path.replace("{id}", "x_00000000000000000000000000000000");
        for method in methods {
            let r = app
                .request(
                    Method::from_bytes(method.to_uppercase().as_bytes()).expect("method"),
                    &concrete,
                )
                .send()
                .await
                .expect("send");
            let status = r.status();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            if item.get(method).is_some() {
                assert_ne!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is documented but refused"
                );
                assert_ne!(
                    body["error"], "not_found",
                    "{method} {path} is documented but not routed"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is undocumented but answered"
                );
                assert_eq!(body["error"], "method_not_allowed");
            }
        }
    }
}

#[tokio::test]
async fn unknown_paths_are_json_404_and_wrong_methods_405() {
    let app = spawn_app().await;
    // `/` is the upload page (components/pages, tests/tests/pages_routes.rs).
    for path in ["/nope", "/v1", "/v1/unknown/thing", "/v2/catalog"] {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        let id = r.headers()["x-request-id"]
            .to_str()
            .expect("ascii")
            .to_string();
        assert_eq!(r.headers()["content-type"], "application/json");
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["error"], "not_found");
        assert_eq!(body["path"], path);
        assert_eq!(body["request_id"], id.as_str());
    }
    let r = app
        .request(Method::DELETE, "/v1/catalog")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "GET");
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"], "method_not_allowed");
    assert_eq!(body["allowed_methods"], json!(["GET"]));
}

#[tokio::test]
async fn the_agent_policy_states_the_seed_rules() {
    let app = spawn_app().await;
    let r = app.get("/v1/agent-policy").await;
    assert_eq!(r.status(), StatusCode::OK);
    let policy: Value = r.json().await.expect("json");
    let rules: Vec<&str> = policy["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r["rule"].as_str())
        .collect();
    // Seed 001's five non-negotiable rules, and issue 10's: autonomous
    // orders only within the caps the person set.
    assert_eq!(rules.len(), 6);
    assert!(rules[0].contains("Never proceed to payment without explicit user approval"));
    assert!(rules[1].contains("only when the person turned autopay on and set the caps"));
    let state: Vec<&str> = policy["persist_state"]
        .as_array()
        .expect("state")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for field in [
        "account_id",
        "api_key_id",
        "file_id",
        "quote_id",
        "order_id",
        "last_known_status",
    ] {
        assert!(state.contains(&field), "{field}");
    }
    let low_confidence = policy["ask_user_when"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["condition"] == "low_confidence"));
    assert_eq!(
        low_confidence.map(|c| c["below"].clone()),
        Some(json!(0.75))
    );
}
