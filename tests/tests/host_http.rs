//! The HTTP trigger: Spin's route syntax, the `spin-*` request headers, a
//! fresh instance per request, and 404/500 when no route matches or a guest
//! traps. Runs the probe component (tests/fixtures/probe.spin.toml).

use farm_tests::probe_app;
use serde_json::Value;

async fn json(response: reqwest::Response) -> Value {
    let status = response.status();
    let text = response.text().await.expect("response body");
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("status {status}, body is not JSON ({e}): {text}"))
}

fn header<'a>(described: &'a Value, name: &str) -> &'a str {
    described["headers"][name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} header in {described}"))
}

#[tokio::test]
async fn an_exact_route_gets_spins_request_headers() {
    let app = probe_app().spawn().await;

    let response = app.get("/exact?x=1").await;
    assert_eq!(response.status(), 200);
    let described = json(response).await;

    assert_eq!(described["method"], "GET");
    assert_eq!(
        header(&described, "spin-full-url"),
        format!("{}/exact?x=1", app.base_url)
    );
    assert_eq!(header(&described, "spin-path-info"), "");
    assert_eq!(header(&described, "spin-matched-route"), "/exact");
    assert_eq!(header(&described, "spin-raw-component-route"), "/exact");
    assert_eq!(header(&described, "spin-component-route"), "/exact");
    assert_eq!(header(&described, "spin-base-path"), "/");
    assert!(
        header(&described, "spin-client-addr").starts_with("127.0.0.1:"),
        "{described}"
    );
}

#[tokio::test]
async fn a_wildcard_route_passes_the_rest_of_the_path_as_path_info() {
    let app = probe_app().spawn().await;

    let described = json(app.get("/probe/headers").await).await;
    assert_eq!(header(&described, "spin-path-info"), "/headers");
    assert_eq!(header(&described, "spin-matched-route"), "/probe/...");
    assert_eq!(header(&described, "spin-raw-component-route"), "/probe/...");
    assert_eq!(header(&described, "spin-component-route"), "/probe");
}

#[tokio::test]
async fn parameter_segments_are_matched_and_passed_as_path_match_headers() {
    let app = probe_app().spawn().await;

    let described = json(app.get("/items/42/parts/bolt").await).await;
    assert_eq!(
        header(&described, "spin-matched-route"),
        "/items/:id/parts/:part"
    );
    assert_eq!(header(&described, "spin-path-match-id"), "42");
    assert_eq!(header(&described, "spin-path-match-part"), "bolt");

    let described = json(app.get("/items/7").await).await;
    assert_eq!(header(&described, "spin-matched-route"), "/items/:id");
    assert_eq!(header(&described, "spin-path-match-id"), "7");
}

#[tokio::test]
async fn a_path_no_route_matches_is_404_and_private_components_have_no_route() {
    let app = probe_app().spawn().await;

    assert_eq!(app.get("/nowhere").await.status(), 404);
    assert_eq!(app.get("/exact/more").await.status(), 404);
    assert_eq!(app.get("/items/1/2").await.status(), 404);
    assert_eq!(app.get("/probe-private").await.status(), 404);
}

#[tokio::test]
async fn the_request_method_and_body_reach_the_guest() {
    let app = probe_app().spawn().await;

    let response = app
        .request(reqwest::Method::PUT, "/exact")
        .body("payload-123")
        .send()
        .await
        .expect("send");
    let described = json(response).await;
    assert_eq!(described["method"], "PUT");
    assert_eq!(described["body"], "payload-123");
}

#[tokio::test]
async fn a_guest_trap_is_a_500_and_the_next_request_gets_a_fresh_instance() {
    let app = probe_app().spawn().await;

    assert_eq!(app.get("/probe/trap").await.status(), 500);
    let after = app.get("/exact").await;
    assert_eq!(after.status(), 200, "a trap must not poison later requests");
}

#[tokio::test]
async fn guest_output_is_logged_with_the_component_name_and_requests_are_logged() {
    let app = probe_app().spawn().await;
    let marker = uuid_marker();

    let response = app.get(&format!("/probe/log?text={marker}")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-request-id"], "req_probe");

    // Guest output may be flushed just after the response: give it a moment.
    let mut logs = Vec::new();
    for _ in 0..50 {
        logs = app.logs();
        if logs
            .iter()
            .any(|l| l.contains(&format!("stderr: {marker}")))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        logs.iter()
            .any(|l| l == &format!("[probe] stdout: {marker}")),
        "{logs:#?}"
    );
    assert!(
        logs.iter()
            .any(|l| l == &format!("[probe] stderr: {marker}")),
        "{logs:#?}"
    );
    assert!(
        logs.iter()
            .any(|l| l.contains("/probe/log") && l.contains("req_probe")),
        "an access line with the request id: {logs:#?}"
    );
}

fn uuid_marker() -> String {
    format!(
        "m{}",
        std::process::id()
            ^ (std::time::UNIX_EPOCH
                .elapsed()
                .map(|d| d.subsec_nanos())
                .unwrap_or(0))
    )
}
