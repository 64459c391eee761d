//! The accounts component's SQL. Every key query is scoped by account.

use farm_domain::api_key::{ApiKeySecret, KeyMode, MAX_ACTIVE_KEYS};
use farm_domain::ids::IdKind;
use farm_domain::scope::ScopeSet;
use farm_domain::verification::{AttemptState, CODE_TTL_SECS};
use farm_domain::{Error, Resource};
use farm_platform::spin_sdk::pg4::Connection;
use farm_platform::work::{self, handlers::SEND_MAIL};
use farm_platform::{ApiError, col, new_id};

/// A key row as read back (never with its hash).
#[derive(Debug)]
pub struct KeyRow {
    pub id: String,
    pub preview: String,
    pub name: String,
    pub mode: KeyMode,
    pub scopes: ScopeSet,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// Finds the account for `email` or creates it. Race-safe: two concurrent
/// connects with one email end up with one account.
pub fn find_or_create_account(
    db: &Connection,
    email: &str,
    name: &str,
) -> Result<(String, bool), ApiError> {
    let id = new_id(IdKind::Account)?;
    let inserted = db.query(
        "insert into accounts (id, email, name) values ($1, $2, $3) on conflict (email) do nothing returning id",
        &[id.into(), email.to_string().into(), name.to_string().into()],
    )?;
    if let Some(row) = inserted.rows.first() {
        return Ok((col(row, 0)?, true));
    }
    let found = db.query(
        "select id from accounts where email = $1",
        &[email.to_string().into()],
    )?;
    let row = found
        .rows
        .first()
        .ok_or_else(|| ApiError::internal("account vanished after conflict"))?;
    Ok((col(row, 0)?, false))
}

/// Creates a key for the account, refusing an eleventh active one. The
/// account row is locked for the count-and-insert, so concurrent creations
/// cannot overshoot the limit.
pub fn create_key(
    db: &Connection,
    account_id: &str,
    secret: &ApiKeySecret,
    name: &str,
    scopes: &ScopeSet,
) -> Result<KeyRow, ApiError> {
    let id = new_id(IdKind::ApiKey)?;
    db.execute("begin", &[])?;
    let result = insert_key_locked(db, &id, account_id, secret, name, scopes);
    match &result {
        Ok(_) => db.execute("commit", &[])?,
        Err(_) => db.execute("rollback", &[])?,
    };
    result
}

fn insert_key_locked(
    db: &Connection,
    id: &str,
    account_id: &str,
    secret: &ApiKeySecret,
    name: &str,
    scopes: &ScopeSet,
) -> Result<KeyRow, ApiError> {
    db.query(
        "select id from accounts where id = $1 for update",
        &[account_id.to_string().into()],
    )?;
    let active = db.query(
        "select count(*)::bigint from api_keys where account_id = $1 and revoked_at is null",
        &[account_id.to_string().into()],
    )?;
    let active: i64 = active
        .rows
        .first()
        .map(|r| col(r, 0))
        .transpose()?
        .unwrap_or(0);
    if active >= i64::from(MAX_ACTIVE_KEYS) {
        return Err(Error::KeyLimitReached {
            limit: MAX_ACTIVE_KEYS,
        }
        .into());
    }
    let rows = db.query(
        "insert into api_keys (id, account_id, key_hash, key_preview, name, mode, scopes) \
         values ($1, $2, $3, $4, $5, $6, $7) \
         returning floor(extract(epoch from created_at))::bigint",
        &[
            id.to_string().into(),
            account_id.to_string().into(),
            secret.hash().as_str().to_string().into(),
            secret.preview().into(),
            name.to_string().into(),
            secret.mode().as_str().to_string().into(),
            scopes.to_storage().into(),
        ],
    )?;
    let created_at = rows
        .rows
        .first()
        .map(|r| col(r, 0))
        .transpose()?
        .unwrap_or(0);
    Ok(KeyRow {
        id: id.to_string(),
        preview: secret.preview(),
        name: name.to_string(),
        mode: secret.mode(),
        scopes: scopes.clone(),
        created_at,
        last_used_at: None,
    })
}

/// The account's active keys, newest first.
pub fn list_active_keys(db: &Connection, account_id: &str) -> Result<Vec<KeyRow>, ApiError> {
    let rows = db.query(
        "select id, key_preview, name, mode, scopes, floor(extract(epoch from created_at))::bigint, \
                floor(extract(epoch from last_used_at))::bigint \
         from api_keys where account_id = $1 and revoked_at is null order by created_at desc, id",
        &[account_id.to_string().into()],
    )?;
    rows.rows
        .iter()
        .map(|r| {
            Ok(KeyRow {
                id: col(r, 0)?,
                preview: col(r, 1)?,
                name: col(r, 2)?,
                mode: KeyMode::parse(&col::<String>(r, 3)?)
                    .map_err(|_| ApiError::internal("bad stored mode"))?,
                scopes: ScopeSet::from_storage(&col::<String>(r, 4)?),
                created_at: col(r, 5)?,
                last_used_at: col(r, 6)?,
            })
        })
        .collect()
}

/// Revokes one of the account's keys; returns when it was revoked. Revoking
/// an already revoked key answers with the original time (idempotent);
/// another account's key is `key_not_found`.
pub fn revoke_key(db: &Connection, account_id: &str, key_id: &str) -> Result<i64, ApiError> {
    let rows = db.query(
        "update api_keys set revoked_at = coalesce(revoked_at, now()) where id = $1 and account_id = $2 \
         returning floor(extract(epoch from revoked_at))::bigint",
        &[key_id.to_string().into(), account_id.to_string().into()],
    )?;
    let row = rows
        .rows
        .first()
        .ok_or(ApiError::from(Error::NotFound(Resource::ApiKey)))?;
    col(row, 0)
}

/// Requests today and this month (from `month_start`), for one key or, with
/// `key_id = None`, the whole account: the rolled-up days of `usage_daily`
/// plus the per-minute windows not rolled up yet (authentication counts a
/// request only in its window; migrations/0013_lean_authentication.sql).
pub fn usage_totals(
    db: &Connection,
    account_id: &str,
    key_id: Option<&str>,
    day: &str,
    month_start: &str,
) -> Result<(i64, i64), ApiError> {
    let rows = db.query(
        "with counted as ( \
             select day, requests from usage_daily \
             where account_id = $1 and ($2 = '' or key_id = $2) and day >= $4::text::date \
             union all \
             select (to_timestamp(w.window_start) at time zone 'UTC')::date, w.count::bigint \
             from rate_limit_windows w join api_keys a on a.id = w.key_id \
             where a.account_id = $1 and ($2 = '' or w.key_id = $2) \
               and w.window_start >= extract(epoch from $4::text::date)::bigint) \
         select coalesce(sum(requests) filter (where day = $3::text::date), 0)::bigint, \
                coalesce(sum(requests), 0)::bigint \
         from counted",
        &[
            account_id.to_string().into(),
            key_id.unwrap_or("").to_string().into(),
            day.to_string().into(),
            month_start.to_string().into(),
        ],
    )?;
    let row = rows
        .rows
        .first()
        .ok_or_else(|| ApiError::internal("aggregate returned no row"))?;
    Ok((col(row, 0)?, col(row, 1)?))
}

/// Generations started since `month_start` (a UTC date) by one key or, with
/// `key_id = None`, the whole account (migrations/0015_generations.sql).
pub fn generations_since(
    db: &Connection,
    account_id: &str,
    key_id: Option<&str>,
    month_start: &str,
) -> Result<i64, ApiError> {
    let rows = db.query(
        "select count(*)::bigint from generations where account_id = $1 and ($2 = '' or key_id = $2) \
         and created_at >= ($3::text::date)::timestamp at time zone 'UTC'",
        &[
            account_id.to_string().into(),
            key_id.unwrap_or("").to_string().into(),
            month_start.to_string().into(),
        ],
    )?;
    let row = rows
        .rows
        .first()
        .ok_or_else(|| ApiError::internal("count returned no row"))?;
    col(row, 0)
}

/// A verification as `verify` reads it, after counting the attempt.
#[derive(Debug)]
pub struct PendingVerification {
    pub id: String,
    pub account_id: String,
    pub code_hash: String,
    pub mode: KeyMode,
    pub state: AttemptState,
}

/// Stores a verification, the mail that carries its code and the
/// `send_mail` job that sends it in one transaction (the mail is never lost,
/// the code never stored); returns the expiry (Unix seconds) and the job id.
pub fn create_verification(
    db: &Connection,
    verification_id: &str,
    mail_id: &str,
    account_id: &str,
    email: &str,
    code_hash: &str,
    mode: KeyMode,
) -> Result<(i64, i64), ApiError> {
    farm_platform::transaction(db, |db| {
        let rows = db.query(
            "insert into email_verifications (id, account_id, email, code_hash, mode, expires_at) \
             values ($1, $2, $3, $4, $5, now() + $6::bigint * interval '1 second') \
             returning floor(extract(epoch from expires_at))::bigint",
            &[
                verification_id.to_string().into(),
                account_id.to_string().into(),
                email.to_string().into(),
                code_hash.to_string().into(),
                mode.as_str().to_string().into(),
                CODE_TTL_SECS.into(),
            ],
        )?;
        db.execute(
            "insert into mail_outbox (id, kind, ref_id, to_address) values ($1, 'verification_code', $2, $3)",
            &[
                mail_id.to_string().into(),
                verification_id.to_string().into(),
                email.to_string().into(),
            ],
        )?;
        let job_id = work::enqueue(
            db,
            SEND_MAIL,
            &serde_json::json!({ "mail_id": mail_id }),
            Some(mail_id),
        )?
        .ok_or_else(|| ApiError::internal("a new mail's send_mail job already existed"))?;
        let expires_at = rows
            .rows
            .first()
            .map(|r| col::<i64>(r, 0))
            .transpose()?
            .ok_or_else(|| ApiError::internal("insert returned no expiry"))?;
        Ok((expires_at, job_id))
    })
}

/// Counts one attempt on the email's newest verification and returns it;
/// `None` when no code was ever sent to the email. The increment happens
/// before the decision, in one statement, so concurrent guesses are all
/// counted.
pub fn count_attempt(
    db: &Connection,
    email: &str,
) -> Result<Option<PendingVerification>, ApiError> {
    let rows = db.query(
        "update email_verifications set attempts = attempts + 1 \
         where id = (select id from email_verifications where email = $1 \
                     order by created_at desc, id desc limit 1) \
         returning id, account_id, code_hash, mode, attempts, \
                   floor(extract(epoch from expires_at))::bigint, consumed_at is not null",
        &[email.to_string().into()],
    )?;
    let Some(r) = rows.rows.first() else {
        return Ok(None);
    };
    Ok(Some(PendingVerification {
        id: col(r, 0)?,
        account_id: col(r, 1)?,
        code_hash: col(r, 2)?,
        mode: KeyMode::parse(&col::<String>(r, 3)?)
            .map_err(|_| ApiError::internal("bad stored mode"))?,
        state: AttemptState {
            attempts: u32::try_from(col::<i32>(r, 4)?).unwrap_or(u32::MAX),
            expires_at: col(r, 5)?,
            consumed: col(r, 6)?,
        },
    }))
}

/// Marks the verification used and creates the key, in one transaction: a
/// code gives exactly one key, even when two requests present it at once
/// (the loser gets `None`), and a refused key (limit reached) leaves the
/// code unused.
pub fn consume_and_create_key(
    db: &Connection,
    verification_id: &str,
    account_id: &str,
    secret: &ApiKeySecret,
    name: &str,
    scopes: &ScopeSet,
) -> Result<Option<KeyRow>, ApiError> {
    let id = new_id(IdKind::ApiKey)?;
    // A code already consumed updates nothing: the transaction then commits
    // no change and the caller gets `None`.
    farm_platform::transaction(db, |db| {
        let consumed = db.query(
            "update email_verifications set consumed_at = now() \
             where id = $1 and consumed_at is null returning id",
            &[verification_id.to_string().into()],
        )?;
        if consumed.rows.is_empty() {
            return Ok(None);
        }
        insert_key_locked(db, &id, account_id, secret, name, scopes).map(Some)
    })
}
