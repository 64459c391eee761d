//! The site's durable spool: events the app has not acknowledged yet, and
//! each printer's last state, in one redb file (`FARM_SPOOL_PATH`).
//!
//! redb commits are atomic and durable (copy-on-write pages, fsync before
//! the commit returns), so after a SIGKILL or a power cut the spool holds
//! exactly what the last committed transaction wrote. An event and the
//! printer state that produced it are written in one transaction, so a
//! restarted gateway neither loses an event nor emits it a second time under
//! a new id. Events leave the spool only when the app has answered for them
//! ([`Spool::forget`]); until then they are sent again, with the same ids,
//! which the app applies once.
//!
//! Calls block for the duration of one fsync (milliseconds); the gateway
//! makes them from its tasks directly.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::bambu::GcodeState;
use crate::fleet::{PrinterStatus, Snapshot};
use crate::link::FarmEvent;

/// Spooled events by sequence number (ascending = the order they happened).
const EVENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("events");
/// Each printer's state after its last spooled event, by serial.
const SNAPSHOTS: TableDefinition<&str, &[u8]> = TableDefinition::new("snapshots");

/// Errors of the spool file.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("the spool file failed")]
    Storage(#[from] redb::Error),
    #[error("a spooled record is not readable")]
    Corrupt(#[from] serde_json::Error),
}

impl<E: Into<redb::Error>> From<Wrap<E>> for SpoolError {
    fn from(e: Wrap<E>) -> Self {
        Self::Storage(e.0.into())
    }
}

/// redb has one error type per step; this funnels them into [`SpoolError`].
struct Wrap<E>(E);

pub(crate) trait Storage<T> {
    fn db(self) -> Result<T, SpoolError>;
}

impl<T, E: Into<redb::Error>> Storage<T> for Result<T, E> {
    fn db(self) -> Result<T, SpoolError> {
        self.map_err(|e| SpoolError::from(Wrap(e)))
    }
}

/// A printer snapshot as stored (the fields of `fleet::Snapshot`).
#[derive(Serialize, Deserialize)]
struct StoredSnapshot {
    status: String,
    gcode_state: Option<String>,
    progress: u8,
    remaining_minutes: Option<u32>,
    current_file: Option<String>,
}

impl From<&Snapshot> for StoredSnapshot {
    fn from(s: &Snapshot) -> Self {
        Self {
            status: s.status.as_str().to_owned(),
            gcode_state: s.gcode_state.map(|g| g.as_str().to_owned()),
            progress: s.progress,
            remaining_minutes: s.remaining_minutes,
            current_file: s.current_file.clone(),
        }
    }
}

impl StoredSnapshot {
    fn into_snapshot(self) -> Snapshot {
        Snapshot {
            status: PrinterStatus::parse(&self.status).unwrap_or(PrinterStatus::Offline),
            gcode_state: self.gcode_state.as_deref().and_then(GcodeState::parse),
            progress: self.progress,
            remaining_minutes: self.remaining_minutes,
            current_file: self.current_file,
        }
    }
}

/// The fields of a spooled event [`Spool::holds`] looks at.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    id: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    printer: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    plate_id: Option<std::borrow::Cow<'a, str>>,
}

/// The spool; cheap to clone (one shared database handle).
#[derive(Clone)]
pub struct Spool {
    db: Arc<Database>,
}

impl std::fmt::Debug for Spool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Spool")
    }
}

