//! `TestApp`: one running copy of an app for one test, and the builder that
//! makes it.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use anyhow::Context;
use reqwest::{Method, RequestBuilder, Response};
use serde::Serialize;
use spin_local::{Options, RunningApp};
use tempfile::TempDir;
use tokio_postgres::types::{FromSql, ToSql};

use crate::database;
use crate::paths::{repo_root, require_wasm_files};

/// Starts the Farm API (the repository's `spin.toml`) for one test: a fresh
/// migrated database, its own port and state folder.
pub async fn spawn_app() -> TestApp {
    AppBuilder::farm().spawn().await
}

/// How to start a [`TestApp`]. [`AppBuilder::farm`] is the real app;
/// [`AppBuilder::manifest`] serves another manifest (the host tests' probe).
#[derive(Debug, Clone)]
pub struct AppBuilder {
    manifest: PathBuf,
    runtime_config: Option<PathBuf>,
    variables: HashMap<String, String>,
    migrate: bool,
    state_dir: Option<PathBuf>,
    pg_max_connections: Option<usize>,
    names: spin_local::NameTable,
}

impl AppBuilder {
    /// The repository's app, with its runtime config and migrations.
    pub fn farm() -> Self {
        let root = repo_root();
        Self {
            manifest: root.join("spin.toml"),
            runtime_config: Some(root.join("runtime-config.toml")),
            variables: HashMap::new(),
            migrate: true,
            state_dir: None,
            pg_max_connections: None,
            names: Default::default(),
        }
    }

    /// Any manifest; no runtime config and no migrations unless asked for.
    pub fn manifest(path: impl Into<PathBuf>) -> Self {
        Self {
            manifest: path.into(),
            runtime_config: None,
            variables: HashMap::new(),
            migrate: false,
            state_dir: None,
            pg_max_connections: None,
            names: Default::default(),
        }
    }

    pub fn runtime_config(mut self, path: Option<PathBuf>) -> Self {
        self.runtime_config = path;
        self
    }

    /// Gives an application variable a value (as `SPIN_VARIABLE_<NAME>` would).
    pub fn variable(mut self, name: &str, value: impl Into<String>) -> Self {
        self.variables.insert(name.to_string(), value.into());
        self
    }

    /// Serve with this state folder (key-value file) instead of a fresh
    /// temporary one, e.g. to restart an app on the same state.
    pub fn state_dir(mut self, dir: &Path) -> Self {
        self.state_dir = Some(dir.to_path_buf());
        self
    }

    /// Bounds the host's Postgres connections to this test's database
    /// (default [`spin_local::DEFAULT_PG_MAX_CONNECTIONS`]).
    /// Names the host resolves to addresses the test chooses (and may change
    /// while the app runs), before the system resolver.
    pub fn names(mut self, names: spin_local::NameTable) -> Self {
        self.names = names;
        self
    }

    pub fn pg_max_connections(mut self, max: usize) -> Self {
        self.pg_max_connections = Some(max);
        self
    }

    pub fn migrations(mut self, apply: bool) -> Self {
        self.migrate = apply;
        self
    }

    /// Starts the app, panicking with the reason if it cannot.
    pub async fn spawn(self) -> TestApp {
        match self.try_spawn().await {
            Ok(app) => app,
            Err(e) => panic!("cannot start the test app: {e:#}"),
        }
    }

