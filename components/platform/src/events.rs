//! The event outbox (`events`, migrations/0008): the one way to record
//! something a partner may hear about. Call [`record`] inside the
//! transaction ([`crate::transaction`]) that makes the change, so the event
//! exists exactly when the change does; webhook delivery, `GET /v1/events`
//! and order timelines read the table.
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

/// Writes one event row on `db` as it is (call it inside the caller's
/// transaction). Errors: a database error (500) or a type the table's check
/// refuses (500: a programming error, never the caller's input).
pub fn record(db: &Connection, event: &NewEvent<'_>) -> Result<RecordedEvent, ApiError> {
    let id = new_id(IdKind::Event)?;
    let order = event
        .order_id
        .map_or(ParameterValue::DbNull, |o| o.to_owned().into());
    let rows = db.query(
        "insert into events (id, account_id, livemode, type, object_type, object_id, order_id, data) \
         values ($1, $2, $3, $4, $5, $6, $7, ($8::text)::jsonb) returning seq",
        &[
            id.clone().into(),
            event.account_id.to_owned().into(),
            event.livemode.into(),
            event.kind.to_owned().into(),
            event.object_type.to_owned().into(),
            event.object_id.to_owned().into(),
            order,
            event.data.to_string().into(),
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
