-- The durable work queue: every piece of work that happens after a response
-- (analyses now; mail, webhook deliveries, farm events, generations later) is
-- a row here first, written in the same transaction as the state change that
-- needs it. `farm_platform::work` claims rows with FOR UPDATE SKIP LOCKED and
-- a lease; the rules (backoff, attempt limit, lease length) are in
-- shared/work. Drained by the internal tick route (components/tick), and run
-- at once after the response as a fast path.
--
--   queued --claim--> running --handler 2xx--> done
--                        |--handler failed, attempts left--> queued (run_at = now + backoff)
--                        |--no attempts left--> dead (last_error kept)
--                        '--lease expired (worker died)--> claimable again
create table background_jobs (
    id            bigint generated always as identity primary key,
    -- Which handler runs it (the kind -> handler table in farm_platform::work).
    kind          text not null check (kind ~ '^[a-z][a-z0-9_]{0,62}$'),
    payload       jsonb not null default '{}'::jsonb,
    status        text not null default 'queued'
                  check (status in ('queued', 'running', 'done', 'dead')),
    -- Attempts started so far (a claim counts one).
    attempts      integer not null default 0 check (attempts >= 0),
    max_attempts  integer not null default 5 check (max_attempts > 0),
    -- Not claimed before this time (the backoff of a retry).
    run_at        timestamptz not null default now(),
    -- A running job belongs to its worker until then.
    lease_until   timestamptz,
    last_error    text,
    -- Optional: a second enqueue with the same (kind, dedupe_key) is a no-op.
    dedupe_key    text,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    finished_at   timestamptz
);
create unique index background_jobs_dedupe on background_jobs (kind, dedupe_key)
    where dedupe_key is not null;
-- The claim's scan: open jobs by due time.
create index background_jobs_due on background_jobs (run_at, id)
    where status in ('queued', 'running');

-- analysis_jobs (0002) is replaced by this queue: open analyses move over.
insert into background_jobs (kind, payload, status, attempts, dedupe_key, last_error, created_at)
select 'analyze_file', jsonb_build_object('file_id', file_id), 'queued', attempts, file_id,
       last_error, created_at
from analysis_jobs
where status in ('queued', 'running');
drop table analysis_jobs;
