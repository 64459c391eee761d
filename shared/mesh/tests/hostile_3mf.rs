//! Hostile 3MF packages: every bound of [`Limits`] that guards a 3MF read is
//! hit by a package built to exceed it, and refused with its error code and
//! the limit named, quickly and with bounded memory (measured by counting
//! every allocation of this test binary).

use std::io::{Cursor, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mesh_engine::{Error, Limits, parse};
use peak_alloc::PeakAlloc;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// The peak figures are process-wide: measured tests run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Target="/3D/3dmodel.model" Id="rel0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>
</Relationships>"#;

fn options() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)
}

/// A package with `_rels/.rels` and the given parts.
fn package(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file("_rels/.rels", options()).expect("rels");
    zip.write_all(RELS.as_bytes()).expect("write");
    for (name, bytes) in parts {
        zip.start_file(*name, options()).expect("part");
        zip.write_all(bytes).expect("write");
    }
    zip.finish().expect("finish").into_inner()
}

/// A model whose resources are `resources` and whose build places object `item`.
fn model(resources: &str, item: u32) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<model unit="millimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">
<resources>{resources}</resources><build><item objectid="{item}"/></build></model>"#
    )
    .into_bytes()
}

const CUBE: &str = r#"<object id="1" type="model"><mesh><vertices>
<vertex x="0" y="0" z="0"/><vertex x="1" y="0" z="0"/><vertex x="1" y="1" z="0"/><vertex x="0" y="1" z="0"/>
<vertex x="0" y="0" z="1"/><vertex x="1" y="0" z="1"/><vertex x="1" y="1" z="1"/><vertex x="0" y="1" z="1"/>
</vertices><triangles>
<triangle v1="0" v2="2" v3="1"/><triangle v1="0" v2="3" v3="2"/><triangle v1="4" v2="5" v3="6"/><triangle v1="4" v2="6" v3="7"/>
<triangle v1="0" v2="1" v3="5"/><triangle v1="0" v2="5" v3="4"/><triangle v1="1" v2="2" v3="6"/><triangle v1="1" v2="6" v3="5"/>
<triangle v1="2" v2="3" v3="7"/><triangle v1="2" v2="7" v3="6"/><triangle v1="3" v2="0" v3="4"/><triangle v1="3" v2="4" v3="7"/>
</triangles></mesh></object>"#;

/// Parses under the lock; returns the result, the peak heap growth over the
/// bytes already allocated (MiB) and the time taken.
fn measured(bytes: &[u8], limits: &Limits) -> (Result<mesh_engine::Mesh, Error>, f32, Duration) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let base = ALLOC.current_usage_as_mb();
    ALLOC.reset_peak_usage();
    let start = Instant::now();
    let result = parse(bytes, limits);
    let took = start.elapsed();
    let peak = ALLOC.peak_usage_as_mb() - base;
    (result, peak, took)
}

/// Sets the declared uncompressed size of every entry named `name` (local
/// header and central directory) to `size`: a package that lies about what
/// its entry inflates to.
fn lie_about_size(zip: &mut [u8], name: &str, size: u32) {
    let name = name.as_bytes();
    let patch = |zip: &mut [u8], at: usize| zip[at..at + 4].copy_from_slice(&size.to_le_bytes());
    for i in 0..zip.len().saturating_sub(46) {
        if zip[i..i + 4] == *b"PK\x03\x04" && zip[i + 30..].starts_with(name) {
            patch(zip, i + 22);
        }
        if zip[i..i + 4] == *b"PK\x01\x02" && zip[i + 46..].starts_with(name) {
            patch(zip, i + 24);
        }
    }
}

