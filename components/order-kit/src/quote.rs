//! The caller's quote, as the server stored it, checked for ordering. The
//! price charged is always this row's, never a client figure.

use farm_platform::farm_domain::ids::IdKind;
use farm_platform::{ApiError, Caller, col};
use serde_json::Value;
use spin_sdk::pg4::Connection;

/// A quote that can be ordered, with what the order copies from it and what
/// the autonomous rules need from its file.
#[derive(Debug, Clone)]
pub struct OrderableQuote {
    pub id: String,
    pub file_id: String,
    pub material: String,
    pub color: String,
    pub quantity: i32,
    pub currency: String,
    pub unit_price_cents: i64,
    pub total_cents: i64,
    /// Print hours per part.
    pub hours_per_part: f64,
    pub estimated_ship: Option<String>,
    /// The stored quote body (risk flags, confidence, breakdown).
    pub response: Value,
    /// The file's detected-unit confidence (0–1).
    pub unit_confidence: f64,
    /// True when someone confirmed the file's unit.
    pub unit_confirmed: bool,
}

/// Loads the caller's quote in the caller's world (test or live):
/// 404 `quote_not_found` for a malformed, unknown or other account's (or
/// other mode's) quote; 410 `quote_expired` once past `expires_at`; 409
/// `file_changed` when the file no longer holds the bytes it priced.
pub fn load(db: &Connection, caller: &Caller, quote_id: &str) -> Result<OrderableQuote, ApiError> {
    if !IdKind::Quote.is_valid(quote_id) {
        return Err(ApiError::quote_not_found());
    }
    let rows = db.query(
        "select q.id, q.file_id, q.material, coalesce(q.color, ''), q.quantity, q.currency, \
                q.unit_price_cents, q.total_cents, q.estimated_hours, q.response->>'estimated_ship', \
                q.response::text, q.expires_at < now(), \
                coalesce((f.metrics->>'unit_confidence')::float8, 0), f.unit_confirmed_by is not null, \
                f.content_sha256 is not distinct from q.content_sha256 \
         from quotes q join files f on f.id = q.file_id \
         where q.id = $1 and q.account_id = $2 and q.livemode = $3",
        &[
            quote_id.to_owned().into(),
            caller.account_id.clone().into(),
            caller.livemode().into(),
        ],
    )?;
    let row = rows.rows.first().ok_or_else(ApiError::quote_not_found)?;
    if col::<bool>(row, 11)? {
        return Err(ApiError::quote_expired().with_detail("quote_id", quote_id));
    }
    if !col::<bool>(row, 14)? {
        return Err(ApiError::new(
            409,
            "file_changed",
            "The file no longer holds the bytes this quote priced; quote it again.",
        )
        .with_detail("next_action", "create_quote"));
    }
    let quantity: i32 = col(row, 4)?;
    let text: String = col(row, 10)?;
    Ok(OrderableQuote {
        id: col(row, 0)?,
        file_id: col(row, 1)?,
        material: col(row, 2)?,
        color: col(row, 3)?,
        quantity,
        currency: col(row, 5)?,
        unit_price_cents: col(row, 6)?,
        total_cents: col(row, 7)?,
        hours_per_part: col::<f64>(row, 8)? / f64::from(quantity.max(1)),
        estimated_ship: col(row, 9)?,
        response: serde_json::from_str(&text).map_err(ApiError::internal)?,
        unit_confidence: col(row, 12)?,
        unit_confirmed: col(row, 13)?,
    })
}
