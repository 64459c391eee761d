#!/usr/bin/env bash
# The MCP client nobody here wrote: the official Python SDK (`mcp` on PyPI),
# pinned, in a venv under the state folder. Prints the venv's python, which
# tests/tests/mcp_conformance.rs runs tests/mcp/conformance.py with.
#
#   scripts/mcp-client.sh            -> /path/to/.state/mcp-venv/bin/python
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state=${FARM_STATE_DIR:-$root/.state}
mkdir -p "$state"

# Pinned, so every machine runs the same client; bump on purpose. 2.3.0
# speaks 2026-07-28 (mode="2026-07-28") and the 2025 handshake
# (mode="legacy", which negotiates 2025-11-25).
version=2.3.0
venv="$state/mcp-venv"

if [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("mcp"))' 2>/dev/null)" != "$version" ]; then
  echo "installing the MCP Python SDK $version into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "mcp==$version" >&2
fi
echo "$venv/bin/python"
