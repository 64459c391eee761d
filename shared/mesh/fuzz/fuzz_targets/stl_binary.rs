#![no_main]
//! The StlBinary parser on arbitrary bytes: a typed error or a mesh, never a panic.

use libfuzzer_sys::fuzz_target;
use mesh_engine::{Format, Limits, UnitChoice, parse_as};

fuzz_target!(|data: &[u8]| {
    // Small limits keep each run fast and still exercise every limit check.
    let limits = Limits { max_triangles: 100_000, max_uncompressed_bytes: 16 << 20, ..Limits::default() };
    if let Ok(mesh) = parse_as(data, Format::StlBinary, &limits) {
        let _ = mesh.metrics(UnitChoice::Auto);
    }
});
