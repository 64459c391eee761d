#!/usr/bin/env bash
# Test-only: a Python venv with OpenCascade (`cadquery-ocp`, pinned) that
# reads our STEP files back as an independent kernel (shared/cad's
# `ocp_readback` test runs scripts/ocp_readback.py with it).
#
#   scripts/ocp-venv.sh        creates or reuses the venv; prints its python
#
# The venv lives in $FARM_STATE_DIR/ocp-venv (default .state/, git-ignored);
# a marker file holds the pinned version so a change of pin reinstalls.
set -euo pipefail

# cadquery-ocp bundles OpenCascade 8.0.1 (wheels for CPython 3.9-3.13).
OCP_PIN="cadquery-ocp==8.0.1.1.0"

root=$(cd "$(dirname "$0")/.." && pwd)
state=${FARM_STATE_DIR:-$root/.state}
venv="$state/ocp-venv"
marker="$venv/.farm-pin"

if [ ! -x "$venv/bin/python" ] || [ "$(cat "$marker" 2>/dev/null)" != "$OCP_PIN" ]; then
  mkdir -p "$state"
  python3 -m venv --clear "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$OCP_PIN" >&2
  "$venv/bin/python" -c 'import OCP.STEPControl' >&2
  echo "$OCP_PIN" >"$marker"
fi
echo "$venv/bin/python"
