//! The event outbox (`events`, migrations/0008): the one way to record
//! something a partner may hear about. Call [`record`] inside the
//! transaction ([`crate::transaction`]) that makes the change, so the event
//! exists exactly when the change does; webhook delivery, `GET /v1/events`
//! and order timelines read the table. Recording an event also queues its
//! webhook deliveries (migrations/0012), in the same statement.
//!
//! ```ignore
//! farm_platform::transaction(db, |db| {
//!     db.execute("update orders set status = 'paid' where id = $1", &[id.clone().into()])?;
//!     events::record(db, &NewEvent {
//!         account_id: &account, livemode: false, kind: "order.paid",
//!         object_type: "order", object_id: &id, order_id: Some(&id),
//!         data: &order_json,
//!     })
//! })?;
//! ```

use crate::{ApiError, col, new_id};
use farm_domain::ids::IdKind;
use serde_json::Value;
use spin_sdk::pg4::{Connection, ParameterValue};

/// An event to record. `kind` is the dotted type (`order.paid`,
/// `file.ready`, ...); `data` is the object as it is now.
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    pub account_id: &'a str,
    /// False for events of test-mode objects.
    pub livemode: bool,
    pub kind: &'a str,
    /// `order`, `file`, `job`, `generation`, ...
    pub object_type: &'a str,
    pub object_id: &'a str,
    /// The order the event concerns, if any (per-order delivery order).
    pub order_id: Option<&'a str>,
    pub data: &'a Value,
}

/// A recorded event: its id (`evt_<32 hex>`) and its place in the global
/// order (`seq`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEvent {
    pub id: String,
    pub seq: i64,
}

/// Work-queue kind of one webhook delivery attempt (components/webhook-sender).
pub const DELIVER_WEBHOOK: &str = crate::work::handlers::DELIVER_WEBHOOK;

/// Attempts the work queue gives one delivery *attempt* job before it tells
/// the sender to give up (the sender's own failures, not the receiver's: a
/// receiver's failure is recorded and answered 200, and the next attempt is
/// a new job on farm-webhooks' schedule).
pub const DELIVERY_JOB_MAX_ATTEMPTS: u32 = 5;

/// Writes one event row on `db` as it is (call it inside the caller's
/// transaction), and in the same statement a pending webhook delivery for
/// each enabled endpoint of the account and mode subscribed to its type,
/// each with its first `deliver_webhook` job: the event and the work of
/// announcing it commit together or not at all. Errors: a database error
/// (500) or a type the table's check refuses (500: a programming error,
/// never the caller's input).
pub fn record(db: &Connection, event: &NewEvent<'_>) -> Result<RecordedEvent, ApiError> {
    let id = new_id(IdKind::Event)?;
    let order = event
        .order_id
        .map_or(ParameterValue::DbNull, |o| o.to_owned().into());
    // Delivery ids: `whdel_` + 32 hex of a v4 UUID (122 random bits), drawn
    // by Postgres so the fan-out stays one round trip.
    let rows = db.query(
        "with e as ( \
           insert into events (id, account_id, livemode, type, object_type, object_id, order_id, data) \
           values ($1, $2, $3, $4, $5, $6, $7, ($8::text)::jsonb) returning id, seq, account_id, livemode, type, \
             coalesce(order_id, object_type || ':' || object_id) as ordering_key), \
         d as ( \
           insert into webhook_deliveries (id, endpoint_id, account_id, event_id, event_seq, ordering_key) \
           select 'whdel_' || replace(gen_random_uuid()::text, '-', ''), w.id, e.account_id, e.id, e.seq, e.ordering_key \
           from e join webhook_endpoints w on w.account_id = e.account_id and w.livemode = e.livemode \
             and w.status = 'enabled' and w.deleted_at is null and (w.events ? '*' or w.events ? e.type) \
           returning id), \
         j as ( \
           insert into background_jobs (kind, payload, max_attempts) \
           select $9, jsonb_build_object('delivery_id', d.id, 'attempt', 1), $10 from d returning 1) \
         select seq from e",
        &[
            id.clone().into(),
            event.account_id.to_owned().into(),
            event.livemode.into(),
            event.kind.to_owned().into(),
            event.object_type.to_owned().into(),
            event.object_id.to_owned().into(),
            order,
            event.data.to_string().into(),
            DELIVER_WEBHOOK.to_owned().into(),
            i32::try_from(DELIVERY_JOB_MAX_ATTEMPTS)
                .unwrap_or(i32::MAX)
                .into(),
        ],
    )?;
    let row = rows
        .rows
        .first()
        .ok_or_else(|| ApiError::internal("insert into events returned no row"))?;
    Ok(RecordedEvent {
        id,
        seq: col(row, 0)?,
    })
}

/// Columns (of `events t`) that [`envelope`] reads.
pub const EVENT_COLUMNS: &str = "t.id, t.type, t.livemode, t.object_type, t.object_id, t.order_id, \
     t.data::text, extract(epoch from t.created_at)::bigint, t.seq";

/// The event envelope, as `GET /v1/events` lists it and as webhooks
/// deliver it: `id`, `object: "event"`, `type`, `created_at` (RFC 3339),
/// `livemode`, `data: {"object": <the object then>}` (Stripe's shape), plus
/// `object_type`, `object_id` and `order_id` so a receiver can route
/// without parsing `data`.
pub fn envelope(row: &[spin_sdk::pg4::DbValue]) -> Result<Value, ApiError> {
    let data: String = col(row, 6)?;
    let object: Value = serde_json::from_str(&data).map_err(ApiError::internal)?;
    Ok(serde_json::json!({
        "id": col::<String>(row, 0)?,
        "object": "event",
        "type": col::<String>(row, 1)?,
        "created_at": crate::wire::timestamp(col(row, 7)?),
        "livemode": col::<bool>(row, 2)?,
        "object_type": col::<String>(row, 3)?,
        "object_id": col::<String>(row, 4)?,
        "order_id": col::<Option<String>>(row, 5)?,
        "data": {"object": object},
    }))
}
