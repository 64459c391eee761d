//! `farm-sim`: simulated Bambu printers on MQTT (see the library docs).
//! Settings come from FARM_MQTT_URL and FARM_SIM_* (see `SimConfig`).

use anyhow::Context;
use farm_sim::SimConfig;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
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
