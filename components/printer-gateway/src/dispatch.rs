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

use crate::bambu::Request;
use crate::bambu_lan::{self, Tray};
use crate::lan::{LanPrinter, Link, LinkEvent, LinkHandle};
pub use crate::outcomes::{
    Attention, DispatchFailure, FarmEvent, FarmEvents, Plate, PlatePart, STATE_HEARTBEAT,
};
use crate::outcomes::{Job, Tracking, observe};
use crate::pinning::PinStore;
use crate::ticket::send;
pub use crate::ticket::{Ticket, shows_plate};

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

    /// True once the printer's certificate changed (it is not spoken to).
    /// Every printer's camera, and the pins its certificate is checked against.
    pub fn cameras(&self) -> (Vec<crate::camera::CameraTarget>, PinStore) {
        let targets = self
            .slots
            .values()
            .map(|slot| slot.config.camera_target())
            .collect();
        (targets, self.pins.clone())
    }

    pub fn alarmed(&self, serial: &str) -> bool {
        self.slots
            .get(serial)
            .is_some_and(|s| s.link.alarm().is_some())
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
            let outcome = match self.begin_dispatch(&serial, &plate.plate_id) {
                Ok(ticket) => ticket.run(&plate).await,
                Err(failure) => Err(failure),
            };
            match self.end_dispatch(&serial, &plate.plate_id, outcome) {
                Ok(()) => return Ok(serial),
                Err(failure) => {
                    tracing::warn!(%serial, plate = %plate.plate_id, %failure, "dispatch failed; trying the next printer");
                }
            }
        }
        Err(plate)
    }

    /// Takes `serial` for `plate_id`: from now on its reports are the
    /// plate's. The [`Ticket`] runs the dispatch without holding the floor
    /// (so every printer's reports keep flowing); [`Floor::end_dispatch`]
    /// hands its outcome back. Fails (nothing taken) when the printer is
    /// unknown, its certificate changed, or it already has a plate.
    pub fn begin_dispatch(
        &mut self,
        serial: &str,
        plate_id: &str,
    ) -> Result<Ticket, DispatchFailure> {
        let slot = self
            .slots
            .get_mut(serial)
            .ok_or(DispatchFailure::Send("unknown printer".into()))?;
        if slot.link.alarm().is_some() {
            return Err(DispatchFailure::CertificateChanged);
        }
        if slot.track.job.is_some() {
            return Err(DispatchFailure::Busy);
        }
        slot.track.job = Some(Job {
            plate_id: plate_id.to_owned(),
            ..Job::default()
        });
        Ok(Ticket {
            link: slot.link.handle(),
            config: slot.config.clone(),
            pins: self.pins.clone(),
            timeout: self.start_timeout,
        })
    }

    /// Records a dispatch's outcome: started (the plate's end will be
    /// reported), or failed (the printer is marked for attention and the
    /// failure reported through the seam). Returns the outcome.
    pub fn end_dispatch(
        &mut self,
        serial: &str,
        plate_id: &str,
        outcome: Result<(), DispatchFailure>,
    ) -> Result<(), DispatchFailure> {
        if let Some(slot) = self.slots.get_mut(serial) {
            let ours = slot
                .track
                .job
                .as_ref()
                .is_some_and(|j| j.plate_id == plate_id);
            match (&outcome, ours) {
                (Ok(()), true) => {
                    if let Some(job) = slot.track.job.as_mut() {
                        job.started = true;
                    }
                }
                (Err(_), true) => slot.track.job = None,
                _ => {}
            }
        }
        match &outcome {
            Ok(()) => self.sink.record(FarmEvent::DispatchStarted {
                plate_id: plate_id.to_owned(),
                serial: serial.to_owned(),
            }),
            Err(failure) => {
                self.sink.record(FarmEvent::DispatchFailed {
                    plate_id: plate_id.to_owned(),
                    serial: serial.to_owned(),
                    failure: failure.clone(),
                });
                self.mark(serial, Attention::Dispatch(failure.clone()));
            }
        }
        outcome
    }

    /// A restarted gateway takes back the plate `serial` is printing
    /// (`started`) or may be starting: its end is reported as if this
    /// process had dispatched it.
    pub fn adopt(&mut self, serial: &str, plate_id: &str, started: bool) {
        if let Some(slot) = self.slots.get_mut(serial) {
            slot.track.job = Some(Job {
                plate_id: plate_id.to_owned(),
                started,
                ..Job::default()
            });
        }
    }

    /// Forgets the plate `serial` was given (its outcome is known some other way).
    pub fn release(&mut self, serial: &str, plate_id: &str) {
        if let Some(slot) = self.slots.get_mut(serial)
            && slot
                .track
                .job
                .as_ref()
                .is_some_and(|j| j.plate_id == plate_id)
        {
            slot.track.job = None;
        }
    }

    /// The plate the floor follows on `serial`, if any.
    pub fn plate_on(&self, serial: &str) -> Option<&str> {
        Some(
            self.slots
                .get(serial)?
                .track
                .job
                .as_ref()?
                .plate_id
                .as_str(),
        )
    }

    /// Cancels the plate on `serial` (farm-initiated): `stop`; the outcome
    /// is recorded as cancelled when the printer reports FAILED. Returns
    /// the command to send without holding the floor.
    pub fn begin_cancel(&mut self, serial: &str) -> Result<LinkHandle, DispatchFailure> {
        let slot = self
            .slots
            .get_mut(serial)
            .ok_or(DispatchFailure::Send("unknown printer".into()))?;
        if let Some(job) = slot.track.job.as_mut() {
            job.cancel_requested = true;
        }
        Ok(slot.link.handle())
    }

    /// Cancels the plate on `serial` (see [`Floor::begin_cancel`]).
    pub async fn cancel(&mut self, serial: &str) -> Result<(), DispatchFailure> {
        let link = self.begin_cancel(serial)?;
        send(&link, &Request::Stop).await
    }

    /// Takes the link events out of the floor: the caller hands each to
    /// [`Floor::handle`] (the daemon shares the floor between tasks).
    pub fn detach_events(&mut self) -> mpsc::Receiver<(String, LinkEvent)> {
        std::mem::replace(&mut self.events, mpsc::channel(1).1)
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

    /// Applies one link event of `serial`: states become outcomes through the seam.
    pub fn handle(&mut self, serial: &str, event: LinkEvent) {
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
