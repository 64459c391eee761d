//! The `background_jobs` statements: enqueue, claim, and the three ends of an
//! attempt (done, retry later, dead). Every state change after a claim is
//! guarded by the attempt number, so a worker that outlived its lease cannot
//! requeue or kill the attempt that replaced it.

use crate::{ApiError, col};
use serde_json::Value;
use spin_sdk::pg4::{Connection, ParameterValue};

/// Queues a job of `kind` with `payload`, due now, with the default attempt
/// limit. With a `dedupe_key`, a second enqueue of the same `(kind,
/// dedupe_key)` (whatever the first one's state) adds nothing and returns
/// `None`. Returns the new job's id.
///
/// Runs on `db` as it is: call it inside the caller's transaction
/// ([`crate::transaction`]) so the job exists exactly when the state that
/// needs it does.
pub fn enqueue(
    db: &Connection,
    kind: &str,
    payload: &Value,
    dedupe_key: Option<&str>,
) -> Result<Option<i64>, ApiError> {
    enqueue_with(
        db,
        kind,
        payload,
        dedupe_key,
        farm_work::DEFAULT_MAX_ATTEMPTS,
    )
}

/// [`enqueue`] with an attempt limit of its own (at least 1).
pub fn enqueue_with(
    db: &Connection,
    kind: &str,
    payload: &Value,
    dedupe_key: Option<&str>,
    max_attempts: u32,
) -> Result<Option<i64>, ApiError> {
    let dedupe = dedupe_key.map_or(ParameterValue::DbNull, |k| k.to_owned().into());
    let max_attempts = i32::try_from(max_attempts.max(1)).unwrap_or(i32::MAX);
    let rows = db.query(
        "insert into background_jobs (kind, payload, dedupe_key, max_attempts) \
         values ($1, ($2::text)::jsonb, $3, $4) \
         on conflict (kind, dedupe_key) where dedupe_key is not null do nothing \
         returning id",
        &[
            kind.to_owned().into(),
            payload.to_string().into(),
            dedupe,
            max_attempts.into(),
        ],
    )?;
    rows.rows.first().map(|row| col(row, 0)).transpose()
}

/// [`enqueue_with`], due only `delay_secs` from now (a retry on a schedule
/// of the kind's own, such as a webhook delivery's next attempt).
pub fn enqueue_delayed(
    db: &Connection,
    kind: &str,
    payload: &Value,
    dedupe_key: Option<&str>,
    max_attempts: u32,
    delay_secs: u64,
) -> Result<Option<i64>, ApiError> {
    let dedupe = dedupe_key.map_or(ParameterValue::DbNull, |k| k.to_owned().into());
    let max_attempts = i32::try_from(max_attempts.max(1)).unwrap_or(i32::MAX);
    let rows = db.query(
        "insert into background_jobs (kind, payload, dedupe_key, max_attempts, run_at) \
         values ($1, ($2::text)::jsonb, $3, $4, now() + make_interval(secs => $5::bigint)) \
         on conflict (kind, dedupe_key) where dedupe_key is not null do nothing \
         returning id",
        &[
            kind.to_owned().into(),
            payload.to_string().into(),
            dedupe,
            max_attempts.into(),
            i64::try_from(delay_secs).unwrap_or(i64::MAX).into(),
        ],
    )?;
    rows.rows.first().map(|row| col(row, 0)).transpose()
}

/// A job this worker holds the lease of.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: i64,
    pub kind: String,
    pub payload: Value,
    /// This attempt's number (1-based; equals `max_attempts` at most).
    pub attempt: u32,
    pub max_attempts: u32,
    /// No attempts were left when it was claimed: the handler only records
    /// the permanent failure.
    pub give_up: bool,
    pub last_error: Option<String>,
}

