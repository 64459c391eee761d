-- A quote reads its file and the farm's load inside authentication's
-- statement (issue 9, item 7: a quote is two statements, authentication
-- with this read and the insert). The platform joins the read laterally to
-- farm_authenticate (components/platform/src/auth.rs, `authenticate_with`):
--   select <auth columns>, r.* from farm_authenticate(...) a
--   left join lateral (select * from farm_quote_file(a.account_id, a.mode, $7)) r on true
--
-- Why a function with flat columns: Spin's Postgres client prepares every
-- statement afresh (prepare, execute, close), so Postgres plans the outer
-- statement on every request. Written inline, the file's composite row
-- expanded with (q.file).* and its casts made that plan cost more than the two
-- statements it replaced (pgbench, one client, 2-core machine under load:
-- authentication 0.16-0.28 ms, the file read 0.11-0.21 ms, the two inline as
-- one 0.39-0.72 ms, with this function 0.26-0.29 ms per statement). Inside
-- plpgsql the plan is made once per connection.
--
-- Columns: upload-kit's FILE_COLUMNS in order (components/upload-kit/src/
-- rows.rs, `FileRow::from_row`), then the farm's load as farm_quote_context
-- computes it (migrations/0018_farm_operations.sql: the load the quoted
-- filament sees), so a change to the load is
-- made there once. No row when the file is not the account's or not of the
-- key's mode (p_mode 'live' or 'test').
create or replace function farm_quote_file(p_account_id text, p_mode text, p_file_id text,
                                           p_material text, p_color text, p_nozzle_mm float8)
returns table (id text, status text, filename text, content_type text, format text,
               size_bytes bigint, object_key text, content_sha256 text, selected_unit text,
               unit_confirmed_by text, metrics text, report text, failure_reason text,
               upload_expires_at bigint, created_at bigint, updated_at bigint,
               backlog_hours float8, matching_printers bigint, available_printers bigint)
language plpgsql stable as $$
begin
  return query
  select f.id, f.status, f.filename, f.content_type, f.format, f.size_bytes, f.object_key,
         f.content_sha256, f.selected_unit, f.unit_confirmed_by, f.metrics::text, f.report::text,
         f.failure_reason, extract(epoch from f.upload_expires_at)::bigint,
         extract(epoch from f.created_at)::bigint, extract(epoch from f.updated_at)::bigint,
         q.backlog_hours, q.matching_printers, q.available_printers
  from farm_quote_context(p_file_id, p_account_id, p_mode = 'live', p_material, p_color, p_nozzle_mm) q
  cross join lateral (select (q.file).*) f;
end $$;

-- Both functions run on every request, and a profile of the backends under
-- the quote benchmark found a quarter of Postgres's time in planning
-- farm_authenticate's CTE again on every call: with plan_cache_mode = auto,
-- plpgsql keeps choosing a custom plan, because one made for p_sweep = false
-- drops the sweep and looks cheaper than the generic plan. The generic plan
-- is as good here (each lookup is by a key; the sweep's delete is skipped by
-- a one-time filter when p_sweep is false), so it is forced. A later
-- `create or replace` of either function must keep this setting.
alter function farm_authenticate(text, bigint, date, boolean, bigint, bigint)
  set plan_cache_mode = force_generic_plan;
alter function farm_quote_file(text, text, text, text, text, float8)
  set plan_cache_mode = force_generic_plan;
