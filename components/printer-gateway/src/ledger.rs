//! The plates in flight, durably: one record per printer that holds a
//! claimed plate, in the spool's redb file (same durability: a commit is on
//! disk when it returns). A gateway killed at any point finds, on restart,
//! what it had claimed, sliced, sent and reported, and the printer's own
//! state says the rest (see `production`).
//!
//! Event ids of a plate's outcomes are derived, not random
//! ([`PlateRecord::event_id`]): a restart that reports an outcome again
//! reports it under the same id, which the app applies once. The plate's
//! dispatch number is part of the id, so a plate id the app hands out again
//! after a failed dispatch gets new ids.

use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::claims::ClaimedPlate;
use crate::spool::{Spool, SpoolError, Storage};

/// The record of the plate each printer holds, by serial (JSON).
const PLATES: TableDefinition<&str, &[u8]> = TableDefinition::new("plates");
/// Each plate's parts as sliced (OBJ, mm, turned), by `<plate id>/<task id>`.
const MESHES: TableDefinition<&str, &[u8]> = TableDefinition::new("plate_meshes");
/// How many times each plate id was dispatched (never pruned: a few bytes a plate).
const DISPATCHES: TableDefinition<&str, u64> = TableDefinition::new("plate_dispatches");

/// The longest event id the app takes (`POST /internal/farm/events`).
const MAX_EVENT_ID: usize = 64;

/// How far a plate got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Claimed (and maybe sliced); the printer has not been told anything.
    Prepared,
    /// `project_file` may have reached the printer.
    Sent,
    /// The printer started it; `task_started` is spooled.
    Printing,
    /// `task_finished` is spooled; inspections are due.
    Finished,
    /// Every inspection is spooled; the plate waits to be cleared.
    Inspected,
}

/// The slicer's figures for one task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskUsage {
    pub task_id: i64,
    /// Filament grams (the plate's grams split by volume).
    pub grams: f64,
    /// Print seconds (the plate's time split by volume).
    pub print_s: f64,
}

/// What the gateway remembers of one printer's plate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlateRecord {
    pub plate: ClaimedPlate,
    /// 1 for the plate id's first dispatch from this gateway, 2 for the next.
    pub dispatch: u64,
    pub phase: Phase,
    pub usage: Vec<TaskUsage>,
    /// The slicer's estimate for the whole plate, seconds.
    pub print_s: f64,
    /// RFC 3339, when the finish was seen (the auto-clear delay counts from it).
    pub finished_at: Option<String>,
    /// What the printer's AI detected while printing the plate (each
    /// fails every part of it at inspection).
    #[serde(default)]
    pub detections: Vec<crate::hms::AiDetection>,
}

