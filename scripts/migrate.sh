#!/usr/bin/env bash
# Applies migrations/NNNN_*.sql to one database, each file once, in order.
# Applied versions are recorded in schema_migrations; an advisory lock makes
# concurrent runs against the same database safe. Creates the database first
# when it does not exist.
#
#   scripts/migrate.sh [postgres://user@host:port/dbname]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
url=${1:-${FARM_PG_URL:-postgres://farm@127.0.0.1:55432/farm}}
db=${url##*/}
db=${db%%\?*}
server=${url%/*}

psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

if ! psql_q -tA "$server/postgres" -c "select 1 from pg_database where datname = '$db'" | grep -q 1; then
  psql_q "$server/postgres" -c "create database \"$db\"" 2>/dev/null ||
    psql_q -tA "$server/postgres" -c "select 1 from pg_database where datname = '$db'" | grep -q 1
fi

# One psql session: take the lock, then apply each pending file in its own
# transaction, so a failed file leaves every earlier one applied and recorded.
{
  echo "set client_min_messages = warning;"
  echo "select pg_advisory_lock(727274);"
  echo "create table if not exists schema_migrations (version text primary key, applied_at timestamptz not null default now());"
  for file in "$root"/migrations/[0-9][0-9][0-9][0-9]_*.sql; do
    [ -e "$file" ] || continue
    version=$(basename "$file" .sql)
    cat <<EOF
\\if \`psql -X -qtA "$url" -c "select count(*) = 0 from schema_migrations where version = '$version'" 2>/dev/null || echo t\`
begin;
\\i $file
insert into schema_migrations (version) values ('$version');
commit;
\\endif
EOF
  done
  echo "select pg_advisory_unlock(727274);"
} | psql_q -o /dev/null "$url"
