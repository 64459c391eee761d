//! Parser behaviour on irregular and hostile input: typed errors that say what
//! and where, never a panic.

mod common;

use common::*;
use mesh_engine::{Error, Format, Limits, Location, ParseWarning, parse};

#[test]
fn binary_stl_with_a_solid_header_is_binary() {
    let mut bytes = binary_stl(&cube(10.0));
    bytes[..5].copy_from_slice(b"solid");
    let mesh = parse(&bytes, &Limits::default()).expect("parses");
    assert_eq!(mesh.format(), Format::StlBinary);
    assert_eq!(mesh.triangles().len(), 12);
}

#[test]
fn truncated_binary_stl_names_the_incomplete_record() {
    let mut bytes = binary_stl(&cube(10.0));
    bytes.truncate(84 + 50 * 5 + 20);
    match parse(&bytes, &Limits::default()) {
        Err(Error::StlTruncated {
            declared, offset, ..
        }) => {
            assert_eq!(declared, 12);
            assert_eq!(offset, 84 + 50 * 5);
        }
        other => panic!("expected StlTruncated, got {other:?}"),
    }
}

#[test]
fn a_zero_count_header_with_complete_records_is_read_with_a_warning() {
    let mut bytes = binary_stl(&cube(10.0));
    bytes[80..84].copy_from_slice(&0u32.to_le_bytes());
    let mesh = parse(&bytes, &Limits::default()).expect("parses");
    assert_eq!(mesh.triangles().len(), 12);
    assert_eq!(
        mesh.warnings(),
        &[ParseWarning::StlCountMismatch {
            declared: 0,
            used: 12
        }]
    );
}

#[test]
fn a_huge_declared_count_is_refused_without_allocating() {
    let mut bytes = binary_stl(&cube(10.0));
    bytes[80..84].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(
        parse(&bytes, &Limits::default()),
        Err(Error::StlTruncated { .. })
    ));
}

#[test]
fn triangle_limit_is_enforced_with_a_location() {
    let limits = Limits {
        max_triangles: 5,
        ..Limits::default()
    };
    let s = cube(10.0);
    for bytes in [binary_stl(&s), ascii_stl(&s), obj(&s)] {
        match parse(&bytes, &limits) {
            Err(Error::TooManyTriangles { limit: 5, .. }) => {}
            other => panic!("expected TooManyTriangles, got {other:?}"),
        }
    }
}

#[test]
fn file_size_limit_is_enforced() {
    let limits = Limits {
        max_file_bytes: 100,
        ..Limits::default()
    };
    assert!(matches!(
        parse(&binary_stl(&cube(1.0)), &limits),
        Err(Error::FileTooLarge { limit: 100, .. })
    ));
}

