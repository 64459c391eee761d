-- Issue 14 leftovers: the per-key daily request limit, folded into the one
-- authentication statement, and buying generation credits through checkout.

-- Daily limit (seed 002: "1,000 requests/day" per key). No new row is
-- written per request: the day's count is read from what authentication
-- already keeps, the rolled-up usage_daily row of the day plus the live
-- per-minute windows of the day (the sweep moves windows older than an hour
-- into usage_daily as it deletes them, in one statement, so a window is in
-- exactly one of the two). The statement's snapshot predates its own upsert,
-- so the current window is taken from `counted` (exact under concurrency:
-- the upsert's row lock orders requests of the same minute) and excluded
-- from the sum. p_day is the UTC day (its start is p_day_start).
drop function if exists farm_authenticate(text, bigint, date, boolean, bigint);

create function farm_authenticate(
    p_key_hash text, p_window_start bigint, p_day date, p_sweep boolean, p_cutoff bigint,
    p_day_start bigint)
returns table (key_id text, account_id text, key_hash text, mode text, scopes text,
               window_count bigint, day_count bigint)
language plpgsql as $$
#variable_conflict use_column
begin
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
  select k.id, k.account_id, k.key_hash, k.mode, k.scopes,
         (select c.count from counted c)::bigint,
         ((select c.count from counted c)
          + coalesce((select sum(w.count) from rate_limit_windows w
                      where w.key_id = k.id and w.window_start >= p_day_start
                        and w.window_start <> p_window_start), 0)
          + coalesce((select u.requests from usage_daily u
                      where u.key_id = k.id and u.day = p_day), 0))::bigint
  from k;
end $$;

-- base_file_id (POST /v1/generations): the generated file whose part
-- program a turn edits, outside any conversation.
alter table generations add column base_file_id text references files (id);

-- Buying generation credits (seed 002: 100 credits for $4.99) through the
-- orders checkout: a purchase is a checkout session a person approves (test
-- mode: the local test checkout page or the test-helper completion; live:
-- the provider's Checkout Session, whose `checkout.session.completed` comes
-- back through apply_payment_event). Paying grants the credits once: the
-- status moves requires_payment -> paid under the row lock, and the ledger
-- holds at most one row per purchase.
create table credit_purchases (
    id                   text primary key,        -- cpur_<32 hex>
    account_id           text not null references accounts (id),
    livemode             boolean not null,
    credits              integer not null check (credits > 0),
    amount_cents         bigint not null check (amount_cents > 0),
    currency             text not null default 'USD',
    status               text not null default 'requires_payment'
                         check (status in ('requires_payment', 'paid')),
    checkout_session_id  text unique,
    approval_url         text,
    payment_intent       text,
    created_at           timestamptz not null default now(),
    paid_at              timestamptz
);
create index credit_purchases_account on credit_purchases (account_id, created_at desc);

alter table credit_transactions add column purchase_id text references credit_purchases (id);
create unique index credit_transactions_purchase_once on credit_transactions (purchase_id)
    where purchase_id is not null;