    /// Starts the app; a test of startup failures inspects the error.
    pub async fn try_spawn(self) -> anyhow::Result<TestApp> {
        require_wasm_files(&self.manifest);
        let admin_url = database::admin_url();
        let db_name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let db_url = database::url_for(&admin_url, &db_name);
        database::create(&admin_url, &db_name).await?;
        // From here on the guard drops the database if startup fails.
        let guard = DbGuard {
            admin_url: admin_url.clone(),
            db_name: db_name.clone(),
            armed: true,
        };
        if self.migrate {
            let (root, url) = (repo_root(), db_url.clone());
            tokio::task::spawn_blocking(move || database::migrate(&root, &url)).await??;
        }

        let internal_token = format!("itok_{}", uuid::Uuid::new_v4().simple());
        let state_dir = match self.state_dir {
            Some(dir) => StateDir::Given(dir),
            None => StateDir::Temp(
                tempfile::Builder::new()
                    .prefix("farm-test-state")
                    .tempdir()?,
            ),
        };
        // Bound once here and handed to the host: a port only reserved and
        // released could be taken by another process before the host binds it.
        let listener = TcpListener::bind("127.0.0.1:0").context("cannot bind a loopback port")?;
        let listen = listener.local_addr()?;
        let base_url = format!("http://{listen}");
        let declared = declared_variables(&self.manifest)?;
        let mut variables = HashMap::new();
        for (name, value) in [
            ("db_url", db_url.clone()),
            ("db_host", database::host_port(&db_url)),
            ("internal_token", internal_token.clone()),
            ("public_base_url", base_url.clone()),
            // Test receivers listen on loopback (a test refusing private
            // targets sets it back to "false").
            ("webhook_allow_private_targets", "true".to_owned()),
        ] {
            if declared.iter().any(|d| d == name) {
                variables.insert(name.to_string(), value);
            }
        }
        // Mail goes to the loopback catcher scripts/services.sh runs, and
        // payments to its Stripe stand-in (when the ports are not the defaults).
        for (name, env) in [
            ("smtp_host", "FARM_SMTP_HOST"),
            ("smtp_port", "FARM_SMTP_PORT"),
            ("stripe_api_base", "FARM_STRIPE_API_BASE"),
            ("stripe_webhook_secrets", "FARM_STRIPE_WEBHOOK_SECRET"),
        ] {
            if let Ok(value) = std::env::var(env)
                && declared.iter().any(|d| d == name)
            {
                variables.insert(name.to_string(), value);
            }
        }
        variables.extend(self.variables);

        let options = Options {
            manifest_path: self.manifest.clone(),
            runtime_config_path: self.runtime_config.clone(),
            listen,
            variables,
            state_dir: state_dir.path().to_path_buf(),
            cache_dir: Some(repo_root().join("target").join("spin-local-cache")),
            echo_logs: std::env::var_os("FARM_TEST_ECHO_LOGS").is_some(),
            pg_max_connections: self.pg_max_connections,
            names: self.names.clone(),
        };
        let running = spin_local::start_on(options, listener)
            .await
            .with_context(|| format!("the local host refused {}", self.manifest.display()))?;
        let base_url = running.base_url();
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .context("cannot build the HTTP client")?;
        let mut guard = guard;
        guard.armed = false;
        Ok(TestApp {
            base_url,
            db_url,
            db_name,
            internal_token,
            client,
            admin_url,
            state_dir,
            running: Some(running),
        })
    }
}

/// A test's state folder: its own temporary one, or one the test manages.
#[derive(Debug)]
enum StateDir {
    Temp(TempDir),
    Given(PathBuf),
}

impl StateDir {
    fn path(&self) -> &Path {
        match self {
            StateDir::Temp(t) => t.path(),
            StateDir::Given(p) => p,
        }
    }
}

/// Drops the test database if startup fails half-way.
struct DbGuard {
    admin_url: String,
    db_name: String,
    armed: bool,
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        if self.armed {
            database::drop_blocking(self.admin_url.clone(), self.db_name.clone());
        }
    }
}

fn declared_variables(manifest: &Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let table: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} is not TOML", manifest.display()))?;
    Ok(table
        .get("variables")
        .and_then(toml::Value::as_table)
        .map(|vars| vars.keys().cloned().collect())
        .unwrap_or_default())
}

/// One test's running app. Dropping it stops the host and drops the
/// database (set `FARM_TEST_KEEP_DB=1` to keep it); if the test is
/// panicking, the host's log (guest stdout/stderr included) is printed first.
pub struct TestApp {
    pub base_url: String,
    pub db_url: String,
    pub db_name: String,
    pub internal_token: String,
    pub client: reqwest::Client,
    admin_url: String,
    state_dir: StateDir,
    running: Option<RunningApp>,
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApp")
            .field("base_url", &self.base_url)
            .field("db_name", &self.db_name)
            .finish()
    }
}

