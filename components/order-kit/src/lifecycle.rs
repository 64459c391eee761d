//! Creating an order and moving it through `farm_orders::status`: every
//! transition is an update of the row and an event row
//! (`farm_platform::events::record`) in the same transaction. Functions here
//! take the connection and run inside the caller's transaction, except
//! where they say they open one.

use crate::row::{ORDER_COLUMNS, OrderRow};
use farm_orders::status::{Action, CREATED_EVENT, step};
use farm_orders::{OrderStatus, public_id};
use farm_platform::events::{NewEvent, record};
use farm_platform::farm_domain::api_key::to_hex;
use farm_platform::farm_domain::ids::IdKind;
use farm_platform::{ApiError, new_id, random_bytes};
use serde_json::Value;
use spin_sdk::pg4::{Connection, ParameterValue};

/// What a new order is made of. Amounts come from `quote` (the server's).
#[derive(Debug)]
pub struct NewOrder<'a> {
    pub account_id: &'a str,
    pub livemode: bool,
    /// `checkout`, `autonomous` or `job`.
    pub source: &'a str,
    pub job_id: Option<&'a str>,
    pub quote: &'a crate::quote::OrderableQuote,
    pub shipping_address: Option<&'a Value>,
    /// Set for autonomous orders: the reservation's month is this month.
    pub reserves_spend: bool,
}

/// Inserts the order (`requires_payment`) and its `order.created` event.
/// `base` is `public_base_url`, for the event's data.
pub fn create(db: &Connection, new: &NewOrder<'_>, base: &str) -> Result<OrderRow, ApiError> {
    let id = new_id(IdKind::Order)?;
    let public = public_id::format(random_bytes::<{ public_id::RANDOM_BYTES }>()?);
    let review = to_hex(&random_bytes::<16>()?);
    let q = new.quote;
    let sql = format!(
        "insert into orders (id, account_id, livemode, public_order_id, review_token, source, job_id, quote_id, \
            file_id, material, color, quantity, currency, unit_price_cents, total_cents, estimated_hours, \
            estimated_ship, shipping_address, spend_month) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17::text::date, \
            $18::text::jsonb, case when $19 then (date_trunc('month', now() at time zone 'utc'))::date end) \
         returning {ORDER_COLUMNS}"
    );
    let opt = |v: Option<String>| v.map_or(ParameterValue::DbNull, Into::into);
    let rows = db.query(
        &sql,
        &[
            id.into(),
            new.account_id.to_owned().into(),
            new.livemode.into(),
            public.into(),
            review.into(),
            new.source.to_owned().into(),
            opt(new.job_id.map(str::to_owned)),
            q.id.clone().into(),
            q.file_id.clone().into(),
            q.material.clone().into(),
            q.color.clone().into(),
            q.quantity.into(),
            q.currency.clone().into(),
            q.unit_price_cents.into(),
            q.total_cents.into(),
            q.hours_per_part.into(),
            opt(q.estimated_ship.clone()),
            opt(new.shipping_address.map(Value::to_string)),
            new.reserves_spend.into(),
        ],
    )?;
    let order = OrderRow::from_row(
        rows.rows
            .first()
            .ok_or_else(|| ApiError::internal("insert into orders returned no row"))?,
    )?;
    emit(db, &order, CREATED_EVENT, base)?;
    Ok(order)
}

fn emit(db: &Connection, order: &OrderRow, kind: &str, base: &str) -> Result<(), ApiError> {
    emit_with(db, order, kind, base, &Value::Null)
}

/// Records event `kind` of `order`: its data is the order as it is now plus
/// the fields of `extra` (an object; anything else adds nothing), such as
/// the parts, photos and energy of `order.shipped`.
pub fn emit_with(
    db: &Connection,
    order: &OrderRow,
    kind: &str,
    base: &str,
    extra: &Value,
) -> Result<(), ApiError> {
    record_about(
        db,
        order,
        kind,
        ("order", &order.id),
        order.render(base),
        extra,
    )
}

/// Records event `kind` about `object` (type, id) of `order`'s account and
/// mode, ordered with the order's events: `data` plus the fields of `extra`
/// (an object; anything else adds nothing).
fn record_about(
    db: &Connection,
    order: &OrderRow,
    kind: &str,
    (object_type, object_id): (&str, &str),
    mut data: Value,
    extra: &Value,
) -> Result<(), ApiError> {
    if let (Some(data), Some(extra)) = (data.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            data.insert(k.clone(), v.clone());
        }
    }
    record(
        db,
        &NewEvent {
            account_id: &order.account_id,
            livemode: order.livemode,
            kind,
            object_type,
            object_id,
            order_id: Some(&order.id),
            data: &data,
        },
    )?;
    Ok(())
}