impl Spool {
    /// Opens (or creates) the spool file. Fails if another process has it open.
    pub fn open(path: &Path) -> Result<Self, SpoolError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| SpoolError::Storage(redb::StorageError::Io(e).into()))?;
        }
        let db = Database::create(path).db()?;
        let tx = db.begin_write().db()?;
        tx.open_table(EVENTS).db()?;
        tx.open_table(SNAPSHOTS).db()?;
        tx.commit().db()?;
        Ok(Self { db: Arc::new(db) })
    }

    /// Appends `events` and, when given, stores `snapshot` as `serial`'s
    /// state, in one durable transaction.
    pub fn record(
        &self,
        serial: &str,
        snapshot: Option<&Snapshot>,
        events: &[FarmEvent],
    ) -> Result<(), SpoolError> {
        let tx = self.db.begin_write().db()?;
        {
            let mut table = tx.open_table(EVENTS).db()?;
            let first = table.last().db()?.map(|(k, _)| k.value() + 1).unwrap_or(0);
            for (seq, event) in (first..).zip(events) {
                table
                    .insert(seq, serde_json::to_vec(event)?.as_slice())
                    .db()?;
            }
            if let Some(snapshot) = snapshot {
                let bytes = serde_json::to_vec(&StoredSnapshot::from(snapshot))?;
                tx.open_table(SNAPSHOTS)
                    .db()?
                    .insert(serial, bytes.as_slice())
                    .db()?;
            }
        }
        tx.commit().db()?;
        Ok(())
    }

    /// The oldest `limit` events not yet acknowledged, in order, with their
    /// sequence numbers.
    pub fn pending(&self, limit: usize) -> Result<Vec<(u64, FarmEvent)>, SpoolError> {
        let tx = self.db.begin_read().db()?;
        let table = tx.open_table(EVENTS).db()?;
        let mut out = Vec::new();
        for entry in table.iter().db()?.take(limit) {
            let (seq, bytes) = entry.db()?;
            out.push((seq.value(), serde_json::from_slice(bytes.value())?));
        }
        Ok(out)
    }

    /// How many events wait for the app.
    pub fn len(&self) -> Result<u64, SpoolError> {
        let tx = self.db.begin_read().db()?;
        tx.open_table(EVENTS).db()?.len().db()
    }

    /// True when nothing waits for the app.
    pub fn is_empty(&self) -> Result<bool, SpoolError> {
        Ok(self.len()? == 0)
    }

    /// Drops the events the app has answered for.
    pub fn forget(&self, seqs: &[u64]) -> Result<(), SpoolError> {
        let tx = self.db.begin_write().db()?;
        {
            let mut table = tx.open_table(EVENTS).db()?;
            for seq in seqs {
                table.remove(*seq).db()?;
            }
        }
        tx.commit().db()?;
        Ok(())
    }

    /// True while any of `ids` waits in the spool (the app has not answered
    /// for it yet).
    pub fn holds(&self, ids: &[String]) -> Result<bool, SpoolError> {
        if ids.is_empty() {
            return Ok(false);
        }
        self.any(|e| ids.iter().any(|id| *id == e.id))
    }

    /// True while an event naming a plate of `serial` waits in the spool.
    pub fn holds_plate_events(&self, serial: &str) -> Result<bool, SpoolError> {
        self.any(|e| e.printer == serial && e.plate_id.is_some())
    }

    /// Whether any spooled event's head matches (only the head is read: an
    /// outage can leave thousands spooled).
    fn any(&self, matches: impl Fn(&Head<'_>) -> bool) -> Result<bool, SpoolError> {
        let tx = self.db.begin_read().db()?;
        let table = tx.open_table(EVENTS).db()?;
        for entry in table.iter().db()? {
            let (_, bytes) = entry.db()?;
            let head: Head<'_> = serde_json::from_slice(bytes.value())?;
            if matches(&head) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The spool's database, shared with the plate ledger (`ledger`).
    pub(crate) fn database(&self) -> Arc<Database> {
        Arc::clone(&self.db)
    }

    /// Every printer's last stored state, for a restarted gateway.
    pub fn snapshots(&self) -> Result<HashMap<String, Snapshot>, SpoolError> {
        let tx = self.db.begin_read().db()?;
        let table = tx.open_table(SNAPSHOTS).db()?;
        let mut out = HashMap::new();
        for entry in table.iter().db()? {
            let (serial, bytes) = entry.db()?;
            let stored: StoredSnapshot = serde_json::from_slice(bytes.value())?;
            out.insert(serial.value().to_owned(), stored.into_snapshot());
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::FarmEventKind;

    fn event(n: u32) -> FarmEvent {
        let mut e = FarmEvent::new("01PA", FarmEventKind::Progress, chrono::Utc::now());
        e.task_id = Some(i64::from(n));
        e
    }

    #[test]
    fn events_survive_reopening_in_order_until_forgotten() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("spool.redb");
        let written: Vec<FarmEvent> = (0..5).map(event).collect();
        let snapshot = Snapshot {
            status: PrinterStatus::Printing,
            gcode_state: Some(GcodeState::Running),
            progress: 40,
            remaining_minutes: Some(12),
            current_file: Some("a.gcode.3mf".into()),
        };
        {
            let spool = Spool::open(&path).expect("open");
            spool
                .record("01PA", Some(&snapshot), &written[..2])
                .expect("record");
            spool.record("01PA", None, &written[2..]).expect("record");
        }
        let spool = Spool::open(&path).expect("reopen");
        let pending = spool.pending(10).expect("pending");
        let ids: Vec<&str> = pending.iter().map(|(_, e)| e.id.as_str()).collect();
        let expected: Vec<&str> = written.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, expected);
        assert_eq!(
            spool.snapshots().expect("snapshots").get("01PA"),
            Some(&snapshot)
        );

        let first_two: Vec<u64> = pending[..2].iter().map(|(s, _)| *s).collect();
        let first_id = vec![written[0].id.clone()];
        assert!(spool.holds(&first_id).expect("holds"));
        spool.forget(&first_two).expect("forget");
        assert!(!spool.holds(&first_id).expect("holds"));
        assert!(spool.holds(&[written[4].id.clone()]).expect("holds"));
        let rest = spool.pending(10).expect("pending");
        assert_eq!(rest.len(), 3);
        assert_eq!(rest[0].1.id, written[2].id);
        // New events go after the remaining ones, never reuse a number.
        spool.record("01PA", None, &[event(9)]).expect("record");
        let seqs: Vec<u64> = spool
            .pending(10)
            .expect("p")
            .iter()
            .map(|(s, _)| *s)
            .collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
        assert_eq!(spool.len().expect("len"), 4);
        assert!(!spool.holds_plate_events("01PA").expect("no plate events"));
        let mut plate_event = event(10);
        plate_event.plate_id = Some("plate_1".into());
        spool.record("01PA", None, &[plate_event]).expect("record");
        assert!(spool.holds_plate_events("01PA").expect("a plate event"));
        assert!(!spool.holds_plate_events("00MB").expect("another printer's"));
    }

    #[test]
    fn a_second_process_cannot_open_the_same_spool() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("spool.redb");
        let _first = Spool::open(&path).expect("open");
        assert!(Spool::open(&path).is_err());
    }
}
