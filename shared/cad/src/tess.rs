//! Tessellation: the solid's faces meshed by truck, then welded by the mesh
//! engine (its 1e-8 grid, the same rule as every uploaded mesh), so the
//! exported triangles form one closed, consistently wound surface.

use mesh_engine::Mesh;
use truck_meshalgo::tessellation::{MeshableShape, MeshedShape};
use truck_modeling::Solid;

use crate::Error;

/// Largest distance between a curved surface and its triangles, mm: holes of
/// 2 mm and up lose well under 0.2 % of their area, far inside the gate's 1 %.
pub const CHORD_TOLERANCE_MM: f64 = 0.01;

/// A welded triangle mesh (mm), counter-clockwise seen from outside.
#[derive(Debug, Clone, PartialEq)]
pub struct TriMesh {
    pub vertices: Vec<[f64; 3]>,
    pub triangles: Vec<[u32; 3]>,
}

impl TriMesh {
    /// Signed volume by the divergence theorem, mm³ (positive when the
    /// triangles face outwards).
    pub fn signed_volume(&self) -> f64 {
        self.triangles
            .iter()
            .map(|t| {
                let [a, b, c] = t.map(|i| self.vertices[i as usize]);
                (a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0])
                    + a[2] * (b[0] * c[1] - b[1] * c[0]))
                    / 6.0
            })
            .sum()
    }

    /// Axis-aligned bounds (min, max), mm.
    pub fn bounds(&self) -> ([f64; 3], [f64; 3]) {
        let mut lo = [f64::INFINITY; 3];
        let mut hi = [f64::NEG_INFINITY; 3];
        for v in &self.vertices {
            for k in 0..3 {
                lo[k] = lo[k].min(v[k]);
                hi[k] = hi[k].max(v[k]);
            }
        }
        (lo, hi)
    }

    /// The mesh engine's view of this mesh (for its checks).
    pub fn to_engine(&self) -> Result<Mesh, Error> {
        Mesh::from_indexed(&self.vertices, &self.triangles).map_err(|e| Error::Mesh(e.to_string()))
    }
}

/// Meshes `solid` within [`CHORD_TOLERANCE_MM`] and welds it.
pub fn tessellate(solid: &Solid) -> Result<TriMesh, Error> {
    let poly = solid.triangulation(CHORD_TOLERANCE_MM).to_polygon();
    let positions: Vec<[f64; 3]> = poly.positions().iter().map(|p| [p.x, p.y, p.z]).collect();
    let raw: Vec<[u32; 3]> = poly
        .faces()
        .triangle_iter()
        .map(|t| t.map(|v| v.pos as u32))
        .collect();
    if raw.is_empty() {
        return Err(Error::Mesh("the solid tessellated to no triangles".into()));
    }
    let (positions, raw) = snap(&positions, &raw);
    let welded = Mesh::from_indexed(&positions, &raw).map_err(|e| Error::Mesh(e.to_string()))?;
    // Welding collapses slivers along seams into repeated corners: drop them.
    let triangles = welded
        .triangles()
        .iter()
        .copied()
        .filter(|t| t[0] != t[1] && t[1] != t[2] && t[0] != t[2])
        .collect();
    Ok(TriMesh {
        vertices: welded.vertices().to_vec(),
        triangles,
    })
}

/// Corners closer than this are one vertex, mm. truck meshes each face on
/// its own: the points it puts on a shared edge agree only to about 1e-9 of
/// the part's size, not bit for bit.
pub const SNAP_MM: f64 = 1e-5;

/// Moves every corner onto the first corner within [`SNAP_MM`] (grid cells
/// of that size, searched with their 26 neighbours), so the engine's exact
/// weld then merges them.
fn snap(points: &[[f64; 3]], tris: &[[u32; 3]]) -> (Vec<[f64; 3]>, Vec<[u32; 3]>) {
    use std::collections::HashMap;
    let cell = |p: [f64; 3]| p.map(|c| (c / SNAP_MM).floor() as i64);
    let mut grid: HashMap<[i64; 3], Vec<u32>> = HashMap::new();
    let mut out: Vec<[f64; 3]> = Vec::new();
    let mut remap = Vec::with_capacity(points.len());
    for &p in points {
        let c = cell(p);
        let mut found = None;
        'search: for dx in -1..=1 {
            for dy in -1..=1 {
                for dz in -1..=1 {
                    if let Some(ids) = grid.get(&[c[0] + dx, c[1] + dy, c[2] + dz]) {
                        for &id in ids {
                            let q = out[id as usize];
                            let d2 = (0..3).map(|k| (p[k] - q[k]).powi(2)).sum::<f64>();
                            if d2 <= SNAP_MM * SNAP_MM {
                                found = Some(id);
                                break 'search;
                            }
                        }
                    }
                }
            }
        }
        let id = found.unwrap_or_else(|| {
            out.push(p);
            let id = (out.len() - 1) as u32;
            grid.entry(c).or_default().push(id);
            id
        });
        remap.push(id);
    }
    let tris = tris.iter().map(|t| t.map(|i| remap[i as usize])).collect();
    (out, tris)
}
