//! LAN mode: one MQTT connection per configured printer, to the printer's
//! own broker over TLS (user `bblp`, password the access code), with the
//! printer's certificate pinned ([`crate::pinning`]). On every connect the
//! link subscribes to `device/<serial>/report` (QoS 1) and sends `pushall`;
//! reports are merged into the printer's full state
//! ([`bambu_lan::merge_report`]), so P1/A1 deltas and X1 full reports give
//! the same view. A lost connection is retried with backoff (1 s doubling to
//! 30 s); a changed certificate stops the link for good.

use std::sync::Arc;
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS, TlsConfiguration, Transport};
use serde_json::Value;
use tokio::sync::{broadcast, mpsc, watch};

use crate::bambu::{report_topic, request_topic};
use crate::bambu_lan::{self, Ack, LAN_USER};
use crate::camera::{CameraKind, CameraTarget};
use crate::config::Secret;
use crate::pinning::{Alarm, CertificateChanged, PinStore, PinnedVerifier};

/// First retry after a lost connection; doubles up to [`BACKOFF_MAX`].
pub const BACKOFF_START: Duration = Duration::from_secs(1);
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// Filament loaded on a printer, from the site configuration (until its
/// AMS reports say otherwise).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Filament {
    /// `tray_type` words: PLA, PETG, ...
    pub material: String,
    /// RRGGBBAA hex, as in `tray_color`.
    #[serde(default)]
    pub color: String,
}

/// One printer of the site configuration in LAN mode.
#[derive(Debug, Clone)]
pub struct LanPrinter {
    pub serial: String,
    pub model: String,
    /// The printer's address (IP or name).
    pub host: String,
    /// 8883 on a real printer.
    pub mqtt_port: u16,
    /// 990 on a real printer.
    pub ftps_port: u16,
    /// The LAN access code: the broker's and the FTPS server's password.
    pub access_code: Secret,
    pub filament: Option<Filament>,
    /// Its camera's protocol (by model unless the site file says).
    pub camera: CameraKind,
    /// 6000 (P1/A1) or 322 (X1) on a real printer.
    pub camera_port: u16,
}

impl LanPrinter {
    /// Where its camera is (see [`crate::camera`]).
    pub fn camera_target(&self) -> CameraTarget {
        CameraTarget {
            serial: self.serial.clone(),
            host: self.host.clone(),
            port: self.camera_port,
            kind: self.camera,
            access_code: self.access_code.clone(),
        }
    }
}

/// What a printer's link tells the gateway.
#[derive(Debug, Clone)]
pub enum LinkEvent {
    /// Connected and subscribed; `pushall` sent.
    Connected,
    /// A report, already merged: the printer's full state after it.
    State(Arc<Value>),
    /// The answer to one of our commands.
    Ack(Ack),
    /// The connection failed; retried after `retry_in`.
    Disconnected { reason: String, retry_in: Duration },
    /// The printer presented a certificate other than its pin. The link
    /// has stopped and will not reconnect.
    CertificateChanged(CertificateChanged),
}

/// A running link to one printer. Dropping it stops the link; its
/// [`LinkHandle`]s (what a dispatch in progress holds) then see it closed.
pub struct Link {
    handle: LinkHandle,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Link {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::ops::Deref for Link {
    type Target = LinkHandle;

    fn deref(&self) -> &LinkHandle {
        &self.handle
    }
}

/// What talks to a running link: its state, its acknowledgements, and
/// commands. Cheap to clone, so a dispatch runs without holding the floor.
#[derive(Clone)]
pub struct LinkHandle {
    pub serial: String,
    client: AsyncClient,
    state: watch::Receiver<Arc<Value>>,
    acks: broadcast::Sender<Ack>,
    alarm: Alarm,
    sequence: Arc<std::sync::atomic::AtomicU64>,
}

impl Link {
    /// Starts the link; events go to `events` tagged with the serial.
    pub fn start(
        printer: &LanPrinter,
        client_id: &str,
        pins: PinStore,
        events: mpsc::Sender<(String, LinkEvent)>,
    ) -> Self {
        let alarm = Alarm::default();
        let tls = PinnedVerifier::new(&printer.serial, pins, alarm.clone()).client_config();
        let mut options = MqttOptions::new(client_id, &printer.host, printer.mqtt_port);
        options.set_credentials(LAN_USER, printer.access_code.expose());
        options.set_keep_alive(Duration::from_secs(15));
        options.set_clean_session(true);
        // Full reports with AMS details reach tens of KB.
        options.set_max_packet_size(1 << 20, 1 << 20);
        options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
            Arc::new(tls),
        )));
        let (client, event_loop) = AsyncClient::new(options, 64);
        let (state_tx, state) = watch::channel(Arc::new(Value::Object(Default::default())));
        let (acks, _) = broadcast::channel(64);
        let task = tokio::spawn(run(
            printer.serial.clone(),
            client.clone(),
            event_loop,
            alarm.clone(),
            (state_tx, acks.clone()),
            events,
        ));
        let handle = LinkHandle {
            serial: printer.serial.clone(),
            client,
            state,
            acks,
            alarm,
            sequence: Arc::new(std::sync::atomic::AtomicU64::new(1)),
        };
        Self { handle, task }
    }

    /// A handle that outlives a borrow of the floor.
    pub fn handle(&self) -> LinkHandle {
        self.handle.clone()
    }
}

