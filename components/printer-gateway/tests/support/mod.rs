//! Helpers of the production tests: simulated LAN printers (farm-sim, in
//! this process), the fake app, a gateway site in this process or as the
//! real binary in a child process, meshes.

#![allow(dead_code)]

pub mod fake_app;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use farm_sim::lan::{self, FailureRates, PrinterSettings, RunningPrinter};
use printer_gateway::link::AppLink;
use printer_gateway::production::SharedFloor;
use printer_gateway::roster::PrinterSpec;
use printer_gateway::testing::unique_tag;
use printer_gateway::{Config, Recorder, Secret, Sender, Spool, lan_worker};
use serde_json::Value;

pub use fake_app::{FakeApp, PartSpec};

pub use farm_sim::testing::{block_stl, logs};

/// A simulated P1S (delta reports) loaded with black PLA, 30 s of PREPARE.
pub fn printer(speed: f64, failures: FailureRates, dir: &Path) -> PrinterSettings {
    let serial = format!("01P{}", &unique_tag()[..10].to_uppercase());
    PrinterSettings {
        speed,
        seed: 11,
        prepare_secs: 30.0,
        ..farm_sim::testing::printer(&serial, failures, dir)
    }
}

pub async fn start_printer(settings: &PrinterSettings) -> RunningPrinter {
    logs();
    lan::start(settings.clone())
        .await
        .expect("simulated printer")
}

/// The gateway's site file for `printers` (`FARM_LAN_PRINTERS_FILE`).
pub fn site_file(printers: &[&PrinterSettings], path: &Path) {
    farm_sim::testing::write_site_file(printers, path);
}

/// One simulated printer, the fake app serving `cube.stl` (15 mm) and
/// `bar.stl` (30 × 10 × 6 mm), and the site file: what most production
/// tests start from.
pub struct OnePrinter {
    pub dir: tempfile::TempDir,
    pub settings: PrinterSettings,
    pub running: std::sync::Arc<RunningPrinter>,
    pub app: FakeApp,
}

impl OnePrinter {
    pub async fn start(speed: f64, failures: FailureRates) -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let settings = printer(speed, failures, dir.path());
        let running = std::sync::Arc::new(start_printer(&settings).await);
        let app = FakeApp::start().await;
        app.serve_mesh("cube.stl", block_stl(15.0, 15.0, 15.0));
        app.serve_mesh("bar.stl", block_stl(30.0, 10.0, 6.0));
        site_file(&[&settings], &dir.path().join("site.json"));
        Self {
            dir,
            settings,
            running,
            app,
        }
    }

    /// [`gateway_env`] with `overrides` (name, value) applied.
    pub fn env(&self, auto_clear: &str, overrides: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env = gateway_env(&self.app, self.dir.path(), auto_clear);
        for (name, value) in overrides {
            match env.iter_mut().find(|(k, _)| k == name) {
                Some(slot) => slot.1 = (*value).to_owned(),
                None => env.push(((*name).to_owned(), (*value).to_owned())),
            }
        }
        env
    }

    /// The gateway, in this process, on `env`.
    pub fn gateway(&self, env: &[(String, String)]) -> InProcess {
        start_in_process(env, &[&self.settings])
    }
}

