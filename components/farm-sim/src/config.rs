//! The simulator's settings, from the environment, with defaults for local runs.

use std::time::Duration;

use anyhow::{Context, ensure};
use printer_gateway::config::parse_mqtt_url;

use crate::farm::FarmSettings;

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
