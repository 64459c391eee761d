//! Benchmarks (ignored by default; run with `benches/quote_bench.sh`):
//! - presign → PUT → confirm → ready → quote for a generated 10 MB binary STL,
//!   against the baseline of the bare PUT of the same bytes to the store;
//! - throughput and p50/p99 latency of `POST /v1/quotes` under concurrent
//!   load, against the baseline of `GET /v1/files/{id}` (same auth, one
//!   database read) under the same load.

#[path = "upload_common.rs"]
mod common;

use common::*;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run benches/quote_bench.sh"]
async fn bench_presign_to_quote_for_a_10_mb_stl() {
    let app = spawn_upload_app_with(&[("rate_limit_per_minute", "1000000")]).await;
    let key = new_key(&app, "test").await;
    let stl = sphere_stl(60.0, 448, 224);
    let mb = stl.len() as f64 / 1e6;
    let runs = env_or("BENCH_RUNS", 5);
    let mut totals = Vec::new();
    let mut puts = Vec::new();
    for _ in 0..runs {
        // Baseline: the bare transfer of the same bytes to the store.
        let presigned = presign(&app, &key, "baseline.stl", "model/stl", stl.len()).await;
        let t = Instant::now();
        assert_eq!(put(&app, &presigned, stl.clone()).await, 200);
        puts.push(t.elapsed());

        let t = Instant::now();
        let file = upload(&app, &key, "sphere.stl", "model/stl", stl.clone()).await;
        assert_eq!(file["status"], "ready", "{file}");
        let (status, quote) = post(
            &app,
            &key,
            "/v1/quotes",
            &json!({"file_id": file["id"], "material_id": "pla", "quantity": 1}),
        )
        .await;
        assert_eq!(status, 201, "{quote}");
        totals.push(t.elapsed());
    }
    totals.sort();
    puts.sort();
    let median = |v: &[Duration]| v[v.len() / 2];
    println!(
        "BENCH presign->quote {mb:.1} MB binary STL ({} triangles): median {:.0} ms, best {:.0} ms over {runs} runs (target < 1000 ms); \
         baseline bare PUT median {:.0} ms; ratio {:.1}x",
        (stl.len() - 84) / 50,
        median(&totals).as_secs_f64() * 1e3,
        totals[0].as_secs_f64() * 1e3,
        median(&puts).as_secs_f64() * 1e3,
        median(&totals).as_secs_f64() / median(&puts).as_secs_f64()
    );
}

struct Load {
    requests: usize,
    errors: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Load {
    fn pct(&self, p: f64) -> f64 {
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[i].as_secs_f64() * 1e3
    }
    fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

async fn load(
    app: Arc<farm_tests::TestApp>,
    key: Arc<String>,
    concurrency: usize,
    duration: Duration,
    quote_body: Option<serde_json::Value>,
    path: String,
) -> Load {
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (app, key, body, path) = (app.clone(), key.clone(), quote_body.clone(), path.clone());
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            while start.elapsed() < duration {
                let t = Instant::now();
                let ok = match &body {
                    Some(b) => {
                        app.with_key(&key)
                            .post_json(&path, b)
                            .await
                            .status()
                            .as_u16()
                            == 201
                    }
                    None => app.with_key(&key).get(&path).await.status().as_u16() == 200,
                };
                lat.push(t.elapsed());
                if !ok {
                    errors += 1;
                }
            }
            (lat, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for w in workers {
        let (l, e) = w.await.expect("worker");
        latencies.extend(l);
        errors += e;
    }
    latencies.sort();
    Load {
        requests: latencies.len(),
        errors,
        elapsed: start.elapsed(),
        latencies,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run benches/quote_bench.sh"]
async fn bench_post_quotes_under_concurrent_load() {
    let app = Arc::new(spawn_upload_app_with(&[("rate_limit_per_minute", "100000000")]).await);
    let key = Arc::new(new_key(&app, "test").await);
    let file = upload(
        &app,
        &key,
        "cube.stl",
        "model/stl",
        box_stl([30.0, 20.0, 10.0], 1),
    )
    .await;
    let id = file["id"].as_str().expect("id").to_owned();
    let concurrency = env_or("BENCH_CONCURRENCY", 16) as usize;
    let secs = Duration::from_secs(env_or("BENCH_SECONDS", 10));
    let body = json!({"file_id": id, "material_id": "petg", "quantity": 25, "ship_country": "US"});
    let baseline = load(
        app.clone(),
        key.clone(),
        concurrency,
        secs,
        None,
        format!("/v1/files/{id}"),
    )
    .await;
    let quotes = load(
        app.clone(),
        key.clone(),
        concurrency,
        secs,
        Some(body),
        "/v1/quotes".into(),
    )
    .await;
    for (name, l) in [
        ("baseline GET /v1/files/{id}", &baseline),
        ("POST /v1/quotes", &quotes),
    ] {
        println!(
            "BENCH {name}: {} requests in {:.1} s with {concurrency} concurrent clients: {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms, errors {}",
            l.requests,
            l.elapsed.as_secs_f64(),
            l.rps(),
            l.pct(0.5),
            l.pct(0.99),
            l.errors
        );
    }
    println!(
        "BENCH POST /v1/quotes vs baseline: throughput ratio {:.2}, p50 ratio {:.2}, p99 ratio {:.2}",
        quotes.rps() / baseline.rps(),
        quotes.pct(0.5) / baseline.pct(0.5),
        quotes.pct(0.99) / baseline.pct(0.99)
    );
    assert_eq!(quotes.errors, 0);
}
