//! The `orders` row and its two wire views: the order (`GET /v1/orders/{id}`)
//! and seed 000's job (`GET /v1/jobs/{id}`).

use farm_orders::OrderStatus;
use farm_platform::farm_domain::money::Money;
use farm_platform::{ApiError, col, wire};
use serde_json::{Value, json};
use spin_sdk::pg4::DbValue;

/// Columns [`OrderRow::from_row`] reads, in order (qualify with a table alias
/// by formatting, e.g. `o.` is not needed: only `orders` has these names).
pub const ORDER_COLUMNS: &str = "id, account_id, livemode, public_order_id, review_token, source, job_id, \
     status, quote_id, file_id, material, color, quantity, currency, unit_price_cents, total_cents, \
     estimated_hours, estimated_ship::text, shipping_address::text, checkout_session_id, approval_url, \
     payment_intent, spend_month::text, refund_id, amount_refunded_cents, tracking_number, \
     inspection_photos::text, extract(epoch from created_at)::bigint, extract(epoch from updated_at)::bigint, \
     needs_attention, status_detail, carrier, shipping_service, extract(epoch from shipped_at)::bigint, \
     extract(epoch from delivered_at)::bigint, energy_kwh, grid_kwh";

/// How many columns [`ORDER_COLUMNS`] selects: a query may select more after
/// them, from this index on.
pub const ORDER_COLUMN_COUNT: usize = 37;

/// One order as stored.
#[derive(Debug, Clone)]
pub struct OrderRow {
    pub id: String,
    pub account_id: String,
    pub livemode: bool,
    pub public_order_id: String,
    pub review_token: String,
    /// `checkout`, `autonomous` or `job`.
    pub source: String,
    pub job_id: Option<String>,
    pub status: OrderStatus,
    pub quote_id: String,
    pub file_id: String,
    pub material: String,
    pub color: String,
    pub quantity: i32,
    pub currency: String,
    pub unit_price_cents: i64,
    pub total_cents: i64,
    /// Print hours per part.
    pub estimated_hours: f64,
    pub estimated_ship: Option<String>,
    pub shipping_address: Option<Value>,
    pub checkout_session_id: Option<String>,
    pub approval_url: Option<String>,
    pub payment_intent: Option<String>,
    pub spend_month: Option<String>,
    pub refund_id: Option<String>,
    pub amount_refunded_cents: i64,
    pub tracking_number: Option<String>,
    pub inspection_photos: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// A part failed three times (or the farm cancelled one): a person must
    /// decide; the order does not ship meanwhile (migrations/0016).
    pub needs_attention: bool,
    /// Why the order needs a person, in words.
    pub status_detail: Option<String>,
    pub carrier: Option<String>,
    pub shipping_service: Option<String>,
    pub shipped_at: Option<i64>,
    pub delivered_at: Option<i64>,
    /// Energy of every print of the order's parts (failed ones too), kWh,
    /// and the part of it drawn from the grid.
    pub energy_kwh: f64,
    pub grid_kwh: f64,
}

impl OrderRow {
    pub fn from_row(row: &[DbValue]) -> Result<Self, ApiError> {
        let status: String = col(row, 7)?;
        let address: Option<String> = col(row, 18)?;
        let photos: String = col(row, 26)?;
        Ok(OrderRow {
            id: col(row, 0)?,
            account_id: col(row, 1)?,
            livemode: col(row, 2)?,
            public_order_id: col(row, 3)?,
            review_token: col(row, 4)?,
            source: col(row, 5)?,
            job_id: col(row, 6)?,
            status: OrderStatus::parse(&status)
                .ok_or_else(|| ApiError::internal(format!("stored order status {status}")))?,
            quote_id: col(row, 8)?,
            file_id: col(row, 9)?,
            material: col(row, 10)?,
            color: col(row, 11)?,
            quantity: col(row, 12)?,
            currency: col(row, 13)?,
            unit_price_cents: col(row, 14)?,
            total_cents: col(row, 15)?,
            estimated_hours: col(row, 16)?,
            estimated_ship: col(row, 17)?,
            shipping_address: address.and_then(|a| serde_json::from_str(&a).ok()),
            checkout_session_id: col(row, 19)?,
            approval_url: col(row, 20)?,
            payment_intent: col(row, 21)?,
            spend_month: col(row, 22)?,
            refund_id: col(row, 23)?,
            amount_refunded_cents: col(row, 24)?,
            tracking_number: col(row, 25)?,
            inspection_photos: serde_json::from_str(&photos).unwrap_or_default(),
            created_at: col(row, 27)?,
            updated_at: col(row, 28)?,
            needs_attention: col(row, 29)?,
            status_detail: col(row, 30)?,
            carrier: col(row, 31)?,
            shipping_service: col(row, 32)?,
            shipped_at: col(row, 33)?,
            delivered_at: col(row, 34)?,
            energy_kwh: col(row, 35)?,
            grid_kwh: col(row, 36)?,
        })
    }

