//! Thin walls, estimated with ray casts through parry3d.
//!
//! From the centroid of sampled faces a ray goes inwards along the face normal;
//! the first face it leaves the solid through (a back face, found with
//! parry's culling ray cast) is the opposite side of the wall. The distance is
//! the local wall thickness. Only hits closer than the minimum wall are
//! searched, so the BVH traversal stays short. Needs a closed, consistently
//! wound mesh; parry works in f32, so the mesh is centred first.

use parry3d::math::Vector;
use parry3d::query::{Ray, RayCullingMode};
use parry3d::shape::TriMesh;

use crate::measure::{Measurements, SAMPLE, cross, norm, sub};
use crate::mesh::Mesh;

#[derive(Debug, Clone, Default)]
pub(crate) struct Walls {
    pub sampled: u32,
    pub thin: u32,
    /// Thinnest wall found, mm (only meaningful when `thin > 0`).
    pub thinnest_mm: f64,
    pub faces: Vec<u32>,
}

pub(crate) fn thin_walls(
    mesh: &Mesh,
    m: &Measurements,
    scale: f64,
    min_wall_mm: f64,
    samples: u32,
) -> Walls {
    let mut out = Walls {
        thinnest_mm: f64::INFINITY,
        ..Walls::default()
    };
    let centre = [0, 1, 2].map(|i| (m.bbox_min[i] + m.bbox_max[i]) / 2.0);
    let vertices: Vec<Vector> = mesh
        .vertices
        .iter()
        .map(|p| {
            let q = sub(*p, centre);
            Vector::new(q[0] as f32, q[1] as f32, q[2] as f32)
        })
        .collect();
    let Ok(trimesh) = TriMesh::new(vertices, mesh.triangles.clone()) else {
        return out;
    };
    let inside_out = m.signed_volume < 0.0;
    // Exit faces have outward normals along the ray; with inverted winding the
    // stored normals point the other way.
    let culling = if inside_out {
        RayCullingMode::IgnoreBackfaces
    } else {
        RayCullingMode::IgnoreFrontfaces
    };
    let sign = if inside_out { -1.0 } else { 1.0 };
    let min_wall = min_wall_mm / scale;
    let n = mesh.triangles.len();
    let stride = n.div_ceil(samples.max(1) as usize).max(1);
    for f in (0..n).step_by(stride) {
        let [a, b, c] = mesh.triangles[f].map(|i| sub(mesh.vertices[i as usize], centre));
        let normal = cross(sub(b, a), sub(c, a));
        let len = norm(normal);
        if len <= 1e-12 {
            continue;
        }
        let inward = normal.map(|x| -sign * x / len);
        let origin = [0, 1, 2].map(|i| (a[i] + b[i] + c[i]) / 3.0);
        out.sampled += 1;
        let ray = Ray::new(
            Vector::new(origin[0] as f32, origin[1] as f32, origin[2] as f32),
            Vector::new(inward[0] as f32, inward[1] as f32, inward[2] as f32),
        );
        if let Some(hit) = trimesh.cast_local_ray_with_culling(&ray, min_wall as f32, culling) {
            let thickness = f64::from(hit.time_of_impact) * scale;
            if thickness < min_wall_mm {
                out.thin += 1;
                out.thinnest_mm = out.thinnest_mm.min(thickness);
                if out.faces.len() < SAMPLE {
                    out.faces.push(f as u32);
                }
            }
        }
    }
    out
}
