//! The slicer's own figures, read from the comments PrusaSlicer writes at the
//! end of its G-code:
//!
//! ```text
//! ; filament used [mm] = 1234.56
//! ; filament used [cm3] = 2.97
//! ; filament used [g] = 3.68
//! ; estimated printing time (normal mode) = 1h 2m 3s
//! ```
//!
//! and the layer count from the `;LAYER_CHANGE` marker PrusaSlicer writes
//! before every layer.

use crate::{Error, Result};

/// What the slicer says a plate takes.
#[derive(Debug, Clone, PartialEq)]
pub struct GcodeStats {
    /// Filament, grams (`; filament used [g]`; the profile's density applied).
    pub filament_g: f64,
    /// Filament length, mm (`; filament used [mm]`).
    pub filament_mm: f64,
    /// Filament volume, cm³ (`; filament used [cm3]`).
    pub filament_cm3: f64,
    /// Estimated printing time, seconds (`; estimated printing time (normal
    /// mode)`), which includes the start G-code's moves and heating waits
    /// only as far as PrusaSlicer models them (it does not model heating).
    pub print_s: f64,
    /// Number of `;LAYER_CHANGE` markers, when present.
    pub layers: Option<u64>,
}

impl GcodeStats {
    /// Reads the figures from PrusaSlicer's G-code. Multi-extruder lines
    /// (`a, b`) are summed.
    ///
    /// Errors: [`Error::MissingStat`] naming the first figure not found.
    pub fn parse(gcode: &[u8]) -> Result<GcodeStats> {
        // The figures are in the last few kilobytes (the footer), but the
        // layer markers run through the whole file: one pass over the lines.
        let text = String::from_utf8_lossy(gcode);
        let mut grams = None;
        let mut mm = None;
        let mut cm3 = None;
        let mut seconds = None;
        let mut layers = 0u64;
        for line in text.lines() {
            let line = line.trim_end();
            if line == ";LAYER_CHANGE" {
                layers += 1;
            } else if let Some(v) = value(line, "; filament used [g]") {
                grams = sum(v);
            } else if let Some(v) = value(line, "; filament used [mm]") {
                mm = sum(v);
            } else if let Some(v) = value(line, "; filament used [cm3]") {
                cm3 = sum(v);
            } else if let Some(v) = value(line, "; estimated printing time (normal mode)") {
                seconds = duration_s(v);
            }
        }
        Ok(GcodeStats {
            filament_g: grams.ok_or(Error::MissingStat("; filament used [g]"))?,
            filament_mm: mm.ok_or(Error::MissingStat("; filament used [mm]"))?,
            filament_cm3: cm3.ok_or(Error::MissingStat("; filament used [cm3]"))?,
            print_s: seconds.ok_or(Error::MissingStat(
                "; estimated printing time (normal mode)",
            ))?,
            layers: (layers > 0).then_some(layers),
        })
    }
}

/// The text after `key =`, if the line is that key.
fn value<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.strip_prefix(key)?.trim_start().strip_prefix('=')
}

/// `1.5, 2` → 3.5; None when a number does not parse.
fn sum(v: &str) -> Option<f64> {
    v.split(',')
        .map(|n| n.trim().parse::<f64>().ok())
        .sum::<Option<f64>>()
}

/// PrusaSlicer's `1d 2h 3m 4s` (each part optional) → seconds.
fn duration_s(v: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut any = false;
    for part in v.split_whitespace() {
        let (n, unit) = part.split_at(part.len().checked_sub(1)?);
        let n: f64 = n.parse().ok()?;
        total += n * match unit {
            "d" => 86_400.0,
            "h" => 3_600.0,
            "m" => 60.0,
            "s" => 1.0,
            _ => return None,
        };
        any = true;
    }
    any.then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_footer_of_prusaslicer() {
        let gcode = b";LAYER_CHANGE\nG1 X1\n;LAYER_CHANGE\nG1 X2\n\
            ; filament used [mm] = 1000.50\n\
            ; filament used [cm3] = 2.41\n\
            ; filament used [g] = 2.99\n\
            ; filament cost = 0.07\n\
            ; estimated printing time (normal mode) = 1d 1h 2m 3s\n";
        let stats = GcodeStats::parse(gcode).expect("all figures present");
        assert_eq!(stats.filament_g, 2.99);
        assert_eq!(stats.filament_mm, 1000.5);
        assert_eq!(stats.filament_cm3, 2.41);
        assert_eq!(stats.print_s, (86_400 + 3_600 + 2 * 60 + 3) as f64);
        assert_eq!(stats.layers, Some(2));
    }

    #[test]
    fn short_durations_and_several_extruders() {
        assert_eq!(duration_s("42s"), Some(42.0));
        assert_eq!(duration_s("5m 0s"), Some(300.0));
        assert_eq!(duration_s("5 minutes"), None);
        assert_eq!(sum("1.5, 2"), Some(3.5));
    }

    #[test]
    fn a_missing_figure_is_named() {
        let err =
            GcodeStats::parse(b"; filament used [g] = 1\n").expect_err("the length is missing");
        assert!(matches!(err, Error::MissingStat("; filament used [mm]")));
    }
}
