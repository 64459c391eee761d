//! `fermyon:spin/key-value@2.0.0`: the embedded SQLite store by default and a
//! Redis store when the runtime config says so; stores a component does not
//! list are denied.

use farm_tests::{TestApp, probe_app};
use serde_json::{Value, json};

const REDIS_URL: &str = "redis://127.0.0.1:16379";

async fn kv(app: &TestApp, op: &str, query: &str) -> (u16, Value) {
    let response = app.get(&format!("/probe/kv/{op}?{query}")).await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON from the probe"))
}

async fn kv_set(app: &TestApp, key: &str, value: &str) {
    let response = app
        .post_bytes(&format!("/probe/kv/set?key={key}"), value.to_string())
        .await;
    assert_eq!(
        response.status(),
        200,
        "{}",
        response.text().await.unwrap_or_default()
    );
}

/// Runs the whole get/set/delete/exists/get-keys cycle against a store.
async fn exercise_store(app: &TestApp, prefix: &str) {
    let (a, b) = (format!("{prefix}-a"), format!("{prefix}-b"));

    assert_eq!(
        kv(app, "get", &format!("key={a}")).await,
        (200, json!({ "value": null }))
    );
    assert_eq!(
        kv(app, "exists", &format!("key={a}")).await,
        (200, json!({ "exists": false }))
    );

    kv_set(app, &a, "first").await;
    kv_set(app, &a, "second").await;
    kv_set(app, &b, "other").await;
    assert_eq!(
        kv(app, "get", &format!("key={a}")).await,
        (200, json!({ "value": "second" }))
    );
    assert_eq!(
        kv(app, "exists", &format!("key={a}")).await,
        (200, json!({ "exists": true }))
    );

    let (status, keys) = kv(app, "keys", "").await;
    assert_eq!(status, 200);
    let keys: Vec<&str> = keys["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        keys.contains(&a.as_str()) && keys.contains(&b.as_str()),
        "{keys:?}"
    );

    assert_eq!(
        kv(app, "delete", &format!("key={a}")).await,
        (200, json!({ "ok": true }))
    );
    assert_eq!(
        kv(app, "get", &format!("key={a}")).await,
        (200, json!({ "value": null }))
    );
    assert_eq!(
        kv(app, "exists", &format!("key={a}")).await,
        (200, json!({ "exists": false }))
    );
    // Deleting a missing key is not an error in Spin.
    assert_eq!(
        kv(app, "delete", &format!("key={a}")).await,
        (200, json!({ "ok": true }))
    );
    assert_eq!(
        kv(app, "get", &format!("key={b}")).await,
        (200, json!({ "value": "other" }))
    );
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid_like())
}

fn uuid_like() -> String {
    let nanos = std::time::UNIX_EPOCH
        .elapsed()
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{:x}{:x}", nanos, std::process::id())
}

#[tokio::test]
async fn the_default_store_is_an_sqlite_file_in_the_state_dir() {
    let app = probe_app().spawn().await;

    exercise_store(&app, "sqlite").await;

    let file = app.state_dir().join("sqlite_key_value.db");
    assert!(
        file.exists(),
        "Spin keeps the default store in <state dir>/sqlite_key_value.db"
    );
}

#[tokio::test]
async fn values_survive_a_restart_on_the_same_state_dir() {
    let state = tempfile::tempdir().expect("tempdir");
    let first = probe_app().state_dir(state.path()).spawn().await;
    kv_set(&first, "durable", "kept").await;
    drop(first);

    let second = probe_app().state_dir(state.path()).spawn().await;
    assert_eq!(
        kv(&second, "get", "key=durable").await,
        (200, json!({ "value": "kept" }))
    );
}

#[tokio::test]
async fn a_store_the_component_does_not_list_is_access_denied() {
    let app = probe_app().spawn().await;

    let (status, body) = kv(&app, "get", "store=elsewhere&key=x").await;
    assert_eq!(status, 409);
    assert!(
        body["error"]
            .as_str()
            .unwrap_or("")
            .contains("AccessDenied"),
        "{body}"
    );
}

#[tokio::test]
async fn a_redis_store_from_the_runtime_config_serves_the_same_interface() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("runtime-config.toml");
    std::fs::write(
        &config,
        format!("[key_value_store.default]\ntype = \"redis\"\nurl = \"{REDIS_URL}\"\n"),
    )
    .expect("write runtime config");
    let app = probe_app().runtime_config(Some(config)).spawn().await;
    let prefix = unique("redis");

    exercise_store(&app, &prefix).await;

    // The value really is in Redis, under the plain key, as Spin stores it.
    let key = format!("{prefix}-b");
    let client = redis::Client::open(REDIS_URL).expect("redis url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("Redis on 127.0.0.1:16379");
    let stored: Option<Vec<u8>> = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .expect("GET");
    assert_eq!(stored.as_deref(), Some(&b"other"[..]));
    let _: () = redis::cmd("DEL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .expect("DEL");
    assert!(
        !app.state_dir().join("sqlite_key_value.db").exists(),
        "no SQLite file when Redis is configured"
    );
}

#[tokio::test]
async fn an_unknown_key_in_the_runtime_config_is_a_startup_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("runtime-config.toml");
    std::fs::write(
        &config,
        "[key_value_store.default]\ntype = \"spin\"\ncolour = \"blue\"\n",
    )
    .expect("write");

    let err = probe_app()
        .runtime_config(Some(config))
        .try_spawn()
        .await
        .expect_err("must refuse");
    assert!(format!("{err:#}").contains("colour"), "{err:#}");
}
