//! `/v1/webhooks/endpoints`: register, list, read, delete, rotate the
//! secret, list deliveries.

use farm_domain::api_key::KeyMode;
use farm_domain::scope::Scope;
use farm_platform::wire::timestamp;
use farm_platform::{ApiError, Caller, Ctx, Fingerprint, col, new_id, random_bytes, response};
use farm_signing::webhook::{SECRET_BYTES, WebhookSecret, seal, storage_key};
use farm_webhooks::{MAX_ENDPOINTS_PER_ACCOUNT, ROTATION_OVERLAP_SECS, events, target};
use serde::Deserialize;
use serde_json::{Value, json};
use spin_sdk::http::Response;
use spin_sdk::pg4::Connection;

use crate::rows::{ENDPOINT_COLUMNS, Endpoint};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    url: String,
    #[serde(default)]
    events: Option<Vec<String>>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoFields {}

fn livemode(caller: &Caller) -> bool {
    caller.mode == KeyMode::Live
}

/// Whether the operator allows private and loopback targets (Spin variable
/// `webhook_allow_private_targets`, "true" for local runs and tests).
pub fn allow_private(ctx: &Ctx) -> bool {
    ctx.var("webhook_allow_private_targets")
        .is_ok_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// The key webhook secrets are sealed under (derived from the internal token).
pub fn sealing_key(ctx: &Ctx) -> Result<[u8; 32], ApiError> {
    Ok(storage_key(ctx.var("internal_token")?.as_bytes()))
}

/// Stores a fresh secret for `endpoint_id` (sealed) and returns it.
fn new_secret(
    db: &Connection,
    key: &[u8; 32],
    endpoint_id: &str,
) -> Result<WebhookSecret, ApiError> {
    let secret = WebhookSecret::from_random(random_bytes::<SECRET_BYTES>()?);
    let sealed = seal(key, random_bytes::<16>()?, &secret);
    db.execute(
        "insert into webhook_secrets (endpoint_id, sealed) values ($1, $2)",
        &[endpoint_id.to_owned().into(), sealed.into()],
    )?;
    Ok(secret)
}

/// The stored copy of a response holding a secret: without it.
fn redact_secret(mut body: Value) -> Value {
    if let Some(fields) = body.as_object_mut()
        && fields.remove("secret").is_some()
    {
        fields.insert("secret_redacted".into(), Value::Bool(true));
    }
    body
}

pub fn create(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::WebhooksManage)?;
    let body: CreateBody = ctx.json_body()?;
    let live = livemode(&caller);
    let checked = target::check(body.url.trim(), live, allow_private(ctx))
        .map_err(|e| ApiError::invalid_field("url", &format!("The URL {e}.")))?;
    let filter = events::parse_filter(&body.events.unwrap_or_else(|| vec!["*".to_owned()]))
        .map_err(|e| ApiError::invalid_field("events", &e))?;
    let description = body.description.unwrap_or_default();
    if description.chars().count() > 500 {
        return Err(ApiError::invalid_field(
            "description",
            "must be at most 500 characters",
        ));
    }
    let fingerprint = Fingerprint::json_body(ctx)?;
    let key = sealing_key(ctx)?;
    let account_id = caller.account_id.clone();
    let namespace = account_id.clone();
    ctx.idempotent_redacted(&namespace, false, &fingerprint, redact_secret, move |ctx| {
        let id = new_id(farm_domain::ids::IdKind::WebhookEndpoint)?;
        let filter_json = serde_json::to_string(&filter).map_err(ApiError::internal)?;
        let db: &Connection = ctx.db()?;
        let secret = farm_platform::transaction(db, |db| {
            // The account's row lock serialises concurrent registrations,
            // so the limit holds under concurrency.
            db.query(
                "select 1 from accounts where id = $1 for update",
                &[account_id.clone().into()],
            )?;
            let rows = db.query(
                "select count(*) from webhook_endpoints where account_id = $1 and deleted_at is null",
                &[account_id.clone().into()],
            )?;
            let count: i64 = rows.rows.first().map_or(Ok(0), |r| col(r, 0))?;
            if count >= MAX_ENDPOINTS_PER_ACCOUNT {
                return Err(ApiError::new(
                    409,
                    "webhook_endpoint_limit_reached",
                    format!(
                        "An account has at most {MAX_ENDPOINTS_PER_ACCOUNT} webhook endpoints; delete one (DELETE /v1/webhooks/endpoints/{{id}}) first."
                    ),
                )
                .with_detail("limit", MAX_ENDPOINTS_PER_ACCOUNT));
            }
            db.execute(
                "insert into webhook_endpoints (id, account_id, livemode, url, description, events) \
                 values ($1, $2, $3, $4, $5, ($6::text)::jsonb)",
                &[
                    id.clone().into(),
                    account_id.clone().into(),
                    live.into(),
                    checked.url.clone().into(),
                    description.clone().into(),
                    filter_json.clone().into(),
                ],
            )?;
            new_secret(db, &key, &id)
        })?;
        let endpoint = Endpoint::load(ctx, &id, &account_id, live)?;
        let mut out = endpoint.to_json();
        out["secret"] = json!(secret.expose());
        out["message"] = json!(SHOWN_ONCE);
        Ok(response::created(&out))
    })
}

