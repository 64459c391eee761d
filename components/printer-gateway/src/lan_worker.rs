//! The daemon's LAN mode: the site's printers from `FARM_LAN_PRINTERS_FILE`,
//! their pins from `FARM_PIN_FILE`, one [`Floor`] shared by the report loop
//! and the production lanes ([`crate::production`]), and what the floor
//! reports carried on: printer states to the [`Recorder`] (spooled events
//! the sender takes to the app), print outcomes to the printer's lane, a
//! printer that needs a person as a `needs_attention` event.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::bambu::PrintStatus;
use crate::config::Config;
use crate::dispatch::{Attention, FarmEvent, FarmEvents, Floor};
use crate::lan;
use crate::link::{AppLink, FarmEvent as WireEvent, FarmEventKind};
use crate::pinning::PinStore;
use crate::production::{Production, SharedFloor, SharedRecorder, lock};
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

/// A site in LAN mode, started: its floor and recorder (shared), and the
/// loop that carries what the floor reports ([`Site::run`]).
pub struct Site {
    floor: SharedFloor,
    recorder: SharedRecorder,
    lanes: HashMap<String, mpsc::UnboundedSender<FarmEvent>>,
    links: mpsc::Receiver<(String, lan::LinkEvent)>,
    events: mpsc::UnboundedReceiver<FarmEvent>,
    offline_after: Duration,
}

impl Site {
    /// Connects to every printer of the site file and, unless the pull
    /// loop is off (`FARM_CLAIM_POLL_MS=0`), starts a production lane per
    /// printer that claims its work from `app`.
    pub fn start(config: &Config, recorder: Recorder, app: AppLink) -> Result<Self, LanError> {
        let file = config.lan_printers_file.as_deref().unwrap_or_default();
        let printers = lan::load_site_printers(file)?;
        let pins = PinStore::open(&config.pin_file)?;
        tracing::info!(printers = printers.len(), pins = %config.pin_file, "LAN mode: connecting to each printer");
        let (tx, events) = mpsc::unbounded_channel();
        let mut floor = Floor::start(
            &printers,
            &config.mqtt_client_id,
            pins,
            Arc::new(ChannelEvents(tx)),
            config.start_timeout,
        );
        let links = floor.detach_events();
        let floor = Arc::new(Mutex::new(floor));
        let recorder = Arc::new(Mutex::new(recorder));
        let production =
            Production::from_config(config, Arc::clone(&floor), Arc::clone(&recorder), app)
                .map_err(GatewayError::from)?;
        let lanes = match production {
            Some(production) => {
                let serials: Vec<(String, String)> = printers
                    .iter()
                    .map(|p| (p.serial.clone(), p.model.clone()))
                    .collect();
                tracing::info!(auto_clear = ?config.auto_clear, inspector = ?config.inspector,
                    "pull loop on: each free printer claims its plates from the app");
                production.start(&serials)
            }
            None => {
                tracing::warn!("pull loop off (FARM_CLAIM_POLL_MS=0): printers only report");
                HashMap::new()
            }
        };
        Ok(Self {
            floor,
            recorder,
            lanes,
            links,
            events,
            offline_after: config.offline_after,
        })
    }

    /// The floor (to cancel a plate: `production::cancel`).
    pub fn floor(&self) -> SharedFloor {
        Arc::clone(&self.floor)
    }

    /// Runs until the spool fails: link events into the floor, what the
    /// floor reports onwards, and printers silent for `offline_after`
    /// swept offline, as in bridge mode.
    pub async fn run(mut self) -> Result<(), LanError> {
        let period = (self.offline_after / 3).max(Duration::from_secs(1));
        let mut sweep = tokio::time::interval(period);
        loop {
            tokio::select! {
                link = self.links.recv() => {
                    let Some((serial, event)) = link else { return Ok(()) };
                    lock(&self.floor).handle(&serial, event);
                }
                event = self.events.recv() => {
                    let Some(event) = event else { return Ok(()) };
                    self.carry(event)?;
                }
                _ = sweep.tick() => {
                    let gone = lock(&self.recorder)
                        .sweep(self.offline_after, Utc::now())
                        .map_err(GatewayError::from)?;
                    if gone > 0 {
                        tracing::info!(gone, "printers went offline");
                    }
                }
            }
        }
    }

    fn carry(&mut self, event: FarmEvent) -> Result<(), LanError> {
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
                lock(&self.recorder)
                    .report(&serial, &status, Utc::now())
                    .map_err(GatewayError::from)?;
            }
            FarmEvent::PrintFinished { ref serial, .. }
            | FarmEvent::PrintFailed { ref serial, .. }
            | FarmEvent::PrintCancelled { ref serial, .. }
            | FarmEvent::AiDetected { ref serial, .. } => {
                tracing::info!(event = ?event, "print outcome");
                if let Some(lane) = self.lanes.get(serial) {
                    let _ = lane.send(event.clone());
                }
            }
            // Reported by the lane as dispatch_failed, which flags the printer.
            FarmEvent::NeedsAttention {
                attention: Attention::Dispatch(_),
                ..
            }
            | FarmEvent::DispatchStarted { .. }
            | FarmEvent::DispatchFailed { .. } => tracing::info!(event = ?event, "floor"),
            FarmEvent::NeedsAttention { serial, attention } => {
                tracing::warn!(%serial, ?attention, "printer needs attention");
                let reason = match attention {
                    Attention::PauseFault { print_error } => {
                        format!("paused on a fault (print_error {print_error:#010x})")
                    }
                    Attention::CertificateChanged { .. } => {
                        "its certificate changed; the gateway no longer talks to it".to_owned()
                    }
                    Attention::Dispatch(failure) => failure.to_string(),
                };
                let mut event = WireEvent::new(&serial, FarmEventKind::NeedsAttention, Utc::now());
                event.detail = Some(Map::from_iter([("reason".to_owned(), Value::from(reason))]));
                lock(&self.recorder)
                    .outcome(event)
                    .map_err(GatewayError::from)?;
            }
        }
        Ok(())
    }
}

/// Runs LAN mode until the spool fails (see [`Site`]).
pub async fn run(config: Config, recorder: Recorder, app: AppLink) -> Result<(), LanError> {
    Site::start(&config, recorder, app)?.run().await
}
