//! Accounts and API keys: `POST /v1/connect`, `POST /v1/connect/verify`
//! (see [`connect`]), `POST /v1/keys`, `GET /v1/keys`, `DELETE /v1/keys/{id}`,
//! `GET /v1/usage`.
//!
//! # Why key management needs the `keys:manage` scope
//!
//! Seed 002 lets only a signed-in user (JWT), never an API key, create or
//! revoke keys, "so a compromised key cannot create or revoke other keys".
//! This API has no user sessions: accounts are created by agents through
//! `connect`, and an API key is the only credential. The equivalent guard is
//! a scope: key management requires `keys:manage`, which the first key from
//! `connect` holds and which least-privilege keys simply leave out; a leaked
//! `files:write`-only key can then neither mint nor revoke keys. Two further
//! rules stop a managing key from escalating: a new key never gets a scope
//! its creator lacks (403 `insufficient_scope`), and a test key cannot create
//! a live key (403 `mode_not_allowed`).
//!
//! # `Idempotency-Key` without storing a secret
//!
//! `connect`, `connect/verify` and `POST /v1/keys` take an `Idempotency-Key`
//! like every creating POST, so a retry mints no second key. Their 201 holds
//! the key's secret, which must exist only as a SHA-256, so they use
//! `Ctx::idempotent_redacted`: the first answer carries the secret; the copy
//! stored, and so every replay, is the same body without it, with
//! `api_key_redacted: true` and a message saying to revoke the key by its id
//! if the secret was lost ([`redact_secret`]). `POST /v1/keys` keys are per
//! account; `connect` has no caller, so its keys (and `connect/verify`'s) are
//! per normalised email (`connect:` + the SHA-256 of it, see
//! [`connect::namespace`]).

mod connect;
mod store;
mod wire;

use farm_domain::api_key::{
    ApiKeySecret, KEY_RANDOM_BYTES, KeyMode, MAX_ACTIVE_KEYS, parse_key_name,
};
use farm_domain::calendar::UtcDate;
use farm_domain::ids::IdKind;
use farm_domain::scope::{Scope, ScopeSet};
use farm_domain::{Error, Resource};
use farm_platform::wire::timestamp;
use farm_platform::{ApiError, Ctx, Fingerprint, handle, random_bytes, response};
use serde_json::Value;
use spin_sdk::http::{Method, Request, Response};
use store::KeyRow;
use wire::*;

const SHOWN_ONCE: &str = "Store this key now. It will not be shown again.";

farm_platform::export_http!(crate::serve);

fn serve(req: Request) -> Response {
    handle(req, |ctx| {
        ctx.dispatch(&[
            ("/v1/connect", Method::Post, connect::connect),
            ("/v1/connect/verify", Method::Get, connect::verify_page),
            ("/v1/connect/verify", Method::Post, connect::verify),
            ("/v1/keys", Method::Get, list_keys),
            ("/v1/keys", Method::Post, create_key),
            ("/v1/keys/:id", Method::Delete, revoke_key),
            ("/v1/usage", Method::Get, usage),
        ])
    })
}

fn create_key(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::KeysManage)?;
    let body: CreateKeyRequest = ctx.json_body()?;
    let name = parse_key_name(
        body.name
            .as_deref()
            .ok_or_else(|| Error::invalid("name", "is required"))?,
    )?;
    let scopes = match &body.scopes {
        Some(names) => ScopeSet::parse(names)?,
        None => caller.scopes.clone(),
    };
    if let Some(&lacking) = caller.scopes.missing_from(&scopes).first() {
        return Err(ApiError::insufficient_scope(lacking)
            .with_detail("reason", "a key cannot grant a scope it does not hold"));
    }
    let mode = body
        .mode
        .as_deref()
        .map(KeyMode::parse)
        .transpose()?
        .unwrap_or(caller.mode);
    if caller.mode == KeyMode::Test && mode == KeyMode::Live {
        return Err(Error::ModeNotAllowed {
            key_mode: "test",
            action: "create live keys",
        }
        .into());
    }
    let fingerprint = Fingerprint::json_body(ctx)?;
    let account_id = caller.account_id.clone();
    ctx.idempotent_redacted(
        &account_id,
        false,
        &fingerprint,
        |body| redact_secret(body, "key", "key_id"),
        |ctx| {
            let secret = ApiKeySecret::generate(mode, random_bytes::<KEY_RANDOM_BYTES>()?);
            let limit = ctx.rate_limit_per_minute();
            let key = store::create_key(ctx.db()?, &account_id, &secret, &name, &scopes)?;
            Ok(response::created(&CreatedKey {
                key_id: key.id.clone(),
                key: secret.expose().to_string(),
                summary: summary(key, limit),
                message: SHOWN_ONCE,
            }))
        },
    )
}

