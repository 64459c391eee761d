//! Which printer can print which part: its loaded material, colour and
//! nozzle match, and the part fits its build volume with the packing
//! margins. [`fits_any_printer`] is the quote-time check: a part no printer
//! of the farm can hold is refused then, never queued.

use crate::model::{Bed, Printer, QueuedPart};
use crate::packing::Margins;

/// Nozzle diameters within this are the same nozzle (0.4 vs 0.40000001).
const NOZZLE_TOLERANCE_MM: f64 = 0.01;

/// True when `printer`'s loaded material, colour and nozzle are the part's.
/// Names compare case-insensitively (the AMS reports `PLA`, the catalog says
/// `pla`).
pub fn matches(printer: &Printer, part: &QueuedPart) -> bool {
    printer.material.eq_ignore_ascii_case(&part.material)
        && printer.color.eq_ignore_ascii_case(&part.color)
        && (printer.nozzle_mm - part.nozzle_mm).abs() <= NOZZLE_TOLERANCE_MM
}

/// True when a part of this footprint and height fits `bed` alone, inside
/// the edge margin, in either orientation about Z.
pub fn fits_bed(
    bed: &Bed,
    margins: &Margins,
    width_mm: f64,
    depth_mm: f64,
    height_mm: f64,
) -> bool {
    let usable_w = bed.width_mm - 2.0 * margins.edge_mm;
    let usable_d = bed.depth_mm - 2.0 * margins.edge_mm;
    let flat = width_mm <= usable_w && depth_mm <= usable_d;
    let turned = depth_mm <= usable_w && width_mm <= usable_d;
    height_mm <= bed.max_height_mm && (flat || turned) && width_mm > 0.0 && depth_mm > 0.0
}

/// Why no printer can hold a part (the quote's refusal names the limit).
#[derive(Debug, Clone, PartialEq)]
pub enum FitError {
    /// Taller than every printer's build height.
    TooTall { height_mm: f64, max_height_mm: f64 },
    /// Footprint larger than every bed (inside the edge margins), turned or not.
    FootprintTooLarge {
        width_mm: f64,
        depth_mm: f64,
        usable_width_mm: f64,
        usable_depth_mm: f64,
    },
    /// The farm has no printer at all.
    NoPrinters,
}

/// Checks a part's dimensions against the farm's beds: `Ok` when at least
/// one bed holds it (material is not considered: spools can be changed,
/// beds cannot). The error names the tightest limit it broke on the largest
/// bed.
pub fn fits_any_printer(
    beds: &[Bed],
    margins: &Margins,
    width_mm: f64,
    depth_mm: f64,
    height_mm: f64,
) -> Result<(), FitError> {
    if beds
        .iter()
        .any(|b| fits_bed(b, margins, width_mm, depth_mm, height_mm))
    {
        return Ok(());
    }
    let Some(largest) = beds
        .iter()
        .max_by(|a, b| a.area_mm2().total_cmp(&b.area_mm2()))
    else {
        return Err(FitError::NoPrinters);
    };
    let max_height = beds.iter().map(|b| b.max_height_mm).fold(0.0, f64::max);
    if height_mm > max_height {
        return Err(FitError::TooTall {
            height_mm,
            max_height_mm: max_height,
        });
    }
    Err(FitError::FootprintTooLarge {
        width_mm,
        depth_mm,
        usable_width_mm: largest.width_mm - 2.0 * margins.edge_mm,
        usable_depth_mm: largest.depth_mm - 2.0 * margins.edge_mm,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: Margins = Margins {
        spacing_mm: 5.0,
        edge_mm: 5.0,
    };

    #[test]
    fn a_part_fits_when_turned() {
        // 240 × 100 fits the 246 × 246 usable area either way; 250 × 10 does
        // not fit at all; 246 × 246 exactly fits.
        assert!(fits_bed(&Bed::BAMBU_256, &M, 240.0, 100.0, 50.0));
        assert!(fits_bed(&Bed::BAMBU_256, &M, 246.0, 246.0, 50.0));
        assert!(!fits_bed(&Bed::BAMBU_256, &M, 250.0, 10.0, 50.0));
    }

    #[test]
    fn refusals_name_the_limit() {
        let beds = [Bed::BAMBU_256];
        assert_eq!(
            fits_any_printer(&beds, &M, 10.0, 10.0, 300.0),
            Err(FitError::TooTall {
                height_mm: 300.0,
                max_height_mm: 256.0
            })
        );
        assert!(matches!(
            fits_any_printer(&beds, &M, 300.0, 10.0, 10.0),
            Err(FitError::FootprintTooLarge { usable_width_mm, .. }) if usable_width_mm == 246.0
        ));
        assert_eq!(
            fits_any_printer(&[], &M, 1.0, 1.0, 1.0),
            Err(FitError::NoPrinters)
        );
        assert_eq!(fits_any_printer(&beds, &M, 100.0, 100.0, 100.0), Ok(()));
    }

    #[test]
    fn material_colour_and_nozzle_must_all_match() {
        let printer = Printer {
            id: "p".into(),
            bed: Bed::BAMBU_256,
            material: "PLA".into(),
            color: "Black".into(),
            nozzle_mm: 0.4,
        };
        let mut part = QueuedPart {
            id: 1,
            order_id: "o".into(),
            width_mm: 10.0,
            depth_mm: 10.0,
            height_mm: 10.0,
            material: "pla".into(),
            color: "black".into(),
            nozzle_mm: 0.4,
            queued_at: 0,
            ship_by: None,
            attempt: 0,
            estimated_hours: 1.0,
        };
        assert!(matches(&printer, &part));
        part.color = "white".into();
        assert!(!matches(&printer, &part));
        part.color = "black".into();
        part.nozzle_mm = 0.6;
        assert!(!matches(&printer, &part));
        part.nozzle_mm = 0.4;
        part.material = "petg".into();
        assert!(!matches(&printer, &part));
    }
}
