//! Inspecting a finished part: the verdict and the photos the app keeps
//! (plate contract §2 `inspection`, §3 photos).
//!
//! - [`SimulatedInspector`] (the simulated farm's): renders the part's own
//!   mesh with `farm-inspection` from four views (iso, front, side, top) and
//!   fails a seeded share of parts, whose photos then show the defect (a
//!   layer shift or stringing). The same seed, plate and task always give
//!   the same verdict and the same bytes, so a restarted gateway repeats
//!   exactly what it may have sent before.
//! - [`NoInspector`] (real printers, for now): no automatic verdict; a
//!   person inspects in the app (`source: operator`).
//!
//! A camera inspector for real printers is not built. What it needs: the
//! X1 series streams RTSPS (`rtsps://<printer>:322/streaming/live/1`, user
//! `bblp`, the access code), the P1/A1 series a JPEG frame stream over TLS
//! on port 6000 (an 80-byte login packet with `bblp` and the access code,
//! then length-prefixed JPEG frames); one frame after FINISH, re-encoded as
//! PNG (the photo route takes PNG), uploaded as `camera.png`, and the
//! verdict left to a person (`passed` is not something a camera decides):
//! so it would upload the photo and send no `inspection` event.

use farm_inspection::{Defect, render_views};
use sha2::{Digest, Sha256};

use crate::meshes::PlacedMesh;

/// Side of each rendered photo, pixels.
pub const PHOTO_PX: usize = 480;

/// One task's inspection.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    pub passed: bool,
    /// What a failed part shows (`layer_shift`, `stringing`).
    pub defect: Option<String>,
    /// `(name, PNG bytes)`, names as the photo route takes them (`iso.png`).
    pub photos: Vec<(String, Vec<u8>)>,
    /// `simulated` or `camera`.
    pub source: &'static str,
}

/// Inspects finished parts. Blocking (rendering, or a camera): called on
/// the blocking pool.
pub trait Inspector: Send + Sync {
    /// The verdict on task `task_id` of `plate_id`, whose mesh as printed
    /// is `mesh` (`None` when it is not at hand). `None`: no automatic
    /// inspection; a person decides in the app.
    fn inspect(
        &self,
        plate_id: &str,
        task_id: i64,
        mesh: Option<&PlacedMesh>,
    ) -> Option<Inspection>;
}

/// No automatic inspection.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoInspector;

impl Inspector for NoInspector {
    fn inspect(&self, _: &str, _: i64, _: Option<&PlacedMesh>) -> Option<Inspection> {
        None
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
    fn inspect(
        &self,
        plate_id: &str,
        task_id: i64,
        mesh: Option<&PlacedMesh>,
    ) -> Option<Inspection> {
        let defect = self.defect(plate_id, task_id);
        let (vertices, triangles) = mesh
            .map(|m| (m.vertices.as_slice(), m.triangles.as_slice()))
            .unwrap_or_default();
        let photos = render_views(vertices, triangles, defect, PHOTO_PX)
            .into_iter()
            .map(|p| (format!("{}.png", p.view.name()), p.png))
            .collect();
        Some(Inspection {
            passed: defect.is_none(),
            defect: defect.map(|d| {
                match d {
                    Defect::LayerShift { .. } => "layer_shift",
                    Defect::Stringing { .. } => "stringing",
                }
                .to_owned()
            }),
            photos,
            source: "simulated",
        })
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
}
