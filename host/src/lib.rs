//! `spin-local`: serves a Spin app (`spin.toml` + `.wasm` files) the way
//! `spin up` does, on wasmtime. It implements only the Spin interfaces the Farm
//! API imports: the HTTP trigger, `fermyon:spin/key-value@2.0.0` (SQLite or
//! Redis), `spin:postgres/postgres@4.0.0`, `fermyon:spin/variables@2.0.0`, and
//! outbound HTTP with `allowed_outbound_hosts` and service chaining. Where its
//! behaviour differs from Spin's, Spin is right and this crate has a bug.

mod app;
mod bindings;
mod compile;
mod kv;
mod logs;
mod manifest;
mod networks;
mod outbound;
mod pg;
mod routes;
mod runtime_config;
mod server;
mod state;
mod variables;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;

pub use logs::LogSink;
pub use server::RunningApp;

/// How to serve an app.
#[derive(Clone, Debug)]
pub struct Options {
    pub manifest_path: PathBuf,
    pub runtime_config_path: Option<PathBuf>,
    pub listen: SocketAddr,
    /// Values for application variables, as `spin up --variable` gives them;
    /// they take precedence over `SPIN_VARIABLE_<NAME>` and defaults.
    pub variables: HashMap<String, String>,
    /// Where the embedded key-value file lives (Spin's `.spin` folder).
    pub state_dir: PathBuf,
    /// Where compiled components are cached; defaults to
    /// `<manifest dir>/target/spin-local-cache`.
    pub cache_dir: Option<PathBuf>,
    /// Also print log lines to stderr (they are always kept in memory).
    pub echo_logs: bool,
    /// Most Postgres connections open at once per database address; `None`
    /// is [`DEFAULT_PG_MAX_CONNECTIONS`]. Requests beyond it wait for a free one.
    pub pg_max_connections: Option<usize>,
    /// Names this host resolves itself before the system resolver (empty
    /// normally; see [`NameTable`]).
    pub names: NameTable,
}

pub use networks::NameTable;

pub use pg::DEFAULT_MAX_CONNECTIONS_PER_ADDRESS as DEFAULT_PG_MAX_CONNECTIONS;

/// Loads the app and starts serving it. Fails, with a message that says
/// what to fix, on a bad manifest or runtime config, a missing `.wasm`, a
/// required variable without a value, or a component whose imports this host
/// does not provide.
pub async fn start(options: Options) -> anyhow::Result<RunningApp> {
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("cannot listen on {}", options.listen))?;
    start_on(options, listener.into_std()?).await
}

/// Like [`start`], on a socket the caller has already bound (`options.listen`
/// is ignored). A caller that must know the app's address before it starts
/// (to tell the app its own URL) binds port 0, reads the address and hands
/// the socket over, so no other process can take the port in between.
pub async fn start_on(
    options: Options,
    listener: std::net::TcpListener,
) -> anyhow::Result<RunningApp> {
    listener
        .set_nonblocking(true)
        .context("cannot make the listening socket non-blocking")?;
    let listener =
        tokio::net::TcpListener::from_std(listener).context("cannot serve on the given socket")?;
    let logs = LogSink::new(options.echo_logs);
    let app = app::App::load(&options, logs.clone()).await?;
    server::serve(app, listener, logs)
}
