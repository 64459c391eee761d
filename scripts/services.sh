#!/usr/bin/env bash
# Makes the services the app needs available on loopback: PostgreSQL 15 (two
# instances), Redis, Mosquitto, an S3-compatible store (farm-s3-store,
# tools/s3-store: the s3s-fs library behind AWS's signed-header and
# conditional-write rules; built here with cargo on first use) and a mail
# catcher (aiosmtpd from PyPI in a venv, scripts/mail-catcher.py: SMTP in,
# received mail readable as JSON over HTTP) and the payment provider for tests
# (localstripe from PyPI in a venv, scripts/localstripe-serve.py, behind
# scripts/stripe-standin.py, which adds Stripe's Checkout Sessions and
# Idempotency-Key and forwards everything else: one base URL). A service
# already answering on its port is used as it is; otherwise the script installs
# what is missing and starts a private instance with its data under
# $FARM_STATE_DIR (./.state).
#
# PostgreSQL runs twice:
#   - the run instance (:55433, FARM_RUN_PG_PORT) that scripts/run.sh serves
#     from: durable (fsync, synchronous_commit and full_page_writes on, as
#     PostgreSQL ships), so a crash of the machine loses no committed order;
#   - the test instance (:55432, FARM_PG_PORT) for scripts/test.sh and .ci/run,
#     where tests create hundreds of throwaway databases: fsync,
#     synchronous_commit and full_page_writes off, because its data is never
#     worth a flush.
#
#   scripts/services.sh up      start (or reuse) all of them, wait until each answers
#   scripts/services.sh down    stop the instances this state dir started
#   scripts/services.sh status  one line per service
#   scripts/services.sh env     export lines for the URLs (eval "$(scripts/services.sh env)")
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state=${FARM_STATE_DIR:-$root/.state}
mkdir -p "$state" && state=$(cd "$state" && pwd)
PG_PORT=${FARM_PG_PORT:-55432}
RUN_PG_PORT=${FARM_RUN_PG_PORT:-55433}
REDIS_PORT=${FARM_REDIS_PORT:-16379}
MQTT_PORT=${FARM_MQTT_PORT:-11883}
S3_PORT=${FARM_S3_PORT:-19000}
SMTP_PORT=${FARM_SMTP_PORT:-11025}
MAIL_HTTP_PORT=${FARM_MAIL_HTTP_PORT:-11080}
# The app's stripe_api_base (the stand-in) and localstripe behind it.
STRIPE_PORT=${FARM_STRIPE_PORT:-12111}
LOCALSTRIPE_PORT=${FARM_LOCALSTRIPE_PORT:-18420}
# The stand-in signs checkout.session.completed with it; the app's
# stripe_webhook_secrets default holds the same value.
STRIPE_WEBHOOK_SECRET=${FARM_STRIPE_WEBHOOK_SECRET:-whsec_farm_local}
# Pinned: the catcher is test infrastructure, upgraded on purpose only.
AIOSMTPD_VERSION=1.4.6
# Pinned likewise; 1.15.10 checked on CPython 3.11.
LOCALSTRIPE_VERSION=1.15.10
S3_ACCESS_KEY=farmlocal
S3_SECRET_KEY=farmlocalsecret
S3_REGION=us-east-1
S3_BUCKET=farm-uploads
# PostgreSQL refuses to run as root, so a private cluster belongs to this user.
PG_OS_USER=${FARM_PG_OS_USER:-postgres}
# cargo is not always on PATH (CI, sudo).
PATH=$PATH:${CARGO_HOME:-$HOME/.cargo}/bin
# The store is built into the workspace's target dir (a cache in CI).
S3_STORE_BIN=$root/target/s3-store/release/farm-s3-store

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }
as_root() { if is_root; then "$@"; else sudo "$@"; fi; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # name, seconds, command...: retry every 0.2 s until the command succeeds
  local name=$1 tries=$(($2 * 5)); shift 2
  for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  die "$name is not answering on loopback ($*); logs are in $state/logs/"
}

