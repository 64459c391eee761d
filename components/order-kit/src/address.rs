//! Seed 001's shipping address in a request body (`shipping_address_json`
//! of checkout and autonomous orders, and of a one-shot job's `options`),
//! checked by `farm_orders::address`.

use farm_orders::address::{self, AddressError, AddressInput, ShippingAddress};
use farm_platform::ApiError;
use serde::Deserialize;
use serde_json::{Value, json};

/// Seed 001's address fields; unknown fields are refused like any body's.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressBody {
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    line1: Option<String>,
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    line2: Option<String>,
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    city: Option<String>,
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    state: Option<String>,
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    postal_code: Option<String>,
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    country: Option<String>,
}

/// The checked address as stored and shown (JSON), or 400
/// `missing_shipping_fields` naming each missing required field (`fields`,
/// each `{field}.<name>`, e.g. `shipping_address_json.city`), or 400
/// `invalid_request` for a bad value. `field` is where the address sits in
/// the request (`shipping_address_json`, or `options.shipping_address_json`
/// in a one-shot job).
pub fn checked(body: Option<&AddressBody>, field: &str) -> Result<Value, ApiError> {
    let empty = AddressBody::default();
    let b = body.unwrap_or(&empty);
    let input = AddressInput {
        line1: b.line1.as_deref(),
        line2: b.line2.as_deref(),
        city: b.city.as_deref(),
        state: b.state.as_deref(),
        postal_code: b.postal_code.as_deref(),
        country: b.country.as_deref(),
    };
    match address::check(&input) {
        Ok(a) => Ok(to_json(&a)),
        // `missing_fields` names each missing field; `fields` says the same
        // in the shape every 400 uses (`{field, reason}`).
        Err(AddressError::Missing(fields)) => Err(ApiError::new(
            400,
            "missing_shipping_fields",
            format!(
                "The shipping address lacks {}; ask the person for them (line1, city and country are required).",
                fields.join(", ")
            ),
        )
        .with_detail("missing_fields", &fields)
        .with_detail(
            "fields",
            fields
                .iter()
                .map(|f| json!({"field": format!("{field}.{f}"), "reason": "is required"}))
                .collect::<Vec<_>>(),
        )
        .with_detail("next_action", "ask_user_for_shipping_address")),
        Err(AddressError::Invalid(name, reason)) => {
            Err(ApiError::invalid_field(&format!("{field}.{name}"), reason))
        }
    }
}

fn to_json(a: &ShippingAddress) -> Value {
    json!({
        "line1": a.line1,
        "line2": a.line2,
        "city": a.city,
        "state": a.state,
        "postal_code": a.postal_code,
        "country": a.country,
    })
}
