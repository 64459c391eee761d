//! farm-cad: solid parts for the text-to-part generator (issue 14).
//!
//! A part is a truck B-rep built without booleans: a sketched profile that
//! already holds its holes, fillets and chamfers is extruded ([`ops::prism`]),
//! and loops are swept into or out of its planar faces ([`ops::sweep_loop`]:
//! holes, pockets, bosses) by editing the shell, so it stays one closed shell
//! with exact surfaces. Pure Rust; builds for `wasm32-wasip2`.
//!
//! # Use
//!
//! [`gate::check_spec`] builds a `PartSpec`'s [`Model`] and runs the
//! print-ready gate; a passing model is exported with [`Model::export`]
//! (STEP AP214, binary STL, 3MF in mm, GLB). A failed gate or build carries a
//! stable code (`build_failed`, `volume_mismatch`, `requirement_hole_count`, …)
//! and a sentence.
//!
//! ```
//! let spec: farm_partspec::PartSpec = serde_json::from_str(
//!     r#"{"version":1,"part":{"family":"washer","outer_diameter_mm":12,
//!         "inner_diameter_mm":6.4,"thickness_mm":1.6}}"#,
//! ).unwrap();
//! let (model, report) = farm_cad::gate::check_spec(&spec).unwrap();
//! assert!(report.passed());
//! let stl = model.export(farm_cad::export::ExportFormat::Stl, "washer").unwrap();
//! assert_eq!(stl.len(), 84 + 50 * model.mesh.triangles.len());
//! ```

pub mod export;
pub mod gate;
pub mod measure;
pub mod ops;
pub mod parts;
pub mod sketch;
pub mod step;
pub mod stepped;
pub mod tess;

/// Why a part could not be built or exported.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A sketch is impossible (a fillet that does not fit, a zero radius).
    #[error("sketch: {0}")]
    Sketch(String),
    /// A face or edge the construction needs is missing or ambiguous.
    #[error("topology: {0}")]
    Topology(String),
    /// The finished shell is not closed.
    #[error("not a closed solid: {0}")]
    NotClosed(String),
    /// A family or feature the kernel cannot model yet (named).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// Writing an export failed.
    #[error("export: {0}")]
    Export(String),
    /// Tessellation or welding failed.
    #[error("mesh: {0}")]
    Mesh(String),
}

/// A built part: its solids (two for a box with a lid) and their welded mesh.
#[derive(Debug, Clone)]
pub struct Model {
    pub solids: Vec<truck_modeling::Solid>,
    /// All solids' triangles in one welded mesh, mm.
    pub mesh: tess::TriMesh,
}

impl Model {
    /// Builds `part`'s solids ([`parts::build`]) and meshes them.
    pub fn build(part: &farm_partspec::Part) -> Result<Model, Error> {
        let solids = parts::build(part)?;
        let mut mesh = tess::TriMesh {
            vertices: Vec::new(),
            triangles: Vec::new(),
        };
        for s in &solids {
            let m = tess::tessellate(s)?;
            let base = mesh.vertices.len() as u32;
            mesh.vertices.extend(m.vertices);
            mesh.triangles
                .extend(m.triangles.iter().map(|t| t.map(|i| i + base)));
        }
        Ok(Model { solids, mesh })
    }

    /// STEP (AP214) of every solid.
    pub fn step(&self, name: &str) -> String {
        step::to_step(&self.solids, name)
    }
}
