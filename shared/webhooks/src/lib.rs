//! `farm-webhooks`: the rules of webhook delivery, apart from storage and
//! HTTP (components/webhooks, components/webhook-sender and
//! `farm_platform::events` do the I/O).
//!
//! - [`retry`]: the attempt schedule (16 attempts, exponential backoff with
//!   jitter over more than three days), `Retry-After`, what an answer means
//!   (2xx delivered, 410 disables the endpoint, anything else retries), and
//!   when a continuously failing endpoint is disabled.
//! - [`target`]: which URLs an endpoint may have (https in live mode; no
//!   private, loopback, link-local or metadata addresses unless the operator
//!   allows them).
//! - [`events`]: the event types a partner may subscribe to, and filters.

pub mod events;
pub mod retry;
pub mod target;

/// At most this many endpoints per account (issue 13).
pub const MAX_ENDPOINTS_PER_ACCOUNT: i64 = 16;

/// How long a rotated-out secret keeps signing beside the new one, in
/// seconds (24 h, issue 13: receivers roll without downtime).
pub const ROTATION_OVERLAP_SECS: i64 = 24 * 3600;

/// Bytes of a receiver's response body kept as the attempt's excerpt, and
/// the most read from the wire (the rest is never read).
pub const RESPONSE_EXCERPT_BYTES: usize = 1024;