impl PlateRecord {
    /// The id of this plate's `kind` event (of `task_id` for per-task
    /// kinds): `<plate id>:<dispatch>:<kind>[:<task id>]`, or its SHA-256
    /// in hex if that is longer than the app takes.
    pub fn event_id(&self, kind: &str, task_id: Option<i64>) -> String {
        let mut id = format!("{}:{}:{kind}", self.plate.id, self.dispatch);
        if let Some(task) = task_id {
            id.push_str(&format!(":{task}"));
        }
        if id.len() <= MAX_EVENT_ID {
            return id;
        }
        Sha256::digest(id.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// The ledger; cheap to clone.
#[derive(Clone)]
pub struct Ledger {
    db: Arc<Database>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ledger")
    }
}

impl Ledger {
    /// The ledger in `spool`'s file.
    pub fn open(spool: &Spool) -> Result<Self, SpoolError> {
        let db = spool.database();
        let tx = db.begin_write().db()?;
        tx.open_table(PLATES).db()?;
        tx.open_table(MESHES).db()?;
        tx.open_table(DISPATCHES).db()?;
        tx.commit().db()?;
        Ok(Self { db })
    }

    /// Starts `serial`'s record of `plate` (phase `Prepared`), counting a
    /// dispatch of the plate id.
    pub fn begin(&self, serial: &str, plate: &ClaimedPlate) -> Result<PlateRecord, SpoolError> {
        let tx = self.db.begin_write().db()?;
        let record = {
            let mut dispatches = tx.open_table(DISPATCHES).db()?;
            let before = dispatches
                .get(plate.id.as_str())
                .db()?
                .map(|v| v.value())
                .unwrap_or(0);
            dispatches.insert(plate.id.as_str(), before + 1).db()?;
            let record = PlateRecord {
                plate: plate.clone(),
                dispatch: before + 1,
                phase: Phase::Prepared,
                usage: Vec::new(),
                print_s: 0.0,
                finished_at: None,
                detections: Vec::new(),
            };
            let bytes = serde_json::to_vec(&record)?;
            tx.open_table(PLATES)
                .db()?
                .insert(serial, bytes.as_slice())
                .db()?;
            record
        };
        tx.commit().db()?;
        Ok(record)
    }

    /// Stores `record` as `serial`'s, and the parts' meshes given.
    pub fn save(
        &self,
        serial: &str,
        record: &PlateRecord,
        meshes: &[(i64, Vec<u8>)],
    ) -> Result<(), SpoolError> {
        let tx = self.db.begin_write().db()?;
        {
            let bytes = serde_json::to_vec(record)?;
            tx.open_table(PLATES)
                .db()?
                .insert(serial, bytes.as_slice())
                .db()?;
            let mut table = tx.open_table(MESHES).db()?;
            for (task_id, mesh) in meshes {
                let key = format!("{}/{task_id}", record.plate.id);
                table.insert(key.as_str(), mesh.as_slice()).db()?;
            }
        }
        tx.commit().db()?;
        Ok(())
    }

    /// `serial`'s record, if it holds a plate.
    pub fn get(&self, serial: &str) -> Result<Option<PlateRecord>, SpoolError> {
        let tx = self.db.begin_read().db()?;
        let table = tx.open_table(PLATES).db()?;
        match table.get(serial).db()? {
            Some(bytes) => Ok(Some(serde_json::from_slice(bytes.value())?)),
            None => Ok(None),
        }
    }

    /// A part's mesh as sliced (OBJ, mm).
    pub fn mesh(&self, plate_id: &str, task_id: i64) -> Result<Option<Vec<u8>>, SpoolError> {
        let tx = self.db.begin_read().db()?;
        let table = tx.open_table(MESHES).db()?;
        let key = format!("{plate_id}/{task_id}");
        Ok(table.get(key.as_str()).db()?.map(|v| v.value().to_vec()))
    }

    /// Forgets `serial`'s plate and its meshes (the plate is done with).
    pub fn remove(&self, serial: &str) -> Result<(), SpoolError> {
        let Some(record) = self.get(serial)? else {
            return Ok(());
        };
        let tx = self.db.begin_write().db()?;
        {
            tx.open_table(PLATES).db()?.remove(serial).db()?;
            let mut table = tx.open_table(MESHES).db()?;
            for part in &record.plate.parts {
                let key = format!("{}/{}", record.plate.id, part.task_id);
                table.remove(key.as_str()).db()?;
            }
        }
        tx.commit().db()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::ClaimedPart;

    fn plate(id: &str) -> ClaimedPlate {
        ClaimedPlate {
            id: id.into(),
            printer: "01PA".into(),
            material: "pla".into(),
            color: "black".into(),
            lease_expires_at: "2026-11-30T08:00:00Z".into(),
            parts: vec![ClaimedPart {
                task_id: 7,
                job_id: "job".into(),
                file_id: "file".into(),
                mesh_url: "http://127.0.0.1/m".into(),
                format: "stl".into(),
                unit: "mm".into(),
                center_mm: [50.0, 50.0],
                rotation_deg: 0.0,
                estimated_hours: 1.0,
                attempt: 1,
            }],
        }
    }

    #[test]
    fn records_survive_reopening_and_a_plate_dispatched_again_gets_new_event_ids() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("spool.redb");
        let id = format!("plate_{}", "ab".repeat(16));
        let first = {
            let ledger = Ledger::open(&Spool::open(&path).expect("spool")).expect("ledger");
            let mut record = ledger.begin("01PA", &plate(&id)).expect("begin");
            record.phase = Phase::Sent;
            ledger
                .save("01PA", &record, &[(7, b"v 0 0 0\n".to_vec())])
                .expect("save");
            record
        };
        let ledger = Ledger::open(&Spool::open(&path).expect("reopen")).expect("ledger");
        let stored = ledger.get("01PA").expect("get").expect("a record");
        assert_eq!(stored, first);
        assert_eq!(
            ledger.mesh(&id, 7).expect("mesh").as_deref(),
            Some(&b"v 0 0 0\n"[..])
        );
        assert_eq!(
            stored.event_id("task_finished", None),
            format!("{id}:1:task_finished")
        );
        let long = stored.event_id("inspection", Some(i64::MAX));
        assert!(long.len() <= 64 && !long.contains(':'), "{long}");
        ledger.remove("01PA").expect("remove");
        assert_eq!(ledger.get("01PA").expect("get"), None);
        assert_eq!(ledger.mesh(&id, 7).expect("mesh"), None);
        let again = ledger.begin("01PA", &plate(&id)).expect("again");
        assert_eq!(again.dispatch, 2);
        assert_ne!(
            again.event_id("task_started", None),
            first.event_id("task_started", None)
        );
    }
}
