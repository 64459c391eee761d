//! The scheduler's inputs and outputs. Lengths are millimetres, times Unix
//! seconds, durations hours.

/// A printer's build volume. Bambu Lab's P1S, X1C and A1 all print in
/// 256 × 256 × 256 mm (Bambu Lab's published specifications), the farm's
/// models.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bed {
    pub width_mm: f64,
    pub depth_mm: f64,
    pub max_height_mm: f64,
}

impl Bed {
    /// The Bambu Lab P1S / X1C / A1 build volume.
    pub const BAMBU_256: Bed = Bed {
        width_mm: 256.0,
        depth_mm: 256.0,
        max_height_mm: 256.0,
    };

    /// Bed area in mm².
    pub fn area_mm2(&self) -> f64 {
        self.width_mm * self.depth_mm
    }
}

/// One copy of a part waiting to be printed (a print task).
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedPart {
    /// The print task's id.
    pub id: u64,
    pub order_id: String,
    /// Footprint on the bed (its bounding box in X and Y as it will print), mm.
    pub width_mm: f64,
    pub depth_mm: f64,
    /// Height above the bed, mm.
    pub height_mm: f64,
    /// Material id of the catalog (`pla`, `petg`, ...), lower case.
    pub material: String,
    /// Colour name of the catalog, lower case.
    pub color: String,
    /// Nozzle diameter the part was quoted for, mm (0.4 by default).
    pub nozzle_mm: f64,
    /// When it entered the queue (Unix s). Re-prints keep their first time.
    pub queued_at: i64,
    /// The order's promised ship date (Unix s), if one was promised.
    pub ship_by: Option<i64>,
    /// Failed attempts so far (0 for a first print). A re-print goes to the
    /// front of the queue.
    pub attempt: u32,
    /// The part's estimated print time, hours.
    pub estimated_hours: f64,
}

/// A printer that can take a plate now (idle, plate cleared, not flagged
/// for attention: the caller passes only those).
#[derive(Debug, Clone, PartialEq)]
pub struct Printer {
    pub id: String,
    pub bed: Bed,
    /// Loaded material and colour (from the AMS tray or site configuration).
    pub material: String,
    pub color: String,
    pub nozzle_mm: f64,
}

/// Where one part sits on a plate: the lower-left corner of its footprint
/// (mm from the bed's origin) and whether it was turned 90° about Z.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    pub part_id: u64,
    pub x_mm: f64,
    pub y_mm: f64,
    /// Footprint as placed (width and depth swapped when rotated).
    pub width_mm: f64,
    pub depth_mm: f64,
    pub rotated: bool,
}

/// A printer's next plate.
#[derive(Debug, Clone, PartialEq)]
pub struct Plate {
    pub printer_id: String,
    pub placements: Vec<Placement>,
}

impl Plate {
    /// The plate's estimated print time: the sum of its parts' estimates
    /// (a slicer prints a plate's parts in one job; travel between them is
    /// small next to the parts themselves).
    pub fn estimated_hours(&self, parts: &[QueuedPart]) -> f64 {
        self.placements
            .iter()
            .filter_map(|p| parts.iter().find(|q| q.id == p.part_id))
            .map(|q| q.estimated_hours)
            .sum()
    }
}
