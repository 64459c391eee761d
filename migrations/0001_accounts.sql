-- Accounts, API keys, rate-limit windows, usage counters, idempotency keys.
-- Applied once by scripts/migrate.sh (recorded in schema_migrations).

-- An account is found by its (lowercased) email; `connect` creates it or
-- issues a new key for it.
create table accounts (
    id          text primary key,               -- acct_<32 hex>
    email       text not null unique,
    name        text not null,
    created_at  timestamptz not null default now()
);

-- Only the SHA-256 hex of the whole key is stored; the secret is shown once.
create table api_keys (
    id            text primary key,             -- key_<32 hex>
    account_id    text not null references accounts(id),
    key_hash      text not null unique,          -- sha256 hex of the whole key
    key_preview   text not null,                 -- last 4 characters
    name          text not null,
    mode          text not null check (mode in ('live', 'test')),
    scopes        text not null,                 -- space-separated scope names
    created_at    timestamptz not null default now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
create index api_keys_account_active on api_keys (account_id) where revoked_at is null;

-- One row per key and fixed window (Unix seconds of the window start),
-- incremented with a single atomic upsert per request. Old rows are swept.
create table rate_limit_windows (
    key_id        text not null,
    window_start  bigint not null,
    count         integer not null,
    primary key (key_id, window_start)
);

-- Requests per key per UTC day, incremented in the same statement as the
-- window counter. Totals for today and this month are sums over this table.
create table usage_daily (
    key_id      text not null,
    account_id  text not null,
    day         date not null,
    requests    bigint not null,
    primary key (key_id, day)
);
create index usage_daily_account_day on usage_daily (account_id, day);

-- Idempotency-Key records: the first request's fingerprint and response.
-- status/response_body are null while the first request is in progress.
create table idempotency_keys (
    account_id     text not null,
    key            text not null,
    request_hash   text not null,
    status         integer,
    response_body  text,
    created_at     timestamptz not null default now(),
    primary key (account_id, key)
);
