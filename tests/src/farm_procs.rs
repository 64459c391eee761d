//! The real farm as processes, for tests: the `farm-sim` binary (simulated
//! Bambu printers in LAN mode, each its own MQTT-over-TLS broker and FTPS
//! endpoint) and the `printer-gateway` binary (pull loop: claims plates from
//! the app, slices with PrusaSlicer, sends by FTPS, starts the print,
//! inspects with the simulated inspector, clears the plate), both pointed at
//! a [`TestApp`]. The one way tests start the farm (`production_e2e.rs`,
//! `browser_pages.rs`).
//!
//! The binaries are the ones cargo built beside the test executable
//! (`target/<profile>/`): `cargo test` over the workspace builds them
//! (`scripts/test.sh` does); a single test file needs
//! `cargo build -p printer-gateway -p farm-sim` first.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::TestApp;

/// A native binary built beside the running test (`target/<profile>/`).
pub fn sibling_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: cargo build -p {name}",
        path.display()
    );
    path
}

/// A child process that can be killed (SIGKILL) and started again with the
/// same environment; its output goes to `<name>.log` in the farm's folder.
#[derive(Debug)]
pub struct Proc {
    name: &'static str,
    env: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
    /// How many times it was started.
    pub starts: u32,
}

impl Proc {
    fn new(name: &'static str, env: Vec<(String, String)>, dir: &Path) -> Self {
        Self {
            name,
            env,
            log: dir.join(format!("{name}.log")),
            child: None,
            starts: 0,
        }
    }

    /// The binary with only this process's environment (and `PATH`, for
    /// the slicer), logging at `info`.
    fn command(&self) -> Command {
        let mut cmd = Command::new(sibling_binary(self.name));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "info");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        let child = self
            .command()
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", self.name));
        self.child = Some(child);
        self.starts += 1;
    }

    /// SIGKILL: no shutdown path runs, exactly like a crash or a power cut.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The last 40 lines of its log, for failure messages.
    pub fn tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Ports each slot of [`sim_base_port`] spans: three per printer today
/// (MQTT, FTPS and the camera), so up to 8 printers ([`check_ports`] says
/// when they overflow).
const PORTS_PER_SLOT: u16 = 24;
/// Slots between port 21000 and the ephemeral range: 21000 + 480 × 24 =
/// 32520 < 32768.
const SLOTS: u32 = 480;
/// Farms started by this test process, so two in one process get two slots.
static FARMS_STARTED: AtomicU32 = AtomicU32::new(0);

/// The simulated printers' first port. Below Linux's ephemeral range
/// (32768 and up), so that while the farm is down for a restart no outgoing
/// connection takes one of its ports and the restarted farm can listen
/// again; spread by process id (and farms started in this process) so
/// parallel runs do not meet.
fn sim_base_port(n: u32) -> u16 {
    let slot = (std::process::id() + n * 97) % SLOTS;
    21000 + slot as u16 * PORTS_PER_SLOT
}

/// Every `*_port` of the site file (`farm-sim --site-file`: each printer's
/// MQTT and FTPS ports, and any the simulation adds) lies in the farm's
/// slot and is free now.
fn check_ports(site_file: &[u8], base: u16) {
    let printers: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_slice(site_file).expect("the site file is a JSON list");
    for printer in &printers {
        for (name, value) in printer.iter().filter(|(k, _)| k.ends_with("_port")) {
            let port = value.as_u64().expect("a port number") as u16;
            assert!(
                (base..base + PORTS_PER_SLOT).contains(&port),
                "{name} {port} lies outside the farm's ports {base}..{}: fewer printers, \
                 or a larger PORTS_PER_SLOT",
                base + PORTS_PER_SLOT
            );
            assert!(
                std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(),
                "port {port} for the simulated printers is taken"
            );
        }
    }
}

/// How the farm is run. [`FarmOptions::new`] gives a quiet farm: nothing
/// fails, so a test's order goes through once; tests that want the issue's
/// failures set the rates.
#[derive(Debug, Clone)]
pub struct FarmOptions {
    /// The farm site's name (`POST /internal/farm/sites`).
    pub site: String,
    /// Simulated printers (`FARM_SIM_PRINTERS`), at most 8 (16 ports).
    pub printers: u16,
    /// The simulation's random seed (`FARM_SIM_SEED`).
    pub seed: u64,
    /// Simulated time per real second (`FARM_SIM_SPEED`): 600 prints a
    /// 40-minute plate in 4 s.
    pub speed: u32,
    /// Share of prints that stop with a fault (`FARM_SIM_STOP_FAULT_RATE`).
    pub print_failure_rate: f64,
    /// Share of inspections that fail (`FARM_SIM_INSPECTION_FAIL_RATE`,
    /// the gateway's simulated inspector).
    pub inspection_failure_rate: f64,
    /// The printers' loaded filaments, `MATERIAL:RRGGBBAA` comma separated
    /// (`FARM_SIM_FILAMENTS`, given round-robin); the catalog's `pla` in
    /// `black` is `PLA:000000FF`.
    pub filaments: String,
    /// Seconds after a plate's finish (and its inspections reaching the
    /// app) before the gateway clears it itself (`FARM_AUTO_CLEAR_SECS`,
    /// the simulated farm's plate changer); `None`: the plate waits for a
    /// person's clear (`POST /internal/farm/printers/{serial}/clear`).
    pub auto_clear_secs: Option<u32>,
}