impl TestApp {
    /// Creates (or rotates) farm site `name` with the internal token
    /// (`POST /internal/farm/sites`); returns the site token it shows once.
    pub async fn farm_site_token(&self, name: &str) -> String {
        let response = self
            .request(Method::POST, "/internal/farm/sites")
            .header("x-farm-internal-token", &self.internal_token)
            .json(&serde_json::json!({ "name": name }))
            .send()
            .await
            .expect("create site");
        assert!(response.status().is_success(), "{}", response.status());
        let body: serde_json::Value = response.json().await.expect("json");
        body["token"].as_str().expect("token").to_owned()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// A request to build further (headers, body) before `.send()`.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub async fn get(&self, path: &str) -> Response {
        send(self.request(Method::GET, path)).await
    }

    pub async fn post_json<T: Serialize + ?Sized>(&self, path: &str, body: &T) -> Response {
        send(self.request(Method::POST, path).json(body)).await
    }

    /// The served API description, `GET /v1/openapi.json`, as JSON (panics if
    /// the body is not JSON).
    pub async fn openapi(&self) -> serde_json::Value {
        self.get("/v1/openapi.json")
            .await
            .json()
            .await
            .expect("json")
    }

    pub async fn post_bytes(&self, path: &str, body: impl Into<reqwest::Body>) -> Response {
        send(self.request(Method::POST, path).body(body)).await
    }

    pub async fn delete(&self, path: &str) -> Response {
        send(self.request(Method::DELETE, path)).await
    }

    /// Requests that carry `Authorization: Bearer <key>`.
    pub fn with_key(&self, key: &str) -> Authed<'_> {
        Authed {
            app: self,
            key: key.to_string(),
        }
    }

    /// A new connection to this test's database, for assertions.
    pub async fn db(&self) -> tokio_postgres::Client {
        match database::connect(&self.db_url).await {
            Ok(c) => c,
            Err(e) => panic!("{e:#}"),
        }
    }

    /// The one value of the one row `sql` answers in this test's database
    /// (panics on no row, several rows or another type).
    pub async fn scalar<T>(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> T
    where
        T: for<'a> FromSql<'a>,
    {
        self.db()
            .await
            .query_one(sql, params)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
            .get(0)
    }

    /// `select count(*) from <table>`.
    pub async fn count_rows(&self, table: &str) -> i64 {
        self.scalar(&format!("select count(*) from {table}"), &[])
            .await
    }

    /// The host's log so far: access lines and guest output, `[component]`-prefixed.
    pub fn logs(&self) -> Vec<String> {
        self.running
            .as_ref()
            .map(RunningApp::logs)
            .unwrap_or_default()
    }

    /// `db_statements=N` of the request whose id was `request_id` (its log
    /// line; the platform counts each statement as it goes out).
    pub fn db_statements(&self, request_id: &str) -> u32 {
        let needle = format!("request_id={request_id} method=");
        let line = self
            .logs()
            .into_iter()
            .find(|l| l.contains(&needle))
            .unwrap_or_else(|| panic!("no log line for {request_id}"));
        line.split_whitespace()
            .find_map(|w| w.strip_prefix("db_statements="))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no db_statements in {line}"))
    }

    pub fn state_dir(&self) -> &Path {
        self.state_dir.path()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "---- local host log for {} ({}) ----",
                self.base_url, self.db_name
            );
            for line in self.logs() {
                eprintln!("{line}");
            }
            eprintln!("---- end of host log ----");
        }
        drop(self.running.take());
        if std::env::var_os("FARM_TEST_KEEP_DB").is_none() {
            database::drop_blocking(self.admin_url.clone(), self.db_name.clone());
        }
    }
}

/// Requests made with an API key; see [`TestApp::with_key`].
#[derive(Debug)]
pub struct Authed<'a> {
    app: &'a TestApp,
    key: String,
}

impl Authed<'_> {
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.app.request(method, path).bearer_auth(&self.key)
    }

    pub async fn get(&self, path: &str) -> Response {
        send(self.request(Method::GET, path)).await
    }

    pub async fn post_json<T: Serialize + ?Sized>(&self, path: &str, body: &T) -> Response {
        send(self.request(Method::POST, path).json(body)).await
    }

    pub async fn delete(&self, path: &str) -> Response {
        send(self.request(Method::DELETE, path)).await
    }
}

async fn send(request: RequestBuilder) -> Response {
    match request.send().await {
        Ok(r) => r,
        Err(e) => panic!("request failed before a response arrived: {e:#}"),
    }
}
