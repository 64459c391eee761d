-- Webhooks (issue 13): endpoints, their signing secrets, one delivery per
-- (endpoint, event) and every attempt of it.
--
-- A delivery is created in the same statement that records its event
-- (farm_platform::events::record), together with its first
-- `deliver_webhook` job of the work queue, so an event that exists always
-- reaches every endpoint subscribed at that moment. The webhook-sender
-- component runs the jobs: one job is one attempt; the next attempt is a new
-- job, queued with the attempt's record (farm-webhooks' schedule).
--
--   pending --2xx--> delivered
--      |--410 / endpoint disabled / 16 attempts failed--> failed
--      '--other answer--> pending (next job at next_attempt_at)
--
-- Order: deliveries of one endpoint that share an ordering key (the event's
-- order, else its object) go out in event order; a later one is `waiting`
-- until the earlier one is delivered or failed.

create table webhook_endpoints (
    id               text primary key,                 -- we_<32 hex>
    account_id       text not null references accounts (id),
    -- Test-mode endpoints receive only test-mode events, and the other way round.
    livemode         boolean not null,
    url              text not null,
    description      text not null default '',
    -- Subscribed event types (JSON array of strings; "*" is every type).
    events           jsonb not null default '["*"]'::jsonb,
    status           text not null default 'enabled' check (status in ('enabled', 'disabled')),
    -- Why it was disabled: `gone` (the receiver answered 410) or
    -- `failing` (3 days of failures without a success).
    disabled_reason  text,
    disabled_at      timestamptz,
    -- The first failure since the last success (null while healthy).
    failing_since    timestamptz,
    created_at       timestamptz not null default now(),
    deleted_at       timestamptz
);
create index webhook_endpoints_account on webhook_endpoints (account_id, livemode)
    where deleted_at is null;

-- Signing secrets. The current one has expires_at null; a rotation gives the
-- old one expires_at = now() + 24 h, and both sign until then. The key is
-- stored sealed (farm_signing::webhook::seal, under a key derived from the
-- internal token), never in clear: it must sign, so a hash would not do.
create table webhook_secrets (
    id           bigint generated always as identity primary key,
    endpoint_id  text not null references webhook_endpoints (id),
    sealed       text not null,
    created_at   timestamptz not null default now(),
    expires_at   timestamptz
);
create index webhook_secrets_endpoint on webhook_secrets (endpoint_id, id desc);

create table webhook_deliveries (
    id               text primary key,                 -- whdel_<32 hex>
    endpoint_id      text not null references webhook_endpoints (id),
    account_id       text not null references accounts (id),
    event_id         text not null references events (id),
    event_seq        bigint not null,
    ordering_key     text not null,
    status           text not null default 'pending'
                     check (status in ('pending', 'delivered', 'failed')),
    -- Held back behind an earlier pending delivery with the same ordering key.
    waiting          boolean not null default false,
    attempts         integer not null default 0,
    next_attempt_at  timestamptz not null default now(),
    last_status      integer,
    last_error       text,
    created_at       timestamptz not null default now(),
    finished_at      timestamptz
);
create index webhook_deliveries_order on webhook_deliveries (endpoint_id, ordering_key, event_seq)
    where status = 'pending';
create index webhook_deliveries_endpoint on webhook_deliveries (endpoint_id, created_at desc, id desc);
create index webhook_deliveries_event on webhook_deliveries (event_id);

-- Every attempt, as the partner sees it in GET /v1/webhooks/endpoints/{id}/deliveries.
create table webhook_attempts (
    id                bigint generated always as identity primary key,
    delivery_id       text not null references webhook_deliveries (id),
    attempt           integer not null,
    started_at        timestamptz not null,
    -- The receiver's status; null when there was no answer.
    status_code       integer,
    latency_ms        integer not null,
    -- The first bytes of the answer's body (at most 1 KiB, lossy UTF-8).
    response_excerpt  text not null default '',
    -- Why the attempt failed without an answer (timeout, refused target, ...).
    error             text,
    unique (delivery_id, attempt)
);

-- The mail telling an account its endpoint was disabled.
alter table mail_outbox drop constraint mail_outbox_kind_check;
alter table mail_outbox add constraint mail_outbox_kind_check
    check (kind in ('verification_code', 'webhook_disabled'));

-- Keys that held every scope before webhooks existed keep holding every
-- scope (a key created with all scopes means "everything").
update api_keys set scopes = scopes || ' webhooks:manage events:read'
where revoked_at is null
  and scopes = 'files:read files:write quotes:read quotes:write orders:read orders:write keys:manage usage:read';

-- A file's events (file.ready, file.failed) belong to the mode of the key
-- that uploaded it: test-mode events reach only test-mode endpoints.
alter table files add column if not exists livemode boolean not null default true;
