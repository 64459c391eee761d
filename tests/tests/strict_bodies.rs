//! One rule for every request body (issue 9 item 8, issue 8 item 2): an
//! unknown field is a 400 naming it and the allowed fields; a field of the
//! wrong type, or `null`, is a 400 naming the field and never falls back to a
//! default; only an absent field takes its documented default. A refused
//! request creates nothing.
//!
//! The allowed fields are read from the served OpenAPI document, so these
//! tests also hold the spec and the code to the same list.

#[path = "upload_common.rs"]
mod common;

use common::*;
use farm_tests::TestApp;
use serde_json::{Value, json};

/// A file id of the right shape that belongs to nobody.
const NO_FILE: &str = "file_00000000000000000000000000000000";

/// The properties the spec declares for an operation's JSON body, in order.
async fn documented_fields(app: &TestApp, path: &str) -> Vec<String> {
    let doc: Value = app.openapi().await;
    let mut schema =
        &doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"];
    if let Some(r) = schema["$ref"].as_str() {
        schema = doc
            .pointer(r.trim_start_matches('#'))
            .expect("$ref resolves");
    }
    assert_eq!(
        schema["additionalProperties"],
        json!(false),
        "{path} declares that unknown fields are refused"
    );
    let mut fields: Vec<String> = schema["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .cloned()
        .collect();
    fields.sort();
    fields
}

/// A key with every scope, `keys:manage` included, from `POST /v1/connect`.
async fn connect_key(app: &TestApp) -> String {
    let r = app
        .post_json(
            "/v1/connect",
            &json!({"email": "owner@example.com", "name": "strict bodies"}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 201);
    let body: Value = r.json().await.expect("json");
    body["api_key"].as_str().expect("api_key").to_owned()
}

/// Asserts a 400 `invalid_request` whose first field is `field`; returns the body.
fn assert_refused(what: &str, (status, body): &(u16, Value), field: &str) {
    assert_eq!(*status, 400, "{what}: {body}");
    assert_eq!(body["error"], "invalid_request", "{what}: {body}");
    assert_eq!(body["fields"][0]["field"], field, "{what}: {body}");
    let reason = body["fields"][0]["reason"].as_str().unwrap_or_default();
    assert!(
        !reason.is_empty() && !reason.contains("i64"),
        "{what}: a reason in JSON's terms: {body}"
    );
}

/// Every JSON endpoint, with a body that is valid apart from the field under test.
fn endpoints(file_id: &str) -> Vec<(&'static str, String, Value)> {
    vec![
        (
            "/v1/connect",
            "/v1/connect".into(),
            json!({"email": "strict@example.com", "name": "strict"}),
        ),
        ("/v1/keys", "/v1/keys".into(), json!({"name": "ci"})),
        (
            "/v1/files/presign",
            "/v1/files/presign".into(),
            json!({"filename": "part.stl", "content_type": "model/stl", "size_bytes": 684}),
        ),
        (
            "/v1/files/confirm",
            "/v1/files/confirm".into(),
            json!({"file_id": file_id}),
        ),
        (
            "/v1/files/{id}/unit",
            format!("/v1/files/{file_id}/unit"),
            json!({"selected_unit": "mm", "confirmed_by": "user"}),
        ),
        (
            "/v1/quotes",
            "/v1/quotes".into(),
            json!({"file_id": file_id, "material_id": "pla"}),
        ),
    ]
}

#[tokio::test]
async fn every_json_endpoint_refuses_an_unknown_field_naming_it_and_the_fields_it_takes() {
    let app = spawn_upload_app().await;
    let key = connect_key(&app).await;
    let file = upload_box(&app, &key, "cube.stl", [10.0; 3]).await;
    let file_id = file["id"].as_str().expect("id").to_owned();
    let before: Vec<i64> = row_counts(&app).await;

    for (spec_path, path, mut body) in endpoints(&file_id) {
        body["qty"] = json!(50);
        let answer = post(&app, &key, &path, &body).await;
        assert_refused(&path, &answer, "qty");
        let mut allowed: Vec<String> = serde_json::from_value(answer.1["allowed_fields"].clone())
            .unwrap_or_else(|_| panic!("{path}: allowed_fields: {}", answer.1));
        allowed.sort();
        assert_eq!(allowed, documented_fields(&app, spec_path).await, "{path}");
        assert!(
            answer.1["message"]
                .as_str()
                .unwrap_or_default()
                .contains("qty"),
            "{path}: {}",
            answer.1
        );
    }
    assert_eq!(row_counts(&app).await, before, "nothing was created");
}

/// Rows a successful request to one of the endpoints would add or change.
async fn row_counts(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "accounts",
        "api_keys",
        "files",
        "quotes",
        "files where selected_unit is not null",
        "background_jobs",
    ] {
        counts.push(app.count_rows(table).await);
    }
    counts
}

#[tokio::test]
async fn the_issues_quote_with_qty_50_is_refused_instead_of_quoting_one_part() {
    let app = spawn_upload_app().await;
    let key = connect_key(&app).await;
    let file = upload_box(&app, &key, "cube.stl", [10.0; 3]).await;
    let body = json!({"file_id": file["id"], "material_id": "pla", "qty": 50});

    let answer = post(&app, &key, "/v1/quotes", &body).await;

    assert_refused("qty", &answer, "qty");
    assert_eq!(app.count_rows("quotes").await, 0);
    // The same request with the documented field name is quoted for 50.
    let quote = quote(&app, &key, &file, "pla", 50).await;
    assert_eq!(quote["quantity"], 50);
}

#[tokio::test]
async fn wrong_types_and_nulls_are_refused_naming_the_field_on_every_endpoint() {
    let app = spawn_upload_app().await;
    let key = connect_key(&app).await;
    let before = row_counts(&app).await;
    let unit = format!("/v1/files/{NO_FILE}/unit");
    let cases: Vec<(&str, Value, &str)> = vec![
        ("/v1/connect", json!({"email": 7, "name": "x"}), "email"),
        (
            "/v1/connect",
            json!({"email": "a@example.com", "name": null}),
            "name",
        ),
        (
            "/v1/connect",
            json!({"email": "a@example.com", "name": "x", "mode": null}),
            "mode",
        ),
        (
            "/v1/connect",
            json!({"email": "a@example.com", "name": "x", "mode": true}),
            "mode",
        ),
        ("/v1/keys", json!({"name": ["ci"]}), "name"),
        ("/v1/keys", json!({"name": "ci", "mode": null}), "mode"),
        (
            "/v1/files/presign",
            json!({"filename": "a.stl", "content_type": "model/stl", "size_bytes": "684"}),
            "size_bytes",
        ),
        (
            "/v1/files/presign",
            json!({"filename": "a.stl", "content_type": "model/stl", "size_bytes": 68.4}),
            "size_bytes",
        ),
        (
            "/v1/files/presign",
            json!({"filename": null, "content_type": "model/stl", "size_bytes": 684}),
            "filename",
        ),
        ("/v1/files/confirm", json!({"file_id": 12}), "file_id"),
        ("/v1/files/confirm", json!({"file_id": null}), "file_id"),
        (
            &unit,
            json!({"selected_unit": 1, "confirmed_by": "user"}),
            "selected_unit",
        ),
        (
            &unit,
            json!({"selected_unit": "mm", "confirmed_by": null}),
            "confirmed_by",
        ),
        (
            "/v1/quotes",
            json!({"file_id": NO_FILE, "material_id": "pla", "quantity": "50"}),
            "quantity",
        ),
        (
            "/v1/quotes",
            json!({"file_id": NO_FILE, "material_id": "pla", "quantity": null}),
            "quantity",
        ),
        (
            "/v1/quotes",
            json!({"file_id": NO_FILE, "material_id": "pla", "color": null}),
            "color",
        ),
        (
            "/v1/quotes",
            json!({"file_id": NO_FILE, "material_id": "pla", "ship_country": 1}),
            "ship_country",
        ),
        (
            "/v1/quotes",
            json!({"file_id": NO_FILE, "material_id": "pla", "requested_execution_mode": null}),
            "requested_execution_mode",
        ),
        (
            "/v1/quotes",
            json!({"file_id": NO_FILE, "material_id": null}),
            "material_id",
        ),
        ("/v1/quotes", json!({"file_id": NO_FILE}), "material_id"),
        ("/v1/quotes", json!(["file", NO_FILE]), "(body)"),
    ];
    for (path, body, field) in cases {
        let answer = post(&app, &key, path, &body).await;
        assert_refused(&format!("{path} {body}"), &answer, field);
    }
    assert_eq!(row_counts(&app).await, before, "nothing was created");
}

#[tokio::test]
async fn malformed_scopes_never_create_a_key_and_only_absent_scopes_take_the_callers() {
    let app = spawn_upload_app().await;
    let key = connect_key(&app).await;
    let keys_before = app.count_rows("api_keys").await;
    for (scopes, field) in [
        (json!("files:read"), "scopes"),
        (json!(7), "scopes"),
        (json!(null), "scopes"),
        (json!({"files:read": true}), "scopes"),
        (json!([]), "scopes"),
        (json!(["files:read", 1]), "scopes[1]"),
        (json!(["files:read", "everything"]), "scopes[1]"),
    ] {
        let answer = post(
            &app,
            &key,
            "/v1/keys",
            &json!({"name": "ci", "scopes": scopes}),
        )
        .await;
        assert_refused(&format!("scopes {scopes}"), &answer, field);
        assert_eq!(
            app.count_rows("api_keys").await,
            keys_before,
            "scopes {scopes} created no key"
        );
    }

    let (status, narrow) = post(
        &app,
        &key,
        "/v1/keys",
        &json!({"name": "reader", "scopes": ["files:read"]}),
    )
    .await;
    assert_eq!(status, 201, "{narrow}");
    assert_eq!(narrow["scopes"], json!(["files:read"]));
    let (status, default) = post(&app, &key, "/v1/keys", &json!({"name": "all"})).await;
    assert_eq!(status, 201, "{default}");
    let every: Vec<&str> = vec![
        "files:read",
        "files:write",
        "quotes:read",
        "quotes:write",
        "orders:read",
        "orders:write",
        "keys:manage",
        "usage:read",
        "webhooks:manage",
        "events:read",
        "generate",
        "export",
    ];
    let mut got: Vec<String> = serde_json::from_value(default["scopes"].clone()).expect("scopes");
    got.sort();
    let mut want: Vec<String> = every.into_iter().map(String::from).collect();
    want.sort();
    assert_eq!(got, want, "absent scopes: the calling key's (all of them)");
    assert_eq!(app.count_rows("api_keys").await, keys_before + 2);
}

fn multipart(options: &str) -> (String, Vec<u8>) {
    let boundary = "strictbodiesboundary0123456789";
    job_multipart(boundary, "cube.stl", &box_stl([10.0; 3], 1), options)
}

#[tokio::test]
async fn jobs_options_follow_the_same_rule_with_paths_under_options() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    for (options, field) in [
        (r#"{"material": "PLA", "qty": 50}"#, "options.qty"),
        (
            r#"{"material": "PLA", "quantity": null}"#,
            "options.quantity",
        ),
        (
            r#"{"material": "PLA", "quantity": "5"}"#,
            "options.quantity",
        ),
        (
            r#"{"material": "PLA", "material_id": "pla"}"#,
            "options.material_id",
        ),
        (r#"["PLA"]"#, "options"),
        (r#"{"material": "PLA""#, "options"),
    ] {
        let answer = send_job(&app, &key, multipart(options)).await;
        assert_refused(options, &answer, field);
    }
    for table in ["files", "quotes", "jobs", "print_tasks"] {
        assert_eq!(
            app.count_rows(table).await,
            0,
            "{table}: nothing was created"
        );
    }
}
