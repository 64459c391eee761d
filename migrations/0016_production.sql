-- From queue to door (issue 12, app side; the plate contract between the app
-- and the printer-gateway): plates chosen by the scheduler on a claim, the
-- plate clear, inspections and their photos, re-prints, shipping, energy.
-- The order-level rules (re-print or flag, ship, deliver, energy, partner
-- events) run in Rust on the work queue (`advance_order`, components/farm);
-- this file holds only the farm-floor state changes, applied once per event.

-- One plate: the parts the scheduler packed for one printer's next print.
-- Leased until the print starts; an expired, unstarted lease returns its
-- tasks to the queue (components/farm, at the next claim).
create table plates (
    id               text primary key check (id ~ '^plate_[0-9a-f]{32}$'),
    site_id          text not null references farm_sites (id),
    printer_id       text not null references printers (id),
    material         text not null,
    color            text not null,
    -- print_tasks ids as packed (the plate's parts, whatever happens later).
    task_ids         bigint[] not null,
    status           text not null default 'leased'
                     check (status in ('leased', 'printing', 'finished', 'failed', 'cancelled',
                                       'dispatch_failed', 'expired')),
    lease_expires_at timestamptz,
    -- The printer's real print time (task_finished's detail.print_s) and the
    -- slicer's per-part usage ([{task_id, grams, print_s}]).
    print_s          double precision,
    usage            jsonb not null default '[]'::jsonb,
    created_at       timestamptz not null default now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    cleared_at       timestamptz
);
-- One plate per printer at a time.
create unique index plates_one_open_per_printer on plates (printer_id)
    where status in ('leased', 'printing');
create index plates_printer_started on plates (printer_id, started_at);
create index plates_leased on plates (lease_expires_at) where status = 'leased';

-- What the printer holds and whether its bed must be cleared. A printer that
-- finished a plate is `awaiting_clear` until POST
-- /internal/farm/printers/{serial}/clear or a `plate_cleared` event.
alter table printers add column awaiting_clear boolean not null default false;
-- The filament the gateway last reported (a claim's `loaded`); null: not
-- known, the plate takes the material of the head of the queue.
alter table printers add column loaded jsonb;
alter table printers add column nozzle_mm double precision not null default 0.4;

-- A plate is never given to a printer whose bed is not cleared or that needs
-- a person: enforced here as well as in the claim, so no code path skips it.
create or replace function farm_plate_printer_ready() returns trigger
language plpgsql as $$
begin
  if exists (select 1 from printers p where p.id = new.printer_id
             and (p.awaiting_clear or p.needs_attention)) then
    raise exception 'printer % is awaiting a plate clear or needs attention', new.printer_id
      using errcode = 'check_violation';
  end if;
  return new;
end $$;
create trigger plates_printer_ready before insert on plates
  for each row execute function farm_plate_printer_ready();

-- Task states of production: `printed` (finished, awaiting inspection),
-- `passed` (inspection passed: may ship), `failed` (a print or inspection
-- failure the order's worker has not yet decided on), `gave_up` (the third
-- failure: its order is flagged for a person). `done` stays for old rows.
alter table print_tasks drop constraint print_tasks_status_check;
alter table print_tasks add constraint print_tasks_status_check
    check (status in ('queued', 'claimed', 'printing', 'printed', 'passed', 'failed',
                      'gave_up', 'done', 'cancelled'));
alter table print_tasks add column plate_id text references plates (id);
alter table print_tasks add column center_x_mm double precision;
alter table print_tasks add column center_y_mm double precision;
alter table print_tasks add column rotation_deg int check (rotation_deg in (0, 90));
-- Failed prints and inspections so far (a dispatch failure is not one); the
-- contract's `attempt` is failures + 1.
alter table print_tasks add column failures int not null default 0;
alter table print_tasks add column last_failure text check (last_failure in ('print', 'inspection'));
-- The attempt whose print finished last (task_finished), and the attempt
-- whose energy is already counted (advance_order), so none counts twice.
alter table print_tasks add column printed_attempt int;
alter table print_tasks add column energy_attempt int;
alter table print_tasks add column energy_kwh double precision not null default 0;
alter table print_tasks add column grid_kwh double precision not null default 0;
drop index if exists print_tasks_open;
create index print_tasks_open on print_tasks (status, created_at)
    where status in ('queued', 'claimed', 'printing');
create index print_tasks_plate on print_tasks (plate_id) where plate_id is not null;

-- Inspection photos as uploaded (PUT /internal/farm/photos/{task_id}/{name}),
-- per attempt of the task. The bytes are in the object store; partners see
-- them only through signed, expiring URLs.
create table task_photos (
    task_id    bigint not null references print_tasks (id),
    attempt    int not null,
    name       text not null check (name ~ '^[a-z0-9_-]{1,32}\.png$'),
    object_key text not null,
    sha256     text not null,
    created_at timestamptz not null default now(),
    primary key (task_id, attempt, name)
);

-- One inspection per attempt of a task. `announced`: its `order.inspection`
-- event has been recorded (advance_order, in the same transaction).
create table inspections (
    task_id    bigint not null references print_tasks (id),
    attempt    int not null,
    passed     boolean not null,
    photos     jsonb not null default '[]'::jsonb,
    defect     text,
    source     text not null check (source in ('simulated', 'camera', 'operator')),
    plate_id   text,
    announced  boolean not null default false,
    created_at timestamptz not null default now(),
    primary key (task_id, attempt)
);

-- The order's production facts: flagged for a person (after the third
-- failure of a part, or a part the farm cancelled), the shipment and the
-- energy of its prints.
alter table orders add column needs_attention boolean not null default false;
alter table orders add column status_detail text;
alter table orders add column carrier text;
alter table orders add column shipping_service text;
alter table orders add column shipped_at timestamptz;
alter table orders add column deliver_after timestamptz;
alter table orders add column delivered_at timestamptz;
alter table orders add column energy_kwh double precision not null default 0;
alter table orders add column grid_kwh double precision not null default 0;
-- Label numbers of the simulated carrier (unique per label of this farm).
create sequence shipment_label_seq;

