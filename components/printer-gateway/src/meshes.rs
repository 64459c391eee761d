//! A claimed part's mesh: downloaded from its presigned URL (bounded), then
//! made ready for the slicer and the inspector: parsed by mesh-engine,
//! scaled to millimetres and turned about Z by the scheduler's rotation
//! (farm-slicing places parts where told but does not turn them).

use std::time::Duration;

use mesh_engine::{Format, Limits, Unit};

use crate::claims::ClaimedPart;

/// The largest mesh the gateway downloads: the app accepts no larger
/// upload (`mesh_engine::limits::HOSTED_MAX_FILE_BYTES`, 32 MiB).
pub const MAX_MESH_BYTES: u64 = mesh_engine::limits::HOSTED_MAX_FILE_BYTES;

/// Why a part's mesh could not be had.
#[derive(Debug, thiserror::Error)]
pub enum MeshError {
    /// The store did not answer, or answered an error (worth another try).
    #[error("downloading the mesh of task {task_id}: {reason}")]
    Download { task_id: i64, reason: String },
    #[error("the mesh of task {task_id} is larger than {MAX_MESH_BYTES} bytes")]
    TooLarge { task_id: i64 },
    /// The bytes are not a mesh mesh-engine reads, or the part's unit is unknown.
    #[error("the mesh of task {task_id} cannot be used: {reason}")]
    Unusable { task_id: i64, reason: String },
}

impl MeshError {
    /// True when trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Download { .. })
    }
}

/// Downloads meshes from presigned URLs. Its own client: the site token
/// never goes to the object store.
#[derive(Debug, Clone)]
pub struct MeshFetcher {
    client: reqwest::Client,
    max_bytes: u64,
}

impl Default for MeshFetcher {
    fn default() -> Self {
        Self::new(MAX_MESH_BYTES)
    }
}

impl MeshFetcher {
    pub fn new(max_bytes: u64) -> Self {
        let client = reqwest::Client::builder()
            .no_proxy()
            .use_rustls_tls()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(300))
            .build()
            .unwrap_or_default();
        Self { client, max_bytes }
    }

    /// The part's file, at most `max_bytes` (checked on the announced length
    /// and again while reading, as a server may announce none).
    pub async fn fetch(&self, part: &ClaimedPart) -> Result<Vec<u8>, MeshError> {
        let download = |reason: String| MeshError::Download {
            task_id: part.task_id,
            reason,
        };
        let mut response = self
            .client
            .get(&part.mesh_url)
            .send()
            .await
            .map_err(|e| download(e.to_string()))?;
        if !response.status().is_success() {
            return Err(download(format!(
                "the store answered {}",
                response.status()
            )));
        }
        let too_large = MeshError::TooLarge {
            task_id: part.task_id,
        };
        if response
            .content_length()
            .is_some_and(|n| n > self.max_bytes)
        {
            return Err(too_large);
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| download(e.to_string()))?
        {
            if (bytes.len() + chunk.len()) as u64 > self.max_bytes {
                return Err(too_large);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }
}

/// A part's mesh in the bed's frame: millimetres, turned as placed.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedMesh {
    pub vertices: Vec<[f64; 3]>,
    pub triangles: Vec<[u32; 3]>,
}

impl PlacedMesh {
    /// Reads `bytes` as the part says (a 3MF's own unit wins over the
    /// part's, as in the slicer), scales to mm and turns it `rotation_deg`
    /// counter-clockwise about Z (seen from above).
    pub fn read(part: &ClaimedPart, bytes: &[u8]) -> Result<Self, MeshError> {
        let unusable = |reason: String| MeshError::Unusable {
            task_id: part.task_id,
            reason,
        };
        let unit =
            Unit::parse(&part.unit).ok_or_else(|| unusable(format!("unit {:?}", part.unit)))?;
        let limits = Limits {
            max_file_bytes: MAX_MESH_BYTES.max(bytes.len() as u64),
            ..Limits::default()
        };
        let mesh = mesh_engine::parse(bytes, &limits).map_err(|e| unusable(e.to_string()))?;
        let unit = match (mesh.format(), mesh.file_unit()) {
            (Format::ThreeMf, Some(own)) => own,
            _ => unit,
        };
        let scale = unit.mm_per_unit();
        let (sin, cos) = part.rotation_deg.to_radians().sin_cos();
        // Quarter turns exactly: sin/cos of 90° are not exact in floating point.
        let snap = |v: f64| {
            if (v - v.round()).abs() < 1e-12 {
                v.round()
            } else {
                v
            }
        };
        let (sin, cos) = (snap(sin), snap(cos));
        let vertices = mesh
            .vertices()
            .iter()
            .map(|v| {
                let (x, y, z) = (v[0] * scale, v[1] * scale, v[2] * scale);
                [x * cos - y * sin, x * sin + y * cos, z]
            })
            .collect();
        Ok(Self {
            vertices,
            triangles: mesh.triangles().to_vec(),
        })
    }

