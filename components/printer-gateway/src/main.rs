//! `printer-gateway`: reads printer reports from MQTT into the farm database.
//! Configuration comes from the environment (see `Config`); RUST_LOG=debug|info|warn.

use anyhow::Context;
use printer_gateway::config::PrinterLink;
use printer_gateway::{Config, Gateway, GatewayError, OfflineSweeper, Ticker, lan_worker};
use tokio::task::JoinError;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let level = std::env::var("RUST_LOG")
        .ok()
        .and_then(|l| l.parse().ok())
        .unwrap_or(tracing::Level::INFO);
    tracing_subscriber::fmt().with_max_level(level).init();

    let config = Config::from_env().context("reading the gateway configuration")?;
    tracing::info!(?config, "starting printer-gateway");
    if config.printer_link == PrinterLink::Lan {
        return run_lan(config).await;
    }
    let gateway = Gateway::connect(&config)
        .await
        .context("starting the report worker")?;
    let sweeper = OfflineSweeper::connect(&config)
        .await
        .context("starting the offline sweeper")?;

    match Ticker::from_config(&config) {
        // The ticker never stops by itself; it ends with the process.
        Some(ticker) => drop(tokio::spawn(ticker.run())),
        None => tracing::warn!(
            "no tick route calls (FARM_INTERNAL_TOKEN unset or FARM_TICK_EVERY_MS=0): \
             background work runs only when something else calls /internal/tick"
        ),
    }

    let reports = tokio::spawn(gateway.run());
    let sweeps = tokio::spawn(sweeper.run());
    tokio::select! {
        outcome = reports => report_exit("report worker", outcome),
        outcome = sweeps => report_exit("offline sweeper", outcome),
        _ = tokio::signal::ctrl_c() => {
            tracing::info!("interrupted; stopping");
            Ok(())
        }
    }
}

/// LAN mode: one pinned TLS link per printer (lan_worker), plus the same
/// offline sweep and tick route calls as bridge mode.
async fn run_lan(config: Config) -> anyhow::Result<()> {
    let sweeper = OfflineSweeper::connect(&config)
        .await
        .context("starting the offline sweeper")?;
    if let Some(ticker) = Ticker::from_config(&config) {
        drop(tokio::spawn(ticker.run()));
    }
    let sweeps = tokio::spawn(sweeper.run());
    tokio::select! {
        outcome = lan_worker::run(&config) => match outcome {
            Ok(()) => anyhow::bail!("the LAN floor stopped"),
            Err(error) => Err(anyhow::Error::from(error).context("LAN mode failed")),
        },
        outcome = sweeps => report_exit("offline sweeper", outcome),
        _ = tokio::signal::ctrl_c() => {
            tracing::info!("interrupted; stopping");
            Ok(())
        }
    }
}

/// Says how a task ended; any end but Ctrl-C is an error, so a supervisor restarts us.
fn report_exit(
    task: &str,
    outcome: Result<Result<(), GatewayError>, JoinError>,
) -> anyhow::Result<()> {
    match outcome {
        Ok(Ok(())) => anyhow::bail!("{task} stopped"),
        Ok(Err(error)) => Err(anyhow::Error::from(error).context(format!("{task} failed"))),
        Err(error) => Err(anyhow::Error::from(error).context(format!("{task} panicked"))),
    }
}
