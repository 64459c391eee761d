//! Keeping tests that count per calendar period away from the period's edge.
//!
//! The server counts requests per UTC minute (rate limits) and per UTC day
//! and month (usage). A test that asserts exact counts must not straddle two
//! periods, so it starts early enough in one. Waiting is cheap: at most the
//! length of the guard, and only when the clock is that close to the edge.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Seconds to wait so that `needed` seconds fit before the next multiple of
/// `period` (0 when they already fit).
fn wait_needed(now: u64, period: u64, needed: u64) -> u64 {
    let into = now % period;
    if into + needed >= period {
        period - into + 1
    } else {
        0
    }
}

/// Returns when at least `needed_secs` remain in the current UTC minute,
/// sleeping into the next minute if fewer do (rate-limit windows are
/// calendar minutes).
pub async fn within_one_minute(needed_secs: u64) {
    let wait = wait_needed(unix_secs(), 60, needed_secs.min(58));
    tokio::time::sleep(Duration::from_secs(wait)).await;
}

/// Returns when at least `needed_secs` remain before UTC midnight, sleeping
/// past midnight if fewer do (usage is counted per UTC day and month, and a
/// month ends at a midnight).
pub async fn within_one_utc_day(needed_secs: u64) {
    let wait = wait_needed(unix_secs(), 86_400, needed_secs.min(3_600));
    tokio::time::sleep(Duration::from_secs(wait)).await;
}

#[cfg(test)]
mod tests {
    use super::wait_needed;

    #[test]
    fn waits_only_near_the_edge() {
        assert_eq!(wait_needed(86_400 * 3 + 100, 86_400, 120), 0);
        assert_eq!(wait_needed(86_400 * 4 - 30, 86_400, 120), 31);
        assert_eq!(wait_needed(120, 60, 10), 0);
        assert_eq!(wait_needed(175, 60, 10), 6);
    }
}
