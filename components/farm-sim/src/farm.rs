//! The simulated farm: a fleet of [`SimPrinter`]s, the randomness that decides
//! how long each job takes and whether it fails, and the translation between
//! the printers and MQTT messages. Still pure: no clock, no broker.

use printer_gateway::bambu::{self, Request, report_topic};
use printer_gateway::roster::{PrinterSpec, format_printers};

use crate::printer::{CommandError, JobPlan, SimPrinter, Timing};

/// Fleet and job settings, in simulated time.
#[derive(Debug, Clone, PartialEq)]
pub struct FarmSettings {
    pub printers: usize,
    /// Goes into every serial, so two farms on one broker do not collide.
    pub serial_tag: String,
    /// Mean print time of a job; each job takes 50%..150% of it.
    pub print_minutes: f64,
    pub prepare_minutes: f64,
    /// Time from FINISH/FAILED until the plate is cleared and the printer IDLE.
    pub clear_minutes: f64,
    /// Probability (0..=1) that a job fails part way.
    pub failure_rate: f64,
    pub seed: u64,
}

impl Default for FarmSettings {
    /// Seed 000's fleet: ten printers.
    fn default() -> Self {
        Self {
            printers: 10,
            serial_tag: "SIM".to_owned(),
            print_minutes: 45.0,
            prepare_minutes: 2.0,
            clear_minutes: 1.0,
            failure_rate: 0.05,
            seed: 1,
        }
    }
}

