//! The seam between the printer side and the app side of the gateway.
//!
//! The printer side (bridge MQTT, or LAN connections per printer)
//! hands every parsed report to [`Recorder::report`] and every dispatch
//! outcome to [`Recorder::outcome`]; it asks the app for work with
//! [`crate::link::AppLink::claim`]. The recorder merges reports into each
//! printer's state (`fleet::apply_report`), turns the changes into
//! [`FarmEvent`]s with fresh ids, and writes them with the new state to the
//! durable [`Spool`] in one transaction; the [`crate::sender::Sender`] takes
//! them to the app from there. Nothing here talks to the network.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use tokio::sync::Notify;

use crate::bambu::PrintStatus;
use crate::fleet::{EventKind, PrinterStatus, Snapshot, apply_report};
use crate::link::{FarmEvent, PrinterState};
use crate::spool::{Spool, SpoolError};

/// Merges reports into printer states and spools the events they cause.
pub struct Recorder {
    spool: Spool,
    snapshots: HashMap<String, Snapshot>,
    /// When each printer last reported (this process's clock).
    last_heard: HashMap<String, Instant>,
    spooled: Arc<Notify>,
}

impl Recorder {
    /// Starts from the states stored in `spool` (a restarted gateway goes on
    /// where it stopped, so it emits no event twice). Every printer counts as
    /// heard from now, so a silent one goes offline one `offline_after` later.
    pub fn new(spool: Spool) -> Result<Self, SpoolError> {
        let snapshots = spool.snapshots()?;
        let now = Instant::now();
        let last_heard = snapshots.keys().map(|s| (s.clone(), now)).collect();
        Ok(Self {
            spool,
            snapshots,
            last_heard,
            spooled: Arc::new(Notify::new()),
        })
    }

    /// Woken whenever events were spooled (the sender waits on it).
    pub fn notifier(&self) -> Arc<Notify> {
        Arc::clone(&self.spooled)
    }

    /// The spool this recorder writes to.
    pub fn spool(&self) -> &Spool {
        &self.spool
    }

    /// The printer's current state as the gateway knows it.
    pub fn snapshot(&self, serial: &str) -> Option<&Snapshot> {
        self.snapshots.get(serial)
    }

    /// Applies one report of the configured printer `serial` received at
    /// `now`; spools the events it causes (with the state after them) and
    /// returns their kinds. A report that changes nothing worth an event
    /// writes nothing.
    pub fn report(
        &mut self,
        serial: &str,
        report: &PrintStatus,
        now: DateTime<Utc>,
    ) -> Result<Vec<EventKind>, SpoolError> {
        self.last_heard.insert(serial.to_owned(), Instant::now());
        let previous = self
            .snapshots
            .get(serial)
            .cloned()
            .unwrap_or_else(Snapshot::unseen);
        let (next, kinds) = apply_report(&previous, report);
        if !kinds.is_empty() {
            let events: Vec<FarmEvent> = kinds
                .iter()
                .map(|kind| {
                    let mut event = FarmEvent::new(serial, (*kind).into(), now);
                    event.state = Some(PrinterState::from(&next));
                    event.detail = Some(change_detail(&previous, report));
                    event
                })
                .collect();
            self.spool.record(serial, Some(&next), &events)?;
            self.spooled.notify_one();
        }
        self.snapshots.insert(serial.to_owned(), next);
        Ok(kinds)
    }

    /// Spools a plate's outcome `event` (its id derived from the plate, so
    /// a restart that reports it again reports the same event: see
    /// `ledger::PlateRecord::event_id`) with its printer's current state.
    pub fn outcome(&mut self, mut event: FarmEvent) -> Result<FarmEvent, SpoolError> {
        event.state = self.snapshots.get(&event.printer).map(PrinterState::from);
        self.spool
            .record(&event.printer, None, std::slice::from_ref(&event))?;
        self.spooled.notify_one();
        Ok(event)
    }

    /// Marks every printer not heard from for `offline_after` offline, with
    /// an `offline` event each. Returns how many went offline.
    pub fn sweep(
        &mut self,
        offline_after: Duration,
        now: DateTime<Utc>,
    ) -> Result<u64, SpoolError> {
        let silent: Vec<String> = self
            .snapshots
            .iter()
            .filter(|(serial, snapshot)| {
                snapshot.status != PrinterStatus::Offline
                    && self
                        .last_heard
                        .get(*serial)
                        .is_none_or(|heard| heard.elapsed() >= offline_after)
            })
            .map(|(serial, _)| serial.clone())
            .collect();
        for serial in &silent {
            let Some(previous) = self.snapshots.get(serial).cloned() else {
                continue;
            };
            let next = Snapshot {
                status: PrinterStatus::Offline,
                ..previous.clone()
            };
            let mut event = FarmEvent::new(serial, EventKind::Offline.into(), now);
            event.state = Some(PrinterState::from(&next));
            event.detail = Some(Map::from_iter([(
                "from_status".to_owned(),
                Value::from(previous.status.as_str()),
            )]));
            self.spool.record(serial, Some(&next), &[event])?;
            self.snapshots.insert(serial.clone(), next);
        }
        if !silent.is_empty() {
            self.spooled.notify_one();
        }
        Ok(silent.len() as u64)
    }
}

/// What a state event carries besides the new state: where it came from and
/// the report's error code.
fn change_detail(previous: &Snapshot, report: &PrintStatus) -> Map<String, Value> {
    Map::from_iter([
        (
            "from_status".to_owned(),
            Value::from(previous.status.as_str()),
        ),
        (
            "from_gcode_state".to_owned(),
            previous
                .gcode_state
                .map_or(Value::Null, |g| Value::from(g.as_str())),
        ),
        (
            "print_error".to_owned(),
            report.print_error.map_or(Value::Null, Value::from),
        ),
    ])
}
