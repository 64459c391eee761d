//! `fermyon:spin/variables@2.0.0`: a component sees only its own
//! `[component.<id>.variables]`, expanded from the app's variables, whose
//! values come from overrides (as `SPIN_VARIABLE_<NAME>`) or defaults.

use farm_tests::{TestApp, probe_app};
use serde_json::Value;

async fn var(app: &TestApp, name: &str) -> (u16, Value) {
    let response = app.get(&format!("/probe/var?name={name}")).await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON from the probe"))
}

#[tokio::test]
async fn a_component_variable_expands_the_app_variables_default() {
    let app = probe_app().spawn().await;

    assert_eq!(var(&app, "greeting").await.1["value"], "hello");
    assert_eq!(var(&app, "motto").await.1["value"], "say hello twice");
    assert_eq!(var(&app, "role").await.1["value"], "public");
}

#[tokio::test]
async fn an_override_replaces_the_default_everywhere_it_is_used() {
    let app = probe_app().variable("greeting", "bonjour").spawn().await;

    assert_eq!(var(&app, "greeting").await.1["value"], "bonjour");
    assert_eq!(var(&app, "motto").await.1["value"], "say bonjour twice");
}

#[tokio::test]
async fn a_required_variable_gets_its_value_from_the_override() {
    let app = probe_app()
        .variable("secret_token", "tok-123")
        .spawn()
        .await;

    assert_eq!(var(&app, "secret_token").await.1["value"], "tok-123");
}

#[tokio::test]
async fn app_variables_the_component_does_not_declare_are_undefined() {
    let app = probe_app().spawn().await;

    // `echo_port` is an app variable, but the probe's component table does
    // not map it, so the component cannot read it.
    let (status, body) = var(&app, "echo_port").await;
    assert_eq!(status, 404);
    assert!(
        body["error"].as_str().unwrap_or("").contains("Undefined"),
        "{body}"
    );
}

#[tokio::test]
async fn an_invalid_variable_name_is_an_invalid_name_error() {
    let app = probe_app().spawn().await;

    let (status, body) = var(&app, "Not-Valid").await;
    assert_eq!(status, 404);
    assert!(
        body["error"].as_str().unwrap_or("").contains("InvalidName"),
        "{body}"
    );
}

#[tokio::test]
async fn a_missing_required_variable_stops_startup_and_names_it() {
    let err = farm_tests::AppBuilder::manifest(farm_tests::probe_manifest())
        .try_spawn()
        .await
        .expect_err("secret_token has no value");

    let message = format!("{err:#}");
    assert!(message.contains("secret_token"), "{message}");
}
