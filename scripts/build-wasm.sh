#!/usr/bin/env bash
# Builds every Wasm component (each components/*/ crate whose crate-type is
# cdylib) and every test fixture (tests/fixtures/*) for wasm32-wasip2 in
# release, in one cargo invocation, so the artifacts land where spin.toml's
# `source` paths point: target/wasm32-wasip2/release/<name>.wasm.
#
#   scripts/build-wasm.sh [extra cargo args...]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Quick when the target is already installed. Our machines set
# RUSTUP_AUTO_INSTALL=0, so rust-toolchain.toml alone does not install it.
rustup target add wasm32-wasip2 >/dev/null 2>&1 || rustup target add wasm32-wasip2

package_name() { # Cargo.toml -> the `name` of its [package] section
  awk '/^\[/ { in_pkg = ($0 == "[package]") }
       in_pkg && /^name *=/ { gsub(/^name *= *"|".*$/, ""); print; exit }' "$1"
}

packages=()
for manifest in components/*/Cargo.toml; do
  grep -Eq '^crate-type *= *\[[^]]*"cdylib"' "$manifest" && packages+=(-p "$(package_name "$manifest")")
done
for manifest in tests/fixtures/*/Cargo.toml; do
  [ -e "$manifest" ] && packages+=(-p "$(package_name "$manifest")")
done
[ ${#packages[@]} -gt 0 ] || { echo "build-wasm: no Wasm crates found" >&2; exit 1; }

echo "build-wasm: cargo build --target wasm32-wasip2 --release ${packages[*]}" >&2
cargo build --target wasm32-wasip2 --release "${packages[@]}" "$@"
