//! One attempt of one delivery: the three steps of the crate docs.

use std::time::Duration;

use farm_domain::ids::IdKind;
use farm_platform::events::{DELIVER_WEBHOOK, DELIVERY_JOB_MAX_ATTEMPTS, EVENT_COLUMNS, envelope};
use farm_platform::work::handlers::SEND_MAIL;
use farm_platform::{ApiError, Ctx, col, new_id, random_bytes, work};
use farm_signing::webhook::{WebhookSecret, sign_delivery, storage_key, unseal};
use farm_webhooks::retry::{self, Next, Verdict};
use farm_webhooks::target;
use serde_json::{Value, json};
use spin_sdk::pg4::Connection;

use crate::send::{self, Answer};

/// What step 1 found.
struct Ready {
    endpoint_id: String,
    ordering_key: String,
    url: String,
    livemode: bool,
    event_id: String,
}

enum Start {
    Go(Ready),
    /// Nothing to send now (with the reason, for the job's answer).
    Stop(&'static str),
}

/// The advisory lock of one (endpoint, ordering key): step 1 and step 3 of
/// deliveries that share it never interleave, so a delivery that ends
/// always sees (and releases) one that started waiting for it.
const LOCK: &str = "select pg_advisory_xact_lock(hashtextextended($1 || '|' || $2, 0))";

pub fn attempt(
    ctx: &mut Ctx,
    delivery_id: &str,
    attempt: u32,
    forced_error: Option<String>,
) -> Result<Value, ApiError> {
    if !IdKind::WebhookDelivery.is_valid(delivery_id) {
        return Ok(json!({"delivery_id": delivery_id, "outcome": "missing"}));
    }
    let attempt_i = i32::try_from(attempt).unwrap_or(i32::MAX);
    let db: &Connection = ctx.db()?;
    let start = farm_platform::transaction(db, |db| begin(db, delivery_id, attempt_i))?;
    let ready = match start {
        Start::Go(ready) => ready,
        Start::Stop(why) => return Ok(json!({"delivery_id": delivery_id, "outcome": why})),
    };
    let answer = match forced_error {
        Some(error) => Answer::failed(error, 0),
        None => send_once(ctx, &ready, delivery_id, attempt)?,
    };
    let jitter = f64::from(u32::from_le_bytes(random_bytes::<4>()?)) / f64::from(u32::MAX);
    let now = ctx.now();
    let mail_id = new_id(IdKind::Mail)?;
    let db: &Connection = ctx.db()?;
    let outcome = farm_platform::transaction(db, |db| {
        finish(
            db,
            &ready,
            delivery_id,
            attempt_i,
            &answer,
            jitter,
            now,
            &mail_id,
        )
    })?;
    Ok(json!({
        "delivery_id": delivery_id,
        "attempt": attempt,
        "outcome": outcome,
        "status_code": answer.status,
        "error": answer.error,
    }))
}

/// Step 1.
fn begin(db: &Connection, delivery_id: &str, attempt: i32) -> Result<Start, ApiError> {
    let rows = db.query(
        "select endpoint_id, ordering_key from webhook_deliveries where id = $1",
        &[delivery_id.to_owned().into()],
    )?;
    let Some(row) = rows.rows.first() else {
        return Ok(Start::Stop("missing"));
    };
    let (endpoint_id, ordering_key): (String, String) = (col(row, 0)?, col(row, 1)?);
    db.query(
        LOCK,
        &[endpoint_id.clone().into(), ordering_key.clone().into()],
    )?;
    let rows = db.query(
        "select d.status, d.attempts, w.status, w.deleted_at is not null, w.url, w.livemode, d.event_id, \
           exists (select 1 from webhook_deliveries p where p.endpoint_id = d.endpoint_id \
             and p.ordering_key = d.ordering_key and p.status = 'pending' and p.event_seq < d.event_seq) \
         from webhook_deliveries d join webhook_endpoints w on w.id = d.endpoint_id where d.id = $1",
        &[delivery_id.to_owned().into()],
    )?;
    let row = rows
        .rows
        .first()
        .ok_or_else(|| ApiError::internal("delivery vanished under its lock"))?;
    let status: String = col(row, 0)?;
    let attempts: i32 = col(row, 1)?;
    if status != "pending" || attempts >= attempt {
        return Ok(Start::Stop("already_done"));
    }
    let ready = Ready {
        endpoint_id,
        ordering_key,
        url: col(row, 4)?,
        livemode: col(row, 5)?,
        event_id: col(row, 6)?,
    };
    let endpoint_status: String = col(row, 2)?;
    let deleted: bool = col(row, 3)?;
    if deleted || endpoint_status != "enabled" {
        let why = if deleted {
            "endpoint deleted"
        } else {
            "endpoint disabled"
        };
        db.execute(
            "update webhook_deliveries set status = 'failed', last_error = $2, finished_at = now() where id = $1",
            &[delivery_id.to_owned().into(), why.to_owned().into()],
        )?;
        release_next(db, &ready)?;
        return Ok(Start::Stop("endpoint_not_enabled"));
    }
    let blocked: bool = col(row, 7)?;
    db.execute(
        "update webhook_deliveries set waiting = $2 where id = $1",
        &[delivery_id.to_owned().into(), blocked.into()],
    )?;
    Ok(if blocked {
        Start::Stop("waiting_for_earlier_event")
    } else {
        Start::Go(ready)
    })
}

/// Step 2.
fn send_once(
    ctx: &mut Ctx,
    ready: &Ready,
    delivery_id: &str,
    attempt: u32,
) -> Result<Answer, ApiError> {
    let allow_private = ctx
        .var("webhook_allow_private_targets")
        .is_ok_and(|v| v.trim().eq_ignore_ascii_case("true"));
    // Checked again: the operator's setting may have changed since the
    // endpoint was registered. (A name's address is checked at connect time
    // by the host's blocked networks; see farm_webhooks::target.)
    let target = match target::check(&ready.url, ready.livemode, allow_private) {
        Ok(t) => t,
        Err(e) => return Ok(Answer::failed(format!("target_refused: the URL {e}"), 0)),
    };
    let key = storage_key(ctx.var("internal_token")?.as_bytes());
    let log = ctx.logger();
    let db = ctx.db()?;
    let rows = db.query(
        &format!("select {EVENT_COLUMNS} from events t where t.id = $1"),
        &[ready.event_id.clone().into()],
    )?;
    let row = rows
        .rows
        .first()
        .ok_or_else(|| ApiError::internal("delivery's event missing"))?;
    let event = envelope(row)?;
    let kind = event["type"].as_str().unwrap_or_default().to_owned();
    let secrets = db.query(
        "select sealed from webhook_secrets where endpoint_id = $1 \
           and (expires_at is null or expires_at > now()) order by id desc",
        &[ready.endpoint_id.clone().into()],
    )?;
    let stored = secrets.rows.len();
    if stored == 0 {
        return Err(ApiError::internal("endpoint has no active secret"));
    }
    // A secret sealed under another key (the internal token it derives from
    // was changed) cannot sign; the others still do. With none left, the
    // attempt fails with what to do, in the endpoint's delivery log, rather
    // than as an internal error of ours.
    let secrets: Vec<WebhookSecret> = secrets
        .rows
        .iter()
        .map(|r| col::<String>(r, 0).map(|sealed| unseal(&key, &sealed)))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    if secrets.len() < stored {
        log.line(format_args!(
            "endpoint={} secrets_unreadable={} of={stored} (sealed under another internal_token)",
            ready.endpoint_id,
            stored - secrets.len()
        ));
    }
    if secrets.is_empty() {
        return Ok(Answer::failed(
            format!(
                "secret_unreadable: none of the endpoint's signing secrets can be read (sealed under another \
                 internal_token); issue a new one with POST /v1/webhooks/endpoints/{}/rotate_secret",
                ready.endpoint_id
            ),
            0,
        ));
    }
    let body = serde_json::to_vec(&event).map_err(ApiError::internal)?;
    let timestamp = ctx.now();
    let refs: Vec<&WebhookSecret> = secrets.iter().collect();
    let signed = sign_delivery(&refs, &ready.event_id, timestamp, &body);
    let ts = timestamp.to_string();
    let headers: Vec<(String, String)> = [
        ("content-type", "application/json"),
        ("user-agent", "FarmAPI-Webhooks/1"),
        ("x-webhook-id", ready.event_id.as_str()),
        ("x-webhook-timestamp", ts.as_str()),
        ("x-webhook-event", kind.as_str()),
        ("x-webhook-signature-256", signed.seed.as_str()),
        ("webhook-id", ready.event_id.as_str()),
        ("webhook-timestamp", ts.as_str()),
        ("webhook-signature", signed.standard.as_str()),
        ("x-webhook-delivery", delivery_id),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .chain([
        ("x-webhook-attempt".to_owned(), attempt.to_string()),
        // A fixed length rather than chunked: some receivers' frameworks
        // read a signed body only when its length is declared.
        ("content-length".to_owned(), body.len().to_string()),
    ])
    .collect();
    let authority = if Some(target.port) == default_port(&target.scheme) {
        target.host.clone()
    } else {
        format!("{}:{}", target.host, target.port)
    };
    let path = path_and_query(&target.url);
    Ok(send::post(
        target.scheme == "https",
        &authority,
        &path,
        &headers,
        &body,
    ))
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    }
}

/// `/path?query` of a normalised absolute URL (no fragment).
fn path_and_query(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    rest.split('#').next().unwrap_or("/").to_owned()
}

/// Step 3. Returns the outcome's name.
#[allow(clippy::too_many_arguments)]
fn finish(
    db: &Connection,
    ready: &Ready,
    delivery_id: &str,
    attempt: i32,
    answer: &Answer,
    jitter: f64,
    now: i64,
    mail_id: &str,
) -> Result<&'static str, ApiError> {
    db.query(
        LOCK,
        &[
            ready.endpoint_id.clone().into(),
            ready.ordering_key.clone().into(),
        ],
    )?;
    let status = answer.status.map(i32::from);
    let recorded = db.execute(
        "insert into webhook_attempts (delivery_id, attempt, started_at, status_code, latency_ms, response_excerpt, error) \
         values ($1, $2, now() - make_interval(secs => $4::int / 1000.0), $3, $4, $5, $6) \
         on conflict (delivery_id, attempt) do nothing",
        &[
            delivery_id.to_owned().into(),
            attempt.into(),
            status.map_or(spin_sdk::pg4::ParameterValue::DbNull, Into::into),
            answer.latency_ms.into(),
            answer.excerpt.clone().into(),
            answer
                .error
                .clone()
                .map_or(spin_sdk::pg4::ParameterValue::DbNull, Into::into),
        ],
    )?;
    if recorded == 0 {
        return Ok("already_recorded");
    }
    let last_error = answer.error.clone().unwrap_or_else(|| match answer.status {
        Some(s) => format!("answered {s}"),
        None => "no answer".to_owned(),
    });
    let update = |status: &str, finished: bool| -> Result<u64, ApiError> {
        Ok(db.execute(
            "update webhook_deliveries set attempts = $2, status = $3, last_status = $4, last_error = $5, \
               finished_at = case when $6 then now() else null end, waiting = false where id = $1",
            &[
                delivery_id.to_owned().into(),
                attempt.into(),
                status.to_owned().into(),
                status_param(answer.status),
                if status == "delivered" {
                    spin_sdk::pg4::ParameterValue::DbNull
                } else {
                    last_error.clone().into()
                },
                finished.into(),
            ],
        )?)
    };
    match retry::verdict(answer.status) {
        Verdict::Delivered => {
            update("delivered", true)?;
            db.execute(
                "update webhook_endpoints set failing_since = null where id = $1",
                &[ready.endpoint_id.clone().into()],
            )?;
            release_next(db, ready)?;
            Ok("delivered")
        }
        Verdict::Gone => {
            update("failed", true)?;
            disable(db, &ready.endpoint_id, "gone", mail_id)?;
            release_next(db, ready)?;
            Ok("endpoint_disabled_gone")
        }
        Verdict::Failed => {
            let rows = db.query(
                "update webhook_endpoints set failing_since = coalesce(failing_since, now()) where id = $1 \
                 returning extract(epoch from failing_since)::bigint",
                &[ready.endpoint_id.clone().into()],
            )?;
            let since: i64 = rows.rows.first().map_or(Ok(now), |r| col(r, 0))?;
            if retry::should_disable(since, now) {
                update("failed", true)?;
                disable(db, &ready.endpoint_id, "failing", mail_id)?;
                release_next(db, ready)?;
                return Ok("endpoint_disabled_failing");
            }
            let asked = answer
                .retry_after
                .as_deref()
                .and_then(|v| retry::parse_retry_after(v, now));
            match retry::after_failure(u32::try_from(attempt).unwrap_or(0), jitter, asked) {
                Next::GiveUp => {
                    update("failed", true)?;
                    release_next(db, ready)?;
                    Ok("failed")
                }
                Next::RetryIn(wait) => {
                    update("pending", false)?;
                    schedule(db, delivery_id, attempt + 1, wait)?;
                    Ok("retry_scheduled")
                }
            }
        }
    }
}

