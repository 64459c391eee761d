//! The gateway's printer-side loop: a step function that tests drive one
//! step at a time ([`Gateway::try_execute_task`] handles one message from
//! the broker) and the loop around it, which also marks silent printers
//! offline. What the reports cause goes to the [`Recorder`] (the durable
//! spool); the [`crate::sender::Sender`] takes it to the app.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rumqttc::AsyncClient;
use tokio::sync::mpsc;

use crate::bambu::{self, Report};
use crate::config::Config;
use crate::fleet::{EventKind, PrinterStatus};
use crate::mqtt::{self, Inbound, LinkOptions};
use crate::recorder::Recorder;
use crate::roster::{Admission, Roster};
use crate::spool::SpoolError;

/// Errors that stop a worker.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(transparent)]
    Spool(#[from] SpoolError),
    #[error("the MQTT link stopped")]
    LinkClosed,
}

/// What applying one report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportOutcome {
    pub status: PrinterStatus,
    /// The events it spooled, in order.
    pub events: Vec<EventKind>,
}

/// What one step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    /// A print report was merged into the printer's state (and its events spooled).
    Applied {
        serial: String,
        outcome: ReportOutcome,
    },
    /// A message that is not a usable print report (other message kinds,
    /// malformed JSON, a topic that names no printer). Logged, not fatal.
    Ignored { topic: String, reason: String },
    /// A report from a serial that is not in this site's configuration
    /// (`FARM_PRINTERS`): no state, no event. Logged (warn) the first time
    /// per serial only, so a chatty stranger cannot flood the log.
    UnknownPrinter { serial: String, first: bool },
    /// The broker confirmed our subscriptions.
    Subscribed,
    /// The broker connection failed; it is retried.
    Disconnected { reason: String },
    /// Nothing arrived within the wait.
    Idle,
}

/// Turns printer reports from the broker into spooled events.
pub struct Gateway {
    site: String,
    roster: Roster,
    recorder: Recorder,
    inbound: mpsc::Receiver<Inbound>,
    offline_after: Duration,
    // Kept so the link stays open as long as the gateway lives.
    _mqtt: Option<AsyncClient>,
}

impl Gateway {
    /// Connects to the broker of `config` and records into `recorder`.
    pub fn connect(config: &Config, recorder: Recorder) -> Self {
        let (client, inbound) = mqtt::start(LinkOptions {
            host: config.mqtt_host.clone(),
            port: config.mqtt_port,
            client_id: config.mqtt_client_id.clone(),
            topics: config.topics.clone(),
        });
        let mut gateway = Self::from_parts(
            config.site.clone(),
            Roster::new(&config.printers),
            recorder,
            inbound,
            config.offline_after,
        );
        gateway._mqtt = Some(client);
        gateway
    }

    /// A gateway fed from any channel (no broker), for tests of the step logic.
    pub fn from_parts(
        site: impl Into<String>,
        roster: Roster,
        recorder: Recorder,
        inbound: mpsc::Receiver<Inbound>,
        offline_after: Duration,
    ) -> Self {
        Self {
            site: site.into(),
            roster,
            recorder,
            inbound,
            offline_after,
            _mqtt: None,
        }
    }

    /// The recorder (tests read printer states from it).
    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// Waits up to `wait` for one message from the broker and handles it.
    pub async fn try_execute_task(&mut self, wait: Duration) -> Result<StepOutcome, GatewayError> {
        let inbound = match tokio::time::timeout(wait, self.inbound.recv()).await {
            Err(_elapsed) => return Ok(StepOutcome::Idle),
            Ok(None) => return Err(GatewayError::LinkClosed),
            Ok(Some(inbound)) => inbound,
        };
        Ok(match inbound {
            Inbound::Subscribed => StepOutcome::Subscribed,
            Inbound::Disconnected { reason } => StepOutcome::Disconnected { reason },
            Inbound::Message { topic, payload } => handle_report(
                &mut self.recorder,
                &self.site,
                &mut self.roster,
                topic,
                &payload,
                Utc::now(),
            )?,
        })
    }

    /// Marks printers silent for `offline_after` offline (an `offline` event each).
    pub fn sweep(&mut self, now: DateTime<Utc>) -> Result<u64, GatewayError> {
        Ok(self.recorder.sweep(self.offline_after, now)?)
    }

    /// Steps until the link closes or the spool fails, sweeping for silent
    /// printers a few times per `offline_after`.
    pub async fn run(mut self) -> Result<(), GatewayError> {
        let period = (self.offline_after / 3).max(Duration::from_secs(1));
        let mut next_sweep = tokio::time::Instant::now() + period;
        loop {
            let wait = next_sweep.saturating_duration_since(tokio::time::Instant::now());
            match self.try_execute_task(wait).await? {
                StepOutcome::Applied { serial, outcome } if !outcome.events.is_empty() => {
                    tracing::info!(%serial, status = outcome.status.as_str(),
                        events = ?outcome.events, "printer changed");
                }
                StepOutcome::Ignored { topic, reason } => {
                    tracing::warn!(%topic, %reason, "ignored message")
                }
                StepOutcome::Disconnected { reason } => {
                    tracing::warn!(%reason, "MQTT broker unreachable")
                }
                StepOutcome::Subscribed => tracing::info!("subscribed to printer reports"),
                _ => {}
            }
            if tokio::time::Instant::now() >= next_sweep {
                let gone = self.sweep(Utc::now())?;
                if gone > 0 {
                    tracing::info!(gone, "printers went offline");
                }
                next_sweep = tokio::time::Instant::now() + period;
            }
        }
    }
}

/// Handles one message from a report topic: applies it when it comes from a
/// configured printer, ignores (and logs once) any other serial.
pub fn handle_report(
    recorder: &mut Recorder,
    site: &str,
    roster: &mut Roster,
    topic: String,
    payload: &[u8],
    now: DateTime<Utc>,
) -> Result<StepOutcome, SpoolError> {
    let ignored = |topic: String, reason: String| Ok(StepOutcome::Ignored { topic, reason });
    let serial = match bambu::serial_from_report_topic(&topic) {
        Ok(serial) => serial.to_owned(),
        Err(error) => return ignored(topic, error.to_string()),
    };
    match roster.admit(&serial) {
        Admission::Known => {}
        Admission::UnknownFirst => {
            tracing::warn!(%serial, %site,
                "report from a printer that is not in FARM_PRINTERS; ignoring it and any later ones (logged once per serial)");
            return Ok(StepOutcome::UnknownPrinter {
                serial,
                first: true,
            });
        }
        Admission::UnknownAgain => {
            return Ok(StepOutcome::UnknownPrinter {
                serial,
                first: false,
            });
        }
    }
    match bambu::parse_report(payload) {
        Ok(Report::Print(status)) => {
            let events = recorder.report(&serial, &status, now)?;
            for kind in &events {
                tracing::debug!(%serial, kind = kind.as_str(), "event spooled");
            }
            let status = recorder
                .snapshot(&serial)
                .map_or(PrinterStatus::Offline, |s| s.status);
            Ok(StepOutcome::Applied {
                serial,
                outcome: ReportOutcome { status, events },
            })
        }
        Ok(Report::Other) => ignored(topic, "not a print report".to_owned()),
        Err(error) => ignored(topic, error.to_string()),
    }
}
