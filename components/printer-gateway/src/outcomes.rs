//! What the floor reports ([`FarmEvent`] through the one seam,
//! [`FarmEvents`]), what it dispatches ([`Plate`]), and how a printer's
//! merged state turns into outcomes ([`observe`]): pure.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::bambu::GcodeState;
use crate::bambu_lan::{self, ErrorClass, Tray, classify_error};
use crate::fleet::{PrinterStatus, status_for};
use crate::hms::{self, AiDetection};

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
    /// The printer's AI saw a defect while printing the plate (an HMS
    /// message or an AI `print_error`; see [`crate::hms`]), once per kind
    /// per job. The print goes on, or pauses on the fault.
    AiDetected {
        plate_id: String,
        serial: String,
        detection: AiDetection,
    },
}

/// The one seam to the rest of the gateway.
pub trait FarmEvents: Send + Sync {
    fn record(&self, event: FarmEvent);
}

#[derive(Default)]
pub(crate) struct Job {
    pub(crate) plate_id: String,
    pub(crate) started: bool,
    pub(crate) cancel_requested: bool,
    /// The pause-class fault this job stopped on, if it did.
    pub(crate) fault: Option<u32>,
    /// The AI detections already reported for this job.
    pub(crate) detections: Vec<AiDetection>,
}

/// What the floor remembers of one printer between reports.
#[derive(Default)]
pub(crate) struct Tracking {
    /// The plate it prints, if the floor dispatched one.
    pub(crate) job: Option<Job>,
    last: Option<(Option<GcodeState>, u8)>,
    last_sent: Option<Instant>,
    paused_fault: bool,
}

