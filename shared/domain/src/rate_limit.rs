//! Fixed-window rate limiting arithmetic.
//!
//! Each key has one counter per window (a calendar minute by default). The
//! counter is incremented atomically in the database *before* the decision,
//! so with a limit of 60 exactly the requests that saw a count of 1..=60 are
//! allowed, however many arrive at once.

/// Default requests per minute per key (Spin variable `rate_limit_per_minute`).
pub const DEFAULT_PER_MINUTE: u32 = 60;

/// Default requests per UTC day per key (seed 002: "1,000 requests/day";
/// Spin variable `rate_limit_per_day`), on top of the per-minute limit.
pub const DEFAULT_PER_DAY: u32 = 1000;

/// Seconds in the daily window (a UTC calendar day).
pub const DAY_SECS: i64 = 86_400;

/// A fixed window: `limit` requests per `window_secs`, windows aligned to
/// multiples of `window_secs` since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedWindow {
    pub limit: u32,
    pub window_secs: i64,
}

/// The outcome for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    /// Requests left in this window after this one.
    pub remaining: u32,
    /// Unix seconds at which the window ends and the counter resets.
    pub reset_at: i64,
    /// Seconds to wait before retrying (at least 1); meaningful when refused.
    pub retry_after_secs: i64,
}

impl FixedWindow {
    pub fn per_minute(limit: u32) -> Self {
        FixedWindow {
            limit,
            window_secs: 60,
        }
    }

    /// `limit` requests per UTC calendar day (windows aligned to midnight UTC).
    pub fn per_day(limit: u32) -> Self {
        FixedWindow {
            limit,
            window_secs: DAY_SECS,
        }
    }

    /// `"minute"` or `"day"` (the `limit_scope` of a 429), else `"window"`.
    pub fn scope_name(&self) -> &'static str {
        match self.window_secs {
            60 => "minute",
            DAY_SECS => "day",
            _ => "window",
        }
    }

    /// Start (Unix seconds) of the window containing `now`.
    pub fn window_start(&self, now: i64) -> i64 {
        now - now.rem_euclid(self.window_secs)
    }

    /// End of the window containing `now`: when the counter resets.
    pub fn reset_at(&self, now: i64) -> i64 {
        self.window_start(now) + self.window_secs
    }

    /// Decides a request given the window's count *including* this request.
    pub fn decide(&self, count: u64, now: i64) -> Decision {
        let reset_at = self.reset_at(now);
        Decision {
            allowed: count <= u64::from(self.limit),
            limit: self.limit,
            remaining: u64::from(self.limit)
                .saturating_sub(count)
                .try_into()
                .unwrap_or(u32::MAX),
            reset_at,
            retry_after_secs: (reset_at - now).max(1),
        }
    }
}

/// The rate-limit bucket of a client address, from Spin's `spin-client-addr`
/// header (`ip:port`, `[v6]:port`) or a bare IP: the IPv4 address, or the
/// IPv6 /64 network (one subscriber usually holds a whole /64, so limiting
/// single v6 addresses would limit nothing). `None` when unparseable.
pub fn client_bucket(addr: &str) -> Option<String> {
    use std::net::{IpAddr, SocketAddr};
    let addr = addr.trim();
    let ip = addr
        .parse::<SocketAddr>()
        .map(|s| s.ip())
        .or_else(|_| addr.parse::<IpAddr>())
        .ok()?;
    let ip = match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    };
    Some(match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    })
}

/// The client address a trusted proxy reported in a header such as
/// `X-Forwarded-For: client, proxy1, proxy2`: the rightmost entry, the one
/// the proxy in front of us appended (entries to its left are whatever the
/// client sent and cannot be trusted).
pub fn forwarded_client(header: &str) -> Option<&str> {
    header.rsplit(',').map(str::trim).find(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_daily_window_starts_at_midnight_utc_and_resets_at_the_next() {
        let d = FixedWindow::per_day(1000);
        // 2024-02-28T12:30:56Z; midnight UTC that day is 1_709_078_400.
        let now = 1_709_123_456;
        assert_eq!(d.window_start(now), 1_709_078_400);
        assert_eq!(d.reset_at(now), 1_709_164_800);
        let refused = d.decide(1001, now);
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after_secs, 1_709_164_800 - now);
        assert!(d.decide(1000, now).allowed);
        assert_eq!(d.scope_name(), "day");
        assert_eq!(FixedWindow::per_minute(5).scope_name(), "minute");
    }

    #[test]
    fn windows_align_to_the_minute() {
        let w = FixedWindow::per_minute(60);
        assert_eq!(w.window_start(1_709_123_456), 1_709_123_400);
        assert_eq!(w.reset_at(1_709_123_456), 1_709_123_460);
        assert_eq!(w.window_start(1_709_123_400), 1_709_123_400);
        assert_eq!(w.window_start(1_709_123_459), 1_709_123_400);
        assert_eq!(w.window_start(1_709_123_460), 1_709_123_460);
        assert_eq!(w.window_start(-1), -60);
    }

    #[test]
    fn the_limit_th_request_is_allowed_and_the_next_refused() {
        let w = FixedWindow::per_minute(60);
        let now = 1_709_123_456;
        let first = w.decide(1, now);
        assert!(first.allowed);
        assert_eq!(first.remaining, 59);
        let last = w.decide(60, now);
        assert!(last.allowed);
        assert_eq!(last.remaining, 0);
        let over = w.decide(61, now);
        assert!(!over.allowed);
        assert_eq!(over.remaining, 0);
        assert_eq!(over.reset_at, 1_709_123_460);
        assert_eq!(over.retry_after_secs, 4);
    }

    #[test]
    fn retry_after_is_at_least_one_second() {
        let w = FixedWindow::per_minute(1);
        assert_eq!(w.decide(2, 1_709_123_400).retry_after_secs, 60);
        assert_eq!(w.decide(2, 1_709_123_459).retry_after_secs, 1);
    }

    #[test]
    fn client_buckets_are_v4_addresses_and_v6_networks() {
        assert_eq!(
            client_bucket("203.0.113.7:51234").as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(client_bucket("203.0.113.7").as_deref(), Some("203.0.113.7"));
        assert_eq!(
            client_bucket("[2001:db8:1:2:aaaa::1]:443").as_deref(),
            Some("2001:db8:1:2::/64")
        );
        assert_eq!(
            client_bucket("2001:db8:1:2:ffff::9"),
            client_bucket("[2001:db8:1:2::1]:1")
        );
        assert_ne!(
            client_bucket("2001:db8:1:3::1"),
            client_bucket("2001:db8:1:2::1")
        );
        assert_eq!(
            client_bucket("[::ffff:198.51.100.1]:80").as_deref(),
            Some("198.51.100.1")
        );
        assert_eq!(client_bucket("not an address"), None);
        assert_eq!(client_bucket(""), None);
    }

    #[test]
    fn the_forwarded_client_is_the_rightmost_entry() {
        assert_eq!(
            forwarded_client("1.1.1.1, 2.2.2.2 , 3.3.3.3"),
            Some("3.3.3.3")
        );
        assert_eq!(forwarded_client("4.4.4.4"), Some("4.4.4.4"));
        assert_eq!(forwarded_client("5.5.5.5, "), Some("5.5.5.5"));
        assert_eq!(forwarded_client(" "), None);
    }
}
