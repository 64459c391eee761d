//! scripts/services.sh runs PostgreSQL twice: a throwaway test instance
//! (fsync off, for speed) and the run instance scripts/run.sh serves from,
//! which must survive a crash. This checks the run instance as it runs.

use tokio_postgres::NoTls;

/// `FARM_RUN_PG_URL` (exported by `scripts/services.sh env`), else its default.
fn run_url() -> String {
    std::env::var("FARM_RUN_PG_URL")
        .unwrap_or_else(|_| "postgres://farm@127.0.0.1:55433/farm".to_owned())
}

fn host_port(url: &str) -> String {
    url.split_once('@')
        .map_or(url, |(_, rest)| rest)
        .split(['/', '?'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_run_instance_flushes_every_commit_and_is_not_the_test_instance() {
    let url = run_url();
    let (db, connection) = tokio_postgres::connect(&url, NoTls)
        .await
        .unwrap_or_else(|e| {
            panic!("the run instance {url} is not answering (scripts/services.sh up): {e}")
        });
    tokio::spawn(connection);
    for setting in ["fsync", "synchronous_commit", "full_page_writes"] {
        let value: String = db
            .query_one(&format!("show {setting}"), &[])
            .await
            .expect("show")
            .get(0);
        assert_eq!(value, "on", "{setting} on the run instance {url}");
    }
    assert_ne!(
        host_port(&url),
        host_port(&farm_tests::pg_admin_url()),
        "scripts/run.sh and the tests share one Postgres instance"
    );
}
