-- Payments: an account's billing policy (autopay, caps, the provider's
-- customer and default payment method), its spend per month, and the
-- provider's webhook events. Written by components/payments; orders reads the
-- policy and reserves spend through farm_reserve_autonomous_spend.
--
-- Test and live are separate worlds (as in Stripe): each account has one
-- billing row per mode, and a test-mode row never names a provider object
-- (test keys never reach the provider; their payment method is `pm_card_visa`).

create table account_billing (
    account_id                text not null references accounts (id),
    livemode                  boolean not null,
    -- The provider's Customer (`cus_...`), created on the first SetupIntent.
    customer_id               text,
    -- The provider's PaymentMethod (`pm_...`) charged off-session.
    default_payment_method    text,
    autopay_enabled           boolean not null default false,
    -- Amounts in the smallest currency unit (cents). NULL = no cap set, and
    -- with no cap nothing is paid autonomously (never pay without a limit).
    max_per_order_cents       bigint check (max_per_order_cents >= 0),
    monthly_cap_cents         bigint check (monthly_cap_cents >= 0),
    -- A file's unit confidence must reach this for an autonomous order
    -- (seed 001: "Unit confidence above threshold (default 0.7)").
    unit_confidence_threshold real not null default 0.7
                              check (unit_confidence_threshold between 0 and 1),
    updated_at                timestamptz not null default now(),
    primary key (account_id, livemode)
);

-- What autonomous orders reserved per calendar month (UTC). A reservation is
-- added by farm_reserve_autonomous_spend and given back by
-- farm_release_autonomous_spend when the order is cancelled or its charge fails.
create table account_monthly_spend (
    account_id   text not null references accounts (id),
    livemode     boolean not null,
    month        date not null check (extract(day from month) = 1),  -- first day, UTC
    spent_cents  bigint not null default 0 check (spent_cents >= 0),
    primary key (account_id, livemode, month)
);

-- Every provider webhook event accepted (signature verified), once: the
-- primary key is the provider's `evt_...` id, so a repeated delivery inserts
-- nothing and enqueues nothing.
create table provider_events (
    id           text primary key,
    type         text not null,
    received_at  timestamptz not null default now(),
    payload      jsonb not null
);

-- One atomic step: checks autopay on, a default payment method, amount <=
-- max_per_order_cents and this month's spend + amount <= monthly_cap_cents;
-- when all hold, adds amount to the month's spend. Returns ok, the names of
-- every failed condition (autopay_disabled, no_default_payment_method,
-- over_per_order_cap, over_monthly_cap; a cap that is not set fails its
-- condition) and the month's spend after the call.
--
-- Atomic under concurrency: the month's row is created if missing and then
-- locked (SELECT ... FOR UPDATE) before it is read, so concurrent
-- reservations for one account and month run one after another, and each
-- sees the spend its predecessors committed (READ COMMITTED re-reads a
-- locked row after the lock is granted).
create or replace function farm_reserve_autonomous_spend(
    p_account text, p_livemode boolean, p_amount bigint)
returns table (ok boolean, failed text[], month_spent_cents bigint)
language plpgsql as $$
declare
  v_month date := date_trunc('month', now() at time zone 'utc')::date;
  v_billing account_billing%rowtype;
  v_spent bigint;
  v_failed text[] := '{}';
begin
  if p_amount is null or p_amount <= 0 then
    raise exception 'farm_reserve_autonomous_spend: amount must be positive, got %', p_amount;
  end if;

  insert into account_monthly_spend (account_id, livemode, month, spent_cents)
  values (p_account, p_livemode, v_month, 0)
  on conflict (account_id, livemode, month) do nothing;

  select s.spent_cents into v_spent from account_monthly_spend s
  where s.account_id = p_account and s.livemode = p_livemode and s.month = v_month
  for update;

  select * into v_billing from account_billing b
  where b.account_id = p_account and b.livemode = p_livemode;

  if not found or not v_billing.autopay_enabled then
    v_failed := v_failed || 'autopay_disabled'::text;
  end if;
  if v_billing.default_payment_method is null then
    v_failed := v_failed || 'no_default_payment_method'::text;
  end if;
  if v_billing.max_per_order_cents is null or p_amount > v_billing.max_per_order_cents then
    v_failed := v_failed || 'over_per_order_cap'::text;
  end if;
  if v_billing.monthly_cap_cents is null or v_spent + p_amount > v_billing.monthly_cap_cents then
    v_failed := v_failed || 'over_monthly_cap'::text;
  end if;

  if cardinality(v_failed) = 0 then
    update account_monthly_spend s set spent_cents = s.spent_cents + p_amount
    where s.account_id = p_account and s.livemode = p_livemode and s.month = v_month
    returning s.spent_cents into v_spent;
  end if;

  return query select cardinality(v_failed) = 0, v_failed, v_spent;
end;
$$;

-- Gives a reservation back to the month it was taken from (p_month: the
-- first day of that month, as the reservation's order recorded it). Never
-- goes below zero.
create or replace function farm_release_autonomous_spend(
    p_account text, p_livemode boolean, p_amount bigint, p_month date)
returns void
language plpgsql as $$
begin
  if p_amount is null or p_amount <= 0 then
    raise exception 'farm_release_autonomous_spend: amount must be positive, got %', p_amount;
  end if;
  update account_monthly_spend s set spent_cents = greatest(s.spent_cents - p_amount, 0)
  where s.account_id = p_account and s.livemode = p_livemode
    and s.month = date_trunc('month', p_month)::date;
end;
$$;
