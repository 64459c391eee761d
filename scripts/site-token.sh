#!/usr/bin/env bash
# Creates farm site NAME in the running app, or rotates its token, and prints
# the site token (fst_...) on stdout: the printer-gateway's FARM_SITE_TOKEN.
# The token is shown this once; the app keeps only its SHA-256. Rotating
# stops the previous token at once.
#
#   scripts/site-token.sh NAME [APP_URL]
#
# Calls POST /internal/farm/sites with the deployment's internal token:
# FARM_INTERNAL_TOKEN, else the one scripts/run.sh keeps under its state dir.
# APP_URL defaults to FARM_APP_URL, else http://127.0.0.1:3000.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
name=${1:?usage: scripts/site-token.sh NAME [APP_URL]}
app=${2:-${FARM_APP_URL:-http://127.0.0.1:3000}}
token=${FARM_INTERNAL_TOKEN:-}
if [ -z "$token" ]; then
  file=${FARM_STATE_DIR:-$root/.state}/internal_token
  [ -s "$file" ] || { echo "site-token: set FARM_INTERNAL_TOKEN (no $file)" >&2; exit 2; }
  token=$(cat "$file")
fi

answer=$(curl -sS --fail-with-body -X POST "$app/internal/farm/sites" \
  -H "x-farm-internal-token: $token" -H 'content-type: application/json' \
  -d "{\"name\":\"$name\"}") || { echo "site-token: the app refused: $answer" >&2; exit 1; }
python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' <<<"$answer"
