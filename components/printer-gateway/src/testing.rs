//! Helpers for tests of the gateway and the simulated farm against the real
//! services of `scripts/services.sh`: a fresh, migrated database per test and
//! unique printer serials, so tests run in parallel on one broker and server.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

/// The Postgres server tests use: `FARM_PG_URL` without its database name.
pub fn server_url() -> String {
    let url = std::env::var("FARM_PG_URL")
        .unwrap_or_else(|_| "postgres://farm@127.0.0.1:55432/farm".to_owned());
    match url.rsplit_once('/') {
        Some((server, _db)) if server.contains("://") && !server.ends_with('/') => {
            server.to_owned()
        }
        _ => url,
    }
}

/// The broker tests use: `FARM_MQTT_URL`'s host and port.
pub fn broker() -> (String, u16) {
    let url =
        std::env::var("FARM_MQTT_URL").unwrap_or_else(|_| "mqtt://127.0.0.1:11883".to_owned());
    let rest = url.trim_start_matches("mqtt://").trim_end_matches('/');
    match rest.rsplit_once(':') {
        Some((host, port)) => (host.to_owned(), port.parse().unwrap_or(11883)),
        None => (rest.to_owned(), 1883),
    }
}

/// A random lowercase hex tag, unique enough to name per-test things.
pub fn unique_tag() -> String {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    hasher.write_u32(std::process::id());
    format!("{:016x}", hasher.finish())
}

/// A database made for one test; dropped (with its connections) when this
/// value is dropped, also when the test fails part way.
#[derive(Debug)]
pub struct TestDatabase {
    pub url: String,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Synchronous on purpose: Drop cannot await, and psql is at hand
        // wherever the services are. A left-over database harms nothing, so
        // failures are ignored.
        if let Some((_, name)) = self.url.rsplit_once('/') {
            let _ = Command::new("psql")
                .args(["-X", "-q", &format!("{}/postgres", server_url()), "-c"])
                .arg(format!("drop database if exists \"{name}\" with (force)"))
                .output();
        }
    }
}

/// Creates a database with a random name and applies every migration with
/// `scripts/migrate.sh`, as the harness does.
pub fn fresh_database() -> anyhow::Result<TestDatabase> {
    let url = format!("{}/gw_test_{}", server_url(), unique_tag());
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/migrate.sh");
    let output = Command::new("bash")
        .arg(&script)
        .arg(&url)
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !output.status.success() {
        bail!(
            "scripts/migrate.sh {url} failed (are the services up? scripts/services.sh up):\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(TestDatabase { url })
}
