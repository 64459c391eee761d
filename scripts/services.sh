#!/usr/bin/env bash
# Makes the services the app needs available on loopback: PostgreSQL, Redis,
# Mosquitto and an S3-compatible store (s3s-fs). A service already answering on
# its port is used as it is; otherwise the script installs what is missing and
# starts a private instance with its data under $FARM_STATE_DIR (./.state).
#
#   scripts/services.sh up | down | status | env
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state=${FARM_STATE_DIR:-$root/.state}
PG_PORT=${FARM_PG_PORT:-55432}
REDIS_PORT=${FARM_REDIS_PORT:-16379}
MQTT_PORT=${FARM_MQTT_PORT:-11883}
S3_PORT=${FARM_S3_PORT:-19000}
S3_ACCESS_KEY=farmlocal
S3_SECRET_KEY=farmlocalsecret
S3_BUCKET=farm-uploads
# PostgreSQL refuses to run as root, so the private cluster belongs to this user.
PG_USER_OS=${FARM_PG_OS_USER:-postgres}

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # name, tries, command...
  local name=$1 tries=$2; shift 2
  for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  die "$name did not become ready (see $state/logs/)"
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() { # package...
  log "installing Debian packages: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return; }; done
  return 1
}

ensure_packages() {
  local missing=()
  pg_bindir >/dev/null || missing+=(postgresql)
  command -v psql >/dev/null || missing+=(postgresql-client)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v mosquitto >/dev/null && command -v mosquitto_pub >/dev/null || missing+=(mosquitto mosquitto-clients)
  command -v curl >/dev/null || missing+=(curl)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
  if ! command -v s3s-fs >/dev/null; then
    log "installing s3s-fs (S3-compatible store) with cargo; takes a few minutes once"
    cargo install s3s-fs --version 0.14.1 --features binary --locked --quiet
  fi
}

start_postgres() {
  if listening "$PG_PORT"; then log "postgres: using the one on :$PG_PORT"; return; fi
  local bin data="$state/pg"
  bin=$(pg_bindir) || die "PostgreSQL server binaries not found"
  id "$PG_USER_OS" >/dev/null 2>&1 || as_root useradd --system --no-create-home "$PG_USER_OS"
  mkdir -p "$data" "$state/logs" "$state/pg-sock"
  if [ "$(id -u)" = 0 ]; then chown "$PG_USER_OS" "$data" "$state/pg-sock"; chmod 700 "$data"; fi
  run_pg() { if [ "$(id -u)" = 0 ]; then su -s /bin/sh "$PG_USER_OS" -c "$*"; else sh -c "$*"; fi; }
  if [ ! -f "$data/PG_VERSION" ]; then
    run_pg "'$bin/initdb' -D '$data' -U farm --auth=trust -E UTF8 --no-sync" >"$state/logs/initdb.log" 2>&1 ||
      die "initdb failed: $(tail -5 "$state/logs/initdb.log")"
  fi
  touch "$state/logs/postgres.log"; [ "$(id -u)" = 0 ] && chown "$PG_USER_OS" "$state/logs/postgres.log"
  # fsync off: this is a disposable local instance, and tests create many databases.
  run_pg "'$bin/pg_ctl' -D '$data' -l '$state/logs/postgres.log' -w -t 60 start \
    -o \"-p $PG_PORT -h 127.0.0.1 -k '$state/pg-sock' -c fsync=off -c synchronous_commit=off \
        -c full_page_writes=off -c max_connections=400\"" >/dev/null ||
    die "postgres failed to start: $(tail -5 "$state/logs/postgres.log")"
  log "postgres: started on :$PG_PORT"
}

ensure_database() {
  wait_for postgres 150 psql "postgres://farm@127.0.0.1:$PG_PORT/postgres" -c 'select 1'
  psql -qtA "postgres://farm@127.0.0.1:$PG_PORT/postgres" -c "select 1 from pg_database where datname='farm'" | grep -q 1 ||
    psql -q "postgres://farm@127.0.0.1:$PG_PORT/postgres" -c 'create database farm' >/dev/null
}

