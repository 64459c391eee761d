//! The gateway's Postgres side: the `printers` and `printer_events` tables of
//! migrations/0003_farm.sql.

use chrono::{DateTime, Utc};
use serde_json::json;
use tokio_postgres::{Client, NoTls};

use crate::bambu::{GcodeState, PrintStatus};
use crate::fleet::{EventKind, PrinterStatus, Snapshot, apply_report};
use crate::roster::PrinterSpec;

/// Errors from the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("could not connect to the farm database")]
    Connect(#[source] tokio_postgres::Error),
    #[error("farm database query failed")]
    Query(#[from] tokio_postgres::Error),
    #[error("printers row {printer_id} has an unknown status {status:?}")]
    UnknownStatus { printer_id: String, status: String },
    #[error("printer {serial} has no printers row (was it deleted while the gateway ran?)")]
    NotRegistered { serial: String },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What applying one report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportOutcome {
    pub printer_id: String,
    pub status: PrinterStatus,
    pub events: Vec<EventKind>,
}

/// One connection to the farm database.
pub struct Store {
    client: Client,
}

impl Store {
    /// Connects and drives the connection on a background task.
    pub async fn connect(database_url: &str) -> Result<Self> {
        let (client, connection) = tokio_postgres::connect(database_url, NoTls)
            .await
            .map_err(StoreError::Connect)?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::error!(%error, "farm database connection closed");
            }
        });
        Ok(Self { client })
    }

    /// True once the connection is gone; the daemon then exits to be restarted.
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Makes the configured printers rows of `site` (new ones start
    /// `offline` until their first report); a known serial gets its model
    /// and site from the configuration. Rows of printers no longer configured
    /// are left as they are: their history stays, and the offline sweep
    /// takes them out of capacity.
    pub async fn register_printers(&self, site: &str, printers: &[PrinterSpec]) -> Result<()> {
        for printer in printers {
            self.client
                .execute(
                    "insert into printers (serial, name, model, site) values ($1, $1, $2, $3)
                     on conflict (serial) do update set model = excluded.model, site = excluded.site,
                         updated_at = now()
                     where (printers.model, printers.site) is distinct from (excluded.model, excluded.site)",
                    &[&printer.serial, &printer.model, &site],
                )
                .await?;
        }
        Ok(())
    }

    /// Records one report of the registered printer `serial`: merges the
    /// report into its row and appends the events it caused, in one
    /// transaction. The row lock serialises reports of the same printer
    /// across gateways.
    pub async fn apply_report(
        &mut self,
        site: &str,
        serial: &str,
        report: &PrintStatus,
        now: DateTime<Utc>,
    ) -> Result<ReportOutcome> {
        let tx = self.client.transaction().await?;
        let row = tx
            .query_opt(
                "select id, status, gcode_state, progress, remaining_minutes, current_file
                 from printers where serial = $1 for update",
                &[&serial],
            )
            .await?
            .ok_or_else(|| StoreError::NotRegistered {
                serial: serial.to_owned(),
            })?;
        let printer_id: String = row.get("id");
        let status: String = row.get("status");
        let previous = Snapshot {
            status: PrinterStatus::parse(&status).ok_or_else(|| StoreError::UnknownStatus {
                printer_id: printer_id.clone(),
                status,
            })?,
            gcode_state: row
                .get::<_, Option<String>>("gcode_state")
                .as_deref()
                .and_then(GcodeState::parse),
            progress: u8::try_from(row.get::<_, i32>("progress")).unwrap_or(0),
            remaining_minutes: row
                .get::<_, Option<i32>>("remaining_minutes")
                .and_then(|m| u32::try_from(m).ok()),
            current_file: row.get("current_file"),
        };

        let (next, events) = apply_report(&previous, report);
        let gcode_state = next.gcode_state.map(GcodeState::as_str);
        let remaining = next
            .remaining_minutes
            .map(|m| i32::try_from(m).unwrap_or(i32::MAX));
        tx.execute(
            "update printers set status = $2, gcode_state = $3, progress = $4,
                 remaining_minutes = $5, current_file = $6, site = $7,
                 last_seen = $8, updated_at = $8
             where id = $1",
            &[
                &printer_id,
                &next.status.as_str(),
                &gcode_state,
                &i32::from(next.progress),
                &remaining,
                &next.current_file,
                &site,
                &now,
            ],
        )
        .await?;
        for kind in &events {
            let detail = json!({
                "from_status": previous.status.as_str(),
                "from_gcode_state": previous.gcode_state.map(GcodeState::as_str),
                "file": next.current_file,
                "print_error": report.print_error,
            });
            tx.execute(
                "insert into printer_events (printer_id, kind, status, gcode_state, progress, detail, created_at)
                 values ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &printer_id,
                    &kind.as_str(),
                    &next.status.as_str(),
                    &gcode_state,
                    &i32::from(next.progress),
                    &detail,
                    &now,
                ],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(ReportOutcome {
            printer_id,
            status: next.status,
            events,
        })
    }

    /// Marks every printer of `site` last seen before `cutoff` offline, with
    /// an `offline` event each, in one statement. Returns how many went offline.
    pub async fn mark_silent_printers_offline(
        &self,
        site: &str,
        cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let gone = self
            .client
            .execute(
                "with gone as (
                     update printers set status = 'offline', updated_at = $2
                     where site = $3 and status <> 'offline' and (last_seen is null or last_seen < $1)
                     returning id, gcode_state, progress
                 )
                 insert into printer_events (printer_id, kind, status, gcode_state, progress, created_at)
                 select id, 'offline', 'offline', gcode_state, progress, $2 from gone",
                &[&cutoff, &now, &site],
            )
            .await?;
        Ok(gone)
    }
}
