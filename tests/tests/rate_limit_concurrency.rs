//! Per-key rate limits through the local host against real Postgres: exact
//! under concurrency, headers on every authenticated response, 429 with
//! Retry-After, the limit from the `rate_limit_per_minute` variable; the
//! daily limit (`rate_limit_per_day`) in the same statement.

use farm_tests::{AppBuilder, TestApp, spawn_app, unique_email, wait_for_mails};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

/// Windows are calendar minutes; start a burst early in one so that it
/// cannot straddle two windows.
async fn wait_for_fresh_window(max_burst_secs: u64) {
    farm_tests::clock::within_one_minute(max_burst_secs).await;
}

async fn new_key(app: &TestApp, email: &str) -> String {
    let r = app
        .post_json("/v1/connect", &json!({"email": email, "name": "rl"}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.expect("json")["api_key"]
        .as_str()
        .expect("key")
        .to_string()
}

fn header(r: &reqwest::Response, name: &str) -> i64 {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("missing or non-numeric {name} on a {} response", r.status()))
}

#[tokio::test]
async fn one_hundred_simultaneous_requests_with_one_key_let_exactly_sixty_through() {
    let app = spawn_app().await;
    let key = new_key(&app, "burst@example.com").await;
    wait_for_fresh_window(30).await;

    let sampler = ConnectionSampler::start(&app.db_name).await;
    let requests = (0..100).map(|_| {
        let request = app.with_key(&key).request(reqwest::Method::GET, "/v1/keys");
        async move { request.send().await.expect("send") }
    });
    let responses = futures_join_all(requests).await;
    let peak = sampler.stop().await;
    println!(
        "burst of 100: at most {peak} Postgres connections at once (pool {})",
        spin_local::DEFAULT_PG_MAX_CONNECTIONS
    );
    assert!(
        (1..=spin_local::DEFAULT_PG_MAX_CONNECTIONS as i64).contains(&peak),
        "the host held {peak} connections at once; its pool allows {}",
        spin_local::DEFAULT_PG_MAX_CONNECTIONS
    );

    let mut remaining_when_allowed = BTreeSet::new();
    let (mut ok, mut limited) = (0, 0);
    for r in responses {
        assert_eq!(header(&r, "x-ratelimit-limit"), 60);
        let reset = header(&r, "x-ratelimit-reset");
        assert_eq!(reset % 60, 0, "windows end on the minute");
        match r.status() {
            StatusCode::OK => {
                ok += 1;
                remaining_when_allowed.insert(header(&r, "x-ratelimit-remaining"));
            }
            StatusCode::TOO_MANY_REQUESTS => {
                limited += 1;
                assert_eq!(header(&r, "x-ratelimit-remaining"), 0);
                let retry_after = header(&r, "retry-after");
                assert!((1..=60).contains(&retry_after), "{retry_after}");
                let body: Value = r.json().await.expect("json");
                assert_eq!(body["error"], "rate_limit_exceeded");
                assert_eq!(body["retry_after_seconds"], retry_after);
                assert!(body["request_id"].is_string());
            }
            other => {
                panic!("unexpected status {other} (a 503 means Postgres refused a connection)")
            }
        }
    }
    assert_eq!((ok, limited), (60, 40));
    assert_eq!(
        remaining_when_allowed,
        (0..60).collect::<BTreeSet<i64>>(),
        "each count 1..=60 seen once"
    );

    let db = app.db().await;
    let counted = db
        .query_one(
            "select sum(count)::bigint from rate_limit_windows where key_id like 'key\\_%'",
            &[],
        )
        .await
        .expect("query");
    assert_eq!(counted.get::<_, i64>(0), 100);
}

#[tokio::test]
async fn the_limit_comes_from_the_variable_and_each_key_has_its_own_window() {
    let app = AppBuilder::farm()
        .variable("rate_limit_per_minute", "5")
        .spawn()
        .await;
    // Two keys of one account; the second through connect's mailed code,
    // which counts no request against either key.
    let email = unique_email("small");
    let first = new_key(&app, &email).await;
    let again = app
        .post_json("/v1/connect", &json!({"email": email, "name": "rl"}))
        .await;
    assert_eq!(again.status(), StatusCode::ACCEPTED);
    let mail = wait_for_mails(&email, 1, Duration::from_secs(20)).await;
    let code: String = mail[0]
        .text
        .split("Your verification code: ")
        .nth(1)
        .map(|rest| rest.chars().take(6).collect())
        .expect("a code");
    let verified = app
        .post_json("/v1/connect/verify", &json!({"email": email, "code": code}))
        .await;
    assert_eq!(verified.status(), StatusCode::CREATED);
    let second = verified.json::<Value>().await.expect("json")["api_key"]
        .as_str()
        .expect("key")
        .to_string();
    // The usage count below is per UTC day, the limit per minute.
    farm_tests::clock::within_one_utc_day(70).await;
    wait_for_fresh_window(10).await;

    for expected_remaining in (0..5).rev() {
        let r = app.with_key(&first).get("/v1/usage").await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(header(&r, "x-ratelimit-limit"), 5);
        assert_eq!(header(&r, "x-ratelimit-remaining"), expected_remaining);
    }
    let refused = app.with_key(&first).get("/v1/usage").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(header(&refused, "retry-after") >= 1);

    let other_key = app.with_key(&second).get("/v1/usage").await;
    assert_eq!(
        other_key.status(),
        StatusCode::OK,
        "limits are per key, not per account"
    );
    assert_eq!(header(&other_key, "x-ratelimit-remaining"), 4);
    let usage: Value = other_key.json().await.expect("json");
    assert_eq!(usage["limits"]["requests_per_minute"], 5);
    assert_eq!(
        usage["account_totals"]["requests_today"], 7,
        "refused requests are counted too"
    );
}

#[tokio::test]
async fn a_burst_waits_for_pooled_connections_instead_of_opening_one_each() {
    const POOL: usize = 4;
    let app = AppBuilder::farm()
        .variable("rate_limit_per_minute", "1000000")
        .variable("rate_limit_per_day", "100000000")
        .pg_max_connections(POOL)
        .spawn()
        .await;
    let key = new_key(&app, "pool@example.com").await;

    let sampler = ConnectionSampler::start(&app.db_name).await;
    let requests = (0..100).map(|_| {
        let request = app
            .with_key(&key)
            .request(reqwest::Method::GET, "/v1/usage");
        async move { request.send().await.expect("send") }
    });
    let responses = futures_join_all(requests).await;
    let peak = sampler.stop().await;
    println!("burst of 100 with a pool of {POOL}: at most {peak} Postgres connections at once");

    let statuses: BTreeSet<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses, BTreeSet::from([200]), "every request is served");
    assert!(
        (1..=POOL as i64).contains(&peak),
        "the host held {peak} connections to the database at once; its pool allows {POOL}"
    );
}

