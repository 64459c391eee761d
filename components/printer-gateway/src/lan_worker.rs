//! The daemon's LAN mode: the site's printers from `FARM_LAN_PRINTERS_FILE`,
//! their pins from `FARM_PIN_FILE`, one [`Floor`], and what it reports
//! carried to the app side through the [`Recorder`] (the same seam bridge
//! mode uses): printer states become spooled events the sender takes to the
//! app. Dispatch outcomes are logged until the app hands plates to the floor
//! (the production issue's scheduler).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::mpsc;

use crate::bambu::PrintStatus;
use crate::config::Config;
use crate::dispatch::{FarmEvent, FarmEvents, Floor};
use crate::lan;
use crate::pinning::PinStore;
use crate::recorder::Recorder;
use crate::roster::PrinterSpec;
use crate::worker::GatewayError;

/// Hands events to an async consumer (the seam's implementation for the daemon).
pub struct ChannelEvents(pub mpsc::UnboundedSender<FarmEvent>);

impl FarmEvents for ChannelEvents {
    fn record(&self, event: FarmEvent) {
        let _ = self.0.send(event);
    }
}

/// Errors starting or running LAN mode.
#[derive(Debug, thiserror::Error)]
pub enum LanError {
    #[error(transparent)]
    Site(#[from] lan::SiteError),
    #[error(transparent)]
    Pins(#[from] crate::pinning::PinError),
    #[error(transparent)]
    Gateway(#[from] GatewayError),
}

/// The site's LAN printers as the roster the app registers (serial and model).
pub fn site_roster(config: &Config) -> Result<Vec<PrinterSpec>, LanError> {
    let file = config.lan_printers_file.as_deref().unwrap_or_default();
    Ok(lan::load_site_printers(file)?
        .iter()
        .map(|p| PrinterSpec {
            serial: p.serial.clone(),
            model: p.model.clone(),
        })
        .collect())
}

/// Runs LAN mode until the spool fails: every printer state the floor
/// reports goes to `recorder`, and printers silent for `offline_after` are
/// swept offline, as in bridge mode.
pub async fn run(config: Config, mut recorder: Recorder) -> Result<(), LanError> {
    let file = config.lan_printers_file.as_deref().unwrap_or_default();
    let printers = lan::load_site_printers(file)?;
    let pins = PinStore::open(&config.pin_file)?;
    tracing::info!(printers = printers.len(), pins = %config.pin_file, "LAN mode: connecting to each printer");
    let (tx, mut events) = mpsc::unbounded_channel();
    let mut floor = Floor::start(
        &printers,
        &config.mqtt_client_id,
        pins,
        Arc::new(ChannelEvents(tx)),
        config.start_timeout,
    );
    tokio::spawn(async move {
        loop {
            floor.pump(Duration::from_secs(1)).await;
        }
    });
    let period = (config.offline_after / 3).max(Duration::from_secs(1));
    let mut sweep = tokio::time::interval(period);
    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { return Ok(()) };
                match event {
                    FarmEvent::PrinterState {
                        serial,
                        gcode_state,
                        progress,
                        remaining_minutes,
                        layer_num,
                        ..
                    } => {
                        let status = PrintStatus {
                            gcode_state,
                            percent: Some(progress),
                            remaining_minutes,
                            layer_num,
                            ..PrintStatus::default()
                        };
                        recorder
                            .report(&serial, &status, Utc::now())
                            .map_err(GatewayError::from)?;
                    }
                    other => tracing::info!(event = ?other, "floor"),
                }
            }
            _ = sweep.tick() => {
                let gone = recorder
                    .sweep(config.offline_after, Utc::now())
                    .map_err(GatewayError::from)?;
                if gone > 0 {
                    tracing::info!(gone, "printers went offline");
                }
            }
        }
    }
}
