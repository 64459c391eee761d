//! Simulated printers in LAN mode: each is its own MQTT broker over TLS,
//! its own FTPS endpoint ([`servers`]) and its own camera stream
//! ([`camera`]: the P1/A1 protocol, frames rendered from the G-code it
//! prints, [`plate_view`]), on loopback ports from the configuration, and
//! behaves like a real Bambu printer ([`machine`]): it
//! prints only a `.gcode.3mf` it received by FTPS, for the G-code's own
//! estimated time divided by the speed factor; P1-style printers send delta
//! reports and the full state on `pushall`, X1-style printers full reports;
//! commands are acknowledged with their `sequence_id` and a `result` whose
//! case varies. Failures are seeded: refused or silently ignored
//! `project_file`, stop-class and pause-class faults, and the printer's AI
//! raising a spaghetti HMS part way through a print that goes on.

pub mod camera;
pub mod gcode;
pub mod machine;
pub mod plate_view;
pub mod report;
pub mod servers;
mod site;

pub use site::{LanFarmSettings, site_entry};

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use printer_gateway::bambu::{self, Request, report_topic, request_topic};
use printer_gateway::bambu_lan::ERROR_SPAGHETTI;
use printer_gateway::hms::{HMS_SPAGHETTI, Hms};
use printer_gateway::lan::Filament;
use serde_json::{Value, json};

use self::machine::{Fate, Machine, Reply, Timing};
use self::report::Reporter;
use crate::farm::SplitMix64;

/// Per-job probabilities (0..=1) of each way a real printer fails.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FailureRates {
    /// `project_file` answered FAILED.
    pub refuse: f64,
    /// `project_file` neither acknowledged nor started.
    pub ignore: f64,
    /// A stop-class fault (0x0300_4xxx) part way.
    pub stop_fault: f64,
    /// A pause-class fault (0x0300_8003, spaghetti) part way.
    pub pause_fault: f64,
    /// The printer's AI raises HMS 0C00_0300_0003_0008 ("a possible
    /// spaghetti failure") part way; the print goes on to FINISH.
    pub ai_detection: f64,
}

/// One simulated printer.
#[derive(Debug, Clone)]
pub struct PrinterSettings {
    pub serial: String,
    pub access_code: String,
    pub mqtt: SocketAddr,
    pub ftps: SocketAddr,
    /// The camera stream (6000 on a real P1/A1).
    pub camera: SocketAddr,
    /// Loaded filament, reported as AMS tray 0.
    pub filament: Filament,
    /// X1-style full reports instead of P1-style deltas.
    pub full_reports: bool,
    /// Simulated seconds per real second.
    pub speed: f64,
    pub report_every: Duration,
    pub failures: FailureRates,
    pub seed: u64,
    /// Where its certificate and SD card live.
    pub dir: PathBuf,
    /// Simulated PREPARE time.
    pub prepare_secs: f64,
}

