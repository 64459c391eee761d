-- Uploaded files, their analysis queue, quotes, one-shot jobs and print tasks.
-- Applied once by scripts/migrate.sh (recorded in schema_migrations).

-- One uploaded mesh. The bytes live in the object store under object_key;
-- this row is the truth about its state:
--   pending_upload -> processing (confirm) -> ready | failed (analyze)
create table files (
    id                 text primary key,            -- file_<32 hex>
    account_id         text not null references accounts (id),
    status             text not null default 'pending_upload'
                       check (status in ('pending_upload', 'processing', 'ready', 'failed')),
    filename           text not null,
    content_type       text not null,
    format             text not null check (format in ('stl', 'obj', '3mf')),
    size_bytes         bigint not null check (size_bytes > 0),
    object_key         text not null unique,
    -- SHA-256 hex of the stored bytes, set by analyze; quotes are bound to it.
    content_sha256     text,
    -- The unit the metrics use when someone overrode the detected one.
    selected_unit      text check (selected_unit in ('mm', 'cm', 'in')),
    unit_confirmed_by  text check (unit_confirmed_by in ('agent', 'user')),
    metrics            jsonb,                        -- seed 001's metrics_json
    report             jsonb,                        -- printability report and estimates
    failure_reason     text,
    upload_expires_at  timestamptz not null,
    confirmed_at       timestamptz,
    analyzed_at        timestamptz,
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now()
);
create index files_account_created on files (account_id, created_at desc);

-- The analysis queue: confirm inserts a row in the same transaction that moves
-- the file to `processing`, so a crash between confirm and analyze loses
-- nothing. Analyze claims rows with FOR UPDATE SKIP LOCKED; a `running` row
-- whose lease expired (the worker died) is claimable again, so a stuck
-- `processing` file is re-kicked by the next confirm or sweep.
create table analysis_jobs (
    file_id       text primary key references files (id) on delete cascade,
    status        text not null default 'queued'
                  check (status in ('queued', 'running', 'done', 'failed')),
    attempts      integer not null default 0,
    lease_until   timestamptz,
    last_error    text,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now()
);
create index analysis_jobs_claimable on analysis_jobs (created_at) where status in ('queued', 'running');

-- A priced offer for one file and set of parameters. The price is a pure
-- function of (content_sha256, unit, material, quantity); lead time and
-- expiry depend on when it was made.
create table quotes (
    id                  text primary key,           -- quote_<32 hex>
    account_id          text not null references accounts (id),
    file_id             text not null references files (id),
    content_sha256      text not null,
    material            text not null,
    color               text,
    quantity            integer not null check (quantity > 0),
    ship_country        text,
    requested_mode      text not null,
    resolved_mode       text not null,
    currency            text not null,
    unit_price_cents    bigint not null,
    total_cents         bigint not null,
    price_min_cents     bigint not null,
    price_max_cents     bigint not null,
    estimated_hours     double precision not null,  -- print time of the whole quantity
    response            jsonb not null,             -- the body GET /v1/quotes/{id} returns
    expires_at          timestamptz not null,
    created_at          timestamptz not null default now()
);
create index quotes_account_created on quotes (account_id, created_at desc);

-- An order placed in one call (POST /v1/jobs, seed 000), or later from a quote.
create table jobs (
    id                  text primary key,           -- job_<32 hex>
    account_id          text not null references accounts (id),
    file_id             text not null references files (id),
    quote_id            text not null references quotes (id),
    status              text not null default 'queued'
                        check (status in ('queued', 'printing', 'inspecting', 'shipped', 'delivered', 'failed', 'cancelled')),
    material            text not null,
    color               text not null,
    quantity            integer not null check (quantity > 0),
    currency            text not null,
    unit_price_cents    bigint not null,
    total_cents         bigint not null,
    estimated_ship      date not null,
    response            jsonb not null,             -- the creation response, for GET and idempotent replays
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now()
);
create index jobs_account_created on jobs (account_id, created_at desc);

-- One print on one printer: a job of quantity N is N tasks, so the fleet can
-- print them in parallel. The quotes' lead time sums estimated_hours of the
-- tasks still to finish (the capacity contract with the printer-gateway).
create table print_tasks (
    id               bigint generated always as identity primary key,
    job_id           text not null references jobs (id),
    file_id          text not null references files (id),
    object_key       text not null,
    material         text not null,
    color            text not null,
    copy_index       integer not null,
    status           text not null default 'queued'
                     check (status in ('queued', 'claimed', 'printing', 'done', 'failed')),
    estimated_hours  double precision not null check (estimated_hours >= 0),
    printer_id       text,
    attempts         integer not null default 0,
    claimed_at       timestamptz,
    started_at       timestamptz,
    finished_at      timestamptz,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    unique (job_id, copy_index)
);
create index print_tasks_open on print_tasks (status, created_at) where status in ('queued', 'claimed', 'printing');