alter table farm_events drop constraint farm_events_kind_check;
alter table farm_events add constraint farm_events_kind_check check (kind in (
    'online', 'state_changed', 'progress', 'offline',
    'task_started', 'task_finished', 'task_failed', 'task_cancelled',
    'dispatch_failed', 'needs_attention', 'inspection', 'plate_cleared'));

-- The claim is made in Rust now (components/farm/src/claim.rs, the scheduler).
drop function if exists farm_claim_task(text, text, int);

-- Queues the order's worker (`advance_order`, components/farm) for every
-- order with a task in p_task_ids, once per event; returns the job ids.
create or replace function farm_queue_advance(p_event_id text, p_task_ids bigint[])
returns bigint[] language sql as $$
  with ins as (
    insert into background_jobs (kind, payload, dedupe_key)
    select distinct 'advance_order', jsonb_build_object('order_id', t.order_id),
           'evt:' || p_event_id || ':' || t.order_id
    from print_tasks t where t.id = any (p_task_ids) and t.order_id is not null
    on conflict (kind, dedupe_key) where dedupe_key is not null do nothing
    returning id)
  select coalesce(array_agg(id), '{}') from ins
$$;

-- Applies one batch of gateway events of site p_site_id, in order, in the
-- caller's one statement (so one transaction): per event, the farm_events
-- row (its id is the applied-id record) with the printer, plate and task
-- changes it causes, and an `advance_order` job per order it touches.
-- Returns one row per event: 'applied' (with the queued job ids),
-- 'duplicate' (applied before: nothing changes) or 'rejected' with a reason
-- (unknown_printer, unknown_kind, unknown_plate, unknown_task,
-- task_not_printed, missing_inspection, unknown_photo).
-- p_events: [{id, printer, kind, occurred_at, state?, task_id?, plate_id?, detail?}].
drop function if exists farm_apply_events(text, jsonb);
create or replace function farm_apply_events(p_site_id text, p_events jsonb)
returns table (event_id text, outcome text, reason text, jobs bigint[])
language plpgsql as $$
#variable_conflict use_column
declare
  e jsonb;
  v_printer printers%rowtype;
  v_task print_tasks%rowtype;
  v_plate plates%rowtype;
  v_task_id bigint;
  v_plate_id text;
  v_kind text;
  v_at timestamptz;
  v_state jsonb;
  v_detail jsonb;
  v_count int;
  v_tasks bigint[];
  v_missing text;