/// The gateway's environment: LAN mode, the fake app, the pull loop
/// polling fast, auto clear after `auto_clear`, the simulated inspector.
pub fn gateway_env(app: &FakeApp, state: &Path, auto_clear: &str) -> Vec<(String, String)> {
    [
        ("FARM_PRINTER_LINK", "lan".to_owned()),
        ("FARM_APP_URL", app.url.clone()),
        ("FARM_SITE_TOKEN", app.token.clone()),
        (
            "FARM_LAN_PRINTERS_FILE",
            state.join("site.json").display().to_string(),
        ),
        (
            "FARM_PIN_FILE",
            state.join("pins.json").display().to_string(),
        ),
        (
            "FARM_SPOOL_PATH",
            state.join("spool.redb").display().to_string(),
        ),
        ("FARM_TICK_EVERY_MS", "0".to_owned()),
        ("FARM_CLAIM_POLL_MS", "300".to_owned()),
        ("FARM_START_TIMEOUT_SECS", "20".to_owned()),
        ("FARM_AUTO_CLEAR_SECS", auto_clear.to_owned()),
        ("FARM_INSPECTOR", "simulated".to_owned()),
        ("FARM_SIM_INSPECTION_FAIL_RATE", "0".to_owned()),
        ("FARM_MQTT_CLIENT_ID", format!("gw-{}", unique_tag())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// A gateway site in this process (report loop, lanes, sender).
pub struct InProcess {
    pub floor: SharedFloor,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for InProcess {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

pub fn start_in_process(env: &[(String, String)], printers: &[&PrinterSettings]) -> InProcess {
    let config =
        Config::from_lookup(|name| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
            .expect("config");
    let spool = Spool::open(&config.spool_path).expect("spool");
    let recorder = Recorder::new(spool.clone()).expect("recorder");
    let app = AppLink::new(
        &config.app_url,
        config.site_token.clone().unwrap_or_else(|| Secret::new("")),
    );
    let roster: Vec<PrinterSpec> = printers
        .iter()
        .map(|p| PrinterSpec {
            serial: p.serial.clone(),
            model: "P1S".into(),
        })
        .collect();
    let sender = Sender::new(spool, app.clone(), roster, 50, recorder.notifier());
    let site = lan_worker::Site::start(&config, recorder, app).expect("site");
    let floor = site.floor();
    let tasks = vec![
        tokio::spawn(async move {
            let _ = site.run().await;
        }),
        tokio::spawn(async move {
            let _ = sender.run().await;
        }),
    ];
    InProcess { floor, tasks }
}

/// The real gateway binary, killed (SIGKILL) when dropped.
pub struct Binary {
    child: Child,
    log: PathBuf,
}

impl Binary {
    pub fn start(env: &[(String, String)], log: PathBuf) -> Self {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_printer-gateway"))
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("RUST_LOG", "info")
            .stdout(Stdio::from(file.try_clone().expect("log")))
            .stderr(Stdio::from(file))
            .spawn()
            .expect("printer-gateway starts");
        Self { child, log }
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The applied events naming a plate.
pub fn plate_events(app: &FakeApp) -> Vec<Value> {
    app.state()
        .events
        .iter()
        .filter(|e| e.get("plate_id").is_some())
        .cloned()
        .collect()
}

/// Their kinds, in order.
pub fn kinds(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A 15 mm cube and a 30 × 10 × 6 bar turned a quarter, side by side.
pub fn cube_and_bar() -> Vec<PartSpec> {
    vec![
        PartSpec {
            mesh: "cube.stl".into(),
            center_mm: [70.0, 128.0],
            rotation_deg: 0.0,
        },
        PartSpec {
            mesh: "bar.stl".into(),
            center_mm: [170.0, 128.0],
            rotation_deg: 90.0,
        },
    ]
}

/// Waits until `done` holds, at most `limit`.
pub async fn until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The extruding moves' (x, y) above `min_z` in a `.gcode.3mf`'s plate G-code.
pub fn printed_points(package: &[u8], min_z: f64) -> Vec<[f64; 2]> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(package)).expect("zip");
    let mut text = String::new();
    zip.by_name("Metadata/plate_1.gcode")
        .expect("plate G-code")
        .read_to_string(&mut text)
        .expect("read");
    let (mut x, mut y, mut z) = (0.0, 0.0, 0.0);
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split(';').next().unwrap_or_default().trim();
        if !(code.starts_with("G1 ") || code.starts_with("G0 ")) {
            continue;
        }
        let mut extrudes = false;
        for word in code.split_whitespace().skip(1) {
            let (letter, value) = word.split_at(1);
            let Ok(value) = value.parse::<f64>() else {
                continue;
            };
            match letter {
                "X" => x = value,
                "Y" => y = value,
                "Z" => z = value,
                "E" => extrudes = value > 0.0,
                _ => {}
            }
        }
        if extrudes && z > min_z {
            out.push([x, y]);
        }
    }
    out
}

/// `(width, height, RGB)` of a PNG.
pub fn png_pixels(png: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut reader = png::Decoder::new(png).read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("its pixels");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width as usize, info.height as usize, buf)
}