const SHOWN_ONCE: &str = "Store this secret now; it is not shown again. Verify each delivery's signature with it (see the webhooks section of the API description).";

pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::WebhooksManage)?;
    let rows = ctx.db()?.query(
        &format!(
            "select {ENDPOINT_COLUMNS} from webhook_endpoints t \
             where t.account_id = $1 and t.livemode = $2 and t.deleted_at is null \
             order by t.created_at desc, t.id desc"
        ),
        &[caller.account_id.clone().into(), livemode(&caller).into()],
    )?;
    let data = rows
        .rows
        .iter()
        .map(|r| Endpoint::from_row(r).map(|e| e.to_json()))
        .collect::<Result<Vec<_>, _>>()?;
    // At most 16 endpoints: one page always holds them all.
    Ok(response::ok(
        &json!({"object": "list", "data": data, "has_more": false}),
    ))
}

pub fn get(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::WebhooksManage)?;
    let id = ctx.param("id")?;
    let endpoint = Endpoint::load(ctx, &id, &caller.account_id, livemode(&caller))?;
    Ok(response::ok(&endpoint.to_json()))
}

/// Deletes the endpoint: it receives nothing more (its pending deliveries
/// fail when their turn comes); its deliveries stay listed by event.
pub fn delete(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::WebhooksManage)?;
    let id = ctx.param("id")?;
    let endpoint = Endpoint::load(ctx, &id, &caller.account_id, livemode(&caller))?;
    ctx.db()?.execute(
        "update webhook_endpoints set deleted_at = now() where id = $1 and account_id = $2 and deleted_at is null",
        &[endpoint.id.clone().into(), caller.account_id.clone().into()],
    )?;
    Ok(response::ok(&json!({
        "id": endpoint.id,
        "object": "webhook_endpoint",
        "deleted": true,
    })))
}

