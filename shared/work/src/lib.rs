//! `farm-work`: the rules of the durable work queue, apart from its storage.
//!
//! The queue itself is the `background_jobs` table (migrations/0005) and
//! `farm_platform::work`; this crate decides, without I/O, what happens to a
//! job after each attempt and how much work one tick may start. The model is
//! River's and graphile-worker's: a job row with a kind, a payload, attempts,
//! `run_at`, a lease, and a dead-letter state holding the last error.
//!
//! - A claim takes a due job (`queued` and `run_at <= now`, or `running`
//!   whose lease has expired), counts one attempt and leases the job for
//!   [`LEASE_SECS`]. Nobody else can claim it until the lease expires, so the
//!   after-response fast path and the tick never run the same job at once.
//! - A failed attempt is retried after [`RetryPolicy::backoff`] until
//!   `max_attempts` attempts have been made; then the job is given up: its
//!   handler records the permanent failure, and the row becomes `dead` with
//!   the last error.
//! - A tick starts jobs only while [`TickBudget::may_start`] says so, so that
//!   the tick request ends well inside hosted Spin's 30 s limit.

use std::time::Duration;

/// How long a claimed job is leased to its worker, in seconds.
///
/// A job's handler runs inside one HTTP request, which hosted Spin ends after
/// 30 s (Fermyon Cloud / Akamai Functions request limit). Twice that leaves a
/// margin for the dispatcher's own round trips, so a live worker never loses
/// its lease, while a worker that died is replaced within a minute.
pub const LEASE_SECS: u32 = 60;

/// Hosted Spin's limit on one request, in seconds (Fermyon Cloud / Akamai
/// Functions); the tick must answer within it.
pub const HOSTED_REQUEST_LIMIT_SECS: u32 = 30;

// A lease shorter than the longest request would let a second worker start a
// job its first worker is still running.
const _: () = assert!(LEASE_SECS > HOSTED_REQUEST_LIMIT_SECS);

/// Attempts a job gets unless its kind says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// When to retry a failed attempt: exponential backoff from `base`, doubling
/// per attempt made, capped at `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    /// 10 s, 20 s, 40 s, 80 s, ... up to one hour: quick enough that a blip
    /// of the object store delays an analysis by seconds, slow enough that a
    /// real outage is not hammered. (graphile-worker's schedule is
    /// `exp(attempts)` seconds; River's `attempts^4`; both grow the same way.)
    fn default() -> Self {
        Self {
            base: Duration::from_secs(10),
            cap: Duration::from_secs(3600),
        }
    }
}

impl RetryPolicy {
    /// The wait before the next attempt, after `attempts_made` attempts
    /// (1 or more) have failed: `base * 2^(attempts_made - 1)`, at most `cap`.
    pub fn backoff(&self, attempts_made: u32) -> Duration {
        let doublings = attempts_made.saturating_sub(1).min(31);
        self.base
            .checked_mul(1u32 << doublings)
            .map_or(self.cap, |d| d.min(self.cap))
    }

    /// What follows a failed attempt: another try after the backoff, or
    /// giving up once `attempts_made` reached `max_attempts`.
    pub fn after_failure(&self, attempts_made: u32, max_attempts: u32) -> AfterFailure {
        if attempts_made >= max_attempts {
            AfterFailure::GiveUp
        } else {
            AfterFailure::RetryIn(self.backoff(attempts_made))
        }
    }
}

/// The decision after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Queue the job again, due after this wait.
    RetryIn(Duration),
    /// No attempts left: the handler records the permanent failure and the
    /// job becomes `dead` with its last error.
    GiveUp,
}

/// Bounds one tick: at most `max_jobs` jobs, and none started after
/// `start_window` has passed since the tick began.
///
/// The window is a third of hosted Spin's 30 s limit: a job started just
/// before it closes still has 20 s, and handlers are written to finish well
/// within that (the analysis of the largest accepted upload takes a few
/// seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TickBudget {
    pub max_jobs: u32,
    pub start_window: Duration,
}

impl Default for TickBudget {
    fn default() -> Self {
        Self {
            max_jobs: 50,
            start_window: Duration::from_secs(u64::from(HOSTED_REQUEST_LIMIT_SECS / 3)),
        }
    }
}

impl TickBudget {
    /// Whether the tick may claim another job, having started `started` jobs
    /// `elapsed` after it began.
    pub fn may_start(&self, started: u32, elapsed: Duration) -> bool {
        started < self.max_jobs && elapsed < self.start_window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn backoff_doubles_from_ten_seconds_per_failed_attempt() {
        let p = RetryPolicy::default();
        let schedule: Vec<u64> = (1..=6).map(|n| p.backoff(n).as_secs()).collect();
        assert_eq!(schedule, [10, 20, 40, 80, 160, 320]);
    }

    #[test]
    fn backoff_is_capped_at_an_hour_and_never_overflows() {
        let p = RetryPolicy::default();
        // 10 s * 2^9 = 5120 s is past the cap; 2^8 * 10 = 2560 s is not.
        assert_eq!(p.backoff(9), secs(2560));
        assert_eq!(p.backoff(10), secs(3600));
        assert_eq!(p.backoff(40), secs(3600));
        assert_eq!(p.backoff(u32::MAX), secs(3600));
    }

    #[test]
    fn zero_attempts_waits_the_base() {
        assert_eq!(RetryPolicy::default().backoff(0), secs(10));
    }

    #[test]
    fn the_last_allowed_attempt_gives_up_and_earlier_ones_retry() {
        let p = RetryPolicy::default();
        assert_eq!(p.after_failure(1, 3), AfterFailure::RetryIn(secs(10)));
        assert_eq!(p.after_failure(2, 3), AfterFailure::RetryIn(secs(20)));
        assert_eq!(p.after_failure(3, 3), AfterFailure::GiveUp);
        // A job reclaimed after its final attempt's lease expired.
        assert_eq!(p.after_failure(4, 3), AfterFailure::GiveUp);
    }

    #[test]
    fn a_tick_stops_starting_jobs_at_its_window_or_its_job_limit() {
        let b = TickBudget::default();
        assert_eq!(b.start_window, secs(10));
        assert!(b.may_start(0, Duration::ZERO));
        assert!(b.may_start(49, secs(9)));
        assert!(!b.may_start(50, secs(1)), "job limit");
        assert!(!b.may_start(3, secs(10)), "window closed");
    }
}
