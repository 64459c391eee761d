//! The pages component over HTTP, without a browser (issue 15): every page
//! sends a strict CSP that allows exactly what the page loads (its import
//! map by the hash computed here from the page's own bytes), every file a
//! page references is served with its type and cache policy, and the farm
//! overview wants the operator token.

#[path = "upload_common.rs"]
mod upload;

use base64::Engine;
use farm_tests::{AppBuilder, TestApp};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The operator token the tests' app is configured with.
const OPERATOR_TOKEN: &str = "op_pages_routes_test";

async fn spawn() -> TestApp {
    let mut builder = AppBuilder::farm().variable("farm_operator_token", OPERATOR_TOKEN);
    for (name, value) in upload::store_variables() {
        builder = builder.variable(name, value);
    }
    builder.spawn().await
}

/// Every `attr="..."` value in `html` (the pages' markup is ours: no
/// single quotes, no unquoted attributes).
fn attrs(html: &str, attr: &str) -> Vec<String> {
    html.split(&format!("{attr}=\""))
        .skip(1)
        .filter_map(|rest| rest.split('"').next().map(str::to_owned))
        .collect()
}

fn between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = html.find(start)? + start.len();
    Some(&html[from..from + html[from..].find(end)?])
}

async fn page(app: &TestApp, path: &str) -> (String, String) {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("a well-formed answer")
            .starts_with("text/html")
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .expect("a well-formed answer")
        .to_owned();
    (csp, r.text().await.expect("a well-formed answer"))
}

#[tokio::test]
async fn pages_allow_exactly_what_they_load() {
    let app = spawn().await;
    let store = upload::store_endpoint();
    for path in ["/", "/farm", "/docs"] {
        let (csp, html) = page(&app, path).await;
        assert!(!csp.contains("unsafe"), "{path}: {csp}");
        assert!(csp.starts_with("default-src 'none';"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        let mut script_src = "script-src 'self'".to_owned();
        if let Some(map) = between(&html, "<script type=\"importmap\">", "</script>") {
            let digest =
                base64::engine::general_purpose::STANDARD.encode(Sha256::digest(map.as_bytes()));
            script_src.push_str(&format!(" 'sha256-{digest}'"));
            // Every target of the import map is served as JavaScript.
            let map: Value = serde_json::from_str(map).expect("the import map is JSON");
            let three = map["imports"]["three"].as_str().expect("three");
            let r = app.get(three).await;
            assert_eq!(r.status(), 200, "{three}");
            assert!(
                r.headers()["content-type"]
                    .to_str()
                    .expect("a well-formed answer")
                    .starts_with("text/javascript")
            );
        }
        assert!(csp.contains(&format!("{script_src};")), "{path}: {csp}");
        if path == "/" {
            assert!(
                csp.contains(&format!("connect-src 'self' {store};")),
                "{csp}"
            );
        }
        if path == "/farm" {
            // The photos of parts awaiting a verdict, by their signed URLs.
            assert!(
                csp.contains(&format!("img-src 'self' data: blob: {store};")),
                "{csp}"
            );
        }
        // Every script and stylesheet it names is ours and served.
        let files: Vec<String> = attrs(&html, "src")
            .into_iter()
            .chain(attrs(&html, "href"))
            .filter(|u| u.starts_with("/assets/"))
            .collect();
        assert!(!files.is_empty(), "{path} loads its scripts");
        for url in files {
            let r = app.get(&url).await;
            assert_eq!(r.status(), 200, "{url}");
            let cache = r.headers()["cache-control"]
                .to_str()
                .expect("a well-formed answer")
                .to_owned();
            if url.starts_with("/assets/vendor/") {
                assert_eq!(cache, "public, max-age=31536000, immutable", "{url}");
            } else {
                assert_eq!(cache, "no-cache", "{url}");
                // Revalidation costs a 304 without the body.
                let etag = r.headers()["etag"]
                    .to_str()
                    .expect("a well-formed answer")
                    .to_owned();
                let again = app
                    .request(reqwest::Method::GET, &url)
                    .header("if-none-match", &etag)
                    .send()
                    .await
                    .expect("a well-formed answer");
                assert_eq!(again.status(), 304, "{url}");
            }
        }
    }
}

#[tokio::test]
async fn vendored_files_carry_their_licences_and_unknown_files_are_404() {
    let app = spawn().await;
    for licence in [
        "/assets/vendor/three-0.187.0/LICENSE",
        "/assets/vendor/swagger-ui-dist-5.35.0/LICENSE",
    ] {
        let r = app.get(licence).await;
        assert_eq!(r.status(), 200, "{licence}");
        assert!(
            r.text()
                .await
                .expect("a well-formed answer")
                .contains("Permission is hereby granted")
                || licence.contains("swagger")
        );
    }
    let r = app.get("/assets/app/../../../spin.toml").await;
    assert_eq!(r.status(), 404);
    let r = app.get("/assets/vendor/three-0.187.0/package.json").await;
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.expect("a well-formed answer");
    assert_eq!(body["error"], "not_found", "{body}");
}

#[tokio::test]
async fn the_farm_overview_wants_the_operator_token() {
    let app = spawn().await;
    let r = app.get("/internal/farm/overview").await;
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.expect("a well-formed answer");
    assert_eq!(body["error"], "invalid_operator_token");
    // The internal token is not the operator's.
    let r = app
        .request(reqwest::Method::GET, "/internal/farm/overview")
        .bearer_auth(&app.internal_token)
        .send()
        .await
        .expect("a well-formed answer");
    assert_eq!(r.status(), 401);
    let r = app
        .request(reqwest::Method::GET, "/internal/farm/overview")
        .bearer_auth(OPERATOR_TOKEN)
        .send()
        .await
        .expect("a well-formed answer");
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("a well-formed answer");
    assert_eq!(body["object"], "farm_overview");
    assert_eq!(body["sites"], serde_json::json!([]));
    assert_eq!(body["utilisation"]["window_seconds"], 86400);
}
