//! One simulated printer that fails the way real Bambu printers do: pure,
//! time as a parameter (simulated seconds).
//!
//! ```text
//! IDLE/FINISH --project_file--> PREPARE --> RUNNING --> FINISH (stays until the next job)
//!   busy (PREPARE/RUNNING/PAUSE): project_file refused, 0x0500_4004
//!   RUNNING --stop-class fault (0x0300_4xxx)--> FAILED (stays until stop)
//!   RUNNING --pause-class fault (0x0300_8xxx)--> PAUSE --resume--> RUNNING
//!                                                      --stop--> FAILED
//!   PREPARE/RUNNING/PAUSE --stop--> FAILED with 0x0300_400C (cancelled)
//!   FAILED/FINISH --stop--> IDLE
//! ```
//! An error code shows for `error_code_secs`, then resets to 0 while FAILED
//! stays: exactly what makes a stale code noise and FAILED sticky.

use printer_gateway::bambu::GcodeState;
use printer_gateway::bambu_lan::{ERROR_BUSY, ERROR_TASK_CANCELLED};
use printer_gateway::hms::Hms;

/// How a job will end, decided when it starts (the random part).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fate {
    Finish,
    /// A stop-class fault at this fraction of the print.
    StopFault {
        at: f64,
        code: u32,
    },
    /// A pause-class fault at this fraction of the print.
    PauseFault {
        at: f64,
        code: u32,
    },
}

/// A printer's answer to a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Success,
    Failed { reason: String, code: u32 },
}

/// Durations in simulated seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    pub prepare_secs: f64,
    /// How long a non-zero `print_error` shows before it resets to 0.
    pub error_code_secs: f64,
}

#[derive(Debug, Clone)]
struct Job {
    file: String,
    subtask: String,
    total_secs: f64,
    printed_secs: f64,
    layers: u32,
    fate: Fate,
    fault_done: bool,
    /// An HMS message the printer's AI raises at this fraction of the print.
    detection: Option<(f64, Hms)>,
}

/// What a printer reports: the fields of its `print` object.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub gcode_state: GcodeState,
    pub mc_percent: u8,
    pub mc_remaining_time: u32,
    pub layer_num: u32,
    pub total_layer_num: u32,
    pub gcode_file: String,
    pub subtask_name: String,
    pub print_error: u32,
    /// Active HMS messages (`print.hms`).
    pub hms: Vec<Hms>,
}

#[derive(Debug, Clone)]
pub struct Machine {
    state: GcodeState,
    in_state_secs: f64,
    job: Option<Job>,
    print_error: u32,
    error_left_secs: f64,
    jobs_started: u32,
}

impl Default for Machine {
    fn default() -> Self {
        Self::new()
    }
}

impl Machine {
    pub fn new() -> Self {
        Self {
            state: GcodeState::Idle,
            in_state_secs: 0.0,
            job: None,
            print_error: 0,
            error_left_secs: 0.0,
            jobs_started: 0,
        }
    }

    pub fn state(&self) -> GcodeState {
        self.state
    }

    /// How many jobs this printer has started (tests check nothing re-prints).
    pub fn jobs_started(&self) -> u32 {
        self.jobs_started
    }

    fn enter(&mut self, state: GcodeState) {
        self.state = state;
        self.in_state_secs = 0.0;
    }

    fn show_error(&mut self, code: u32, timing: &Timing) {
        self.print_error = code;
        self.error_left_secs = timing.error_code_secs;
    }

    fn busy(&self) -> bool {
        matches!(
            self.state,
            GcodeState::Prepare | GcodeState::Running | GcodeState::Pause | GcodeState::Slicing
        )
    }

    /// `project_file` for a file the printer has (`total_secs` is the
    /// G-code's own estimate, `layers` its layer count).
    pub fn start(
        &mut self,
        file: &str,
        subtask: &str,
        total_secs: f64,
        layers: u32,
        fate: Fate,
    ) -> Reply {
        if self.busy() {
            return Reply::Failed {
                reason: "Device is busy and cannot start new task (0500_4004)".to_owned(),
                code: ERROR_BUSY,
            };
        }
        self.job = Some(Job {
            file: file.to_owned(),
            subtask: subtask.to_owned(),
            total_secs: total_secs.max(1.0),
            printed_secs: 0.0,
            layers: layers.max(1),
            fate,
            fault_done: false,
            detection: None,
        });
        self.print_error = 0;
        self.jobs_started += 1;
        self.enter(GcodeState::Prepare);
        Reply::Success
    }

    /// The printer's AI will raise `hms` at `at` (0–1) of the current job
    /// (a detection that notifies and lets the print go on); it stays
    /// active until the job is cleared.
    pub fn detect(&mut self, at: f64, hms: Hms) {
        if let Some(job) = self.job.as_mut() {
            job.detection = Some((at.clamp(0.0, 1.0), hms));
        }
    }

