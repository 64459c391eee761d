//! Scope checks on the file, quote and job routes: a key without the route's
//! scope gets 403 `insufficient_scope` naming it (and nothing is created); a
//! key holding only that scope succeeds.

#[path = "upload_common.rs"]
mod common;

use common::*;
use farm_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

/// One route and what it needs.
struct Case {
    method: Method,
    path: String,
    body: Option<Body>,
    scope: &'static str,
    ok: u16,
}

enum Body {
    Json(Value),
    Multipart(String, Vec<u8>),
}

async fn call(app: &TestApp, key: &str, case: &Case) -> (u16, Value) {
    let mut req = app.with_key(key).request(case.method.clone(), &case.path);
    req = match &case.body {
        Some(Body::Json(v)) => req.json(v),
        Some(Body::Multipart(ct, bytes)) => {
            req.header("content-type", ct.as_str()).body(bytes.clone())
        }
        None => req,
    };
    let r = req.send().await.expect("send");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn rows(app: &TestApp) -> Vec<i64> {
    let db = app.db().await;
    let mut out = Vec::new();
    for table in ["files", "quotes", "orders"] {
        out.push(
            db.query_one(&format!("select count(*) from {table}"), &[])
                .await
                .expect("count")
                .get(0),
        );
    }
    out
}

fn job_body(bytes: &[u8]) -> Body {
    let options = r#"{"material":"pla","color":"black","quantity":1}"#;
    let (content_type, body) = job_multipart("scopetestboundary", "cube.stl", bytes, options);
    Body::Multipart(content_type, body)
}

#[tokio::test]
async fn each_route_needs_its_scope_and_that_scope_alone_is_enough() {
    let app = spawn_upload_app().await;
    let (owner, account) = new_account_key(&app, "test", &ALL_SCOPES).await;
    let stl = box_stl([20.0, 20.0, 20.0], 1);
    let file = upload(&app, &owner, "cube.stl", "model/stl", stl.clone()).await;
    let file_id = file["id"]
        .as_str()
        .or(file["file_id"].as_str())
        .expect("file id")
        .to_string();
    let quote_body =
        json!({"file_id": file_id, "material_id": "pla", "color": "black", "quantity": 1});
    let (status, quote) = post(&app, &owner, "/v1/quotes", &quote_body).await;
    assert_eq!(status, 201, "{quote}");
    let quote_id = quote["id"]
        .as_str()
        .or(quote["quote_id"].as_str())
        .expect("quote id")
        .to_string();
    let (status, job) = call(
        &app,
        &owner,
        &Case {
            method: Method::POST,
            path: "/v1/jobs".into(),
            body: Some(job_body(&stl)),
            scope: "orders:write",
            ok: 201,
        },
    )
    .await;
    assert_eq!(status, 201, "{job}");
    let job_id = job["id"]
        .as_str()
        .or(job["job_id"].as_str())
        .expect("job id")
        .to_string();

    let cases = [
        Case {
            method: Method::POST,
            path: "/v1/files/presign".into(),
            body: Some(Body::Json(
                json!({"filename": "a.stl", "content_type": "model/stl", "size_bytes": 684}),
            )),
            scope: "files:write",
            ok: 201,
        },
        Case {
            method: Method::POST,
            path: "/v1/files/confirm".into(),
            body: Some(Body::Json(json!({"file_id": file_id}))),
            scope: "files:write",
            ok: 200,
        },
        Case {
            method: Method::GET,
            path: format!("/v1/files/{file_id}"),
            body: None,
            scope: "files:read",
            ok: 200,
        },
        Case {
            method: Method::POST,
            path: format!("/v1/files/{file_id}/unit"),
            body: Some(Body::Json(
                json!({"selected_unit": "mm", "confirmed_by": "agent"}),
            )),
            scope: "files:write",
            ok: 200,
        },
        Case {
            method: Method::POST,
            path: "/v1/quotes".into(),
            body: Some(Body::Json(quote_body.clone())),
            scope: "quotes:write",
            ok: 201,
        },
        Case {
            method: Method::GET,
            path: format!("/v1/quotes/{quote_id}"),
            body: None,
            scope: "quotes:read",
            ok: 200,
        },
        Case {
            method: Method::POST,
            path: "/v1/jobs".into(),
            body: Some(job_body(&stl)),
            scope: "orders:write",
            ok: 201,
        },
        Case {
            method: Method::GET,
            path: format!("/v1/jobs/{job_id}"),
            body: None,
            scope: "orders:read",
            ok: 200,
        },
    ];

    for case in &cases {
        let route = format!("{} {}", case.method, case.path);
        let others: Vec<&str> = ALL_SCOPES
            .iter()
            .copied()
            .filter(|s| *s != case.scope)
            .collect();
        let without = account_key(&app, &account, "test", &others).await;
        let before = rows(&app).await;
        let (status, body) = call(&app, &without, case).await;
        assert_eq!(status, 403, "{route} without {}: {body}", case.scope);
        assert_eq!(body["error"], "insufficient_scope", "{route}: {body}");
        assert_eq!(body["required_scope"], case.scope, "{route}: {body}");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.contains(case.scope)),
            "{route}: the message names the scope: {body}"
        );
        assert_eq!(
            rows(&app).await,
            before,
            "{route}: a refused request creates nothing"
        );

        let only = account_key(&app, &account, "test", &[case.scope]).await;
        let (status, body) = call(&app, &only, case).await;
        assert_eq!(status, case.ok, "{route} with only {}: {body}", case.scope);
    }
}

#[tokio::test]
async fn a_key_with_no_scopes_is_refused_everywhere_but_still_authenticated() {
    let app = spawn_upload_app().await;
    let (none, _) = new_account_key(&app, "test", &[]).await;
    for (method, path, scope) in [
        (Method::POST, "/v1/files/presign", "files:write"),
        (
            Method::GET,
            "/v1/files/file_0123456789abcdef0123456789abcdef",
            "files:read",
        ),
        (Method::POST, "/v1/quotes", "quotes:write"),
        (
            Method::GET,
            "/v1/quotes/quote_0123456789abcdef0123456789abcdef",
            "quotes:read",
        ),
        (
            Method::GET,
            "/v1/jobs/job_0123456789abcdef0123456789abcdef",
            "orders:read",
        ),
    ] {
        let r = app
            .with_key(&none)
            .request(method.clone(), path)
            .json(&json!({}))
            .send()
            .await
            .expect("send");
        // Scope is checked after the key: the rate-limit headers are there.
        assert!(
            r.headers().contains_key("x-ratelimit-remaining"),
            "{method} {path}"
        );
        let status = r.status().as_u16();
        let body: Value = r.json().await.expect("json");
        assert_eq!(
            (status, body["required_scope"].as_str()),
            (403, Some(scope)),
            "{method} {path}: {body}"
        );
    }
}
