//! STEP export (ISO 10303-21, AP214 header) through truck's writer.

use truck_modeling::Solid;
use truck_stepio::out::{CompleteStepDisplay, StepHeaderDescriptor, StepModels};

/// Fixed header timestamp: the same part always gives the same bytes.
pub const STEP_TIMESTAMP: &str = "2026-01-01T00:00:00";

/// AP214's schema name (ISO 10303-214, automotive design), which
/// OpenCascade, FreeCAD and the slicers read; truck writes AP042's.
const AP214_SCHEMA: &str = "AUTOMOTIVE_DESIGN { 1 0 10303 214 1 1 1 1 }";

/// The solids as one STEP file (one MANIFOLD_SOLID_BREP each); `name` goes
/// in the header's FILE_NAME.
pub fn to_step(solids: &[Solid], name: &str) -> String {
    let compressed: Vec<_> = solids.iter().map(|s| s.compress()).collect();
    let header = StepHeaderDescriptor {
        file_name: String::new(),
        time_stamp: STEP_TIMESTAMP.to_string(),
        authors: Vec::new(),
        organization: Vec::new(),
        organization_system: String::new(),
        authorization: String::new(),
    };
    let text = CompleteStepDisplay::new(compressed.iter().collect::<StepModels<_, _, _>>(), header)
        .to_string();
    // truck wraps the author and organisation lists in a second pair of
    // parentheses, which OpenCascade reports as unresolved references; the
    // header is rewritten whole (Part 21 §8.2.2), the data section kept.
    let data = text.find("DATA;").map_or(text.as_str(), |i| &text[i..]);
    format!(
        "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION(('farm-cad part'), '2;1');\n\
         FILE_NAME('{}', '{STEP_TIMESTAMP}', ('farm-api'), ('farm-api'), 'truck 0.6', 'farm-cad', '');\n\
         FILE_SCHEMA(('{AP214_SCHEMA}'));\nENDSEC;\n{data}",
        sanitize(name)
    )
}

/// STEP strings are quoted with `'`; keep names to a safe alphabet.
fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_. ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}
