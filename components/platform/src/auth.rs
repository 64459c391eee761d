//! The one authentication path: Bearer key → caller, rate limit, scope.

use crate::ctx::Ctx;
use crate::error::ApiError;
use farm_domain::api_key::{ApiKeySecret, KeyHash, KeyMode};
use farm_domain::calendar::UtcDate;
use farm_domain::rate_limit::{DEFAULT_PER_DAY, DEFAULT_PER_MINUTE, Decision, FixedWindow};
use farm_domain::scope::{Scope, ScopeSet};
use spin_sdk::pg4::{DbValue, Decode, ParameterValue};

/// A read of the caller's own data that rides on authentication's statement
/// ([`Ctx::authenticate_with`]): on a hosted Spin each statement is a network
/// round trip to a managed Postgres (issue 9, item 7).
#[derive(Debug, Clone)]
pub struct ReadWithAuth {
    /// A `SELECT` run once for the authenticated key, lateral to it: it names
    /// the caller's account as `a.account_id` and the key's mode as `a.mode`
    /// (`'live'` or `'test'`), and its own parameters as `$7`, `$8`, … in
    /// the order of `params`. It returns at most one row (the first is
    /// taken), whose first column is never NULL.
    pub sql: String,
    pub params: Vec<ParameterValue>,
}

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
    /// True for a live key, false for a test key. Test and live are
    /// separate worlds (as in Stripe): every query for the caller's files,
    /// quotes, orders and events also filters on this.
    pub fn livemode(&self) -> bool {
        self.mode == KeyMode::Live
    }

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
    /// 401 `invalid_api_key`); then, in one SQL statement, finds the key by its
    /// SHA-256, counts the request in the key's per-minute window (which is
    /// also its usage record) and reads the key's count for the UTC day (the
    /// daily limit: no second row written), stamps `last_used_at` at most once a minute and
    /// (about one request in 64) rolls windows older than an hour up into
    /// `usage_daily`; confirms the hash match in constant time
    /// (unknown or revoked → the same 401, and nothing is counted); sets
    /// `X-RateLimit-Limit/-Remaining/-Reset` on the eventual response, whatever
    /// its status, for whichever window (minute or day) has fewer requests
    /// left (over either limit → 429 `rate_limit_exceeded` naming it in
    /// `limit_scope`, with `Retry-After` until that window resets); finally checks `scope` (missing → 403
    /// `insufficient_scope`). Every call hits the database, so a revoked key
    /// fails on the very next request.
    ///
    /// The counter lives in Postgres, not in Spin's key-value store, because
    /// `fermyon:spin/key-value@2.0.0` has only get/set: a read-modify-write
    /// there loses increments under concurrency, while the row lock taken by
    /// the upsert makes the count exact (100 simultaneous requests see the
    /// counts 1..=100, so exactly `limit` of them pass).
    ///
    /// One statement because on a hosted Spin each one is a network round trip
    /// to a managed Postgres (issue 9, item 7); `tests/tests/request_path.rs`
    /// counts it. The statement is the function `farm_authenticate`
    /// (migrations/0017_daily_limit_credit_purchases.sql; first 0007, then 0013), so its plan is made once per
    /// connection.
    pub fn authenticate(&mut self, scope: Scope) -> Result<Caller, ApiError> {
        self.authenticate_with(scope, None)
            .map(|(caller, _)| caller)
    }

    /// [`Ctx::authenticate`] with a read of the caller's own data in the same
    /// statement, so a request that needs both pays one round trip instead of
    /// two (a quote reads its file and the farm's load this way). Errors and
    /// their order are authentication's: over the limit or without `scope`,
    /// what was read is dropped. `read` is `None` when the request has
    /// nothing to read (e.g. a malformed id); the answer is then `None` too.
    /// Returns the read's first row, its columns only, or `None` when it
    /// found nothing.
    pub fn authenticate_with(
        &mut self,
        scope: Scope,
        read: Option<ReadWithAuth>,
    ) -> Result<(Caller, Option<Vec<DbValue>>), ApiError> {
        let presented = self.bearer_key()?;
        let secret = ApiKeySecret::parse(&presented).map_err(|_| {
            ApiError::invalid_api_key("The API key is malformed; expected fk_live_… or fk_test_….")
        })?;
        let hash = secret.hash();
        let window = FixedWindow::per_minute(self.rate_limit_per_minute());
        let daily = FixedWindow::per_day(self.rate_limit_per_day());
        let now = self.now();
        let day = UtcDate::from_unix(now).iso();
        // Old windows are dead weight; about one request in 64 sweeps them.
        let sweep = crate::random::random_bytes::<1>().is_ok_and(|b| b[0] < 4);
        let mut params: Vec<ParameterValue> = vec![
            hash.as_str().to_string().into(),
            window.window_start(now).into(),
            day.into(),
            sweep.into(),
            (window.window_start(now) - 3600).into(),
            daily.window_start(now).into(),
        ];
        // migrations/0007_request_path.sql: the function keeps its plans per
        // connection (a CTE sent as text is re-planned every time). A read
        // joins it laterally, so it runs only for a known key.
        const AUTH_COLUMNS: usize = 7;
        let auth = "select a.key_id, a.account_id, a.key_hash, a.mode, a.scopes, a.window_count, a.day_count";
        let from = "from farm_authenticate($1, $2, $3::text::date, $4, $5, $6) a";
        let sql = match &read {
            None => format!("{auth} {from}"),
            Some(r) => format!("{auth}, r.* {from} left join lateral ({}) r on true", r.sql),
        };
        let has_read = read.is_some();
        if let Some(r) = read {
            params.extend(r.params);
        }
        let rows = self.db()?.query(&sql, &params)?;
        let Some(row) = rows.rows.into_iter().next() else {
            return Err(ApiError::from(farm_domain::Error::InvalidApiKey));
        };
        let stored = KeyHash::from_stored(col::<String>(&row, 2)?);
        if !hash.matches(&stored) {
            return Err(ApiError::from(farm_domain::Error::InvalidApiKey));
        }
        let caller = Caller {
            key_id: col(&row, 0)?,
            account_id: col(&row, 1)?,
            mode: KeyMode::parse(&col::<String>(&row, 3)?)
                .map_err(|_| ApiError::internal("stored key mode is invalid"))?,
            scopes: ScopeSet::from_storage(&col::<String>(&row, 4)?),
        };
        self.caller = Some(caller.clone());
        let count: i64 = col(&row, 5)?;
        let day_count: i64 = col(&row, 6)?;
        let minute = window.decide(count.max(0) as u64, now);
        let day = daily.decide(day_count.max(0) as u64, now);
        let (decision, binding) = binding_window((minute, window), (day, daily));
        self.set_response_header("x-ratelimit-limit", decision.limit.to_string());
        self.set_response_header("x-ratelimit-remaining", decision.remaining.to_string());
        self.set_response_header("x-ratelimit-reset", decision.reset_at.to_string());
        if !decision.allowed {
            return Err(ApiError::rate_limited_in(&decision, &binding));
        }
        caller.require(scope)?;
        // The lateral join gives NULLs when the read found no row; its first
        // column is never NULL in a row it found.
        let read = has_read
            .then(|| row.get(AUTH_COLUMNS..).map(<[DbValue]>::to_vec))
            .flatten()
            .filter(|r| !matches!(r.first(), None | Some(DbValue::DbNull)));
        Ok((caller, read))
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

    /// The configured daily limit (variable `rate_limit_per_day`, default
    /// [`DEFAULT_PER_DAY`]).
    pub fn rate_limit_per_day(&self) -> u32 {
        match self
            .var("rate_limit_per_day")
            .map(|v| v.trim().parse::<u32>())
        {
            Ok(Ok(n)) if n > 0 => n,
            _ => DEFAULT_PER_DAY,
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
}

/// The window a request's rate-limit headers describe: a refused one (the
/// minute first, since it resets sooner), else the one with fewer requests
/// left (the minute on a tie).
fn binding_window(
    minute: (Decision, FixedWindow),
    day: (Decision, FixedWindow),
) -> (Decision, FixedWindow) {
    if !minute.0.allowed {
        minute
    } else if !day.0.allowed || day.0.remaining < minute.0.remaining {
        day
    } else {
        minute
    }
}

/// Reads column `i` of a row as `T`; a type mismatch is an internal error.
pub fn col<T: Decode>(row: &[spin_sdk::pg4::DbValue], i: usize) -> Result<T, ApiError> {
    let value = row
        .get(i)
        .ok_or_else(|| ApiError::internal(format!("row has no column {i}")))?;
    T::decode(value).map_err(|e| ApiError::internal(format!("column {i}: {e}")))
}