/// What is stored (and replayed) of a response that may show a key's
/// secret in `secret_field`: the body without it, `api_key_redacted: true`,
/// and a `message` naming the key by `id_field`. Bodies without the secret
/// (errors, `connect`'s 202) are stored as they are.
fn redact_secret(mut body: Value, secret_field: &str, id_field: &str) -> Value {
    let Some(fields) = body.as_object_mut() else {
        return body;
    };
    if fields.remove(secret_field).is_none() {
        return body;
    }
    let id = fields
        .get(id_field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    fields.insert("api_key_redacted".into(), Value::Bool(true));
    fields.insert(
        "message".into(),
        Value::String(format!(
            "This is a replay: the key's secret was shown once, in the first response, and is \
             not stored. If it was lost, revoke the key (DELETE /v1/keys/{id}) and create another."
        )),
    );
    body
}

fn list_keys(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::KeysManage)?;
    let limit = ctx.rate_limit_per_minute();
    let keys: Vec<ListedKey> = store::list_active_keys(ctx.db()?, &caller.account_id)?
        .into_iter()
        .map(|k| ListedKey {
            key_id: k.id.clone(),
            summary: summary(k, limit),
        })
        .collect();
    Ok(response::ok(&KeyList {
        active_count: keys.len(),
        keys,
        max_active_keys: MAX_ACTIVE_KEYS,
    }))
}

/// Revocation is a timestamp on the row; authentication reads the row on
/// every request, so the key stops working on its very next use.
fn revoke_key(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::KeysManage)?;
    let key_id = ctx.param("id")?;
    if !IdKind::ApiKey.is_valid(&key_id) {
        return Err(ApiError::not_found(Resource::ApiKey));
    }
    let revoked_at = store::revoke_key(ctx.db()?, &caller.account_id, &key_id)?;
    ctx.log(format_args!("revoked key={key_id}"));
    Ok(response::ok(&RevokedKey {
        key_id,
        revoked: true,
        revoked_at: timestamp(revoked_at),
    }))
}

/// Requests today and this month (UTC) for the calling key and its account.
/// Every authenticated request counts, this one included, and so do
/// requests refused with 403 or 429.
/// Per-key generations a month (seed 002's free tier; enforced by
/// components/generations, which holds the same constant).
const GENERATIONS_PER_MONTH: i64 = 100;

fn usage(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::UsageRead)?;
    let today = UtcDate::from_unix(ctx.now());
    let (day, month_start) = (today.iso(), today.month_start().iso());
    let limit = ctx.rate_limit_per_minute();
    let per_day = ctx.rate_limit_per_day();
    let db = ctx.db()?;
    let (key_today, key_month) = store::usage_totals(
        db,
        &caller.account_id,
        Some(&caller.key_id),
        &day,
        &month_start,
    )?;
    let (acct_today, acct_month) =
        store::usage_totals(db, &caller.account_id, None, &day, &month_start)?;
    let key_generations =
        store::generations_since(db, &caller.account_id, Some(&caller.key_id), &month_start)?;
    let acct_generations = store::generations_since(db, &caller.account_id, None, &month_start)?;
    Ok(response::ok(&Usage {
        account_id: caller.account_id,
        key_id: caller.key_id,
        mode: caller.mode.as_str(),
        totals: Totals {
            requests_today: key_today,
            requests_this_month: key_month,
            generations_this_month: key_generations,
        },
        account_totals: Totals {
            requests_today: acct_today,
            requests_this_month: acct_month,
            generations_this_month: acct_generations,
        },
        limits: Limits {
            requests_per_minute: limit,
            requests_per_day: per_day,
            max_active_keys: MAX_ACTIVE_KEYS,
            generations_per_month: GENERATIONS_PER_MONTH,
        },
        period: Period {
            month: today.iso_month(),
            day,
        },
    }))
}

fn summary(k: KeyRow, rate_limit_per_minute: u32) -> KeySummary {
    KeySummary {
        key_preview: format!("{}...{}", k.mode.prefix(), k.preview),
        name: k.name,
        scopes: k.scopes.names().collect(),
        mode: k.mode.as_str(),
        rate_limit_per_minute,
        created_at: timestamp(k.created_at),
        last_used_at: k.last_used_at.map(timestamp),
    }
}
