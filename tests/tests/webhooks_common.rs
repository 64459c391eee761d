//! Helpers for the webhook tests (included with `#[path]`): a real HTTP
//! receiver on loopback that answers from a script, endpoint registration,
//! ticks, and events recorded the way `farm_platform::events::record`
//! records them (for event types whose producers are not in this app yet).
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use farm_tests::TestApp;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the receiver does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Answer with this status (and body "ok"/"nope").
    Status(u16),
    /// Answer with this status and `Retry-After: <secs>`.
    RetryAfter(u16, u64),
    /// Wait this long, then answer 200 (a receiver past our timeout).
    SleepThen(Duration, u16),
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("delivered body is JSON")
    }
}

/// An HTTP/1.1 server on 127.0.0.1 answering each request with the next
/// scripted [`Reply`] (200 once the script is used up).
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
}

impl Receiver {
    pub async fn start(script: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let receiver = Receiver {
            url,
            received: Arc::default(),
            script: Arc::new(Mutex::new(script.into())),
        };
        let r = receiver.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let r = r.clone();
                tokio::spawn(async move {
                    let _ = r.serve(&mut socket).await;
                });
            }
        });
        receiver
    }

    async fn serve(&self, socket: &mut tokio::net::TcpStream) -> std::io::Result<()> {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            let n = socket.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let path = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .unwrap_or("")
            .to_owned();
        let headers: HashMap<String, String> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + length {
            let n = socket.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let body = buf[head_end..].to_vec();
        self.received.lock().expect("lock").push(Received {
            path,
            headers,
            body,
            at: Instant::now(),
        });
        let reply = self
            .script
            .lock()
            .expect("lock")
            .pop_front()
            .unwrap_or(Reply::Status(200));
        let (status, extra) = match reply {
            Reply::Status(s) => (s, String::new()),
            Reply::RetryAfter(s, secs) => (s, format!("retry-after: {secs}\r\n")),
            Reply::SleepThen(wait, s) => {
                tokio::time::sleep(wait).await;
                (s, String::new())
            }
        };
        let text = if (200..300).contains(&status) {
            "ok"
        } else {
            "nope"
        };
        let response = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n{extra}connection: close\r\n\r\n{text}",
            text.len()
        );
        socket.write_all(response.as_bytes()).await?;
        socket.shutdown().await
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }
}

/// The scopes the webhook tests' keys hold.
pub const WEBHOOK_SCOPES: [&str; 4] = [
    "files:read",
    "files:write",
    "webhooks:manage",
    "events:read",
];

