//! Meshes from the field (`corpus/field/`): every file gives the answer its
//! `EXPECTED.md` states. The table is read as data; each claim in a row's
//! "right answer" (a volume, an area, a triangle count, watertight, a body
//! count, a cube's side, a unit, refused, a warning naming an object) becomes
//! an assertion, and a file without a row fails the test. The named tests
//! below pin the details the prose leaves open (error codes, what is named).

mod common;

use std::path::PathBuf;

use common::corpus_dir;
use mesh_engine::{Error, Limits, Mesh, ParseWarning, Unit, UnitChoice, parse};

fn field_dir() -> PathBuf {
    corpus_dir().join("field")
}

fn read(name: &str) -> Vec<u8> {
    let path = field_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn load(name: &str) -> Result<Mesh, Error> {
    parse(&read(name), &Limits::default())
}

/// A number stated in the text with the tolerance its digits imply: half a
/// unit of the last decimal written, or 1e-6 relative for a whole number.
#[derive(Debug, Clone, Copy)]
struct Stated {
    value: f64,
    tolerance: f64,
}

fn stated(word: &str) -> Option<Stated> {
    let w = word.trim_matches(|c: char| !c.is_ascii_digit());
    let clean: String = w.chars().filter(|&c| c != ',').collect();
    let value: f64 = clean.parse().ok()?;
    let decimals = clean.split_once('.').map_or(0, |(_, d)| d.len());
    let tolerance = if decimals > 0 {
        0.5 * 10f64.powi(-(decimals as i32))
    } else {
        1e-6 * value.abs()
    };
    Some(Stated { value, tolerance })
}

/// The number right before `suffix` (e.g. "12 triangles"), unless the text
/// says "not N" (a wrong answer named for contrast).
fn before(text: &str, suffix: &str) -> Option<Stated> {
    let at = text.find(suffix)?;
    let mut words = text[..at].split_whitespace().rev();
    let number = words.next()?;
    if words.next() == Some("not") {
        return None;
    }
    stated(number)
}

/// The number right after `prefix` (e.g. "area 721.4214").
fn after(text: &str, prefix: &str) -> Option<Stated> {
    let at = text.find(prefix)?;
    stated(text[at + prefix.len()..].split_whitespace().next()?)
}

#[derive(Debug, Default, Clone)]
struct Claims {
    refused: bool,
    or_excluded: bool,
    volume_mm3: Option<Stated>,
    raw_volume: Option<Stated>,
    raw_area: Option<Stated>,
    triangles: Option<Stated>,
    bodies: Option<Stated>,
    cube_side_mm: Option<Stated>,
    watertight: bool,
    unit: Option<Unit>,
    high_confidence: bool,
    warning: bool,
    warning_names: Option<String>,
    malformed: bool,
}

fn claims(answer: &str, previous: &Claims) -> Claims {
    let t = answer.to_lowercase();
    // "the same cube" repeats the previous row's cube.
    let mut c = if t.contains("the same cube") {
        previous.clone()
    } else {
        Claims::default()
    };
    c.refused = t.contains("refused");
    c.or_excluded = t.contains("or excluded");
    c.malformed = t.contains("malformed xml");
    c.volume_mm3 = before(&t, "mm³").or(c.volume_mm3);
    c.raw_volume = after(&t, "volume ");
    c.raw_area = after(&t, "area ");
    c.triangles = before(&t, " triangles").or(c.triangles);
    c.bodies = before(&t, " body");
    c.cube_side_mm = before(&t, " mm cube").or(c.cube_side_mm);
    c.watertight = t.contains("watertight");
    c.unit = t.contains("unit inch").then_some(Unit::Inch);
    c.high_confidence = t.contains("high confidence");
    c.warning = t.contains("warning");
    c.warning_names = t
        .find("warning naming ")
        .map(|i| t[i + "warning naming ".len()..].trim().to_owned());
    c
}

fn rows() -> Vec<(Vec<String>, String)> {
    let text = std::fs::read_to_string(field_dir().join("EXPECTED.md")).expect("EXPECTED.md");
    text.lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let files = cells[1]
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect();
            (files, cells[3].to_owned())
        })
        .collect()
}

fn close(actual: f64, want: Stated) -> bool {
    (actual - want.value).abs() <= want.tolerance
}