fn status_param(status: Option<u16>) -> spin_sdk::pg4::ParameterValue {
    status.map_or(spin_sdk::pg4::ParameterValue::DbNull, |s| {
        i32::from(s).into()
    })
}

/// Queues attempt `attempt` of the delivery after `wait`.
fn schedule(
    db: &Connection,
    delivery_id: &str,
    attempt: i32,
    wait: Duration,
) -> Result<(), ApiError> {
    db.execute(
        "update webhook_deliveries set next_attempt_at = now() + make_interval(secs => $2::bigint) where id = $1",
        &[
            delivery_id.to_owned().into(),
            i64::try_from(wait.as_secs()).unwrap_or(i64::MAX).into(),
        ],
    )?;
    work::enqueue_delayed(
        db,
        DELIVER_WEBHOOK,
        &json!({"delivery_id": delivery_id, "attempt": attempt}),
        Some(&format!("{delivery_id}:{attempt}")),
        DELIVERY_JOB_MAX_ATTEMPTS,
        wait.as_secs(),
    )?;
    Ok(())
}

/// Starts the oldest pending delivery of the same (endpoint, ordering key)
/// if it was held back waiting for this one.
fn release_next(db: &Connection, ready: &Ready) -> Result<(), ApiError> {
    let rows = db.query(
        "with n as (select id from webhook_deliveries where endpoint_id = $1 and ordering_key = $2 \
           and status = 'pending' order by event_seq limit 1) \
         update webhook_deliveries d set waiting = false, next_attempt_at = now() from n \
         where d.id = n.id and d.waiting returning d.id, d.attempts",
        &[
            ready.endpoint_id.clone().into(),
            ready.ordering_key.clone().into(),
        ],
    )?;
    if let Some(row) = rows.rows.first() {
        let id: String = col(row, 0)?;
        let attempts: i32 = col(row, 1)?;
        // No dedupe key: this attempt number may already have had a job (the
        // one that found it waiting); step 1 makes a second run harmless.
        work::enqueue_with(
            db,
            DELIVER_WEBHOOK,
            &json!({"delivery_id": id, "attempt": attempts + 1}),
            None,
            DELIVERY_JOB_MAX_ATTEMPTS,
        )?;
    }
    Ok(())
}

/// Disables the endpoint (once) and queues the mail telling its account.
fn disable(
    db: &Connection,
    endpoint_id: &str,
    reason: &str,
    mail_id: &str,
) -> Result<(), ApiError> {
    let rows = db.query(
        "update webhook_endpoints set status = 'disabled', disabled_reason = $2, disabled_at = now() \
         where id = $1 and status = 'enabled' returning account_id",
        &[endpoint_id.to_owned().into(), reason.to_owned().into()],
    )?;
    if rows.rows.is_empty() {
        return Ok(());
    }
    db.execute(
        "insert into mail_outbox (id, kind, ref_id, to_address) \
         select $1, 'webhook_disabled', $2, a.email from webhook_endpoints w \
         join accounts a on a.id = w.account_id where w.id = $2",
        &[mail_id.to_owned().into(), endpoint_id.to_owned().into()],
    )?;
    work::enqueue(db, SEND_MAIL, &json!({"mail_id": mail_id}), Some(mail_id))?;
    Ok(())
}