/// Claims one due job (the oldest due, or only job `only`) for `lease_secs`:
/// `queued` with `run_at <= now()`, or `running` with an expired lease (its
/// worker died: `last_error` says so). Counts an attempt unless none are
/// left, in which case the job is claimed to be given up. `SKIP LOCKED`
/// lets concurrent ticks claim different jobs without waiting.
pub fn claim(
    db: &Connection,
    lease_secs: u32,
    only: Option<i64>,
) -> Result<Option<ClaimedJob>, ApiError> {
    // Ids start at 1, so 0 stands for "any job" (a typed value rather than a
    // NULL, whose parameter type the server would have to infer).
    let only = ParameterValue::Int64(only.unwrap_or(0));
    let rows = db.query(
        "with due as ( \
           select id, attempts as before, status as was from background_jobs \
           where status in ('queued', 'running') and run_at <= now() \
             and (status = 'queued' or lease_until < now()) \
             and ($2::bigint = 0 or id = $2) \
           order by run_at, id limit 1 for update skip locked) \
         update background_jobs j set status = 'running', \
           attempts = case when due.before < j.max_attempts then due.before + 1 else due.before end, \
           lease_until = now() + make_interval(secs => $1::int), updated_at = now(), \
           last_error = case when due.was = 'running' \
             then 'lease expired: attempt ' || due.before || ' did not report an outcome (its worker stopped)' \
             else j.last_error end \
         from due where j.id = due.id \
         returning j.id, j.kind, j.payload::text, j.attempts, j.max_attempts, \
           due.before >= j.max_attempts, j.last_error",
        &[i32::try_from(lease_secs).unwrap_or(i32::MAX).into(), only],
    )?;
    let Some(row) = rows.rows.first() else {
        return Ok(None);
    };
    let payload: String = col(row, 2)?;
    Ok(Some(ClaimedJob {
        id: col(row, 0)?,
        kind: col(row, 1)?,
        payload: serde_json::from_str(&payload).map_err(ApiError::internal)?,
        attempt: u32::try_from(col::<i32>(row, 3)?).unwrap_or(0),
        max_attempts: u32::try_from(col::<i32>(row, 4)?).unwrap_or(1),
        give_up: col(row, 5)?,
        last_error: col(row, 6)?,
    }))
}

fn attempt_param(job: &ClaimedJob) -> ParameterValue {
    ParameterValue::Int32(i32::try_from(job.attempt).unwrap_or(i32::MAX))
}

/// The attempt succeeded: `done`.
pub(crate) fn complete(db: &Connection, job: &ClaimedJob) -> Result<(), ApiError> {
    db.execute(
        "update background_jobs set status = 'done', lease_until = null, finished_at = now(), \
           updated_at = now() \
         where id = $1 and status = 'running' and attempts = $2",
        &[job.id.into(), attempt_param(job)],
    )?;
    Ok(())
}

/// The attempt failed: `queued` again, due in `delay_secs`, with `error`.
pub(crate) fn retry_later(
    db: &Connection,
    job: &ClaimedJob,
    delay_secs: u64,
    error: &str,
) -> Result<(), ApiError> {
    db.execute(
        "update background_jobs set status = 'queued', lease_until = null, \
           run_at = now() + make_interval(secs => $3::bigint), last_error = $4, updated_at = now() \
         where id = $1 and status = 'running' and attempts = $2",
        &[
            job.id.into(),
            attempt_param(job),
            i64::try_from(delay_secs).unwrap_or(i64::MAX).into(),
            error.to_owned().into(),
        ],
    )?;
    Ok(())
}

/// Records `error` on the attempt without ending it (before giving up).
pub(crate) fn record_error(db: &Connection, job: &ClaimedJob, error: &str) -> Result<(), ApiError> {
    db.execute(
        "update background_jobs set last_error = $3, updated_at = now() \
         where id = $1 and status = 'running' and attempts = $2",
        &[job.id.into(), attempt_param(job), error.to_owned().into()],
    )?;
    Ok(())
}

/// Given up: `dead`, keeping the last error.
pub(crate) fn bury(db: &Connection, job: &ClaimedJob) -> Result<(), ApiError> {
    db.execute(
        "update background_jobs set status = 'dead', lease_until = null, finished_at = now(), \
           updated_at = now() \
         where id = $1 and status = 'running' and attempts = $2",
        &[job.id.into(), attempt_param(job)],
    )?;
    Ok(())
}

/// Whether any job is due now (after a tick used its budget).
pub(crate) fn any_due(db: &Connection) -> Result<bool, ApiError> {
    let rows = db.query(
        "select exists (select 1 from background_jobs \
           where status in ('queued', 'running') and run_at <= now() \
             and (status = 'queued' or lease_until < now()))",
        &[],
    )?;
    rows.rows.first().map_or(Ok(false), |row| col(row, 0))
}