#[test]
fn ascii_stl_syntax_errors_carry_the_line() {
    let text = b"solid x\n facet normal 0 0 1\n  outer loop\n   vertex 0 0 0\n   vertex 1 0 zero\n";
    match parse(text, &Limits::default()) {
        Err(Error::Syntax { line, message, .. }) => {
            assert_eq!(line, 5);
            assert!(message.contains("zero"), "{message}");
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn ascii_stl_with_several_solids_is_read_whole() {
    let one = String::from_utf8(ascii_stl(&cube(10.0))).expect("utf8");
    let two = format!("{one}{}", one.replace("solid test", "solid second"));
    let mesh = parse(two.as_bytes(), &Limits::default()).expect("parses");
    assert_eq!(mesh.triangles().len(), 24);
}

#[test]
fn nan_coordinates_are_refused_with_a_location() {
    let text = b"v 0 0 0\nv 1 0 0\nv nan 1 0\nf 1 2 3\n";
    match parse(text, &Limits::default()) {
        Err(Error::BadCoordinate {
            at: Location::Line(3),
            ..
        }) => {}
        other => panic!("expected BadCoordinate at line 3, got {other:?}"),
    }
}

#[test]
fn obj_polygons_are_triangulated_and_negative_indices_resolved() {
    let text = b"v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nf -4 -3 -2 -1\n";
    let mesh = parse(text, &Limits::default()).expect("parses");
    assert_eq!(mesh.triangles(), &[[0, 1, 2], [0, 2, 3]]);
}

#[test]
fn obj_index_out_of_range_names_the_line() {
    let text = b"v 0 0 0\nv 1 0 0\nv 1 1 0\n# comment\nf 1 2 9\n";
    match parse(text, &Limits::default()) {
        Err(Error::IndexOutOfRange {
            index: 9,
            count: 3,
            at: Location::Line(5),
            ..
        }) => {}
        other => panic!("expected IndexOutOfRange, got {other:?}"),
    }
}

#[test]
fn obj_index_zero_is_a_syntax_error() {
    assert!(matches!(
        parse(b"v 0 0 0\nv 1 0 0\nv 1 1 0\nf 0 1 2\n", &Limits::default()),
        Err(Error::Syntax { line: 4, .. })
    ));
}

#[test]
fn text_in_no_supported_format_is_unknown() {
    let off =
        b"OFF\n8 6 0\n-0.5 -0.5 0.5\n0.5 -0.5 0.5\n-0.5 0.5 0.5\n0.5 0.5 0.5\n-0.5 0.5 -0.5\n";
    assert_eq!(
        parse(off, &Limits::default()).err(),
        Some(Error::UnknownFormat)
    );
    assert_eq!(
        parse(b"", &Limits::default()).err(),
        Some(Error::UnknownFormat)
    );
}

#[test]
fn binary_stl_coordinates_out_of_range_are_refused_at_their_vertex() {
    // Triangle 4, vertex 3, coordinate z: the record starts at 84 + 50 × 4,
    // the vertex 12 + 24 bytes into it. (A later batch: the 48-triangle mesh below.)
    for bad in [f32::NAN, f32::INFINITY, -2e10] {
        let mut bytes = binary_stl(&cube(10.0));
        let at = 84 + 50 * 4 + 12 + 24;
        bytes[at + 8..at + 12].copy_from_slice(&bad.to_le_bytes());
        match parse(&bytes, &Limits::default()) {
            Err(Error::BadCoordinate {
                format: Format::StlBinary,
                at: Location::ByteOffset(offset),
                value,
            }) => {
                assert_eq!(offset, at as u64, "{bad}");
                assert!(
                    value.is_nan() == bad.is_nan() && (bad.is_nan() || value == f64::from(bad))
                );
            }
            other => panic!("expected BadCoordinate for {bad}, got {other:?}"),
        }
    }
    // The largest accepted magnitude is 1e10, in any batch.
    let mut bytes = binary_stl(&cube(10.0));
    bytes[84 + 12..84 + 16].copy_from_slice(&(-1e10f32).to_le_bytes());
    assert!(parse(&bytes, &Limits::default()).is_ok());
    let mut many: Solid = (Vec::new(), Vec::new());
    for i in 0..4 {
        let c = cuboid([20.0 * f64::from(i), 0.0, 0.0], [10.0; 3]);
        let base = many.0.len() as u32;
        many.0.extend(c.0);
        many.1.extend(c.1.iter().map(|t| t.map(|v| v + base)));
    }
    let mut bytes = binary_stl(&many);
    let at = 84 + 50 * 45 + 12;
    bytes[at..at + 4].copy_from_slice(&2e10f32.to_le_bytes());
    assert!(matches!(
        parse(&bytes, &Limits::default()),
        Err(Error::BadCoordinate { at: Location::ByteOffset(o), .. }) if o == at as u64
    ));
}

/// An L-shaped prism (a 2 × 2 square less a 1 × 1 corner, 1 high) whose caps
/// are listed from the corner next to the notch, where a fan leaves the
/// polygon; the side quads are split by a `\\` continuation.
const L_PRISM: &[u8] = b"v 2 1 0\nv 1 1 0\nv 1 2 0\nv 0 2 0\nv 0 0 0\nv 2 0 0
v 2 1 1\nv 1 1 1\nv 1 2 1\nv 0 2 1\nv 0 0 1\nv 2 0 1
f 1 6 5 4 3 2
f 7 8 9 \\
  10 11 12
f 1 2 8 7\nf 2 3 9 8\nf 3 4 10 9\nf 4 5 11 10\nf 5 6 12 11\nf 6 1 7 12
";

#[test]
fn obj_non_convex_faces_are_ear_clipped_not_fanned() {
    let mesh = parse(L_PRISM, &Limits::default()).expect("parses");
    assert_eq!(mesh.triangles().len(), 2 * 4 + 6 * 2);
    let m = mesh.metrics(mesh_engine::UnitChoice::Auto);
    // Volume 3 × 1; area 2 caps × 3 + perimeter 8 × height 1. A fan from the
    // first corner, (2, 1), crosses the notch and covers area outside the cap.
    assert!(
        (m.raw.signed_volume - 3.0).abs() < 1e-12,
        "{}",
        m.raw.signed_volume
    );
    assert!((m.raw.area - 14.0).abs() < 1e-12, "{}", m.raw.area);
    assert!(m.is_watertight && m.is_winding_consistent);
    assert_eq!(m.degenerate_faces, 0);
}

#[test]
fn a_truncated_ascii_stl_is_refused_never_a_partial_mesh() {
    let whole = String::from_utf8(ascii_stl(&cube(10.0))).expect("utf8");
    let cut = &whole[..whole.len() / 2];
    assert!(parse(&whole.as_bytes()[..whole.len() / 2], &Limits::default()).is_err());
    // Cut right after a facet: every facet read, and the missing end named.
    let end = cut.rfind("endfacet").expect("a facet") + "endfacet".len();
    let mesh = parse(&whole.as_bytes()[..end], &Limits::default()).expect("parses");
    assert!(
        matches!(mesh.warnings(), [ParseWarning::StlAsciiNonStandard { quirks }]
        if quirks.iter().any(|q| q.code() == "missing_endsolid"))
    );
}
