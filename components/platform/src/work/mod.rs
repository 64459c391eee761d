//! The durable work queue (`background_jobs`, migrations/0005): the one way
//! to do work after a response. Rules (backoff, attempt limit, lease length,
//! the tick's budget) are in `farm-work`; this module is their Postgres and
//! HTTP side.
//!
//! ```ignore
//! // In the transaction that makes the work necessary:
//! farm_platform::transaction(db, |db| {
//!     db.execute("update files set status = 'processing' ...", &[...])?;
//!     work::enqueue(db, "analyze_file", &json!({"file_id": id}), Some(&id))
//! })?;
//! // Optionally start it at once, after the response (the fast path):
//! let worker = work::Worker::from_ctx(ctx)?;
//! ctx.after_response(move || { worker.run_now(job_id); });
//! ```
//!
//! Anything that must happen is a row first: the tick route
//! (`components/tick`, `POST /internal/tick`) drains whatever the fast path
//! did not finish, including jobs whose worker died (their lease expires).
//! A job is dispatched by its kind ([`handlers::HANDLERS`]) to a private
//! route of the component that owns the work, by Spin service chaining.
//!
//! # The handler contract
//!
//! `POST <handler url>` with the internal token (`X-Farm-Internal-Token`)
//! and the JSON [`Envelope`] `{job_id, kind, payload, attempt,
//! max_attempts, give_up, last_error}`.
//! - `give_up: false`: do the work. Any 2xx means done (including a
//!   permanent, recorded failure such as an unreadable mesh); anything else,
//!   or no answer, is a failed attempt, retried after the backoff. The error
//!   message (`message` of the JSON error, else the status) becomes the job's
//!   `last_error`.
//! - `give_up: true`: the job has no attempts left; record the permanent
//!   failure in the owner's tables (the analysis marks the file `failed`) and
//!   answer 2xx; the job then becomes `dead`.
//!
//! Handlers must be idempotent on `job_id`: a job may run twice (a worker
//! that outlived its lease, a lost answer), never at the same time as
//! itself while its lease holds.

pub mod handlers;
mod job;
mod store;
mod worker;

pub use job::{Job, job};
pub use store::{ClaimedJob, enqueue, enqueue_delayed, enqueue_with};
pub use worker::{Envelope, JobOutcome, TickReport, Worker};