    pub fn pause(&mut self) -> Reply {
        if matches!(self.state, GcodeState::Running | GcodeState::Prepare) {
            self.enter(GcodeState::Pause);
            Reply::Success
        } else {
            self.wrong_state("pause")
        }
    }

    pub fn resume(&mut self) -> Reply {
        if self.state == GcodeState::Pause {
            self.print_error = 0;
            self.enter(GcodeState::Running);
            Reply::Success
        } else {
            self.wrong_state("resume")
        }
    }

    /// `stop`: cancels a job under way (FAILED, cancel code), or clears a
    /// FAILED/FINISH printer to IDLE.
    pub fn stop(&mut self, timing: &Timing) -> Reply {
        if self.busy() {
            self.show_error(ERROR_TASK_CANCELLED, timing);
            self.enter(GcodeState::Failed);
        } else if matches!(self.state, GcodeState::Failed | GcodeState::Finish) {
            self.print_error = 0;
            self.job = None;
            self.enter(GcodeState::Idle);
        }
        Reply::Success
    }

    fn wrong_state(&self, command: &str) -> Reply {
        Reply::Failed {
            reason: format!("cannot {command} while {}", self.state.as_str()),
            code: 0,
        }
    }

    /// Lets `secs` of simulated time pass.
    pub fn advance(&mut self, secs: f64, timing: &Timing) {
        let mut left = secs.max(0.0);
        if self.error_left_secs > 0.0 && self.state != GcodeState::Pause {
            self.error_left_secs -= left;
            if self.error_left_secs <= 0.0 {
                self.print_error = 0;
            }
        }
        while left > 0.0 {
            let needed = match (self.state, &self.job) {
                (GcodeState::Prepare, _) => timing.prepare_secs - self.in_state_secs,
                (GcodeState::Running, Some(job)) => {
                    let end = match job.fate {
                        Fate::StopFault { at, .. } | Fate::PauseFault { at, .. }
                            if !job.fault_done =>
                        {
                            at * job.total_secs
                        }
                        _ => job.total_secs,
                    };
                    end - job.printed_secs
                }
                _ => return,
            };
            let step = left.min(needed.max(0.0));
            left -= step;
            self.in_state_secs += step;
            if let (GcodeState::Running, Some(job)) = (self.state, self.job.as_mut()) {
                job.printed_secs += step;
            }
            if step < needed {
                return;
            }
            match (self.state, self.job.as_mut()) {
                (GcodeState::Prepare, _) => self.enter(GcodeState::Running),
                (GcodeState::Running, Some(job)) => match job.fate {
                    Fate::StopFault { code, .. } if !job.fault_done => {
                        job.fault_done = true;
                        self.show_error(code, timing);
                        self.enter(GcodeState::Failed);
                    }
                    Fate::PauseFault { code, .. } if !job.fault_done => {
                        job.fault_done = true;
                        // A pause-class code stays until resume or stop.
                        self.print_error = code;
                        self.error_left_secs = 0.0;
                        self.enter(GcodeState::Pause);
                    }
                    _ => self.enter(GcodeState::Finish),
                },
                _ => return,
            }
        }
    }

    /// The printer's report fields now.
    pub fn view(&self) -> View {
        let (percent, remaining, layer, layers, file, subtask) = match &self.job {
            Some(job) => {
                let done = (job.printed_secs / job.total_secs).clamp(0.0, 1.0);
                let percent = if self.state == GcodeState::Finish {
                    100
                } else {
                    (done * 100.0).floor() as u8
                };
                let remaining = ((job.total_secs - job.printed_secs).max(0.0) / 60.0).ceil() as u32;
                let layer = (done * f64::from(job.layers)).ceil() as u32;
                (
                    percent,
                    remaining,
                    layer,
                    job.layers,
                    job.file.clone(),
                    job.subtask.clone(),
                )
            }
            None => (0, 0, 0, 0, String::new(), String::new()),
        };
        let hms = self
            .job
            .as_ref()
            .and_then(|job| {
                let (at, hms) = job.detection?;
                let reached =
                    job.printed_secs >= at * job.total_secs || self.state == GcodeState::Finish;
                reached.then_some(hms)
            })
            .into_iter()
            .collect();
        View {
            gcode_state: self.state,
            mc_percent: percent,
            mc_remaining_time: remaining,
            layer_num: layer,
            total_layer_num: layers,
            gcode_file: file,
            subtask_name: subtask,
            print_error: self.print_error,
            hms,
        }
    }
}

#[cfg(test)]
#[path = "machine_tests.rs"]
mod tests;
