//! Memory of analysing the largest upload the API accepts, against hosted
//! Spin's 128 MiB per execution. Every allocation of this test binary is
//! counted; the peak includes the input bytes (the component holds them) and
//! the analysis the analyze component runs (one report without a material,
//! then one per catalog material). The Wasm figure (the guest's linear memory
//! high-water mark) is printed by benches/mesh.sh; this test bounds the heap
//! natively, where it is measured in seconds.

mod common;

use std::sync::Mutex;

use common::*;
use mesh_engine::limits::{HOSTED_MAX_FILE_BYTES, HOSTED_MEMORY_BYTES};
use mesh_engine::{AnalyzeOptions, Limits, material, parse};
use peak_alloc::PeakAlloc;

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

static SERIAL: Mutex<()> = Mutex::new(());

const MIB: f64 = 1024.0 * 1024.0;

/// Peak heap (bytes) of holding `bytes` and analysing them as the analyze
/// component does.
fn peak_of_analysis(bytes: Vec<u8>, limits: &Limits) -> (f64, u64) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = f64::from(ALLOC.current_usage_as_mb()) * MIB - bytes.len() as f64;
    ALLOC.reset_peak_usage();
    let mesh = parse(&bytes, limits).expect("parses");
    let triangles = mesh.triangles().len() as u64;
    let base = AnalyzeOptions::default();
    let report = mesh.analyze(&base);
    assert!(report.metrics.is_watertight);
    for m in material::ALL {
        let r = mesh.analyze(&AnalyzeOptions {
            material: Some(m),
            ..base
        });
        assert!(r.estimates.is_some());
    }
    drop(mesh);
    drop(bytes);
    let peak = f64::from(ALLOC.peak_usage_as_mb()) * MIB - before;
    (peak, triangles)
}

/// A closed torus of about `triangles` triangles as binary STL.
fn torus_stl(triangles: u64) -> Vec<u8> {
    let n = 64u32;
    let m = (triangles / (2 * u64::from(n))) as u32;
    binary_stl(&torus(60.0, 15.0, m, n))
}

#[test]
fn the_largest_accepted_binary_stl_fits_hosted_spin_memory() {
    // A binary STL is 84 + 50 bytes per triangle: the most triangles an
    // accepted file can hold.
    let most = (HOSTED_MAX_FILE_BYTES - 84) / 50;
    let bytes = torus_stl(most);
    assert!(bytes.len() as u64 <= HOSTED_MAX_FILE_BYTES);
    let (peak, triangles) = peak_of_analysis(bytes, &Limits::hosted());
    let per_million = peak / MIB / (triangles as f64 / 1e6);
    println!(
        "largest accepted binary STL: {triangles} triangles, peak heap {:.1} MiB \
         ({per_million:.1} MiB per million triangles, input included) of {} MiB",
        peak / MIB,
        HOSTED_MEMORY_BYTES >> 20
    );
    // Headroom for the component's own state, the allocator's fragmentation
    // and the Wasm stack: a quarter of the execution's memory.
    assert!(
        peak < HOSTED_MEMORY_BYTES as f64 * 0.75,
        "peak {:.1} MiB",
        peak / MIB
    );
}

#[test]
fn a_file_over_the_hosted_limit_is_refused_naming_it() {
    let bytes = vec![0u8; HOSTED_MAX_FILE_BYTES as usize + 1];
    let e = parse(&bytes, &Limits::hosted()).expect_err("too large");
    assert_eq!(e.code(), "file_too_large");
    assert!(
        e.to_string().contains(&HOSTED_MAX_FILE_BYTES.to_string()),
        "{e}"
    );
}
