-- The print farm as the printer-gateway sees it: one row per printer, kept
-- current from the printers' MQTT reports, and an append-only log of what
-- changed. The quotes component reads `printers` for capacity (lead time =
-- queued + printing task hours / printers not offline).

create table printers (
    -- Opaque id with the `prn_` prefix. A v4 uuid has 122 random bits, so the
    -- first 12 hex digits of a second one (48 random bits) are added: 170 bits.
    id          text primary key default 'prn_' || left(replace(gen_random_uuid()::text, '-', ''), 12)
                                               || replace(gen_random_uuid()::text, '-', ''),
    -- The printer's own serial number: the <serial> in device/<serial>/report.
    serial      text not null unique,
    name        text not null,
    model       text not null default 'unknown',
    -- Which farm site's gateway reports this printer.
    site        text not null default 'local',
    status      text not null default 'offline'
                check (status in ('idle', 'printing', 'paused', 'error', 'offline')),
    -- Bambu's own state word (IDLE, PREPARE, RUNNING, PAUSE, FINISH, FAILED, ...).
    gcode_state text,
    progress    int not null default 0 check (progress between 0 and 100),
    remaining_minutes int check (remaining_minutes >= 0),
    current_file text,
    last_seen   timestamptz,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);

create index printers_status_idx on printers (status);

-- One row per change worth keeping (came online, state change, progress step,
-- went offline); not one per report, which arrive every second.
create table printer_events (
    id          bigint generated always as identity primary key,
    printer_id  text not null references printers (id) on delete cascade,
    kind        text not null check (kind in ('online', 'state_changed', 'progress', 'offline')),
    status      text not null,
    gcode_state text,
    progress    int,
    detail      jsonb not null default '{}'::jsonb,
    created_at  timestamptz not null default now()
);

create index printer_events_printer_idx on printer_events (printer_id, id);
