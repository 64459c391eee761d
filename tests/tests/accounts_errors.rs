//! Server-side failures: a generic 5xx body with the request id, the cause
//! only in the log.

use farm_tests::AppBuilder;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn an_unreachable_database_is_a_generic_503_with_the_cause_only_in_the_log() {
    let app = AppBuilder::farm()
        .variable(
            "db_url",
            "postgres://farm@127.0.0.1:55432/no_such_database_for_this_test",
        )
        .spawn()
        .await;

    let r = app
        .request(Method::POST, "/v1/connect")
        .header("x-request-id", "trace-5xx-1")
        .json(&json!({"email": "down@example.com", "name": "x"}))
        .send()
        .await
        .expect("send");

    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().contains_key("retry-after"));
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"], "upstream_temporarily_unavailable");
    assert_eq!(body["request_id"], "trace-5xx-1");
    let text = body.to_string();
    assert!(
        !text.contains("no_such_database") && !text.contains("postgres"),
        "{text}"
    );
    let logs = app.logs();
    assert!(
        logs.iter().any(|l| l.contains("request_id=trace-5xx-1")
            && l.contains("cause=")
            && l.contains("ConnectionFailed")),
        "the cause is logged with the request id: {logs:#?}"
    );
}