/// Loads and row-locks an order (`for update`) by id, for a transition.
pub fn lock(db: &Connection, order_id: &str) -> Result<Option<OrderRow>, ApiError> {
    let sql = format!("select {ORDER_COLUMNS} from orders where id = $1 for update");
    let rows = db.query(&sql, &[order_id.to_owned().into()])?;
    rows.rows.first().map(|r| OrderRow::from_row(r)).transpose()
}

/// Applies `action` to a locked `order`: 409 `order_state_conflict` (with
/// the status) when the state machine refuses it; otherwise updates the row,
/// sets the extra `assignments` (SQL `col = $n` starting at `$2`) and records
/// the transition's event. Returns the order as it is now.
pub fn transition(
    db: &Connection,
    order: &OrderRow,
    action: Action,
    assignments: &str,
    params: &[ParameterValue],
    base: &str,
) -> Result<OrderRow, ApiError> {
    transition_with(db, order, action, assignments, params, base, &Value::Null)
}

/// [`transition`] whose event carries the fields of `extra` besides the
/// order (see [`emit_with`]).
pub fn transition_with(
    db: &Connection,
    order: &OrderRow,
    action: Action,
    assignments: &str,
    params: &[ParameterValue],
    base: &str,
    data: &Value,
) -> Result<OrderRow, ApiError> {
    let s = step(order.status, action).map_err(|e| {
        ApiError::new(409, "order_state_conflict", e.to_string())
            .with_detail("status", order.status.as_str())
            .with_detail("order_id", &order.id)
    })?;
    let extra = if assignments.is_empty() {
        String::new()
    } else {
        format!(", {assignments}")
    };
    let sql = format!(
        "update orders set status = '{}', updated_at = now(){extra} where id = $1 returning {ORDER_COLUMNS}",
        s.to.as_str()
    );
    let mut all = vec![ParameterValue::from(order.id.clone())];
    all.extend_from_slice(params);
    let rows = db.query(&sql, &all)?;
    let now = OrderRow::from_row(
        rows.rows
            .first()
            .ok_or_else(|| ApiError::internal("order vanished during a transition"))?,
    )?;
    emit_with(db, &now, s.event, base, data)?;
    emit_job_event(db, &now, s.event, base, data)?;
    Ok(now)
}

/// For an order placed as a job (seed 000), records the job's own event
/// beside the order's (`job.printing`, `job.shipped`: see
/// `farm_orders::job_view::job_event`): its data is the job view plus the
/// fields of `extra` (the shipped parts with their photo URLs and energy).
/// The event's object is the job; it is ordered with the order's events.
fn emit_job_event(
    db: &Connection,
    order: &OrderRow,
    order_event: &str,
    base: &str,
    extra: &Value,
) -> Result<(), ApiError> {
    let (Some(job_id), Some(kind)) = (
        order.job_id.as_deref(),
        farm_orders::job_view::job_event(order_event),
    ) else {
        return Ok(());
    };
    record_about(
        db,
        order,
        kind,
        ("job", job_id),
        order.render_job(base),
        extra,
    )
}

/// How [`pay_and_queue`] ended.
#[derive(Debug)]
pub enum Paid {
    /// This call paid the order and queued its print tasks.
    Now(OrderRow),
    /// The order was already past `requires_payment` (a repeated event, a
    /// second click): nothing changed.
    Already(OrderRow),
}

/// The payment of `order` (locked by the caller) was confirmed: `paid`
/// (recording `payment_intent`), then one print task per part, then
/// `queued`. Exactly once: an order not in `requires_payment` is returned
/// unchanged as [`Paid::Already`]. `amount_cents`, when the provider states
/// it, must equal the order's total (else 409 `amount_mismatch`, and nothing
/// changes).
pub fn pay_and_queue(
    db: &Connection,
    order: OrderRow,
    payment_intent: Option<&str>,
    amount_cents: Option<i64>,
    base: &str,
) -> Result<Paid, ApiError> {
    if order.status != OrderStatus::RequiresPayment {
        return Ok(Paid::Already(order));
    }
    if let Some(amount) = amount_cents
        && amount != order.total_cents
    {
        return Err(ApiError::new(
            409,
            "amount_mismatch",
            format!(
                "The payment was for {amount} but the order's total is {}; the order stays unpaid.",
                order.total_cents
            ),
        ));
    }
    let pi = payment_intent.map_or(ParameterValue::DbNull, |p| p.to_owned().into());
    let paid = transition(
        db,
        &order,
        Action::Pay,
        "payment_intent = coalesce($2, payment_intent)",
        &[pi],
        base,
    )?;
    // One print task per part, so the fleet prints them in parallel; the
    // gateway claims them by status.
    db.execute(
        "insert into print_tasks (order_id, file_id, object_key, material, color, copy_index, estimated_hours, livemode) \
         select o.id, o.file_id, f.object_key, o.material, o.color, n, o.estimated_hours, o.livemode \
         from orders o join files f on f.id = o.file_id, generate_series(1, o.quantity) as n \
         where o.id = $1",
        &[paid.id.clone().into()],
    )?;
    let queued = transition(db, &paid, Action::Queue, "", &[], base)?;
    Ok(Paid::Now(queued))
}

