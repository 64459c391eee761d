#!/usr/bin/env bash
# Upload/quote benchmarks through the local host with real Postgres and s3s-fs:
#   presign -> PUT -> confirm -> ready -> quote for a generated 10 MB binary STL
#   (baseline: the bare PUT of the same bytes), and POST /v1/quotes throughput
#   and p50/p99 under concurrent load (baseline: GET /v1/files/{id}).
# Knobs: BENCH_RUNS (5), BENCH_CONCURRENCY (16), BENCH_SECONDS (10).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/services.sh up
scripts/build-wasm.sh
cargo test --release -p farm-tests --test quotes_bench -- --ignored --nocapture --test-threads 1 2>&1 | grep -E '^BENCH|test result|panicked'
