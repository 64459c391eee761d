//! The durable work queue (`background_jobs`, `farm_platform::work`) and its
//! tick route (`POST /internal/tick`), through the real Wasm components, the
//! real Postgres and the real object store: the token check, draining,
//! lease expiry, backoff and the dead letter, and an analysis that survives
//! the death of the host that was running it.

#[path = "upload_common.rs"]
mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use farm_tests::{TestApp, repo_root};
use serde_json::{Value, json};

/// `POST /internal/tick` with `token` in `X-Farm-Internal-Token` (none when `None`).
async fn tick(app_url: &str, token: Option<&str>) -> (u16, Value) {
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client");
    let mut request = client.post(format!("{app_url}/internal/tick"));
    if let Some(token) = token {
        request = request.header("x-farm-internal-token", token);
    }
    let response = request.send().await.expect("tick request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A tick as the scheduler sends it (the app's internal token).
async fn internal_tick(app: &TestApp) -> (u16, Value) {
    tick(&app.base_url, Some(&app.internal_token)).await
}

/// Ticks once and asserts it started exactly one job and finished it.
async fn tick_runs_one_job_to_done(app: &TestApp) {
    let (status, report) = internal_tick(app).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (report["started"].as_i64(), report["done"].as_i64()),
        (Some(1), Some(1)),
        "{report}"
    );
}

/// A file row in `processing` with its object stored but no job yet: the
/// state confirm leaves, minus the queue row (the test adds the row it needs).
async fn processing_file(app: &TestApp, key: &str, bytes: Vec<u8>) -> String {
    let presigned = presign(app, key, "part.stl", "model/stl", bytes.len()).await;
    assert_eq!(put(app, &presigned, bytes).await, 200);
    let id = presigned["file_id"].as_str().expect("file_id").to_owned();
    app.db()
        .await
        .execute(
            "update files set status = 'processing', confirmed_at = now() where id = $1",
            &[&id],
        )
        .await
        .expect("processing");
    id
}

/// A file presigned (684 bytes announced) but never uploaded, marked
/// `processing` anyway, as if confirm had let it through.
async fn presigned_processing_file(app: &TestApp, key: &str) -> String {
    let presigned = presign(app, key, "part.stl", "model/stl", 684).await;
    let file_id = presigned["file_id"].as_str().expect("id").to_owned();
    app.db()
        .await
        .execute(
            "update files set status = 'processing' where id = $1",
            &[&file_id],
        )
        .await
        .expect("processing");
    file_id
}

/// Queues a job of `kind` for `file_id` straight in the table (as confirm's
/// transaction would, but with no fast path running it).
async fn insert_job(app: &TestApp, kind: &str, file_id: &str, max_attempts: i32) -> i64 {
    app.db()
        .await
        .query_one(
            "insert into background_jobs (kind, payload, max_attempts) \
             values ($1, jsonb_build_object('file_id', $2::text), $3) returning id",
            &[&kind, &file_id, &max_attempts],
        )
        .await
        .expect("insert job")
        .get(0)
}

#[derive(Debug)]
struct JobRow {
    status: String,
    attempts: i32,
    last_error: Option<String>,
    /// Seconds from now until `run_at` (negative: due).
    due_in_secs: f64,
    leased: bool,
}

async fn job(app: &TestApp, id: i64) -> JobRow {
    let row = app
        .db()
        .await
        .query_one(
            "select status, attempts, last_error, \
               extract(epoch from run_at - now())::float8, coalesce(lease_until > now(), false) \
             from background_jobs where id = $1",
            &[&id],
        )
        .await
        .expect("job row");
    JobRow {
        status: row.get(0),
        attempts: row.get(1),
        last_error: row.get(2),
        due_in_secs: row.get(3),
        leased: row.get(4),
    }
}

async fn file_state(app: &TestApp, id: &str) -> (String, Option<String>) {
    let row = app
        .db()
        .await
        .query_one(
            "select status, failure_reason from files where id = $1",
            &[&id],
        )
        .await
        .expect("file row");
    (row.get(0), row.get(1))
}

/// Time travel for backoff tests: makes a queued job due now.
async fn make_due(app: &TestApp, id: i64) {
    app.db()
        .await
        .execute(
            "update background_jobs set run_at = now() where id = $1",
            &[&id],
        )
        .await
        .expect("make due");
}

#[tokio::test]
async fn the_tick_route_answers_only_the_internal_token() {
    let app = spawn_upload_app().await;
    let right = app.internal_token.clone();
    for (label, header, value) in [
        ("no token", None, String::new()),
        (
            "wrong token",
            Some("x-farm-internal-token"),
            format!("{right}x"),
        ),
        ("empty token", Some("x-farm-internal-token"), String::new()),
        (
            "a partner's key",
            Some("authorization"),
            "Bearer fk_test_0000".to_owned(),
        ),
    ] {
        let mut request = app.request(reqwest::Method::POST, "/internal/tick");
        if let Some(header) = header {
            request = request.header(header, value);
        }
        let response = request.send().await.expect("tick");
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_internal_token")),
            "{label}: {body}"
        );
    }
    let (status, report) = tick(&app.base_url, Some(&right)).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["started"], 0, "{report}");
    assert_eq!(report["more_due"], false, "{report}");
    // The bearer form is accepted too (a cron's curl -H 'Authorization: ...').
    let response = app
        .request(reqwest::Method::POST, "/internal/tick")
        .bearer_auth(&right)
        .send()
        .await
        .expect("tick");
    assert_eq!(response.status().as_u16(), 200);
    let response = app
        .request(reqwest::Method::GET, "/internal/tick")
        .send()
        .await
        .expect("get");
    assert_eq!(response.status().as_u16(), 405);
}

