//! The gateway's one configuration struct: defaults that run against the
//! private services of `scripts/services.sh`, each overridable by environment.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::bambu::REPORT_TOPIC_FILTER;
use crate::roster::{PrinterSpec, RosterError, parse_printers};

/// Errors from reading the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not a valid value: {value:?} ({reason})")]
    Invalid {
        name: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("FARM_PRINTERS: {0}")]
    Printers(#[from] RosterError),
}

/// A secret that never shows in logs: `Debug` and `Display` print a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `FARM_MQTT_URL`, `mqtt://host:port`.
    pub mqtt_host: String,
    pub mqtt_port: u16,
    /// `FARM_MQTT_CLIENT_ID`; one per running gateway.
    pub mqtt_client_id: String,
    /// `FARM_MQTT_TOPICS`, comma separated; every printer's reports by default.
    pub topics: Vec<String>,
    /// `FARM_SITE`: this site's name, for logs and the MQTT client id (the
    /// app knows the site by its token).
    pub site: String,
    /// `FARM_SITE_TOKEN`: the site's token for the app's internal farm
    /// routes (`fst_...`, from `scripts/site-token.sh`). Required to run.
    pub site_token: Option<Secret>,
    /// `FARM_SPOOL_PATH` (`printer-gateway-spool.redb`): the durable spool
    /// of events the app has not acknowledged. One gateway per file.
    pub spool_path: PathBuf,
    /// `FARM_EVENT_BATCH` (100): most events per call to the app (1 to 500).
    pub event_batch: usize,
    /// `FARM_INTERNAL_TOKEN`: the app's internal token, only for calling the
    /// tick route locally (production's cron calls it instead); events and
    /// work use the site token.
    pub internal_token: Option<Secret>,
    /// `FARM_APP_URL`: where the app's internal routes are; `https://` in
    /// production, `http://` to a local app on loopback.
    pub app_url: String,
    /// `FARM_OFFLINE_AFTER_SECS`: silence after which a printer counts as offline.
    pub offline_after: Duration,
    /// `FARM_PRINTERS`: this site's printers, `serial[=model]` comma
    /// separated (see `roster::parse_printers`). Reports from any other
    /// serial are ignored. Empty by default: a site without printers.
    pub printers: Vec<PrinterSpec>,
    /// `FARM_TICK_EVERY_MS` (2000): how often the gateway calls the app's
    /// tick route (`POST {FARM_APP_URL}/internal/tick`, with
    /// `FARM_INTERNAL_TOKEN`) to drain background work; `0` turns it off.
    /// Without a token there is no ticker either.
    pub tick_every: Option<Duration>,
    /// `FARM_PRINTER_LINK`: `bridge` (default: every printer's reports
    /// through one shared broker, `FARM_MQTT_URL`) or `lan` (one TLS
    /// connection per printer, to its own broker; see `lan`).
    pub printer_link: PrinterLink,
    /// `FARM_LAN_PRINTERS_FILE`: the site's printers in LAN mode (JSON; see
    /// `lan::parse_site_printers`). Required in LAN mode.
    pub lan_printers_file: Option<String>,
    /// `FARM_PIN_FILE` (`printer-pins.json`): the printers' pinned certificates.
    pub pin_file: String,
    /// `FARM_START_TIMEOUT_SECS` (120): how long a dispatched printer has to
    /// reach PREPARE/RUNNING before the dispatch counts as failed.
    pub start_timeout: Duration,
    /// `FARM_CLAIM_POLL_MS` (10000): in LAN mode, how long an idle printer
    /// waits before asking the app for a plate again after an answer
    /// without one (`queue_empty`, `awaiting_clear`, `needs_attention`,
    /// `busy`) or an error; `0` turns the pull loop off (the gateway then
    /// only reports).
    pub claim_every: Option<Duration>,
    /// `FARM_AUTO_CLEAR_SECS` (unset: off): the simulated farm's automatic
    /// plate changer. This long after a plate finished (and its
    /// inspections reached the app) the gateway tells the app the bed is
    /// clear (`POST /internal/farm/printers/{serial}/clear`). Real printers
    /// leave it unset: a person confirms the clear.
    pub auto_clear: Option<Duration>,
    /// `FARM_INSPECTOR` (`none`): `simulated` renders each finished part
    /// from its mesh and judges it (the simulated farm); `camera` uploads a
    /// still from the printer's camera (`camera.png`) and leaves the
    /// verdict to a person, as `none` does without a photo. With any of
    /// them the printer's own AI detections fail a part (`source: printer`).
    pub inspector: InspectorKind,
    /// `FARM_SIM_INSPECTION_FAIL_RATE` (0.05): the simulated inspector's
    /// share of failed parts, 0 to 1.
    pub inspection_fail_rate: f64,
    /// `FARM_SIM_SEED` (1): the simulated inspector's seed (the farm-sim's too).
    pub sim_seed: u64,
}

