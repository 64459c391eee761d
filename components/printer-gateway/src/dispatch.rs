//! The farm floor in LAN mode: the site's printers (one [`Link`] each), the
//! plate each is printing, and the rules that turn printer reports into
//! outcomes. A plate is dispatched by uploading its `.gcode.3mf` over FTPS,
//! sending `project_file` and waiting for the acknowledgement (same
//! `sequence_id`, `result` compared case-insensitively) and for the printer
//! to start (PREPARE or RUNNING). A refusal, a busy printer or no start
//! within `start_timeout` is a dispatch failure: the printer is marked for
//! attention and the plate goes to the next printer (or back to the caller's
//! queue); it is not a print failure.
//!
//! Everything the floor learns leaves through one seam, [`FarmEvents`]
//! (the app link records it; tests collect it).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::bambu::{GcodeState, ProjectFile, Request};
use crate::bambu_lan::{self, ERROR_BUSY, Tray};
use crate::ftps;
use crate::lan::{LanPrinter, Link, LinkEvent};
pub use crate::outcomes::{
    Attention, DispatchFailure, FarmEvent, FarmEvents, Plate, PlatePart, STATE_HEARTBEAT,
};
use crate::outcomes::{Job, Tracking, observe};
use crate::pinning::{Alarm, PinStore};

/// The default wait for a dispatched printer to start (PREPARE/RUNNING).
pub const START_TIMEOUT: Duration = Duration::from_secs(120);

struct Slot {
    config: LanPrinter,
    link: Link,
    attention: Option<Attention>,
    track: Tracking,
}

/// The site's printers in LAN mode.
pub struct Floor {
    slots: BTreeMap<String, Slot>,
    pins: PinStore,
    events: mpsc::Receiver<(String, LinkEvent)>,
    sink: Arc<dyn FarmEvents>,
    start_timeout: Duration,
}

impl Floor {
    /// Connects to every printer (each link runs on its own task).
    pub fn start(
        printers: &[LanPrinter],
        client_id: &str,
        pins: PinStore,
        sink: Arc<dyn FarmEvents>,
        start_timeout: Duration,
    ) -> Self {
        let (tx, events) = mpsc::channel(1024);
        let slots = printers
            .iter()
            .map(|p| {
                let link = Link::start(
                    p,
                    &format!("{client_id}-{}", p.serial),
                    pins.clone(),
                    tx.clone(),
                );
                let slot = Slot {
                    config: p.clone(),
                    link,
                    attention: None,
                    track: Tracking::default(),
                };
                (p.serial.clone(), slot)
            })
            .collect();
        Self {
            slots,
            pins,
            events,
            sink,
            start_timeout,
        }
    }

    /// The printer's merged state (empty until its first report).
    pub fn state(&self, serial: &str) -> Option<Arc<Value>> {
        self.slots.get(serial).map(|s| s.link.state())
    }

    /// What is loaded on the printer: the trays its reports name (AMS, or
    /// the external spool), or, until it reports any, the filament of the
    /// site configuration (as the external spool, slot 254).
    pub fn loaded(&self, serial: &str) -> Vec<Tray> {
        let Some(slot) = self.slots.get(serial) else {
            return Vec::new();
        };
        let (reported, _) = bambu_lan::trays_of(&slot.link.state());
        if !reported.is_empty() {
            return reported;
        }
        slot.config
            .filament
            .iter()
            .map(|f| Tray {
                slot: 254,
                material: f.material.clone(),
                color: f.color.clone(),
            })
            .collect()
    }

    /// Why the printer needs attention, if it does.
    pub fn attention(&self, serial: &str) -> Option<&Attention> {
        self.slots.get(serial)?.attention.as_ref()
    }

    /// An operator dealt with the printer: it takes work again.
    pub fn clear_attention(&mut self, serial: &str) {
        if let Some(slot) = self.slots.get_mut(serial) {
            slot.attention = None;
        }
    }

    /// Handles the link events that arrive within `wait`.
    pub async fn pump(&mut self, wait: Duration) {
        let deadline = Instant::now() + wait;
        while let Ok(Some((serial, event))) =
            tokio::time::timeout_at(deadline, self.events.recv()).await
        {
            self.handle(&serial, event);
        }
    }

    /// Handles link events for ever (the daemon's loop).
    pub async fn run(mut self) {
        while let Some((serial, event)) = self.events.recv().await {
            self.handle(&serial, event);
        }
    }

    /// Dispatches `plate` to the first free printer that starts it; each
    /// printer that fails is marked for attention and the next one is tried.
    /// `Err(plate)` when none started it: it goes back to the queue.
    pub async fn dispatch(&mut self, plate: Plate) -> Result<String, Plate> {
        self.pump(Duration::from_millis(10)).await;
        let candidates: Vec<String> = self
            .slots
            .iter()
            .filter(|(_, s)| {
                s.attention.is_none() && s.track.job.is_none() && s.link.alarm().is_none()
            })
            .map(|(serial, _)| serial.clone())
            .collect();
        for serial in candidates {
            match self.dispatch_to(&serial, &plate).await {
                Ok(()) => {
                    self.sink.record(FarmEvent::DispatchStarted {
                        plate_id: plate.plate_id.clone(),
                        serial: serial.clone(),
                    });
                    return Ok(serial);
                }
                Err(failure) => {
                    tracing::warn!(%serial, plate = %plate.plate_id, %failure, "dispatch failed; trying the next printer");
                    self.sink.record(FarmEvent::DispatchFailed {
                        plate_id: plate.plate_id.clone(),
                        serial: serial.clone(),
                        failure: failure.clone(),
                    });
                    self.mark(&serial, Attention::Dispatch(failure));
                }
            }
        }
        Err(plate)
    }

