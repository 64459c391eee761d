//! Mesh engine: parse, measure and judge printability of STL, OBJ and 3MF.
//!
//! Pure Rust, no I/O, single-threaded; builds for `wasm32-wasip2`.

mod checks;
pub mod error;
mod estimate;
mod findings;
pub mod limits;
pub mod material;
mod measure;
mod mesh;
mod metrics;
mod parse;
pub mod printer;
mod report;
pub mod units;
mod walls;
mod weld;

pub use checks::CheckOptions;
pub use error::{Error, Location, Result};
pub use estimate::{Estimates, SUPPORT_FILL};
pub use findings::{Check, Finding, FixHint, Severity, SkippedCheck};
pub use limits::Limits;
pub use measure::Measurements;
pub use mesh::{Format, Mesh, ParseWarning};
pub use metrics::{Metrics, RawMetrics};
pub use parse::{detect, parse};
pub use report::{AnalyzeOptions, Report, analyze};
pub use units::{Unit, UnitChoice, UnitSource};
