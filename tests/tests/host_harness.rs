//! The harness itself: each app gets its own database with the repository's
//! migrations applied, the database goes away with the app, and `spawn_app`
//! serves the repository's real app.

use farm_tests::{pg_admin_url, probe_app, spawn_app};

#[tokio::test]
async fn each_app_gets_a_fresh_database_with_every_migration_applied_once() {
    let app = probe_app().migrations(true).spawn().await;
    let other = probe_app().migrations(true).spawn().await;

    assert!(app.db_name.starts_with("t_"));
    // Each app sees only its own database: a row written through one is
    // absent from the other (two apps sharing one database would fail this).
    let db = app.db().await;
    db.batch_execute("create table harness_marker (x int); insert into harness_marker values (1)")
        .await
        .expect("write to the first app's database");
    let other_db = other.db().await;
    let current: String = other_db
        .query_one("select current_database()::text", &[])
        .await
        .expect("query")
        .get(0);
    assert_eq!(current, other.db_name);
    let seen: bool = other_db
        .query_one("select to_regclass('harness_marker') is not null", &[])
        .await
        .expect("query")
        .get(0);
    assert!(!seen, "the second app sees the first app's table");
    let applied: Vec<String> = db
        .query(
            "select version from schema_migrations order by version",
            &[],
        )
        .await
        .expect("schema_migrations exists")
        .iter()
        .map(|row| row.get(0))
        .collect();
    let files = std::fs::read_dir(farm_tests::repo_root().join("migrations"))
        .expect("migrations folder")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".sql"))
        .count();
    assert_eq!(
        applied.len(),
        files,
        "every migration applied once: {applied:?}"
    );
}

#[tokio::test]
async fn dropping_the_app_drops_its_database() {
    let app = probe_app().spawn().await;
    let name = app.db_name.clone();
    // Ask the server's maintenance database, which outlives the app's: a
    // connection to the app's own database would die with it and prove nothing.
    let (admin, connection) = tokio_postgres::connect(&pg_admin_url(), tokio_postgres::NoTls)
        .await
        .expect("connect to the maintenance database");
    tokio::spawn(connection);
    let exists = "select count(*) from pg_database where datname = $1";
    let before: i64 = admin
        .query_one(exists, &[&name])
        .await
        .expect("query")
        .get(0);
    assert_eq!(before, 1, "database {name} exists while the app runs");
    drop(app);

    let left: i64 = admin
        .query_one(exists, &[&name])
        .await
        .expect("the maintenance connection survives the drop")
        .get(0);
    assert_eq!(left, 0, "database {name} was not dropped");
}

#[tokio::test]
async fn spawn_app_serves_the_real_app() {
    let app = spawn_app().await;

    // The real app's own routes answer with its own documents (a probe or an
    // empty manifest would 404 here).
    let catalog = app.get("/v1/catalog").await;
    assert_eq!(catalog.status(), 200);
    let catalog: serde_json::Value = catalog.json().await.expect("catalog JSON");
    let materials = catalog["items"].as_array().expect("catalog items");
    assert!(
        materials.iter().any(|m| m["id"] == "pla"),
        "the catalog lists PLA: {catalog}"
    );
    let spec = app.get("/v1/openapi.json").await;
    assert_eq!(spec.status(), 200);
    let spec: serde_json::Value = spec.json().await.expect("OpenAPI JSON");
    assert!(spec["paths"]["/v1/quotes"]["post"].is_object(), "{spec}");
    // An authenticated route reaches its component (401 in the API's shape).
    let keys = app.get("/v1/keys").await;
    assert_eq!(keys.status(), 401);
    let keys: serde_json::Value = keys.json().await.expect("error JSON");
    assert_eq!(keys["error"], "invalid_api_key");

    // Any other path reaches the app's `/...` fallback: the JSON `not_found`
    // with a request id, not the host's bare 404.
    let response = app.get("/definitely/not/a/route").await;
    assert_eq!(response.status(), 404);
    assert!(
        response.headers().contains_key("x-request-id"),
        "{:?}",
        response.headers()
    );
    let body: serde_json::Value = response.json().await.expect("JSON 404");
    assert_eq!(body["error"], "not_found");
}
