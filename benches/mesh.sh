#!/usr/bin/env bash
# Mesh engine benchmark, one command: bash benches/mesh.sh [TRIANGLES...]
# Builds mesh-report natively and for wasm32-wasip2 (release), the wasmtime
# runner, a Python venv with trimesh, generates torus meshes of 100k, 1M and 4M
# triangles (benches/out, git-ignored) and prints, per size: our time, trimesh's,
# the ratio, peak memory of each, and Wasm/native.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add wasm32-wasip2 >/dev/null 2>&1 || true
cargo build --release -p mesh-engine --features cli --bin mesh-report
cargo build --release --target wasm32-wasip2 -p mesh-engine --features cli --bin mesh-report
# The runner's own speed does not matter (the guest's time is measured inside
# the guest and compilation is excluded), so it shares the dev build of wasmtime.
cargo build --bin mesh-wasm  # no -p: the feature set of the test build, so wasmtime is not built twice

if [ ! -x benches/.venv/bin/python ]; then
  python3 -m venv benches/.venv
  benches/.venv/bin/pip install --quiet trimesh numpy scipy networkx
fi

benches/.venv/bin/python benches/mesh_bench.py "$@"

# stl_io against our binary STL path, on the 1M file.
if [ -f benches/out/torus_1000000.stl ]; then
  cargo run --quiet --release -p mesh-engine --example stl_io_compare -- benches/out/torus_1000000.stl
fi