    /// The tracking page's URL (`{public_base_url}/orders/{public_order_id}`).
    pub fn tracking_url(&self, base: &str) -> String {
        format!(
            "{}/orders/{}",
            base.trim_end_matches('/'),
            self.public_order_id
        )
    }

    /// The review page's URL (`{public_base_url}/review/{review_token}`).
    pub fn review_url(&self, base: &str) -> String {
        format!(
            "{}/review/{}",
            base.trim_end_matches('/'),
            self.review_token
        )
    }

    /// The order's wire form. `base` is the `public_base_url` variable.
    pub fn render(&self, base: &str) -> Value {
        let money = |cents: i64| wire::Money::from(Money::usd_cents(cents));
        json!({
            "id": self.id,
            "object": "order",
            "livemode": self.livemode,
            "status": self.status.as_str(),
            "source": self.source,
            "job_id": self.job_id,
            "public_order_id": self.public_order_id,
            "quote_id": self.quote_id,
            "file_id": self.file_id,
            "material_id": self.material,
            "color": self.color,
            "quantity": self.quantity,
            "unit_price": money(self.unit_price_cents),
            "total": money(self.total_cents),
            "amount_refunded": money(self.amount_refunded_cents),
            "estimated_ship": self.estimated_ship,
            "shipping_address": self.shipping_address,
            "checkout_session_id": self.checkout_session_id,
            "approval_url": if self.status == OrderStatus::RequiresPayment { self.approval_url.clone() } else { None },
            "tracking_url": self.tracking_url(base),
            "review_url": self.review_url(base),
            "tracking_number": self.tracking_number,
            "carrier": self.carrier,
            "shipping_service": self.shipping_service,
            "shipped_at": self.shipped_at.map(wire::timestamp),
            "delivered_at": self.delivered_at.map(wire::timestamp),
            "needs_attention": self.needs_attention,
            "status_detail": self.status_detail,
            "energy_kwh": round3(self.energy_kwh),
            "grid_kwh": round3(self.grid_kwh),
            "next_action": if self.needs_attention && !self.status.is_final() && self.status != OrderStatus::Shipped { "wait_for_farm_review" } else { next_action(self.status) },
            "created_at": wire::timestamp(self.created_at),
            "updated_at": wire::timestamp(self.updated_at),
        })
    }

    /// Seed 000's job view of the same order: `id` (the job id), `status`
    /// (the job's word for the order's status), `quote` (`unit_price`,
    /// `total`), `estimated_ship`, `webhook_events`, `carrier` and
    /// `tracking_number` once shipped, plus the order it is.
    pub fn render_job(&self, base: &str) -> Value {
        let money = |cents: i64| wire::Money::from(Money::usd_cents(cents));
        json!({
            "id": self.job_id,
            "object": "job",
            "livemode": self.livemode,
            "status": farm_orders::job_view::job_status(self.status),
            "quote": { "unit_price": money(self.unit_price_cents), "total": money(self.total_cents) },
            "estimated_ship": self.estimated_ship,
            "webhook_events": farm_orders::job_view::WEBHOOK_EVENTS,
            "order_id": self.id,
            "order_status": self.status.as_str(),
            "public_order_id": self.public_order_id,
            "tracking_url": self.tracking_url(base),
            "carrier": self.carrier,
            "tracking_number": self.tracking_number,
            "file_id": self.file_id,
            "quote_id": self.quote_id,
            "material": self.material,
            "color": self.color,
            "quantity": self.quantity,
            "created_at": wire::timestamp(self.created_at),
        })
    }
}

/// kWh to the watt-hour, as the wire shows energy.
pub fn round3(kwh: f64) -> f64 {
    (kwh * 1000.0).round() / 1000.0
}

/// What the caller does next for an order in `status`.
pub fn next_action(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::RequiresPayment => "redirect_user_to_approval_url",
        OrderStatus::Paid | OrderStatus::Queued | OrderStatus::InProduction => "wait_for_shipment",
        OrderStatus::Shipped => "wait_for_delivery",
        OrderStatus::Delivered | OrderStatus::Cancelled | OrderStatus::Refunded => "none",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_column_count_is_the_columns_listed() {
        // No column expression holds a comma, so the commas count them.
        assert_eq!(ORDER_COLUMNS.split(',').count(), ORDER_COLUMN_COUNT);
    }
}
