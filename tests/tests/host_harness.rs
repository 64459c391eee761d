//! The harness itself: each app gets its own database with the repository's
//! migrations applied, the database goes away with the app, and `spawn_app`
//! serves the repository's real app.

use farm_tests::{probe_app, spawn_app};

#[tokio::test]
async fn each_app_gets_a_fresh_database_with_every_migration_applied_once() {
    let app = probe_app().migrations(true).spawn().await;
    let other = probe_app().migrations(true).spawn().await;

    assert_ne!(app.db_name, other.db_name);
    assert!(app.db_name.starts_with("t_"));
    let db = app.db().await;
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
    let admin = app.db().await;
    drop(app);

    let left: i64 = admin
        .query_one(
            "select count(*) from pg_database where datname = $1",
            &[&name],
        )
        .await
        .map(|row| row.get(0))
        .unwrap_or(0);
    assert_eq!(left, 0, "database {name} was not dropped");
}

#[tokio::test]
async fn spawn_app_serves_the_real_app() {
    let app = spawn_app().await;

    // Any path reaches some component (the manifest has a `/...` fallback),
    // and every response carries a request id.
    let response = app.get("/definitely/not/a/route").await;
    assert_eq!(response.status(), 404);
    assert!(
        response.headers().contains_key("x-request-id"),
        "{:?}",
        response.headers()
    );
}