    /// Cancels the plate on `serial` (farm-initiated): `stop`; the outcome
    /// is recorded as cancelled when the printer reports FAILED.
    pub async fn cancel(&mut self, serial: &str) -> Result<(), DispatchFailure> {
        let slot = self
            .slots
            .get_mut(serial)
            .ok_or(DispatchFailure::Send("unknown printer".into()))?;
        if let Some(job) = slot.track.job.as_mut() {
            job.cancel_requested = true;
        }
        send(&slot.link, &Request::Stop).await
    }

    fn mark(&mut self, serial: &str, attention: Attention) {
        if let Some(slot) = self.slots.get_mut(serial) {
            slot.attention = Some(attention.clone());
        }
        self.sink.record(FarmEvent::NeedsAttention {
            serial: serial.to_owned(),
            attention,
        });
    }

    async fn dispatch_to(&mut self, serial: &str, plate: &Plate) -> Result<(), DispatchFailure> {
        let timeout = self.start_timeout;
        let slot = self.slots.get_mut(serial).expect("a candidate's slot");
        if slot.link.alarm().is_some() {
            return Err(DispatchFailure::CertificateChanged);
        }
        let mut watch = slot.link.watch_state();
        let state_now = |v: &Value| bambu_lan::status_of(v).gcode_state;
        match state_now(&slot.link.state()) {
            Some(
                GcodeState::Prepare | GcodeState::Running | GcodeState::Pause | GcodeState::Slicing,
            ) => {
                return Err(DispatchFailure::Busy);
            }
            Some(GcodeState::Failed) => {
                // FAILED stays until a stop; clear it before the next job.
                send(&slot.link, &Request::Stop).await?;
                let cleared = wait_for(&mut watch, timeout, |s| {
                    state_now(s) != Some(GcodeState::Failed)
                })
                .await;
                if !cleared {
                    return Err(DispatchFailure::StopIgnored);
                }
            }
            _ => {}
        }
        let alarm = Alarm::default();
        ftps::upload(
            &slot.config,
            &self.pins,
            &alarm,
            &plate.file_name(),
            &plate.project,
        )
        .await
        .map_err(|e| match alarm.raised() {
            Some(_) => DispatchFailure::CertificateChanged,
            None => DispatchFailure::Upload(e.to_string()),
        })?;

        let mut acks = slot.link.subscribe_acks();
        let sequence = slot.link.next_sequence();
        let request = Request::ProjectFile(ProjectFile {
            url: format!("file:///sdcard/{}", plate.file_name()),
            plate: "Metadata/plate_1.gcode".to_owned(),
            subtask_name: plate.plate_id.clone(),
        });
        slot.track.job = Some(Job {
            plate_id: plate.plate_id.clone(),
            started: false,
            cancel_requested: false,
        });
        watch.borrow_and_update();
        if let Err(e) = slot.link.send(request.to_json(sequence)).await {
            slot.track.job = None;
            return Err(DispatchFailure::Send(e.to_string()));
        }
        let deadline = Instant::now() + timeout;
        let outcome = loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => break Err(DispatchFailure::NoStart(timeout)),
                ack = acks.recv() => match ack {
                    Ok(ack) if ack.sequence_id == sequence.to_string() => {
                        if ack.error_code == Some(ERROR_BUSY) {
                            break Err(DispatchFailure::Busy);
                        }
                        if !ack.success {
                            break Err(DispatchFailure::Refused { reason: ack.reason });
                        }
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => break Err(DispatchFailure::Send("link closed".into())),
                },
                changed = watch.changed() => {
                    if changed.is_err() {
                        break Err(DispatchFailure::Send("link closed".into()));
                    }
                    let started = matches!(state_now(&watch.borrow_and_update()), Some(GcodeState::Prepare | GcodeState::Running));
                    if started {
                        break Ok(());
                    }
                }
            }
        };
        match &outcome {
            Ok(()) => {
                if let Some(job) = slot.track.job.as_mut() {
                    job.started = true;
                }
            }
            Err(_) => slot.track.job = None,
        }
        outcome
    }

    fn handle(&mut self, serial: &str, event: LinkEvent) {
        let Some(slot) = self.slots.get_mut(serial) else {
            return;
        };
        match event {
            LinkEvent::Connected => {
                tracing::info!(%serial, "printer connected (TLS, pinned); pushall sent")
            }
            LinkEvent::Disconnected { reason, retry_in } => {
                tracing::warn!(%serial, %reason, ?retry_in, "printer unreachable; retrying")
            }
            LinkEvent::Ack(_) => {}
            LinkEvent::CertificateChanged(changed) => {
                let attention = Attention::CertificateChanged {
                    pinned: changed.pinned,
                    presented: changed.presented,
                };
                self.mark(serial, attention);
            }
            LinkEvent::State(state) => {
                let outcomes = observe(&mut slot.track, serial, &state);
                for event in outcomes {
                    if let FarmEvent::NeedsAttention { attention, .. } = &event {
                        slot.attention = Some(attention.clone());
                    }
                    self.sink.record(event);
                }
            }
        }
    }
}

async fn send(link: &Link, request: &Request) -> Result<(), DispatchFailure> {
    link.send(request.to_json(link.next_sequence()))
        .await
        .map_err(|e| DispatchFailure::Send(e.to_string()))
}

/// Waits until `ready` holds for the watched state, at most `limit`.
async fn wait_for(
    watch: &mut tokio::sync::watch::Receiver<Arc<Value>>,
    limit: Duration,
    ready: impl Fn(&Value) -> bool,
) -> bool {
    tokio::time::timeout(limit, watch.wait_for(|s| ready(s)))
        .await
        .is_ok_and(|r| r.is_ok())
}
