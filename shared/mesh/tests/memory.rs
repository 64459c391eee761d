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

/// The peak is process-wide: each test holds this from start to end.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Peak heap (bytes) of holding `bytes` and analysing them as the analyze
/// component does. Call with [`serial`] held.
fn peak_of_analysis(bytes: Vec<u8>, limits: &Limits) -> (f64, u64) {
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
    let _serial = serial();
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
    let _serial = serial();
    let bytes = vec![0u8; HOSTED_MAX_FILE_BYTES as usize + 1];
    let e = parse(&bytes, &Limits::hosted()).expect_err("too large");
    assert_eq!(e.code(), "file_too_large");
    assert!(
        e.to_string().contains(&HOSTED_MAX_FILE_BYTES.to_string()),
        "{e}"
    );
}

/// The worst 3MF the hosted limits let through: a model part stored without
/// compression, as large as both the file and the decompression budget allow,
/// so the input and the whole model XML are in memory together.
#[test]
fn the_largest_accepted_3mf_fits_hosted_spin_memory() {
    let _serial = serial();
    use std::io::{Cursor, Write};
    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, ZipWriter};

    let rels = br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Target="/3D/3dmodel.model" Id="r0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>"#;
    // About 73 bytes of XML per triangle (a vertex per two triangles).
    let budget = HOSTED_MAX_FILE_BYTES as usize - 64 * 1024;
    let (v, t) = torus(60.0, 15.0, (budget / 73 / 128) as u32, 64);
    let mut xml = String::with_capacity(budget);
    xml.push_str(r#"<?xml version="1.0" encoding="UTF-8"?><model unit="millimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02"><resources><object id="1" type="model"><mesh><vertices>"#);
    for p in &v {
        xml.push_str(&format!(
            r#"<vertex x="{:.6}" y="{:.6}" z="{:.6}"/>"#,
            p[0], p[1], p[2]
        ));
    }
    xml.push_str("</vertices><triangles>");
    for tri in &t {
        xml.push_str(&format!(
            r#"<triangle v1="{}" v2="{}" v3="{}"/>"#,
            tri[0], tri[1], tri[2]
        ));
    }
    xml.push_str(
        r#"</triangles></mesh></object></resources><build><item objectid="1"/></build></model>"#,
    );
    assert!(xml.len() <= budget, "{} bytes of XML", xml.len());
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file("_rels/.rels", stored).expect("rels");
    zip.write_all(rels).expect("write");
    zip.start_file("3D/3dmodel.model", stored).expect("model");
    zip.write_all(xml.as_bytes()).expect("write");
    let bytes = zip.finish().expect("zip").into_inner();
    drop(xml);
    assert!(
        bytes.len() as u64 <= HOSTED_MAX_FILE_BYTES,
        "{} bytes",
        bytes.len()
    );
    let size = bytes.len();
    let (peak, triangles) = peak_of_analysis(bytes, &Limits::hosted());
    println!(
        "largest accepted 3MF ({size} bytes, model stored uncompressed): {triangles} triangles, \
         peak heap {:.1} MiB of {} MiB",
        peak / MIB,
        HOSTED_MEMORY_BYTES >> 20
    );
    assert!(
        peak < HOSTED_MEMORY_BYTES as f64 * 0.75,
        "peak {:.1} MiB",
        peak / MIB
    );
}
