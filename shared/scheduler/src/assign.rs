//! One plate per idle printer, filled in queue order (issue 12, item 1).
//!
//! For each idle printer (by id, so the answer is deterministic) the
//! scheduler walks the queue ([`crate::priority`]) of parts that printer can
//! print ([`crate::compat::matches`]): the first such part starts the plate,
//! and later ones fill the space left ([`crate::packing`]), so a small new
//! part may share a plate with an old large one but never delays it. A plate
//! stops growing when its print time reaches
//! [`ScheduleConfig::max_plate_hours`], when nothing of the smallest
//! remaining size fits, or after [`ScheduleConfig::scan_limit`] parts in a
//! row did not fit. Each part goes on at most one plate; what no printer
//! takes stays queued for the next call.

use crate::compat::{fits_bed, matches};
use crate::model::{Plate, Printer, QueuedPart};
use crate::packing::{Margins, PlatePacker};
use crate::priority::queue_order;

/// The scheduler's knobs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScheduleConfig {
    pub margins: Margins,
    /// A plate takes no more parts once its estimated print time reaches
    /// this (hours): one print job should finish within a day so a failure
    /// costs at most a day and re-prints are not stuck behind a long plate.
    pub max_plate_hours: f64,
    /// Parts tried in a row without one fitting before a plate is closed.
    /// Bounds the work per plate on a long queue (10,000 parts) while still
    /// letting small parts fill the gaps.
    pub scan_limit: usize,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        Self {
            margins: Margins::FARM,
            max_plate_hours: 24.0,
            scan_limit: 400,
        }
    }
}

/// Plates for `idle` printers from `parts` at `now` (Unix s). A printer
/// with nothing it can print gets no plate. Parts are referred to by
/// [`QueuedPart::id`]; the caller claims them.
pub fn schedule(
    parts: &[QueuedPart],
    idle: &[Printer],
    now: i64,
    config: &ScheduleConfig,
) -> Vec<Plate> {
    let order = queue_order(parts, now);
    let mut taken = vec![false; parts.len()];
    let mut printers: Vec<&Printer> = idle.iter().collect();
    printers.sort_by(|a, b| a.id.cmp(&b.id));

    let mut plates = Vec::new();
    for printer in printers {
        let candidates: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| !taken[i] && matches(printer, &parts[i]))
            .collect();
        let Some(plate) = fill_plate(printer, parts, &candidates, config) else {
            continue;
        };
        for placement in &plate.placements {
            if let Some(i) = candidates
                .iter()
                .copied()
                .find(|&i| parts[i].id == placement.part_id)
            {
                taken[i] = true;
            }
        }
        plates.push(plate);
    }
    plates
}

