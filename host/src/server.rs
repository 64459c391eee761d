//! The HTTP listener: HTTP/1.1 on one TCP socket, each request handed to the
//! app on its own task.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use wasmtime_wasi_http::io::TokioIo;

use crate::app::App;
use crate::logs::LogSink;

/// A running app. Dropping it stops accepting connections.
pub struct RunningApp {
    addr: SocketAddr,
    app: Arc<App>,
    logs: LogSink,
    accept: JoinHandle<()>,
}

impl RunningApp {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every log line so far: access lines, host errors and guest output.
    pub fn logs(&self) -> Vec<String> {
        self.logs.lines()
    }

    /// The app's routes as (route, component), in manifest order.
    pub fn routes(&self) -> Vec<(String, String)> {
        self.app
            .routes()
            .map(|(r, c)| (r.to_string(), c.to_string()))
            .collect()
    }

    pub fn app_name(&self) -> &str {
        &self.app.name
    }

    /// Waits until the listener stops (it runs until the process ends).
    pub async fn wait(mut self) {
        let _ = (&mut self.accept).await;
    }
}

impl Drop for RunningApp {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Serves `app` on a bound socket until the returned [`RunningApp`] is dropped.
pub fn serve(app: Arc<App>, listener: TcpListener, logs: LogSink) -> anyhow::Result<RunningApp> {
    let addr = listener
        .local_addr()
        .context("the listening socket has no address")?;
    let accept_app = app.clone();
    let accept_logs = logs.clone();
    let accept = tokio::spawn(async move {
        loop {
            let (socket, client) = match listener.accept().await {
                Ok(s) => s,
                Err(e) => {
                    accept_logs.line(format!("accept failed: {e}"));
                    continue;
                }
            };
            let app = accept_app.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let app = app.clone();
                    async move { Ok::<_, std::convert::Infallible>(app.handle(req, client, addr).await) }
                });
                // A client that goes away mid-request is not the server's error.
                let _ = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(socket), service)
                    .await;
            });
        }
    });
    Ok(RunningApp {
        addr,
        app,
        logs,
        accept,
    })
}