#[tokio::test]
async fn a_tick_runs_a_queued_analysis_and_a_second_tick_finds_nothing() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let file_id = processing_file(&app, &key, box_stl([10.0, 10.0, 10.0], 1)).await;
    let id = insert_job(&app, "analyze_file", &file_id, 5).await;

    tick_runs_one_job_to_done(&app).await;
    let row = job(&app, id).await;
    assert_eq!(
        (row.status.as_str(), row.attempts, row.leased),
        ("done", 1, false),
        "{row:?}"
    );
    assert_eq!(file_state(&app, &file_id).await.0, "ready");
    let (_, file) = get(&app, &key, &format!("/v1/files/{file_id}")).await;
    // A 10 mm cube: 1 cm³.
    let volume = file["metrics_json"]["volume_cm3"].as_f64().expect("volume");
    assert!((volume - 1.0).abs() < 1e-9, "{file}");

    let (_, again) = internal_tick(&app).await;
    assert_eq!(again["started"], 0, "{again}");
}

#[tokio::test]
async fn a_job_whose_lease_expired_is_reclaimed_and_a_leased_one_is_left_alone() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let leased_file = processing_file(&app, &key, box_stl([10.0, 10.0, 10.0], 1)).await;
    let dead_worker_file = processing_file(&app, &key, box_stl([20.0, 10.0, 10.0], 1)).await;
    let leased = insert_job(&app, "analyze_file", &leased_file, 5).await;
    let orphaned = insert_job(&app, "analyze_file", &dead_worker_file, 5).await;
    let db = app.db().await;
    // One worker is still within its lease; the other's lease ran out (it died).
    for (id, lease) in [(leased, "60 seconds"), (orphaned, "-1 seconds")] {
        db.execute(
            &format!(
                "update background_jobs set status = 'running', attempts = 1, \
                 lease_until = now() + interval '{lease}' where id = $1"
            ),
            &[&id],
        )
        .await
        .expect("lease");
    }

    tick_runs_one_job_to_done(&app).await;
    let reclaimed = job(&app, orphaned).await;
    assert_eq!(
        (reclaimed.status.as_str(), reclaimed.attempts),
        ("done", 2),
        "{reclaimed:?}"
    );
    assert!(
        reclaimed
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("lease expired: attempt 1")),
        "{reclaimed:?}"
    );
    assert_eq!(file_state(&app, &dead_worker_file).await.0, "ready");
    let untouched = job(&app, leased).await;
    assert_eq!(
        (
            untouched.status.as_str(),
            untouched.attempts,
            untouched.leased
        ),
        ("running", 1, true),
        "{untouched:?}"
    );
    assert_eq!(file_state(&app, &leased_file).await.0, "processing");
}

