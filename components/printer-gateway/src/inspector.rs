//! Inspecting a finished part: the photos the app keeps and, where one
//! is made here, the verdict (plate contract §2 `inspection`, §3 photos).
//!
//! - [`SimulatedInspector`] (the simulated farm's): renders the part's own
//!   mesh with `farm-inspection` from four views (iso, front, side, top) and
//!   fails a seeded share of parts, whose photos then show the defect (a
//!   layer shift or stringing). The same seed, plate and task always give
//!   the same verdict and the same bytes, so a restarted gateway repeats
//!   exactly what it may have sent before.
//! - [`CameraInspector`] (real printers, `FARM_INSPECTOR=camera`): one
//!   still from the printer's camera after FINISH ([`crate::camera`]),
//!   uploaded as `camera.png` for every task of the plate, and no verdict:
//!   `passed` is not something a camera decides, so a person judges the
//!   photo in the app (`source: operator`; no `inspection` event is sent).
//! - [`NoInspector`]: no photo, no verdict; a person inspects in the app.
//!
//! Whatever the inspector, the printer's own AI detections during the
//! print ([`crate::hms`]: spaghetti, first-layer defects, foreign objects,
//! nozzle clumping) are a verdict: failed, `source: printer`, the defect
//! named, with the inspector's photos ([`with_detections`]).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use farm_inspection::{DEFAULT_FILAMENT, Defect, render_views};
use sha2::{Digest, Sha256};

use crate::camera::{self, CameraTarget};
use crate::hms::AiDetection;
use crate::meshes::PlacedMesh;
use crate::pinning::PinStore;

/// Side of each rendered photo, pixels.
pub const PHOTO_PX: usize = 480;
/// The camera still's photo name.
pub const CAMERA_PHOTO: &str = "camera.png";

/// A finished part to inspect.
#[derive(Debug, Clone, Copy)]
pub struct Finished<'a> {
    /// The printer it was printed on.
    pub serial: &'a str,
    pub plate_id: &'a str,
    pub task_id: i64,
    /// Its mesh as printed (`None` when it is not at hand).
    pub mesh: Option<&'a PlacedMesh>,
    /// The plate's filament colour, a catalog name (`black`, `red`, ...).
    pub color: &'a str,
}

/// The judgement on a part.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub passed: bool,
    /// What a failed part shows (`layer_shift`, `stringing`, `spaghetti`, ...).
    pub defect: Option<String>,
    /// `simulated`, `camera` or `printer` (the printer's own AI).
    pub source: &'static str,
}

/// One task's inspection.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Inspection {
    /// `(name, PNG bytes)`, names as the photo route takes them (`iso.png`).
    pub photos: Vec<(String, Vec<u8>)>,
    /// `None`: photos only (if any); a person decides in the app and no
    /// `inspection` event is sent.
    pub verdict: Option<Verdict>,
}

/// Inspects finished parts. Blocking (rendering, or a camera): called on
/// the blocking pool.
pub trait Inspector: Send + Sync {
    fn inspect(&self, part: &Finished<'_>) -> Inspection;
}

/// The printer's AI detections decide: any detection fails the part
/// (`source: printer`, the first detection's defect), keeping the
/// inspector's photos; without detections the inspection stands.
pub fn with_detections(inspection: Inspection, detections: &[AiDetection]) -> Inspection {
    match detections.first() {
        Some(first) => Inspection {
            verdict: Some(Verdict {
                passed: false,
                defect: Some(first.defect().to_owned()),
                source: "printer",
            }),
            photos: inspection.photos,
        },
        None => inspection,
    }
}

/// No photo, no verdict.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoInspector;

impl Inspector for NoInspector {
    fn inspect(&self, _: &Finished<'_>) -> Inspection {
        Inspection::default()
    }
}

/// Real printers' camera: one still per plate, for every task on it.
pub struct CameraInspector {
    targets: HashMap<String, CameraTarget>,
    pins: PinStore,
    /// Per attempt to take a still.
    pub timeout: Duration,
    /// Attempts before the plate goes without a photo.
    pub attempts: u32,
    /// The last plate's still (or that it could not be taken), so a plate
    /// of several parts is photographed once.
    last: Mutex<Option<(String, Option<Vec<u8>>)>>,
}

impl CameraInspector {
    /// The cameras of `targets` (by serial), pinned in `pins`; 10 s and
    /// three attempts a still.
    pub fn new(targets: Vec<CameraTarget>, pins: PinStore) -> Self {
        Self {
            targets: targets.into_iter().map(|t| (t.serial.clone(), t)).collect(),
            pins,
            timeout: Duration::from_secs(10),
            attempts: 3,
            last: Mutex::new(None),
        }
    }

