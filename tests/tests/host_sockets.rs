//! Outbound TCP through `wasi:sockets`, as Spin offers it: a component may
//! connect only to an address its `allowed_outbound_hosts` lists as
//! `tcp://<ip>:<port>` (here `tcp://127.0.0.1:{{ tcp_port }}`, a template);
//! anything else is refused before a packet leaves.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use farm_tests::probe_app;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A loopback line server: answers each line with `pong:<line>` and counts
/// the connections it accepted.
struct LineServer {
    port: u16,
    accepted: Arc<AtomicUsize>,
}

impl LineServer {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut line = String::new();
                    if BufReader::new(read).read_line(&mut line).await.is_ok() {
                        let reply = format!("pong:{}\n", line.trim_end());
                        let _ = write.write_all(reply.as_bytes()).await;
                    }
                });
            }
        });
        LineServer { port, accepted }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn a_tcp_connection_to_an_allowed_address_goes_through() {
    let server = LineServer::start().await;
    let app = probe_app()
        .variable("tcp_port", server.port.to_string())
        .spawn()
        .await;

    let response = app
        .get(&format!(
            "/probe/tcp?addr=127.0.0.1:{}&send=hello",
            server.port
        ))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["reply"], "pong:hello");
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn a_tcp_connection_to_an_address_not_in_the_allow_list_is_refused_and_never_made() {
    let allowed = LineServer::start().await;
    let other = LineServer::start().await;
    let app = probe_app()
        .variable("tcp_port", allowed.port.to_string())
        .spawn()
        .await;

    // Another port on the allowed IP, and the allowed port on another
    // loopback IP: both outside `tcp://127.0.0.1:<tcp_port>`.
    for addr in [
        format!("127.0.0.1:{}", other.port),
        format!("127.0.0.2:{}", allowed.port),
    ] {
        let response = app
            .get(&format!("/probe/tcp?addr={addr}&send=secret"))
            .await;
        assert_eq!(response.status(), 502, "{addr}: the guest saw an error");
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["kind"], "PermissionDenied", "{addr}: {body}");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        other.accepted(),
        0,
        "a refused connect must not reach the server"
    );
    assert_eq!(allowed.accepted(), 0);
}

#[tokio::test]
async fn the_http_allow_list_grants_no_raw_socket() {
    // `http://127.0.0.1:{{ echo_port }}` allows HTTP to that port, not TCP.
    let server = LineServer::start().await;
    let app = probe_app()
        .variable("echo_port", server.port.to_string())
        .spawn()
        .await;
    let response = app
        .get(&format!("/probe/tcp?addr=127.0.0.1:{}&send=x", server.port))
        .await;
    assert_eq!(response.status(), 502);
    assert_eq!(server.accepted(), 0);
}