begin
  for e in select value from jsonb_array_elements(p_events) loop
    event_id := e->>'id';
    jobs := '{}';
    v_kind := e->>'kind';
    v_at := (e->>'occurred_at')::timestamptz;
    v_state := e->'state';
    v_detail := coalesce(e->'detail', '{}'::jsonb);
    v_task_id := (e->>'task_id')::bigint;
    v_plate_id := e->>'plate_id';
    if exists (select 1 from farm_events f where f.id = event_id) then
      outcome := 'duplicate'; reason := null; return next; continue;
    end if;
    select * into v_printer from printers p where p.serial = e->>'printer' and p.site_id = p_site_id for update;
    if not found then
      outcome := 'rejected'; reason := 'unknown_printer'; return next; continue;
    end if;
    if v_kind is null or v_kind not in ('online', 'state_changed', 'progress', 'offline',
        'task_started', 'task_finished', 'task_failed', 'task_cancelled',
        'dispatch_failed', 'needs_attention', 'inspection', 'plate_cleared') then
      outcome := 'rejected'; reason := 'unknown_kind'; return next; continue;
    end if;
    if v_plate_id is not null then
      select * into v_plate from plates pl where pl.id = v_plate_id and pl.printer_id = v_printer.id for update;
      if not found then
        outcome := 'rejected'; reason := 'unknown_plate'; return next; continue;
      end if;
    end if;
    if v_task_id is not null then
      select * into v_task from print_tasks t where t.id = v_task_id
         and (t.printer_id = v_printer.id or (v_plate_id is not null and t.plate_id = v_plate_id)) for update;
      if not found then
        outcome := 'rejected'; reason := 'unknown_task'; return next; continue;
      end if;
    end if;
    if v_kind = 'inspection' then
      if v_task_id is null or jsonb_typeof(v_detail->'passed') is distinct from 'boolean' then
        outcome := 'rejected'; reason := 'missing_inspection'; return next; continue;
      end if;
      if v_task.status <> 'printed' then
        outcome := 'rejected'; reason := 'task_not_printed'; return next; continue;
      end if;
      select n into v_missing from jsonb_array_elements_text(coalesce(v_detail->'photos', '[]')) n
       where not exists (select 1 from task_photos ph where ph.task_id = v_task_id
                         and ph.attempt = v_task.failures + 1 and ph.name = n) limit 1;
      if v_missing is not null then
        outcome := 'rejected'; reason := 'unknown_photo'; return next; continue;
      end if;
    end if;
    if v_task_id is null and v_plate_id is null and v_kind not in ('plate_cleared') then
      -- A state report names no task; the one printing on the printer is the
      -- part it concerns, if any.
      select t.id into v_task_id from print_tasks t
       where t.printer_id = v_printer.id and t.status = 'printing'
       order by t.started_at desc limit 1;
      if v_task_id is not null then
        select * into v_task from print_tasks t where t.id = v_task_id;
      end if;
    end if;
    insert into farm_events (id, site_id, printer_id, kind, task_id, job_id, plate_id, status, gcode_state,
                             progress, detail, occurred_at)
    values (event_id, p_site_id, v_printer.id, v_kind, v_task_id,
            case when v_task_id is not null then v_task.job_id end, v_plate_id,
            v_state->>'status', v_state->>'gcode_state', (v_state->>'progress')::int,
            v_detail, v_at)
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

    -- The tasks the event is about: the plate's (as packed) or the one named.
    if v_plate_id is not null and v_kind <> 'inspection' then
      v_tasks := v_plate.task_ids;
    elsif (e->>'task_id') is not null then
      v_tasks := array[v_task_id];
    else
      v_tasks := '{}';
    end if;

    case v_kind
      when 'task_started' then
        update plates set status = 'printing', started_at = v_at, lease_expires_at = null
         where id = v_plate_id and status = 'leased';
        update print_tasks set status = 'printing', started_at = coalesce(started_at, v_at),
               lease_expires_at = null, updated_at = now()
         where id = any (v_tasks) and status = 'claimed' and printer_id = v_printer.id;
      when 'task_finished' then
        update plates set status = 'finished', finished_at = v_at,
               print_s = coalesce((v_detail->>'print_s')::float8,
                                  extract(epoch from v_at - started_at)),
               usage = coalesce(v_detail->'usage', '[]'::jsonb)
         where id = v_plate_id and status in ('leased', 'printing');
        update print_tasks set status = 'printed', finished_at = v_at, printed_attempt = failures + 1,
               updated_at = now()
         where id = any (v_tasks) and status in ('claimed', 'printing') and printer_id = v_printer.id;
        update printers set awaiting_clear = true, updated_at = now() where id = v_printer.id;
      when 'task_failed' then
        update plates set status = 'failed', finished_at = v_at
         where id = v_plate_id and status in ('leased', 'printing');
        update print_tasks set status = 'failed', finished_at = v_at, failures = failures + 1,
               last_failure = 'print', updated_at = now()
         where id = any (v_tasks) and status in ('claimed', 'printing') and printer_id = v_printer.id;
      when 'task_cancelled' then
        update plates set status = 'cancelled', finished_at = v_at
         where id = v_plate_id and status in ('leased', 'printing');
        update print_tasks set status = 'cancelled', finished_at = v_at, updated_at = now()
         where id = any (v_tasks) and status in ('claimed', 'printing') and printer_id = v_printer.id;
      when 'dispatch_failed' then
        -- Not a print failure: the tasks go back to the queue for another printer.
        update plates set status = 'dispatch_failed', lease_expires_at = null
         where id = v_plate_id and status = 'leased';
        update print_tasks set status = 'queued', printer_id = null, plate_id = null, claimed_at = null,
               lease_expires_at = null, center_x_mm = null, center_y_mm = null, rotation_deg = null,
               updated_at = now()
         where id = any (v_tasks) and status = 'claimed' and printer_id = v_printer.id;
      when 'inspection' then
        insert into inspections (task_id, attempt, passed, photos, defect, source, plate_id)
        values (v_task_id, v_task.failures + 1, (v_detail->>'passed')::boolean,
                coalesce(v_detail->'photos', '[]'::jsonb), v_detail->>'defect',
                coalesce(v_detail->>'source', 'simulated'), coalesce(v_plate_id, v_task.plate_id))
        on conflict (task_id, attempt) do nothing;
        if (v_detail->>'passed')::boolean then
          update print_tasks set status = 'passed', updated_at = now() where id = v_task_id;
        else
          update print_tasks set status = 'failed', failures = failures + 1,
                 last_failure = 'inspection', updated_at = now() where id = v_task_id;
        end if;
      when 'plate_cleared' then
        update printers set awaiting_clear = false, updated_at = now() where id = v_printer.id;
        update plates set cleared_at = v_at
         where printer_id = v_printer.id and status = 'finished' and cleared_at is null;
      else null;
    end case;
    if v_kind in ('task_started', 'task_finished', 'task_failed', 'task_cancelled', 'inspection') then
      jobs := farm_queue_advance(event_id, v_tasks);
    end if;
    outcome := 'applied'; reason := null; return next;
  end loop;
end $$;

-- Quotes and orders count the real queue: open hours (queued, leased,
-- printing) over the printers that can take work now.
create or replace function farm_quote_context(p_file_id text, p_account_id text, p_livemode boolean)
returns table (file files, backlog_hours float8, printers bigint)
language plpgsql stable as $$
begin
  return query
  select f,
         coalesce((select sum(t.estimated_hours) from print_tasks t
                   where t.status in ('queued', 'claimed', 'printing', 'failed')), 0)::float8,
         (select count(*) from printers p where p.status <> 'offline' and not p.needs_attention)::bigint
  from files f where f.id = p_file_id and f.account_id = p_account_id and f.livemode = p_livemode;
end $$;
