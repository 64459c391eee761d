//! Printer profiles: build volume and the print settings the estimate models.
//!
//! These numbers are the one source for both the quote's estimate and the
//! slicer: farm-slicing passes them to PrusaSlicer (`shared_settings`), so
//! the slicer prints what the quote priced. The process values follow Bambu
//! Studio's "0.20mm Standard" process for the X1/P1 series with a 0.4 mm
//! nozzle (0.42 mm lines, 2 walls, 5 top and 3 bottom layers).

/// One printer model of the farm, with the process it prints with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrinterProfile {
    /// Stable identifier.
    pub id: &'static str,
    /// Name a person reads.
    pub name: &'static str,
    /// Printable volume, x × y × z in millimetres.
    pub build_volume_mm: [f64; 3],
    /// Layer height (first layer too), mm.
    pub layer_height_mm: f64,
    /// Extrusion width of every line, mm.
    pub line_width_mm: f64,
    /// Perimeter loops (walls).
    pub wall_loops: u32,
    /// Solid layers under every top surface.
    pub top_layers: u32,
    /// Solid layers over every bottom surface.
    pub bottom_layers: u32,
    /// Print speeds, mm/s, each capped by the material's maximum flow.
    pub speeds: Speeds,
    /// A layer printed faster than this is slowed down to it (cooling), s.
    pub min_layer_time_s: f64,
    /// Time per layer besides extrusion (travel, retraction, z move), s;
    /// added after the minimum layer time (the slicer slows extrusion only).
    pub layer_overhead_s: f64,
    /// Fixed time per print (heating, bed levelling, purge), s. The slicer
    /// does not count it (it does not model heating), the printer spends it.
    pub setup_s: f64,
}

/// Print speeds, mm/s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Speeds {
    /// Outer wall.
    pub outer_wall: f64,
    /// Inner walls.
    pub inner_wall: f64,
    /// Sparse infill.
    pub sparse_infill: f64,
    /// Solid infill (top and bottom skins).
    pub solid_infill: f64,
    /// Top surface.
    pub top_surface: f64,
    /// Support.
    pub support: f64,
    /// Everything on the first layer.
    pub first_layer: f64,
    /// Moves without extrusion.
    pub travel: f64,
}

/// Bambu Studio's X1/P1 "0.20mm Standard" speeds (outer wall 200, inner
/// wall 300, sparse infill 270, internal solid 250, top surface 200, first
/// layer 50, travel 500); support 150.
pub const BAMBU_SPEEDS: Speeds = Speeds {
    outer_wall: 200.0,
    inner_wall: 300.0,
    sparse_infill: 270.0,
    solid_infill: 250.0,
    top_surface: 200.0,
    support: 150.0,
    first_layer: 50.0,
    travel: 500.0,
};

/// The farm's Bambu Lab printers (X1C / P1S / A1): 256 × 256 × 256 mm,
/// 0.4 mm nozzle. Layer overhead (travel, retraction, z hop; 0.4 s): fitted
/// to PrusaSlicer's time estimate with these settings
/// (benches/quote_accuracy.sh). Setup: heating,
/// levelling and purge of a Bambu start sequence, about six minutes.
pub const BAMBU_256: PrinterProfile = PrinterProfile {
    id: "bambu-256",
    name: "Bambu Lab X1C/P1S/A1 (256 mm)",
    build_volume_mm: [256.0, 256.0, 256.0],
    layer_height_mm: 0.2,
    line_width_mm: 0.42,
    wall_loops: 2,
    top_layers: 5,
    bottom_layers: 3,
    speeds: BAMBU_SPEEDS,
    min_layer_time_s: 4.0,
    layer_overhead_s: 0.4,
    setup_s: 360.0,
};

/// The large-format profile of the original service: 440 mm on every axis,
/// slower (a bed slinger), thicker layers.
pub const LARGE_440: PrinterProfile = PrinterProfile {
    id: "large-440",
    name: "Large format (440 mm)",
    build_volume_mm: [440.0, 440.0, 440.0],
    layer_height_mm: 0.24,
    line_width_mm: 0.45,
    wall_loops: 2,
    top_layers: 4,
    bottom_layers: 3,
    speeds: Speeds {
        outer_wall: 80.0,
        inner_wall: 120.0,
        sparse_infill: 150.0,
        solid_infill: 120.0,
        top_surface: 80.0,
        support: 100.0,
        first_layer: 30.0,
        travel: 250.0,
    },
    min_layer_time_s: 6.0,
    layer_overhead_s: 1.5,
    setup_s: 600.0,
};

/// Every known profile; the first is the default.
pub const ALL: &[PrinterProfile] = &[BAMBU_256, LARGE_440];

/// Looks a profile up by id, ignoring ASCII case.
pub fn profile(id: &str) -> Option<&'static PrinterProfile> {
    ALL.iter().find(|p| p.id.eq_ignore_ascii_case(id.trim()))
}

impl PrinterProfile {
    /// Centre-to-centre distance of adjacent lines, mm: PrusaSlicer's flow
    /// model (a rectangle with semicircular ends), width − height × (1 − π/4).
    /// A line of length ℓ extrudes ℓ × spacing × layer height.
    pub fn line_spacing_mm(&self) -> f64 {
        self.line_width_mm - self.layer_height_mm * (1.0 - std::f64::consts::FRAC_PI_4)
    }
}

impl Default for PrinterProfile {
    fn default() -> Self {
        BAMBU_256
    }
}
