//! One printer's production lane (see [`crate::production`]): claim,
//! prepare, dispatch, follow, inspect, clear; every step recorded in the
//! ledger first, so a restart carries on from the printer's own state.
//! This file takes a plate to its start; [`end`] follows it from there.

mod end;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use farm_slicing::PrinterModel;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use crate::bambu::GcodeState;
use crate::bambu_lan;
use crate::claims::{ClaimReason, ClaimedPlate, loaded_of};
use crate::ledger::{Phase, PlateRecord, TaskUsage};
use crate::link::{FarmEvent as WireEvent, FarmEventKind, LinkError};
use crate::meshes::{MeshError, PlacedMesh};
use crate::outcomes::FarmEvent;
use crate::production::{Production, lock};
use crate::spool::SpoolError;

/// Why a lane step stopped early; the lane waits and carries on.
#[derive(Debug, thiserror::Error)]
enum LaneError {
    #[error(transparent)]
    Spool(#[from] SpoolError),
    #[error(transparent)]
    App(#[from] LinkError),
    #[error(transparent)]
    Mesh(#[from] MeshError),
}

/// How a started plate ended.
enum End {
    Finished,
    Failed(u32),
    Cancelled {
        by_farm: bool,
    },
    /// The plate is not on the printer any more and nobody saw it end.
    Lost,
}

pub(crate) struct Lane {
    serial: String,
    model: PrinterModel,
    p: Arc<Production>,
    outcomes: mpsc::UnboundedReceiver<FarmEvent>,
    /// Failed downloads per plate id (a repeated claim signs new URLs;
    /// after [`DOWNLOAD_ATTEMPTS`] the plate goes back to the app).
    downloads_failed: std::collections::HashMap<String, u32>,
}

/// Downloads of one plate's meshes tried before it counts as undeliverable.
const DOWNLOAD_ATTEMPTS: u32 = 3;

impl Lane {
    pub(crate) fn new(
        serial: String,
        model: &str,
        p: Arc<Production>,
        outcomes: mpsc::UnboundedReceiver<FarmEvent>,
    ) -> Self {
        let model = PrinterModel::parse(model).unwrap_or_else(|| {
            tracing::warn!(%serial, model, "no slicing profile for this model; slicing as a P1S (same bed)");
            PrinterModel::P1S
        });
        Self {
            serial,
            model,
            p,
            outcomes,
            downloads_failed: Default::default(),
        }
    }

    pub(crate) async fn run(mut self) {
        // Nothing is decided before the printer has said what it is doing.
        while self.gcode_state().is_none() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        loop {
            if let Err(error) = self.step().await {
                tracing::warn!(serial = %self.serial, error = ?anyhow::Error::from(error), "production step failed; retrying");
                tokio::time::sleep(self.p.settings.claim_every).await;
            }
        }
    }

    fn state(&self) -> Arc<Value> {
        lock(&self.p.floor)
            .state(&self.serial)
            .unwrap_or_else(|| Arc::new(Value::Null))
    }

    fn gcode_state(&self) -> Option<GcodeState> {
        bambu_lan::status_of(&self.state()).gcode_state
    }

    /// Free for a new plate: IDLE, FINISH (the app knows whether the bed
    /// was cleared) or FAILED (stopped before the next job); not followed
    /// by the floor; its certificate trusted.
    fn claimable(&self) -> bool {
        let floor = lock(&self.p.floor);
        let free = matches!(
            floor
                .state(&self.serial)
                .map(|s| bambu_lan::status_of(&s).gcode_state),
            Some(Some(
                GcodeState::Idle | GcodeState::Finish | GcodeState::Failed
            ))
        );
        free && floor.plate_on(&self.serial).is_none() && !floor.alarmed(&self.serial)
    }

    async fn step(&mut self) -> Result<(), LaneError> {
        if let Some(record) = self.p.ledger.get(&self.serial)? {
            return self.carry_on(record).await;
        }
        if !self.claimable() {
            tokio::time::sleep(self.p.settings.claim_every.min(Duration::from_secs(1))).await;
            return Ok(());
        }
        // The app must know how the last plate ended before it is asked
        // for the next (else it hands out the unstarted lease again); the
        // spool says so, also for outcomes spooled before a restart.
        while self.p.spool.holds_plate_events(&self.serial)? {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let loaded = loaded_of(&lock(&self.p.floor).loaded(&self.serial));
        let answer = self.p.app.claim(&self.serial, &loaded).await?;
        if let (ClaimReason::Busy, Some(plate_id)) = (answer.reason, &answer.printing_plate_id) {
            return self.lost_before(plate_id);
        }
        match (answer.reason, answer.plate) {
            (ClaimReason::Claimed, Some(plate)) if plate.printer == self.serial => {
                tracing::info!(serial = %self.serial, plate = %plate.id, parts = plate.parts.len(), "plate claimed");
                // The app cleared any flag of ours: a person dealt with it.
                lock(&self.p.floor).clear_attention(&self.serial);
                self.produce(plate).await
            }
            // A finish this gateway has no record of (it came before a
            // restart with a fresh spool, or from another run): the plate
            // changer clears whatever is on the bed, after its delay, as it
            // does after the finishes it saw. The printer is idle here
            // (`claimable`), so nothing is printing on it.
            (ClaimReason::AwaitingClear, _) if self.p.settings.auto_clear.is_some() => {
                let delay = self.p.settings.auto_clear.unwrap_or_default();
                tokio::time::sleep(delay).await;
                if self.confirm_clear().await? {
                    tracing::info!(serial = %self.serial, "plate cleared (automatic; finished before this gateway's records)");
                }
                Ok(())
            }
            (reason, _) => {
                tracing::debug!(serial = %self.serial, ?reason, "no plate");
                tokio::time::sleep(self.p.settings.claim_every).await;
                Ok(())
            }
        }
    }

    /// Continues a plate from where the ledger says it got.
    async fn carry_on(&mut self, record: PlateRecord) -> Result<(), LaneError> {
        match record.phase {
            // Never sent: the repeated claim hands it out again.
            Phase::Prepared => self.p.ledger.remove(&self.serial)?,
            Phase::Sent => self.confirm_start(record).await?,
            Phase::Printing => {
                let mut record = record;
                let end = self.follow(&mut record).await;
                self.ended(record, end)?;
            }
            Phase::Finished => self.inspect(record).await?,
            Phase::Inspected => self.clear(record).await?,
        }
        Ok(())
    }

    /// Claimed → sliced → uploaded → sent → started.
    async fn produce(&mut self, plate: ClaimedPlate) -> Result<(), LaneError> {
        let mut record = self.p.ledger.begin(&self.serial, &plate)?;
        let prepared = match self.prepare(&plate).await {
            Ok(prepared) => prepared,
            Err(LaneError::Mesh(error)) if error.is_transient() => {
                let failed = self.downloads_failed.entry(plate.id.clone()).or_default();
                *failed += 1;
                if *failed >= DOWNLOAD_ATTEMPTS {
                    self.downloads_failed.remove(&plate.id);
                    let reason =
                        format!("preparing the plate: {error} ({DOWNLOAD_ATTEMPTS} tries)");
                    return self.dispatch_failed(&record, &reason);
                }
                // The lease is unstarted: the next claim returns the plate.
                self.p.ledger.remove(&self.serial)?;
                return Err(error.into());
            }
            Err(LaneError::Mesh(error)) => {
                return self.dispatch_failed(&record, &format!("preparing the plate: {error}"));
            }
            Err(other) => return Err(other),
        };
        let (sliced, meshes) = match prepared {
            Ok(done) => done,
            Err(reason) => return self.dispatch_failed(&record, &reason),
        };
        record.usage = sliced
            .usage
            .iter()
            .map(|u| TaskUsage {
                task_id: u.part_id.parse().unwrap_or_default(),
                grams: u.filament_g,
                print_s: u.print_s,
            })
            .collect();
        record.print_s = sliced.print_s;
        self.p.ledger.save(&self.serial, &record, &meshes)?;
        let ticket = lock(&self.p.floor).begin_dispatch(&self.serial, &plate.id);
        let outcome = match ticket {
            Ok(ticket) => match ticket.upload(&sliced.plate).await {
                Ok(()) => {
                    record.phase = Phase::Sent;
                    match self.p.ledger.save(&self.serial, &record, &[]) {
                        Ok(()) => ticket.start(&sliced.plate).await,
                        // Unrecorded, it is not sent: a restart could not tell.
                        Err(error) => Err(crate::dispatch::DispatchFailure::Send(format!(
                            "recording the plate before project_file: {error}"
                        ))),
                    }
                }
                Err(failure) => Err(failure),
            },
            Err(failure) => Err(failure),
        };
        let outcome = lock(&self.p.floor).end_dispatch(&self.serial, &plate.id, outcome);
        match outcome {
            Ok(()) => self.started(record),
            Err(failure) => self.dispatch_failed(&record, &failure.to_string()),
        }
    }

    /// Downloads, turns and slices the plate's parts. The inner `Err` is a
    /// slicing failure (the plate goes back to the app).
    #[allow(clippy::type_complexity)]
    async fn prepare(
        &self,
        plate: &ClaimedPlate,
    ) -> Result<Result<(crate::plates::PreparedPlate, Vec<(i64, Vec<u8>)>), String>, LaneError>
    {
        let mut parts = Vec::with_capacity(plate.parts.len());
        let mut meshes = Vec::with_capacity(plate.parts.len());
        let mut fetched: Vec<(String, Vec<u8>)> = Vec::new();
        for part in &plate.parts {
            let bytes = match fetched.iter().find(|(url, _)| *url == part.mesh_url) {
                Some((_, bytes)) => bytes.clone(),
                None => {
                    let bytes = self.p.fetcher.fetch(part).await?;
                    fetched.push((part.mesh_url.clone(), bytes.clone()));
                    bytes
                }
            };
            let obj = PlacedMesh::read(part, &bytes)?.to_obj();
            parts.push(farm_slicing::PlatePart {
                part_id: part.task_id.to_string(),
                mesh: obj.clone(),
                unit: mesh_engine::Unit::Millimeter,
                center_mm: part.center_mm,
            });
            meshes.push((part.task_id, obj));
        }
        let order = farm_slicing::Plate {
            printer: self.model,
            material: plate.material.clone(),
            parts,
        };
        let (slicer, id) = (Arc::clone(&self.p.slicer), plate.id.clone());
        let keys: Vec<Option<String>> = plate
            .parts
            .iter()
            .map(|p| Some(p.file_id.clone()))
            .collect();
        let _permit = self.p.slicing.acquire().await;
        let sliced = tokio::task::spawn_blocking(move || {
            crate::plates::prepare(slicer.as_ref(), &id, &order, &keys)
        })
        .await;
        Ok(match sliced {
            Ok(Ok(prepared)) => Ok((prepared, meshes)),
            Ok(Err(error)) => Err(format!("slicing: {error}")),
            Err(error) => Err(format!("slicing: {error}")),
        })
    }

    fn event(&self, record: &PlateRecord, kind: FarmEventKind, task_id: Option<i64>) -> WireEvent {
        let name = serde_json::to_value(kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let mut event = WireEvent::new(&self.serial, kind, Utc::now());
        event.id = record.event_id(&name, task_id);
        event.plate_id = Some(record.plate.id.clone());
        event.task_id = task_id;
        event
    }

    /// The app has `plate_id` printing on this printer, but the printer is
    /// free (`claimable`: not printing) and this gateway has no record of
    /// the plate (it was dispatched before a restart with a fresh spool, or
    /// by another run): its end will never be seen. Reported as the lane
    /// reports a plate it loses (`End::Lost`): `needs_attention` naming
    /// the plate, which fails it as a print and re-queues its parts, and
    /// flags the printer until a person has checked the bed. The event id
    /// is the plate's, so a repeated report is one.
    fn lost_before(&mut self, plate_id: &str) -> Result<(), LaneError> {
        tracing::error!(serial = %self.serial, plate = %plate_id,
            "the app has a plate printing here that this gateway never dispatched and the printer is idle; reported lost");
        let mut event = WireEvent::new(&self.serial, FarmEventKind::NeedsAttention, Utc::now());
        event.id = format!("{plate_id}:lost-unknown");
        event.plate_id = Some(plate_id.to_owned());
        let reason = "the plate is not on the printer and this gateway has no record of it";
        self.spool(event, json!({ "reason": reason }))?;
        Ok(())
    }

    fn spool(&mut self, mut event: WireEvent, detail: Value) -> Result<(), SpoolError> {
        event.detail = match detail {
            Value::Object(map) => Some(map),
            _ => Some(Map::new()),
        };
        tracing::info!(serial = %self.serial, kind = ?event.kind, id = %event.id, "plate event");
        lock(&self.p.recorder).outcome(event).map(drop)
    }

    fn started(&mut self, mut record: PlateRecord) -> Result<(), LaneError> {
        let event = self.event(&record, FarmEventKind::TaskStarted, None);
        let file = format!("{}.gcode.3mf", record.plate.id);
        self.spool(event, json!({ "file": file }))?;
        record.phase = Phase::Printing;
        self.p.ledger.save(&self.serial, &record, &[])?;
        Ok(())
    }

    fn dispatch_failed(&mut self, record: &PlateRecord, reason: &str) -> Result<(), LaneError> {
        tracing::warn!(serial = %self.serial, plate = %record.plate.id, reason, "dispatch failed; the plate goes back to the app");
        let event = self.event(record, FarmEventKind::DispatchFailed, None);
        self.spool(event, json!({ "reason": reason }))?;
        self.p.ledger.remove(&self.serial)?;
        Ok(())
    }
}
