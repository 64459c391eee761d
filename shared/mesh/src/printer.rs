//! Printer profiles: build volume and the throughput used for time estimates.

/// One printer model of the farm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrinterProfile {
    /// Stable identifier.
    pub id: &'static str,
    /// Name a person reads.
    pub name: &'static str,
    /// Printable volume, x × y × z in millimetres.
    pub build_volume_mm: [f64; 3],
    /// Average volumetric flow over a whole print (perimeters run slower than
    /// infill), mm³/s. Not the hotend's peak.
    pub flow_mm3_s: f64,
    /// Layer height used for estimates, mm.
    pub layer_height_mm: f64,
    /// Time spent per layer besides extrusion (layer change, travel, wipe), s.
    pub layer_overhead_s: f64,
    /// Fixed time per print (heating, bed levelling, purge), s.
    pub setup_s: f64,
}

/// The farm's Bambu Lab printers (X1C / P1S): 256 × 256 × 256 mm.
pub const BAMBU_256: PrinterProfile = PrinterProfile {
    id: "bambu-256",
    name: "Bambu Lab X1C/P1S (256 mm)",
    build_volume_mm: [256.0, 256.0, 256.0],
    flow_mm3_s: 9.0,
    layer_height_mm: 0.2,
    layer_overhead_s: 2.0,
    setup_s: 360.0,
};

/// The large-format profile of the original service: 440 mm on every axis.
pub const LARGE_440: PrinterProfile = PrinterProfile {
    id: "large-440",
    name: "Large format (440 mm)",
    build_volume_mm: [440.0, 440.0, 440.0],
    flow_mm3_s: 12.0,
    layer_height_mm: 0.24,
    layer_overhead_s: 3.0,
    setup_s: 600.0,
};

/// Every known profile; the first is the default.
pub const ALL: &[PrinterProfile] = &[BAMBU_256, LARGE_440];

/// Looks a profile up by id, ignoring ASCII case.
pub fn profile(id: &str) -> Option<&'static PrinterProfile> {
    ALL.iter().find(|p| p.id.eq_ignore_ascii_case(id.trim()))
}

impl Default for PrinterProfile {
    fn default() -> Self {
        BAMBU_256
    }
}