/// Samples, from the server's maintenance database, how many connections
/// one database has, and keeps the largest count seen.
struct ConnectionSampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<i64>,
}

impl ConnectionSampler {
    async fn start(db_name: &str) -> Self {
        let (admin, connection) =
            tokio_postgres::connect(&farm_tests::pg_admin_url(), tokio_postgres::NoTls)
                .await
                .expect("connect to the maintenance database");
        tokio::spawn(connection);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (flag, name) = (stop.clone(), db_name.to_string());
        let task = tokio::spawn(async move {
            let mut peak = 0;
            loop {
                let done = flag.load(std::sync::atomic::Ordering::SeqCst);
                let n: i64 = admin
                    .query_one(
                        // psql is the harness's migration (scripts/migrate.sh),
                        // whose backend can still be exiting when the burst
                        // starts on a loaded machine; only the host's count.
                        "select count(*) from pg_stat_activity \
                         where datname = $1 and application_name <> 'psql'",
                        &[&name],
                    )
                    .await
                    .expect("count connections")
                    .get(0);
                peak = peak.max(n);
                if done {
                    return peak;
                }
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        });
        Self { stop, task }
    }

    /// Stops sampling (after one last sample) and returns the peak.
    async fn stop(self) -> i64 {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.task.await.expect("sampler")
    }
}

#[tokio::test]
async fn unauthenticated_requests_carry_no_rate_limit_headers() {
    let app = spawn_app().await;
    let r = app.get("/v1/keys").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(!r.headers().contains_key("x-ratelimit-limit"));
    let r = app.get("/v1/catalog").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!r.headers().contains_key("x-ratelimit-limit"));
}

