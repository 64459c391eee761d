-- The request path's statements as plpgsql functions, so Postgres plans them
-- once per connection instead of on every request.
--
-- Spin's Postgres interface (and the local host's) sends each statement as an
-- unnamed prepared statement: parsed and planned every time. Authentication's
-- five-part statement spent about three quarters of its Postgres time in the
-- planner (pgbench, unnamed vs prepared: 2,850 vs 13,800 per second on our
-- 2-core machine); PL/pgSQL keeps each statement's plan for the session, so
-- the same work through this function ran at 10,400 per second. One call is
-- still one statement, one round trip.

-- Authenticates and counts one request (components/platform/src/auth.rs):
-- finds the unrevoked key by its SHA-256, adds one to its per-minute window
-- and to the day's usage, stamps last_used_at, and when p_sweep is true
-- deletes windows that started before p_cutoff. Returns no row for an unknown
-- or revoked key (and then counts nothing). The row locks taken by the
-- upserts make the count exact under concurrency.
create or replace function farm_authenticate(
    p_key_hash text, p_window_start bigint, p_day date, p_sweep boolean, p_cutoff bigint)
returns table (key_id text, account_id text, key_hash text, mode text, scopes text, window_count bigint)
language plpgsql as $$
#variable_conflict use_column
begin
  return query
  with k as (
    select a.id, a.account_id, a.key_hash, a.mode, a.scopes from api_keys a
    where a.key_hash = p_key_hash and a.revoked_at is null),
  counted as (
    insert into rate_limit_windows as w (key_id, window_start, count)
    select k.id, p_window_start, 1 from k
    on conflict (key_id, window_start) do update set count = w.count + 1
    returning w.count),
  used as (
    insert into usage_daily as u (key_id, account_id, day, requests)
    select k.id, k.account_id, p_day, 1 from k
    on conflict (key_id, day) do update set requests = u.requests + 1),
  touched as (update api_keys a set last_used_at = now() where a.id = (select k.id from k)),
  swept as (delete from rate_limit_windows w where p_sweep and w.window_start < p_cutoff)
  select k.id, k.account_id, k.key_hash, k.mode, k.scopes, (select c.count from counted c)::bigint
  from k;
end $$;

-- A quote's inputs in one statement (components/upload-kit/src/quote.rs): the
-- caller's file as a `files` row, the hours of open print tasks and the
-- printers not offline. No row when the file is not the caller's.
create or replace function farm_quote_context(p_file_id text, p_account_id text)
returns table (file files, backlog_hours float8, printers bigint)
language plpgsql stable as $$
begin
  return query
  select f,
         coalesce((select sum(t.estimated_hours) from print_tasks t
                   where t.status in ('queued', 'claimed', 'printing')), 0)::float8,
         (select count(*) from printers p where p.status <> 'offline')::bigint
  from files f where f.id = p_file_id and f.account_id = p_account_id;
end $$;
