//! Lead time from the farm's real queue.
//!
//! ```text
//! printers   = printers not offline, or FALLBACK_PRINTERS when none are registered
//! queue_days = (queued + printing task hours) / printers / 24
//! job_days   = (print hours per part × quantity) / printers / 24
//! extra      = ceil(queue_days + job_days)
//! lead time  = material's base range (catalog) + extra, in days
//! ship date  = today (UTC) + the upper end of the lead time
//! ```
//! The job spreads over the whole fleet (seed 000: "jobs spread across the
//! fleet in parallel"), so quantity divides by the printer count too.

use farm_domain::calendar::UtcDate;
use farm_domain::catalog::Material;

/// The fleet assumed before any printer has registered (seed 000: "10 printers
/// are live today").
pub const FALLBACK_PRINTERS: u32 = 10;

/// The farm's load, read from `print_tasks` and `printers`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FarmLoad {
    /// Estimated hours of every queued or printing task.
    pub backlog_hours: f64,
    /// Printers that are not offline (0 when none are registered).
    pub available_printers: u32,
}

impl FarmLoad {
    /// Printers that count: the registered ones, or the fallback fleet.
    pub fn printers(&self) -> u32 {
        if self.available_printers == 0 {
            FALLBACK_PRINTERS
        } else {
            self.available_printers
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LeadTime {
    pub min_days: u32,
    pub max_days: u32,
    /// Days added to the catalog's base range by the queue and this job.
    pub queue_days: u32,
    pub printers: u32,
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
            available_printers: 0,
        };
        let lt = lead_time(pla(), &load, 0.0, NOW);
        assert_eq!((lt.min_days, lt.max_days, lt.printers), (2, 4, 10));
        assert_eq!(lt.estimated_ship.iso(), "2026-07-06");
    }

    #[test]
    fn the_backlog_and_the_job_spread_over_the_available_printers() {
        // 200 h queued + 40 h of this job over 5 printers = 48 h = 2 days.
        let load = FarmLoad {
            backlog_hours: 200.0,
            available_printers: 5,
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
            available_printers: 3,
        };
        assert_eq!(lead_time(pla(), &load, -4.0, NOW).queue_days, 0);
        let load = FarmLoad {
            backlog_hours: 1e300,
            available_printers: 1,
        };
        assert_eq!(lead_time(pla(), &load, 0.0, NOW).queue_days, 3650);
    }
}
