//! Wire types shared by several components.

use serde::Serialize;

/// Money on the wire: integer minor units, currency, and what a person reads.
///
/// `{"amount": 300, "currency": "USD", "display": "$3.00"}`
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Money {
    /// Minor units (cents).
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: &'static str,
    pub display: String,
}

impl From<farm_domain::money::Money> for Money {
    fn from(m: farm_domain::money::Money) -> Self {
        Money {
            amount: m.minor(),
            currency: m.currency().code(),
            display: m.display(),
        }
    }
}

/// RFC 3339 UTC timestamp for Unix seconds.
pub fn timestamp(unix_secs: i64) -> String {
    farm_domain::calendar::rfc3339(unix_secs)
}
