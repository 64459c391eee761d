//! When to try a delivery again, and what a receiver's answer means.
//!
//! The schedule follows Stripe's and the Standard Webhooks guidance
//! (exponential backoff with jitter, retries for about three days): 16
//! attempts, the n-th failure waits `60 s * 2^(n-1)`, capped at 12 h, times
//! a jitter factor in [1.0, 1.2) so receivers that failed together do not
//! come back together (jitter only delays, so the span never shrinks). The 15
//! waits add up to between 3.2 and 3.9 days (checked below). A `Retry-After` answer (seconds or an
//! HTTP-date) pushes the next attempt later, never earlier, and at most 24 h.

use std::time::Duration;

/// Attempts per delivery (issue 13: "about 16").
pub const MAX_ATTEMPTS: u32 = 16;

/// One attempt's limit for connecting and for the whole answer (issue 13).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// An endpoint failing without one success for this long is disabled and its
/// account told by mail (issue 13: 3 days).
pub const DISABLE_AFTER_FAILING: Duration = Duration::from_secs(3 * 24 * 3600);

/// The first wait.
pub const BASE: Duration = Duration::from_secs(60);
/// The longest wait from the backoff alone.
pub const CAP: Duration = Duration::from_secs(12 * 3600);
/// The longest wait a receiver's `Retry-After` can ask for.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// What one attempt's answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// 2xx: delivered.
    Delivered,
    /// 410 Gone: the receiver asks us to stop; the endpoint is disabled.
    Gone,
    /// Anything else (other status, redirect, timeout, refused target):
    /// retried while attempts remain.
    Failed,
}

/// The verdict of an answer with `status` (`None`: no answer at all).
/// Redirects are failures: they are never followed (a redirect could point
/// anywhere, including at a private address).
pub fn verdict(status: Option<u16>) -> Verdict {
    match status {
        Some(200..=299) => Verdict::Delivered,
        Some(410) => Verdict::Gone,
        _ => Verdict::Failed,
    }
}

/// After a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    RetryIn(Duration),
    /// No attempts left: the delivery is `failed`.
    GiveUp,
}

/// The backoff after `attempts_made` failures (1-based) with jitter
/// `jitter` in [0, 1) (the caller draws it), before `Retry-After`.
pub fn backoff(attempts_made: u32, jitter: f64) -> Duration {
    let doublings = attempts_made.saturating_sub(1).min(20);
    let plain = BASE.saturating_mul(1 << doublings).min(CAP);
    plain.mul_f64(1.0 + 0.2 * jitter.clamp(0.0, 0.999_999))
}

/// What follows a failed attempt: another try after the backoff (or the
/// receiver's `Retry-After`, whichever is later), or giving up.
pub fn after_failure(attempts_made: u32, jitter: f64, retry_after: Option<Duration>) -> Next {
    if attempts_made >= MAX_ATTEMPTS {
        return Next::GiveUp;
    }
    let wait = backoff(attempts_made, jitter);
    Next::RetryIn(match retry_after {
        Some(asked) => wait.max(asked.min(MAX_RETRY_AFTER)),
        None => wait,
    })
}

/// Parses a `Retry-After` value at `now_unix`: delay-seconds or an
/// HTTP-date (RFC 9110 §10.2.3). A date in the past is no wait; anything
/// unparseable is ignored (`None`).
pub fn parse_retry_after(value: &str, now_unix: i64) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let at = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    let now = u64::try_from(now_unix).unwrap_or(0);
    Some(Duration::from_secs(at.saturating_sub(now)))
}

/// Whether an endpoint failing since `failing_since_unix` (its first
/// failure after its last success) is past the limit at `now_unix`.
pub fn should_disable(failing_since_unix: i64, now_unix: i64) -> bool {
    let limit = i64::try_from(DISABLE_AFTER_FAILING.as_secs()).unwrap_or(i64::MAX);
    now_unix.saturating_sub(failing_since_unix) >= limit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_map_to_delivered_gone_or_failed() {
        assert_eq!(verdict(Some(200)), Verdict::Delivered);
        assert_eq!(verdict(Some(204)), Verdict::Delivered);
        assert_eq!(verdict(Some(410)), Verdict::Gone);
        for failed in [Some(301), Some(302), Some(404), Some(429), Some(500), None] {
            assert_eq!(verdict(failed), Verdict::Failed, "{failed:?}");
        }
    }

    #[test]
    fn the_waits_double_from_a_minute_and_stop_at_twelve_hours() {
        // Jitter 0 is factor 1.0: the plain schedule.
        let plain: Vec<u64> = (1..=11).map(|n| backoff(n, 0.0).as_secs()).collect();
        assert_eq!(
            plain,
            [
                60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 30720, 43200
            ]
        );
        assert_eq!(backoff(40, 0.0), CAP);
    }

    #[test]
    fn jitter_delays_each_wait_by_up_to_a_fifth() {
        assert_eq!(backoff(1, 0.0), Duration::from_secs(60));
        assert_eq!(backoff(1, 0.5), Duration::from_secs(66));
        assert!(backoff(1, 0.999) < Duration::from_secs(72));
        assert!(backoff(1, 0.999) > Duration::from_secs(71));
    }

    #[test]
    fn sixteen_attempts_span_more_than_three_days_even_with_the_least_jitter() {
        let mut total = Duration::ZERO;
        let mut attempts = 1;
        while let Next::RetryIn(wait) = after_failure(attempts, 0.0, None) {
            total += wait;
            attempts += 1;
        }
        assert_eq!(attempts, MAX_ATTEMPTS);
        assert!(total >= Duration::from_secs(3 * 24 * 3600), "{total:?}");
        // And not absurdly more (under 4 days with the most jitter).
        let most: Duration = (1..MAX_ATTEMPTS).map(|n| backoff(n, 0.999)).sum();
        assert!(most < Duration::from_secs(4 * 24 * 3600), "{most:?}");
    }

    #[test]
    fn retry_after_only_ever_delays_and_is_capped_at_a_day() {
        let asked = |s| after_failure(1, 0.0, Some(Duration::from_secs(s)));
        assert_eq!(asked(5), Next::RetryIn(Duration::from_secs(60)));
        assert_eq!(asked(600), Next::RetryIn(Duration::from_secs(600)));
        assert_eq!(asked(10 * 86400), Next::RetryIn(MAX_RETRY_AFTER));
        assert_eq!(
            after_failure(MAX_ATTEMPTS, 0.5, Some(Duration::ZERO)),
            Next::GiveUp
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        // 1994-11-06T08:49:37Z is 784111777 (RFC 9110's example date).
        let now = 784_111_777 - 120;
        assert_eq!(
            parse_retry_after(" 30 ", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now + 1000),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn an_endpoint_is_disabled_after_three_days_of_failures() {
        let start = 1_700_000_000;
        assert!(!should_disable(start, start + 3 * 86400 - 1));
        assert!(should_disable(start, start + 3 * 86400));
    }
}
