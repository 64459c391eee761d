//! The material catalog and every pricing constant, in one place.
//!
//! Prices (seed 000: "$0.02 per gram of PLA, $3 minimum"); the other four are
//! our choice, ordered by what the filament costs and how hard it prints:
//!
//! | material | per gram | lead time |
//! |----------|----------|-----------|
//! | PLA      | 2¢       | 2–4 days  |
//! | PETG     | 3¢       | 2–4 days  |
//! | ABS      | 3¢       | 3–5 days  |
//! | ASA      | 4¢       | 3–5 days  |
//! | TPU      | 5¢       | 4–7 days  |
//!
//! Every order costs at least [`ORDER_MINIMUM`] ($3.00). Physical properties
//! (density, walls, infill) come from `mesh_engine::material`, never copied.

use crate::error::Error;
use crate::money::{Currency, Money};
use mesh_engine::material::{self, MaterialProfile};

/// The currency every price is in.
pub const CURRENCY: Currency = Currency::Usd;

/// Minimum charge per order (seed 000: "$3 minimum").
pub const ORDER_MINIMUM: Money = Money::usd_cents(300);

/// The printing process of every material we offer.
pub const PROCESS_FDM: &str = "FDM";

/// What an agent must know before it can quote and order (seed 001).
pub const REQUIRED_USER_INPUTS: [&str; 4] = [
    "material_id",
    "quantity",
    "ship_country",
    "shipping_address_json",
];

/// How an order can be driven (seed 001).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionMode {
    /// The agent runs the flow; a person approves payment.
    AgentAssisted,
    /// The agent pays too, within the account's autopay limits.
    AgentAutonomous,
    /// A person does everything.
    HumanManual,
}

impl ExecutionMode {
    pub const ALL: [ExecutionMode; 3] = [
        ExecutionMode::AgentAssisted,
        ExecutionMode::AgentAutonomous,
        ExecutionMode::HumanManual,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionMode::AgentAssisted => "agent_assisted",
            ExecutionMode::AgentAutonomous => "agent_autonomous",
            ExecutionMode::HumanManual => "human_manual",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// One material the farm sells.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Material {
    id: &'static str,
    price_per_gram_cents: i64,
    colors: &'static [&'static str],
    lead_time_days: (u32, u32),
}

/// The catalog, in display order. Ids match `mesh_engine::material::ALL`.
pub const MATERIALS: [Material; 5] = [
    Material {
        id: "pla",
        price_per_gram_cents: 2,
        colors: &[
            "black", "white", "grey", "red", "blue", "green", "yellow", "orange",
        ],
        lead_time_days: (2, 4),
    },
    Material {
        id: "petg",
        price_per_gram_cents: 3,
        colors: &["black", "white", "grey", "blue", "clear"],
        lead_time_days: (2, 4),
    },
    Material {
        id: "abs",
        price_per_gram_cents: 3,
        colors: &["black", "white", "grey", "red"],
        lead_time_days: (3, 5),
    },
    Material {
        id: "asa",
        price_per_gram_cents: 4,
        colors: &["black", "white", "grey"],
        lead_time_days: (3, 5),
    },
    Material {
        id: "tpu",
        price_per_gram_cents: 5,
        colors: &["black", "white", "red"],
        lead_time_days: (4, 7),
    },
];

impl Material {
    /// Looks a material up by id, ignoring ASCII case and surrounding space
    /// (`"PETG"` as in seed 000 finds `petg`).
    pub fn parse(id: &str) -> Result<&'static Material, Error> {
        let wanted = id.trim();
        MATERIALS
            .iter()
            .find(|m| m.id.eq_ignore_ascii_case(wanted))
            .ok_or_else(|| Error::UnknownMaterial { id: id.to_string() })
    }

    pub fn id(&self) -> &'static str {
        self.id
    }

    /// The physical profile owned by the mesh engine.
    pub fn profile(&self) -> &'static MaterialProfile {
        // Every catalog id is in the mesh engine's table; a unit test checks it.
        material::profile(self.id).unwrap_or(&material::ALL[0])
    }

    /// Name a person reads (`PLA`, `TPU 95A`).
    pub fn name(&self) -> &'static str {
        self.profile().name
    }

    pub fn process(&self) -> &'static str {
        PROCESS_FDM
    }

    pub fn density_g_cm3(&self) -> f64 {
        self.profile().density_g_cm3
    }

    pub fn price_per_gram(&self) -> Money {
        Money::new(self.price_per_gram_cents, CURRENCY)
    }

    pub fn order_minimum(&self) -> Money {
        ORDER_MINIMUM
    }

    pub fn colors(&self) -> &'static [&'static str] {
        self.colors
    }

    /// Validates a colour for this material (case-insensitive).
    pub fn color(&self, color: &str) -> Result<&'static str, Error> {
        let wanted = color.trim();
        self.colors
            .iter()
            .copied()
            .find(|c| c.eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                Error::invalid(
                    "color",
                    format!("{} comes in: {}", self.name(), self.colors.join(", ")),
                )
            })
    }

    /// Base lead time range in days (before farm load is considered).
    pub fn lead_time_days(&self) -> (u32, u32) {
        self.lead_time_days
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pla_costs_two_cents_a_gram_with_a_three_dollar_minimum() {
        let pla = Material::parse("pla").expect("pla");
        assert_eq!(pla.price_per_gram(), Money::usd_cents(2));
        assert_eq!(pla.order_minimum().minor(), 300);
        assert_eq!(pla.order_minimum().display(), "$3.00");
    }

    #[test]
    fn catalog_has_the_five_fdm_materials_of_the_mesh_engine() {
        let ids: Vec<_> = MATERIALS.iter().map(|m| m.id()).collect();
        assert_eq!(ids, ["pla", "petg", "abs", "asa", "tpu"]);
        for m in &MATERIALS {
            let profile =
                material::profile(m.id()).expect("every catalog id has a physical profile");
            assert_eq!(m.density_g_cm3(), profile.density_g_cm3);
            assert_eq!(m.process(), "FDM");
            assert!(m.price_per_gram().minor() > 0);
            assert!(!m.colors().is_empty());
            let (lo, hi) = m.lead_time_days();
            assert!(lo >= 1 && lo <= hi, "{}", m.id());
        }
    }

    #[test]
    fn lookup_ignores_case_and_unknown_ids_are_errors() {
        assert_eq!(Material::parse(" PETG ").map(|m| m.id()), Ok("petg"));
        assert_eq!(
            Material::parse("resin"),
            Err(Error::UnknownMaterial { id: "resin".into() })
        );
    }

    #[test]
    fn colours_are_checked_per_material() {
        let petg = Material::parse("petg").expect("petg");
        assert_eq!(petg.color("Clear"), Ok("clear"));
        assert!(Material::parse("pla").expect("pla").color("clear").is_err());
    }

    #[test]
    fn execution_modes_round_trip() {
        for m in ExecutionMode::ALL {
            assert_eq!(ExecutionMode::parse(m.as_str()), Some(m));
        }
        assert_eq!(ExecutionMode::parse("yolo"), None);
    }
}