#[test]
fn a_zip_bomb_is_refused_quickly_with_bounded_memory() {
    // 64 MiB of zeros deflate to about 64 KiB: a ratio near 1000:1.
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file("_rels/.rels", options()).expect("rels");
    zip.write_all(RELS.as_bytes()).expect("write");
    zip.start_file("3D/3dmodel.model", options()).expect("part");
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..64 {
        zip.write_all(&zeros).expect("write");
    }
    let honest = zip.finish().expect("finish").into_inner();
    assert!(honest.len() < 1 << 20, "{} bytes", honest.len());
    let limits = Limits::default();

    // Declared honestly: refused from the directory, before inflating.
    let (result, peak_mb, took) = measured(&honest, &limits);
    let e = result.expect_err("a bomb is refused");
    assert_eq!(e.code(), "compression_ratio", "{e}");
    assert!(e.to_string().contains("over the limit of 200:1"), "{e}");
    assert!(peak_mb < 8.0, "peak {peak_mb} MiB");
    assert!(took < Duration::from_secs(2), "{took:?}");

    // Lying about its size: the zip reader stops at the declared size (and
    // our read at compressed × ratio, whichever comes first).
    let mut liar = honest.clone();
    lie_about_size(&mut liar, "3D/3dmodel.model", 1000);
    let (result, peak_mb, took) = measured(&liar, &limits);
    let e = result.expect_err("a lying bomb is refused");
    assert_eq!(e.code(), "bad_container", "{e}");
    assert!(e.to_string().contains("larger than its declared"), "{e}");
    let bound_mb = honest.len() as f32 * 200.0 / (1 << 20) as f32;
    assert!(
        peak_mb < bound_mb,
        "peak {peak_mb} MiB, bound {bound_mb} MiB"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    println!(
        "zip bomb: 64 MiB in {} bytes; refused, peak {peak_mb:.1} MiB",
        honest.len()
    );
}

#[test]
fn total_decompressed_bytes_are_bounded() {
    // Every part is honest and well compressed, but together they are too much.
    let filler = vec![b' '; 600 << 10];
    let bytes = package(&[("3D/3dmodel.model", &filler)]);
    let limits = Limits {
        max_uncompressed_bytes: 512 << 10,
        ..Limits::default()
    };
    let e = parse(&bytes, &limits).expect_err("over the budget");
    assert_eq!(e.code(), "entry_too_large", "{e}");
    assert!(e.to_string().contains(&(512u64 << 10).to_string()), "{e}");
}

#[test]
fn a_component_explosion_is_refused_at_the_instance_limit() {
    // Each level places the one below 10 times: 10⁹ cubes from 9 levels.
    let mut resources = String::from(CUBE);
    for level in 2..=10u32 {
        resources.push_str(&format!(
            r#"<object id="{level}" type="model"><components>"#
        ));
        for k in 0..10 {
            resources.push_str(&format!(
                r#"<component objectid="{}" transform="1 0 0 0 1 0 0 0 1 {k} 0 0"/>"#,
                level - 1
            ));
        }
        resources.push_str("</components></object>");
    }
    let bytes = package(&[("3D/3dmodel.model", &model(&resources, 10))]);
    let limits = Limits::default();
    let (result, peak_mb, took) = measured(&bytes, &limits);
    match result {
        Err(e @ Error::TooManyInstances { limit, .. }) => {
            assert_eq!(limit, limits.max_instances);
            assert_eq!(e.code(), "too_many_instances");
            assert!(e.to_string().contains(&limit.to_string()), "{e}");
        }
        other => panic!("{:?}", other.map(|m| m.triangles().len())),
    }
    assert!(took < Duration::from_secs(10), "{took:?}");
    println!("component explosion: refused in {took:?}, peak {peak_mb:.1} MiB");
}

#[test]
fn components_nested_too_deep_are_refused_naming_the_limit() {
    let mut resources = String::from(CUBE);
    for level in 2..=40u32 {
        resources.push_str(&format!(
            r#"<object id="{level}" type="model"><components><component objectid="{}"/></components></object>"#,
            level - 1
        ));
    }
    let bytes = package(&[("3D/3dmodel.model", &model(&resources, 40))]);
    match parse(&bytes, &Limits::default()) {
        Err(e @ Error::NestingTooDeep { limit: 32, .. }) => {
            assert_eq!(e.code(), "nesting_too_deep");
            assert!(e.to_string().contains("32"), "{e}");
        }
        other => panic!("{:?}", other.map(|m| m.triangles().len())),
    }
    // Within the limit, the same chain is one cube.
    let mut resources = String::from(CUBE);
    for level in 2..=20u32 {
        resources.push_str(&format!(
            r#"<object id="{level}" type="model"><components><component objectid="{}"/></components></object>"#,
            level - 1
        ));
    }
    let bytes = package(&[("3D/3dmodel.model", &model(&resources, 20))]);
    assert_eq!(
        parse(&bytes, &Limits::default())
            .expect("20 levels")
            .triangles()
            .len(),
        12
    );
}

#[test]
fn xml_nested_too_deep_is_refused_naming_the_limit() {
    let deep = format!(
        r#"<?xml version="1.0"?><model xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">{}{}</model>"#,
        "<a>".repeat(100_000),
        "</a>".repeat(100_000)
    );
    let bytes = package(&[("3D/3dmodel.model", deep.as_bytes())]);
    let e = parse(&bytes, &Limits::default()).expect_err("too deep");
    assert_eq!(e.code(), "nesting_too_deep", "{e}");
}

#[test]
fn too_many_entries_are_refused_naming_the_limit() {
    let cube = model(CUBE, 1);
    let mut parts: Vec<(String, Vec<u8>)> = vec![("3D/3dmodel.model".into(), cube)];
    for i in 0..64 {
        parts.push((format!("Metadata/{i}.txt"), b"x".to_vec()));
    }
    let refs: Vec<(&str, &[u8])> = parts
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let bytes = package(&refs);
    let limits = Limits {
        max_zip_entries: 64,
        ..Limits::default()
    };
    let e = parse(&bytes, &limits).expect_err("66 entries");
    assert_eq!(e.code(), "bad_container", "{e}");
    assert!(e.to_string().contains("over the limit of 64"), "{e}");
    // The same package under the default limit is the cube.
    assert_eq!(
        parse(&bytes, &Limits::default())
            .expect("ok")
            .triangles()
            .len(),
        12
    );
}

#[test]
fn beams_under_a_required_beam_lattice_are_refused_not_ignored() {
    let with_beams = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<model unit="millimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02"
 xmlns:b="http://schemas.microsoft.com/3dmanufacturing/beamlattice/2017/02" requiredextensions="b">
<resources>{}</resources><build><item objectid="1"/></build></model>"#,
        CUBE.replace(
            "</triangles>",
            r#"</triangles><b:beamlattice minlength="0.1" radius="1"><b:beams><b:beam v1="0" v2="6"/></b:beams></b:beamlattice>"#
        )
    );
    let bytes = package(&[("3D/3dmodel.model", with_beams.as_bytes())]);
    match parse(&bytes, &Limits::default()) {
        Err(e @ Error::UnsupportedRequiredExtension { .. }) => {
            assert_eq!(e.code(), "unsupported_required_extension");
            assert!(e.to_string().contains("1 beams"), "{e}");
        }
        other => panic!("{:?}", other.map(|m| m.triangles().len())),
    }
}
