#![no_main]
//! Detection, parsing and the full analysis (checks, ray casts, estimates).

use libfuzzer_sys::fuzz_target;
use mesh_engine::{AnalyzeOptions, Limits, analyze, material};

fuzz_target!(|data: &[u8]| {
    let opts = AnalyzeOptions {
        limits: Limits { max_triangles: 20_000, max_uncompressed_bytes: 16 << 20, ..Limits::default() },
        material: material::profile("pla"),
        ..AnalyzeOptions::default()
    };
    let _ = analyze(data, &opts);
});