/// Who judges a finished part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InspectorKind {
    None,
    Simulated,
    Camera,
}

/// How the gateway reaches its printers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrinterLink {
    Bridge,
    Lan,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from any variable lookup (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str, default: &str| lookup(name).unwrap_or_else(|| default.to_owned());
        let mqtt_url = get("FARM_MQTT_URL", "mqtt://127.0.0.1:11883");
        let (mqtt_host, mqtt_port) = parse_mqtt_url(&mqtt_url)?;
        let site = get("FARM_SITE", "local");
        let offline_secs = get("FARM_OFFLINE_AFTER_SECS", "30");
        let offline_secs: u64 =
            offline_secs
                .parse()
                .ok()
                .filter(|s| *s > 0)
                .ok_or(ConfigError::Invalid {
                    name: "FARM_OFFLINE_AFTER_SECS",
                    value: offline_secs,
                    reason: "a whole number of seconds above zero",
                })?;
        let tick_ms = get("FARM_TICK_EVERY_MS", "2000");
        let tick_ms: u64 = tick_ms.parse().map_err(|_| ConfigError::Invalid {
            name: "FARM_TICK_EVERY_MS",
            value: tick_ms,
            reason: "a whole number of milliseconds (0 turns the ticker off)",
        })?;
        let batch = get("FARM_EVENT_BATCH", "100");
        let event_batch: usize =
            batch
                .parse()
                .ok()
                .filter(|b| (1..=500).contains(b))
                .ok_or(ConfigError::Invalid {
                    name: "FARM_EVENT_BATCH",
                    value: batch,
                    reason: "a whole number from 1 to 500",
                })?;
        let printer_link = match get("FARM_PRINTER_LINK", "bridge").as_str() {
            "bridge" => PrinterLink::Bridge,
            "lan" => PrinterLink::Lan,
            other => {
                return Err(ConfigError::Invalid {
                    name: "FARM_PRINTER_LINK",
                    value: other.to_owned(),
                    reason: "bridge or lan",
                });
            }
        };
        let start_secs = get("FARM_START_TIMEOUT_SECS", "120");
        let start_secs: u64 =
            start_secs
                .parse()
                .ok()
                .filter(|s| *s > 0)
                .ok_or(ConfigError::Invalid {
                    name: "FARM_START_TIMEOUT_SECS",
                    value: start_secs,
                    reason: "a whole number of seconds above zero",
                })?;
        let lan_printers_file = lookup("FARM_LAN_PRINTERS_FILE").filter(|f| !f.is_empty());
        if printer_link == PrinterLink::Lan && lan_printers_file.is_none() {
            return Err(ConfigError::Invalid {
                name: "FARM_LAN_PRINTERS_FILE",
                value: String::new(),
                reason: "LAN mode needs the site's printer file",
            });
        }
        let claim_ms = get("FARM_CLAIM_POLL_MS", "10000");
        let claim_ms: u64 = claim_ms.parse().map_err(|_| ConfigError::Invalid {
            name: "FARM_CLAIM_POLL_MS",
            value: claim_ms,
            reason: "a whole number of milliseconds (0 turns the pull loop off)",
        })?;
        let auto_clear = match lookup("FARM_AUTO_CLEAR_SECS").filter(|v| !v.is_empty()) {
            None => None,
            Some(text) => Some(Duration::from_secs_f64(
                text.parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1e7)
                    .ok_or(ConfigError::Invalid {
                        name: "FARM_AUTO_CLEAR_SECS",
                        value: text,
                        reason: "seconds, 0 or more (unset turns automatic clearing off)",
                    })?,
            )),
        };
        let inspector = match get("FARM_INSPECTOR", "none").as_str() {
            "none" => InspectorKind::None,
            "simulated" => InspectorKind::Simulated,
            "camera" => InspectorKind::Camera,
            other => {
                return Err(ConfigError::Invalid {
                    name: "FARM_INSPECTOR",
                    value: other.to_owned(),
                    reason: "none, simulated or camera",
                });
            }
        };
        let rate = get("FARM_SIM_INSPECTION_FAIL_RATE", "0.05");
        let inspection_fail_rate: f64 = rate
            .parse()
            .ok()
            .filter(|r| (0.0..=1.0).contains(r))
            .ok_or(ConfigError::Invalid {
                name: "FARM_SIM_INSPECTION_FAIL_RATE",
                value: rate,
                reason: "a share from 0 to 1",
            })?;
        let seed = get("FARM_SIM_SEED", "1");
        let sim_seed: u64 = seed.parse().map_err(|_| ConfigError::Invalid {
            name: "FARM_SIM_SEED",
            value: seed,
            reason: "a whole number",
        })?;
        Ok(Self {
            claim_every: (claim_ms > 0).then(|| Duration::from_millis(claim_ms)),
            auto_clear,
            inspector,
            inspection_fail_rate,
            sim_seed,
            printer_link,
            lan_printers_file,
            pin_file: get("FARM_PIN_FILE", "printer-pins.json"),
            start_timeout: Duration::from_secs(start_secs),
            mqtt_host,
            mqtt_port,
            mqtt_client_id: get("FARM_MQTT_CLIENT_ID", &format!("printer-gateway-{site}")),
            topics: get("FARM_MQTT_TOPICS", REPORT_TOPIC_FILTER)
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
            site,
            site_token: lookup("FARM_SITE_TOKEN")
                .filter(|t| !t.is_empty())
                .map(Secret),
            spool_path: PathBuf::from(get("FARM_SPOOL_PATH", "printer-gateway-spool.redb")),
            event_batch,
            internal_token: lookup("FARM_INTERNAL_TOKEN")
                .filter(|t| !t.is_empty())
                .map(Secret),
            app_url: get("FARM_APP_URL", "http://127.0.0.1:3000"),
            offline_after: std::time::Duration::from_secs(offline_secs),
            printers: parse_printers(&get("FARM_PRINTERS", ""))?,
            tick_every: (tick_ms > 0).then(|| Duration::from_millis(tick_ms)),
        })
    }
}

