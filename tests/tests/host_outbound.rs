//! Outbound HTTP: `allowed_outbound_hosts` (with `{{ variable }}` templates)
//! is enforced, service chaining reaches private components in-process, and
//! work a guest does after sending its response still completes.

use std::time::{Duration, Instant};

use farm_tests::{EchoServer, probe_app};
use serde_json::Value;

#[tokio::test]
async fn a_request_to_an_allowed_host_is_sent() {
    let echo = EchoServer::start().await;
    let app = probe_app()
        .variable("echo_port", echo.port.to_string())
        .spawn()
        .await;

    let url = format!("http://127.0.0.1:{}/hello?x=1", echo.port);
    let response = app.get(&format!("/probe/fetch?url={}", encode(&url))).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["status"], 200);
    assert_eq!(body["body"], "echo GET /hello?x=1");

    let received = echo.received();
    assert_eq!(received.len(), 1);
    assert!(
        received[0]
            .headers
            .iter()
            .any(|(k, v)| k == "x-probe-from" && v == "probe"),
        "{received:?}"
    );
}

#[tokio::test]
async fn a_request_to_a_host_not_in_the_allow_list_is_denied_and_never_sent() {
    let allowed = EchoServer::start().await;
    let other = EchoServer::start().await;
    let app = probe_app()
        .variable("echo_port", allowed.port.to_string())
        .spawn()
        .await;

    let url = format!("http://127.0.0.1:{}/secret", other.port);
    let response = app.get(&format!("/probe/fetch?url={}", encode(&url))).await;
    assert_eq!(response.status(), 502, "the guest saw an error");
    let body: Value = response.json().await.expect("JSON");
    assert!(
        body["debug"]
            .as_str()
            .unwrap_or("")
            .contains("HttpRequestDenied"),
        "{body}"
    );
    assert!(
        other.received().is_empty(),
        "a denied request must not reach the server"
    );

    // Another scheme on the allowed host:port is not allowed either.
    let url = format!("https://127.0.0.1:{}/x", allowed.port);
    assert_eq!(
        app.get(&format!("/probe/fetch?url={}", encode(&url)))
            .await
            .status(),
        502
    );
    assert!(allowed.received().is_empty());
}

#[tokio::test]
async fn service_chaining_reaches_a_private_component_in_process() {
    let app = probe_app().spawn().await;

    let response = app.get("/probe/chain").await;
    assert_eq!(response.status(), 200);
    let described: Value = response.json().await.expect("JSON");
    assert_eq!(described["method"], "POST");
    assert_eq!(described["path"], "/from-probe");
    assert_eq!(described["body"], "chained-body");
    assert_eq!(described["headers"]["x-probe-chain"], "1");
}

#[tokio::test]
async fn work_after_the_response_is_sent_still_completes() {
    let app = probe_app().spawn().await;

    let response = app.post_bytes("/probe/after?key=after-1", "").await;
    assert_eq!(response.status(), 202);

    // The guest chains to the private component and stores the answer only
    // after it has responded; poll for it.
    let deadline = Instant::now() + Duration::from_secs(10);
    let stored = loop {
        let body: Value = app
            .get("/probe/kv/get?key=after-1")
            .await
            .json()
            .await
            .expect("JSON");
        if let Some(value) = body["value"].as_str() {
            break value.to_string();
        }
        assert!(
            Instant::now() < deadline,
            "post-response work never completed; log: {:#?}",
            app.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let described: Value = serde_json::from_str(&stored).expect("the chained response was stored");
    assert_eq!(described["path"], "/after-work");
}

/// Percent-encodes a URL for use as a query parameter value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