/// Issues a new secret. The previous current secret keeps signing beside it
/// for 24 h (`ROTATION_OVERLAP_SECS`); older ones stop now, so at most two
/// secrets ever sign.
pub fn rotate_secret(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::WebhooksManage)?;
    let id = ctx.param("id")?;
    let endpoint = Endpoint::load(ctx, &id, &caller.account_id, livemode(&caller))?;
    if !ctx.request().body().iter().all(u8::is_ascii_whitespace) {
        // No fields: an empty body or `{}` (the one strict-body rule
        // refuses anything else, naming the field).
        let _: NoFields = ctx.json_body()?;
    }
    let key = sealing_key(ctx)?;
    let db: &Connection = ctx.db()?;
    let secret = farm_platform::transaction(db, |db| {
        db.query(
            "select 1 from webhook_endpoints where id = $1 for update",
            &[endpoint.id.clone().into()],
        )?;
        db.execute(
            "update webhook_secrets set expires_at = now() where endpoint_id = $1 \
               and expires_at is not null and expires_at > now()",
            &[endpoint.id.clone().into()],
        )?;
        db.execute(
            "update webhook_secrets set expires_at = now() + make_interval(secs => $2::bigint) \
             where endpoint_id = $1 and expires_at is null",
            &[endpoint.id.clone().into(), ROTATION_OVERLAP_SECS.into()],
        )?;
        new_secret(db, &key, &endpoint.id)
    })?;
    let rows = ctx.db()?.query(
        "select extract(epoch from max(expires_at))::bigint from webhook_secrets \
         where endpoint_id = $1 and expires_at > now()",
        &[endpoint.id.clone().into()],
    )?;
    let old_until: Option<i64> = rows.rows.first().map_or(Ok(None), |r| col(r, 0))?;
    let mut out = endpoint.to_json();
    out["secret"] = json!(secret.expose());
    out["previous_secret_expires_at"] = json!(old_until.map(timestamp));
    out["message"] = json!(
        "Store this secret now; it is not shown again. Until previous_secret_expires_at deliveries are signed with both secrets."
    );
    Ok(response::ok(&out))
}

/// The endpoint's deliveries, newest first, each with its attempts.
pub fn deliveries(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::WebhooksManage)?;
    let id = ctx.param("id")?;
    let endpoint = Endpoint::load(ctx, &id, &caller.account_id, livemode(&caller))?;
    let page = crate::events_api::page(ctx, farm_domain::ids::IdKind::WebhookDelivery, &[])?;
    let cursor = page
        .starting_after
        .clone()
        .map_or(spin_sdk::pg4::ParameterValue::DbNull, Into::into);
    let rows = ctx.db()?.query(
        "select d.id, d.event_id, e.type, d.status, d.attempts, d.last_status, d.last_error, \
           extract(epoch from d.created_at)::bigint, extract(epoch from d.next_attempt_at)::bigint, \
           extract(epoch from d.finished_at)::bigint, d.waiting, \
           coalesce((select json_agg(json_build_object( \
               'attempt', a.attempt, \
               'started_at', to_char(a.started_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), \
               'status_code', a.status_code, 'latency_ms', a.latency_ms, \
               'response_excerpt', a.response_excerpt, 'error', a.error) order by a.attempt) \
             from webhook_attempts a where a.delivery_id = d.id), '[]')::text \
         from webhook_deliveries d join events e on e.id = d.event_id \
         where d.endpoint_id = $1 and ($2::text is null or (d.created_at, d.id) < \
           (select c.created_at, c.id from webhook_deliveries c where c.id = $2 and c.endpoint_id = $1)) \
         order by d.created_at desc, d.id desc limit $3",
        &[endpoint.id.clone().into(), cursor, i64::from(page.limit + 1).into()],
    )?;
    let mut data = Vec::with_capacity(rows.rows.len());
    for r in &rows.rows {
        let attempts: String = col(r, 11)?;
        let status: String = col(r, 3)?;
        let pending = status == "pending";
        data.push(json!({
            "id": col::<String>(r, 0)?,
            "object": "webhook_delivery",
            "endpoint_id": endpoint.id,
            "event_id": col::<String>(r, 1)?,
            "event_type": col::<String>(r, 2)?,
            "status": status,
            "waiting_for_earlier_event": pending && col::<bool>(r, 10)?,
            "attempt_count": col::<i32>(r, 4)?,
            "last_status_code": col::<Option<i32>>(r, 5)?,
            "last_error": col::<Option<String>>(r, 6)?,
            "created_at": timestamp(col(r, 7)?),
            "next_attempt_at": if pending { Some(timestamp(col(r, 8)?)) } else { None },
            "finished_at": col::<Option<i64>>(r, 9)?.map(timestamp),
            "attempts": serde_json::from_str::<Value>(&attempts).map_err(ApiError::internal)?,
        }));
    }
    Ok(response::ok(&page.render(data)))
}
