#!/usr/bin/env bash
# Makes the services the app needs available on loopback: PostgreSQL 15, Redis,
# Mosquitto, an S3-compatible store (s3s-fs) and a mail catcher (aiosmtpd from
# PyPI in a venv, scripts/mail-catcher.py: SMTP in, received mail readable as
# JSON over HTTP). A service already answering on
# its port is used as it is; otherwise the script installs what is missing and
# starts a private instance with its data under $FARM_STATE_DIR (./.state).
#
#   scripts/services.sh up      start (or reuse) all five, wait until each answers
#   scripts/services.sh down    stop the instances this state dir started
#   scripts/services.sh status  one line per service
#   scripts/services.sh env     export lines for the URLs (eval "$(scripts/services.sh env)")
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state=${FARM_STATE_DIR:-$root/.state}
mkdir -p "$state" && state=$(cd "$state" && pwd)
PG_PORT=${FARM_PG_PORT:-55432}
REDIS_PORT=${FARM_REDIS_PORT:-16379}
MQTT_PORT=${FARM_MQTT_PORT:-11883}
S3_PORT=${FARM_S3_PORT:-19000}
SMTP_PORT=${FARM_SMTP_PORT:-11025}
MAIL_HTTP_PORT=${FARM_MAIL_HTTP_PORT:-11080}
# Pinned: the catcher is test infrastructure, upgraded on purpose only.
AIOSMTPD_VERSION=1.4.6
S3_ACCESS_KEY=farmlocal
S3_SECRET_KEY=farmlocalsecret
S3_REGION=us-east-1
S3_BUCKET=farm-uploads
# PostgreSQL refuses to run as root, so a private cluster belongs to this user.
PG_OS_USER=${FARM_PG_OS_USER:-postgres}
# `cargo install` puts s3s-fs here, which is not always on PATH (CI, sudo).
PATH=$PATH:${CARGO_HOME:-$HOME/.cargo}/bin

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
  if ! listening "$SMTP_PORT"; then
    command -v python3 >/dev/null || missing+=(python3)
    python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
  fi
  [ ${#missing[@]} -eq 0 ] || apt_install $(printf '%s\n' "${missing[@]}" | sort -u)
  if ! command -v s3s-fs >/dev/null && ! listening "$S3_PORT"; then
    log "installing s3s-fs (S3-compatible store) with cargo; takes a few minutes, once per machine"
    cargo install s3s-fs --version 0.14.1 --features binary --locked --quiet
  fi
}

# ------------------------------------------------------------------ postgres
# The cluster's directory must be reachable by $PG_OS_USER. A checkout inside a
# private directory (mktemp -d is mode 700) is not, so the cluster then lives in
# /var/tmp under a name derived from the state dir; .state/pg-datadir says where.
pg_datadir() {
  if [ -f "$state/pg-datadir" ]; then cat "$state/pg-datadir"; return; fi
  local dir="$state/pg"
  if is_root && ! su -s /bin/sh "$PG_OS_USER" -c "test -x '$state'" 2>/dev/null; then
    dir=/var/tmp/farm-api-pg-$(printf '%s' "$state" | cksum | cut -d' ' -f1)
  fi
  echo "$dir" >"$state/pg-datadir"
  echo "$dir"
}

as_pg() { # shell command line, run as the cluster's owner
  if is_root; then su -s /bin/sh "$PG_OS_USER" -c "$1"; else sh -c "$1"; fi
}

start_postgres() {
  if listening "$PG_PORT"; then
    log "postgres: using the server already on :$PG_PORT"
  else
    local bin data
    bin=$(pg_bindir) || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
    if is_root && ! id "$PG_OS_USER" >/dev/null 2>&1; then
      useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_OS_USER"
    fi
    data=$(pg_datadir)
    mkdir -p "$data" "$state/logs"
    if is_root; then chown "$PG_OS_USER" "$data"; fi
    chmod 700 "$data"
    # The server log sits in the data dir (its owner may not reach $state).
    ln -sfn "$data/server.log" "$state/logs/postgres.log"
    if [ ! -f "$data/PG_VERSION" ]; then
      as_pg "'$bin/initdb' -D '$data' -U farm --auth=trust -E UTF8 --no-locale --no-sync" \
        >"$state/logs/initdb.log" 2>&1 || die "initdb failed: $(tail -5 "$state/logs/initdb.log")"
    fi
    # fsync off: a disposable local instance where tests create many databases.
    # The socket goes into the data dir, which the owner can always write.
    as_pg "'$bin/pg_ctl' -D '$data' -l '$data/server.log' -w -t 60 start -o \"-p $PG_PORT \
      -h 127.0.0.1 -k '$data' -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
      -c max_connections=400\"" >/dev/null || die "postgres failed to start: $(tail -5 "$data/server.log" 2>&1)"
    log "postgres: started on :$PG_PORT (data in $data)"
  fi
  wait_for postgres 30 pg_isready -q -h 127.0.0.1 -p "$PG_PORT"
  local admin="postgres://farm@127.0.0.1:$PG_PORT/postgres"
  psql -X -qtA "$admin" -c 'select 1' >/dev/null 2>&1 ||
    die "postgres on :$PG_PORT does not accept user farm without a password"
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

# ------------------------------------------------------------------ s3s-fs
s3_request() { # curl args...: one SigV4-signed request, prints the HTTP status
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
    --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@"
}

start_s3() {
  if listening "$S3_PORT"; then
    log "s3: using the store already on :$S3_PORT"
  else
    # s3s-fs serves each directory under its root as a bucket.
    mkdir -p "$state/s3/$S3_BUCKET" "$state/logs"
    nohup s3s-fs --host 127.0.0.1 --port "$S3_PORT" --access-key "$S3_ACCESS_KEY" \
      --secret-key "$S3_SECRET_KEY" "$state/s3" >"$state/logs/s3s-fs.log" 2>&1 </dev/null &
    echo $! >"$state/s3s-fs.pid"
    log "s3: started on :$S3_PORT"
  fi
  wait_for s3 20 sh -c "curl -s -o /dev/null --max-time 2 http://127.0.0.1:$S3_PORT/"
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
  start_postgres
  start_redis
  start_mosquitto
  start_s3
  start_mail
  log "ready: postgres :$PG_PORT, redis :$REDIS_PORT, mosquitto :$MQTT_PORT, s3 :$S3_PORT, smtp :$SMTP_PORT"
}

cmd_down() {
  local bin data
  data=$(cat "$state/pg-datadir" 2>/dev/null || echo "$state/pg")
  if [ -f "$data/postmaster.pid" ] && bin=$(pg_bindir); then
    as_pg "'$bin/pg_ctl' -D '$data' -m fast -w stop" >/dev/null 2>&1 && log "postgres: stopped"
  fi
  if [ -f "$state/redis.pid" ]; then
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 && log "redis: stopped"
    rm -f "$state/redis.pid"
  fi
  stop_pidfile mosquitto "$state/mosquitto.pid"
  stop_pidfile s3 "$state/s3s-fs.pid"
  stop_pidfile mail "$state/mail-catcher.pid"
}

cmd_status() {
  local name port pair
  for pair in "postgres:$PG_PORT" "redis:$REDIS_PORT" "mosquitto:$MQTT_PORT" "s3:$S3_PORT" "smtp:$SMTP_PORT"; do
    name=${pair%%:*} port=${pair##*:}
    if listening "$port"; then echo "$name up 127.0.0.1:$port"; else echo "$name down 127.0.0.1:$port"; fi
  done
}

cmd_env() {
  cat <<EOF
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
EOF
}

case "${1:-up}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) die "usage: $0 up|down|status|env" ;;
esac