impl LinkHandle {
    /// The printer's merged state as last reported.
    pub fn state(&self) -> Arc<Value> {
        self.state.borrow().clone()
    }

    /// A receiver of the merged state, to wait for changes.
    pub fn watch_state(&self) -> watch::Receiver<Arc<Value>> {
        self.state.clone()
    }

    /// Acknowledgements from now on (subscribe before sending the command).
    pub fn subscribe_acks(&self) -> broadcast::Receiver<Ack> {
        self.acks.subscribe()
    }

    /// The certificate alarm, once raised.
    pub fn alarm(&self) -> Option<CertificateChanged> {
        self.alarm.raised()
    }

    /// The next `sequence_id` for a command.
    pub fn next_sequence(&self) -> u64 {
        self.sequence
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    /// Publishes a command on the request topic (QoS 1). Refused once the
    /// certificate alarm is raised: the gateway no longer talks to it.
    pub async fn send(&self, payload: String) -> Result<(), LinkError> {
        if let Some(changed) = self.alarm() {
            return Err(LinkError::Alarm(changed));
        }
        self.client
            .publish(
                request_topic(&self.serial),
                QoS::AtLeastOnce,
                false,
                payload,
            )
            .await
            .map_err(|e| LinkError::Send(e.to_string()))
    }
}

/// Why a command could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("printer {} certificate changed; the gateway no longer talks to it", .0.serial)]
    Alarm(CertificateChanged),
    #[error("could not queue the command: {0}")]
    Send(String),
}

async fn run(
    serial: String,
    client: AsyncClient,
    mut event_loop: rumqttc::EventLoop,
    alarm: Alarm,
    (state_tx, acks): (watch::Sender<Arc<Value>>, broadcast::Sender<Ack>),
    events: mpsc::Sender<(String, LinkEvent)>,
) {
    let topic = report_topic(&serial);
    let mut backoff = BACKOFF_START;
    let mut sequence: u64 = 1_000_000;
    let mut state = Value::Object(Default::default());
    loop {
        let event = match event_loop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                backoff = BACKOFF_START;
                // Queued before anything else: subscribe, then ask for everything.
                let _ = client.try_subscribe(topic.clone(), QoS::AtLeastOnce);
                sequence += 1;
                let _ = client.try_publish(
                    request_topic(&serial),
                    QoS::AtLeastOnce,
                    false,
                    bambu_lan::pushall_json(sequence),
                );
                LinkEvent::Connected
            }
            Ok(Event::Incoming(Packet::Publish(publish))) if publish.topic == topic => {
                if let Some(ack) = bambu_lan::parse_ack(&publish.payload) {
                    let _ = acks.send(ack.clone());
                    LinkEvent::Ack(ack)
                } else {
                    match serde_json::from_slice::<Value>(&publish.payload) {
                        Ok(report) if report.get("print").is_some() => {
                            bambu_lan::merge_report(&mut state, &report);
                            let shared = Arc::new(state.clone());
                            state_tx.send_replace(shared.clone());
                            LinkEvent::State(shared)
                        }
                        // Other report kinds (info, system) are not used.
                        _ => continue,
                    }
                }
            }
            Ok(_) => continue,
            Err(error) => {
                if let Some(changed) = alarm.raised() {
                    tracing::error!(%serial, pinned = %changed.pinned, presented = %changed.presented,
                        "printer certificate changed: no longer talking to this printer");
                    let _ = events
                        .send((serial.clone(), LinkEvent::CertificateChanged(changed)))
                        .await;
                    return;
                }
                let retry_in = backoff;
                backoff = (backoff * 2).min(BACKOFF_MAX);
                let _ = events
                    .send((
                        serial.clone(),
                        LinkEvent::Disconnected {
                            reason: error.to_string(),
                            retry_in,
                        },
                    ))
                    .await;
                tokio::time::sleep(retry_in).await;
                continue;
            }
        };
        if events.send((serial.clone(), event)).await.is_err() {
            return;
        }
    }
}

/// One printer in the site configuration file (`FARM_LAN_PRINTERS_FILE`,
/// a JSON array of these).
#[derive(Debug, serde::Deserialize)]
struct SitePrinterEntry {
    serial: String,
    #[serde(default)]
    model: Option<String>,
    host: String,
    #[serde(default = "default_mqtt_port")]
    mqtt_port: u16,
    #[serde(default = "default_ftps_port")]
    ftps_port: u16,
    access_code: String,
    #[serde(default)]
    filament: Option<Filament>,
    #[serde(default)]
    camera: Option<CameraKind>,
    #[serde(default)]
    camera_port: Option<u16>,
}

fn default_mqtt_port() -> u16 {
    bambu_lan::LAN_MQTT_PORT
}