    /// Reads back what [`PlacedMesh::to_obj`] wrote.
    pub fn from_obj(bytes: &[u8]) -> Result<Self, mesh_engine::Error> {
        let mesh = mesh_engine::parse_as(bytes, Format::Obj, &Limits::default())?;
        Ok(Self {
            vertices: mesh.vertices().to_vec(),
            triangles: mesh.triangles().to_vec(),
        })
    }

    /// Wavefront OBJ in mm, the form the slicer is given
    /// (`farm_slicing::PlatePart` with `Unit::Millimeter`).
    pub fn to_obj(&self) -> Vec<u8> {
        use std::fmt::Write;
        let mut out = String::with_capacity(32 * self.vertices.len() + 24 * self.triangles.len());
        for v in &self.vertices {
            let _ = writeln!(out, "v {} {} {}", v[0], v[1], v[2]);
        }
        for t in &self.triangles {
            let _ = writeln!(out, "f {} {} {}", t[0] + 1, t[1] + 1, t[2] + 1);
        }
        out.into_bytes()
    }

    /// The extent along x and y, mm.
    pub fn footprint(&self) -> [f64; 2] {
        let mut lo = [f64::INFINITY; 2];
        let mut hi = [f64::NEG_INFINITY; 2];
        for v in &self.vertices {
            for k in 0..2 {
                lo[k] = lo[k].min(v[k]);
                hi[k] = hi[k].max(v[k]);
            }
        }
        [hi[0] - lo[0], hi[1] - lo[1]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(unit: &str, rotation_deg: f64) -> ClaimedPart {
        ClaimedPart {
            task_id: 1,
            job_id: "job".into(),
            file_id: "file".into(),
            mesh_url: String::new(),
            format: "obj".into(),
            unit: unit.into(),
            center_mm: [100.0, 100.0],
            rotation_deg,
            estimated_hours: 1.0,
            attempt: 1,
        }
    }

    /// A closed box `w` × `d` × `h` as OBJ.
    fn block(w: f64, d: f64, h: f64) -> Vec<u8> {
        let mut text = String::new();
        for (x, y, z) in [
            (0.0, 0.0, 0.0),
            (w, 0.0, 0.0),
            (w, d, 0.0),
            (0.0, d, 0.0),
            (0.0, 0.0, h),
            (w, 0.0, h),
            (w, d, h),
            (0.0, d, h),
        ] {
            text.push_str(&format!("v {x} {y} {z}\n"));
        }
        for f in [
            [1, 3, 2],
            [1, 4, 3],
            [5, 6, 7],
            [5, 7, 8],
            [1, 2, 6],
            [1, 6, 5],
            [2, 3, 7],
            [2, 7, 6],
            [3, 4, 8],
            [3, 8, 7],
            [4, 1, 5],
            [4, 5, 8],
        ] {
            text.push_str(&format!("f {} {} {}\n", f[0], f[1], f[2]));
        }
        text.into_bytes()
    }

    #[test]
    fn a_quarter_turn_swaps_the_footprint_and_units_scale_to_mm() {
        let bytes = block(40.0, 10.0, 5.0);
        let straight = PlacedMesh::read(&part("mm", 0.0), &bytes).expect("mesh");
        assert_eq!(straight.footprint(), [40.0, 10.0]);
        let turned = PlacedMesh::read(&part("mm", 90.0), &bytes).expect("mesh");
        assert_eq!(turned.footprint(), [10.0, 40.0]);
        let inches = PlacedMesh::read(&part("inch", 0.0), &bytes).expect("mesh");
        assert_eq!(inches.footprint(), [40.0 * 25.4, 10.0 * 25.4]);
        // The OBJ reads back as the same mesh.
        let again = PlacedMesh::from_obj(&turned.to_obj()).expect("obj");
        assert_eq!(again.footprint(), [10.0, 40.0]);
        let err = PlacedMesh::read(&part("furlong", 0.0), &bytes).expect_err("unit");
        assert!(err.to_string().contains("furlong"), "{err}");
    }
}
