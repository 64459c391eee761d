//! Helpers shared by the upload, files, quotes and jobs tests (included with
//! `#[path]`; as a test target of its own it holds no tests).
#![allow(dead_code)]

use farm_tests::{AppBuilder, TestApp, repo_root};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The components this suite exercises.
const UPLOAD_COMPONENTS: [&str; 8] = [
    "presign", "confirm", "files", "analyze", "quotes", "jobs", "tick", "orders",
];

/// Starts the real app (`spin.toml`). While another team's component in it is
/// still a placeholder the host refuses the whole manifest; then the suite
/// serves the upload components' own part of `spin.toml` (their routes,
/// variables and outbound allow-lists, verbatim) and says so on stderr.
pub async fn spawn_upload_app() -> TestApp {
    spawn_upload_app_with(&[]).await
}

/// The object store the tests use: `FARM_S3_ENDPOINT` (what
/// `scripts/services.sh env` exports), default `http://127.0.0.1:19000`.
pub fn store_endpoint() -> String {
    std::env::var("FARM_S3_ENDPOINT")
        .unwrap_or_else(|_| "http://127.0.0.1:19000".into())
        .trim_end_matches('/')
        .to_owned()
}

/// The app variables that point the components at [`store_endpoint`].
pub fn store_variables() -> [(&'static str, String); 2] {
    let endpoint = store_endpoint();
    let host = endpoint.trim_start_matches("http://").to_owned();
    [("s3_endpoint", endpoint), ("s3_host", host)]
}

fn upload_manifest() -> std::path::PathBuf {
    upload_manifest_plus(None)
}

/// The upload components' part of `spin.toml`, plus, when `extra` is given,
/// more manifest text (a test fixture component and its route).
fn upload_manifest_plus(extra: Option<&str>) -> std::path::PathBuf {
    let root = repo_root();
    let text = std::fs::read_to_string(root.join("spin.toml")).expect("spin.toml");
    let mut doc: toml::Table = toml::from_str(&text).expect("spin.toml is TOML");
    let mine = |v: &toml::Value| {
        v.get("component")
            .and_then(toml::Value::as_str)
            .is_some_and(|c| UPLOAD_COMPONENTS.contains(&c))
    };
    if let Some(toml::Value::Table(trigger)) = doc.get_mut("trigger")
        && let Some(toml::Value::Array(routes)) = trigger.get_mut("http")
    {
        routes.retain(mine);
    }
    if let Some(toml::Value::Table(components)) = doc.get_mut("component") {
        components.retain(|name, _| UPLOAD_COMPONENTS.contains(&name));
        for (_, component) in components.iter_mut() {
            if let Some(toml::Value::String(source)) = component.get_mut("source") {
                let absolute = root.join(source.clone()).display().to_string();
                *source = absolute;
            }
        }
    }
    let mut text = toml::to_string(&doc).expect("serialise manifest");
    if let Some(extra) = extra {
        text.push('\n');
        text.push_str(extra);
    }
    let dir = Box::leak(Box::new(tempfile::tempdir().expect("temp dir")));
    let path = dir.path().join("spin.toml");
    std::fs::write(&path, text).expect("write manifest");
    path
}

/// The upload components plus the `chain-relay` test fixture on `/relay/...`,
/// allowed to call the private analyze component by service chaining: a test
/// reaches `http://analyze.spin.internal` exactly as confirm does.
pub async fn spawn_upload_app_with_relay() -> TestApp {
    let relay = repo_root().join("target/wasm32-wasip2/release/chain_relay.wasm");
    let extra = format!(
        "[[trigger.http]]\nroute = \"/relay/...\"\ncomponent = \"relay\"\n\n\
         [component.relay]\nsource = {:?}\nallowed_outbound_hosts = [\"http://analyze.spin.internal\"]\n",
        relay.display().to_string()
    );
    let mut builder = AppBuilder::manifest(upload_manifest_plus(Some(&extra)))
        .runtime_config(Some(repo_root().join("runtime-config.toml")))
        .migrations(true);
    for (k, v) in store_variables() {
        builder = builder.variable(k, v);
    }
    builder.spawn().await
}

/// Every scope the upload, quote and job routes know.
pub const ALL_SCOPES: [&str; 6] = [
    "files:read",
    "files:write",
    "quotes:read",
    "quotes:write",
    "orders:read",
    "orders:write",
];

/// Creates an account and an API key with every scope straight in the
/// database, and returns the key. `mode` is `test` or `live`.
pub async fn new_key(app: &TestApp, mode: &str) -> String {
    new_account_key(app, mode, &ALL_SCOPES).await.0
}

/// Creates an account and a key holding exactly `scopes`; returns (key, account id).
pub async fn new_account_key(app: &TestApp, mode: &str, scopes: &[&str]) -> (String, String) {
    let n = uuid::Uuid::new_v4().simple().to_string();
    let account = format!("acct_{n}");
    app.db()
        .await
        .execute(
            "insert into accounts (id, email, name) values ($1, $2, 'upload tests')",
            &[&account, &format!("{n}@example.com")],
        )
        .await
        .expect("insert account");
    let key = account_key(app, &account, mode, scopes).await;
    if mode == "test" {
        set_billing(app, &account, false, Some(TEST_CAPS)).await;
    }
    (key, account)
}

/// Caps of a test account as the README's quick start leaves it: $10,000
/// per order, $100,000 a month (per order, monthly), in cents.
pub const TEST_CAPS: (i64, i64) = (1_000_000, 10_000_000);

/// Sets the account's billing policy in mode `livemode` straight in the
/// database (migrations/0010): `caps` = `Some((per_order, monthly))` turns
/// autopay on with the test card `pm_card_visa` saved; `None` leaves autopay
/// off with no payment method. Test-mode accounts from [`new_account_key`]
/// start with [`TEST_CAPS`], so one-shot jobs (autonomous rules) work;
/// tests of the conditions set their own.
pub async fn set_billing(app: &TestApp, account: &str, livemode: bool, caps: Option<(i64, i64)>) {
    let (on, pm, per, month) = match caps {
        Some((p, m)) => (true, Some("pm_card_visa"), Some(p), Some(m)),
        None => (false, None, None, None),
    };
    app.db()
        .await
        .execute(
            "insert into account_billing (account_id, livemode, autopay_enabled, default_payment_method, \
               max_per_order_cents, monthly_cap_cents) values ($1, $2, $3, $4, $5, $6) \
             on conflict (account_id, livemode) do update set autopay_enabled = $3, \
               default_payment_method = $4, max_per_order_cents = $5, monthly_cap_cents = $6",
            &[&account.to_string(), &livemode, &on, &pm, &per, &month],
        )
        .await
        .expect("set billing");
}

/// Adds a key holding exactly `scopes` to an existing account.
pub async fn account_key(app: &TestApp, account: &str, mode: &str, scopes: &[&str]) -> String {
    let n = uuid::Uuid::new_v4().simple().to_string();
    let key = format!(
        "fk_{mode}_{}{}",
        n,
        &uuid::Uuid::new_v4().simple().to_string()[..16]
    );
    let hash = sha256_hex(key.as_bytes());
    app.db()
        .await
        .execute(
            "insert into api_keys (id, account_id, key_hash, key_preview, name, mode, scopes) values ($1, $2, $3, $4, 'k', $5, $6)",
            &[
                &format!("key_{n}"),
                &account.to_string(),
                &hash,
                &key[key.len() - 4..].to_string(),
                &mode.to_string(),
                &scopes.join(" "),
            ],
        )
        .await
        .expect("insert key");
    key
}

/// SHA-256 hex of `data`, computed by coreutils' `sha256sum` (independent of
/// the app's own hashing code).
pub fn sha256_hex(data: &[u8]) -> String {
    let out = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().expect("stdin").write_all(data)?;
            child.wait_with_output()
        })
        .expect("sha256sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

pub async fn post(app: &TestApp, key: &str, path: &str, body: &Value) -> (u16, Value) {
    let r = app.with_key(key).post_json(path, body).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub async fn get(app: &TestApp, key: &str, path: &str) -> (u16, Value) {
    let r = app.with_key(key).get(path).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Presign for `bytes`; returns the presign response.
pub async fn presign(
    app: &TestApp,
    key: &str,
    filename: &str,
    content_type: &str,
    size: usize,
) -> Value {
    let (status, body) = post(
        app,
        key,
        "/v1/files/presign",
        &json!({"filename": filename, "content_type": content_type, "size_bytes": size}),
    )
    .await;
    assert_eq!(status, 201, "presign: {body}");
    body
}

/// PUTs `bytes` to the presigned URL with exactly the required headers.
pub async fn put(app: &TestApp, presigned: &Value, bytes: Vec<u8>) -> u16 {
    let mut req = app
        .client
        .put(presigned["upload_url"].as_str().expect("upload_url"));
    for (name, value) in presigned["required_headers"]
        .as_object()
        .expect("required_headers")
    {
        req = req.header(name.as_str(), value.as_str().expect("header value"));
    }
    req.body(bytes)
        .send()
        .await
        .expect("PUT to the store")
        .status()
        .as_u16()
}

/// The presigned URL's `required_headers`, as (name, value) pairs.
pub fn required_headers(presigned: &Value) -> Vec<(String, String)> {
    presigned["required_headers"]
        .as_object()
        .expect("required_headers")
        .iter()
        .map(|(n, v)| (n.clone(), v.as_str().expect("header value").to_owned()))
        .collect()
}

/// PUTs `bytes` to the presigned URL with exactly `headers`; (status, body).
pub async fn put_with(
    app: &TestApp,
    presigned: &Value,
    headers: &[(String, String)],
    bytes: Vec<u8>,
) -> (u16, String) {
    let mut req = app
        .client
        .put(presigned["upload_url"].as_str().expect("upload_url"));
    for (name, value) in headers {
        req = req.header(name.as_str(), value.as_str());
    }
    let response = req.body(bytes).send().await.expect("PUT to the store");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// The object key the app stored for a file (from its row).
pub async fn object_key_of(app: &TestApp, file_id: &str) -> String {
    app.db()
        .await
        .query_one("select object_key from files where id = $1", &[&file_id])
        .await
        .expect("file row")
        .get(0)
}

/// The store, addressed with the app's own credentials (what
/// `scripts/services.sh env` exports), for reading objects back and for
/// playing a store that lost its guarantees.
pub fn store_bucket() -> farm_signing::sigv4::Bucket {
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    farm_signing::sigv4::Bucket::new(
        farm_signing::sigv4::Endpoint::parse(&store_endpoint()).expect("store endpoint"),
        var("FARM_S3_BUCKET", "farm-uploads"),
        farm_signing::sigv4::Credentials {
            access_key: var("FARM_S3_ACCESS_KEY", "farmlocal"),
            secret_key: var("FARM_S3_SECRET_KEY", "farmlocalsecret"),
            region: var("FARM_S3_REGION", "us-east-1"),
        },
    )
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// Reads an object straight from the store: (status, bytes).
pub async fn store_get(app: &TestApp, key: &str) -> (u16, Vec<u8>) {
    let signed = store_bucket()
        .sign("GET", key, &[], unix_now())
        .expect("sign GET");
    let mut req = app.client.get(&signed.url);
    for (n, v) in &signed.headers {
        req = req.header(n.as_str(), v.as_str());
    }
    let response = req.send().await.expect("GET from the store");
    let status = response.status().as_u16();
    (status, response.bytes().await.expect("body").to_vec())
}

/// Sends a header-signed request for `key` straight to the store, bypassing
/// the app (`PUT` without a precondition overwrites, `DELETE` removes).
pub async fn store_write(app: &TestApp, method: &str, key: &str, bytes: Vec<u8>) -> u16 {
    let hash = sha256_hex(&bytes);
    let signed = store_bucket()
        .sign_payload(method, key, &[], &hash, unix_now())
        .expect("sign");
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = app.client.request(method, &signed.url);
    for (n, v) in &signed.headers {
        req = req.header(n.as_str(), v.as_str());
    }
    req.body(bytes)
        .send()
        .await
        .expect("request to the store")
        .status()
        .as_u16()
}

/// Puts a file into `processing` with its analysis queued, as confirm does,
/// without asking the store (for outcomes confirm would not let through,
/// such as an object that vanished after confirm).
pub async fn queue_analysis(app: &TestApp, file_id: &str) {
    let db = app.db().await;
    db.execute(
        "update files set status = 'processing', confirmed_at = now() where id = $1",
        &[&file_id],
    )
    .await
    .expect("file to processing");
    db.execute(
        "insert into background_jobs (kind, payload, dedupe_key) \
         values ('analyze_file', jsonb_build_object('file_id', $1::text), $1) on conflict do nothing",
        &[&file_id],
    )
    .await
    .expect("queue the analysis");
}

/// Polls the file until it leaves `processing`, as a client within the
/// per-minute budget must: backing off (100 ms doubling to 2 s) and honouring
/// `Retry-After` (on a `processing` answer, and on a 429), so a slow analysis
/// on a loaded machine costs about 30 requests a minute, not 1,200.
pub async fn wait_ready(app: &TestApp, key: &str, file_id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut pause = Duration::from_millis(100);
    loop {
        let r = app.with_key(key).get(&format!("/v1/files/{file_id}")).await;
        let status = r.status().as_u16();
        let retry_after = r
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body: Value = r.json().await.unwrap_or(Value::Null);
        let wait = match status {
            429 => retry_after.unwrap_or(pause),
            200 if body["status"] != "processing" && body["status"] != "pending_upload" => {
                return body;
            }
            200 => retry_after.map_or(pause, |ra| ra.min(Duration::from_secs(5))),
            _ => panic!("GET /v1/files/{file_id}: {status} {body}"),
        };
        assert!(
            Instant::now() + wait < deadline,
            "file stayed {} for 2 minutes",
            body["status"]
        );
        tokio::time::sleep(wait).await;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}

/// Presign, PUT, confirm (which answers `processing` at once), poll: the file
/// as `GET /v1/files/{id}` reports it.
pub async fn upload(
    app: &TestApp,
    key: &str,
    filename: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> Value {
    let presigned = presign(app, key, filename, content_type, bytes.len()).await;
    assert_eq!(put(app, &presigned, bytes).await, 200);
    let file_id = presigned["file_id"].as_str().expect("file_id").to_owned();
    let (status, body) = post(app, key, "/v1/files/confirm", &json!({"file_id": file_id})).await;
    assert_eq!(status, 200, "confirm: {body}");
    // Confirm answers before the analysis runs (seed 001: poll until ready).
    assert_eq!(
        (body["status"].as_str(), body["next_action"].as_str()),
        (Some("processing"), Some("poll_file_until_ready")),
        "confirm: {body}"
    );
    wait_ready(app, key, &file_id).await
}

/// [`upload`] of a single box (`box_stl(size, 1)`, millimetres) as `model/stl`.
pub async fn upload_box(app: &TestApp, key: &str, filename: &str, size: [f32; 3]) -> Value {
    upload(app, key, filename, "model/stl", box_stl(size, 1)).await
}

/// `POST /v1/quotes` for an uploaded file; asserts 201 and returns the quote.
pub async fn quote(app: &TestApp, key: &str, file: &Value, material: &str, quantity: i64) -> Value {
    let (status, q) = post(
        app,
        key,
        "/v1/quotes",
        &json!({"file_id": file["id"], "material_id": material, "quantity": quantity}),
    )
    .await;
    assert_eq!(status, 201, "{q}");
    q
}

/// `POST /v1/quotes` for a file with only the material (default quantity),
/// for the answers that refuse: the status and the JSON answer.
pub async fn try_quote(app: &TestApp, key: &str, file: &Value, material: &str) -> (u16, Value) {
    post(
        app,
        key,
        "/v1/quotes",
        &json!({"file_id": file["id"], "material_id": material}),
    )
    .await
}

/// A `POST /v1/jobs` body (seed 000): the part `file` then the JSON `options`
/// part, split by `boundary`. Returns (content type, body).
pub fn job_multipart(
    boundary: &str,
    filename: &str,
    bytes: &[u8],
    options: &str,
) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"options\"\r\n\r\n{options}\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Sends a multipart body (content type, bytes) to `POST /v1/jobs` with the
/// key; the status and the JSON answer (`Null` when the body is not JSON).
pub async fn send_job(app: &TestApp, key: &str, content: (String, Vec<u8>)) -> (u16, Value) {
    let r = app
        .client
        .post(app.url("/v1/jobs"))
        .bearer_auth(key)
        .header("content-type", content.0)
        .body(content.1)
        .send()
        .await
        .expect("POST /v1/jobs");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The published price formula, recomputed independently from a quote's
/// reported grams: cents per gram by material, bulk tiers, $3 minimum.
pub fn expected_total_cents(grams_per_part: f64, material: &str, quantity: i64) -> i64 {
    let per_gram = match material {
        "pla" => 2,
        "petg" | "abs" => 3,
        "asa" => 4,
        "tpu" => 5,
        other => panic!("unknown material {other}"),
    };
    let discount_bp = match quantity {
        q if q >= 500 => 2500,
        q if q >= 250 => 2000,
        q if q >= 100 => 1500,
        q if q >= 50 => 1000,
        _ => 0,
    };
    let centigrams = (grams_per_part * 100.0).round() as i128;
    let num = centigrams * per_gram * (10_000 - discount_bp);
    let den: i128 = 100 * 10_000;
    let unit = ((num * 2 + den) / (den * 2)) as i64;
    (unit * quantity).max(300)
}

/// A binary STL of an axis-aligned box `x × y × z` (12 triangles), repeated
/// `copies` times side by side (to make big files).
pub fn box_stl(size: [f32; 3], copies: u32) -> Vec<u8> {
    let [x, y, z] = size;
    let v = [
        [0.0, 0.0, 0.0],
        [x, 0.0, 0.0],
        [x, y, 0.0],
        [0.0, y, 0.0],
        [0.0, 0.0, z],
        [x, 0.0, z],
        [x, y, z],
        [0.0, y, z],
    ];
    let faces: [[usize; 3]; 12] = [
        [0, 2, 1],
        [0, 3, 2],
        [4, 5, 6],
        [4, 6, 7],
        [0, 1, 5],
        [0, 5, 4],
        [1, 2, 6],
        [1, 6, 5],
        [2, 3, 7],
        [2, 7, 6],
        [3, 0, 4],
        [3, 4, 7],
    ];
    let mut out = vec![0u8; 80];
    out.extend_from_slice(&(12 * copies).to_le_bytes());
    for c in 0..copies {
        let dx = c as f32 * (x + 1.0);
        for f in faces {
            out.extend_from_slice(&[0u8; 12]);
            for i in f {
                let p = v[i];
                for (axis, coord) in p.iter().enumerate() {
                    let val: f32 = if axis == 0 { coord + dx } else { *coord };
                    out.extend_from_slice(&val.to_le_bytes());
                }
            }
            out.extend_from_slice(&[0u8; 2]);
        }
    }
    out
}

/// A binary STL of a closed UV sphere of `radius` mm with
/// `2 × slices × (stacks − 1)` triangles (one watertight body).
pub fn sphere_stl(radius: f32, slices: u32, stacks: u32) -> Vec<u8> {
    let point = |i: u32, j: u32| -> [f32; 3] {
        let theta = std::f32::consts::PI * j as f32 / stacks as f32;
        let phi = 2.0 * std::f32::consts::PI * (i % slices) as f32 / slices as f32;
        [
            radius * theta.sin() * phi.cos() + radius,
            radius * theta.sin() * phi.sin() + radius,
            radius * theta.cos() + radius,
        ]
    };
    let mut tris: Vec<[[f32; 3]; 3]> = Vec::new();
    for j in 0..stacks {
        for i in 0..slices {
            let (a, b, c, d) = (
                point(i, j),
                point(i + 1, j),
                point(i, j + 1),
                point(i + 1, j + 1),
            );
            if j != 0 {
                tris.push([a, c, b]);
            }
            if j != stacks - 1 {
                tris.push([b, c, d]);
            }
        }
    }
    let mut out = vec![0u8; 80];
    out.extend_from_slice(&(tris.len() as u32).to_le_bytes());
    for t in tris {
        out.extend_from_slice(&[0u8; 12]);
        for p in t {
            for c in p {
                out.extend_from_slice(&c.to_le_bytes());
            }
        }
        out.extend_from_slice(&[0u8; 2]);
    }
    out
}

/// Like [`spawn_upload_app`], with application variables set.
pub async fn spawn_upload_app_with(vars: &[(&str, &str)]) -> TestApp {
    let store = store_variables();
    let all = || {
        store
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .chain(vars.iter().copied())
    };
    let mut full = AppBuilder::farm();
    for (k, v) in all() {
        full = full.variable(k, v);
    }
    match full.try_spawn().await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("note: full spin.toml refused ({e:#}); serving the upload components only");
            let mut b = AppBuilder::manifest(upload_manifest())
                .runtime_config(Some(repo_root().join("runtime-config.toml")))
                .migrations(true);
            for (k, v) in all() {
                b = b.variable(k, v);
            }
            b.spawn().await
        }
    }
}
