#!/usr/bin/env bash
# Runs every fuzz target for a bounded time: bash shared/mesh/fuzz/run.sh [SECONDS_PER_TARGET]
# Installs cargo-fuzz when missing. The machine has only the stable toolchain:
# cargo-fuzz's instrumentation flags are nightly-only, so the build runs with
# RUSTC_BOOTSTRAP=1 and without a sanitizer (-s none; the workspace denies unsafe
# code, and debug assertions plus overflow checks stay on).
# Seeds come from the shared corpus; findings land in fuzz/artifacts (git-ignored),
# and the script exits non-zero on the first crash, timeout or memory blow-up.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_PER_TARGET="${1:-60}"
# The team reference folder sits beside the project checkout (../shared).
CORPUS_SRC="../../../../shared/corpus"
[ -d "$CORPUS_SRC" ] || { echo "no seed corpus at $CORPUS_SRC" >&2; exit 2; }
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --version 0.13.2 --locked
export RUSTC_BOOTSTRAP=1
seed() { # target, glob...
  local dir="corpus/$1"; shift
  mkdir -p "$dir"
  for f in "$@"; do [ -f "$f" ] && cp -n "$f" "$dir/" || true; done
}
seed stl_binary "$CORPUS_SRC"/synthetic/*.stl "$CORPUS_SRC"/assimp/test/models/STL/*_binary.stl
seed stl_ascii "$CORPUS_SRC"/synthetic/cube10_ascii.stl "$CORPUS_SRC"/assimp/test/models/STL/triangle*.stl
seed obj "$CORPUS_SRC"/synthetic/*.obj
seed threemf "$CORPUS_SRC"/synthetic/*.3mf "$CORPUS_SRC"/assimp/test/models/3MF/*.3mf
seed analyze "$CORPUS_SRC"/synthetic/*
for target in stl_binary stl_ascii obj threemf analyze; do
  echo "== $target (${SECONDS_PER_TARGET}s)"
  cargo fuzz run -s none "$target" "corpus/$target" -- \
    -max_total_time="$SECONDS_PER_TARGET" -max_len=262144 -rss_limit_mb=2048 -timeout=10
done
echo "all targets ran ${SECONDS_PER_TARGET}s without a crash"
