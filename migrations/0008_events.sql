-- The event outbox: every change a partner may hear about (an order's
-- transition, a file becoming ready or failing, a job printing, a generation
-- finishing) is a row here, written in the same transaction as the change
-- (farm_platform::events::record). Webhook deliveries, `GET /v1/events` and
-- order timelines read from it; nothing else records partner-visible events.
--
-- Farm-internal happenings (printer reports, dispatch outcomes) are not
-- partner events; they live in the farm's own tables.
create table events (
    id           text primary key,                  -- evt_<32 hex>
    -- One global order: cursor pagination and in-order delivery per order
    -- follow it (ids are random, created_at can tie).
    seq          bigint generated always as identity unique,
    account_id   text not null references accounts (id),
    -- Test-mode events reach only test-mode endpoints and test keys.
    livemode     boolean not null,
    -- Stripe-style dotted name: order.paid, file.ready, job.printing, ...
    type         text not null check (type ~ '^[a-z_]+(\.[a-z_]+)+$'),
    object_type  text not null check (object_type ~ '^[a-z_]+$'),
    object_id    text not null,
    -- Set for every event about an order (or the one-shot job that is one),
    -- so deliveries can keep per-order order.
    order_id     text,
    -- The envelope's `data`: the object as it was when the event happened.
    data         jsonb not null,
    created_at   timestamptz not null default now()
);
create index events_account_seq on events (account_id, livemode, seq desc);
create index events_object_seq on events (object_id, seq);
create index events_order_seq on events (order_id, seq) where order_id is not null;
