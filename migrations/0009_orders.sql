-- Orders (issue 10): a quote bought through checkout, an autonomous order or
-- a one-shot job (seed 000), one model for all three; test and live worlds
-- kept apart on files, quotes and orders. Applied once by scripts/migrate.sh.

-- Test and live are separate worlds, as in Stripe: a test key sees and
-- touches only objects created in test mode, a live key only live ones.
alter table files add column livemode boolean not null default true;
alter table quotes add column livemode boolean not null default true;
drop index if exists files_account_created;
create index files_account_created on files (account_id, livemode, created_at desc);
drop index if exists quotes_account_created;
create index quotes_account_created on quotes (account_id, livemode, created_at desc);

-- One order. Its amounts are copied from the server's quote at creation and
-- never from the client. Status moves only through farm_orders::status
-- (shared/orders), each change recorded in `events` in the same transaction.
create table orders (
    id                    text primary key,                 -- ord_<32 hex>
    account_id            text not null references accounts (id),
    livemode              boolean not null,
    -- The tracking link's key: 160 random bits (farm_orders::public_id).
    public_order_id       text not null unique,
    -- The key of the review page link (/review/{token}), 128 random bits.
    review_token          text not null unique,
    -- How it was placed: checkout (a person approves), autonomous (within the
    -- caps), job (seed 000's one-shot POST /v1/jobs, same rules as autonomous).
    source                text not null check (source in ('checkout', 'autonomous', 'job')),
    -- The job view's id (job_<32 hex>) for source = 'job'.
    job_id                text unique,
    status                text not null default 'requires_payment'
                          check (status in ('requires_payment', 'paid', 'queued', 'in_production',
                                            'shipped', 'delivered', 'cancelled', 'refunded')),
    quote_id              text not null references quotes (id),
    file_id               text not null references files (id),
    material              text not null,
    color                 text not null,
    quantity              integer not null check (quantity > 0),
    currency              text not null,
    unit_price_cents      bigint not null check (unit_price_cents >= 0),
    total_cents           bigint not null check (total_cents > 0),
    estimated_hours       double precision not null,        -- print hours per part
    estimated_ship        date,
    -- Checked by farm_orders::address (line1, city, country required); a
    -- one-shot job carries none (seed 000 has no address field).
    shipping_address      jsonb,
    -- Checkout session: cs_test_<32 hex> in test mode (our own test checkout
    -- page), the provider's cs_... in live mode.
    checkout_session_id   text unique,
    approval_url          text,
    payment_intent        text,
    -- Autonomous orders: the month whose spend reservation this order holds
    -- (given back by farm_release_autonomous_spend on cancel).
    spend_month           date,
    refund_id             text,
    amount_refunded_cents bigint not null default 0 check (amount_refunded_cents >= 0),
    tracking_number       text,
    inspection_photos     jsonb not null default '[]'::jsonb,
    created_at            timestamptz not null default now(),
    updated_at            timestamptz not null default now()
);
create index orders_account_created on orders (account_id, livemode, created_at desc);
create index orders_account_status on orders (account_id, livemode, status, created_at desc);

-- A paid order is one print task per part (quantity 25 -> 25 tasks). The
-- table stays the farm's queue (the gateway claims tasks by status); tasks
-- now belong to an order. `cancelled`: the order was cancelled before any
-- printer claimed the task.
alter table print_tasks alter column job_id drop not null;
alter table print_tasks add column order_id text references orders (id);
alter table print_tasks add column livemode boolean not null default true;
alter table print_tasks add constraint print_tasks_order_copy unique (order_id, copy_index);
alter table print_tasks add constraint print_tasks_has_owner check (job_id is not null or order_id is not null);
alter table print_tasks drop constraint if exists print_tasks_status_check;
alter table print_tasks add constraint print_tasks_status_check
    check (status in ('queued', 'claimed', 'printing', 'done', 'failed', 'cancelled'));
create index print_tasks_order on print_tasks (order_id) where order_id is not null;

-- The quote's file lookup (migrations/0007) within one world: a test key
-- quotes only test files, a live key only live ones.
create or replace function farm_quote_context(p_file_id text, p_account_id text, p_livemode boolean)
returns table (file files, backlog_hours float8, printers bigint)
language plpgsql stable as $$
begin
  return query
  select f,
         coalesce((select sum(t.estimated_hours) from print_tasks t
                   where t.status in ('queued', 'claimed', 'printing')), 0)::float8,
         (select count(*) from printers p where p.status <> 'offline')::bigint
  from files f where f.id = p_file_id and f.account_id = p_account_id and f.livemode = p_livemode;
end $$;
