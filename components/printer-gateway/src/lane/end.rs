//! A started plate to its end: confirmed after a restart, followed to
//! FINISH/FAILED (or found lost), reported, inspected and cleared.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::{End, Lane, LaneError};
use crate::bambu::GcodeState;
use crate::bambu_lan::{self, ErrorClass, classify_error};
use crate::dispatch::{DispatchFailure, shows_plate};
use crate::inspector::{Finished, with_detections};
use crate::ledger::{Phase, PlateRecord};
use crate::link::{FarmEvent as WireEvent, FarmEventKind, LinkError};
use crate::meshes::PlacedMesh;
use crate::outcomes::FarmEvent;
use crate::production::lock;

impl Lane {
    /// After a restart in phase `Sent`: the printer shows the plate (it
    /// got `project_file`), or it did not start within the start timeout.
    pub(super) async fn confirm_start(&mut self, record: PlateRecord) -> Result<(), LaneError> {
        let deadline = Instant::now() + self.p.settings.start_timeout;
        loop {
            let state = self.state();
            let gcode = bambu_lan::status_of(&state).gcode_state;
            if shows_plate(&state, &record.plate.id) && gcode != Some(GcodeState::Idle) {
                return self.started(record);
            }
            if Instant::now() >= deadline {
                let failure = DispatchFailure::NoStart(self.p.settings.start_timeout);
                let mut floor = lock(&self.p.floor);
                floor.adopt(&self.serial, &record.plate.id, false);
                let _ = floor.end_dispatch(&self.serial, &record.plate.id, Err(failure.clone()));
                drop(floor);
                return self.dispatch_failed(&record, &failure.to_string());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Follows a started plate to its end, keeping in the ledger what the
    /// printer's AI detects on the way.
    pub(super) async fn follow(&mut self, record: &mut PlateRecord) -> End {
        let id = record.plate.id.clone();
        let id = id.as_str();
        let ended = {
            let mut floor = lock(&self.p.floor);
            if floor.plate_on(&self.serial) == Some(id) {
                None
            } else {
                // A restarted gateway: the printer's state says where the plate is.
                let state = floor.state(&self.serial).unwrap_or_default();
                let status = bambu_lan::status_of(&state);
                match (shows_plate(&state, id), status.gcode_state) {
                    (true, Some(GcodeState::Finish)) => Some(End::Finished),
                    (true, Some(GcodeState::Failed)) => {
                        let code = status.print_error.unwrap_or(0);
                        Some(
                            if code != 0 && classify_error(code) == ErrorClass::Cancelled {
                                End::Cancelled { by_farm: false }
                            } else {
                                End::Failed(code)
                            },
                        )
                    }
                    (true, Some(GcodeState::Idle) | None) | (false, _) => Some(End::Lost),
                    (true, _) => {
                        floor.adopt(&self.serial, id, true);
                        None
                    }
                }
            }
        };
        if let Some(end) = ended {
            return end;
        }
        let mut check = tokio::time::interval(Duration::from_secs(5));
        loop {
            let outcome = tokio::select! {
                outcome = self.outcomes.recv() => outcome,
                _ = check.tick() => {
                    // A printer that lost its job (power cut, a person's
                    // reset) reports IDLE without it: no end will come.
                    let state = self.state();
                    let idle = bambu_lan::status_of(&state).gcode_state == Some(GcodeState::Idle);
                    if idle && !shows_plate(&state, id) {
                        return End::Lost;
                    }
                    continue;
                }
            };
            match outcome {
                Some(FarmEvent::PrintFinished { plate_id, .. }) if plate_id == id => {
                    return End::Finished;
                }
                Some(FarmEvent::PrintFailed {
                    plate_id,
                    print_error,
                    ..
                }) if plate_id == id => return End::Failed(print_error),
                Some(FarmEvent::PrintCancelled {
                    plate_id, by_farm, ..
                }) if plate_id == id => return End::Cancelled { by_farm },
                Some(FarmEvent::AiDetected {
                    plate_id,
                    detection,
                    ..
                }) if plate_id == id => {
                    tracing::warn!(serial = %self.serial, plate = id, ?detection, "the printer's AI detected a defect");
                    if !record.detections.contains(&detection) {
                        record.detections.push(detection);
                        if let Err(error) = self.p.ledger.save(&self.serial, record, &[]) {
                            tracing::error!(serial = %self.serial, %error, "could not record the detection");
                        }
                    }
                }
                Some(_) => {}
                None => std::future::pending::<()>().await,
            }
        }
    }

    pub(super) fn ended(&mut self, mut record: PlateRecord, end: End) -> Result<(), LaneError> {
        lock(&self.p.floor).release(&self.serial, &record.plate.id);
        match end {
            End::Finished => {
                let usage: Vec<Value> = record
                    .usage
                    .iter()
                    .map(
                        |u| json!({ "task_id": u.task_id, "grams": u.grams, "print_s": u.print_s }),
                    )
                    .collect();
                let event = self.event(&record, FarmEventKind::TaskFinished, None);
                self.spool(event, json!({ "print_s": record.print_s, "usage": usage }))?;
                record.phase = Phase::Finished;
                record.finished_at = Some(Utc::now().to_rfc3339());
                self.p.ledger.save(&self.serial, &record, &[])?;
                return Ok(());
            }
            End::Failed(code) => {
                let event = self.event(&record, FarmEventKind::TaskFailed, None);
                let reason = format!("the printer stopped the print (print_error {code:#010x})");
                self.spool(event, json!({ "print_error": code, "reason": reason }))?;
            }
            End::Cancelled { by_farm } => {
                let event = self.event(&record, FarmEventKind::TaskCancelled, None);
                let by = if by_farm { "gateway" } else { "printer" };
                self.spool(event, json!({ "cancelled_at": by }))?;
            }
            End::Lost => {
                tracing::error!(serial = %self.serial, plate = %record.plate.id,
                    "the plate is no longer on the printer and its end was not seen; a person must check");
                let mut event =
                    WireEvent::new(&self.serial, FarmEventKind::NeedsAttention, Utc::now());
                event.id = record.event_id("lost", None);
                event.plate_id = Some(record.plate.id.clone());
                let reason = "the plate's end was not seen (the printer no longer shows it)";
                self.spool(event, json!({ "reason": reason }))?;
            }
        }
        self.p.ledger.remove(&self.serial)?;
        Ok(())
    }

    /// Inspects every task of a finished plate: photos up, then the
    /// verdict, if one was made here (the printer's AI detections decide
    /// over the inspector's: see [`with_detections`]).
    pub(super) async fn inspect(&mut self, mut record: PlateRecord) -> Result<(), LaneError> {
        for part in &record.plate.parts {
            let mesh = self.p.ledger.mesh(&record.plate.id, part.task_id)?;
            let (inspector, serial, plate_id, task_id, color) = (
                Arc::clone(&self.p.inspector),
                self.serial.clone(),
                record.plate.id.clone(),
                part.task_id,
                record.plate.color.clone(),
            );
            let inspection = tokio::task::spawn_blocking(move || {
                let mesh = mesh.and_then(|bytes| PlacedMesh::from_obj(&bytes).ok());
                inspector.inspect(&Finished {
                    serial: &serial,
                    plate_id: &plate_id,
                    task_id,
                    mesh: mesh.as_ref(),
                    color: &color,
                })
            })
            .await
            .unwrap_or_default();
            let inspection = with_detections(inspection, &record.detections);
            let mut names = Vec::new();
            for (name, png) in &inspection.photos {
                self.p.app.put_photo(part.task_id, name, png).await?;
                names.push(name.clone());
            }
            let Some(verdict) = inspection.verdict else {
                // A person judges the photos in the app.
                continue;
            };
            let event = self.event(&record, FarmEventKind::Inspection, Some(part.task_id));
            self.spool(
                event,
                json!({
                    "passed": verdict.passed,
                    "photos": names,
                    "defect": verdict.defect,
                    "source": verdict.source,
                }),
            )?;
        }
        record.phase = Phase::Inspected;
        self.p.ledger.save(&self.serial, &record, &[])?;
        Ok(())
    }

    /// The automatic plate clear, once the app has the plate's finish and
    /// inspections and the delay since the finish has passed.
    pub(super) async fn clear(&self, record: PlateRecord) -> Result<(), LaneError> {
        let Some(delay) = self.p.settings.auto_clear else {
            return Ok(self.p.ledger.remove(&self.serial)?);
        };
        let mut ids = vec![record.event_id("task_finished", None)];
        ids.extend(
            record
                .plate
                .parts
                .iter()
                .map(|p| record.event_id("inspection", Some(p.task_id))),
        );
        while self.p.spool.holds(&ids)? {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let since = record
            .finished_at
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| {
                (Utc::now() - t.with_timezone(&Utc))
                    .to_std()
                    .unwrap_or_default()
            })
            .unwrap_or_default();
        tokio::time::sleep(delay.saturating_sub(since)).await;
        if self.confirm_clear().await? {
            tracing::info!(serial = %self.serial, plate = %record.plate.id, "plate cleared (automatic)");
        }
        self.p.ledger.remove(&self.serial)?;
        Ok(())
    }

    /// The plate changer's clear, told to the app: `true` when this call
    /// cleared the printer, `false` when it was clear already (a person,
    /// or a call before a restart: the app's 409).
    pub(super) async fn confirm_clear(&self) -> Result<bool, LaneError> {
        match self.p.app.clear_printer(&self.serial).await {
            Ok(()) => Ok(true),
            Err(LinkError::Refused { status: 409, .. }) => Ok(false),
            Err(other) => Err(other.into()),
        }
    }
}
