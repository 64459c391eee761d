//! The test harness shared by every integration test.
//!
//! `spawn_app().await` gives a test its own world: a fresh Postgres database
//! (random name, migrations applied by `scripts/migrate.sh`), the real Wasm
//! components served in-process by the local Spin host on a free port, a
//! random `internal_token`, and a private state folder for the key-value file.
//! Tests talk to it over HTTP like a partner would, and may read the database
//! directly with [`TestApp::db`] to assert what was stored.
//!
//! Services are expected on loopback (`scripts/services.sh`), and the Wasm
//! files must be built beforehand (`scripts/build-wasm.sh`); the harness fails
//! with a message that says which is missing.

mod app;
pub mod clock;
mod database;
pub mod farm_procs;
mod mail;
mod paths;
mod probe;

pub use app::{AppBuilder, Authed, TestApp, spawn_app};
/// The Postgres server the tests use (`FARM_TEST_PG_URL`), with its
/// `postgres` maintenance database.
pub use database::admin_url as pg_admin_url;
pub use farm_procs::{Farm, FarmOptions};
pub use mail::{CaughtMail, mails_to, messages_url, unique_email, wait_for_mails};
pub use paths::{corpus_path, repo_root};
pub use probe::{EchoServer, Received, probe_app, probe_manifest};
