#!/usr/bin/env bash
# The one command that runs every test: starts the services, builds the Wasm
# components, then runs `cargo test` over the native workspace crates (the
# root Cargo.toml's default-members), including the integration tests in
# tests/ that run the real components in the local host against the services,
# and the Wasm components' own unit tests natively (`cargo test --lib`).
#
#   scripts/test.sh [extra cargo test args...]   e.g. scripts/test.sh -p printer-gateway
#
# Without arguments it then runs scripts/schemathesis.sh (the OpenAPI document
# checked against the running app), which counts as one test.
# Exits non-zero when anything fails; the last line is "N passed, N failed".
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
state=${FARM_STATE_DIR:-$root/.state}
mkdir -p "$state/logs"
log="$state/logs/test.log"

step() { printf '\n==> %s\n' "$*" >&2; }

step "services"
bash scripts/services.sh up
# The tests and the gateway read the service URLs from these variables: the
# test databases go to the fast, non-durable Postgres (FARM_TEST_PG_URL);
# FARM_RUN_PG_URL is only read by the check that the run instance is durable.
eval "$(bash scripts/services.sh env)"

# A failed Wasm build is reported at the end, but the native tests still run:
# their results tell more than a stop here would.
step "wasm components"
wasm_ok=1
bash scripts/build-wasm.sh || wasm_ok=0

# OpenCascade for shared/cad's STEP read-back test (test-only Python venv).
step "OpenCascade venv (scripts/ocp-venv.sh)"
# On failure the read-back test runs the script again and reports why.
if ocp_python=$(bash scripts/ocp-venv.sh); then export FARM_OCP_PYTHON=$ocp_python; fi
# The MCP conformance test (tests/tests/mcp_conformance.rs) drives /mcp with
# the official MCP Python SDK, pinned in a venv of its own.
step "MCP Python SDK (scripts/mcp-client.sh)"
FARM_MCP_PYTHON=$(bash scripts/mcp-client.sh)
export FARM_MCP_PYTHON

# The page tests (tests/tests/browser_pages.rs, browser_farm.rs) drive Debian's chromium
# through chromium-driver; they skip (loudly) only if it cannot be installed.
step "Browser (scripts/browser.sh)"
if FARM_CHROMEDRIVER=$(bash scripts/browser.sh); then export FARM_CHROMEDRIVER; fi

step "cargo test (native workspace crates)"
test_ok=1
cargo test --no-fail-fast "$@" 2>&1 | tee "$log" || test_ok=0
# The mesh-report tool's tests need the `cli` feature (its JSON output), which
# the workspace run leaves off; run them too unless the caller chose crates.
if [ "$#" = 0 ]; then
  step "cargo test -p mesh-engine --features cli --test cli (mesh-report)"
  cargo test --no-fail-fast -p mesh-engine --features cli --test cli 2>&1 | tee -a "$log" || test_ok=0
fi

# The Wasm components' own unit tests (pure logic in pages, platform, farm):
# their libraries build natively, but a component's cdylib only links for
# wasm32-wasip2, so they are not default-members (`cargo build` would fail).
# `cargo test --lib` builds just the test harness. Every component with a
# #[cfg(test)] that is not a default member is found here, so a new one is
# never left out.
if [ "$#" = 0 ]; then
  step "cargo test --lib (the Wasm components' unit tests, natively)"
  components=()
  for dir in components/*/; do
    dir=${dir%/}
    grep -q "\"$dir\"" Cargo.toml && continue # a default member: tested above
    grep -rqs '#\[cfg(test)\]' "$dir/src" || continue
    components+=(-p "$(sed -n 's/^name = "\(.*\)"$/\1/p' "$dir/Cargo.toml" | head -n 1)")
  done
  if [ ${#components[@]} -gt 0 ]; then
    cargo test --no-fail-fast --lib "${components[@]}" 2>&1 | tee -a "$log" || test_ok=0
  fi
fi

# The spec against the running app (scripts/schemathesis.sh): counted as one
# test in the summary. Skipped when cargo test was narrowed with arguments.
st_ok=skip
if [ "$#" = 0 ]; then
  step "schemathesis (/v1/openapi.json against the running app)"
  st_ok=1
  if [ "$wasm_ok" = 1 ]; then bash scripts/schemathesis.sh || st_ok=0; else st_ok=0; fi
fi

# Add up the per-binary "test result:" lines into one summary.
read -r passed failed ignored < <(awk '
  /^test result:/ {
    for (i = 1; i <= NF; i++) {
      if ($(i+1) ~ /^passed/) p += $i
      if ($(i+1) ~ /^failed/) f += $i
      if ($(i+1) ~ /^ignored/) g += $i
    }
  }
  END { print p + 0, f + 0, g + 0 }' "$log")

case $st_ok in
  1) passed=$((passed + 1)) ;;
  0) failed=$((failed + 1)) ;;
esac

echo
[ "$st_ok" = 0 ] && echo "FAILED: scripts/schemathesis.sh (see .state/logs/schemathesis.log)"
[ "$wasm_ok" = 1 ] || echo "FAILED: scripts/build-wasm.sh (Wasm components did not build)"
[ "$test_ok" = 1 ] || [ "$failed" -gt 0 ] || echo "FAILED: cargo test did not complete (build error?); see $log"
echo "$passed passed, $failed failed, $ignored skipped"
[ "$wasm_ok" = 1 ] && [ "$test_ok" = 1 ] && [ "$st_ok" != 0 ] && [ "$failed" = 0 ]
