//! `GET /v1/orders/{id}`, `GET /v1/orders` (newest first, Stripe's list
//! shape, `status` filter; each item with its parts, as the single order
//! shows them, read in the page's one statement) and `POST /v1/orders/{id}/cancel`. Every query is
//! scoped by the caller's account and mode: another account's order, or an
//! order of the other mode, is `order_not_found`.

use farm_platform::farm_domain::Resource;
use farm_platform::farm_domain::ids::IdKind;
use farm_platform::farm_domain::scope::Scope;
use farm_platform::{ApiError, Caller, Ctx, response, transaction};
use order_kit::farm_orders::OrderStatus;
use order_kit::lifecycle;
use order_kit::row::{ORDER_COLUMNS, OrderRow};
use serde_json::Value;
use spin_sdk::http::Response;
use spin_sdk::pg4::ParameterValue;
use upload_kit::list::Page;

fn not_found() -> ApiError {
    ApiError::not_found(Resource::Order)
}

/// The caller's order `id` in the caller's mode, or `order_not_found`.
fn load(ctx: &mut Ctx, caller: &Caller, id: &str) -> Result<OrderRow, ApiError> {
    if !IdKind::Order.is_valid(id) {
        return Err(not_found());
    }
    let sql = format!(
        "select {ORDER_COLUMNS} from orders where id = $1 and account_id = $2 and livemode = $3"
    );
    let rows = ctx.db()?.query(
        &sql,
        &[
            id.to_owned().into(),
            caller.account_id.clone().into(),
            caller.livemode().into(),
        ],
    )?;
    OrderRow::from_row(rows.rows.first().ok_or_else(not_found)?)
}

pub fn get(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::OrdersRead)?;
    let id = ctx.param("id")?;
    let order = load(ctx, &caller, &id)?;
    let mut body = order.render(&crate::base_url(ctx)?);
    // Each part's production state and latest inspection, photos signed now.
    let urls = order_kit::production::PhotoUrls::from_ctx(ctx)?;
    body["parts"] = Value::Array(order_kit::production::parts(ctx.db()?, &urls, &order.id)?);
    Ok(response::ok(&body))
}

pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::OrdersRead)?;
    let page = Page::from_query(ctx, IdKind::Order, &["status"])?;
    let status = match ctx.query("status") {
        None => None,
        Some(s) => Some(OrderStatus::parse(&s).ok_or_else(|| {
            ApiError::invalid_field(
                "status",
                "must be one of requires_payment, paid, queued, in_production, shipped, delivered, cancelled, refunded",
            )
        })?),
    };
    // Each order's parts in the same statement (one read for the page).
    let parts_sql = order_kit::production::parts_json_sql("t.id");
    let sql = format!(
        "select {ORDER_COLUMNS}, {parts_sql} from orders t where t.account_id = $1 and t.livemode = $2 \
           and ($3::text is null or t.status = $3) \
           and ($4::text is null or (t.created_at, t.id) < \
                (select c.created_at, c.id from orders c where c.id = $4 and c.account_id = $1 and c.livemode = $2)) \
         order by t.created_at desc, t.id desc limit $5"
    );
    let cursor = page
        .starting_after
        .clone()
        .map_or(ParameterValue::DbNull, Into::into);
    let params = [
        caller.account_id.clone().into(),
        caller.livemode().into(),
        status.map_or(ParameterValue::DbNull, |s| s.as_str().to_owned().into()),
        cursor.clone(),
        i64::from(page.limit + 1).into(),
    ];
    let rows = ctx.db()?.query(&sql, &params)?;
    if rows.rows.is_empty() && page.starting_after.is_some() {
        let found = ctx.db()?.query(
            "select 1 from orders where id = $1 and account_id = $2 and livemode = $3",
            &[cursor, params[0].clone(), params[1].clone()],
        )?;
        if found.rows.is_empty() {
            return Err(upload_kit::list::unknown_cursor());
        }
    }
    let base = crate::base_url(ctx)?;
    let urls = order_kit::production::PhotoUrls::from_ctx(ctx)?;
    let parts_at = order_kit::row::ORDER_COLUMN_COUNT;
    let items = rows
        .rows
        .iter()
        .map(|r| {
            let mut item = OrderRow::from_row(r)?.render(&base);
            let parts: String = farm_platform::col(r, parts_at)?;
            item["parts"] = Value::Array(order_kit::production::render_parts(&urls, &parts)?);
            Ok(item)
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(response::ok(&page.render(items)))
}

/// Cancels an order whose printing has not started and refunds what was
/// charged, once. Test mode refunds without the provider, in the same
/// transaction. 409 `order_not_cancellable` (with `status`) once printing
/// started; a cancelled or refunded order answers as it is (a retry).
pub fn cancel(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::OrdersWrite)?;
    let id = ctx.param("id")?;
    let order = load(ctx, &caller, &id)?;
    let base = crate::base_url(ctx)?;
    let livemode = order.livemode;
    let db = ctx.db()?;
    let done = transaction(db, |db| {
        let order = lifecycle::lock(db, &order.id)?.ok_or_else(not_found)?;
        match order.status {
            OrderStatus::Refunded => return Ok(order),
            // A live refund that did not go through last time is retried below.
            OrderStatus::Cancelled => return Ok(order),
            _ => {}
        }
        let (cancelled, charged) = lifecycle::cancel(db, &order, &base)?;
        if !charged || livemode {
            return Ok(cancelled);
        }
        // Test mode: no provider; the refund is recorded at once.
        let refund = format!(
            "re_test_{}",
            farm_platform::farm_domain::api_key::to_hex(&farm_platform::random_bytes::<16>()?)
        );
        lifecycle::mark_refunded(db, &cancelled, &refund, &base)
    })?;
    // Live: a charged order is refunded by the provider once (its
    // idempotency key is the order's), after the cancel committed.
    let done = if done.livemode
        && done.status == OrderStatus::Cancelled
        && done.payment_intent.is_some()
        && done.amount_refunded_cents == 0
    {
        order_kit::live::refund(ctx, &done, &base)?
    } else {
        done
    };
    Ok(response::ok(&done.render(&base)))
}
