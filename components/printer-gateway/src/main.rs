//! `printer-gateway`: turns printer reports into events, spools them durably
//! and sends them to the app over HTTPS with the site's token. Printers are
//! reached through one shared broker (bridge mode) or each over its own
//! pinned TLS link (LAN mode, `FARM_PRINTER_LINK=lan`).
//! Configuration comes from the environment (see `Config`); RUST_LOG=debug|info|warn.

use anyhow::Context;
use printer_gateway::config::PrinterLink;
use printer_gateway::link::AppLink;
use printer_gateway::{Config, Gateway, Recorder, Sender, Spool, Ticker, lan_worker};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let level = std::env::var("RUST_LOG")
        .ok()
        .and_then(|l| l.parse().ok())
        .unwrap_or(tracing::Level::INFO);
    // Colours only on a terminal: a log file or a pipe gets plain text.
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();

    let config = Config::from_env().context("reading the gateway configuration")?;
    tracing::info!(?config, "starting printer-gateway");
    let token = config
        .site_token
        .clone()
        .context("FARM_SITE_TOKEN is not set (scripts/site-token.sh <site> creates one)")?;
    let spool = Spool::open(&config.spool_path)
        .with_context(|| format!("opening the spool {}", config.spool_path.display()))?;
    let waiting = spool.len().context("reading the spool")?;
    if waiting > 0 {
        tracing::info!(waiting, "events from before the restart wait in the spool");
    }
    let recorder = Recorder::new(spool.clone()).context("reading printer states from the spool")?;
    let lan = config.printer_link == PrinterLink::Lan;
    let roster = if lan {
        lan_worker::site_roster(&config).context("reading the LAN printers file")?
    } else {
        config.printers.clone()
    };
    let app = AppLink::new(&config.app_url, token);
    let sender = Sender::new(
        spool,
        app.clone(),
        roster,
        config.event_batch,
        recorder.notifier(),
    );

    match Ticker::from_config(&config) {
        // The ticker never stops by itself; it ends with the process.
        Some(ticker) => drop(tokio::spawn(ticker.run())),
        None => tracing::warn!(
            "no tick route calls (FARM_INTERNAL_TOKEN unset or FARM_TICK_EVERY_MS=0): \
             background work runs only when something else calls /internal/tick"
        ),
    }

    // Any end but Ctrl-C is an error, so a supervisor restarts us.
    let reports = if lan {
        tokio::spawn(async move {
            lan_worker::run(config, recorder, app)
                .await
                .map_err(anyhow::Error::from)
        })
    } else {
        let gateway = Gateway::connect(&config, recorder);
        tokio::spawn(async move { gateway.run().await.map_err(anyhow::Error::from) })
    };
    let sends = tokio::spawn(sender.run());
    tokio::select! {
        outcome = reports => {
            outcome.context("report worker panicked")?.context("report worker failed")?;
            anyhow::bail!("report worker stopped")
        }
        outcome = sends => {
            outcome.context("sender panicked")?.context("sender failed")?;
            anyhow::bail!("sender stopped")
        }
        _ = tokio::signal::ctrl_c() => {
            tracing::info!("interrupted; stopping");
            Ok(())
        }
    }
}
