//! The production loop in LAN mode: each printer pulls its work from the app.
//! One [`lane`](crate::lane) per printer: when the printer is free it
//! claims a plate (`POST /internal/farm/claims`, with what its trays hold),
//! downloads each part's mesh, turns and places it, slices the plate
//! (PrusaSlicer, on the blocking pool), dispatches it (FTPS, `project_file`,
//! the start), and reports what follows as spooled events naming the plate:
//! `task_started`, `task_finished` (the slicer's usage per task),
//! `task_failed`, `task_cancelled`, `dispatch_failed`, then the
//! inspection of each task (its photos, and an `inspection` event when a
//! verdict was made here: see [`crate::inspector`]) and, on the simulated
//! farm, the automatic plate clear.
//!
//! Crash safety: every step is written to the [`Ledger`] before the next
//! one can be observed by anyone else (claimed → `Prepared`; uploaded →
//! `Sent` before `project_file`; started → `Printing`; finished →
//! `Finished`; inspected → `Inspected`), and every outcome's event id is
//! derived from the plate. A restarted gateway reads its ledger and the
//! printer's own state (its `subtask_name` is the plate id, its file
//! `<plate id>.gcode.3mf`): a `Prepared` plate was never sent (the repeated
//! claim returns it again); a `Sent` or `Printing` plate the printer shows
//! is followed to its end and never dispatched again; one it does not show
//! within the start timeout failed to dispatch; outcomes already reported
//! are reported again under the same ids, which the app applies once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use farm_slicing::Slicer;
use tokio::sync::mpsc;

use crate::config::{Config, InspectorKind};
use crate::dispatch::{DispatchFailure, Floor};
use crate::inspector::{CameraInspector, Inspector, NoInspector, SimulatedInspector};
use crate::lane::Lane;
use crate::ledger::Ledger;
use crate::link::AppLink;
use crate::meshes::MeshFetcher;
use crate::outcomes::FarmEvent;
use crate::recorder::Recorder;
use crate::spool::{Spool, SpoolError};

/// The floor, shared by the report loop and the lanes (never held across an await).
pub type SharedFloor = Arc<Mutex<Floor>>;
/// The recorder, shared likewise.
pub type SharedRecorder = Arc<Mutex<Recorder>>;

/// Locks a shared value, also after a panic elsewhere (the data stays usable).
pub fn lock<T>(shared: &Mutex<T>) -> MutexGuard<'_, T> {
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

/// The pull loop's settings (from [`Config`]).
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long to wait after a claim without a plate (or an error).
    pub claim_every: Duration,
    /// The automatic plate clear's delay after a finish; `None`: a person clears.
    pub auto_clear: Option<Duration>,
    /// How long a dispatched printer has to start (also after a restart).
    pub start_timeout: Duration,
}

/// What every lane shares.
pub struct Production {
    pub(crate) floor: SharedFloor,
    pub(crate) recorder: SharedRecorder,
    pub(crate) app: AppLink,
    pub(crate) ledger: Ledger,
    pub(crate) spool: Spool,
    pub(crate) fetcher: MeshFetcher,
    pub(crate) slicer: Arc<dyn Slicer + Send + Sync>,
    /// One slicer process per core at most: ten printers freed at once
    /// must not start ten slicers on a small site computer.
    pub(crate) slicing: tokio::sync::Semaphore,
    pub(crate) inspector: Arc<dyn Inspector>,
    pub(crate) settings: Settings,
}

impl Production {
    /// The pull loop's parts from the configuration: PrusaSlicer, the
    /// configured inspector, the ledger in the recorder's spool.
    pub fn from_config(
        config: &Config,
        floor: SharedFloor,
        recorder: SharedRecorder,
        app: AppLink,
    ) -> Result<Option<Self>, SpoolError> {
        let Some(claim_every) = config.claim_every else {
            return Ok(None);
        };
        let spool = lock(&recorder).spool().clone();
        let inspector: Arc<dyn Inspector> = match config.inspector {
            InspectorKind::None => Arc::new(NoInspector),
            InspectorKind::Camera => {
                let (targets, pins) = lock(&floor).cameras();
                Arc::new(CameraInspector::new(targets, pins))
            }
            InspectorKind::Simulated => Arc::new(SimulatedInspector {
                fail_rate: config.inspection_fail_rate,
                seed: config.sim_seed,
            }),
        };
        Ok(Some(Self {
            floor,
            recorder,
            app,
            ledger: Ledger::open(&spool)?,
            spool,
            fetcher: MeshFetcher::default(),
            slicer: Arc::new(farm_slicing::PrusaSlicer::default()),
            slicing: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            ),
            inspector,
            settings: Settings {
                claim_every,
                auto_clear: config.auto_clear,
                start_timeout: config.start_timeout,
            },
        }))
    }

    /// Starts one lane per printer (`serial`, model). Returns where each
    /// printer's print outcomes go (the report loop routes them).
    pub fn start(
        self,
        printers: &[(String, String)],
    ) -> HashMap<String, mpsc::UnboundedSender<FarmEvent>> {
        let shared = Arc::new(self);
        printers
            .iter()
            .map(|(serial, model)| {
                let (tx, rx) = mpsc::unbounded_channel();
                let lane = Lane::new(serial.clone(), model, Arc::clone(&shared), rx);
                tokio::spawn(lane.run());
                (serial.clone(), tx)
            })
            .collect()
    }
}

/// Cancels the plate `serial` prints (farm-initiated): `stop` is sent and
/// the printer's FAILED becomes `task_cancelled` (never re-printed
/// automatically).
pub async fn cancel(floor: &SharedFloor, serial: &str) -> Result<(), DispatchFailure> {
    let link = lock(floor).begin_cancel(serial)?;
    link.send(crate::bambu::Request::Stop.to_json(link.next_sequence()))
        .await
        .map_err(|e| DispatchFailure::Send(e.to_string()))
}
