//! Rate limits on requests that carry no API key (`connect`, `connect/verify`):
//! per client address and per named subject such as an email. Same table and
//! arithmetic as the per-key limit ([`Ctx::authenticate`]): one atomic upsert
//! on `rate_limit_windows`, keyed by a bucket name instead of a key id.

use crate::auth::col;
use crate::ctx::Ctx;
use crate::error::ApiError;
use farm_domain::rate_limit::{FixedWindow, client_bucket, forwarded_client};

impl Ctx {
    /// The caller's network address as a rate-limit bucket (IPv4 address or
    /// IPv6 /64), from Spin's `spin-client-addr` header. When the app runs
    /// behind a proxy, set the component variable `client_ip_header` to the
    /// header the proxy writes (e.g. `x-forwarded-for`); its rightmost entry
    /// is used. `None` when neither gives an address (a chained request).
    pub fn client_bucket(&self) -> Option<String> {
        let proxied = self
            .var("client_ip_header")
            .ok()
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty());
        let raw = match proxied {
            Some(header) => self.header(&header).and_then(forwarded_client),
            None => self.header("spin-client-addr"),
        };
        raw.and_then(client_bucket)
    }

    /// Counts this request in `bucket`'s current window and refuses it over
    /// the limit: 429 `rate_limit_exceeded` with `Retry-After`, naming the
    /// limit (`limit_scope`, e.g. `client_address` or `email`). Bucket names
    /// are namespaced by the caller (`connect:addr:…`) and never collide
    /// with key ids (`key_…`).
    pub fn limit(
        &mut self,
        scope: &str,
        bucket: &str,
        window: FixedWindow,
    ) -> Result<(), ApiError> {
        let now = self.now();
        let rows = self.db()?.query(
            "insert into rate_limit_windows (key_id, window_start, count) values ($1, $2, 1) \
             on conflict (key_id, window_start) do update set count = rate_limit_windows.count + 1 \
             returning count::bigint",
            &[bucket.to_string().into(), window.window_start(now).into()],
        )?;
        let count: i64 = rows
            .rows
            .first()
            .map(|r| col(r, 0))
            .transpose()?
            .unwrap_or(0);
        let decision = window.decide(count.max(0) as u64, now);
        if decision.allowed {
            return Ok(());
        }
        Err(ApiError::new(
            429,
            "rate_limit_exceeded",
            format!(
                "More than {} requests per {} s for this {}; retry after {} s.",
                decision.limit,
                window.window_secs,
                scope.replace('_', " "),
                decision.retry_after_secs
            ),
        )
        .with_detail("limit", decision.limit)
        .with_detail("limit_scope", scope)
        .with_detail("window_seconds", window.window_secs)
        .with_detail("retry_after_seconds", decision.retry_after_secs)
        .with_header("retry-after", decision.retry_after_secs.to_string()))
    }
}
