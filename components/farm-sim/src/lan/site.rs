//! The simulated farm's printers in LAN mode, as configured: serials,
//! access codes, ports, filaments, and the gateway's site file for them.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use printer_gateway::bambu;
use printer_gateway::lan::Filament;
use serde_json::{Value, json};

use super::{FailureRates, PrinterSettings};
use crate::farm::SplitMix64;

/// A LAN-mode farm's settings (`farm-sim` with `FARM_SIM_MODE=lan`).
#[derive(Debug, Clone)]
pub struct LanFarmSettings {
    /// `FARM_SIM_PRINTERS` (10).
    pub printers: usize,
    /// `FARM_SIM_SERIAL_TAG` (SIM).
    pub serial_tag: String,
    /// `FARM_SIM_LAN_BASE_PORT` (18830): printer `i` of `n` listens for
    /// MQTT on `base + 2i`, for FTPS on `base + 2i + 1` and for its camera
    /// on `base + 2n + i`, on 127.0.0.1.
    pub base_port: u16,
    /// `FARM_SIM_SPEED` (60).
    pub speed: f64,
    /// `FARM_SIM_REFUSE_RATE`, `FARM_SIM_IGNORE_RATE`,
    /// `FARM_SIM_STOP_FAULT_RATE`, `FARM_SIM_PAUSE_FAULT_RATE` (all 0.02),
    /// `FARM_SIM_AI_DETECTION_RATE` (0).
    pub failures: FailureRates,
    /// `FARM_SIM_SEED` (1): failures and access codes.
    pub seed: u64,
    /// `FARM_SIM_DIR`: certificates and SD cards.
    pub dir: PathBuf,
    /// What each printer has loaded, printer `i` the `i mod n`-th:
    /// `FARM_SIM_FILAMENTS` (`PLA:000000FF,PETG:FFFFFFFF`: Bambu's
    /// `tray_type` and `tray_color` words), else `FARM_SIM_MATERIAL` (PLA)
    /// and `FARM_SIM_COLOR` (FFFFFFFF) on every printer.
    pub filaments: Vec<Filament>,
}

impl LanFarmSettings {
    /// Each printer's settings. Serials alternate P1S (delta reports) and
    /// X1C (full reports) as the bridge farm's do.
    pub fn printers(&self) -> Vec<PrinterSettings> {
        let mut codes = SplitMix64(self.seed ^ 0xACCE55);
        (0..self.printers)
            .map(|i| {
                let prefix = ["01P", "00M"][i % 2];
                let serial = format!("{prefix}{}{i:03}", self.serial_tag);
                let port = self.base_port + 2 * i as u16;
                PrinterSettings {
                    access_code: format!("{:08}", (codes.next_f64() * 1e8) as u64),
                    mqtt: SocketAddr::from(([127, 0, 0, 1], port)),
                    ftps: SocketAddr::from(([127, 0, 0, 1], port + 1)),
                    camera: SocketAddr::from((
                        [127, 0, 0, 1],
                        self.base_port + 2 * self.printers as u16 + i as u16,
                    )),
                    filament: self.filaments[i % self.filaments.len().max(1)].clone(),
                    full_reports: prefix == "00M",
                    speed: self.speed,
                    report_every: Duration::from_secs(1),
                    failures: self.failures,
                    seed: self.seed.wrapping_add(i as u64),
                    dir: self.dir.join(&serial),
                    prepare_secs: 120.0,
                    serial,
                }
            })
            .collect()
    }

    /// The gateway's site file for these printers (`FARM_LAN_PRINTERS_FILE`).
    pub fn site_file(&self) -> String {
        let printers: Vec<Value> = self.printers().iter().map(site_entry).collect();
        serde_json::to_string_pretty(&printers).unwrap_or_default()
    }
}

/// A simulated printer's entry in the gateway's site file: its serial,
/// model (from the serial), loopback ports, access code and filament.
/// Every simulated printer streams its camera as a P1 does.
pub fn site_entry(p: &PrinterSettings) -> Value {
    json!({
        "serial": p.serial,
        "model": bambu::model_from_serial(&p.serial),
        "host": p.mqtt.ip().to_string(),
        "mqtt_port": p.mqtt.port(),
        "ftps_port": p.ftps.port(),
        "camera": "chamber_image",
        "camera_port": p.camera.port(),
        "access_code": p.access_code,
        "filament": p.filament,
    })
}