/// Fills one plate of `printer` from `candidates` (indices into `parts`, in
/// queue order, all printable by this printer's material).
fn fill_plate(
    printer: &Printer,
    parts: &[QueuedPart],
    candidates: &[usize],
    config: &ScheduleConfig,
) -> Option<Plate> {
    let mut packer = PlatePacker::new(&printer.bed, config.margins);
    let mut hours = 0.0;
    let mut misses = 0;
    // The smallest side still waiting, to know when the plate is full.
    let smallest_side = candidates
        .iter()
        .map(|&i| parts[i].width_mm.min(parts[i].depth_mm))
        .fold(f64::INFINITY, f64::min);
    for &i in candidates {
        let part = &parts[i];
        if !fits_bed(
            &printer.bed,
            &config.margins,
            part.width_mm,
            part.depth_mm,
            part.height_mm,
        ) {
            continue;
        }
        if !packer.placements().is_empty() && hours + part.estimated_hours > config.max_plate_hours
        {
            misses += 1;
        } else if packer
            .place(part.id, part.width_mm, part.depth_mm)
            .is_some()
        {
            hours += part.estimated_hours;
            misses = 0;
        } else {
            misses += 1;
        }
        if misses >= config.scan_limit
            || hours >= config.max_plate_hours
            || packer.is_full_for(smallest_side)
        {
            break;
        }
    }
    if packer.placements().is_empty() {
        return None;
    }
    Some(Plate {
        printer_id: printer.id.clone(),
        placements: packer.placements().to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Bed;

    fn part(id: u64, w: f64, d: f64, material: &str, queued_at: i64) -> QueuedPart {
        QueuedPart {
            id,
            order_id: format!("ord_{id}"),
            width_mm: w,
            depth_mm: d,
            height_mm: 20.0,
            material: material.into(),
            color: "black".into(),
            nozzle_mm: 0.4,
            queued_at,
            ship_by: None,
            attempt: 0,
            estimated_hours: 1.0,
        }
    }

    fn printer(id: &str, material: &str) -> Printer {
        Printer {
            id: id.into(),
            bed: Bed::BAMBU_256,
            material: material.into(),
            color: "black".into(),
            nozzle_mm: 0.4,
        }
    }

    fn ids(plate: &Plate) -> Vec<u64> {
        let mut ids: Vec<u64> = plate.placements.iter().map(|p| p.part_id).collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn parts_go_only_to_printers_with_their_material() {
        let parts = vec![
            part(1, 50.0, 50.0, "pla", 1),
            part(2, 50.0, 50.0, "petg", 2),
        ];
        let plates = schedule(
            &parts,
            &[printer("a", "petg"), printer("b", "pla")],
            10,
            &ScheduleConfig::default(),
        );
        assert_eq!(plates.len(), 2);
        let by = |id: &str| plates.iter().find(|p| p.printer_id == id).map(ids);
        assert_eq!(by("a"), Some(vec![2]));
        assert_eq!(by("b"), Some(vec![1]));
    }

    #[test]
    fn no_part_is_on_two_plates_and_the_oldest_go_first() {
        // Four 120 × 120 parts fit a plate (2 × (120 + 5) <= 246 + 5), so
        // of ten, two printers take the eight oldest and the two newest
        // stay queued.
        let parts: Vec<QueuedPart> = (0..10)
            .map(|i| part(i, 120.0, 120.0, "pla", 100 - i as i64))
            .collect();
        let plates = schedule(
            &parts,
            &[printer("a", "pla"), printer("b", "pla")],
            1_000,
            &ScheduleConfig::default(),
        );
        let mut all: Vec<u64> = plates.iter().flat_map(ids).collect();
        all.sort_unstable();
        // Oldest = highest id (queued_at = 100 - id): ids 2..=9 are taken.
        assert_eq!(all, (2..10).collect::<Vec<_>>());
    }

    #[test]
    fn small_new_parts_fill_the_gaps_beside_an_old_large_one() {
        let parts = vec![
            part(1, 200.0, 200.0, "pla", 1),
            part(2, 200.0, 200.0, "pla", 2),
            part(3, 30.0, 30.0, "pla", 3),
        ];
        let plates = schedule(
            &parts,
            &[printer("a", "pla")],
            10,
            &ScheduleConfig::default(),
        );
        assert_eq!(plates.len(), 1);
        assert_eq!(ids(&plates[0]), vec![1, 3]);
    }

    #[test]
    fn a_plate_stops_at_its_time_budget() {
        let mut parts: Vec<QueuedPart> = (0..10)
            .map(|i| part(i, 20.0, 20.0, "pla", i as i64))
            .collect();
        for p in &mut parts {
            p.estimated_hours = 5.0;
        }
        let plates = schedule(
            &parts,
            &[printer("a", "pla")],
            100,
            &ScheduleConfig::default(),
        );
        // 24 h budget: four 5 h parts (20 h), a fifth would make 25 h.
        assert_eq!(ids(&plates[0]), vec![0, 1, 2, 3]);
    }

    #[test]
    fn a_part_too_big_for_the_bed_is_skipped_not_blocking() {
        let parts = vec![
            part(1, 300.0, 20.0, "pla", 1),
            part(2, 20.0, 20.0, "pla", 2),
        ];
        let plates = schedule(
            &parts,
            &[printer("a", "pla")],
            10,
            &ScheduleConfig::default(),
        );
        assert_eq!(ids(&plates[0]), vec![2]);
    }

    #[test]
    fn a_printer_with_nothing_to_print_gets_no_plate() {
        let parts = vec![part(1, 20.0, 20.0, "pla", 1)];
        assert!(
            schedule(
                &parts,
                &[printer("a", "petg")],
                10,
                &ScheduleConfig::default()
            )
            .is_empty()
        );
    }
}
