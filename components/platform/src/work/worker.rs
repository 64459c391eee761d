//! Running claimed jobs: the dispatch by kind to the handler's private route,
//! and the outcome of each attempt per `farm-work`'s policy. Used by the tick
//! route (drain) and by endpoints that start a job at once after their
//! response (the fast path).

use std::time::Instant;

use farm_work::{AfterFailure, RetryPolicy, TickBudget};
use serde::Serialize;
use serde_json::Value;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::pg4::Connection;

use super::handlers::handler_url;
use super::store::{self, ClaimedJob};
use crate::internal::INTERNAL_HEADER;
use crate::{ApiError, Ctx, RequestLog};

/// What a handler receives (the body of `POST <handler url>`).
#[derive(Debug, Serialize)]
pub struct Envelope<'a> {
    pub job_id: i64,
    pub kind: &'a str,
    pub payload: &'a Value,
    pub attempt: u32,
    pub max_attempts: u32,
    pub give_up: bool,
    pub last_error: Option<&'a str>,
}

/// How one claimed job ended this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    Done,
    /// Failed; queued again after the backoff.
    Retried,
    /// Given up: `dead`, its handler told.
    Dead,
}

/// What one tick did (the tick route's answer).
#[derive(Debug, Default, Serialize)]
pub struct TickReport {
    pub started: u32,
    pub done: u32,
    pub retried: u32,
    pub dead: u32,
    /// Jobs were still due when the budget ran out: call again soon.
    pub more_due: bool,
    pub elapsed_ms: u64,
}

/// Runs jobs: claims, dispatches to handlers by service chaining, records
/// outcomes. Built from a request's variables, then usable after the
/// response too (it owns what it needs).
#[derive(Debug, Clone)]
pub struct Worker {
    db_url: String,
    token: String,
    lease_secs: u32,
    policy: RetryPolicy,
    log: RequestLog,
}