/// Why a request message was not carried out.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error(transparent)]
    Protocol(#[from] bambu::BambuError),
    #[error("no simulated printer has serial {serial}")]
    UnknownPrinter { serial: String },
    #[error(transparent)]
    Refused(#[from] CommandError),
}

/// Bambu serial prefixes of the CoreXY models the fleet alternates between
/// (P1S, X1C); the gateway derives the model from them.
const MODEL_PREFIXES: [&str; 2] = ["01P", "00M"];

pub struct Farm {
    printers: Vec<SimPrinter>,
    settings: FarmSettings,
    timing: Timing,
    rng: SplitMix64,
    sequence: u64,
}

impl Farm {
    pub fn new(settings: FarmSettings) -> Self {
        let printers = (0..settings.printers)
            .map(|i| {
                let prefix = MODEL_PREFIXES[i % MODEL_PREFIXES.len()];
                SimPrinter::new(format!("{prefix}{}{i:03}", settings.serial_tag))
            })
            .collect();
        Self {
            printers,
            timing: Timing {
                prepare_secs: settings.prepare_minutes * 60.0,
                clear_secs: settings.clear_minutes * 60.0,
            },
            rng: SplitMix64(settings.seed),
            sequence: 0,
            settings,
        }
    }

    pub fn printers(&self) -> &[SimPrinter] {
        &self.printers
    }

    pub fn serials(&self) -> Vec<String> {
        self.printers
            .iter()
            .map(|p| p.serial().to_owned())
            .collect()
    }

    /// This farm's printers in the printer-gateway's `FARM_PRINTERS` form
    /// (`serial=model,...`), so a local run configures the gateway with
    /// exactly the simulated printers.
    pub fn gateway_printers(&self) -> String {
        let printers: Vec<PrinterSpec> = self
            .serials()
            .into_iter()
            .map(|serial| PrinterSpec {
                model: bambu::model_from_serial(&serial).to_owned(),
                serial,
            })
            .collect();
        format_printers(&printers)
    }

    /// Lets `secs` of simulated time pass on every printer.
    pub fn advance(&mut self, secs: f64) {
        for printer in &mut self.printers {
            printer.advance(secs, &self.timing);
        }
    }

    /// One `(topic, payload)` report per printer, as they publish every second.
    pub fn reports(&mut self) -> Vec<(String, String)> {
        self.sequence += 1;
        let sequence = self.sequence;
        self.printers
            .iter()
            .map(|p| {
                (
                    report_topic(p.serial()),
                    p.status().to_report_json(sequence),
                )
            })
            .collect()
    }

    /// Carries out a message from `device/<serial>/request`; returns the serial.
    pub fn handle_request(&mut self, topic: &str, payload: &[u8]) -> Result<String, RequestError> {
        let serial = bambu::serial_from_request_topic(topic)?.to_owned();
        let request = bambu::parse_request(payload)?;
        let plan = self.plan_job();
        let printer = self
            .printers
            .iter_mut()
            .find(|p| p.serial() == serial)
            .ok_or_else(|| RequestError::UnknownPrinter {
                serial: serial.clone(),
            })?;
        match request {
            Request::ProjectFile(file) => printer.start(file, plan)?,
            Request::Pause => printer.pause()?,
            Request::Resume => printer.resume()?,
            Request::Stop => printer.stop()?,
        }
        Ok(serial)
    }

    fn plan_job(&mut self) -> JobPlan {
        let print_secs = self.settings.print_minutes * 60.0 * (0.5 + self.rng.next_f64());
        let fails = self.rng.next_f64() < self.settings.failure_rate;
        let fails_at = 0.05 + 0.9 * self.rng.next_f64();
        JobPlan {
            print_secs,
            fails_at: fails.then_some(fails_at),
        }
    }
}

/// A small seeded generator (SplitMix64): runs are repeatable for a seed, and
/// the simulator needs no dependency for it.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(pub(crate) u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use printer_gateway::bambu::{GcodeState, ProjectFile, parse_report, request_topic};

    fn project(name: &str) -> String {
        Request::ProjectFile(ProjectFile {
            url: format!("file:///sdcard/{name}.3mf"),
            plate: "Metadata/plate_1.gcode".into(),
            subtask_name: name.into(),
        })
        .to_json(1)
    }

    fn settings(failure_rate: f64) -> FarmSettings {
        FarmSettings {
            printers: 4,
            serial_tag: "T".into(),
            failure_rate,
            ..FarmSettings::default()
        }
    }

    #[test]
    fn the_default_fleet_is_ten_printers_of_known_models() {
        let farm = Farm::new(FarmSettings::default());
        let serials = farm.serials();
        assert_eq!(serials.len(), 10);
        assert_eq!(serials[0], "01PSIM000");
        for serial in &serials {
            assert_ne!(bambu::model_from_serial(serial), "unknown", "{serial}");
        }
    }

    #[test]
    fn the_gateway_printer_list_names_every_simulated_printer() {
        use printer_gateway::roster::parse_printers;
        let farm = Farm::new(settings(0.0));
        let listed = parse_printers(&farm.gateway_printers()).expect("a valid FARM_PRINTERS");
        let serials: Vec<String> = listed.iter().map(|p| p.serial.clone()).collect();
        assert_eq!(serials, farm.serials());
        let models: Vec<&str> = listed.iter().map(|p| p.model.as_str()).collect();
        // MODEL_PREFIXES alternate 01P (P1S) and 00M (X1C).
        assert_eq!(models, ["P1S", "X1C", "P1S", "X1C"]);
    }

    #[test]
    fn every_printer_reports_on_its_own_topic_in_the_bambu_format() {
        let mut farm = Farm::new(settings(0.0));
        let reports = farm.reports();
        assert_eq!(reports.len(), 4);
        for ((topic, payload), serial) in reports.iter().zip(farm.serials()) {
            assert_eq!(
                bambu::serial_from_report_topic(topic).expect("topic"),
                serial
            );
            let report = parse_report(payload.as_bytes()).expect("parses");
            assert!(
                matches!(report, bambu::Report::Print(s) if s.gcode_state == Some(GcodeState::Idle))
            );
        }
    }

    #[test]
    fn a_project_file_request_starts_that_printer_only() {
        let mut farm = Farm::new(settings(0.0));
        let target = farm.serials()[2].clone();
        let serial = farm
            .handle_request(&request_topic(&target), project("bracket").as_bytes())
            .expect("accepted");
        assert_eq!(serial, target);
        let states: Vec<GcodeState> = farm.printers().iter().map(SimPrinter::state).collect();
        assert_eq!(
            states,
            [
                GcodeState::Idle,
                GcodeState::Idle,
                GcodeState::Prepare,
                GcodeState::Idle
            ]
        );
    }

    #[test]
    fn bad_requests_are_refused_with_a_reason() {
        let mut farm = Farm::new(settings(0.0));
        let target = farm.serials()[0].clone();
        let unknown = farm.handle_request(&request_topic("NOPE"), project("x").as_bytes());
        assert!(matches!(unknown, Err(RequestError::UnknownPrinter { .. })));
        let garbage = farm.handle_request(&request_topic(&target), b"{");
        assert!(matches!(garbage, Err(RequestError::Protocol(_))));
        farm.handle_request(&request_topic(&target), project("a").as_bytes())
            .expect("first");
        let busy = farm.handle_request(&request_topic(&target), project("b").as_bytes());
        assert!(matches!(
            busy,
            Err(RequestError::Refused(CommandError::Busy { .. }))
        ));
    }

    #[test]
    fn with_failure_rate_one_every_job_fails_and_with_zero_every_job_finishes() {
        for (rate, ending) in [(1.0, GcodeState::Failed), (0.0, GcodeState::Finish)] {
            let mut farm = Farm::new(FarmSettings {
                clear_minutes: 1000.0,
                ..settings(rate)
            });
            for serial in farm.serials() {
                farm.handle_request(&request_topic(&serial), project("p").as_bytes())
                    .expect("start");
            }
            // Longer than prepare plus the longest possible print (150% of the mean).
            farm.advance(2.0 * 60.0 + 45.0 * 60.0 * 1.5 + 1.0);
            for printer in farm.printers() {
                assert_eq!(printer.state(), ending, "failure rate {rate}");
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_run() {
        let run = |seed| {
            let mut farm = Farm::new(FarmSettings {
                seed,
                ..settings(0.5)
            });
            for serial in farm.serials() {
                farm.handle_request(&request_topic(&serial), project("p").as_bytes())
                    .expect("start");
            }
            farm.advance(30.0 * 60.0);
            farm.reports()
                .into_iter()
                .map(|(_, payload)| payload)
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }
}