/// `join_all` without a futures dependency: spawn every request on the
/// runtime so they are in flight at once.
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<reqwest::Response>
where
    F: std::future::Future<Output = reqwest::Response> + Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("request task"));
    }
    out
}

/// The daily limit (seed 002: 1,000 requests/day; here `rate_limit_per_day`
/// = 10): the day's count is the key's rolled-up `usage_daily` row plus its
/// live windows of the day, yesterday's windows excluded; 20 simultaneous
/// requests with 6 left let exactly 6 through; the headers describe the day
/// when it has fewer requests left; a refusal names the day and retries at
/// midnight UTC.
#[tokio::test]
async fn the_daily_limit_counts_rolled_up_and_live_windows_and_is_exact_under_a_burst() {
    let app = AppBuilder::farm()
        .variable("rate_limit_per_minute", "1000")
        .variable("rate_limit_per_day", "10")
        .spawn()
        .await;
    let key = new_key(&app, "daily@example.com").await;
    farm_tests::clock::within_one_utc_day(120).await;
    wait_for_fresh_window(30).await;
    let db = app.db().await;
    let key_id: String = db
        .query_one(
            "select id from api_keys where revoked_at is null limit 1",
            &[],
        )
        .await
        .expect("key")
        .get(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let midnight = now - now % 86_400;
    // 3 requests of today already rolled up; 500 of yesterday's last
    // minute still live (they must not count).
    db.execute(
        "insert into usage_daily (key_id, account_id, day, requests) \
         select id, account_id, (now() at time zone 'UTC')::date, 3 from api_keys where id = $1",
        &[&key_id],
    )
    .await
    .expect("usage row");
    db.execute(
        "insert into rate_limit_windows (key_id, window_start, count) values ($1, $2, 500)",
        &[&key_id, &(midnight - 60)],
    )
    .await
    .expect("yesterday's window");

    let first = app.with_key(&key).get("/v1/usage").await;
    assert_eq!(first.status(), StatusCode::OK);
    // 4 of 10 used today; the minute has 999 left, so the day binds.
    assert_eq!(header(&first, "x-ratelimit-limit"), 10);
    assert_eq!(header(&first, "x-ratelimit-remaining"), 6);
    assert_eq!(header(&first, "x-ratelimit-reset"), midnight + 86_400);
    let usage: Value = first.json().await.expect("json");
    assert_eq!(usage["limits"]["requests_per_day"], 10);

    let burst = (0..20).map(|_| {
        let request = app
            .with_key(&key)
            .request(reqwest::Method::GET, "/v1/usage");
        async move { request.send().await.expect("send") }
    });
    let mut allowed = 0;
    let mut refused = None;
    for r in futures_join_all(burst).await {
        match r.status() {
            StatusCode::OK => allowed += 1,
            StatusCode::TOO_MANY_REQUESTS => refused = Some(r),
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(allowed, 6, "exactly the day's remaining 6 pass");
    let refused = refused.expect("a refusal");
    let after = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let retry = header(&refused, "retry-after");
    assert!(
        (midnight + 86_400 - after - 2..=midnight + 86_400 - now).contains(&retry),
        "Retry-After {retry} should reach midnight UTC"
    );
    assert_eq!(header(&refused, "x-ratelimit-remaining"), 0);
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error"], "rate_limit_exceeded");
    assert_eq!(body["limit_scope"], "day");
    assert_eq!(body["window_seconds"], 86_400);
    assert_eq!(body["limit"], 10);
}
