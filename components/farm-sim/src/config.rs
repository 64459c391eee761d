//! The simulator's settings, from the environment, with defaults for local runs.

use std::time::Duration;

use anyhow::{Context, ensure};
use printer_gateway::config::parse_mqtt_url;

use crate::farm::FarmSettings;
use crate::lan::{FailureRates, LanFarmSettings};
use printer_gateway::lan::Filament;

/// `FARM_SIM_MODE`: `bridge` (default; every printer on the shared broker)
/// or `lan` (each printer its own TLS broker and FTPS endpoint).
pub fn lan_mode(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<bool> {
    match lookup("FARM_SIM_MODE").as_deref() {
        None | Some("bridge") => Ok(false),
        Some("lan") => Ok(true),
        Some(other) => anyhow::bail!("FARM_SIM_MODE={other:?}: bridge or lan"),
    }
}

/// `FARM_SIM_FILAMENTS` (`MATERIAL:RRGGBBAA` comma separated), or the one
/// filament of `FARM_SIM_MATERIAL` and `FARM_SIM_COLOR`.
fn filaments(lookup: &impl Fn(&str) -> Option<String>) -> anyhow::Result<Vec<Filament>> {
    let Some(list) = lookup("FARM_SIM_FILAMENTS").filter(|l| !l.trim().is_empty()) else {
        return Ok(vec![Filament {
            material: lookup("FARM_SIM_MATERIAL").unwrap_or_else(|| "PLA".to_owned()),
            color: lookup("FARM_SIM_COLOR").unwrap_or_else(|| "FFFFFFFF".to_owned()),
        }]);
    };
    list.split(',')
        .map(|entry| {
            let (material, color) = entry.trim().split_once(':').unwrap_or((entry.trim(), ""));
            let hex = color.len() == 8 && color.bytes().all(|b| b.is_ascii_hexdigit());
            ensure!(
                !material.is_empty() && hex,
                "FARM_SIM_FILAMENTS: {entry:?} is not MATERIAL:RRGGBBAA"
            );
            Ok(Filament {
                material: material.to_owned(),
                color: color.to_ascii_uppercase(),
            })
        })
        .collect()
}

impl LanFarmSettings {
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let number = |name: &str, default: f64| -> anyhow::Result<f64> {
            match lookup(name) {
                None => Ok(default),
                Some(text) => text
                    .trim()
                    .parse()
                    .ok()
                    .with_context(|| format!("{name}={text:?} is not a number")),
            }
        };
        let rate_or = |name: &str, default: f64| -> anyhow::Result<f64> {
            let r = number(name, default)?;
            ensure!((0.0..=1.0).contains(&r), "{name} must be within 0..=1");
            Ok(r)
        };
        let rate = |name: &str| rate_or(name, 0.02);
        let failures = FailureRates {
            refuse: rate("FARM_SIM_REFUSE_RATE")?,
            ignore: rate("FARM_SIM_IGNORE_RATE")?,
            stop_fault: rate("FARM_SIM_STOP_FAULT_RATE")?,
            pause_fault: rate("FARM_SIM_PAUSE_FAULT_RATE")?,
            ai_detection: rate_or("FARM_SIM_AI_DETECTION_RATE", 0.0)?,
        };
        ensure!(
            failures.refuse + failures.ignore <= 1.0,
            "FARM_SIM_REFUSE_RATE + FARM_SIM_IGNORE_RATE must be at most 1"
        );
        ensure!(
            failures.stop_fault + failures.pause_fault <= 1.0,
            "FARM_SIM_STOP_FAULT_RATE + FARM_SIM_PAUSE_FAULT_RATE must be at most 1"
        );
        let printers = number("FARM_SIM_PRINTERS", 10.0)?;
        ensure!(
            printers >= 0.0 && printers.fract() == 0.0 && printers <= 1000.0,
            "FARM_SIM_PRINTERS must be a whole number up to 1000"
        );
        let base_port = number("FARM_SIM_LAN_BASE_PORT", 18830.0)?;
        ensure!(
            base_port >= 1024.0
                && base_port.fract() == 0.0
                && base_port + 3.0 * printers <= 65535.0,
            "FARM_SIM_LAN_BASE_PORT must leave three ports per printer below 65536"
        );
        let speed = number("FARM_SIM_SPEED", 60.0)?;
        ensure!(speed > 0.0, "FARM_SIM_SPEED must be above zero");
        Ok(Self {
            printers: printers as usize,
            serial_tag: lookup("FARM_SIM_SERIAL_TAG").unwrap_or_else(|| "SIM".to_owned()),
            base_port: base_port as u16,
            speed,
            failures,
            seed: number("FARM_SIM_SEED", 1.0)? as u64,
            dir: lookup("FARM_SIM_DIR")
                .map(Into::into)
                .unwrap_or_else(|| std::env::temp_dir().join("farm-sim-lan")),
            filaments: filaments(&lookup)?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct SimConfig {
    /// `FARM_MQTT_URL` (mqtt://127.0.0.1:11883).
    pub mqtt_host: String,
    pub mqtt_port: u16,
    /// `FARM_SIM_REPORT_MS`: real time between two reports of each printer (1000).
    pub report_every: Duration,
    /// `FARM_SIM_SPEED`: simulated seconds per real second (60: a 45-minute print takes 45 s).
    pub speed: f64,
    /// `FARM_SIM_PRINTERS` (10), `FARM_SIM_SERIAL_TAG` (SIM), `FARM_SIM_PRINT_MINUTES` (45),
    /// `FARM_SIM_FAILURE_RATE` (0.05), `FARM_SIM_SEED` (1).
    pub farm: FarmSettings,
}

impl SimConfig {
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        fn number<T: std::str::FromStr>(
            lookup: &dyn Fn(&str) -> Option<String>,
            name: &str,
            default: T,
        ) -> anyhow::Result<T> {
            match lookup(name) {
                None => Ok(default),
                Some(text) => text
                    .trim()
                    .parse()
                    .ok()
                    .with_context(|| format!("{name}={text:?} is not a number")),
            }
        }
        let defaults = FarmSettings::default();
        let url = lookup("FARM_MQTT_URL").unwrap_or_else(|| "mqtt://127.0.0.1:11883".to_owned());
        let (mqtt_host, mqtt_port) = parse_mqtt_url(&url)?;
        let config = Self {
            mqtt_host,
            mqtt_port,
            report_every: Duration::from_millis(number(&lookup, "FARM_SIM_REPORT_MS", 1000)?),
            speed: number(&lookup, "FARM_SIM_SPEED", 60.0)?,
            farm: FarmSettings {
                printers: number(&lookup, "FARM_SIM_PRINTERS", defaults.printers)?,
                serial_tag: lookup("FARM_SIM_SERIAL_TAG").unwrap_or(defaults.serial_tag),
                print_minutes: number(&lookup, "FARM_SIM_PRINT_MINUTES", defaults.print_minutes)?,
                failure_rate: number(&lookup, "FARM_SIM_FAILURE_RATE", defaults.failure_rate)?,
                seed: number(&lookup, "FARM_SIM_SEED", defaults.seed)?,
                ..defaults
            },
        };
        ensure!(
            config.report_every >= Duration::from_millis(10),
            "FARM_SIM_REPORT_MS must be at least 10"
        );
        ensure!(config.speed > 0.0, "FARM_SIM_SPEED must be above zero");
        ensure!(
            (0.0..=1.0).contains(&config.farm.failure_rate),
            "FARM_SIM_FAILURE_RATE must be within 0..=1"
        );
        ensure!(
            config.farm.print_minutes > 0.0,
            "FARM_SIM_PRINT_MINUTES must be above zero"
        );
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use printer_gateway::camera::CameraKind;

    #[test]
    fn defaults_simulate_ten_printers_at_sixty_times_speed() {
        let config = SimConfig::from_lookup(|_| None).expect("defaults");
        assert_eq!((config.farm.printers, config.speed), (10, 60.0));
        assert_eq!(
            (config.mqtt_host.as_str(), config.mqtt_port),
            ("127.0.0.1", 11883)
        );
    }

    #[test]
    fn lan_settings_give_each_printer_three_ports_and_a_site_file_entry() {
        let vars = [
            ("FARM_SIM_PRINTERS", "3"),
            ("FARM_SIM_LAN_BASE_PORT", "20000"),
            ("FARM_SIM_SPEED", "120"),
        ];
        let lookup = |n: &str| {
            vars.iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        };
        assert!(!lan_mode(|_| None).expect("default"));
        assert!(lan_mode(|n| (n == "FARM_SIM_MODE").then(|| "lan".to_owned())).expect("lan"));
        let lan = LanFarmSettings::from_lookup(lookup).expect("valid");
        let printers = lan.printers();
        let ports: Vec<(u16, u16, u16)> = printers
            .iter()
            .map(|p| (p.mqtt.port(), p.ftps.port(), p.camera.port()))
            .collect();
        // MQTT and FTPS in pairs, then the cameras after the last pair.
        assert_eq!(
            ports,
            [
                (20000, 20001, 20006),
                (20002, 20003, 20007),
                (20004, 20005, 20008)
            ]
        );
        assert_eq!(
            printers.iter().filter(|p| p.full_reports).count(),
            1,
            "one X1C of three"
        );
        let site = printer_gateway::lan::parse_site_printers("site", &lan.site_file())
            .expect("the gateway reads it");
        assert_eq!(site.len(), 3);
        assert_eq!(site[1].access_code.expose(), printers[1].access_code);
        assert_eq!(site[2].mqtt_port, 20004);
        // Every simulated printer, the X1C too, streams as a P1 does.
        assert!(site.iter().all(|p| p.camera == CameraKind::ChamberImage));
        assert_eq!(site[1].camera_port, 20007);
        assert_eq!(lan.failures.ai_detection, 0.0, "off unless asked for");
        let mixed = LanFarmSettings::from_lookup(|n| {
            (n == "FARM_SIM_FILAMENTS").then(|| "PLA:000000FF, petg:ffffffff".to_owned())
        })
        .expect("filaments");
        let loaded: Vec<(String, String)> = mixed
            .printers()
            .iter()
            .take(3)
            .map(|p| (p.filament.material.clone(), p.filament.color.clone()))
            .collect();
        assert_eq!(
            loaded,
            [
                ("PLA".into(), "000000FF".into()),
                ("petg".into(), "FFFFFFFF".into()),
                ("PLA".into(), "000000FF".into())
            ]
        );
        for (name, value) in [
            ("FARM_SIM_FILAMENTS", "PLA"),
            ("FARM_SIM_REFUSE_RATE", "2"),
            ("FARM_SIM_LAN_BASE_PORT", "65534"),
            ("FARM_SIM_AI_DETECTION_RATE", "1.5"),
            ("FARM_SIM_SPEED", "-1"),
        ] {
            let err = LanFarmSettings::from_lookup(|n| (n == name).then(|| value.to_owned()))
                .expect_err(name);
            assert!(format!("{err:#}").contains(name), "{err:#}");
        }
    }

    #[test]
    fn bad_values_are_refused_by_name() {
        for (name, value) in [
            ("FARM_SIM_PRINTERS", "many"),
            ("FARM_SIM_FAILURE_RATE", "1.5"),
            ("FARM_SIM_SPEED", "0"),
            ("FARM_MQTT_URL", "http://x"),
        ] {
            let err =
                SimConfig::from_lookup(|n| (n == name).then(|| value.to_owned())).expect_err(name);
            assert!(format!("{err:#}").contains(name), "{err:#}");
        }
    }
}
