//! One simulated Bambu printer: the `gcode_state` machine with time as a
//! parameter, so it is tested without clocks or a broker.
//!
//! ```text
//! IDLE --project_file--> PREPARE --prepare time--> RUNNING --print time--> FINISH --clear time--> IDLE
//!                                                   |  ^ pause/resume        ^ fault or stop -> FAILED --clear time--> IDLE
//!                                                   v  |
//!                                                   PAUSE
//! ```
//! FINISH and FAILED last until the plate is cleared (the farm's automation
//! does that after `clear_secs`); a new job may also start straight away.

use printer_gateway::bambu::{GcodeState, PrintStatus, ProjectFile};

/// The error code a simulated fault reports in `print_error`.
pub const SIMULATED_FAULT: u32 = 0x0300_8003;
/// Every simulated job has this many layers.
pub const LAYERS: u32 = 200;

/// Durations, in simulated seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    pub prepare_secs: f64,
    pub clear_secs: f64,
}

/// How a job will go, decided by the farm when it starts (the random part).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JobPlan {
    pub print_secs: f64,
    /// Fraction of the print (0..1) at which a fault stops it, if it fails.
    pub fails_at: Option<f64>,
}

/// A command that does not fit the printer's state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("printer {serial} is busy ({state})")]
    Busy { serial: String, state: &'static str },
    #[error("printer {serial} cannot {command} while {state}")]
    WrongState {
        serial: String,
        command: &'static str,
        state: &'static str,
    },
}

#[derive(Debug, Clone)]
struct Job {
    file: ProjectFile,
    plan: JobPlan,
    printed_secs: f64,
}

#[derive(Debug, Clone)]
pub struct SimPrinter {
    serial: String,
    state: GcodeState,
    in_state_secs: f64,
    job: Option<Job>,
    print_error: u32,
}

impl SimPrinter {
    pub fn new(serial: impl Into<String>) -> Self {
        Self {
            serial: serial.into(),
            state: GcodeState::Idle,
            in_state_secs: 0.0,
            job: None,
            print_error: 0,
        }
    }

    pub fn serial(&self) -> &str {
        &self.serial
    }

    pub fn state(&self) -> GcodeState {
        self.state
    }

    fn enter(&mut self, state: GcodeState) {
        self.state = state;
        self.in_state_secs = 0.0;
    }

    fn wrong_state(&self, command: &'static str) -> CommandError {
        CommandError::WrongState {
            serial: self.serial.clone(),
            command,
            state: self.state.as_str(),
        }
    }

    /// `project_file`: starts a job unless one is under way.
    pub fn start(&mut self, file: ProjectFile, plan: JobPlan) -> Result<(), CommandError> {
        match self.state {
            GcodeState::Idle | GcodeState::Finish | GcodeState::Failed => {
                self.job = Some(Job {
                    file,
                    plan,
                    printed_secs: 0.0,
                });
                self.print_error = 0;
                self.enter(GcodeState::Prepare);
                Ok(())
            }
            state => Err(CommandError::Busy {
                serial: self.serial.clone(),
                state: state.as_str(),
            }),
        }
    }

    pub fn pause(&mut self) -> Result<(), CommandError> {
        match self.state {
            GcodeState::Running | GcodeState::Prepare => {
                self.enter(GcodeState::Pause);
                Ok(())
            }
            _ => Err(self.wrong_state("pause")),
        }
    }

    pub fn resume(&mut self) -> Result<(), CommandError> {
        match self.state {
            GcodeState::Pause => {
                self.enter(GcodeState::Running);
                Ok(())
            }
            _ => Err(self.wrong_state("resume")),
        }
    }

    /// `stop`: cancels the job; the printer reports FAILED with no error code.
    pub fn stop(&mut self) -> Result<(), CommandError> {
        match self.state {
            GcodeState::Prepare | GcodeState::Running | GcodeState::Pause | GcodeState::Slicing => {
                self.enter(GcodeState::Failed);
                Ok(())
            }
            _ => Err(self.wrong_state("stop")),
        }
    }

    /// Lets `secs` of simulated time pass, crossing as many states as fit.
    pub fn advance(&mut self, secs: f64, timing: &Timing) {
        let mut left = secs.max(0.0);
        while left > 0.0 {
            let (needed, next) = match (self.state, &self.job) {
                (GcodeState::Prepare, _) => (
                    timing.prepare_secs - self.in_state_secs,
                    GcodeState::Running,
                ),
                (GcodeState::Running, Some(job)) => {
                    let stop_at = job
                        .plan
                        .fails_at
                        .map_or(job.plan.print_secs, |f| f * job.plan.print_secs);
                    let next = if job.plan.fails_at.is_some() {
                        GcodeState::Failed
                    } else {
                        GcodeState::Finish
                    };
                    (stop_at - job.printed_secs, next)
                }
                (GcodeState::Finish | GcodeState::Failed, _) => {
                    (timing.clear_secs - self.in_state_secs, GcodeState::Idle)
                }
                // Idle, paused, or running without a job: time changes nothing.
                _ => return,
            };
            let step = left.min(needed.max(0.0));
            self.in_state_secs += step;
            if let (GcodeState::Running, Some(job)) = (self.state, self.job.as_mut()) {
                job.printed_secs += step;
            }
            left -= step;
            if step >= needed {
                match next {
                    GcodeState::Failed => self.print_error = SIMULATED_FAULT,
                    GcodeState::Idle => self.job = None,
                    _ => {}
                }
                self.enter(next);
            }
        }
    }

    /// The report the printer publishes now.
    pub fn status(&self) -> PrintStatus {
        let (percent, remaining, file, name) = match &self.job {
            Some(job) => {
                let total = job.plan.print_secs.max(1.0);
                let done = (job.printed_secs / total).clamp(0.0, 1.0);
                let percent = if self.state == GcodeState::Finish {
                    100
                } else {
                    (done * 100.0).floor() as u8
                };
                let remaining = ((total - job.printed_secs).max(0.0) / 60.0).ceil() as u32;
                (
                    percent,
                    remaining,
                    Some(job.file.url.clone()),
                    Some(job.file.subtask_name.clone()),
                )
            }
            None => (0, 0, None, None),
        };
        PrintStatus {
            gcode_state: Some(self.state),
            percent: Some(percent),
            remaining_minutes: Some(remaining),
            gcode_file: file,
            subtask_name: name.filter(|n| !n.is_empty()),
            layer_num: Some(u32::from(percent) * LAYERS / 100),
            total_layer_num: Some(if self.job.is_some() { LAYERS } else { 0 }),
            print_error: Some(self.print_error),
        }
    }
}

#[cfg(test)]
#[path = "printer_tests.rs"]
mod tests;
