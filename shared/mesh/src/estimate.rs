//! Weight, support and time estimates for pricing. The model is documented in
//! the crate docs ("Estimates").

use crate::checks::Overhang;
use crate::material::MaterialProfile;
use crate::metrics::Metrics;
use crate::printer::PrinterProfile;

/// Fraction of the support column's volume actually extruded (sparse support
/// plus interface layers).
pub const SUPPORT_FILL: f64 = 0.15;

/// What printing the part would take.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimates {
    pub material_id: &'static str,
    pub printer_id: &'static str,
    /// Printed part, grams (shell + infill).
    pub weight_g: f64,
    /// Support material, grams.
    pub support_g: f64,
    /// Part and support, grams.
    pub total_g: f64,
    pub shell_cm3: f64,
    pub infill_cm3: f64,
    pub support_cm3: f64,
    pub layers: u64,
    pub print_hours: f64,
    /// False when the mesh is not closed and consistently wound: the volume,
    /// and so everything derived from it, is then a guess.
    pub reliable: bool,
}

pub(crate) fn estimate(
    metrics: &Metrics,
    overhang: &Overhang,
    material: &MaterialProfile,
    printer: &PrinterProfile,
) -> Estimates {
    let volume_mm3 = metrics.volume_cm3 * 1000.0;
    let area_mm2 = metrics.surface_area_cm2 * 100.0;
    let shell_mm3 = (area_mm2 * material.wall_thickness_mm).min(volume_mm3);
    let infill_mm3 = (volume_mm3 - shell_mm3) * material.infill;
    let support_mm3 = overhang.support_column_mm3 * SUPPORT_FILL;
    let grams = |mm3: f64| mm3 / 1000.0 * material.density_g_cm3;
    let height = metrics.bbox_mm[2];
    let layers = (height / printer.layer_height_mm).ceil().max(1.0);
    let seconds = (shell_mm3 + infill_mm3 + support_mm3) / printer.flow_mm3_s
        + layers * printer.layer_overhead_s
        + printer.setup_s;
    Estimates {
        material_id: material.id,
        printer_id: printer.id,
        weight_g: grams(shell_mm3 + infill_mm3),
        support_g: grams(support_mm3),
        total_g: grams(shell_mm3 + infill_mm3 + support_mm3),
        shell_cm3: shell_mm3 / 1000.0,
        infill_cm3: infill_mm3 / 1000.0,
        support_cm3: support_mm3 / 1000.0,
        layers: layers as u64,
        print_hours: seconds / 3600.0,
        reliable: metrics.is_watertight && metrics.is_winding_consistent,
    }
}
