//! The price formula.
//!
//! ```text
//! grams_per_part  = model grams + support grams, rounded to 0.01 g
//! list_unit_price = round_half_up(grams_per_part × price_per_gram)                        [cents]
//! unit_price      = round_half_up(grams_per_part × price_per_gram × (1 − bulk discount))  [cents]
//! subtotal        = unit_price × quantity                                                 [cents]
//! total           = max(subtotal, order minimum)                                          [cents]
//! ```
//!
//! All arithmetic after the gram rounding is on integers (centigrams, cents,
//! basis points), so a person can recompute a quote from its breakdown to the
//! cent. The unit price is always the formula's: when the order minimum
//! applies, the total is the minimum and the unit price stays what one part
//! costs (10 parts at 7¢ are a 70¢ subtotal and a $3.00 total, never "30¢
//! each" beside a 7¢ list price).
//!
//! Consequences, checked by property tests: the unit price never increases
//! with quantity, no total is below the order minimum, and the total is the
//! unit price times the quantity whenever that reaches the minimum.

use farm_domain::catalog::{CURRENCY, Material, ORDER_MINIMUM};
use farm_domain::money::Money;

use crate::PartFacts;

/// How many parts one quote may cover.
pub const MAX_QUANTITY: u32 = 10_000;

/// Weights above this (10 t) are treated as this: no real part comes close,
/// and the cap keeps the integer arithmetic far from overflow.
const MAX_GRAMS: f64 = 10_000_000.0;

/// A number of parts, `1..=MAX_QUANTITY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(u32);

impl Quantity {
    pub fn new(n: u32) -> Option<Self> {
        (1..=MAX_QUANTITY).contains(&n).then_some(Self(n))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// A bulk discount: from `min_quantity` parts, `discount_bp` basis points off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkTier {
    pub min_quantity: u32,
    /// Hundredths of a percent: 1000 = 10 %.
    pub discount_bp: u32,
}

/// The published bulk discounts (seed 000: "bulk discounts apply automatically
/// at 50+ parts"), ascending. The first tier is "no discount".
pub const BULK_TIERS: [BulkTier; 5] = [
    BulkTier {
        min_quantity: 1,
        discount_bp: 0,
    },
    BulkTier {
        min_quantity: 50,
        discount_bp: 1000,
    },
    BulkTier {
        min_quantity: 100,
        discount_bp: 1500,
    },
    BulkTier {
        min_quantity: 250,
        discount_bp: 2000,
    },
    BulkTier {
        min_quantity: 500,
        discount_bp: 2500,
    },
];

/// The tier that applies to `quantity`.
pub fn tier(quantity: Quantity) -> BulkTier {
    BULK_TIERS
        .iter()
        .rev()
        .find(|t| quantity.get() >= t.min_quantity)
        .copied()
        .unwrap_or(BULK_TIERS[0])
}

/// A priced order with every figure of its breakdown.
#[derive(Debug, Clone, PartialEq)]
pub struct Price {
    /// Part weight without supports, centigrams (0.01 g).
    pub model_centigrams: i64,
    /// Support weight, centigrams.
    pub support_centigrams: i64,
    /// What one part is billed at: model + support, centigrams.
    pub billable_centigrams: i64,
    pub price_per_gram: Money,
    pub quantity: Quantity,
    pub tier: BulkTier,
    /// Unit price before the bulk discount.
    pub list_unit_price: Money,
    /// Unit price after the bulk discount: what one part costs.
    pub unit_price: Money,
    /// `list_unit_price × quantity − subtotal`.
    pub discount: Money,
    /// `unit_price × quantity`.
    pub subtotal: Money,
    pub minimum: Money,
    /// Whether the subtotal was below the order minimum (the total is the minimum).
    pub minimum_applied: bool,
    /// `max(subtotal, minimum)`: what the order costs.
    pub total: Money,
}

/// Prices `quantity` parts of `model_grams` + `support_grams` in `material`.
pub fn price(
    model_grams: f64,
    support_grams: f64,
    material: &Material,
    quantity: Quantity,
) -> Price {
    let model_centigrams = centigrams(model_grams);
    let support_centigrams = centigrams(support_grams);
    let billable_centigrams = model_centigrams + support_centigrams;
    let ppg = material.price_per_gram().minor();
    let tier = tier(quantity);
    let q = i64::from(quantity.get());
    let list_unit = div_round_half_up(i128::from(billable_centigrams) * i128::from(ppg), 100);
    let discounted_unit = div_round_half_up(
        i128::from(billable_centigrams) * i128::from(ppg) * i128::from(10_000 - tier.discount_bp),
        100 * 10_000,
    );
    let minimum = ORDER_MINIMUM.minor();
    let subtotal = discounted_unit * q;
    let minimum_applied = subtotal < minimum;
    Price {
        model_centigrams,
        support_centigrams,
        billable_centigrams,
        price_per_gram: material.price_per_gram(),
        quantity,
        tier,
        list_unit_price: usd(list_unit),
        unit_price: usd(discounted_unit),
        discount: usd(list_unit * q - subtotal),
        subtotal: usd(subtotal),
        minimum: ORDER_MINIMUM,
        minimum_applied,
        total: usd(subtotal.max(minimum)),
    }
}

/// The spread of the total given the weight estimate's uncertainty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceRange {
    pub min: Money,
    pub max: Money,
}

/// Totals at the low and high end of the weight estimate.
pub fn range(facts: &PartFacts, material: &Material, quantity: Quantity) -> PriceRange {
    let u = if facts.weight_uncertainty.is_finite() {
        facts.weight_uncertainty.clamp(0.0, 0.9)
    } else {
        0.0
    };
    let at = |factor: f64| {
        price(
            facts.model_grams * factor,
            facts.support_grams * factor,
            material,
            quantity,
        )
        .total
    };
    PriceRange {
        min: at(1.0 - u),
        max: at(1.0 + u),
    }
}

fn usd(cents: i64) -> Money {
    Money::new(cents, CURRENCY)
}

/// Grams to whole centigrams, half up; negative or NaN is zero.
fn centigrams(grams: f64) -> i64 {
    if !grams.is_finite() || grams <= 0.0 {
        return 0;
    }
    (grams.min(MAX_GRAMS) * 100.0).round() as i64
}

fn div_round_half_up(numerator: i128, denominator: i128) -> i64 {
    let q = (numerator * 2 + denominator) / (denominator * 2);
    i64::try_from(q).unwrap_or(i64::MAX)
}

#[cfg(test)]
#[path = "price_tests.rs"]
mod tests;