fn check(file: &str, c: &Claims) -> Result<(), String> {
    let result = load(file);
    if c.refused {
        match &result {
            Err(e) => {
                if c.malformed && !(e.to_string().contains("malformed XML")) {
                    return Err(format!("refused, but not as malformed XML: {e}"));
                }
                if !e.to_string().contains("3D/3dmodel.model") {
                    return Err(format!("the error does not name the part: {e}"));
                }
                return Ok(());
            }
            Ok(_) if c.or_excluded => {}
            Ok(_) => return Err("accepted; the right answer is a refusal".into()),
        }
    }
    let mesh = result.map_err(|e| format!("refused: {e}"))?;
    let m = mesh.metrics(UnitChoice::Auto);
    let mut wrong = Vec::new();
    if let Some(v) = c.volume_mm3
        && !close(m.volume_cm3 * 1000.0, v)
    {
        wrong.push(format!(
            "volume {} mm³, want {}",
            m.volume_cm3 * 1000.0,
            v.value
        ));
    }
    if let Some(v) = c.raw_volume
        && !close(m.raw.signed_volume.abs(), v)
    {
        wrong.push(format!("volume {}, want {}", m.raw.signed_volume, v.value));
    }
    if let Some(a) = c.raw_area
        && !close(m.raw.area, a)
    {
        wrong.push(format!("area {}, want {}", m.raw.area, a.value));
    }
    if let Some(n) = c.triangles
        && m.triangle_count as f64 != n.value
    {
        wrong.push(format!("{} triangles, want {}", m.triangle_count, n.value));
    }
    if let Some(n) = c.bodies
        && m.body_count as f64 != n.value
    {
        wrong.push(format!("{} bodies, want {}", m.body_count, n.value));
    }
    if let Some(side) = c.cube_side_mm
        && !m
            .bbox_mm
            .iter()
            .all(|&s| (s - side.value).abs() <= 1e-6 * side.value)
    {
        wrong.push(format!(
            "box {:?} mm, want a {} mm cube",
            m.bbox_mm, side.value
        ));
    }
    if c.watertight && !(m.is_watertight && m.is_winding_consistent) {
        wrong.push("not watertight and consistently wound".into());
    }
    if let Some(unit) = c.unit
        && m.detected_unit != unit
    {
        wrong.push(format!("unit {}, want {unit}", m.detected_unit));
    }
    if c.high_confidence && m.unit_confidence < 0.9 {
        wrong.push(format!("unit confidence {}", m.unit_confidence));
    }
    let notes: Vec<String> = mesh.warnings().iter().map(|w| w.to_string()).collect();
    if c.warning && notes.is_empty() {
        wrong.push("no warning".into());
    }
    if let Some(name) = &c.warning_names
        && !notes.iter().any(|n| n.contains(name.as_str()))
    {
        wrong.push(format!("no warning naming {name}: {notes:?}"));
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("; "))
    }
}

