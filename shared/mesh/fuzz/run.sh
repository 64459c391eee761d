#!/usr/bin/env bash
# Runs every fuzz target for a bounded time: bash shared/mesh/fuzz/run.sh [SECONDS_PER_TARGET]
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# Seeds come from the shared corpus; findings land in fuzz/artifacts (git-ignored).
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_PER_TARGET="${1:-60}"
CORPUS_SRC="../../../shared/corpus"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
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
  cargo +nightly fuzz run "$target" "corpus/$target" -- \
    -max_total_time="$SECONDS_PER_TARGET" -max_len=262144 -rss_limit_mb=2048 -timeout=10
done
echo "all targets ran ${SECONDS_PER_TARGET}s without a crash"