start_redis() {
  if listening "$REDIS_PORT"; then log "redis: using the one on :$REDIS_PORT"; return; fi
  mkdir -p "$state/redis" "$state/logs"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$state/redis" --save '' --appendonly no \
    --daemonize yes --pidfile "$state/redis.pid" --logfile "$state/logs/redis.log"
  wait_for redis 100 redis-cli -p "$REDIS_PORT" ping
  log "redis: started on :$REDIS_PORT"
}

start_mosquitto() {
  if listening "$MQTT_PORT"; then log "mosquitto: using the one on :$MQTT_PORT"; return; fi
  mkdir -p "$state/logs"
  cat >"$state/mosquitto.conf" <<EOF
listener $MQTT_PORT 127.0.0.1
allow_anonymous true
persistence false
EOF
  nohup mosquitto -c "$state/mosquitto.conf" >"$state/logs/mosquitto.log" 2>&1 &
  echo $! >"$state/mosquitto.pid"
  wait_for mosquitto 100 mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -t farm/ping -m ping
  log "mosquitto: started on :$MQTT_PORT"
}

start_s3() {
  mkdir -p "$state/s3/$S3_BUCKET" "$state/logs"
  if listening "$S3_PORT"; then log "s3: using the one on :$S3_PORT"; return; fi
  nohup s3s-fs --host 127.0.0.1 --port "$S3_PORT" --access-key "$S3_ACCESS_KEY" --secret-key "$S3_SECRET_KEY" \
    "$state/s3" >"$state/logs/s3s-fs.log" 2>&1 &
  echo $! >"$state/s3s-fs.pid"
  wait_for s3 100 curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/"
  log "s3: started on :$S3_PORT (bucket $S3_BUCKET)"
}

stop_pidfile() { # file
  [ -f "$1" ] || return 0
  kill "$(cat "$1")" 2>/dev/null || true
  rm -f "$1"
}

cmd_up() {
  mkdir -p "$state"
  ensure_packages
  start_postgres
  ensure_database
  start_redis
  start_mosquitto
  start_s3
}

cmd_down() {
  local bin
  if [ -f "$state/pg/postmaster.pid" ] && bin=$(pg_bindir); then
    if [ "$(id -u)" = 0 ]; then su -s /bin/sh "$PG_USER_OS" -c "'$bin/pg_ctl' -D '$state/pg' -m fast stop" >/dev/null || true
    else "$bin/pg_ctl" -D "$state/pg" -m fast stop >/dev/null || true; fi
  fi
  [ -f "$state/redis.pid" ] && { redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; rm -f "$state/redis.pid"; }
  stop_pidfile "$state/mosquitto.pid"
  stop_pidfile "$state/s3s-fs.pid"
  log "stopped the services this checkout started"
}

cmd_status() {
  local name port
  for pair in "postgres:$PG_PORT" "redis:$REDIS_PORT" "mosquitto:$MQTT_PORT" "s3:$S3_PORT"; do
    name=${pair%%:*} port=${pair##*:}
    if listening "$port"; then echo "$name up :$port"; else echo "$name down :$port"; fi
  done
}

cmd_env() {
  cat <<EOF
export FARM_PG_URL=postgres://farm@127.0.0.1:$PG_PORT/farm
export FARM_TEST_PG_URL=postgres://farm@127.0.0.1:$PG_PORT/postgres
export FARM_REDIS_URL=redis://127.0.0.1:$REDIS_PORT
export FARM_MQTT_URL=mqtt://127.0.0.1:$MQTT_PORT
export FARM_S3_ENDPOINT=http://127.0.0.1:$S3_PORT
EOF
}

case "${1:-up}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) die "usage: $0 up|down|status|env" ;;
esac
