//! Mesh engine: parse, measure and judge printability of STL, OBJ and 3MF.
//!
//! Pure Rust, no I/O, single-threaded; builds for `wasm32-wasip2`.

pub mod material;
