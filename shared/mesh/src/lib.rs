//! Mesh engine: parse, measure and judge printability of STL, OBJ and 3MF.
//!
//! Pure Rust, no I/O, single-threaded; builds for `wasm32-wasip2`.

pub mod error;
pub mod limits;
pub mod material;
mod measure;
mod mesh;
mod metrics;
mod parse;
pub mod printer;
pub mod units;
mod weld;

pub use error::{Error, Location, Result};
pub use limits::Limits;
pub use measure::Measurements;
pub use mesh::{Format, Mesh, ParseWarning};
pub use metrics::{Metrics, RawMetrics};
pub use parse::{detect, parse};
pub use units::{Unit, UnitChoice, UnitSource};
