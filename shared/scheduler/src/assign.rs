//! One plate per idle printer, filled from the head of its queue (issue 12,
//! item 1).
//!
//! For each idle printer (by id, so the answer is deterministic) the
//! scheduler walks the queue ([`crate::priority`]) of parts that printer can
//! print ([`crate::compat::matches`]): the first such part is always on the
//! plate, the next few plates' worth are tried largest first, and later ones
//! fill the space left ([`crate::packing`]), so a small new part may share a
//! plate with an old large one but never displaces the head. A plate
//! stops growing when its print time reaches
//! [`ScheduleConfig::max_plate_hours`], when nothing of the smallest
//! remaining size fits, or after [`ScheduleConfig::scan_limit`] parts in a
//! row did not fit. Each part goes on at most one plate; what no printer
//! takes stays queued for the next call.

use crate::compat::{fits_bed, matches};
use crate::model::{Plate, Printer, QueuedPart};
use crate::packing::{FitRule, Margins, PlatePacker};
use crate::priority::{Class, class, queue_order};
use std::cmp::Ordering;

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
    /// How much of the queue's head (in plates' worth of footprint with
    /// margins) may be reordered largest first to pack a plate. Only parts
    /// this near the head overtake older ones through the reordering
    /// (re-prints and due parts never are), and the head itself is always
    /// placed, so a part gives way only to parts a few plates behind it.
    /// 0 keeps queue order. 3 is our trade-off: a larger window packs a
    /// little tighter on `benches/scheduler.sh` but lets newer parts further
    /// ahead.
    pub window_plates: f64,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        Self {
            margins: Margins::FARM,
            max_plate_hours: 24.0,
            scan_limit: 400,
            window_plates: 3.0,
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
        let Some(plate) = fill_plate(printer, parts, &candidates, now, config) else {
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
///
/// The plate is packed several ways and the one holding the most footprint
/// area is kept. Each way starts with the *window*: the head of the queue,
/// about [`ScheduleConfig::window_plates`] plates' worth of footprint (with
/// margins). Re-prints and due parts in it go first, in queue order; the
/// other parts of the window go largest first (big parts placed early leave
/// room the small ones fill, the classic "decreasing" order of bin packing).
/// Then the rest of the queue, in queue order, fills what is left. The head
/// of the queue is always on the plate: a packing that left it off is not
/// taken, and queue order with best short side fit (which places the head
/// first) is the fallback.
fn fill_plate(
    printer: &Printer,
    parts: &[QueuedPart],
    candidates: &[usize],
    now: i64,
    config: &ScheduleConfig,
) -> Option<Plate> {
    let m = &config.margins;
    let eligible: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|&i| {
            let p = &parts[i];
            fits_bed(&printer.bed, m, p.width_mm, p.depth_mm, p.height_mm)
        })
        .collect();
    let &head = eligible.first()?;
    let inflated =
        |i: usize| (parts[i].width_mm + m.spacing_mm) * (parts[i].depth_mm + m.spacing_mm);
    let usable = (printer.bed.width_mm - 2.0 * m.edge_mm + m.spacing_mm)
        * (printer.bed.depth_mm - 2.0 * m.edge_mm + m.spacing_mm);

    let mut window_end = 0;
    let mut window_area = 0.0;
    for &i in &eligible {
        if window_end > 0 && window_area >= config.window_plates * usable {
            break;
        }
        window_area += inflated(i);
        window_end += 1;
    }
    let mut best: Option<PlatePacker> = None;
    for order in WindowOrder::ALL {
        let mut sorted: Vec<usize> = eligible[..window_end].to_vec();
        // A stable sort: equal keys keep queue order. The head stays first.
        sorted[1..].sort_by(|&a, &b| {
            let (ca, cb) = (class(&parts[a], now), class(&parts[b], now));
            ca.cmp(&cb).then_with(|| {
                if ca == Class::Normal {
                    order.key(&parts[b], m).total_cmp(&order.key(&parts[a], m))
                } else {
                    Ordering::Equal
                }
            })
        });
        sorted.extend_from_slice(&eligible[window_end..]);
        for rule in FitRule::ALL {
            let packer = pack(printer, parts, &sorted, rule, config);
            let has_head = packer
                .placements()
                .iter()
                .any(|p| p.part_id == parts[head].id);
            if has_head
                && best
                    .as_ref()
                    .is_none_or(|b| packer.used_area_mm2() > b.used_area_mm2() + 1e-6)
            {
                best = Some(packer);
            }
        }
    }
    let packer =
        best.unwrap_or_else(|| pack(printer, parts, &eligible, FitRule::BestShortSideFit, config));
    if packer.placements().is_empty() {
        return None;
    }
    Some(Plate {
        printer_id: printer.id.clone(),
        placements: packer.placements().to_vec(),
    })
}

/// How the window's parts other than re-prints and due parts are ordered
/// (largest first by area or by longer side, the two sort keys Jylänki 2010
/// found best for MaxRects, neither best everywhere, or left in queue order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WindowOrder {
    Area,
    LongerSide,
    Queue,
}

