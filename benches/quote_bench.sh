#!/usr/bin/env bash
# Upload/quote benchmarks through the local host with real Postgres and the local S3 store (tools/s3-store):
#   - presign -> PUT -> confirm -> ready -> quote for a generated 10 MB binary
#     STL (baseline: the bare PUT of the same bytes);
#   - POST /v1/quotes under concurrent load as a ratio to GET /v1/catalog (the
#     host's ceiling, no database) and to authentication alone (the floor of
#     any request with a key: one statement), measured in the same run,
#     interleaved in rounds: req/s, p50/p99, CPU per request (host and
#     Postgres), time inside the component, and SQL statements per quote as
#     counted by the platform's connection wrapper (goal: ratio to catalog
#     >= 0.5, p99 < 25 ms, <= 3 statements).
# Knobs: BENCH_RUNS (5), BENCH_CONCURRENCY (16), BENCH_SECONDS (10, split over
# BENCH_ROUNDS, 2), BENCH_PROFILE (release; `dev` reuses the test build, whose
# dependencies such as wasmtime are optimised too). Arguments filter the
# benchmarks by name, e.g.
#   bash benches/quote_bench.sh concurrent
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/services.sh up
scripts/build-wasm.sh
cargo test --profile "${BENCH_PROFILE:-release}" -p farm-tests --test quotes_bench -- --ignored --nocapture --test-threads 1 "$@" 2>&1 | grep -E "BENCH |test result|panicked|^error(\[|:)" | sed -E "s/^.*(BENCH )/\1/"
