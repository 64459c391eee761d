//! Metrics in millimetres: the measurements scaled by the applied unit.

use crate::measure::Measurements;
use crate::mesh::{Format, Mesh};
use crate::units::{Unit, UnitChoice, UnitEvidence, UnitGuess, UnitSource, detect_from_sides};

/// The figures of a mesh in the applied unit (mm, cm², cm³), plus the raw
/// values in file units. Field names follow the API's `metrics_json`.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    pub triangle_count: u64,
    pub vertex_count: u64,
    pub edge_count: u64,
    /// Bounding box size per axis, mm.
    pub bbox_mm: [f64; 3],
    pub bbox_min_mm: [f64; 3],
    pub bbox_max_mm: [f64; 3],
    /// Enclosed volume, cm³: the absolute value of the signed volume.
    pub volume_cm3: f64,
    /// Signed volume, cm³ (negative for an inside-out mesh).
    pub signed_volume_cm3: f64,
    pub surface_area_cm2: f64,
    pub is_watertight: bool,
    pub is_winding_consistent: bool,
    /// Watertight, consistently wound, and no vertex shared by separate fans.
    pub is_manifold: bool,
    /// Closed and consistent, but with normals pointing inwards.
    pub is_inside_out: bool,
    pub body_count: u64,
    pub degenerate_faces: u64,
    pub boundary_edges: u64,
    pub non_manifold_edges: u64,
    pub non_manifold_vertices: u64,
    pub euler_number: i64,
    /// The unit the figures above were computed with.
    pub unit: Unit,
    pub unit_source: UnitSource,
    /// The file's declared unit (3MF) or the guess from the part's size.
    pub detected_unit: Unit,
    /// 1 for a declared unit; the guess's confidence otherwise.
    pub unit_confidence: f64,
    /// What `detected_unit` rests on: the declaration, round sides, or size.
    pub unit_evidence: UnitEvidence,
    pub raw: RawMetrics,
}

/// Values in file units, unscaled, for comparison with other tools.
#[derive(Debug, Clone, PartialEq)]
pub struct RawMetrics {
    pub bbox_min: [f64; 3],
    pub bbox_max: [f64; 3],
    pub extents: [f64; 3],
    pub signed_volume: f64,
    pub area: f64,
}

/// The unit detected or declared for a mesh, before any override.
pub(crate) fn detected(mesh: &Mesh, m: &Measurements) -> UnitGuess {
    match mesh.file_unit {
        Some(unit) if mesh.format == Format::ThreeMf => UnitGuess {
            unit,
            confidence: 1.0,
            evidence: UnitEvidence::Declared,
        },
        _ => detect_from_sides(m.extents()),
    }
}

/// Resolves the unit to apply.
pub(crate) fn resolve(
    mesh: &Mesh,
    m: &Measurements,
    choice: UnitChoice,
) -> (Unit, UnitSource, UnitGuess) {
    let guess = detected(mesh, m);
    match choice {
        UnitChoice::Fixed(unit) => (unit, UnitSource::Override, guess),
        UnitChoice::Auto if mesh.file_unit.is_some() => (guess.unit, UnitSource::File, guess),
        UnitChoice::Auto => (guess.unit, UnitSource::Detected, guess),
    }
}

impl Mesh {
    /// Metrics with the given unit choice. The unit-independent work is cached,
    /// so calling this again with another unit costs next to nothing.
    pub fn metrics(&self, unit: UnitChoice) -> Metrics {
        let m = self.measurements();
        let (unit, unit_source, guess) = resolve(self, m, unit);
        let s = unit.mm_per_unit();
        let closed = m.is_watertight && m.is_winding_consistent;
        Metrics {
            triangle_count: m.triangle_count,
            vertex_count: m.vertex_count,
            edge_count: m.edge_count,
            bbox_mm: m.extents().map(|e| e * s),
            bbox_min_mm: m.bbox_min.map(|e| e * s),
            bbox_max_mm: m.bbox_max.map(|e| e * s),
            volume_cm3: m.signed_volume.abs() * s * s * s / 1000.0,
            signed_volume_cm3: m.signed_volume * s * s * s / 1000.0,
            surface_area_cm2: m.area * s * s / 100.0,
            is_watertight: m.is_watertight,
            is_winding_consistent: m.is_winding_consistent,
            is_manifold: m.is_manifold(),
            is_inside_out: closed && m.signed_volume < 0.0,
            body_count: m.body_count,
            degenerate_faces: m.degenerate_faces,
            boundary_edges: m.boundary_edges,
            non_manifold_edges: m.non_manifold_edges,
            non_manifold_vertices: m.non_manifold_vertices,
            euler_number: m.euler_number,
            unit,
            unit_source,
            detected_unit: guess.unit,
            unit_confidence: guess.confidence,
            unit_evidence: guess.evidence,
            raw: RawMetrics {
                bbox_min: m.bbox_min,
                bbox_max: m.bbox_max,
                extents: m.extents(),
                signed_volume: m.signed_volume,
                area: m.area,
            },
        }
    }
}
