//! Findings: what the printability checks report.

use crate::units::Unit;

/// The checks, with stable ids a program can switch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    BuildVolume,
    OpenEdges,
    NonManifoldEdges,
    NonManifoldVertices,
    InconsistentWinding,
    InsideOut,
    DegenerateFaces,
    MultipleBodies,
    UnitSuspect,
    ThinWalls,
    Overhang,
}

impl Check {
    /// Stable id, e.g. `build_volume`.
    pub fn id(self) -> &'static str {
        match self {
            Check::BuildVolume => "build_volume",
            Check::OpenEdges => "open_edges",
            Check::NonManifoldEdges => "non_manifold_edges",
            Check::NonManifoldVertices => "non_manifold_vertices",
            Check::InconsistentWinding => "inconsistent_winding",
            Check::InsideOut => "inside_out",
            Check::DegenerateFaces => "degenerate_faces",
            Check::MultipleBodies => "multiple_bodies",
            Check::UnitSuspect => "unit_suspect",
            Check::ThinWalls => "thin_walls",
            Check::Overhang => "overhang",
        }
    }
}

/// An error blocks an order; a warning does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn id(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// What to do about a finding, in a form a program can act on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FixHint {
    /// Scale the part uniformly by `factor` (< 1 shrinks) to fit.
    ScaleBy { factor: f64 },
    /// The part fits when rotated; reorient it (largest side on the longest axis).
    Reorient,
    /// Interpret the file in this unit (`/unit` override).
    SetUnit { unit: Unit },
    /// Close the holes (repair in a slicer or mesh tool).
    CloseHoles,
    /// Separate or merge the shells that share edges or vertices.
    RepairNonManifold,
    /// Recompute a consistent face orientation.
    FixWinding,
    /// Flip every face (normals point inwards).
    FlipNormals,
    /// Remove zero-area faces.
    RemoveDegenerateFaces,
    /// Confirm the separate parts are intended to be printed together.
    ConfirmMultipleParts,
    /// Thicken walls to at least this many millimetres.
    ThickenWalls { min_mm: f64 },
    /// Supports will be printed (and priced); reorienting may need fewer.
    SupportsNeeded,
}

impl FixHint {
    /// Stable code, e.g. `scale_by`.
    pub fn code(&self) -> &'static str {
        match self {
            FixHint::ScaleBy { .. } => "scale_by",
            FixHint::Reorient => "reorient",
            FixHint::SetUnit { .. } => "set_unit",
            FixHint::CloseHoles => "close_holes",
            FixHint::RepairNonManifold => "repair_non_manifold",
            FixHint::FixWinding => "fix_winding",
            FixHint::FlipNormals => "flip_normals",
            FixHint::RemoveDegenerateFaces => "remove_degenerate_faces",
            FixHint::ConfirmMultipleParts => "confirm_multiple_parts",
            FixHint::ThickenWalls { .. } => "thicken_walls",
            FixHint::SupportsNeeded => "supports_needed",
        }
    }
}

/// One result of a printability check.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub check: Check,
    pub severity: Severity,
    /// The measured value, in `unit`.
    pub measured: f64,
    /// The limit it was judged against, in `unit`.
    pub limit: f64,
    /// Unit of `measured` and `limit`: `mm`, `cm2`, `count`.
    pub unit: &'static str,
    /// Example face indices (at most 16), in file order.
    pub faces: Vec<u32>,
    /// A point on the problem, in mm.
    pub point_mm: Option<[f64; 3]>,
    pub fix_hint: FixHint,
    /// One sentence a person reads.
    pub message: String,
}

/// A check that could not run on this mesh, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct SkippedCheck {
    pub check: Check,
    pub reason: &'static str,
}
