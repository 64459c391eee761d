//! `farm-sim`: simulated Bambu printers on MQTT (see the library docs).
//! Settings come from FARM_MQTT_URL and FARM_SIM_* (see `SimConfig`).
//!
//! `farm-sim --gateway-printers` prints the farm's printers in the
//! printer-gateway's `FARM_PRINTERS` form and exits (scripts/run.sh
//! configures the gateway with it).

use anyhow::Context;
use farm_sim::SimConfig;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("--gateway-printers") {
        let config = SimConfig::from_env().context("reading the simulator settings")?;
        println!("{}", farm_sim::Farm::new(config.farm).gateway_printers());
        return Ok(());
    }
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .init();
    let config = SimConfig::from_env().context("reading the simulator settings")?;
    tracing::info!(?config, "starting the simulated farm");
    let farm = farm_sim::spawn(config);
    tracing::info!(serials = ?farm.serials, "printers");
    tokio::select! {
        outcome = farm.join() => outcome.context("the simulated farm stopped"),
        _ = tokio::signal::ctrl_c() => {
            tracing::info!("interrupted; stopping");
            Ok(())
        }
    }
}
