//! The gateway's two long-running tasks, each a loop around a step function
//! that tests drive one step at a time: [`Gateway::try_execute_task`] applies
//! one printer report, [`OfflineSweeper::sweep`] marks silent printers offline.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rumqttc::AsyncClient;
use tokio::sync::mpsc;

use crate::bambu::{self, Report};
use crate::config::Config;
use crate::mqtt::{self, Inbound, LinkOptions};
use crate::roster::{Admission, Roster};
use crate::store::{ReportOutcome, Store, StoreError};

/// Errors that stop a worker.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the MQTT link stopped")]
    LinkClosed,
}

/// What one step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    /// A print report was merged into the printer's row.
    Applied {
        serial: String,
        outcome: ReportOutcome,
    },
    /// A message that is not a usable print report (other message kinds,
    /// malformed JSON, a topic that names no printer). Logged, not fatal.
    Ignored { topic: String, reason: String },
    /// A report from a serial that is not in this site's configuration
    /// (`FARM_PRINTERS`): no row, no event. Logged (warn) the first time
    /// per serial only, so a chatty stranger cannot flood the log.
    UnknownPrinter { serial: String, first: bool },
    /// The broker confirmed our subscriptions.
    Subscribed,
    /// The broker connection failed; it is retried.
    Disconnected { reason: String },
    /// Nothing arrived within the wait.
    Idle,
}

/// Applies printer reports from the broker to the farm database.
pub struct Gateway {
    site: String,
    roster: Roster,
    store: Store,
    inbound: mpsc::Receiver<Inbound>,
    // Kept so the link stays open as long as the gateway lives.
    _mqtt: Option<AsyncClient>,
}

impl Gateway {
    pub async fn connect(config: &Config) -> Result<Self, GatewayError> {
        let store = Store::connect(&config.database_url).await?;
        store
            .register_printers(&config.site, &config.printers)
            .await?;
        let (client, inbound) = mqtt::start(LinkOptions {
            host: config.mqtt_host.clone(),
            port: config.mqtt_port,
            client_id: config.mqtt_client_id.clone(),
            topics: config.topics.clone(),
        });
        Ok(Self {
            site: config.site.clone(),
            roster: Roster::new(&config.printers),
            store,
            inbound,
            _mqtt: Some(client),
        })
    }

    /// A gateway fed from any channel (no broker), for tests of the step
    /// logic; the roster's printers must already be registered.
    pub fn from_parts(
        site: impl Into<String>,
        roster: Roster,
        store: Store,
        inbound: mpsc::Receiver<Inbound>,
    ) -> Self {
        Self {
            site: site.into(),
            roster,
            store,
            inbound,
            _mqtt: None,
        }
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
            Inbound::Message { topic, payload } => {
                handle_report(
                    &mut self.store,
                    &self.site,
                    &mut self.roster,
                    topic,
                    &payload,
                    Utc::now(),
                )
                .await?
            }
        })
    }

    /// Steps until the link closes or the database connection is lost.
    pub async fn run(mut self) -> Result<(), GatewayError> {
        loop {
            match self.try_execute_task(Duration::from_secs(60)).await {
                Ok(StepOutcome::Applied { serial, outcome }) if !outcome.events.is_empty() => {
                    tracing::info!(%serial, printer = %outcome.printer_id, status = outcome.status.as_str(),
                        events = ?outcome.events, "printer changed");
                }
                Ok(StepOutcome::Ignored { topic, reason }) => {
                    tracing::warn!(%topic, %reason, "ignored message")
                }
                Ok(StepOutcome::Disconnected { reason }) => {
                    tracing::warn!(%reason, "MQTT broker unreachable")
                }
                Ok(StepOutcome::Subscribed) => tracing::info!("subscribed to printer reports"),
                Ok(_) => {}
                Err(GatewayError::Store(error)) if !self.store.is_closed() => {
                    // One report failed (e.g. a deadlock); the next one is independent.
                    tracing::error!(error = ?anyhow::Error::from(error), "could not apply a report");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(error) => return Err(error),
            }
        }
    }
}

/// Handles one message from a report topic: applies it when it comes from a
/// configured printer, ignores (and logs once) any other serial.
pub async fn handle_report(
    store: &mut Store,
    site: &str,
    roster: &mut Roster,
    topic: String,
    payload: &[u8],
    now: DateTime<Utc>,
) -> Result<StepOutcome, StoreError> {
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
            let outcome = store.apply_report(site, &serial, &status, now).await?;
            Ok(StepOutcome::Applied { serial, outcome })
        }
        Ok(Report::Other) => ignored(topic, "not a print report".to_owned()),
        Err(error) => ignored(topic, error.to_string()),
    }
}

/// Marks printers offline that have not reported for `offline_after`.
pub struct OfflineSweeper {
    site: String,
    store: Store,
    offline_after: Duration,
}

impl OfflineSweeper {
    pub async fn connect(config: &Config) -> Result<Self, GatewayError> {
        Ok(Self::new(
            config.site.clone(),
            Store::connect(&config.database_url).await?,
            config.offline_after,
        ))
    }

    pub fn new(site: impl Into<String>, store: Store, offline_after: Duration) -> Self {
        Self {
            site: site.into(),
            store,
            offline_after,
        }
    }

    /// One sweep as of `now`; returns how many printers went offline.
    pub async fn sweep(&self, now: DateTime<Utc>) -> Result<u64, GatewayError> {
        let silence =
            chrono::Duration::from_std(self.offline_after).unwrap_or(chrono::Duration::MAX);
        Ok(self
            .store
            .mark_silent_printers_offline(&self.site, now - silence, now)
            .await?)
    }

    /// Sweeps a few times per `offline_after`, until the database is lost.
    pub async fn run(self) -> Result<(), GatewayError> {
        let period = (self.offline_after / 3).max(Duration::from_secs(1));
        let mut ticker = tokio::time::interval(period);
        loop {
            ticker.tick().await;
            match self.sweep(Utc::now()).await {
                Ok(0) => {}
                Ok(gone) => tracing::info!(gone, "printers went offline"),
                Err(error) if !self.store.is_closed() => {
                    tracing::error!(error = ?anyhow::Error::from(error), "offline sweep failed");
                }
                Err(error) => return Err(error),
            }
        }
    }
}
