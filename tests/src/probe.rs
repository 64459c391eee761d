//! Helpers for the host tests: the probe app and a tiny HTTP server to send
//! outbound requests to.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::app::AppBuilder;
use crate::paths::repo_root;

/// `tests/fixtures/probe.spin.toml`: the probe component on public routes
/// plus its private twin.
pub fn probe_manifest() -> PathBuf {
    repo_root()
        .join("tests")
        .join("fixtures")
        .join("probe.spin.toml")
}

/// The probe app with its one required variable set.
pub fn probe_app() -> AppBuilder {
    AppBuilder::manifest(probe_manifest()).variable("secret_token", "probe-secret")
}

/// One request the [`EchoServer`] received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

/// A loopback HTTP/1.1 server that answers every request with
/// `200 echo <method> <path>` and records what it received.
#[derive(Debug)]
pub struct EchoServer {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl EchoServer {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let port = listener.local_addr().expect("local addr").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let log = log.clone();
                tokio::spawn(async move {
                    if let Some(request) = read_head(&mut socket).await {
                        let body = format!("echo {} {}", request.method, request.path);
                        if let Ok(mut log) = log.lock() {
                            log.push(request);
                        }
                        let response = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = socket.write_all(response.as_bytes()).await;
                        let _ = socket.shutdown().await;
                    }
                });
            }
        });
        Self {
            port,
            received,
            task,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads a request head (and ignores any body: the probe sends GETs).
async fn read_head(socket: &mut tokio::net::TcpStream) -> Option<Received> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > 64 * 1024 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&buf);
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let path = first.next()?.to_string();
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some(Received {
        method,
        path,
        headers,
    })
}
