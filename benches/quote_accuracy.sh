#!/usr/bin/env bash
# Quote accuracy: the quote's estimated grams and hours (mesh-engine, as
# quotes use it) against PrusaSlicer's for every suitable mesh of the corpus
# plus generated shapes, per material, with the farm's P1S profile
# (shared/slicing: profiles/ and the settings shared with mesh-engine).
# Prints a line per part and material, a table per material (median, p90 and
# maximum absolute error) and PASS/FAIL per goal; exits 1 when a goal fails.
#
#   bash benches/quote_accuracy.sh [--materials pla,petg] [--only NAME] [--dump DIR]
#
# FARM_CORPUS_DIR: the corpus (default ../shared/corpus beside the checkout).
# Slicer results are cached under target/quote-accuracy-cache, keyed by the
# mesh and every profile text the slicer receives, so a run after a change
# to the estimate alone takes seconds; a change to the profiles re-slices.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ! command -v prusa-slicer >/dev/null; then
  echo "installing prusa-slicer (Debian package)" >&2
  as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prusa-slicer >/dev/null
fi
corpus=${FARM_CORPUS_DIR:-$root/../shared/corpus}
[ -d "$corpus" ] || { echo "no corpus at $corpus (set FARM_CORPUS_DIR)" >&2; exit 2; }
cargo build --release --quiet -p farm-slicing --bin quote-accuracy
exec target/release/quote-accuracy "$corpus" --cache target/quote-accuracy-cache "$@"
