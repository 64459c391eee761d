#!/usr/bin/env bash
# Runs the whole system locally: the services, the `farm` database migrated,
# the Wasm components, the local Spin host on http://127.0.0.1:3000, the
# simulated farm (farm-sim) and the printer-gateway of site `local`, which
# reaches the app only over HTTP with its site token (no database
# credentials) and spools its events under the state dir. Ctrl-C stops what it started
# (the services keep running; `scripts/services.sh down` stops them).
#
# The simulated printers run in LAN mode, as real Bambu printers do: each its
# own MQTT broker over TLS and FTPS endpoint on loopback (ports from
# FARM_SIM_LAN_BASE_PORT, 18830), and the gateway holds one pinned TLS
# connection per printer. The gateway pulls the work: each free printer
# claims a plate from the app, which the gateway slices, prints, reports,
# inspects (simulated: photos rendered from the part) and clears
# automatically. FARM_PRINTER_LINK=bridge runs the older shared-broker farm
# instead (reports only).
#
#   scripts/run.sh            FARM_LISTEN=127.0.0.1:3000 FARM_SIM_PRINTERS=10 to change
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
state=${FARM_STATE_DIR:-$root/.state}
listen=${FARM_LISTEN:-127.0.0.1:3000}
mkdir -p "$state/logs"

step() { printf '==> %s\n' "$*" >&2; }

step "services"
bash scripts/services.sh up
eval "$(bash scripts/services.sh env)"

# Serve from the durable instance only: a crash must not lose what was
# committed. (The test instance, FARM_PG_URL, runs with fsync off.)
db_url=$FARM_RUN_PG_URL
step "durability of the run database"
for setting in fsync synchronous_commit full_page_writes; do
  value=$(psql -X -qtA "$db_url" -c "show $setting")
  [ "$value" = on ] || {
    echo "error: $db_url has $setting=$value; scripts/run.sh serves only from a durable instance" >&2
    exit 1
  }
done
echo "fsync, synchronous_commit, full_page_writes: on ($db_url)" >&2

step "migrations (farm database)"
bash scripts/migrate.sh "$db_url"

step "wasm components"
bash scripts/build-wasm.sh

step "native binaries (host, gateway, simulated farm)"
# --bin without -p keeps the default members' feature set, so the host reuses
# the build `scripts/test.sh` made instead of compiling wasmtime a second time.
cargo build --bin spin-local --bin printer-gateway --bin farm-sim