/// A running simulated printer.
pub struct RunningPrinter {
    pub serial: String,
    speed: f64,
    /// SHA-256 of its certificate (what the gateway pins).
    pub fingerprint: String,
    machine: Arc<Mutex<Machine>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RunningPrinter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RunningPrinter {
    /// Simulated seconds per real second.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// The printer's machine (tests look at it, and can act on the printer
    /// directly, as a person at its screen would).
    pub fn machine(&self) -> std::sync::MutexGuard<'_, Machine> {
        self.machine.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Starts the printer: certificate, broker, FTPS, and its clock.
pub async fn start(settings: PrinterSettings) -> anyhow::Result<RunningPrinter> {
    let identity = servers::identity(&settings.serial, &settings.dir)?;
    let sdcard = settings.dir.join("sdcard");
    servers::start_ftps(settings.ftps, &identity, &settings.access_code, &sdcard).await?;
    let (mut tx, mut rx) = servers::start_broker(
        &settings.serial,
        settings.mqtt,
        &identity,
        &settings.access_code,
    )?;
    tx.subscribe(request_topic(&settings.serial))?;
    wait_listening(settings.mqtt).await?;
    let machine = Arc::new(Mutex::new(Machine::new()));
    let scene = Arc::new(Mutex::new(None));
    camera::start_camera(
        settings.camera,
        &identity,
        &settings.access_code,
        camera::frames_of(machine.clone(), scene.clone()),
    )
    .await?;
    let shared = machine.clone();
    let serial = settings.serial.clone();
    let speed = settings.speed;
    let (requests_tx, mut requests) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
    // rumqttd's link is read on its own task; requests reach the clock loop.
    let reader = tokio::spawn(async move {
        while let Ok(notification) = rx.next().await {
            if let Some(rumqttd::Notification::Forward(forward)) = notification
                && requests_tx.send(forward.publish.payload.to_vec()).is_err()
            {
                return;
            }
        }
    });
    let task = tokio::spawn(async move {
        let _reader = AbortOnDrop(reader);
        let mut sim = Sim {
            timing: Timing {
                prepare_secs: settings.prepare_secs,
                error_code_secs: 3.0 * settings.speed,
            },
            reporter: Reporter::new(settings.full_reports),
            rng: SplitMix64(settings.seed),
            acks: 0,
            sdcard,
            scene,
            settings,
        };
        let mut clock = tokio::time::interval(sim.settings.report_every);
        let topic = report_topic(&sim.settings.serial);
        let mut last = tokio::time::Instant::now();
        loop {
            let mut out = Vec::new();
            tokio::select! {
                _ = clock.tick() => {
                    let now = tokio::time::Instant::now();
                    let secs = (now - last).as_secs_f64() * sim.settings.speed;
                    last = now;
                    let mut m = shared.lock().unwrap_or_else(|p| p.into_inner());
                    m.advance(secs, &sim.timing);
                    out.extend(sim.report(&m, false));
                }
                request = requests.recv() => {
                    let Some(payload) = request else { return };
                    let mut m = shared.lock().unwrap_or_else(|p| p.into_inner());
                    out.extend(sim.handle(&mut m, &payload));
                }
            }
            for message in out {
                if let Err(error) = tx.try_publish(topic.clone(), message.into_bytes()) {
                    tracing::debug!(%error, "report dropped");
                }
            }
        }
    });
    Ok(RunningPrinter {
        serial,
        speed,
        fingerprint: printer_gateway::pinning::fingerprint(&identity.cert_der),
        machine,
        task,
    })
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Waits until the broker accepts connections (it binds on its own thread).
async fn wait_listening(address: SocketAddr) -> anyhow::Result<()> {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(address).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    anyhow::bail!("the simulated printer's broker did not listen on {address}")
}

struct Sim {
    settings: PrinterSettings,
    timing: Timing,
    reporter: Reporter,
    rng: SplitMix64,
    acks: u64,
    sdcard: PathBuf,
    /// What the camera shows.
    scene: Arc<Mutex<Option<camera::Scene>>>,
}

impl Sim {
    fn report(&mut self, m: &Machine, full: bool) -> Option<String> {
        self.reporter
            .report(&m.view(), &self.settings.filament, full)
    }

    /// Carries out one request; returns the messages to publish.
    fn handle(&mut self, m: &mut Machine, payload: &[u8]) -> Vec<String> {
        let value: Value = serde_json::from_slice(payload).unwrap_or(Value::Null);
        if value.pointer("/pushing/command").and_then(Value::as_str) == Some("pushall") {
            return self.report(m, true).into_iter().collect();
        }
        let sequence_id = value
            .pointer("/print/sequence_id")
            .map(|s| {
                s.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| s.to_string())
            })
            .unwrap_or_default();
        let (command, reply) = match bambu::parse_request(payload) {
            Ok(Request::ProjectFile(job)) => ("project_file", self.project_file(m, &job)),
            Ok(Request::Pause) => ("pause", Some(m.pause())),
            Ok(Request::Resume) => ("resume", Some(m.resume())),
            Ok(Request::Stop) => ("stop", Some(m.stop(&self.timing))),
            Err(error) => {
                tracing::warn!(%error, "request not understood");
                return Vec::new();
            }
        };
        let Some(reply) = reply else {
            tracing::info!(serial = %self.settings.serial, "project_file silently ignored (simulated)");
            return Vec::new();
        };
        self.acks += 1;
        // Real printers vary the case of `result`; so do we.
        let (result, reason, code) = match reply {
            Reply::Success => (
                ["success", "Success", "SUCCESS"][(self.acks % 3) as usize],
                String::new(),
                0,
            ),
            Reply::Failed { reason, code } => {
                (["FAILED", "failed"][(self.acks % 2) as usize], reason, code)
            }
        };
        let mut ack = json!({"print": {"command": command, "sequence_id": sequence_id, "result": result, "reason": reason}});
        if code != 0 {
            ack["print"]["err_code"] = json!(code);
        }
        let mut out = vec![ack.to_string()];
        out.extend(self.report(m, false));
        out
    }

    /// `None`: ignored (no answer at all).
    fn project_file(&mut self, m: &mut Machine, job: &bambu::ProjectFile) -> Option<Reply> {
        let f = self.settings.failures;
        let roll = self.rng.next_f64();
        if roll < f.ignore {
            return None;
        }
        if roll < f.ignore + f.refuse {
            return Some(Reply::Failed {
                reason: "simulated refusal".to_owned(),
                code: 0,
            });
        }
        let name = job.url.strip_prefix("file:///sdcard/").unwrap_or_default();
        let path = self.sdcard.join(name);
        let allowed = !name.is_empty() && !name.contains('/') && name.ends_with(".gcode.3mf");
        let plate_name = if job.plate.is_empty() {
            gcode::PLATE_GCODE
        } else {
            job.plate.as_str()
        };
        let read = allowed
            .then(|| std::fs::read(&path).ok())
            .flatten()
            .map(|bytes| gcode::read_plate(&bytes, plate_name).map(|p| (p, bytes)));
        let (plate, package) = match read {
            Some(Ok(read)) => read,
            Some(Err(error)) => {
                return Some(Reply::Failed {
                    reason: error.to_string(),
                    code: 0x0500_4003,
                });
            }
            None => {
                return Some(Reply::Failed {
                    reason: format!("{} was not received by FTPS", job.url),
                    code: 0x0500_4002,
                });
            }
        };
        let (fate, detection) = draw_fate(self.settings.seed, &job.url, &f);
        let reply = m.start(
            &job.url,
            &job.subtask_name,
            plate.estimated_secs,
            plate.layers,
            fate,
        );
        if reply == Reply::Success {
            if let Some((at, hms)) = detection {
                tracing::info!(serial = %self.settings.serial, at, hms = %hms.name(), "the printer's AI will flag this print (simulated)");
                m.detect(at, hms);
            }
            let text = gcode::plate_text(&package, plate_name).unwrap_or_default();
            *self.scene.lock().unwrap_or_else(|p| p.into_inner()) = Some(camera::Scene {
                file: job.url.clone(),
                plate: Arc::new(plate_view::Heightmap::from_gcode(&text)),
            });
        }
        Some(reply)
    }
}

/// A print's fate and the printer's AI detection (at which fraction,
/// which HMS), if any. Drawn from the printer's seed and the job's own
/// file name, not from the printer's running sequence: a restarted
/// simulator must not replay its earlier fates onto the next plates (a
/// re-print is a new plate, and would fail again).
pub fn draw_fate(seed: u64, url: &str, f: &FailureRates) -> (Fate, Option<(f64, Hms)>) {
    let mut rng = SplitMix64(seed ^ fnv1a(url.as_bytes()));
    let roll = rng.next_f64();
    let at = 0.1 + 0.8 * rng.next_f64();
    let fate = if roll < f.stop_fault {
        Fate::StopFault {
            at,
            code: 0x0300_4002,
        }
    } else if roll < f.stop_fault + f.pause_fault {
        Fate::PauseFault {
            at,
            code: ERROR_SPAGHETTI,
        }
    } else {
        Fate::Finish
    };
    // Drawn after the fate, so the fates of earlier runs stay as they were.
    let detection =
        (rng.next_f64() < f.ai_detection).then(|| (0.2 + 0.6 * rng.next_f64(), HMS_SPAGHETTI));
    (fate, detection)
}

/// FNV-1a, 64 bits: a stable hash of a job's name for its seeded fate.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ai_detection_share_follows_its_rate_and_leaves_the_fates_alone() {
        let rates = FailureRates {
            stop_fault: 0.1,
            ai_detection: 0.25,
            ..FailureRates::default()
        };
        let without = FailureRates {
            ai_detection: 0.0,
            ..rates
        };
        let urls: Vec<String> = (0..2000)
            .map(|i| format!("file:///sdcard/plate_{i}.gcode.3mf"))
            .collect();
        let flagged = urls
            .iter()
            .filter(|u| draw_fate(5, u, &rates).1.is_some())
            .count();
        // 2000 draws at p = 0.25: mean 500, sd about 19; 5 sd either way.
        assert!((403..=597).contains(&flagged), "{flagged} of 2000");
        for url in &urls {
            let (fate, detection) = draw_fate(5, url, &rates);
            assert_eq!(fate, draw_fate(5, url, &without).0, "{url}");
            if let Some((at, hms)) = detection {
                assert!((0.2..=0.8).contains(&at));
                assert_eq!(hms, HMS_SPAGHETTI);
            }
        }
        assert!(urls.iter().all(|u| draw_fate(5, u, &without).1.is_none()));
    }
}