#[tokio::test]
async fn a_failing_analysis_backs_off_then_is_dead_lettered_and_its_file_fails() {
    // An object store nobody answers on: every fetch fails (transiently, as
    // far as the analysis can tell).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let app = spawn_upload_app_with(&[
        ("s3_endpoint", &format!("http://127.0.0.1:{port}")),
        ("s3_host", &format!("127.0.0.1:{port}")),
    ])
    .await;
    let key = new_key(&app, "test").await;
    // Presign only signs a URL; nothing reaches the store.
    let file_id = presigned_processing_file(&app, &key).await;
    let id = insert_job(&app, "analyze_file", &file_id, 3).await;

    // Attempts 1 and 2 fail and are retried after 10 s, then 20 s
    // (shared/work: 10 s doubling per failed attempt).
    for (attempt, backoff) in [(1, 10.0), (2, 20.0)] {
        let (status, report) = internal_tick(&app).await;
        assert_eq!(
            (status, report["retried"].as_i64()),
            (200, Some(1)),
            "{report}"
        );
        let row = job(&app, id).await;
        assert_eq!(
            (row.status.as_str(), row.attempts),
            ("queued", attempt),
            "{row:?}"
        );
        assert!(
            (backoff - 2.0..=backoff).contains(&row.due_in_secs),
            "attempt {attempt}: due in {} s, expected {backoff} s",
            row.due_in_secs
        );
        let error = row.last_error.expect("last_error");
        assert!(error.contains("handler answered 503"), "{error}");
        assert_eq!(file_state(&app, &file_id).await.0, "processing");
        // Not due yet: a tick now leaves it alone.
        let (_, idle) = internal_tick(&app).await;
        assert_eq!(idle["started"], 0, "{idle}");
        make_due(&app, id).await;
    }

    let (_, report) = internal_tick(&app).await;
    assert_eq!(report["dead"], 1, "{report}");
    let row = job(&app, id).await;
    assert_eq!(
        (row.status.as_str(), row.attempts, row.leased),
        ("dead", 3, false),
        "{row:?}"
    );
    assert!(
        row.last_error.as_deref().is_some_and(|e| e.contains("503")),
        "{row:?}"
    );
    let (status, reason) = file_state(&app, &file_id).await;
    assert_eq!(status, "failed");
    assert!(
        reason
            .as_deref()
            .is_some_and(|r| r.contains("after 3 attempts")),
        "{reason:?}"
    );
    let (_, later) = internal_tick(&app).await;
    assert_eq!(later["started"], 0, "a dead job stays dead: {later}");
}

#[tokio::test]
async fn a_job_of_a_kind_nobody_handles_is_dead_lettered_with_the_reason() {
    let app = spawn_upload_app().await;
    let id = insert_job(&app, "no_such_kind", "file_x", 2).await;
    let (_, first) = internal_tick(&app).await;
    assert_eq!(first["retried"], 1, "{first}");
    make_due(&app, id).await;
    let (_, second) = internal_tick(&app).await;
    assert_eq!(second["dead"], 1, "{second}");
    let row = job(&app, id).await;
    assert_eq!((row.status.as_str(), row.attempts), ("dead", 2), "{row:?}");
    assert_eq!(
        row.last_error.as_deref(),
        Some("no handler for kind `no_such_kind`")
    );
}

#[tokio::test]
async fn a_missing_object_fails_the_file_and_completes_the_job() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    // Presigned but never uploaded, yet marked processing.
    let file_id = presigned_processing_file(&app, &key).await;
    let id = insert_job(&app, "analyze_file", &file_id, 5).await;
    let (_, report) = internal_tick(&app).await;
    assert_eq!(report["done"], 1, "{report}");
    assert_eq!(job(&app, id).await.status, "done");
    let (status, reason) = file_state(&app, &file_id).await;
    assert_eq!(status, "failed");
    assert!(
        reason.as_deref().is_some_and(|r| r.contains("missing")),
        "{reason:?}"
    );
}

#[tokio::test]
async fn the_fast_path_and_concurrent_ticks_run_a_confirmed_analysis_once() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    // Big enough that the analysis is still running while the ticks arrive.
    let bytes = sphere_stl(20.0, 300, 300);
    let presigned = presign(&app, &key, "ball.stl", "model/stl", bytes.len()).await;
    assert_eq!(put(&app, &presigned, bytes).await, 200);
    let file_id = presigned["file_id"].as_str().expect("id").to_owned();
    let (status, body) = post(
        &app,
        &key,
        "/v1/files/confirm",
        &json!({"file_id": file_id}),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("processing")),
        "{body}"
    );
    let mut started = 0;
    for _ in 0..5 {
        let (_, report) = internal_tick(&app).await;
        started += report["started"].as_i64().expect("started");
    }
    let file = wait_ready(&app, &key, &file_id).await;
    assert_eq!(file["status"], "ready", "{file}");
    // The worker records the outcome just after the handler answered.
    let db = app.db().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let open: i64 = db
            .query_one(
                "select count(*) from background_jobs where status = 'running'",
                &[],
            )
            .await
            .expect("running jobs")
            .get(0);
        if open == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the job stayed running");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let row = db
        .query_one(
            "select count(*), min(attempts), min(status) from background_jobs \
             where payload->>'file_id' = $1",
            &[&file_id],
        )
        .await
        .expect("jobs");
    assert_eq!(
        (
            row.get::<_, i64>(0),
            row.get::<_, i32>(1),
            row.get::<_, String>(2)
        ),
        (1, 1, "done".to_owned()),
        "one job, one attempt"
    );
    // The fast path usually holds the lease; a tick that came first ran it
    // instead, and then the fast path found nothing to claim.
    assert!(started <= 1, "{started} ticks started the one job");
}

