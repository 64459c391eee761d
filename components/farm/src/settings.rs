//! The farm component's production settings (Spin variables, `spin.toml`).

use farm_platform::{ApiError, Ctx};

/// What `advance_order` reads from configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub public_base_url: String,
    /// The default share of on-site solar, 0 to 1 (`farm_solar_share`), for
    /// a site registered without its own (`farm_sites.solar_share`, set by
    /// `POST /internal/farm/sites`): the rest of each print's energy is
    /// counted as drawn from the grid.
    pub solar_share: f64,
    /// Simulated transit in seconds (`farm_transit_secs`); empty: the
    /// carrier's days (2 domestic, 5 abroad). Tests set a few seconds.
    pub transit_secs: Option<u64>,
    /// The simulated carrier's shipper account (6 of A–Z, 0–9).
    pub shipper_account: String,
    /// The farm's country (ISO 3166-1 alpha-2): parcels there are domestic.
    pub home_country: String,
}

impl Settings {
    pub fn from_ctx(ctx: &Ctx) -> Result<Self, ApiError> {
        let solar: f64 =
            ctx.var("farm_solar_share")?.trim().parse().map_err(|_| {
                ApiError::internal("farm_solar_share is not a number between 0 and 1")
            })?;
        let transit = ctx.var("farm_transit_secs")?;
        let transit_secs = match transit.trim() {
            "" => None,
            t => Some(
                t.parse()
                    .map_err(|_| ApiError::internal("farm_transit_secs is not whole seconds"))?,
            ),
        };
        Ok(Self {
            public_base_url: ctx.var("public_base_url")?,
            solar_share: solar.clamp(0.0, 1.0),
            transit_secs,
            shipper_account: ctx.var("farm_shipper_account")?,
            home_country: ctx.var("farm_home_country")?,
        })
    }
}
