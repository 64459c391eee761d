//! Energy per part (issue 12, item 6; seed 000: every part "ships with a
//! net-zero manufacturing footprint"). A print's energy is the printer
//! model's heat-up energy plus its printing power for the print's real
//! duration; a site's share of on-site solar splits it into solar and grid.
//!
//! The power figures below are planning values for the Bambu Lab models the
//! farm runs (full-power heat-up of bed and nozzle, then the average draw
//! while printing, higher for materials printed on a hotter bed); they are
//! configuration, not a measurement: a site with metered printers replaces
//! them with its own.

/// A printer model's power profile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerProfile {
    /// Draw while the bed and nozzle heat up, W.
    pub heatup_watts: f64,
    /// How long heat-up lasts, minutes.
    pub heatup_minutes: f64,
    /// Average draw while printing PLA (bed ~55–65 °C), W.
    pub printing_watts_pla: f64,
    /// Extra average draw per °C of bed temperature above PLA's 60 °C, W/°C.
    pub watts_per_bed_degree: f64,
}

/// Planning profiles of the farm's models (see the module docs).
pub fn profile(model: &str) -> PowerProfile {
    match model.to_ascii_lowercase().as_str() {
        "a1" | "a1 mini" => PowerProfile {
            heatup_watts: 700.0,
            heatup_minutes: 3.0,
            printing_watts_pla: 95.0,
            watts_per_bed_degree: 1.2,
        },
        "x1c" | "x1e" | "x1" => PowerProfile {
            heatup_watts: 1000.0,
            heatup_minutes: 4.0,
            printing_watts_pla: 120.0,
            watts_per_bed_degree: 1.6,
        },
        // P1S / P1P and anything unknown: the P1S figures.
        _ => PowerProfile {
            heatup_watts: 900.0,
            heatup_minutes: 4.0,
            printing_watts_pla: 110.0,
            watts_per_bed_degree: 1.5,
        },
    }
}

/// Bed temperature of a material, °C (Bambu Studio's generic filament
/// profiles: PLA 55–65, PETG 70, ABS/ASA 90–100, TPU 35).
pub fn bed_temperature_c(material: &str) -> f64 {
    match material.to_ascii_lowercase().as_str() {
        "petg" => 70.0,
        "abs" | "asa" => 95.0,
        "tpu" => 35.0,
        "pa" | "pa-cf" | "nylon" => 100.0,
        _ => 60.0,
    }
}

/// Energy of one print, kWh: heat-up plus printing for `print_hours`.
pub fn print_kwh(profile: &PowerProfile, material: &str, print_hours: f64) -> f64 {
    let printing_watts = (profile.printing_watts_pla
        + profile.watts_per_bed_degree * (bed_temperature_c(material) - 60.0))
        .max(0.0);
    let heatup_wh = profile.heatup_watts * profile.heatup_minutes / 60.0;
    (heatup_wh + printing_watts * print_hours.max(0.0)) / 1000.0
}

/// Energy split by source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnergySplit {
    pub energy_kwh: f64,
    /// The part drawn from the grid (the rest came from on-site solar).
    pub grid_kwh: f64,
}

/// Splits `kwh` by a site's share of on-site solar (0–1, clamped).
pub fn split(kwh: f64, solar_share: f64) -> EnergySplit {
    let solar = solar_share.clamp(0.0, 1.0);
    EnergySplit {
        energy_kwh: kwh,
        grid_kwh: kwh * (1.0 - solar),
    }
}

/// Shares a plate's energy among its parts by their estimated hours (parts
/// with no estimate share equally). Returns one figure per part; they sum
/// to `plate_kwh`.
pub fn per_part(plate_kwh: f64, part_hours: &[f64]) -> Vec<f64> {
    let total: f64 = part_hours.iter().map(|h| h.max(0.0)).sum();
    if part_hours.is_empty() {
        return Vec::new();
    }
    if total <= 0.0 {
        return vec![plate_kwh / part_hours.len() as f64; part_hours.len()];
    }
    part_hours
        .iter()
        .map(|h| plate_kwh * h.max(0.0) / total)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_two_hour_pla_print_on_a_p1s() {
        // 900 W × 4 min = 60 Wh, plus 110 W × 2 h = 220 Wh: 0.28 kWh.
        let kwh = print_kwh(&profile("P1S"), "pla", 2.0);
        assert!((kwh - 0.28).abs() < 1e-12, "{kwh}");
        // ABS's bed is 35 °C hotter: 110 + 1.5 × 35 = 162.5 W.
        let abs = print_kwh(&profile("p1s"), "abs", 2.0);
        assert!((abs - (0.06 + 0.325)).abs() < 1e-12, "{abs}");
    }

    #[test]
    fn solar_share_splits_and_parts_share_by_hours() {
        let s = split(10.0, 0.7);
        assert!((s.grid_kwh - 3.0).abs() < 1e-12);
        assert_eq!(split(10.0, 1.5).grid_kwh, 0.0);
        let parts = per_part(3.0, &[1.0, 2.0]);
        assert!((parts[0] - 1.0).abs() < 1e-12 && (parts[1] - 2.0).abs() < 1e-12);
        assert_eq!(per_part(2.0, &[0.0, 0.0]), vec![1.0, 1.0]);
        assert!(per_part(2.0, &[]).is_empty());
    }
}
