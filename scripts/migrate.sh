#!/usr/bin/env bash
# Applies migrations/NNNN_*.sql to one database, in order, each file exactly
# once and each in its own transaction. Applied versions are recorded in
# schema_migrations. Creates the database first when it does not exist.
#
#   scripts/migrate.sh [postgres://user@host:port/dbname]
#
# Safe to run concurrently: against one database a session-level advisory lock
# serialises the runs (advisory locks are per database, so runs against
# different databases do not wait for each other). The test harness calls this
# for every test database, so it costs two psql processes and nothing else.
# A migration file must not contain BEGIN/COMMIT itself: the script wraps it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
url=${1:-${FARM_PG_URL:-postgres://farm@127.0.0.1:55432/farm}}
db=${url##*/}
db=${db%%\?*}
server=${url%/*}
[ -n "$db" ] && [ "$server" != "$url" ] || { echo "usage: $0 postgres://user@host:port/dbname" >&2; exit 2; }

psql_run() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# Create the database when missing. Two runs racing to create the same one: the
# loser's CREATE fails, and the check afterwards finds the winner's database.
create_sql="select count(*) = 0 as missing from pg_database where datname = :'db' \\gset
\\if :missing
create database :\"db\";
\\endif"
if ! printf '%s\n' "$create_sql" | psql_run -v db="$db" "$server/postgres" >/dev/null 2>&1; then
  psql_run -tA -v db="$db" "$server/postgres" -c "select 1 from pg_database where datname = '$db'" | grep -q 1 ||
    { printf '%s\n' "$create_sql" | psql_run -v db="$db" "$server/postgres"; exit 1; }
fi

# One session: take the lock, then for each file decide (under the lock) whether
# it is pending, and apply it together with its schema_migrations row.
{
  echo "set client_min_messages = warning;"
  echo "select pg_advisory_lock(7270270001);"
  echo "create table if not exists schema_migrations (version text primary key, applied_at timestamptz not null default now());"
  for file in "$root"/migrations/[0-9][0-9][0-9][0-9]_*.sql; do
    [ -e "$file" ] || continue
    version=$(basename "$file" .sql)
    cat <<EOF
select count(*) = 0 as pending from schema_migrations where version = '$version' \\gset
\\if :pending
\\echo applying $version
begin;
\\i '$file'
insert into schema_migrations (version) values ('$version');
commit;
\\endif
EOF
  done
  echo "select pg_advisory_unlock(7270270001);"
} | psql_run -o /dev/null "$url"