/// Splits `mqtt://host:port` (or `tcp://`) into host and port; the port defaults to 1883.
pub fn parse_mqtt_url(url: &str) -> Result<(String, u16), ConfigError> {
    let invalid = |reason| ConfigError::Invalid {
        name: "FARM_MQTT_URL",
        value: url.to_owned(),
        reason,
    };
    let rest = url
        .strip_prefix("mqtt://")
        .or_else(|| url.strip_prefix("tcp://"))
        .ok_or_else(|| invalid("expected mqtt://host:port (TLS is not supported yet)"))?;
    let rest = rest.trim_end_matches('/');
    let (host, port) = rest.rsplit_once(':').unwrap_or((rest, "1883"));
    let port = port
        .parse()
        .map_err(|_| invalid("the port is not a number"))?;
    if host.is_empty() {
        return Err(invalid("the host is empty"));
    }
    Ok((host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_point_at_the_local_services() {
        let c = config(&[]).expect("defaults");
        assert_eq!((c.mqtt_host.as_str(), c.mqtt_port), ("127.0.0.1", 11883));
        assert!(c.site_token.is_none());
        assert_eq!(c.spool_path, PathBuf::from("printer-gateway-spool.redb"));
        assert_eq!(c.event_batch, 100);
        assert_eq!(c.topics, vec!["device/+/report".to_owned()]);
        assert_eq!(c.offline_after, Duration::from_secs(30));
        assert!(c.internal_token.is_none());
        assert!(c.printers.is_empty());
        assert_eq!(c.tick_every, Some(Duration::from_secs(2)));
        assert_eq!(c.app_url, "http://127.0.0.1:3000");
        assert_eq!(c.printer_link, PrinterLink::Bridge);
        assert_eq!(c.start_timeout, Duration::from_secs(120));
        assert_eq!(c.claim_every, Some(Duration::from_secs(10)));
        assert_eq!((c.auto_clear, c.inspector), (None, InspectorKind::None));
    }

    #[test]
    fn the_simulated_farm_turns_on_auto_clear_and_the_simulated_inspector() {
        let c = config(&[
            ("FARM_AUTO_CLEAR_SECS", "2.5"),
            ("FARM_INSPECTOR", "simulated"),
            ("FARM_SIM_INSPECTION_FAIL_RATE", "0.1"),
            ("FARM_CLAIM_POLL_MS", "0"),
        ])
        .expect("sim");
        assert_eq!(c.auto_clear, Some(Duration::from_millis(2500)));
        assert_eq!(
            (c.inspector, c.inspection_fail_rate, c.claim_every),
            (InspectorKind::Simulated, 0.1, None)
        );
        let real = config(&[("FARM_INSPECTOR", "camera")]).expect("camera");
        assert_eq!(
            (real.inspector, real.auto_clear),
            (InspectorKind::Camera, None)
        );
    }

    #[test]
    fn lan_mode_needs_its_printer_file() {
        let err = config(&[("FARM_PRINTER_LINK", "lan")]).expect_err("no file");
        assert!(err.to_string().contains("FARM_LAN_PRINTERS_FILE"), "{err}");
        let c = config(&[
            ("FARM_PRINTER_LINK", "lan"),
            ("FARM_LAN_PRINTERS_FILE", "site.json"),
            ("FARM_START_TIMEOUT_SECS", "3"),
        ])
        .expect("lan");
        assert_eq!(
            (c.printer_link, c.start_timeout),
            (PrinterLink::Lan, Duration::from_secs(3))
        );
    }

    #[test]
    fn environment_overrides_each_setting() {
        let c = config(&[
            ("FARM_MQTT_URL", "mqtt://broker.local:1884"),
            ("FARM_MQTT_TOPICS", "device/a/report, device/b/report"),
            ("FARM_SITE", "north"),
            ("FARM_OFFLINE_AFTER_SECS", "5"),
            ("FARM_INTERNAL_TOKEN", "tok"),
            ("FARM_PRINTERS", "01PA=P1S,00MB"),
            ("FARM_TICK_EVERY_MS", "0"),
            ("FARM_SITE_TOKEN", "fst_x"),
            ("FARM_SPOOL_PATH", "/var/lib/gw/spool.redb"),
            ("FARM_EVENT_BATCH", "7"),
        ])
        .expect("overrides");
        let serials: Vec<&str> = c.printers.iter().map(|p| p.serial.as_str()).collect();
        assert_eq!(serials, ["01PA", "00MB"]);
        assert_eq!(c.tick_every, None);
        assert_eq!((c.mqtt_host.as_str(), c.mqtt_port), ("broker.local", 1884));
        assert_eq!(
            c.topics,
            vec!["device/a/report".to_owned(), "device/b/report".to_owned()]
        );
        assert_eq!(c.mqtt_client_id, "printer-gateway-north");
        assert_eq!(c.offline_after, Duration::from_secs(5));
        assert_eq!(c.internal_token.as_ref().map(Secret::expose), Some("tok"));
        assert_eq!(c.site_token.as_ref().map(Secret::expose), Some("fst_x"));
        assert_eq!(c.spool_path, PathBuf::from("/var/lib/gw/spool.redb"));
        assert_eq!(c.event_batch, 7);
    }

    #[test]
    fn the_tokens_never_show_in_debug_output() {
        let c = config(&[
            ("FARM_INTERNAL_TOKEN", "very-secret-value"),
            ("FARM_SITE_TOKEN", "very-secret-value"),
        ])
        .expect("config");
        let printed = format!(
            "{c:?} {} {}",
            c.internal_token.as_ref().expect("token"),
            c.site_token.as_ref().expect("site token")
        );
        assert!(!printed.contains("very-secret-value"), "{printed}");
        assert!(printed.contains("Secret(***)"), "{printed}");
    }

    #[test]
    fn invalid_values_name_the_variable() {
        for (name, value) in [
            ("FARM_MQTT_URL", "https://x"),
            ("FARM_MQTT_URL", "mqtt://:1883"),
            ("FARM_MQTT_URL", "mqtt://h:port"),
            ("FARM_OFFLINE_AFTER_SECS", "0"),
            ("FARM_OFFLINE_AFTER_SECS", "soon"),
            ("FARM_PRINTERS", "01PA,01PA"),
            ("FARM_TICK_EVERY_MS", "-1"),
            ("FARM_EVENT_BATCH", "0"),
            ("FARM_EVENT_BATCH", "501"),
            ("FARM_PRINTER_LINK", "cloud"),
            ("FARM_START_TIMEOUT_SECS", "0"),
            ("FARM_AUTO_CLEAR_SECS", "-1"),
            ("FARM_INSPECTOR", "ai"),
            ("FARM_SIM_INSPECTION_FAIL_RATE", "2"),
            ("FARM_CLAIM_POLL_MS", "soon"),
        ] {
            let err = config(&[(name, value)]).expect_err(value);
            assert!(err.to_string().contains(name), "{err}");
        }
    }
}