# The app and the gateway share one internal token; it is generated once and
# kept under the state dir so restarts of either side agree.
token_file="$state/internal_token"
if [ ! -s "$token_file" ]; then
  (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$token_file")
fi
export SPIN_VARIABLE_INTERNAL_TOKEN=$(cat "$token_file")
export FARM_INTERNAL_TOKEN=$SPIN_VARIABLE_INTERNAL_TOKEN
# The farm operator's token (/farm, plate clear, utilisation): its own
# secret, not the internal token.
operator_file="$state/farm_operator_token"
if [ ! -s "$operator_file" ]; then
  (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$operator_file")
fi
export SPIN_VARIABLE_FARM_OPERATOR_TOKEN=$(cat "$operator_file")
export SPIN_VARIABLE_PUBLIC_BASE_URL=${SPIN_VARIABLE_PUBLIC_BASE_URL:-http://$listen}
# The simulated carrier's transit: a minute locally, so a shipped order is
# delivered (and order.delivered sent) within a session; empty means the
# carrier's days, as in production.
export SPIN_VARIABLE_FARM_TRANSIT_SECS=${SPIN_VARIABLE_FARM_TRANSIT_SECS:-60}
export SPIN_VARIABLE_DB_URL=$db_url
db_host=${db_url#*@}
export SPIN_VARIABLE_DB_HOST=${db_host%%/*}
# The gateway talks to the app's internal routes: events and work with the
# site token (below), the tick route (background work) on its timer...
export FARM_APP_URL=${FARM_APP_URL:-http://$listen}
export FARM_SITE=${FARM_SITE:-local}
export FARM_SPOOL_PATH=${FARM_SPOOL_PATH:-$state/gateway-spool.redb}
# ...and talks only to the printers of its site's configuration: here,
# exactly the simulated farm's printers.
export FARM_PRINTER_LINK=${FARM_PRINTER_LINK:-lan}
if [ "$FARM_PRINTER_LINK" = lan ]; then
  export FARM_SIM_MODE=lan
  # The printers keep their certificates here across runs (the gateway's
  # pins stay valid); the site file holds their access codes: owner only.
  export FARM_SIM_DIR=${FARM_SIM_DIR:-$state/farm-sim}
  export FARM_LAN_PRINTERS_FILE=${FARM_LAN_PRINTERS_FILE:-$state/lan-printers.json}
  export FARM_PIN_FILE=${FARM_PIN_FILE:-$state/printer-pins.json}
  # What the printers have loaded (printer i the i-th entry, round robin):
  # mostly black and white PLA, a few other colours and materials, so the
  # usual orders find a printer and the others wait for theirs.
  export FARM_SIM_FILAMENTS=${FARM_SIM_FILAMENTS:-PLA:000000FF,PLA:FFFFFFFF,PLA:000000FF,PLA:FFFFFFFF,PLA:8E9089FF,PETG:000000FF,PLA:C12E1FFF,PLA:0A2989FF,PETG:FFFFFFFF,ABS:000000FF}
  (umask 077 && target/debug/farm-sim --site-file >"$FARM_LAN_PRINTERS_FILE")
  # The simulated farm fails 10 % of its prints (a stop-class fault, HMS
  # 0300_4002); refusals, silent ignores and pause faults each need a
  # person to clear the printer, so they are off unless asked for.
  export FARM_SIM_STOP_FAULT_RATE=${FARM_SIM_STOP_FAULT_RATE:-0.1}
  export FARM_SIM_REFUSE_RATE=${FARM_SIM_REFUSE_RATE:-0}
  export FARM_SIM_IGNORE_RATE=${FARM_SIM_IGNORE_RATE:-0}
  export FARM_SIM_PAUSE_FAULT_RATE=${FARM_SIM_PAUSE_FAULT_RATE:-0}
  # The gateway's pull loop: every free printer claims its plates from the
  # app; each finished part is inspected by rendering it (5 % fail, with a
  # visible defect), and the plate changer clears the bed 5 s after a finish.
  export FARM_CLAIM_POLL_MS=${FARM_CLAIM_POLL_MS:-2000}
  export FARM_INSPECTOR=${FARM_INSPECTOR:-simulated}
  export FARM_SIM_INSPECTION_FAIL_RATE=${FARM_SIM_INSPECTION_FAIL_RATE:-0.05}
  export FARM_AUTO_CLEAR_SECS=${FARM_AUTO_CLEAR_SECS:-5}
else
  export FARM_PRINTERS=${FARM_PRINTERS:-$(target/debug/farm-sim --gateway-printers)}
fi
# Mail goes to the loopback catcher unless told otherwise.
export SPIN_VARIABLE_SMTP_HOST=${SPIN_VARIABLE_SMTP_HOST:-$FARM_SMTP_HOST}
export SPIN_VARIABLE_SMTP_PORT=${SPIN_VARIABLE_SMTP_PORT:-$FARM_SMTP_PORT}
# Payments go to the loopback Stripe stand-in (localstripe behind it) unless
# told otherwise (production: https://api.stripe.com and the account's keys).
export SPIN_VARIABLE_STRIPE_API_BASE=${SPIN_VARIABLE_STRIPE_API_BASE:-$FARM_STRIPE_API_BASE}
export SPIN_VARIABLE_STRIPE_WEBHOOK_SECRETS=${SPIN_VARIABLE_STRIPE_WEBHOOK_SECRETS:-$FARM_STRIPE_WEBHOOK_SECRET}
# Local webhook receivers listen on loopback; production leaves this false.
export SPIN_VARIABLE_WEBHOOK_ALLOW_PRIVATE_TARGETS=${SPIN_VARIABLE_WEBHOOK_ALLOW_PRIVATE_TARGETS:-true}

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stopped host, gateway and farm-sim (services still run: scripts/services.sh down)" >&2
}
trap cleanup INT TERM EXIT

bin=target/debug
# Every line the host and the components print goes to host.log; the
# terminal shows one line per request (the host's), without the gateway's
# routine successes (claims: each printer asks for work every
# FARM_CLAIM_POLL_MS; events; the tick) and the background work's, plus any
# component line that reports an error. The route list is in host.log too.
"$bin/spin-local" up --listen "$listen" --runtime-config-file runtime-config.toml -f spin.toml \
  > >(tee "$state/logs/host.log" | awk '
      /^Available Routes:/ || /^  [a-z0-9-]+: http:\/\// { next }
      /^\[[a-z0-9-]+\] / { if (/ error=| status=5[0-9][0-9] /) { print; fflush() } next }
      /^[A-Z]+ \/(internal\/(farm\/claims|farm\/events|farm\/photos|tick)|work\/)[^ ]* -> 2[0-9][0-9] / { next }
      { print; fflush() }' >&2) 2>&1 &
pids+=($!)
for _ in $(seq 300); do
  curl -s -o /dev/null "http://$listen/v1/catalog" && break
  kill -0 "${pids[0]}" 2>/dev/null || { echo "spin-local exited; see its output above" >&2; exit 1; }
  sleep 0.2
done

# The site's token: rotated on every start (the app keeps only its hash), so
# the gateway started below is the only holder.
step "site token for site $FARM_SITE"
FARM_SITE_TOKEN=$(bash scripts/site-token.sh "$FARM_SITE" "http://$listen")
export FARM_SITE_TOKEN
"$bin/farm-sim" >"$state/logs/farm-sim.log" 2>&1 &
pids+=($!)
# The gateway connects to every printer at start: let the farm listen first
# (its last printer's MQTT port: printer i of n on base + 2i), so the start
# logs no refused connections.
sim_last=$(( ${FARM_SIM_LAN_BASE_PORT:-18830} + 2 * (${FARM_SIM_PRINTERS:-10} - 1) ))
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$sim_last") 2>/dev/null && break
  sleep 0.1
done
# The gateway's whole log goes to its file; the terminal shows its plates:
# claimed, started, finished or failed, inspected, cleared, and trouble.
"$bin/printer-gateway" > >(tee "$state/logs/printer-gateway.log" |
  grep --line-buffered -E 'plate claimed|plate cleared|plate event|needs attention|WARN|ERROR' >&2) 2>&1 &
pids+=($!)
cat >&2 <<MSG

Farm API is up: http://$listen
  pages:      http://$listen/                  instant price: drop a mesh, 3D view, price, order
              http://$listen/docs              the API reference
              http://$listen/farm              operator view (token: cat $operator_file)
              http://$listen/orders/<public_order_id>, /review/<token>, /settings/<token>
                                               tracking, review and settings (links in API answers)
  get a key:  curl -X POST http://$listen/v1/connect -H 'content-type: application/json' \\
                -d '{"email":"you@example.com","name":"me"}'
  catalog:    curl http://$listen/v1/catalog
  mail sent:  curl $FARM_MAIL_MESSAGES_URL   (verification codes land here)
  logs:       $state/logs/ (host.log: every line, routes included; printer-gateway.log, farm-sim.log)
  printers:   $FARM_PRINTER_LINK mode${FARM_LAN_PRINTERS_FILE:+ (site file $FARM_LAN_PRINTERS_FILE, pins $FARM_PIN_FILE; pull loop, auto clear ${FARM_AUTO_CLEAR_SECS}s, inspector $FARM_INSPECTOR)}
  printers:   psql $db_url -c 'table printers'
  farm events: psql $db_url -c 'table farm_events'   (applied once each, from the gateway's spool)
Ctrl-C stops the host, the gateway and the simulated farm.

MSG
# Printers a person must look at (a lost plate, a fault) take no work until
# resolved; say so now rather than let orders wait unexplained.
flagged=$(psql -X -qtA "$db_url" -c "select string_agg(p.serial || ' (' || coalesce(
    (select e.detail->>'reason' from farm_events e where e.printer_id = p.id
      and e.kind in ('needs_attention', 'dispatch_failed') order by e.occurred_at desc limit 1),
    'no reason recorded') || ', since ' || to_char(p.updated_at, 'YYYY-MM-DD HH24:MI') || ' UTC)', '; ' order by p.serial)
  from printers p where p.needs_attention" 2>/dev/null || true)
if [ -n "$flagged" ]; then
  echo "note: printers needing a person (often left from an earlier run in this database; they take" \
    "no work until resolved on /farm or with POST /internal/farm/printers/<serial>/resolve): $flagged" >&2
fi

# Stop everything as soon as any one of the three exits.
wait -n "${pids[@]}" || true
echo "a child process exited; stopping the others" >&2