fn default_ftps_port() -> u16 {
    bambu_lan::LAN_FTPS_PORT
}

/// Errors in the site's printer file.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a JSON array of printers (serial, host, access_code, ...): {source}")]
    Malformed {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}: printer {serial}: {reason}")]
    Invalid {
        path: String,
        serial: String,
        reason: &'static str,
    },
}

/// Reads the site's LAN printers: `[{"serial", "host", "access_code",
/// "model"?, "mqtt_port"? (8883), "ftps_port"? (990), "filament"?
/// {"material", "color"}, "camera"? (`chamber_image`, `rtsps`, `none`),
/// "camera_port"?}]`. The model defaults to the serial's prefix, the
/// camera to the model's ([`CameraKind::of_model`]), its port to the
/// protocol's (6000, 322).
pub fn parse_site_printers(path: &str, text: &str) -> Result<Vec<LanPrinter>, SiteError> {
    let entries: Vec<SitePrinterEntry> =
        serde_json::from_str(text).map_err(|source| SiteError::Malformed {
            path: path.to_owned(),
            source,
        })?;
    let mut seen = std::collections::HashSet::new();
    entries
        .into_iter()
        .map(|e| {
            let invalid = |reason| SiteError::Invalid {
                path: path.to_owned(),
                serial: e.serial.clone(),
                reason,
            };
            let valid_serial = (1..=64).contains(&e.serial.len())
                && e.serial.bytes().all(|b| b.is_ascii_alphanumeric());
            if !valid_serial {
                return Err(invalid("a serial is 1-64 letters and digits"));
            }
            if !seen.insert(e.serial.clone()) {
                return Err(invalid("listed twice"));
            }
            if e.access_code.is_empty() || e.host.is_empty() {
                return Err(invalid("host and access_code are required"));
            }
            let model = e
                .model
                .unwrap_or_else(|| crate::bambu::model_from_serial(&e.serial).to_owned());
            let camera = e.camera.unwrap_or_else(|| CameraKind::of_model(&model));
            Ok(LanPrinter {
                camera,
                camera_port: e.camera_port.unwrap_or_else(|| camera.default_port()),
                model,
                serial: e.serial,
                host: e.host,
                mqtt_port: e.mqtt_port,
                ftps_port: e.ftps_port,
                access_code: Secret::new(e.access_code),
                filament: e.filament,
            })
        })
        .collect()
}

/// Reads [`parse_site_printers`] from a file.
pub fn load_site_printers(path: &str) -> Result<Vec<LanPrinter>, SiteError> {
    let text = std::fs::read_to_string(path).map_err(|source| SiteError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_site_printers(path, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_printers_read_with_defaults_and_a_hidden_access_code() {
        let text = r#"[{"serial": "01PA1", "host": "10.0.0.5", "access_code": "12345678",
                        "filament": {"material": "PETG", "color": "00FF00FF"}},
                       {"serial": "00MB2", "model": "X1C", "host": "p2", "mqtt_port": 18883,
                        "ftps_port": 10990, "access_code": "87654321"}]"#;
        let printers = parse_site_printers("site.json", text).expect("valid");
        assert_eq!((printers[0].mqtt_port, printers[0].ftps_port), (8883, 990));
        assert_eq!(printers[0].model, "P1S");
        assert_eq!(printers[1].mqtt_port, 18883);
        // The camera by model: a P1S streams JPEG on 6000, an X1C RTSPS on 322.
        assert_eq!(
            (printers[0].camera, printers[0].camera_port),
            (CameraKind::ChamberImage, 6000)
        );
        assert_eq!(
            (printers[1].camera, printers[1].camera_port),
            (CameraKind::Rtsps, 322)
        );
        let sim = r#"[{"serial": "00MS1", "host": "127.0.0.1", "access_code": "1",
                       "camera": "chamber_image", "camera_port": 21003}]"#;
        let sim = parse_site_printers("s.json", sim).expect("camera override");
        assert_eq!(
            (sim[0].camera, sim[0].camera_port),
            (CameraKind::ChamberImage, 21003)
        );
        assert_eq!(
            printers[0].filament.as_ref().map(|f| f.material.as_str()),
            Some("PETG")
        );
        let shown = format!("{printers:?}");
        assert!(
            !shown.contains("12345678") && !shown.contains("87654321"),
            "{shown}"
        );
    }

    #[test]
    fn bad_site_printers_name_the_printer() {
        for (text, needle) in [
            (
                r#"[{"serial": "a/b", "host": "h", "access_code": "1"}]"#,
                "letters and digits",
            ),
            (
                r#"[{"serial": "A", "host": "h", "access_code": ""}]"#,
                "required",
            ),
            (
                r#"[{"serial": "A", "host": "h", "access_code": "1"}, {"serial": "A", "host": "h", "access_code": "1"}]"#,
                "twice",
            ),
        ] {
            let err = parse_site_printers("s.json", text).expect_err(text);
            assert!(err.to_string().contains(needle), "{err}");
        }
    }
}
