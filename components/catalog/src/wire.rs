//! Response bodies of the catalog endpoints.

use farm_domain::catalog::{CURRENCY, ExecutionMode, MATERIALS, Material, REQUIRED_USER_INPUTS};
use farm_platform::wire::Money;
use serde::Serialize;

/// `GET /v1/catalog` (seed 001's shape, money in minor units).
#[derive(Debug, Serialize)]
pub struct Catalog {
    pub items: Vec<CatalogItem>,
    pub required_user_inputs: &'static [&'static str],
    pub supported_execution_modes: Vec<&'static str>,
    pub currency: &'static str,
}

#[derive(Debug, Serialize)]
pub struct CatalogItem {
    pub id: &'static str,
    pub process: &'static str,
    pub material: &'static str,
    pub density_g_cm3: f64,
    pub currency: &'static str,
    pub price_per_gram: Money,
    pub price_per_gram_cents: i64,
    /// Minimum charge per order, as seed 001 names it.
    pub minimum_fee_cents: i64,
    pub minimum_order: Money,
    pub colors: &'static [&'static str],
    pub lead_time_min_days: u32,
    pub lead_time_max_days: u32,
}

impl From<&Material> for CatalogItem {
    fn from(m: &Material) -> Self {
        let (lead_min, lead_max) = m.lead_time_days();
        CatalogItem {
            id: m.id(),
            process: m.process(),
            material: m.name(),
            density_g_cm3: m.density_g_cm3(),
            currency: m.price_per_gram().currency().code(),
            price_per_gram: m.price_per_gram().into(),
            price_per_gram_cents: m.price_per_gram().minor(),
            minimum_fee_cents: m.order_minimum().minor(),
            minimum_order: m.order_minimum().into(),
            colors: m.colors(),
            lead_time_min_days: lead_min,
            lead_time_max_days: lead_max,
        }
    }
}

impl Catalog {
    pub fn current() -> Self {
        Catalog {
            items: MATERIALS.iter().map(CatalogItem::from).collect(),
            required_user_inputs: &REQUIRED_USER_INPUTS,
            supported_execution_modes: ExecutionMode::ALL.iter().map(|m| m.as_str()).collect(),
            currency: CURRENCY.code(),
        }
    }
}
