//! Lead time from the farm's real queue (issue 12, item 5: "backlog hours /
//! matching printers").
//!
//! ```text
//! printers   = printers that can take work and hold the part's material,
//!              colour and nozzle (the matching printers); at least 1 when the
//!              farm has printers but none holds it yet (a person loads a
//!              spool); FALLBACK_PRINTERS when no printer is registered
//! backlog    = hours of the open tasks those printers would print first
//!              (farm_matching_load, migrations/0018)
//! queue_days = backlog / printers / 24
//! job_days   = (print hours per part × quantity) / printers / 24
//! extra      = ceil(queue_days + job_days)
//! lead time  = material's base range (catalog) + extra, in days
//! ship date  = today (UTC) + the upper end of the lead time
//! ```
//! The job spreads over the matching printers (seed 000: "jobs spread across
//! the fleet in parallel"), so quantity divides by their count too; a
//! printer holding another filament does not print this part.

use farm_domain::calendar::UtcDate;
use farm_domain::catalog::Material;

/// The fleet assumed before any printer has registered (seed 000: "10 printers
/// are live today").
pub const FALLBACK_PRINTERS: u32 = 10;

/// The nozzle every quoted part is printed with, mm: the farm's Bambu
/// profiles (mesh-engine's `BAMBU_256`, farm-slicing's printer profiles) are
/// for the 0.4 mm nozzle, and the scheduler gives a part only to a printer
/// with that nozzle.
pub const PART_NOZZLE_MM: f64 = 0.4;

/// The farm's load as a part sees it, read from `print_tasks` and `printers`
/// (`farm_matching_load`, migrations/0018).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FarmLoad {
    /// Estimated hours of the open tasks the matching printers would print
    /// first (those of a material and colour one of them holds).
    pub backlog_hours: f64,
    /// Printers that can take work and hold the part's material, colour and
    /// nozzle (one whose filament is unknown counts).
    pub matching_printers: u32,
    /// Printers that can take work, whatever they hold (0 when none are
    /// registered).
    pub available_printers: u32,
}

impl FarmLoad {
    /// Printers the part's queue spreads over: the matching ones; one when
    /// the farm has printers but none holds the part's filament (a person
    /// loads it on one); the fallback fleet when none are registered.
    pub fn printers(&self) -> u32 {
        if self.available_printers == 0 {
            FALLBACK_PRINTERS
        } else {
            self.matching_printers.max(1)
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LeadTime {
    pub min_days: u32,
    pub max_days: u32,
    /// Days added to the catalog's base range by the queue and this job.
    pub queue_days: u32,
    /// The printers the queue spreads over ([`FarmLoad::printers`]).
    pub printers: u32,
    /// The printers that hold the part's filament now
    /// ([`FarmLoad::matching_printers`]): 0 means none does, so the part
    /// waits until a person loads it on one (`printers` then counts the one
    /// it will be loaded on).
    pub matching_printers: u32,
    /// The queue's hours, rounded to 0.01 h (the sum of many task estimates
    /// carries float noise such as 0.44999999999999996 that no one should read).
    pub backlog_hours: f64,
    pub estimated_ship: UtcDate,
}

/// Lead time for a job of `job_hours` total print time.
pub fn lead_time(material: &Material, load: &FarmLoad, job_hours: f64, now_unix: i64) -> LeadTime {
    let printers = load.printers();
    let hours = sane(load.backlog_hours) + sane(job_hours);
    // Capped at ten years so a nonsense backlog cannot overflow the date math.
    let extra = (hours / f64::from(printers) / 24.0).ceil().min(3650.0) as u32;
    let (base_min, base_max) = material.lead_time_days();
    let max_days = base_max + extra;
    LeadTime {
        min_days: base_min + extra,
        max_days,
        queue_days: extra,
        printers,
        matching_printers: load.matching_printers,
        backlog_hours: (sane(load.backlog_hours) * 100.0).round() / 100.0,
        estimated_ship: UtcDate::from_unix(now_unix + i64::from(max_days) * 86_400),
    }
}

fn sane(hours: f64) -> f64 {
    if hours.is_finite() && hours > 0.0 {
        hours
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_782_950_400; // 2026-07-02T00:00:00Z

    fn pla() -> &'static Material {
        Material::parse("pla").expect("pla")
    }

    #[test]
    fn an_idle_farm_ships_within_the_base_range() {
        let load = FarmLoad {
            backlog_hours: 0.0,
            matching_printers: 0,
            available_printers: 0,
        };
        let lt = lead_time(pla(), &load, 0.0, NOW);
        assert_eq!((lt.min_days, lt.max_days, lt.printers), (2, 4, 10));
        assert_eq!(lt.estimated_ship.iso(), "2026-07-06");
    }

    #[test]
    fn the_backlog_and_the_job_spread_over_the_matching_printers() {
        // 200 h queued + 40 h of this job over 5 matching printers (of 8
        // working) = 48 h = 2 days.
        let load = FarmLoad {
            backlog_hours: 200.0,
            matching_printers: 5,
            available_printers: 8,
        };
        let lt = lead_time(pla(), &load, 40.0, NOW);
        assert_eq!((lt.min_days, lt.max_days, lt.queue_days), (4, 6, 2));
        // One more hour tips it into a third day.
        let lt = lead_time(pla(), &load, 41.0, NOW);
        assert_eq!(lt.queue_days, 3);
        // Twice the printers halve the wait.
        let lt = lead_time(
            pla(),
            &FarmLoad {
                matching_printers: 10,
                available_printers: 10,
                ..load
            },
            40.0,
            NOW,
        );
        assert_eq!(lt.queue_days, 1);
    }

    #[test]
    fn the_backlog_is_reported_to_the_hundredth_of_an_hour() {
        // 0.15 + 0.15 + 0.15 in floats is 0.44999999999999996.
        let load = FarmLoad {
            backlog_hours: 0.15 + 0.15 + 0.15,
            matching_printers: 1,
            available_printers: 1,
        };
        assert_eq!(
            lead_time(pla(), &load, 0.0, NOW).backlog_hours.to_string(),
            "0.45"
        );
    }

    #[test]
    fn nonsense_load_is_ignored_not_a_panic() {
        let load = FarmLoad {
            backlog_hours: f64::NAN,
            matching_printers: 3,
            available_printers: 3,
        };
        assert_eq!(lead_time(pla(), &load, -4.0, NOW).queue_days, 0);
        let load = FarmLoad {
            backlog_hours: 1e300,
            matching_printers: 1,
            available_printers: 1,
        };
        assert_eq!(lead_time(pla(), &load, 0.0, NOW).queue_days, 3650);
    }

    #[test]
    fn a_filament_few_printers_hold_ships_later() {
        // 24 h of PLA over 3 PLA printers: 8 h, one day; the same 24 h of
        // PETG over its one printer: 24 h, still one day; 25 h: two days.
        let pla_load = FarmLoad {
            backlog_hours: 24.0,
            matching_printers: 3,
            available_printers: 4,
        };
        let petg_load = FarmLoad {
            matching_printers: 1,
            ..pla_load
        };
        assert_eq!(lead_time(pla(), &pla_load, 1.0, NOW).queue_days, 1);
        assert_eq!(lead_time(pla(), &petg_load, 1.0, NOW).queue_days, 2);
        assert_eq!(lead_time(pla(), &petg_load, 1.0, NOW).printers, 1);
        // No printer holds it yet: one printer (a person loads the spool),
        // not the fallback fleet of ten.
        let none = FarmLoad {
            matching_printers: 0,
            ..pla_load
        };
        assert_eq!(none.printers(), 1);
    }
}
