-- Authentication writes less per request (issue 9, item 7).
--
-- Every authenticated request used to write three rows: its per-minute
-- window, the day's usage and the key's last_used_at. Under load from one key
-- all three are the same rows, so requests queued on their locks and
-- Postgres spent most of authentication's time writing them (pgbench on our
-- 2-core machine, 16 clients, one key: 5,500-6,200 calls/s before, 11,000-
-- 16,000 after). Now:
-- - the per-minute window is the only row every request writes; it is the
--   usage record too. The sweep (about one request in 64) moves windows
--   older than an hour into usage_daily as it deletes them, so a day's usage
--   is usage_daily plus the live windows of that day (the accounts
--   component's usage_totals adds both);
-- - last_used_at is stamped at most once a minute (it is shown to a minute).

-- Windows counted before this migration are in usage_daily already: drop
-- them so they are not counted twice (the current minute's limit restarts).
delete from rate_limit_windows;

create or replace function farm_authenticate(
    p_key_hash text, p_window_start bigint, p_day date, p_sweep boolean, p_cutoff bigint)
returns table (key_id text, account_id text, key_hash text, mode text, scopes text, window_count bigint)
language plpgsql as $$
#variable_conflict use_column
begin
  -- p_day is kept for callers of the previous signature; the day of a
  -- window is derived from its start.
  return query
  with k as (
    select a.id, a.account_id, a.key_hash, a.mode, a.scopes, a.last_used_at from api_keys a
    where a.key_hash = p_key_hash and a.revoked_at is null),
  counted as (
    insert into rate_limit_windows as w (key_id, window_start, count)
    select k.id, p_window_start, 1 from k
    on conflict (key_id, window_start) do update set count = w.count + 1
    returning w.count),
  touched as (
    update api_keys a set last_used_at = now()
    where a.id = (select k.id from k
                  where k.last_used_at is null or k.last_used_at < now() - interval '60 seconds')),
  moved as (
    delete from rate_limit_windows w where p_sweep and w.window_start < p_cutoff
    returning w.key_id, w.window_start, w.count),
  rolled as (
    insert into usage_daily as u (key_id, account_id, day, requests)
    select m.key_id, a.account_id, (to_timestamp(m.window_start) at time zone 'UTC')::date, sum(m.count)
    from moved m join api_keys a on a.id = m.key_id
    group by m.key_id, a.account_id, (to_timestamp(m.window_start) at time zone 'UTC')::date
    on conflict (key_id, day) do update set requests = u.requests + excluded.requests)
  select k.id, k.account_id, k.key_hash, k.mode, k.scopes, (select c.count from counted c)::bigint
  from k;
end $$;
