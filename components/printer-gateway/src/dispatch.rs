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
use crate::bambu_lan::{self, ERROR_BUSY, ErrorClass, Tray, classify_error};
use crate::fleet::{PrinterStatus, status_for};
use crate::ftps;
use crate::lan::{LanPrinter, Link, LinkEvent};
use crate::pinning::{Alarm, PinStore};

/// The default wait for a dispatched printer to start (PREPARE/RUNNING).
pub const START_TIMEOUT: Duration = Duration::from_secs(120);

/// How often an unchanged printer's state is restated ([`FarmEvent::PrinterState`]).
pub const STATE_HEARTBEAT: Duration = Duration::from_secs(10);

/// One part on a plate: what the app ordered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatePart {
    pub part_id: String,
    /// Where the part's mesh is (object key), for the record.
    pub mesh: Option<String>,
}

/// A plate to print: its parts and the sliced project (`.gcode.3mf`
/// bytes with `Metadata/plate_1.gcode`).
#[derive(Debug, Clone)]
pub struct Plate {
    pub plate_id: String,
    pub parts: Vec<PlatePart>,
    pub project: Arc<Vec<u8>>,
}

impl Plate {
    /// The file name on the printer's SD card.
    pub fn file_name(&self) -> String {
        format!("{}.gcode.3mf", self.plate_id)
    }
}

/// Why a dispatch failed (the plate was not started; it goes elsewhere).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DispatchFailure {
    #[error("the printer refused project_file: {reason}")]
    Refused { reason: String },
    #[error("the printer is busy (0x05004004)")]
    Busy,
    #[error("the printer did not start within {0:?}")]
    NoStart(Duration),
    #[error("the upload failed: {0}")]
    Upload(String),
    #[error("the printer's certificate changed; it is not spoken to")]
    CertificateChanged,
    #[error("the printer stayed FAILED after stop")]
    StopIgnored,
    #[error("could not send the command: {0}")]
    Send(String),
}

/// Why a printer needs someone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attention {
    Dispatch(DispatchFailure),
    /// A pause-class fault (0x0300_8xxx): paused until resume or stop.
    PauseFault {
        print_error: u32,
    },
    CertificateChanged {
        pinned: String,
        presented: String,
    },
}

/// What the floor reports. Each names the printer; job outcomes name the plate.
#[derive(Debug, Clone, PartialEq)]
pub enum FarmEvent {
    /// The printer's state changed (protocol state, or progress by 10 %),
    /// or [`STATE_HEARTBEAT`] passed since it was last stated.
    PrinterState {
        serial: String,
        status: PrinterStatus,
        gcode_state: Option<GcodeState>,
        progress: u8,
        remaining_minutes: Option<u32>,
        layer_num: Option<u32>,
        trays: Vec<Tray>,
    },
    DispatchStarted {
        plate_id: String,
        serial: String,
    },
    /// Not a print failure: the plate goes to another printer.
    DispatchFailed {
        plate_id: String,
        serial: String,
        failure: DispatchFailure,
    },
    PrintFinished {
        plate_id: String,
        serial: String,
    },
    /// A stop-class fault (or an unexplained FAILED).
    PrintFailed {
        plate_id: String,
        serial: String,
        print_error: u32,
    },
    /// Cancelled: by the farm (`by_farm`), or at the printer (cancel code).
    /// Never a failure, never re-printed automatically.
    PrintCancelled {
        plate_id: String,
        serial: String,
        by_farm: bool,
    },
    NeedsAttention {
        serial: String,
        attention: Attention,
    },
}

/// The one seam to the rest of the gateway.
pub trait FarmEvents: Send + Sync {
    fn record(&self, event: FarmEvent);
}

struct Job {
    plate_id: String,
    started: bool,
    cancel_requested: bool,
}

struct Slot {
    config: LanPrinter,
    link: Link,
    attention: Option<Attention>,
    job: Option<Job>,
    last: Option<(Option<GcodeState>, u8)>,
    last_sent: Option<Instant>,
    paused_fault: bool,
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
                    job: None,
                    last: None,
                    last_sent: None,
                    paused_fault: false,
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
            .filter(|(_, s)| s.attention.is_none() && s.job.is_none() && s.link.alarm().is_none())
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
        if let Some(job) = slot.job.as_mut() {
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
        slot.job = Some(Job {
            plate_id: plate.plate_id.clone(),
            started: false,
            cancel_requested: false,
        });
        watch.borrow_and_update();
        if let Err(e) = slot.link.send(request.to_json(sequence)).await {
            slot.job = None;
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
                if let Some(job) = slot.job.as_mut() {
                    job.started = true;
                }
            }
            Err(_) => slot.job = None,
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
                let outcomes = observe(slot, &state);
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

/// What one merged state means, given what the slot knew before.
fn observe(slot: &mut Slot, state: &Value) -> Vec<FarmEvent> {
    let serial = slot.config.serial.clone();
    let status = bambu_lan::status_of(state);
    let mut out = Vec::new();
    // An empty gcode_state (power-on) says nothing: keep what we knew.
    let Some(gcode_state) = status.gcode_state else {
        return out;
    };
    let progress = status.percent.unwrap_or(0);
    let changed = match slot.last {
        None => true,
        Some((last_state, last_progress)) => {
            last_state != Some(gcode_state) || last_progress / 10 != progress / 10
        }
    };
    // An unchanged printer is still restated now and then, so the app
    // knows it is alive (its offline sweep counts silence).
    let due = slot
        .last_sent
        .is_none_or(|t| t.elapsed() >= STATE_HEARTBEAT);
    let changed = changed || due;
    let entered = slot.last.map(|(s, _)| s) != Some(Some(gcode_state));
    slot.last = Some((Some(gcode_state), progress));
    if changed {
        slot.last_sent = Some(Instant::now());
        let (trays, _) = bambu_lan::trays_of(state);
        out.push(FarmEvent::PrinterState {
            serial: serial.clone(),
            status: status_for(gcode_state),
            gcode_state: Some(gcode_state),
            progress,
            remaining_minutes: status.remaining_minutes,
            layer_num: status.layer_num,
            trays,
        });
    }
    let error = status.print_error.unwrap_or(0);
    if gcode_state != GcodeState::Pause {
        slot.paused_fault = false;
    }
    let Some(job) = slot.job.as_mut() else {
        return out;
    };
    match gcode_state {
        GcodeState::Prepare | GcodeState::Running | GcodeState::Slicing => job.started = true,
        // Reported once per pause, however many reports repeat it.
        GcodeState::Pause
            if error != 0
                && classify_error(error) == ErrorClass::PauseFault
                && !slot.paused_fault =>
        {
            slot.paused_fault = true;
            out.push(FarmEvent::NeedsAttention {
                serial: serial.clone(),
                attention: Attention::PauseFault { print_error: error },
            });
        }
        GcodeState::Finish if job.started && entered => {
            out.push(FarmEvent::PrintFinished {
                plate_id: job.plate_id.clone(),
                serial,
            });
            slot.job = None;
        }
        GcodeState::Failed if job.started && entered => {
            let cancelled = error != 0 && classify_error(error) == ErrorClass::Cancelled;
            let plate_id = job.plate_id.clone();
            out.push(if job.cancel_requested || cancelled {
                FarmEvent::PrintCancelled {
                    plate_id,
                    serial,
                    by_farm: job.cancel_requested,
                }
            } else {
                FarmEvent::PrintFailed {
                    plate_id,
                    serial,
                    print_error: error,
                }
            });
            slot.job = None;
        }
        _ => {}
    }
    out
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
