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
    let lan = farm_sim::config::lan_mode(|n| std::env::var(n).ok())?;
    if lan && std::env::args().nth(1).as_deref() == Some("--site-file") {
        let settings = farm_sim::lan::LanFarmSettings::from_env()?;
        println!("{}", settings.site_file());
        return Ok(());
    }
    if std::env::args().nth(1).as_deref() == Some("--gateway-printers") {
        let config = SimConfig::from_env().context("reading the simulator settings")?;
        println!("{}", farm_sim::Farm::new(config.farm).gateway_printers());
        return Ok(());
    }
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .init();
    if lan {
        return run_lan().await;
    }
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

/// LAN mode: every printer its own TLS broker and FTPS endpoint.
async fn run_lan() -> anyhow::Result<()> {
    let settings =
        farm_sim::lan::LanFarmSettings::from_env().context("reading the simulator settings")?;
    tracing::info!(printers = settings.printers, base_port = settings.base_port, speed = settings.speed,
        failures = ?settings.failures, "starting the simulated farm (LAN mode)");
    let mut running = Vec::new();
    for printer in settings.printers() {
        let (serial, mqtt, ftps, camera) = (
            printer.serial.clone(),
            printer.mqtt,
            printer.ftps,
            printer.camera,
        );
        running.push(
            farm_sim::lan::start(printer)
                .await
                .with_context(|| format!("starting {serial}"))?,
        );
        tracing::info!(%serial, %mqtt, %ftps, %camera,
            "printer up (MQTT over TLS, FTPS implicit TLS, camera stream over TLS)");
    }
    tokio::signal::ctrl_c().await?;
    tracing::info!("interrupted; stopping");
    Ok(())
}
