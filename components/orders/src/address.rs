//! The request body of checkout and autonomous orders: `quote_id` and seed
//! 001's `shipping_address_json` (checked by `order_kit::address`).

use serde::Deserialize;

pub use order_kit::address::{AddressBody, checked};

/// `{"quote_id": "quote_...", "shipping_address_json": {...}}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderBody {
    pub quote_id: String,
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    pub shipping_address_json: Option<AddressBody>,
}
