//! Unit-independent measurements of a mesh, in file units, with trimesh's
//! definitions (see the crate docs).

mod geometry;
mod topology;

pub(crate) use geometry::{cross, dot, norm, sub};
pub(crate) use topology::SAMPLE;

use crate::mesh::Mesh;

/// Everything about a mesh that does not depend on the unit, printer or
/// material. Computed once per [`Mesh`] and cached.
#[derive(Debug, Clone)]
pub struct Measurements {
    pub triangle_count: u64,
    /// Vertices after welding (equal after rounding to 1e-8).
    pub vertex_count: u64,
    /// Distinct undirected edges.
    pub edge_count: u64,
    /// Bounding box corners, file units.
    pub bbox_min: [f64; 3],
    pub bbox_max: [f64; 3],
    /// Signed divergence-theorem volume, file units³ (trimesh's formula).
    pub signed_volume: f64,
    /// Sum of triangle areas (degenerate ones included), file units².
    pub area: f64,
    pub is_watertight: bool,
    pub is_winding_consistent: bool,
    pub boundary_edges: u64,
    pub non_manifold_edges: u64,
    /// Edges used by exactly two faces that run the same way in both.
    pub inconsistent_edges: u64,
    pub non_manifold_vertices: u64,
    pub body_count: u64,
    pub degenerate_faces: u64,
    /// V − E + F.
    pub euler_number: i64,
    pub(crate) samples: Samples,
}

/// Example face indices per problem, for findings.
#[derive(Debug, Clone, Default)]
pub(crate) struct Samples {
    pub boundary: Vec<u32>,
    pub non_manifold: Vec<u32>,
    pub inconsistent: Vec<u32>,
    pub degenerate: Vec<u32>,
    pub body_first_faces: Vec<u32>,
}

impl Measurements {
    pub(crate) fn compute(mesh: &Mesh) -> Measurements {
        let topo = topology::compute(&mesh.triangles, mesh.vertices.len());
        let geo = geometry::compute(&mesh.vertices, &mesh.triangles);
        let is_watertight = topo.boundary_edges == 0 && topo.non_manifold_edges == 0;
        Measurements {
            triangle_count: mesh.triangles.len() as u64,
            vertex_count: mesh.vertices.len() as u64,
            edge_count: topo.unique_edges,
            bbox_min: geo.bbox_min,
            bbox_max: geo.bbox_max,
            signed_volume: geo.signed_volume,
            area: geo.area,
            is_watertight,
            is_winding_consistent: topo.inconsistent_edges == 0,
            boundary_edges: topo.boundary_edges,
            non_manifold_edges: topo.non_manifold_edges,
            inconsistent_edges: topo.inconsistent_edges,
            non_manifold_vertices: topo.non_manifold_vertices,
            body_count: topo.body_count,
            degenerate_faces: geo.degenerate_faces,
            euler_number: mesh.vertices.len() as i64 - topo.unique_edges as i64
                + mesh.triangles.len() as i64,
            samples: Samples {
                boundary: topo.boundary_faces,
                non_manifold: topo.non_manifold_faces,
                inconsistent: topo.inconsistent_faces,
                degenerate: geo.degenerate_sample,
                body_first_faces: topo.body_first_faces,
            },
        }
    }

    /// Closed, every edge shared by two faces in opposite directions, and no
    /// vertex where separate shells touch.
    pub fn is_manifold(&self) -> bool {
        self.is_watertight && self.is_winding_consistent && self.non_manifold_vertices == 0
    }

    /// Bounding box size per axis, file units.
    pub fn extents(&self) -> [f64; 3] {
        [0, 1, 2].map(|i| self.bbox_max[i] - self.bbox_min[i])
    }
}
