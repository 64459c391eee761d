//! One throwaway Postgres database per test.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};
use tokio_postgres::{Client, NoTls};

/// The server the tests use, as a URL whose database is an existing one
/// (`postgres`); override with `FARM_TEST_PG_URL`.
pub fn admin_url() -> String {
    std::env::var("FARM_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://farm@127.0.0.1:55432/postgres".to_string())
}

/// `admin_url` with another database name.
pub(crate) fn url_for(admin_url: &str, db_name: &str) -> String {
    let (server, query) = match admin_url.split_once('?') {
        Some((s, q)) => (s, Some(q)),
        None => (admin_url, None),
    };
    let base = server.rsplit_once('/').map_or(server, |(b, _)| b);
    match query {
        Some(q) => format!("{base}/{db_name}?{q}"),
        None => format!("{base}/{db_name}"),
    }
}

/// `host:port` of a Postgres URL, as the manifest's `db_host` variable wants.
pub(crate) fn host_port(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = after_scheme
        .split(['/', '?'])
        .next()
        .unwrap_or(after_scheme);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:5432")
    }
}

pub(crate) async fn connect(url: &str) -> anyhow::Result<Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.with_context(|| {
        format!("cannot connect to Postgres at {url}; is it running (scripts/services.sh)?")
    })?;
    tokio::spawn(async move {
        // The connection ends when the client is dropped; an error here only
        // means the server went away, which the test's own queries report.
        let _ = connection.await;
    });
    Ok(client)
}

pub(crate) async fn create(admin_url: &str, db_name: &str) -> anyhow::Result<()> {
    let admin = connect(admin_url).await?;
    admin
        .batch_execute(&format!("create database \"{db_name}\""))
        .await
        .with_context(|| format!("cannot create test database {db_name}"))?;
    Ok(())
}

/// Applies the repository's migrations with the ops script, the same way
/// deployments do.
pub(crate) fn migrate(repo_root: &Path, db_url: &str) -> anyhow::Result<()> {
    let script = repo_root.join("scripts").join("migrate.sh");
    if !script.exists() {
        bail!(
            "{} does not exist; the migration script is needed to prepare test databases",
            script.display()
        );
    }
    let output = Command::new("bash")
        .arg(&script)
        .arg(db_url)
        .current_dir(repo_root)
        .output()
        .with_context(|| format!("cannot run {}", script.display()))?;
    if !output.status.success() {
        bail!(
            "scripts/migrate.sh {db_url} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// Drops a test database, disconnecting whoever still holds it. Runs on its
/// own thread and runtime because it is called from `Drop`, possibly inside
/// a runtime that is shutting down.
pub(crate) fn drop_blocking(admin_url: String, db_name: String) {
    let handle = std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(async move {
            if let Ok(admin) = connect(&admin_url).await {
                let sql = format!("drop database if exists \"{db_name}\" with (force)");
                if let Err(e) = admin.batch_execute(&sql).await {
                    eprintln!("could not drop test database {db_name}: {e}");
                }
            }
        });
    });
    let _ = handle.join();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_for_replaces_only_the_database() {
        assert_eq!(
            url_for("postgres://farm@127.0.0.1:55432/postgres", "t_1"),
            "postgres://farm@127.0.0.1:55432/t_1"
        );
        assert_eq!(
            url_for("postgres://u@h:1/p?sslmode=disable", "t_2"),
            "postgres://u@h:1/t_2?sslmode=disable"
        );
    }

    #[test]
    fn host_port_strips_user_path_and_query() {
        assert_eq!(
            host_port("postgres://farm@127.0.0.1:55432/x?a=b"),
            "127.0.0.1:55432"
        );
        assert_eq!(host_port("postgres://u:p@db/x"), "db:5432");
    }
}