    fn still(&self, serial: &str) -> Option<Vec<u8>> {
        let target = self.targets.get(serial)?;
        for attempt in 1..=self.attempts {
            match camera::still_png(target, &self.pins, self.timeout) {
                Ok(png) => return Some(png),
                Err(error) => {
                    tracing::warn!(%serial, attempt, %error, "no camera still");
                    // Neither heals in seconds: no camera, a refused code.
                    if matches!(
                        error,
                        camera::CameraError::NoCamera | camera::CameraError::Unauthorized { .. }
                    ) {
                        return None;
                    }
                }
            }
            if attempt < self.attempts {
                std::thread::sleep(Duration::from_secs(2));
            }
        }
        None
    }
}

impl Inspector for CameraInspector {
    fn inspect(&self, part: &Finished<'_>) -> Inspection {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let still = match last.as_ref() {
            Some((plate, still)) if plate == part.plate_id => still.clone(),
            _ => {
                let still = self.still(part.serial);
                *last = Some((part.plate_id.to_owned(), still.clone()));
                still
            }
        };
        Inspection {
            photos: still
                .map(|png| vec![(CAMERA_PHOTO.to_owned(), png)])
                .unwrap_or_default(),
            verdict: None,
        }
    }
}

/// The simulated farm's inspector.
#[derive(Debug, Clone, Copy)]
pub struct SimulatedInspector {
    /// Share of parts that fail, 0 to 1 (`FARM_SIM_INSPECTION_FAIL_RATE`).
    pub fail_rate: f64,
    /// `FARM_SIM_SEED`.
    pub seed: u64,
}

impl SimulatedInspector {
    /// Uniform numbers in 0..1 from (seed, plate, task): SHA-256 of the
    /// three, eight bytes per number.
    fn draws(&self, plate_id: &str, task_id: i64) -> [f64; 4] {
        let digest = Sha256::digest(format!("{}:{plate_id}:{task_id}", self.seed).as_bytes());
        let mut out = [0.0; 4];
        for (i, chunk) in digest.chunks_exact(8).enumerate() {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(chunk);
            out[i] = (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64;
        }
        out
    }

    /// The defect a task shows, if it fails.
    pub fn defect(&self, plate_id: &str, task_id: i64) -> Option<Defect> {
        let [fail, kind, a, b] = self.draws(plate_id, task_id);
        let defect = if kind < 0.5 {
            Defect::LayerShift {
                at: 0.3 + 0.4 * a,
                shift: 0.12 + 0.2 * b,
            }
        } else {
            Defect::Stringing {
                seed: (a * 1e9) as u64,
            }
        };
        (fail < self.fail_rate).then_some(defect)
    }
}

impl Inspector for SimulatedInspector {
    fn inspect(&self, part: &Finished<'_>) -> Inspection {
        let defect = self.defect(part.plate_id, part.task_id);
        let (vertices, triangles) = part
            .mesh
            .map(|m| (m.vertices.as_slice(), m.triangles.as_slice()))
            .unwrap_or_default();
        let filament = crate::claims::catalog_rgb(part.color).unwrap_or(DEFAULT_FILAMENT);
        let photos = render_views(vertices, triangles, defect, PHOTO_PX, filament)
            .into_iter()
            .map(|p| (format!("{}.png", p.view.name()), p.png))
            .collect();
        Inspection {
            photos,
            verdict: Some(Verdict {
                passed: defect.is_none(),
                defect: defect.map(|d| {
                    match d {
                        Defect::LayerShift { .. } => "layer_shift",
                        Defect::Stringing { .. } => "stringing",
                    }
                    .to_owned()
                }),
                source: "simulated",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_failure_share_follows_the_rate_and_repeats_per_task() {
        let inspector = SimulatedInspector {
            fail_rate: 0.2,
            seed: 3,
        };
        let failed = (0..2000)
            .filter(|t| inspector.defect("plate_x", *t).is_some())
            .count();
        // 2000 draws at p = 0.2: mean 400, sd about 18; 5 sd either way.
        assert!((310..=490).contains(&failed), "{failed} of 2000");
        assert_eq!(
            inspector.defect("plate_x", 17),
            inspector.defect("plate_x", 17)
        );
        let none = SimulatedInspector {
            fail_rate: 0.0,
            seed: 3,
        };
        assert!((0..200).all(|t| none.defect("p", t).is_none()));
    }

    #[test]
    fn the_printers_detection_fails_the_part_and_keeps_the_photos() {
        let photos = vec![(CAMERA_PHOTO.to_owned(), vec![1, 2, 3])];
        let camera_only = Inspection {
            photos: photos.clone(),
            verdict: None,
        };
        // No detection: photos only, the verdict left to a person.
        assert_eq!(with_detections(camera_only.clone(), &[]), camera_only);
        let failed = with_detections(
            camera_only,
            &[AiDetection::FirstLayer, AiDetection::Spaghetti],
        );
        assert_eq!(failed.photos, photos);
        assert_eq!(
            failed.verdict,
            Some(Verdict {
                passed: false,
                defect: Some("first_layer".into()),
                source: "printer"
            })
        );
        // A simulated pass is overruled by the printer too.
        let simulated = SimulatedInspector {
            fail_rate: 0.0,
            seed: 1,
        }
        .inspect(&Finished {
            serial: "P",
            plate_id: "p",
            task_id: 1,
            mesh: None,
            color: "black",
        });
        assert_eq!(simulated.verdict.as_ref().map(|v| v.passed), Some(true));
        let overruled = with_detections(simulated, &[AiDetection::ForeignObject]);
        assert_eq!(
            overruled.verdict.map(|v| (v.passed, v.source)),
            Some((false, "printer"))
        );
        assert_eq!(overruled.photos.len(), 4);
    }
}
