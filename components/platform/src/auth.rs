//! The one authentication path: Bearer key → caller, rate limit, scope.

use crate::ctx::Ctx;
use crate::error::ApiError;
use farm_domain::api_key::{ApiKeySecret, KeyHash, KeyMode};
use farm_domain::calendar::UtcDate;
use farm_domain::rate_limit::{DEFAULT_PER_MINUTE, Decision, FixedWindow};
use farm_domain::scope::{Scope, ScopeSet};
use spin_sdk::pg4::Decode;

/// Who is calling: the account and key behind a valid, unrevoked API key.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account_id: String,
    pub key_id: String,
    /// Live keys act on the real farm; test keys on the simulated farm.
    pub mode: KeyMode,
    pub scopes: ScopeSet,
}

impl Caller {
    /// 403 `insufficient_scope` unless the key holds `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes.contains(scope) {
            Ok(())
        } else {
            Err(ApiError::insufficient_scope(scope))
        }
    }
}

impl Ctx {
    /// Authenticates the request and returns the caller.
    ///
    /// In order: reads `Authorization: Bearer <key>` (missing or malformed →
    /// 401 `invalid_api_key`); finds the key by its SHA-256 and confirms the
    /// match in constant time (unknown or revoked → the same 401); counts the
    /// request against the key's per-minute window and sets
    /// `X-RateLimit-Limit/-Remaining/-Reset` on the eventual response,
    /// whatever its status (over the limit → 429 `rate_limit_exceeded` with
    /// `Retry-After`); finally checks `scope` (missing → 403
    /// `insufficient_scope`). Every call hits the database, so a revoked key
    /// fails on the very next request.
    pub fn authenticate(&mut self, scope: Scope) -> Result<Caller, ApiError> {
        let presented = self.bearer_key()?;
        let secret = ApiKeySecret::parse(&presented).map_err(|_| {
            ApiError::invalid_api_key("The API key is malformed; expected fk_live_… or fk_test_….")
        })?;
        let hash = secret.hash();
        let rows = self.db()?.query(
            "select id, account_id, key_hash, mode, scopes, revoked_at is not null as revoked \
             from api_keys where key_hash = $1",
            &[hash.as_str().to_string().into()],
        )?;
        let Some(row) = rows.rows.first() else {
            return Err(ApiError::invalid_api_key("The API key is not valid."));
        };
        let stored = KeyHash::from_stored(col::<String>(row, 2)?);
        if !hash.matches(&stored) || col::<bool>(row, 5)? {
            return Err(ApiError::invalid_api_key("The API key is not valid."));
        }
        let caller = Caller {
            key_id: col(row, 0)?,
            account_id: col(row, 1)?,
            mode: KeyMode::parse(&col::<String>(row, 3)?)
                .map_err(|_| ApiError::internal("stored key mode is invalid"))?,
            scopes: ScopeSet::from_storage(&col::<String>(row, 4)?),
        };
        self.caller = Some(caller.clone());
        let decision = self.count_request(&caller)?;
        if !decision.allowed {
            return Err(ApiError::rate_limited(&decision));
        }
        caller.require(scope)?;
        Ok(caller)
    }

    /// The configured per-minute limit (variable `rate_limit_per_minute`).
    pub fn rate_limit_per_minute(&self) -> u32 {
        match self
            .var("rate_limit_per_minute")
            .map(|v| v.trim().parse::<u32>())
        {
            Ok(Ok(n)) if n > 0 => n,
            _ => DEFAULT_PER_MINUTE,
        }
    }

    fn bearer_key(&self) -> Result<String, ApiError> {
        let Some(header) = self.header("authorization") else {
            return Err(ApiError::invalid_api_key(
                "Send your API key as Authorization: Bearer <key>.",
            ));
        };
        let mut parts = header.trim().splitn(2, ' ');
        match (parts.next(), parts.next()) {
            (Some(scheme), Some(key))
                if scheme.eq_ignore_ascii_case("bearer") && !key.trim().is_empty() =>
            {
                Ok(key.trim().to_string())
            }
            _ => Err(ApiError::invalid_api_key(
                "The Authorization header must be Bearer <key>.",
            )),
        }
    }

    /// Counts this request in one statement: the per-minute window counter
    /// (`INSERT ... ON CONFLICT DO UPDATE SET count = count + 1 RETURNING`),
    /// the per-day usage counter and the key's `last_used_at`.
    ///
    /// The counter lives in Postgres, not in Spin's key-value store, because
    /// `fermyon:spin/key-value@2.0.0` has only get/set: a read-modify-write
    /// there loses increments under concurrency, while the row lock taken by
    /// the upsert makes the count exact (100 simultaneous requests see the
    /// counts 1..=100, so exactly `limit` of them pass).
    fn count_request(&mut self, caller: &Caller) -> Result<Decision, ApiError> {
        let window = FixedWindow::per_minute(self.rate_limit_per_minute());
        let now = self.now();
        let day = UtcDate::from_unix(now).iso();
        let rows = self.db()?.query(
            "with counted as ( \
               insert into rate_limit_windows (key_id, window_start, count) values ($1, $2, 1) \
               on conflict (key_id, window_start) do update set count = rate_limit_windows.count + 1 \
               returning count), \
             used as ( \
               insert into usage_daily (key_id, account_id, day, requests) values ($1, $3, $4::text::date, 1) \
               on conflict (key_id, day) do update set requests = usage_daily.requests + 1), \
             touched as (update api_keys set last_used_at = now() where id = $1) \
             select count::bigint from counted",
            &[
                caller.key_id.clone().into(),
                window.window_start(now).into(),
                caller.account_id.clone().into(),
                day.into(),
            ],
        )?;
        let count: i64 = rows
            .rows
            .first()
            .map(|r| col(r, 0))
            .transpose()?
            .unwrap_or(0);
        let decision = window.decide(count.max(0) as u64, now);
        self.set_response_header("x-ratelimit-limit", decision.limit.to_string());
        self.set_response_header("x-ratelimit-remaining", decision.remaining.to_string());
        self.set_response_header("x-ratelimit-reset", decision.reset_at.to_string());
        // Old windows are dead weight; about one request in 64 sweeps them.
        if crate::random::random_bytes::<1>().is_ok_and(|b| b[0] < 4) {
            let cutoff = window.window_start(now) - 3600;
            if let Err(e) = self.db()?.execute(
                "delete from rate_limit_windows where window_start < $1",
                &[cutoff.into()],
            ) {
                self.log(format_args!("rate-limit sweep failed: {e}"));
            }
        }
        Ok(decision)
    }
}

/// Reads column `i` of a row as `T`; a type mismatch is an internal error.
pub fn col<T: Decode>(row: &[spin_sdk::pg4::DbValue], i: usize) -> Result<T, ApiError> {
    let value = row
        .get(i)
        .ok_or_else(|| ApiError::internal(format!("row has no column {i}")))?;
    T::decode(value).map_err(|e| ApiError::internal(format!("column {i}: {e}")))
}