impl WindowOrder {
    const ALL: [WindowOrder; 3] = [
        WindowOrder::Area,
        WindowOrder::LongerSide,
        WindowOrder::Queue,
    ];

    /// The sort key (larger goes first) of `part` with margins `m`.
    fn key(self, part: &QueuedPart, m: &Margins) -> f64 {
        let (w, d) = (part.width_mm + m.spacing_mm, part.depth_mm + m.spacing_mm);
        match self {
            WindowOrder::Area => w * d,
            WindowOrder::LongerSide => w.max(d),
            WindowOrder::Queue => 0.0,
        }
    }
}

/// Places `order` (indices into `parts`, each fitting the bed alone) on one
/// plate with `rule`, in that order, until the plate's time budget is
/// reached, nothing of the smallest size left fits, or
/// [`ScheduleConfig::scan_limit`] parts in a row did not fit.
fn pack(
    printer: &Printer,
    parts: &[QueuedPart],
    order: &[usize],
    rule: FitRule,
    config: &ScheduleConfig,
) -> PlatePacker {
    let mut packer = PlatePacker::with_rule(&printer.bed, config.margins, rule);
    let mut hours = 0.0;
    let mut misses = 0;
    // The smallest side still waiting, to know when the plate is full.
    let smallest_side = order
        .iter()
        .map(|&i| parts[i].width_mm.min(parts[i].depth_mm))
        .fold(f64::INFINITY, f64::min);
    for &i in order {
        let part = &parts[i];
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
    packer
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

    /// Above a 246 × 100 slab (the head) the plate has 251 × 146 mm left in
    /// inflated terms. In queue order a 60 × 60 part goes first and only one
    /// of two 120 × 140 parts fits beside it; largest first, both 120 × 140
    /// parts fit side by side (2 × 125 = 250 <= 251) and the small one waits.
    fn slab_and_fillers() -> Vec<QueuedPart> {
        vec![
            part(1, 246.0, 100.0, "pla", 1),
            part(2, 60.0, 60.0, "pla", 2),
            part(3, 120.0, 140.0, "pla", 3),
            part(4, 120.0, 140.0, "pla", 4),
        ]
    }

    #[test]
    fn the_window_goes_largest_first_when_that_fills_the_plate_better() {
        let plates = schedule(
            &slab_and_fillers(),
            &[printer("a", "pla")],
            10,
            &ScheduleConfig::default(),
        );
        assert_eq!(ids(&plates[0]), vec![1, 3, 4]);
    }

    #[test]
    fn without_a_window_the_queue_order_decides() {
        let config = ScheduleConfig {
            window_plates: 0.0,
            ..ScheduleConfig::default()
        };
        let plates = schedule(&slab_and_fillers(), &[printer("a", "pla")], 10, &config);
        assert_eq!(ids(&plates[0]), vec![1, 2, 3]);
    }

    #[test]
    fn the_head_of_the_queue_is_always_on_the_plate() {
        // The oldest part is small and the window holds two parts that
        // would fill the bed alone (each 246 × 120: together 2 × 125 = 250
        // <= 251 deep), so largest first would leave it off; it must not.
        let parts = vec![
            part(1, 30.0, 30.0, "pla", 1),
            part(2, 246.0, 120.0, "pla", 2),
            part(3, 246.0, 120.0, "pla", 3),
        ];
        let plates = schedule(
            &parts,
            &[printer("a", "pla")],
            10,
            &ScheduleConfig::default(),
        );
        let on_plate = ids(&plates[0]);
        assert!(on_plate.contains(&1), "{on_plate:?}");
        assert_eq!(on_plate.len(), 2, "{on_plate:?}");
    }

    #[test]
    fn reprints_keep_their_place_ahead_of_larger_parts_in_the_window() {
        // Two re-prints (a 30 × 30 head and a 246 × 100 slab) and an older
        // 246 × 200 first print. The slab and the big part cannot share a
        // plate (105 + 205 > 251 deep, each 251 wide), so largest first
        // would take the big part; the re-print must go instead.
        let mut parts = vec![
            part(1, 246.0, 200.0, "pla", 1),
            part(2, 30.0, 30.0, "pla", 2),
            part(3, 246.0, 100.0, "pla", 3),
        ];
        parts[1].attempt = 1;
        parts[2].attempt = 1;
        let plates = schedule(
            &parts,
            &[printer("a", "pla")],
            10,
            &ScheduleConfig::default(),
        );
        assert_eq!(ids(&plates[0]), vec![2, 3]);
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