impl FarmOptions {
    /// Two printers of black PLA (the pages' default material and colour),
    /// at 600× speed, that never fail, their plates cleared 1 s after each
    /// print.
    pub fn new(site: &str) -> Self {
        Self {
            site: site.to_owned(),
            printers: 2,
            seed: 1,
            speed: 600,
            print_failure_rate: 0.0,
            inspection_failure_rate: 0.0,
            filaments: "PLA:000000FF".to_owned(),
            auto_clear_secs: Some(1),
        }
    }
}

/// The running farm of one site: the simulated printers and their gateway.
/// Dropping it kills both (fields drop in order: the processes, then their
/// folder).
#[derive(Debug)]
pub struct Farm {
    pub sim: Proc,
    pub gateway: Proc,
    pub options: FarmOptions,
    _dir: TempDir,
}

fn owned(pairs: Vec<(&str, String)>) -> Vec<(String, String)> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

impl Farm {
    /// Creates the site in `app`, writes the simulated printers' site file
    /// (`farm-sim --site-file`: serials, ports, access codes), then starts
    /// the simulated printers and the gateway (ticking the app's work queue
    /// every 500 ms, claiming every 500 ms).
    pub async fn start(app: &TestApp, options: FarmOptions) -> Farm {
        let dir = tempfile::Builder::new()
            .prefix("farm-procs")
            .tempdir()
            .expect("temp dir");
        let token = app.farm_site_token(&options.site).await;
        let n = FARMS_STARTED.fetch_add(1, Ordering::Relaxed);
        let base = sim_base_port(n);
        let path = |name: &str| dir.path().join(name).display().to_string();
        let sim_env = owned(vec![
            ("FARM_SIM_MODE", "lan".to_owned()),
            ("FARM_SIM_DIR", path("sim")),
            ("FARM_SIM_PRINTERS", options.printers.to_string()),
            ("FARM_SIM_LAN_BASE_PORT", base.to_string()),
            (
                "FARM_SIM_SERIAL_TAG",
                format!("T{}N{n}", std::process::id()),
            ),
            ("FARM_SIM_SPEED", options.speed.to_string()),
            ("FARM_SIM_SEED", options.seed.to_string()),
            (
                "FARM_SIM_STOP_FAULT_RATE",
                options.print_failure_rate.to_string(),
            ),
            ("FARM_SIM_PAUSE_FAULT_RATE", "0".into()),
            ("FARM_SIM_REFUSE_RATE", "0".into()),
            ("FARM_SIM_IGNORE_RATE", "0".into()),
            ("FARM_SIM_REPORT_MS", "200".into()),
            ("FARM_SIM_FILAMENTS", options.filaments.clone()),
        ]);
        let mut sim = Proc::new("farm-sim", sim_env, dir.path());
        let site_file = dir.path().join("lan-printers.json");
        let out = sim
            .command()
            .arg("--site-file")
            .output()
            .expect("farm-sim --site-file");
        assert!(
            out.status.success(),
            "farm-sim --site-file: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(&site_file, &out.stdout).expect("site file");
        check_ports(&out.stdout, base);
        sim.start();

        let mut gateway_env = owned(vec![
            ("FARM_APP_URL", app.url("").trim_end_matches('/').to_owned()),
            ("FARM_SITE", options.site.clone()),
            ("FARM_SITE_TOKEN", token),
            ("FARM_INTERNAL_TOKEN", app.internal_token.clone()),
            ("FARM_TICK_EVERY_MS", "500".into()),
            ("FARM_PRINTER_LINK", "lan".into()),
            ("FARM_LAN_PRINTERS_FILE", site_file.display().to_string()),
            ("FARM_PIN_FILE", path("pins.json")),
            ("FARM_SPOOL_PATH", path("spool.redb")),
            ("FARM_CLAIM_POLL_MS", "500".into()),
            ("FARM_INSPECTOR", "simulated".into()),
            (
                "FARM_SIM_INSPECTION_FAIL_RATE",
                options.inspection_failure_rate.to_string(),
            ),
        ]);
        if let Some(secs) = options.auto_clear_secs {
            gateway_env.push(("FARM_AUTO_CLEAR_SECS".into(), secs.to_string()));
        }
        let mut gateway = Proc::new("printer-gateway", gateway_env, dir.path());
        gateway.start();
        Farm {
            sim,
            gateway,
            options,
            _dir: dir,
        }
    }

    /// Waits (up to 60 s) until every printer of the site has reported to
    /// the app through the gateway (registered and not `offline`); panics
    /// with both logs' tails otherwise. Returns how long it took.
    pub async fn wait_online(&self, app: &TestApp) -> Duration {
        let started = Instant::now();
        let want = i64::from(self.options.printers);
        loop {
            let online: i64 = app
                .scalar(
                    "select count(*) from printers p join farm_sites s on s.id = p.site_id \
                     where s.name = $1 and p.status <> 'offline'",
                    &[&self.options.site],
                )
                .await;
            if online >= want {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{online} of {want} printers online after 60 s\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Both processes' log tails, for failure messages.
    pub fn logs(&self) -> String {
        format!(
            "--- printer-gateway\n{}\n--- farm-sim\n{}",
            self.gateway.tail(),
            self.sim.tail()
        )
    }
}