/// True when a printer has claimed (or printed) any of the order's tasks:
/// printing has started and the order can no longer be cancelled.
pub fn printing_started(db: &Connection, order_id: &str) -> Result<bool, ApiError> {
    let rows = db.query(
        "select exists (select 1 from print_tasks where order_id = $1 \
           and status not in ('queued', 'cancelled'))",
        &[order_id.to_owned().into()],
    )?;
    let row = rows
        .rows
        .first()
        .ok_or_else(|| ApiError::internal("exists returned no row"))?;
    farm_platform::col(row, 0)
}

/// 409 `order_not_cancellable`: printing has started (or the order is past
/// it); the body carries the order's status.
pub fn not_cancellable(order: &OrderRow, reason: &str) -> ApiError {
    ApiError::new(
        409,
        "order_not_cancellable",
        format!(
            "The order is {} and {reason}; only an order whose printing has not started can be cancelled.",
            order.status
        ),
    )
    .with_detail("status", order.status.as_str())
    .with_detail("order_id", &order.id)
    .with_detail("next_action", "none")
}

/// Cancels a locked order (inside the caller's transaction): checks that
/// printing has not started, moves it to `cancelled`, cancels its queued
/// print tasks and gives back an autonomous spend reservation. Returns the
/// cancelled order and whether it was charged (the caller refunds it).
pub fn cancel(db: &Connection, order: &OrderRow, base: &str) -> Result<(OrderRow, bool), ApiError> {
    if !order.status.is_cancellable() {
        return Err(not_cancellable(order, "cannot be cancelled"));
    }
    if printing_started(db, &order.id)? {
        return Err(not_cancellable(order, "printing has started"));
    }
    let charged = order.status.was_charged();
    let cancelled = transition(db, order, Action::Cancel, "", &[], base)?;
    db.execute(
        "update print_tasks set status = 'cancelled', updated_at = now() where order_id = $1 and status = 'queued'",
        &[order.id.clone().into()],
    )?;
    if let Some(month) = &order.spend_month {
        db.execute(
            "select farm_release_autonomous_spend($1, $2, $3, $4::text::date)",
            &[
                order.account_id.clone().into(),
                order.livemode.into(),
                order.total_cents.into(),
                month.clone().into(),
            ],
        )?;
    }
    Ok((cancelled, charged))
}

/// Records the refund of a cancelled, charged order: `refunded`, with the
/// refund's id and amount (the whole total). A refunded order is left as it is.
pub fn mark_refunded(
    db: &Connection,
    order: &OrderRow,
    refund_id: &str,
    base: &str,
) -> Result<OrderRow, ApiError> {
    if order.status == OrderStatus::Refunded {
        return Ok(order.clone());
    }
    transition(
        db,
        order,
        Action::Refund,
        "refund_id = $2, amount_refunded_cents = total_cents",
        &[refund_id.to_owned().into()],
        base,
    )
}

/// Records the checkout session on the order: its id and the link a person
/// opens to approve (the provider's, or the local test checkout page).
pub fn attach_session(
    db: &Connection,
    order_id: &str,
    session_id: &str,
    approval_url: &str,
) -> Result<OrderRow, ApiError> {
    let sql = format!(
        "update orders set checkout_session_id = $2, approval_url = $3, updated_at = now() \
         where id = $1 returning {ORDER_COLUMNS}"
    );
    let rows = db.query(
        &sql,
        &[
            order_id.to_owned().into(),
            session_id.to_owned().into(),
            approval_url.to_owned().into(),
        ],
    )?;
    OrderRow::from_row(
        rows.rows
            .first()
            .ok_or_else(|| ApiError::internal("order vanished"))?,
    )
}
