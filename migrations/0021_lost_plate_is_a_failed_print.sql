-- A plate the gateway lost is a failed print (issue 12: failures are
-- re-printed without anyone asking). The gateway reports a plate whose end
-- it never saw (the printer no longer shows it: a power cut, a reset) as
-- `needs_attention` naming the plate (printer-gateway/src/lane/end.rs,
-- End::Lost). Until now that only flagged the printer: the plate stayed
-- `printing`, so its parts never came back and every later claim of the
-- printer answered `busy`. Now the plate fails and its tasks fail as a
-- print failure (counted toward the three attempts), and the order's
-- worker re-queues them at the front; the printer stays flagged until a
-- person has checked its bed (POST /internal/farm/printers/{serial}/resolve).
--
-- farm_apply_events is restated from migrations/0016_production.sql with
-- only the `needs_attention` branch and the queue-advance condition
-- changed.
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
      when 'needs_attention' then
        -- With a plate: the gateway lost it (the printer no longer shows
        -- it and its end was not seen: a power cut, a reset). A failed
        -- print: the parts go back to the queue at the front with their
        -- attempt counted, as after task_failed; the flag above keeps the
        -- printer out until a person has checked its bed.
        if v_plate_id is not null then
          update plates set status = 'failed', finished_at = v_at
           where id = v_plate_id and status in ('leased', 'printing');
          update print_tasks set status = 'failed', finished_at = v_at, failures = failures + 1,
                 last_failure = 'print', updated_at = now()
           where id = any (v_tasks) and status in ('claimed', 'printing') and printer_id = v_printer.id;
        end if;
      when 'plate_cleared' then
        update printers set awaiting_clear = false, updated_at = now() where id = v_printer.id;
        update plates set cleared_at = v_at
         where printer_id = v_printer.id and status = 'finished' and cleared_at is null;
      else null;
    end case;
    if v_kind in ('task_started', 'task_finished', 'task_failed', 'task_cancelled', 'inspection')
       or (v_kind = 'needs_attention' and v_plate_id is not null) then
      jobs := farm_queue_advance(event_id, v_tasks);
    end if;
    outcome := 'applied'; reason := null; return next;
  end loop;
end $$;