// ------------------------------------------------------- the host dies

/// A `spin-local` process serving the app, killed (SIGKILL) on drop.
struct HostProcess {
    child: Child,
    base_url: String,
    _state: tempfile::TempDir,
}

impl HostProcess {
    /// Starts `target/debug/spin-local` on a free port against `app`'s
    /// database, with `app`'s internal token and a short work lease.
    async fn start(app: &TestApp, lease_secs: u32) -> Self {
        let binary = repo_root().join("target/debug/spin-local");
        assert!(
            binary.exists(),
            "{} is missing: `cargo build --bin spin-local` (scripts/test.sh builds it)",
            binary.display()
        );
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
        let root = repo_root();
        let mut command = Command::new(&binary);
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
        ] {
            command.args(["--variable", &format!("{name}={value}")]);
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
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

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for HostProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test]
async fn an_analysis_whose_host_was_killed_finishes_after_a_restart_without_any_client_action() {
    // The lease must outlast one analysis of this file on a loaded machine
    // (else the ticker would start a second attempt beside the first).
    const LEASE_SECS: u32 = 15;
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    // Just under the 32 MiB upload limit (626,080 triangles, 31.3 MB), so the
    // analysis is long enough to be killed in the middle of.
    let (slices, stacks) = (560u32, 560u32);
    let bytes = sphere_stl(20.0, slices, stacks);
    let presigned = presign(&app, &key, "ball.stl", "model/stl", bytes.len()).await;
    assert_eq!(put(&app, &presigned, bytes).await, 200);
    let file_id = presigned["file_id"].as_str().expect("id").to_owned();

    // Host A confirms; its after-response fast path claims the analysis.
    let mut host_a = HostProcess::start(&app, LEASE_SECS).await;
    let confirm = app
        .client
        .post(format!("{}/v1/files/confirm", host_a.base_url))
        .bearer_auth(&key)
        .json(&json!({"file_id": file_id}))
        .send()
        .await
        .expect("confirm");
    assert_eq!(confirm.status().as_u16(), 200);
    let db = app.db().await;
    let job_id: i64 = db
        .query_one(
            "select id from background_jobs where kind = 'analyze_file' and payload->>'file_id' = $1",
            &[&file_id],
        )
        .await
        .expect("the confirm queued the analysis")
        .get(0);
    let deadline = Instant::now() + Duration::from_secs(30);
    while job(&app, job_id).await.status != "running" {
        assert!(
            Instant::now() < deadline,
            "the fast path never claimed the job"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Mid-analysis: kill the host.
    host_a.kill();
    let killed = Instant::now();
    let row = job(&app, job_id).await;
    assert_eq!(
        (row.status.as_str(), row.attempts),
        ("running", 1),
        "{row:?}"
    );
    assert_eq!(
        file_state(&app, &file_id).await.0,
        "processing",
        "the analysis finished before the kill; use a bigger file"
    );

    // Restart, and let the printer-gateway's ticker (its real code) call the
    // tick route. Nobody calls the API.
    let host_b = HostProcess::start(&app, LEASE_SECS).await;
    let ticker = printer_gateway::Ticker::new(
        &host_b.base_url,
        printer_gateway::Secret::new(app.internal_token.clone()),
        Duration::from_millis(500),
    );
    let ticking = tokio::spawn(ticker.run());
    let deadline = Instant::now() + Duration::from_secs(120);
    while !["done", "dead"].contains(&job(&app, job_id).await.status.as_str()) {
        assert!(
            Instant::now() < deadline,
            "the analysis never finished: {:?}",
            job(&app, job_id).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    ticking.abort();
    let recovered_after = killed.elapsed();
    eprintln!(
        "work_queue: ready {:.1} s after the kill (lease {LEASE_SECS} s)",
        recovered_after.as_secs_f64()
    );
    let (status, _) = file_state(&app, &file_id).await;
    assert_eq!(status, "ready");
    let row = job(&app, job_id).await;
    assert_eq!((row.status.as_str(), row.attempts), ("done", 2), "{row:?}");
    let (_, file) = get(&app, &key, &format!("/v1/files/{file_id}")).await;
    let triangles = i64::from(2 * slices * (stacks - 1));
    assert_eq!(
        file["metrics_json"]["triangle_count"].as_i64(),
        Some(triangles),
        "{file}"
    );
    drop(host_b);
}
