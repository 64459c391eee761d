#!/usr/bin/env bash
# Checks the running app against its own /v1/openapi.json with schemathesis,
# a spec-driven client nobody here wrote: every documented operation is sent
# examples, coverage cases (boundaries, missing fields, wrong types, unknown
# fields, undocumented methods) and fuzzed requests, and every answer is
# checked against the spec (status code, content type, headers, body schema,
# valid data accepted, invalid data rejected, no 5xx).
#
#   scripts/schemathesis.sh     (scripts/test.sh runs it after cargo test)
#
# Starts its own local host on a free loopback port over a fresh migrated
# database, with the rate limit raised so the run is not throttled, and makes
# an API key through POST /v1/connect. Bounded: at most ST_MAX_EXAMPLES cases
# per operation and phase, and ST_MAX_TIME seconds of fuzzing in all. The
# last line is "schemathesis: N passed, N failed" (operations); the exit
# status is non-zero on any failure.
#
# Needs the services (scripts/services.sh up) and the Wasm components built.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
state=${FARM_STATE_DIR:-$root/.state}
mkdir -p "$state/logs"
eval "$(bash scripts/services.sh env)"

# Pinned, so every machine checks with the same rules; bump on purpose.
version=4.32.5
venv="$state/schemathesis-venv"
max_examples=${ST_MAX_EXAMPLES:-25}
max_time=${ST_MAX_TIME:-60}

if [ "$("$venv/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $version" ]; then
  echo "installing schemathesis $version into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

# --bin without -p keeps the default members' feature set, so this reuses the
# host that cargo test built (as scripts/run.sh does).
cargo build --quiet --bin spin-local

db="farm_schemathesis_$$"
db_url="${FARM_PG_ADMIN_URL%/*}/$db"
bash scripts/migrate.sh "$db_url" >/dev/null

log="$state/logs/schemathesis-host.log"
host_pid=
cleanup() {
  local rc=$?
  if [ -n "$host_pid" ]; then
    kill "$host_pid" 2>/dev/null || true
    wait "$host_pid" 2>/dev/null || true
  fi
  psql -X -q "$FARM_PG_ADMIN_URL" -c "drop database if exists $db with (force)" >/dev/null 2>&1 || true
  exit "$rc"
}
trap cleanup EXIT

: >"$log"

# db_host feeds the outbound allow-list; spin.toml's default names the run
# instance, and this run uses the test instance.
db_host=$(printf '%s' "$db_url" | sed -E 's#^[a-z]+://([^@/]*@)?([^/]*)/.*#\2#')
SPIN_VARIABLE_DB_URL=$db_url \
SPIN_VARIABLE_DB_HOST=$db_host \
SPIN_VARIABLE_INTERNAL_TOKEN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n') \
SPIN_VARIABLE_RATE_LIMIT_PER_MINUTE=1000000 \
SPIN_VARIABLE_RATE_LIMIT_PER_DAY=100000000 \
SPIN_VARIABLE_STRIPE_API_BASE=$FARM_STRIPE_API_BASE \
SPIN_VARIABLE_STRIPE_WEBHOOK_SECRETS=$FARM_STRIPE_WEBHOOK_SECRET \
  target/debug/spin-local up --listen 127.0.0.1:0 --runtime-config-file runtime-config.toml -f spin.toml \
    --state-dir "$state/schemathesis-spin" \
  >"$log" 2>&1 &
host_pid=$!

base=
for _ in $(seq 600); do
  base=$(sed -n 's/^Serving \(http:[^ ]*\).*/\1/p' "$log" | head -1 || true)
  [ -n "$base" ] && curl -sf -o /dev/null "$base/v1/catalog" && break
  kill -0 "$host_pid" 2>/dev/null || { cat "$log" >&2; echo "spin-local exited" >&2; exit 1; }
  sleep 0.2
done
[ -n "$base" ] || { echo "spin-local did not start; see $log" >&2; exit 1; }

email="schemathesis-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')@example.com"
key=$(curl -sf "$base/v1/connect" -H 'content-type: application/json' \
  -d "{\"email\":\"$email\",\"name\":\"schemathesis\"}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["api_key"])')

report="$state/logs/schemathesis"
rm -rf "$report"
set +e
# Checks: schemathesis's defaults (all of the response checks, positive and
# negative data, missing headers, unsupported methods), with the one
# per-operation override in scripts/schemathesis.toml (the provider
# webhook). Run from the state dir, where schemathesis keeps its cache (.schemathesis/). One worker: with
# two, CPython 3.11 raised "AST constructor recursion depth mismatch" inside
# schemathesis on one run (its schema compilation is not thread-safe there),
# a failure of the tool, not of the app; --max-time bounds the run anyway.
(cd "$state" && "$venv/bin/schemathesis" --config-file "$root/scripts/schemathesis.toml" \
  run "$base/v1/openapi.json" \
  --header "Authorization: Bearer $key" \
  --phases examples,coverage,fuzzing \
  --max-examples "$max_examples" \
  --max-time "$max_time" \
  --workers 1 \
  --seed "${ST_SEED:-20261130}" \
  --no-color \
  --report junit --report-junit-path "$report/junit.xml" \
  --output-truncate false) 2>&1 | tee "$state/logs/schemathesis.log"
status=${PIPESTATUS[0]}
set -e

# Operations passed / failed, from the JUnit report (one test case each).
read -r passed failed < <(python3 - "$report/junit.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    cases = ET.parse(sys.argv[1]).getroot().iter("testcase")
except Exception:
    print(0, 1); sys.exit()
p = f = 0
for c in cases:
    if c.find("failure") is not None or c.find("error") is not None: f += 1
    elif c.find("skipped") is None: p += 1
print(p, f)
PY
)
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
echo "schemathesis: $passed passed, $failed failed"
[ "$status" = 0 ] && [ "$failed" = 0 ]
