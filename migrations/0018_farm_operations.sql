-- The farm's operating leftovers of issue 12 (components/farm, the quote's
-- lead time, the tick): a solar share per site, the load that the printers
-- able to print a part carry, an operator's re-queue of a part that gave up,
-- and one way to return expired leases to the queue.

-- Item 6: each site's energy source configuration. The share of a print's
-- energy that comes from the site's own solar, 0 to 1; null: the app-wide
-- default (Spin variable `farm_solar_share`). Set by POST
-- /internal/farm/sites.
alter table farm_sites add column solar_share double precision
    check (solar_share >= 0 and solar_share <= 1);

-- Failures a person set aside by re-queueing a part that gave up (POST
-- /internal/farm/tasks/{id}/requeue): the re-print policy counts only the
-- failures after it (farm_production::reprint), the part's attempt count
-- keeps them all.
alter table print_tasks add column failures_set_aside int not null default 0
    check (failures_set_aside >= 0);

-- Item 5: the load that the printers able to print a part of p_material /
-- p_color on a p_nozzle_mm nozzle carry (the queue read by quotes, jobs and
-- orders' estimated_ship; farm_quoting::lead_time is the formula):
-- - available_printers: printers that can take work (not offline, not
--   flagged for a person);
-- - matching_printers: of those, the ones with that nozzle (within 0.01 mm,
--   farm_scheduler::compat) holding that material and colour; a printer that
--   has not reported its filament may hold anything and counts;
-- - backlog_hours: estimated hours of open tasks (queued, leased, printing,
--   failed awaiting its re-print) created at or before p_queued_before, of a
--   material and colour one of the matching printers holds (at least the
--   part's own): the work those printers would print first. With a matching
--   printer whose filament is unknown, every open task counts.
-- Names compare case-insensitively (the AMS says `PLA`, the catalog `pla`).
create or replace function farm_matching_load(p_material text, p_color text, p_nozzle_mm float8,
                                              p_queued_before timestamptz default 'infinity')
returns table (backlog_hours float8, matching_printers bigint, available_printers bigint)
language sql stable as $$
  with fleet as (
    select p.loaded, p.nozzle_mm from printers p
     where p.status <> 'offline' and not p.needs_attention),
  matching as (
    select f.loaded, f.loaded is null or jsonb_typeof(f.loaded) <> 'array' as unknown
      from fleet f
     where abs(f.nozzle_mm - p_nozzle_mm) <= 0.01
       and (f.loaded is null or jsonb_typeof(f.loaded) <> 'array' or exists (
             select 1 from jsonb_array_elements(f.loaded) l
              where lower(l->>'material') = lower(p_material) and lower(l->>'color') = lower(p_color)))),
  pairs as (
    select lower(l->>'material') as material, lower(l->>'color') as color
      from matching m, jsonb_array_elements(m.loaded) l where not m.unknown
    union
    select lower(p_material), lower(p_color)),
  open as (
    select lower(t.material) as material, lower(t.color) as color, sum(t.estimated_hours) as hours
      from print_tasks t
     where t.status in ('queued', 'claimed', 'printing', 'failed') and t.created_at <= p_queued_before
     group by 1, 2)
  select coalesce(case when exists (select 1 from matching where unknown)
                       then (select sum(o.hours) from open o)
                       else (select sum(o.hours) from open o join pairs p using (material, color)) end,
                  0)::float8,
         (select count(*) from matching),
         (select count(*) from fleet)
$$;

-- A quote's inputs in one statement (components/upload-kit/src/quote.rs):
-- the caller's file as a `files` row and the load of the printers that can
-- print it (farm_matching_load). No row when the file is not the caller's.
drop function if exists farm_quote_context(text, text, boolean);
create or replace function farm_quote_context(p_file_id text, p_account_id text, p_livemode boolean,
                                              p_material text, p_color text, p_nozzle_mm float8)
returns table (file files, backlog_hours float8, matching_printers bigint, available_printers bigint)
language plpgsql stable as $$
begin
  return query
  select f, l.backlog_hours, l.matching_printers, l.available_printers
  from files f cross join farm_matching_load(p_material, p_color, p_nozzle_mm) l
  where f.id = p_file_id and f.account_id = p_account_id and f.livemode = p_livemode;
end $$;

-- Leases that ran out before their print started: the plates become
-- `expired` and their tasks go back to the queue. Called by every claim
-- (components/farm/src/claim.rs) and by every tick (components/tick), so a
-- site whose gateway died does not hold its parts until another claim.
-- Returns the tasks returned.
create or replace function farm_release_expired_leases()
returns bigint language sql as $$
  with expired as (
    update plates set status = 'expired'
     where status = 'leased' and lease_expires_at <= now()
    returning id),
  released as (
    update print_tasks t set status = 'queued', printer_id = null, plate_id = null,
           claimed_at = null, lease_expires_at = null, center_x_mm = null,
           center_y_mm = null, rotation_deg = null, updated_at = now()
      from expired where t.plate_id = expired.id and t.status = 'claimed'
    returning t.id)
  select count(*) from released
$$;
