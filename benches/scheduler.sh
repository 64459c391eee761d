#!/usr/bin/env bash
# The scheduler benchmark (issue 12): 10,000 queued parts of mixed sizes and
# materials on 100 printers. Prints the time to assign them all (goal < 1 s),
# the plates used against the issue's bound (bare footprint / bed area; goal
# within 10 %) and against the bound any packing that keeps the spacing must
# meet, beside a naive shelf packer measured in the same run, and a simulated
# day's printing hours against printers × 24 h (clears counted) and the time
# to print everything against total print hours / printers.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -q -p farm-scheduler --bin scheduler-bench