/// Registers an endpoint for `url` (every event type); returns the answer.
pub async fn register(app: &TestApp, key: &str, url: &str) -> (u16, Value) {
    let r = app
        .with_key(key)
        .post_json("/v1/webhooks/endpoints", &json!({"url": url}))
        .await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// `POST /v1/webhooks/endpoints/{id}/rotate_secret`: a new secret (shown
/// once); the old one signs for 24 h more.
pub async fn rotate_secret(app: &TestApp, key: &str, id: &str) -> (u16, Value) {
    let r = app
        .with_key(key)
        .post_json(
            &format!("/v1/webhooks/endpoints/{id}/rotate_secret"),
            &json!({}),
        )
        .await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// `POST /internal/tick` as the scheduler sends it.
pub async fn tick(app: &TestApp) -> Value {
    let r = app
        .request(reqwest::Method::POST, "/internal/tick")
        .header("x-farm-internal-token", &app.internal_token)
        .send()
        .await
        .expect("tick");
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.expect("tick report")
}

/// Makes every queued delivery attempt due now: the clock jump a test
/// cannot wait for (the real waits are minutes to hours).
pub async fn make_retries_due(app: &TestApp) {
    app.db()
        .await
        .execute(
            "update background_jobs set run_at = now() where kind = 'deliver_webhook' and status = 'queued'",
            &[],
        )
        .await
        .expect("fast-forward");
}

/// Ticks until `cond` holds (or panics after `limit`).
pub async fn tick_until(app: &TestApp, limit: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < limit,
            "condition not met within {limit:?}"
        );
        tick(app).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Records an event as `farm_platform::events::record` does (the event and,
/// in the same transaction, a pending delivery plus its first
/// `deliver_webhook` job for each subscribed endpoint), for event types whose
/// producer (orders) is not part of this app yet. Returns the event id.
pub async fn record_event(
    app: &TestApp,
    account: &str,
    livemode: bool,
    kind: &str,
    object_id: &str,
    order_id: Option<&str>,
) -> String {
    let id = format!("evt_{}", uuid::Uuid::new_v4().simple());
    let object_type = kind.split('.').next().unwrap_or("order").to_owned();
    let data = json!({"id": object_id, "object": object_type}).to_string();
    let mut db = app.db().await;
    let tx = db.transaction().await.expect("begin");
    let seq: i64 = tx
        .query_one(
            "insert into events (id, account_id, livemode, type, object_type, object_id, order_id, data) \
             values ($1, $2, $3, $4, $5, $6, $7, ($8::text)::jsonb) returning seq",
            &[&id, &account, &livemode, &kind, &object_type, &object_id, &order_id, &data],
        )
        .await
        .expect("insert event")
        .get(0);
    let key = order_id.map_or(format!("{object_type}:{object_id}"), str::to_owned);
    tx.execute(
        "with d as (insert into webhook_deliveries (id, endpoint_id, account_id, event_id, event_seq, ordering_key) \
           select 'whdel_' || replace(gen_random_uuid()::text, '-', ''), w.id, $1, $2, $3, $4 \
           from webhook_endpoints w where w.account_id = $1 and w.livemode = $5 and w.status = 'enabled' \
             and w.deleted_at is null and (w.events ? '*' or w.events ? $6) returning id) \
         insert into background_jobs (kind, payload, max_attempts) \
         select 'deliver_webhook', jsonb_build_object('delivery_id', d.id, 'attempt', 1), 5 from d",
        &[&account, &id, &seq, &key, &livemode, &kind],
    )
    .await
    .expect("fan out");
    tx.commit().await.expect("commit");
    id
}

/// The endpoint's deliveries as the API lists them.
pub async fn deliveries(app: &TestApp, key: &str, endpoint: &str) -> Vec<Value> {
    let r = app
        .with_key(key)
        .get(&format!(
            "/v1/webhooks/endpoints/{endpoint}/deliveries?limit=100"
        ))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.expect("json");
    body["data"].as_array().cloned().unwrap_or_default()
}

/// A `spin-local` process serving the app against `app`'s database (the
/// local host as a separate process, so a test can SIGKILL it), with
/// loopback webhook receivers allowed and a short work lease. Killed on drop.
pub struct HostProcess {
    child: std::process::Child,
    pub base_url: String,
    _state: tempfile::TempDir,
}

impl HostProcess {
    pub async fn start(app: &TestApp, lease_secs: u32) -> Self {
        let root = farm_tests::repo_root();
        let binary = root.join("target/debug/spin-local");
        assert!(binary.exists(), "`cargo build --bin spin-local` first");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let base_url = format!("http://127.0.0.1:{port}");
        let state = tempfile::tempdir().expect("state dir");
        let db_host = app
            .db_url
            .split_once('@')
            .and_then(|(_, rest)| rest.split('/').next())
            .expect("db host")
            .to_owned();
        let mut command = std::process::Command::new(&binary);
        command
            .current_dir(&root)
            .args([
                "up",
                "-f",
                "spin.toml",
                "--runtime-config-file",
                "runtime-config.toml",
            ])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--state-dir")
            .arg(state.path());
        for (name, value) in [
            ("db_url", app.db_url.clone()),
            ("db_host", db_host),
            ("internal_token", app.internal_token.clone()),
            ("public_base_url", base_url.clone()),
            ("work_lease_seconds", lease_secs.to_string()),
            ("webhook_allow_private_targets", "true".to_owned()),
        ] {
            command.args(["--variable", &format!("{name}={value}")]);
        }
        let child = command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn spin-local");
        let host = Self {
            child,
            base_url,
            _state: state,
        };
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let deadline = Instant::now() + Duration::from_secs(60);
        while client
            .get(format!("{}/v1/catalog", host.base_url))
            .send()
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "spin-local did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        host
    }

    /// `POST /internal/tick` on this host.
    pub async fn tick(&self, token: &str) -> Result<Value, reqwest::Error> {
        reqwest::Client::builder()
            .no_proxy()
            .build()?
            .post(format!("{}/internal/tick", self.base_url))
            .header("x-farm-internal-token", token)
            .send()
            .await?
            .json()
            .await
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for HostProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
