//! One dispatch under way, run without holding the floor (see
//! [`crate::dispatch::Floor::begin_dispatch`]): the printer checked free (a
//! FAILED one stopped first), the `.gcode.3mf` uploaded by FTPS, then
//! `project_file`, its acknowledgement and the start awaited.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::bambu::{GcodeState, ProjectFile, Request};
use crate::bambu_lan::{self, ERROR_BUSY};
use crate::ftps;
use crate::lan::{LanPrinter, LinkHandle};
use crate::outcomes::{DispatchFailure, Plate};
use crate::pinning::{Alarm, PinStore};

/// One dispatch under way (see [`Floor::begin_dispatch`]).
pub struct Ticket {
    pub(crate) link: LinkHandle,
    pub(crate) config: LanPrinter,
    pub(crate) pins: PinStore,
    pub(crate) timeout: Duration,
}

impl Ticket {
    /// Uploads and starts the plate ([`Ticket::upload`], then [`Ticket::start`]).
    pub async fn run(&self, plate: &Plate) -> Result<(), DispatchFailure> {
        self.upload(plate).await?;
        self.start(plate).await
    }

    /// Checks that the printer is free (a FAILED printer is stopped first:
    /// FAILED stays until a stop) and uploads the plate's file by FTPS.
    /// Nothing is printed yet.
    pub async fn upload(&self, plate: &Plate) -> Result<(), DispatchFailure> {
        if self.link.alarm().is_some() {
            return Err(DispatchFailure::CertificateChanged);
        }
        let state_now = |v: &Value| bambu_lan::status_of(v).gcode_state;
        match state_now(&self.link.state()) {
            Some(
                GcodeState::Prepare | GcodeState::Running | GcodeState::Pause | GcodeState::Slicing,
            ) => {
                return Err(DispatchFailure::Busy);
            }
            Some(GcodeState::Failed) => {
                let mut watch = self.link.watch_state();
                send(&self.link, &Request::Stop).await?;
                let cleared = wait_for(&mut watch, self.timeout, |s| {
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
            &self.config,
            &self.pins,
            &alarm,
            &plate.file_name(),
            &plate.project,
        )
        .await
        .map_err(|e| match alarm.raised() {
            Some(_) => DispatchFailure::CertificateChanged,
            None => DispatchFailure::Upload(e.to_string()),
        })
    }

    /// Sends `project_file` for the uploaded plate and waits for the
    /// acknowledgement and for the printer to start (PREPARE or RUNNING),
    /// at most the start timeout.
    pub async fn start(&self, plate: &Plate) -> Result<(), DispatchFailure> {
        let state_now = |v: &Value| bambu_lan::status_of(v).gcode_state;
        let mut watch = self.link.watch_state();
        let mut acks = self.link.subscribe_acks();
        let sequence = self.link.next_sequence();
        let request = Request::ProjectFile(ProjectFile {
            url: format!("file:///sdcard/{}", plate.file_name()),
            plate: "Metadata/plate_1.gcode".to_owned(),
            subtask_name: plate.plate_id.clone(),
        });
        watch.borrow_and_update();
        self.link
            .send(request.to_json(sequence))
            .await
            .map_err(|e| DispatchFailure::Send(e.to_string()))?;
        let timeout = self.timeout;
        let deadline = Instant::now() + timeout;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => return Err(DispatchFailure::NoStart(timeout)),
                ack = acks.recv() => match ack {
                    Ok(ack) if ack.sequence_id == sequence.to_string() => {
                        if ack.error_code == Some(ERROR_BUSY) {
                            return Err(DispatchFailure::Busy);
                        }
                        if !ack.success {
                            return Err(DispatchFailure::Refused { reason: ack.reason });
                        }
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => return Err(DispatchFailure::Send("link closed".into())),
                },
                changed = watch.changed() => {
                    if changed.is_err() {
                        return Err(DispatchFailure::Send("link closed".into()));
                    }
                    let state = watch.borrow_and_update().clone();
                    // Some firmware names no job in its reports; a job
                    // named otherwise is someone else's.
                    let unnamed = bambu_lan::status_of(&state).subtask_name.is_none();
                    let started = matches!(state_now(&state), Some(GcodeState::Prepare | GcodeState::Running))
                        && (unnamed || shows_plate(&state, &plate.plate_id));
                    if started {
                        return Ok(());
                    }
                }
            }
        }
    }
}

/// True when the printer's state names `plate_id` as its job: the
/// `subtask_name` the dispatch gave it, or the file `<plate_id>.gcode.3mf`.
pub fn shows_plate(state: &Value, plate_id: &str) -> bool {
    let status = bambu_lan::status_of(state);
    status.subtask_name.as_deref() == Some(plate_id)
        || status.gcode_file.as_deref().is_some_and(|f| {
            f.ends_with(&format!("/{plate_id}.gcode.3mf")) || f == format!("{plate_id}.gcode.3mf")
        })
}

pub(crate) async fn send(link: &LinkHandle, request: &Request) -> Result<(), DispatchFailure> {
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
