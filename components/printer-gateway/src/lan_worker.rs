//! The daemon's LAN mode: the site's printers from `FARM_LAN_PRINTERS_FILE`,
//! their pins from `FARM_PIN_FILE`, one [`Floor`], and what it reports
//! carried to the app side through [`FarmEvents`] (today: printer state into
//! the `printers` table through the store, as bridge mode does; dispatch
//! outcomes logged until the app link takes plates and outcomes).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::mpsc;

use crate::bambu::PrintStatus;
use crate::config::Config;
use crate::dispatch::{FarmEvent, FarmEvents, Floor};
use crate::lan;
use crate::pinning::PinStore;
use crate::roster::PrinterSpec;
use crate::store::Store;
use crate::worker::GatewayError;

/// Hands events to an async consumer (the seam's implementation for the daemon).
pub struct ChannelEvents(pub mpsc::UnboundedSender<FarmEvent>);

impl FarmEvents for ChannelEvents {
    fn record(&self, event: FarmEvent) {
        let _ = self.0.send(event);
    }
}

/// Errors starting LAN mode.
#[derive(Debug, thiserror::Error)]
pub enum LanError {
    #[error(transparent)]
    Site(#[from] lan::SiteError),
    #[error(transparent)]
    Pins(#[from] crate::pinning::PinError),
    #[error(transparent)]
    Gateway(#[from] GatewayError),
}

/// Runs LAN mode until the database connection is lost.
pub async fn run(config: &Config) -> Result<(), LanError> {
    let file = config.lan_printers_file.as_deref().unwrap_or_default();
    let printers = lan::load_site_printers(file)?;
    let pins = PinStore::open(&config.pin_file)?;
    let mut store = Store::connect(&config.database_url)
        .await
        .map_err(GatewayError::from)?;
    let specs: Vec<PrinterSpec> = printers
        .iter()
        .map(|p| PrinterSpec {
            serial: p.serial.clone(),
            model: p.model.clone(),
        })
        .collect();
    store
        .register_printers(&config.site, &specs)
        .await
        .map_err(GatewayError::from)?;
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
    while let Some(event) = events.recv().await {
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
                if let Err(error) = store
                    .apply_report(&config.site, &serial, &status, Utc::now())
                    .await
                {
                    if store.is_closed() {
                        return Err(GatewayError::from(error).into());
                    }
                    tracing::error!(%serial, error = ?anyhow::Error::from(error), "could not record a printer state");
                }
            }
            other => tracing::info!(event = ?other, "floor"),
        }
    }
    Ok(())
}