impl Worker {
    /// Reads `db_url`, `internal_token` and, when the component declares it,
    /// `work_lease_seconds` (default `farm_work::LEASE_SECS`; tests shorten it).
    pub fn from_ctx(ctx: &Ctx) -> Result<Self, ApiError> {
        let lease_secs = match ctx.var("work_lease_seconds") {
            Ok(text) => text.trim().parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                ApiError::internal(format!(
                    "work_lease_seconds {text:?} is not a positive integer"
                ))
            })?,
            Err(_) => farm_work::LEASE_SECS,
        };
        Ok(Self {
            db_url: ctx.var("db_url")?,
            token: ctx.var("internal_token")?,
            lease_secs,
            policy: RetryPolicy::default(),
            log: ctx.logger(),
        })
    }

    fn connect(&self) -> Result<Connection, ApiError> {
        Connection::open(&self.db_url)
            .map_err(|e| ApiError::unavailable(format!("postgres open: {e}")))
    }

    /// The fast path: runs job `job_id` now if it is due and nobody holds
    /// its lease (else `None`: the tick or another worker has it). Errors
    /// are logged; the job stays in the queue for the tick.
    pub fn run_now(&self, job_id: i64) -> Option<JobOutcome> {
        let outcome =
            self.connect().and_then(
                |db| match store::claim(&db, self.lease_secs, Some(job_id))? {
                    Some(job) => self.run(&db, &job).map(Some),
                    None => Ok(None),
                },
            );
        outcome.unwrap_or_else(|e| {
            self.log.line(format_args!(
                "work job={job_id} not run now: {}",
                e.cause().unwrap_or(e.message())
            ));
            None
        })
    }

    /// Claims and runs due jobs one at a time while `budget` allows.
    pub fn drain(&self, budget: TickBudget) -> Result<TickReport, ApiError> {
        let started_at = Instant::now();
        let db = self.connect()?;
        let mut report = TickReport::default();
        while budget.may_start(report.started, started_at.elapsed()) {
            let Some(job) = store::claim(&db, self.lease_secs, None)? else {
                break;
            };
            report.started += 1;
            match self.run(&db, &job)? {
                JobOutcome::Done => report.done += 1,
                JobOutcome::Retried => report.retried += 1,
                JobOutcome::Dead => report.dead += 1,
            }
        }
        report.more_due =
            !budget.may_start(report.started, started_at.elapsed()) && store::any_due(&db)?;
        report.elapsed_ms = u64::try_from(started_at.elapsed().as_millis()).unwrap_or(u64::MAX);
        Ok(report)
    }

    /// One attempt of a claimed job, to its recorded outcome.
    fn run(&self, db: &Connection, job: &ClaimedJob) -> Result<JobOutcome, ApiError> {
        let started = Instant::now();
        let outcome = if job.give_up {
            self.give_up(db, job, job.last_error.as_deref())?
        } else {
            match self.call_handler(job, false, None) {
                Ok(()) => {
                    store::complete(db, job)?;
                    JobOutcome::Done
                }
                Err(error) => match self.policy.after_failure(job.attempt, job.max_attempts) {
                    AfterFailure::RetryIn(delay) => {
                        store::retry_later(db, job, delay.as_secs(), &error)?;
                        JobOutcome::Retried
                    }
                    AfterFailure::GiveUp => {
                        store::record_error(db, job, &error)?;
                        self.give_up(db, job, Some(&error))?
                    }
                },
            }
        };
        self.log.line(format_args!(
            "work job={} kind={} attempt={}/{} outcome={outcome:?} ms={}",
            job.id,
            job.kind,
            job.attempt,
            job.max_attempts,
            started.elapsed().as_millis()
        ));
        Ok(outcome)
    }

    /// Tells the handler the job is given up, then buries it. If the handler
    /// cannot be told, the job is queued again (still without attempts) so
    /// a later tick tells it: the owner's state must not stay half-done.
    fn give_up(
        &self,
        db: &Connection,
        job: &ClaimedJob,
        last_error: Option<&str>,
    ) -> Result<JobOutcome, ApiError> {
        match self.call_handler(job, true, last_error) {
            Ok(()) => {
                store::bury(db, job)?;
                Ok(JobOutcome::Dead)
            }
            // A kind nobody handles has nobody to tell.
            Err(_) if handler_url(&job.kind).is_none() => {
                store::bury(db, job)?;
                Ok(JobOutcome::Dead)
            }
            Err(error) => {
                self.log.line(format_args!(
                    "work job={} give-up not delivered: {error}",
                    job.id
                ));
                let delay = self.policy.backoff(job.attempt);
                let last = last_error.unwrap_or(&error);
                store::retry_later(db, job, delay.as_secs(), last)?;
                Ok(JobOutcome::Retried)
            }
        }
    }

    /// POSTs the envelope to the kind's handler; `Err` carries the reason
    /// the attempt failed (it becomes `last_error`).
    fn call_handler(
        &self,
        job: &ClaimedJob,
        give_up: bool,
        last_error: Option<&str>,
    ) -> Result<(), String> {
        let url =
            handler_url(&job.kind).ok_or_else(|| format!("no handler for kind `{}`", job.kind))?;
        let envelope = Envelope {
            job_id: job.id,
            kind: &job.kind,
            payload: &job.payload,
            attempt: job.attempt,
            max_attempts: job.max_attempts,
            give_up,
            last_error: last_error.or(job.last_error.as_deref()),
        };
        let body = serde_json::to_vec(&envelope).map_err(|e| e.to_string())?;
        let request = Request::builder()
            .method(Method::Post)
            .uri(url)
            .header("content-type", "application/json")
            .header(INTERNAL_HEADER, self.token.as_str())
            .header("x-request-id", self.log.request_id())
            .body(body)
            .build();
        let response: Response = spin_sdk::http::run(spin_sdk::http::send(request))
            .map_err(|e| format!("handler {url} unreachable: {e}"))?;
        let status = *response.status();
        if (200..300).contains(&status) {
            return Ok(());
        }
        let detail = serde_json::from_slice::<Value>(response.body())
            .ok()
            .and_then(|v| {
                Some(format!(
                    "{}: {}",
                    v["error"].as_str()?,
                    v["message"].as_str().unwrap_or_default()
                ))
            })
            .unwrap_or_else(|| "no JSON error body".to_owned());
        Err(format!("handler answered {status} ({detail})"))
    }
}