#[test]
fn every_field_file_gives_the_answer_expected_md_states() {
    let rows = rows();
    assert!(rows.len() >= 10, "EXPECTED.md table not found: {rows:?}");
    let mut listed = Vec::new();
    let mut failures = Vec::new();
    let mut previous = Claims::default();
    for (files, answer) in &rows {
        let c = claims(answer, &previous);
        for file in files {
            listed.push(file.clone());
            if let Err(why) = check(file, &c) {
                failures.push(format!("{file}: {why}"));
            }
        }
        previous = c;
    }
    for entry in std::fs::read_dir(field_dir()).expect("field dir") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name != "EXPECTED.md" && !listed.contains(&name) {
            failures.push(format!("{name}: no row in EXPECTED.md"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!("{} field files give their expected answers", listed.len());
}

#[test]
fn obj_non_convex_polygons_are_ear_clipped_and_continuations_joined() {
    let mesh = load("wallhole.obj").expect("reads");
    let m = mesh.metrics(UnitChoice::Auto);
    // 10³ − 10·5·2 + 500/3 (EXPECTED.md); a fan gives 761.4214.
    assert!((m.raw.signed_volume - (1000.0 - 100.0 + 500.0 / 3.0)).abs() < 1e-3);
    assert!((m.raw.area - 721.4214).abs() < 1e-4, "{}", m.raw.area);
    assert!(m.is_watertight && m.is_winding_consistent);
    assert_eq!((m.body_count, m.degenerate_faces), (1, 0));
}

#[test]
fn a_duplicated_transform_is_malformed_xml_naming_the_part() {
    for file in [
        "GEN-C-ADA-COMPONENT-TRANSFORM-0.3mf",
        "GEN-M-ADA-ITEM-TRANSFORM-0.3mf",
    ] {
        match load(file) {
            Err(e @ Error::Model { .. }) => {
                let Error::Model { part, message, .. } = &e else {
                    unreachable!()
                };
                assert_eq!(part, "3D/3dmodel.model", "{file}");
                assert!(message.contains("`transform` appears twice"), "{file}: {e}");
                assert_eq!(e.code(), "invalid_model");
            }
            other => panic!("{file}: {other:?}"),
        }
    }
}

#[test]
fn required_extensions_we_lack_are_refused_naming_them() {
    let Err(e) = load("NotListed.3mf") else {
        panic!("NotListed.3mf accepted")
    };
    assert_eq!(e.code(), "unsupported_required_extension");
    assert!(
        matches!(&e, Error::UnsupportedRequiredExtension { extension, .. } if extension == "xxx"),
        "{e:?}"
    );
    let Err(e) = load("Unsupported.3mf") else {
        panic!("Unsupported.3mf accepted")
    };
    assert!(
        matches!(&e, Error::UnsupportedRequiredExtension { extension, .. }
            if extension == "http://schemas.autodesk.com/dmg/ExtensionUnsupported/2999/12"),
        "{e:?}"
    );
    // Materials and beam lattice (no beams) are required and supported.
    let pass = load("Pass.3mf").expect("Pass.3mf");
    assert!((pass.metrics(UnitChoice::Auto).volume_cm3 - 1000.0).abs() < 1e-9);
}

#[test]
fn support_objects_are_reported_apart_and_never_filled() {
    let mesh = load("cube_on_support_object.3mf").expect("reads");
    let m = mesh.metrics(UnitChoice::Auto);
    assert!((m.volume_cm3 - 1.0).abs() < 1e-12, "{}", m.volume_cm3);
    assert_eq!(m.triangle_count, 12);
    match mesh.warnings() {
        [
            ParseWarning::ThreeMfSupportObjects {
                objects,
                triangles,
                volume,
            },
        ] => {
            assert_eq!(objects, &["object 2"]);
            assert_eq!(*triangles, 12);
            assert!((volume - 20.0 * 20.0 * 5.0).abs() < 1e-9, "{volume}");
        }
        w => panic!("{w:?}"),
    }
}

#[test]
fn other_objects_in_the_build_are_excluded_and_named() {
    let mesh = load("build_references_other_object.3mf").expect("reads");
    assert!((mesh.metrics(UnitChoice::Auto).volume_cm3 - 1.0).abs() < 1e-12);
    assert!(matches!(mesh.warnings(),
        [ParseWarning::ThreeMfOtherObjectsExcluded { objects }] if objects == &["object 2"]));
}

#[test]
fn an_empty_object_beside_a_part_is_named_and_the_part_quoted() {
    let mesh = load("cube_plus_empty_object.3mf").expect("reads");
    assert!((mesh.metrics(UnitChoice::Auto).volume_cm3 - 1.0).abs() < 1e-12);
    let [w @ ParseWarning::ThreeMfEmptyObjects { objects }] = mesh.warnings() else {
        panic!("{:?}", mesh.warnings())
    };
    assert_eq!(objects, &["object 2"]);
    assert_eq!(w.code(), "3mf_empty_objects");
}

#[test]
fn inch_files_are_told_by_their_round_sides_with_the_evidence() {
    let m = load("admesh_block_inch.stl")
        .expect("reads")
        .metrics(UnitChoice::Auto);
    assert_eq!(m.unit, Unit::Inch);
    assert!(m.unit_confidence > 0.9, "{}", m.unit_confidence);
    assert_eq!(m.unit_evidence.code(), "round_sides");
    assert!((m.volume_cm3 - 1000.0).abs() < 1e-3, "{}", m.volume_cm3);
    println!(
        "admesh_block_inch.stl: {} with confidence {:.3} ({})",
        m.unit, m.unit_confidence, m.unit_evidence
    );
}

#[test]
fn ascii_stl_dialects_read_whole_with_a_warning_where_non_standard() {
    let cases: [(&str, &[&str]); 8] = [
        ("stl_crlf_tabs_leading_ws.stl", &[]),
        ("stl_nan_normals.stl", &[]),
        ("stl_cr_only.stl", &["cr_line_ends"]),
        ("stl_single_line.stl", &["facets_on_solid_line"]),
        ("stl_end_loop_two_words.stl", &["two_word_end_keyword"]),
        ("stl_end_solid_two_words.stl", &["two_word_end_keyword"]),
        ("20mmbox-nonstandard.stl", &["text_after_keyword"]),
        ("admesh_block_inch.stl", &[]),
    ];
    for (file, quirks) in cases {
        let mesh = load(file).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(mesh.triangles().len(), 12, "{file}");
        let m = mesh.metrics(UnitChoice::Auto);
        assert!(m.is_watertight && m.is_winding_consistent, "{file}");
        let got: Vec<&str> = mesh
            .warnings()
            .iter()
            .flat_map(|w| match w {
                ParseWarning::StlAsciiNonStandard { quirks } => {
                    quirks.iter().map(|q| q.code()).collect()
                }
                _ => Vec::new(),
            })
            .collect();
        assert_eq!(got, quirks, "{file}");
    }
}