# ------------------------------------------------------------------ installs
apt_install() { # package...
  log "installing Debian packages: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

pg_bindir() { # newest installed server version
  local d found=""
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && found=$d; done
  [ -n "$found" ] && echo "$found"
}

ensure_packages() {
  local missing=()
  pg_bindir >/dev/null || missing+=(postgresql)
  command -v psql >/dev/null || missing+=(postgresql-client)
  command -v pg_isready >/dev/null || missing+=(postgresql-client)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v redis-cli >/dev/null || missing+=(redis-tools)
  command -v mosquitto >/dev/null || missing+=(mosquitto)
  command -v mosquitto_pub >/dev/null || missing+=(mosquitto-clients)
  command -v curl >/dev/null || missing+=(curl ca-certificates)
  # The slicer behind farm-slicing's PrusaSlicer (its tests and
  # benches/quote_accuracy.sh run it headless).
  command -v prusa-slicer >/dev/null || missing+=(prusa-slicer)
  # The gateway grabs one frame of an X1's RTSPS camera with ffmpeg
  # (printer-gateway/src/camera.rs; its tests run the real program).
  command -v ffmpeg >/dev/null || missing+=(ffmpeg)
  # Its tests read a real RTSPS server: GStreamer's rtsp-server through
  # Debian's Python GI (tools/rtsps-camera/serve.py; --check asks GI for each
  # element it uses and for a TLS backend), with an openssl-made certificate.
  /usr/bin/python3 "$root/tools/rtsps-camera/serve.py" --check >/dev/null 2>&1 ||
    missing+=(python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base
      gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly glib-networking)
  command -v openssl >/dev/null || missing+=(openssl)
  if ! listening "$SMTP_PORT" || ! listening "$STRIPE_PORT"; then
    command -v python3 >/dev/null || missing+=(python3)
    python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
  fi
  [ ${#missing[@]} -eq 0 ] || apt_install $(printf '%s\n' "${missing[@]}" | sort -u)
}

# cargo rebuilds only when tools/s3-store changed; the first build takes a few
# minutes.
build_s3_store() {
  log "s3: building farm-s3-store (tools/s3-store) with cargo"
  cargo build --release --locked --quiet --manifest-path "$root/tools/s3-store/Cargo.toml" \
    --target-dir "$root/target/s3-store" >&2 || die "s3: farm-s3-store did not build"
}

# ------------------------------------------------------------------ postgres
# The cluster's directory must be reachable by $PG_OS_USER. A checkout inside a
# private directory (mktemp -d is mode 700) is not, so the cluster then lives in
# /var/tmp under a name derived from the state dir; .state/<instance>-datadir says where.
pg_datadir() { # instance name: pg (test) or pg-run
  local name=$1
  if [ -f "$state/$name-datadir" ]; then cat "$state/$name-datadir"; return; fi
  local dir="$state/$name"
  if is_root && ! su -s /bin/sh "$PG_OS_USER" -c "test -x '$state'" 2>/dev/null; then
    dir=/var/tmp/farm-api-$name-$(printf '%s' "$state" | cksum | cut -d' ' -f1)
  fi
  echo "$dir" >"$state/$name-datadir"
  echo "$dir"
}

as_pg() { # shell command line, run as the cluster's owner
  if is_root; then su -s /bin/sh "$PG_OS_USER" -c "$1"; else sh -c "$1"; fi
}

# Settings per instance: the test instance trades durability for speed; the
# run instance states PostgreSQL's durable defaults explicitly, so nothing in a
# postgresql.conf can turn them off unnoticed (scripts/run.sh checks them too).
PG_TEST_SETTINGS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
PG_RUN_SETTINGS="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"

start_postgres() { # instance name (pg | pg-run), port, settings
  local name=$1 port=$2 settings=$3
  if listening "$port"; then
    # Ports are per machine: a server another checkout started keeps its
    # data there, and this checkout's run and tests share it. Say so.
    local theirs ours var=FARM_PG_PORT
    [ "$name" = pg-run ] && var=FARM_RUN_PG_PORT
    theirs=$(psql -X -qtA "postgres://farm@127.0.0.1:$port/postgres" -c 'show data_directory' 2>/dev/null || true)
    ours=$(pg_datadir "$name")
    if [ -n "$theirs" ] && [ "$(realpath -m "$theirs")" != "$(realpath -m "$ours")" ]; then
      log "postgres ($name): using the server already on :$port, whose data is in $theirs (another checkout's);" \
        "$var and FARM_STATE_DIR give this one its own"
    else
      log "postgres ($name): using the server already on :$port"
    fi
  else
    local bin data sync_flag=""
    bin=$(pg_bindir) || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
    if is_root && ! id "$PG_OS_USER" >/dev/null 2>&1; then
      useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_OS_USER"
    fi
    data=$(pg_datadir "$name")
    mkdir -p "$data" "$state/logs"
    if is_root; then chown "$PG_OS_USER" "$data"; fi
    chmod 700 "$data"
    # The server log sits in the data dir (its owner may not reach $state).
    ln -sfn "$data/server.log" "$state/logs/postgres-$name.log"
    # Only the throwaway test cluster skips initdb's final flush.
    [ "$name" = pg ] && sync_flag=--no-sync
    if [ ! -f "$data/PG_VERSION" ]; then
      as_pg "'$bin/initdb' -D '$data' -U farm --auth=trust -E UTF8 --no-locale $sync_flag" \
        >"$state/logs/initdb-$name.log" 2>&1 || die "initdb failed: $(tail -5 "$state/logs/initdb-$name.log")"
    fi
    # The socket goes into the data dir, which the owner can always write.
    as_pg "'$bin/pg_ctl' -D '$data' -l '$data/server.log' -w -t 60 start -o \"-p $port \
      -h 127.0.0.1 -k '$data' $settings -c max_connections=400\"" >/dev/null ||
      die "postgres ($name) failed to start: $(tail -5 "$data/server.log" 2>&1)"
    log "postgres ($name): started on :$port (data in $data)"
  fi
  wait_for "postgres ($name)" 30 pg_isready -q -h 127.0.0.1 -p "$port"
  local admin="postgres://farm@127.0.0.1:$port/postgres"
  psql -X -qtA "$admin" -c 'select 1' >/dev/null 2>&1 ||
    die "postgres on :$port does not accept user farm without a password"
  if ! psql -X -qtA "$admin" -c "select 1 from pg_database where datname = 'farm'" | grep -q 1; then
    psql -X -q "$admin" -c 'create database farm' >/dev/null
  fi
}

# ------------------------------------------------------------------ redis
start_redis() {
  if listening "$REDIS_PORT"; then
    log "redis: using the server already on :$REDIS_PORT"
  else
    mkdir -p "$state/redis" "$state/logs"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$state/redis" --save '' --appendonly no \
      --daemonize yes --pidfile "$state/redis.pid" --logfile "$state/logs/redis.log"
    log "redis: started on :$REDIS_PORT"
  fi
  wait_for redis 20 sh -c "redis-cli -h 127.0.0.1 -p $REDIS_PORT ping | grep -q PONG"
}

# ------------------------------------------------------------------ mosquitto
start_mosquitto() {
  if listening "$MQTT_PORT"; then
    log "mosquitto: using the broker already on :$MQTT_PORT"
  else
    mkdir -p "$state/logs"
    cat >"$state/mosquitto.conf" <<EOF
listener $MQTT_PORT 127.0.0.1
allow_anonymous true
persistence false
EOF
    nohup mosquitto -c "$state/mosquitto.conf" >"$state/logs/mosquitto.log" 2>&1 </dev/null &
    echo $! >"$state/mosquitto.pid"
    log "mosquitto: started on :$MQTT_PORT"
  fi
  wait_for mosquitto 20 mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -t farm/ping -m ping
}

# ------------------------------------------------------------------ s3 store
s3_request() { # curl args...: one SigV4-signed request, prints the HTTP status
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
    --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@"
}

# The app relies on AWS's rule that a presigned request carrying an unsigned
# x-amz-* header is refused; a store that answers otherwise (s3s-fs 0.14.1,
# which this script used to start) would let a presigned PUT copy any object.
s3_refuses_unsigned_headers() {
  curl -s --max-time 5 -H 'x-amz-copy-source: /probe/probe' \
    "http://127.0.0.1:$S3_PORT/$S3_BUCKET/probe?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-SignedHeaders=host&X-Amz-Signature=0" |
    grep -q 'were not signed'
}

# The web pages upload by the presigned URL and fetch meshes from the app's
# origin: the store must answer CORS for it (on AWS: the bucket's CORS rules).
# Any port of the loopback names, since tests serve the app on a free port.
S3_CORS_ORIGINS=${FARM_S3_CORS_ORIGINS:-http://127.0.0.1:* http://localhost:*}
s3_allows_pages() {
  curl -s -o /dev/null -D - --max-time 5 -X OPTIONS -H 'Origin: http://127.0.0.1:3000' \
    -H 'Access-Control-Request-Method: PUT' "http://127.0.0.1:$S3_PORT/$S3_BUCKET/probe" |
    grep -qi '^access-control-allow-origin: http://127.0.0.1:3000'
}

start_s3() {
  # The s3s-fs that an older version of this script started is replaced (on
  # the same data), once the new store is built: the port is down only briefly.
  # So is a farm-s3-store this state dir started before it answered CORS.
  local replace=0
  if [ -f "$state/s3s-fs.pid" ] && listening "$S3_PORT"; then replace=1; fi
  if [ -f "$state/s3-store.pid" ] && listening "$S3_PORT" && ! s3_allows_pages; then replace=2; fi
  if [ "$replace" = 0 ] && listening "$S3_PORT"; then
    log "s3: using the store already on :$S3_PORT"
  else
    build_s3_store
    if [ "$replace" = 1 ]; then
      log "s3: replacing the s3s-fs this state dir started with farm-s3-store"
      stop_pidfile s3s-fs "$state/s3s-fs.pid"
    elif [ "$replace" = 2 ]; then
      log "s3: restarting the farm-s3-store this state dir started, now with CORS for the pages"
      stop_pidfile s3-store "$state/s3-store.pid"
    fi
    # Each directory under the root is a bucket.
    mkdir -p "$state/s3/$S3_BUCKET" "$state/logs"
    local cors=() origins origin
    read -r -a origins <<<"$S3_CORS_ORIGINS" # split on spaces, no globbing
    for origin in "${origins[@]}"; do cors+=(--cors-origin "$origin"); done
    nohup "$S3_STORE_BIN" --host 127.0.0.1 --port "$S3_PORT" --access-key "$S3_ACCESS_KEY" \
      --secret-key "$S3_SECRET_KEY" "${cors[@]}" "$state/s3" >"$state/logs/s3-store.log" 2>&1 </dev/null &
    echo $! >"$state/s3-store.pid"
    log "s3: started farm-s3-store on :$S3_PORT"
  fi
  wait_for s3 60 sh -c "curl -s -o /dev/null --max-time 2 http://127.0.0.1:$S3_PORT/"
  s3_refuses_unsigned_headers || die "s3: the store on :$S3_PORT accepts presigned requests \
with unsigned x-amz-* headers (an s3s-fs started by hand?); stop it and run '$0 up' again"
  s3_allows_pages || log "s3: WARNING: the store on :$S3_PORT answers no CORS for the app's origin \
(started by another state dir or by hand?): the web pages cannot upload to it; restart it with '$0 up'"
  # A store we did not start may serve another root: create the bucket by API.
  local url="http://127.0.0.1:$S3_PORT/$S3_BUCKET" code
  code=$(s3_request -I "$url")
  if [ "$code" = 404 ]; then code=$(s3_request -X PUT "$url") && code=$(s3_request -I "$url"); fi
  [ "$code" = 200 ] || die "s3: bucket $S3_BUCKET is not usable (HTTP $code with key $S3_ACCESS_KEY)"
}

# ------------------------------------------------------------------ mail catcher
start_mail() {
  if listening "$SMTP_PORT"; then
    log "mail: using the SMTP server already on :$SMTP_PORT"
  else
    local venv="$state/mail-venv"
    mkdir -p "$state/logs"
    if ! "$venv/bin/python" -c "import aiosmtpd" >/dev/null 2>&1; then
      log "mail: installing aiosmtpd $AIOSMTPD_VERSION into $venv"
      python3 -m venv "$venv"
      "$venv/bin/pip" install -q --disable-pip-version-check "aiosmtpd==$AIOSMTPD_VERSION" \
        >"$state/logs/mail-install.log" 2>&1 || die "pip install aiosmtpd failed: $(tail -5 "$state/logs/mail-install.log")"
    fi
    nohup "$venv/bin/python" "$root/scripts/mail-catcher.py" --smtp-port "$SMTP_PORT" \
      --http-port "$MAIL_HTTP_PORT" >"$state/logs/mail-catcher.log" 2>&1 </dev/null &
    echo $! >"$state/mail-catcher.pid"
    log "mail: catcher started, smtp :$SMTP_PORT, messages at http://127.0.0.1:$MAIL_HTTP_PORT/messages"
  fi
  wait_for mail 20 sh -c "curl -sf -o /dev/null --max-time 2 http://127.0.0.1:$MAIL_HTTP_PORT/messages"
}

# ------------------------------------------------------------------ payment provider
stripe_answers() { # port: a Stripe list call with a test key answers 200
  curl -sf -o /dev/null --max-time 2 -H 'Authorization: Bearer sk_test_probe' \
    "http://127.0.0.1:$1/v1/customers?limit=1"
}

start_stripe() {
  local venv="$state/stripe-venv"
  mkdir -p "$state/logs"
  if listening "$LOCALSTRIPE_PORT"; then
    log "localstripe: using the server already on :$LOCALSTRIPE_PORT"
  else
    if ! "$venv/bin/python" -c "import localstripe" >/dev/null 2>&1; then
      log "localstripe: installing localstripe $LOCALSTRIPE_VERSION into $venv"
      python3 -m venv "$venv"
      "$venv/bin/pip" install -q --disable-pip-version-check "localstripe==$LOCALSTRIPE_VERSION" \
        >"$state/logs/localstripe-install.log" 2>&1 ||
        die "pip install localstripe failed: $(tail -5 "$state/logs/localstripe-install.log")"
    fi
    nohup "$venv/bin/python" "$root/scripts/localstripe-serve.py" --port "$LOCALSTRIPE_PORT" \
      >"$state/logs/localstripe.log" 2>&1 </dev/null &
    echo $! >"$state/localstripe.pid"
    log "localstripe: started on :$LOCALSTRIPE_PORT"
  fi
  wait_for localstripe 30 stripe_answers "$LOCALSTRIPE_PORT"
  if listening "$STRIPE_PORT"; then
    log "stripe stand-in: using the server already on :$STRIPE_PORT"
  else
    nohup python3 "$root/scripts/stripe-standin.py" --port "$STRIPE_PORT" \
      --upstream "http://127.0.0.1:$LOCALSTRIPE_PORT" --webhook-secret "$STRIPE_WEBHOOK_SECRET" \
      >"$state/logs/stripe-standin.log" 2>&1 </dev/null &
    echo $! >"$state/stripe-standin.pid"
    log "stripe stand-in: started on :$STRIPE_PORT (forwarding to :$LOCALSTRIPE_PORT)"
  fi
  wait_for "stripe stand-in" 20 stripe_answers "$STRIPE_PORT"
}

# ------------------------------------------------------------------ commands
stop_pidfile() { # name, pidfile
  [ -f "$2" ] || return 0
  local pid; pid=$(cat "$2")
  if kill "$pid" 2>/dev/null; then
    # Wait for it to exit so that a following `up` finds the port free.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    log "$1: stopped (pid $pid)"
  fi
  rm -f "$2"
}

cmd_up() {
  ensure_packages
  start_postgres pg "$PG_PORT" "$PG_TEST_SETTINGS"
  start_postgres pg-run "$RUN_PG_PORT" "$PG_RUN_SETTINGS"
  start_redis
  start_mosquitto
  start_s3
  start_mail
  start_stripe
  log "ready: postgres :$RUN_PG_PORT (run) and :$PG_PORT (tests), redis :$REDIS_PORT, mosquitto :$MQTT_PORT, s3 :$S3_PORT, smtp :$SMTP_PORT, stripe :$STRIPE_PORT"
}

cmd_down() {
  local bin data name
  for name in pg pg-run; do
    data=$(cat "$state/$name-datadir" 2>/dev/null || echo "$state/$name")
    if [ -f "$data/postmaster.pid" ] && bin=$(pg_bindir); then
      as_pg "'$bin/pg_ctl' -D '$data' -m fast -w stop" >/dev/null 2>&1 && log "postgres ($name): stopped"
    fi
  done
  if [ -f "$state/redis.pid" ]; then
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 && log "redis: stopped"
    rm -f "$state/redis.pid"
  fi
  stop_pidfile mosquitto "$state/mosquitto.pid"
  stop_pidfile s3 "$state/s3-store.pid"
  stop_pidfile s3s-fs "$state/s3s-fs.pid"
  stop_pidfile mail "$state/mail-catcher.pid"
  stop_pidfile "stripe stand-in" "$state/stripe-standin.pid"
  stop_pidfile localstripe "$state/localstripe.pid"
}

cmd_status() {
  local name port pair
  for pair in "postgres-run:$RUN_PG_PORT" "postgres-test:$PG_PORT" "redis:$REDIS_PORT" "mosquitto:$MQTT_PORT" "s3:$S3_PORT" "smtp:$SMTP_PORT" "stripe:$STRIPE_PORT" "localstripe:$LOCALSTRIPE_PORT"; do
    name=${pair%%:*} port=${pair##*:}
    if listening "$port"; then echo "$name up 127.0.0.1:$port"; else echo "$name down 127.0.0.1:$port"; fi
  done
}

cmd_env() {
  # FARM_PG_* is the test instance (the harness creates its databases there);
  # FARM_RUN_PG_URL is the durable instance scripts/run.sh serves from.
  cat <<EOF
export FARM_RUN_PG_URL=postgres://farm@127.0.0.1:$RUN_PG_PORT/farm
export FARM_PG_URL=postgres://farm@127.0.0.1:$PG_PORT/farm
export FARM_PG_ADMIN_URL=postgres://farm@127.0.0.1:$PG_PORT/postgres
export FARM_TEST_PG_URL=postgres://farm@127.0.0.1:$PG_PORT/postgres
export FARM_REDIS_URL=redis://127.0.0.1:$REDIS_PORT
export FARM_MQTT_URL=mqtt://127.0.0.1:$MQTT_PORT
export FARM_S3_ENDPOINT=http://127.0.0.1:$S3_PORT
export FARM_S3_BUCKET=$S3_BUCKET
export FARM_S3_ACCESS_KEY=$S3_ACCESS_KEY
export FARM_S3_SECRET_KEY=$S3_SECRET_KEY
export FARM_S3_REGION=$S3_REGION
export FARM_SMTP_HOST=127.0.0.1
export FARM_SMTP_PORT=$SMTP_PORT
export FARM_MAIL_MESSAGES_URL=http://127.0.0.1:$MAIL_HTTP_PORT/messages
export FARM_STRIPE_API_BASE=http://127.0.0.1:$STRIPE_PORT
export FARM_STRIPE_WEBHOOK_SECRET=$STRIPE_WEBHOOK_SECRET
EOF
}

case "${1:-up}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) die "usage: $0 up|down|status|env" ;;
esac
