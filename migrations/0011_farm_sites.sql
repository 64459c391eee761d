-- Farm sites and the gateway link (issue 11, item 3): each site's
-- printer-gateway reaches the app over HTTPS with its own site token
-- (components/farm), never Postgres. The app keeps the site's printers, leases
-- print tasks to them, and applies the events the gateway spools, each exactly
-- once.

-- One row per farm site. The token is shown once, at creation or rotation
-- (`POST /internal/farm/sites`); only its SHA-256 is stored, as for API keys.
create table farm_sites (
    id           text primary key default 'site_' || replace(gen_random_uuid()::text, '-', ''),
    name         text not null unique check (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    token_sha256 text not null unique check (token_sha256 ~ '^[0-9a-f]{64}$'),
    created_at   timestamptz not null default now(),
    rotated_at   timestamptz
);

-- A printer belongs to the site whose gateway registered it first; another
-- site cannot take it over (components/farm answers 409 printer_taken).
-- `site` (0003) keeps the site's name for readers of the old column.
alter table printers add column site_id text references farm_sites (id);
-- Set by a dispatch failure or a fault that needs a person (pause-class
-- error, certificate alarm); such a printer is given no work.
alter table printers add column needs_attention boolean not null default false;
create index printers_site_idx on printers (site_id);

-- A claimed task is leased to its printer's gateway; if the lease runs out
-- before the print starts, the task is claimable again. A farm-initiated
-- cancel ends a task as `cancelled`, never to be printed again automatically.
alter table print_tasks add column lease_expires_at timestamptz;
alter table print_tasks drop constraint print_tasks_status_check;
alter table print_tasks add constraint print_tasks_status_check
    check (status in ('queued', 'claimed', 'printing', 'done', 'failed', 'cancelled'));

-- What happened on the farm floor, one row per gateway event, applied once.
-- The primary key is the gateway-generated event id, so this table is also the
-- set of applied ids: the row is written in the same statement (one
-- transaction) as the printer and task changes the event causes. These are
-- farm rows, not partner events (`events`, 0008); the production issue turns
-- the ones partners care about into partner events.
create table farm_events (
    id          text primary key check (length(id) between 1 and 64),
    site_id     text not null references farm_sites (id),
    printer_id  text not null references printers (id) on delete cascade,
    kind        text not null check (kind in (
                    'online', 'state_changed', 'progress', 'offline',
                    'task_started', 'task_finished', 'task_failed', 'task_cancelled',
                    'dispatch_failed', 'needs_attention')),
    -- The print task (one copy of one part) and its job, when the event is
    -- about one. Plates arrive with the scheduler; until then a plate holds
    -- one task and plate_id stays null.
    task_id     bigint references print_tasks (id),
    job_id      text,
    plate_id    text,
    status      text,
    gcode_state text,
    progress    int,
    detail      jsonb not null default '{}'::jsonb,
    occurred_at timestamptz not null,
    applied_at  timestamptz not null default now()
);
create index farm_events_printer_idx on farm_events (printer_id, occurred_at);
create index farm_events_task_idx on farm_events (task_id) where task_id is not null;

-- The gateway no longer writes printer_events; farm_events replaces it.
drop table printer_events;

-- Claims the next task for the site's printer `p_serial` (components/farm,
-- the one place the choice is made until the scheduler replaces it).
-- Outcome: 'unknown_printer' (not this site's), 'needs_attention',
-- 'claimed' (with the task). A printer that already holds an unexpired,
-- unstarted claim gets the same task again, so a claim whose answer was lost
-- is not a second claim. Otherwise the oldest queued task, or a claimed one
-- whose lease ran out, is leased for p_lease_seconds. No row of a task:
-- 'none'.
create or replace function farm_claim_task(p_site_id text, p_serial text, p_lease_seconds int)
returns table (outcome text, task_id bigint, job_id text, file_id text, object_key text,
               material text, color text, copy_index int, estimated_hours float8,
               attempts int, lease_expires_at timestamptz)
language plpgsql as $$
#variable_conflict use_column
declare
  v_printer printers%rowtype;
  v_task print_tasks%rowtype;
begin
  select * into v_printer from printers p where p.serial = p_serial and p.site_id = p_site_id for update;
  if not found then
    return query select 'unknown_printer', null::bigint, null, null, null, null, null, null::int, null::float8, null::int, null::timestamptz;
    return;
  end if;
  if v_printer.needs_attention then
    return query select 'needs_attention', null::bigint, null, null, null, null, null, null::int, null::float8, null::int, null::timestamptz;
    return;
  end if;
  select * into v_task from print_tasks t
   where t.printer_id = v_printer.id and t.status = 'claimed' and t.lease_expires_at > now()
   order by t.claimed_at limit 1;
  if not found then
    update print_tasks t set status = 'claimed', printer_id = v_printer.id, claimed_at = now(),
           lease_expires_at = now() + make_interval(secs => p_lease_seconds),
           attempts = t.attempts + 1, updated_at = now()
     where t.id = (select c.id from print_tasks c
                    where c.status = 'queued' or (c.status = 'claimed' and c.lease_expires_at <= now())
                    order by c.created_at, c.id limit 1 for update skip locked)
    returning * into v_task;
    if not found then
      return query select 'none', null::bigint, null, null, null, null, null, null::int, null::float8, null::int, null::timestamptz;
      return;
    end if;
  end if;
  return query select 'claimed', v_task.id, v_task.job_id, v_task.file_id, v_task.object_key,
         v_task.material, v_task.color, v_task.copy_index, v_task.estimated_hours,
         v_task.attempts, v_task.lease_expires_at;
end $$;

-- Applies one batch of gateway events of site p_site_id, in order, in the
-- caller's one statement (so one transaction): per event, the farm_events
-- row (its id is the applied-id record) together with the printer and task
-- changes it causes. Returns one row per event: 'applied', 'duplicate'
-- (applied before: nothing changes) or 'rejected' with a reason (the printer
-- is not this site's, the task is not this printer's, an unknown kind). A
-- state event that names no task is recorded against the task printing on
-- that printer, if one is.
-- p_events: [{id, printer, kind, occurred_at, state?: {status, gcode_state,
-- progress, remaining_minutes, current_file}, task_id?, detail?}].
create or replace function farm_apply_events(p_site_id text, p_events jsonb)
returns table (event_id text, outcome text, reason text)
language plpgsql as $$
#variable_conflict use_column
declare
  e jsonb;
  v_printer printers%rowtype;
  v_task print_tasks%rowtype;
  v_task_id bigint;
  v_kind text;
  v_at timestamptz;
  v_state jsonb;
  v_count int;
begin
  for e in select value from jsonb_array_elements(p_events) loop
    event_id := e->>'id';
    v_kind := e->>'kind';
    v_at := (e->>'occurred_at')::timestamptz;
    v_state := e->'state';
    v_task_id := (e->>'task_id')::bigint;
    select * into v_printer from printers p where p.serial = e->>'printer' and p.site_id = p_site_id for update;
    if not found then
      outcome := 'rejected'; reason := 'unknown_printer'; return next; continue;
    end if;
    if v_task_id is not null then
      select * into v_task from print_tasks t where t.id = v_task_id and t.printer_id = v_printer.id for update;
      if not found then
        outcome := 'rejected'; reason := 'unknown_task'; return next; continue;
      end if;
    end if;
    if v_task_id is null then
      -- A state report names no task; the one printing on the printer is the
      -- part it concerns, if any.
      select t.id into v_task_id from print_tasks t
       where t.printer_id = v_printer.id and t.status = 'printing'
       order by t.started_at desc limit 1;
      if v_task_id is not null then
        select * into v_task from print_tasks t where t.id = v_task_id;
      end if;
    end if;
    if v_kind is null or v_kind not in ('online', 'state_changed', 'progress', 'offline',
        'task_started', 'task_finished', 'task_failed', 'task_cancelled',
        'dispatch_failed', 'needs_attention') then
      outcome := 'rejected'; reason := 'unknown_kind'; return next; continue;
    end if;
    insert into farm_events (id, site_id, printer_id, kind, task_id, job_id, status, gcode_state,
                             progress, detail, occurred_at)
    values (event_id, p_site_id, v_printer.id, v_kind, v_task_id,
            case when v_task_id is not null then v_task.job_id end,
            v_state->>'status', v_state->>'gcode_state', (v_state->>'progress')::int,
            coalesce(e->'detail', '{}'::jsonb), v_at)
    on conflict (id) do nothing;
    get diagnostics v_count = row_count;
    if v_count = 0 then
      outcome := 'duplicate'; reason := null; return next; continue;
    end if;

    if v_state is not null then
      update printers set status = v_state->>'status', gcode_state = v_state->>'gcode_state',
             progress = coalesce((v_state->>'progress')::int, 0),
             remaining_minutes = (v_state->>'remaining_minutes')::int,
             current_file = v_state->>'current_file',
             last_seen = greatest(last_seen, v_at), updated_at = now()
       where id = v_printer.id;
    end if;
    if v_kind in ('dispatch_failed', 'needs_attention') then
      update printers set needs_attention = true, updated_at = now() where id = v_printer.id;
    end if;
    if (e->>'task_id') is not null then
      case v_kind
        when 'task_started' then
          update print_tasks set status = 'printing', started_at = v_at, lease_expires_at = null,
                 updated_at = now() where id = v_task_id and status = 'claimed';
        when 'task_finished' then
          update print_tasks set status = 'done', finished_at = v_at, updated_at = now()
           where id = v_task_id and status in ('claimed', 'printing');
        when 'task_failed' then
          update print_tasks set status = 'failed', finished_at = v_at, updated_at = now()
           where id = v_task_id and status in ('claimed', 'printing');
        when 'task_cancelled' then
          update print_tasks set status = 'cancelled', finished_at = v_at, updated_at = now()
           where id = v_task_id and status in ('claimed', 'printing');
        when 'dispatch_failed' then
          -- Not a print failure: the task goes back to the queue for another printer.
          update print_tasks set status = 'queued', printer_id = null, claimed_at = null,
                 lease_expires_at = null, updated_at = now()
           where id = v_task_id and status = 'claimed';
        else null;
      end case;
    end if;
    outcome := 'applied'; reason := null; return next;
  end loop;
end $$;
