//! `farm-partspec`: the part program.
//!
//! A [`PartSpec`] is a versioned, typed description of one printable part:
//! its family and parameters in millimetres, its features (hole patterns,
//! countersinks, profile fillets and chamfers), the assumptions a designer
//! made and the requirements derived from the prompt. Designers (offline or
//! LLM) write it; the CAD kernel reads it. This crate also holds the rules a
//! printer cares about and each family's analytic volume and bounding box.
//! No I/O; builds for `wasm32-wasip2`.

pub mod spec;

pub use spec::*;
pub mod gear;
pub mod geometry;
pub mod holes;
pub mod requirements;
pub mod schema;
pub mod validate;
mod validate_families;
mod validate_holes;
mod validate_round;

pub use geometry::{BoundingBox, LID_GAP_MM};
pub use holes::PlacedHole;
pub use validate::{BUILD_VOLUME_MM, Invalid, MIN_HOLE_MM, MIN_WALL_MM, Rule, Violation};