/// What one merged state means, given what the slot knew before.
pub(crate) fn observe(slot: &mut Tracking, serial: &str, state: &Value) -> Vec<FarmEvent> {
    let serial = serial.to_owned();
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
    // Only once the job is under way: what the printer showed before is
    // another job's.
    let under_way = job.started
        || matches!(
            gcode_state,
            GcodeState::Prepare | GcodeState::Running | GcodeState::Slicing
        );
    if under_way {
        for detection in hms::detections_of(state) {
            if !job.detections.contains(&detection) {
                job.detections.push(detection);
                out.push(FarmEvent::AiDetected {
                    plate_id: job.plate_id.clone(),
                    serial: serial.clone(),
                    detection,
                });
            }
        }
    }
    match gcode_state {
        GcodeState::Prepare | GcodeState::Running | GcodeState::Slicing => job.started = true,
        // Reported once per pause, however many reports repeat it.
        GcodeState::Pause
            if error != 0
                && classify_error(error) == ErrorClass::PauseFault
                && !slot.paused_fault =>
        {
            slot.paused_fault = true;
            job.fault = Some(error);
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
            // Stopped at the printer after a pause-class fault: the print
            // failed (spaghetti, clog), whoever pressed stop.
            let (cancelled, error) = match job.fault {
                Some(fault) if !job.cancel_requested => (false, fault),
                _ => (cancelled, error),
            };
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn printing(plate: &str) -> Tracking {
        Tracking {
            job: Some(Job {
                plate_id: plate.into(),
                started: true,
                ..Job::default()
            }),
            ..Tracking::default()
        }
    }

    fn report(state: &str, error: u32) -> Value {
        json!({"print": {"gcode_state": state, "print_error": error, "mc_percent": 40}})
    }

    fn outcomes(events: &[FarmEvent]) -> Vec<&FarmEvent> {
        events
            .iter()
            .filter(|e| !matches!(e, FarmEvent::PrinterState { .. }))
            .collect()
    }

    #[test]
    fn an_empty_state_and_a_stale_error_while_idle_are_noise() {
        let mut idle = Tracking::default();
        assert_eq!(
            observe(&mut idle, "P", &json!({"print": {"gcode_state": ""}})),
            vec![]
        );
        let events = observe(&mut idle, "P", &report("IDLE", 0x0300_4002));
        assert!(outcomes(&events).is_empty(), "{events:?}");
        assert!(matches!(
            events[..],
            [FarmEvent::PrinterState {
                status: PrinterStatus::Idle,
                ..
            }]
        ));
    }

    #[test]
    fn failed_with_a_cancel_code_is_cancelled_and_a_stop_class_code_is_failed() {
        let mut running = printing("a");
        observe(&mut running, "P", &report("RUNNING", 0));
        let cancelled = observe(&mut running, "P", &report("FAILED", 0x0500_400E));
        assert_eq!(
            outcomes(&cancelled),
            [&FarmEvent::PrintCancelled {
                plate_id: "a".into(),
                serial: "P".into(),
                by_farm: false
            }]
        );
        let mut running = printing("b");
        observe(&mut running, "P", &report("RUNNING", 0));
        let failed = observe(&mut running, "P", &report("FAILED", 0x0300_4002));
        assert_eq!(
            outcomes(&failed),
            [&FarmEvent::PrintFailed {
                plate_id: "b".into(),
                serial: "P".into(),
                print_error: 0x0300_4002
            }]
        );
        // FAILED repeated (the code back to 0) is no second outcome.
        assert!(outcomes(&observe(&mut running, "P", &report("FAILED", 0))).is_empty());
    }

    #[test]
    fn an_ai_detection_is_reported_once_per_kind_while_the_job_runs() {
        let mut running = printing("e");
        // 0x0C000300 / 0x00030008: HMS 0C00_0300_0003_0008, spaghetti.
        let spaghetti = json!({"print": {"gcode_state": "RUNNING", "mc_percent": 50,
            "hms": [{"attr": 0x0C00_0300_u32, "code": 0x0003_0008}]}});
        let detection = FarmEvent::AiDetected {
            plate_id: "e".into(),
            serial: "P".into(),
            detection: AiDetection::Spaghetti,
        };
        assert_eq!(
            outcomes(&observe(&mut running, "P", &spaghetti)),
            [&detection]
        );
        assert!(outcomes(&observe(&mut running, "P", &spaghetti)).is_empty());
        let finished = observe(&mut running, "P", &report("FINISH", 0));
        assert!(matches!(
            outcomes(&finished)[..],
            [FarmEvent::PrintFinished { .. }]
        ));
        // Without a job of ours, nothing is attributed.
        let mut idle = Tracking::default();
        assert!(outcomes(&observe(&mut idle, "P", &spaghetti)).is_empty());
    }

    #[test]
    fn a_pause_fault_needs_attention_once_per_pause() {
        let mut running = printing("c");
        observe(&mut running, "P", &report("RUNNING", 0));
        let paused = observe(&mut running, "P", &report("PAUSE", 0x0300_8003));
        // 0x0300_8003 is the AI's spaghetti pause: a detection too.
        assert_eq!(
            outcomes(&paused),
            [
                &FarmEvent::AiDetected {
                    plate_id: "c".into(),
                    serial: "P".into(),
                    detection: AiDetection::Spaghetti
                },
                &FarmEvent::NeedsAttention {
                    serial: "P".into(),
                    attention: Attention::PauseFault {
                        print_error: 0x0300_8003
                    }
                }
            ]
        );
        assert!(outcomes(&observe(&mut running, "P", &report("PAUSE", 0x0300_8003))).is_empty());
        // Stopped at the printer while paused on the fault: a failed print.
        let stopped = observe(&mut running, "P", &report("FAILED", 0x0300_400C));
        assert_eq!(
            outcomes(&stopped),
            [&FarmEvent::PrintFailed {
                plate_id: "c".into(),
                serial: "P".into(),
                print_error: 0x0300_8003
            }]
        );
        // A pause someone asked for (no code) needs nobody.
        let mut other = printing("d");
        observe(&mut other, "P", &report("RUNNING", 0));
        assert!(outcomes(&observe(&mut other, "P", &report("PAUSE", 0))).is_empty());
    }
}
