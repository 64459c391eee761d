//! farm-cad: solid parts for the text-to-part generator (issue 14).
//!
//! A part is a truck B-rep built without booleans: a sketched profile that
//! already holds its holes, fillets and chamfers is extruded ([`ops::prism`]),
//! and loops are swept into or out of its planar faces ([`ops::sweep_loop`]:
//! holes, pockets, bosses) by editing the shell, so it stays one closed shell
//! with exact surfaces. Pure Rust; builds for `wasm32-wasip2`.

pub mod ops;
pub mod sketch;
pub mod step;
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
    /// Tessellation or welding failed.
    #[error("mesh: {0}")]
    Mesh(String),
}
