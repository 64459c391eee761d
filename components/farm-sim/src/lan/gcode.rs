//! What a simulated printer reads from a `.gcode.3mf`: the plate's G-code
//! (`Metadata/plate_1.gcode`), its own time estimate and its layer count.

use std::io::Read;

/// The plate a `project_file` names by default.
pub const PLATE_GCODE: &str = "Metadata/plate_1.gcode";

/// Why a project cannot be printed.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("not a .gcode.3mf package: {0}")]
    Package(String),
    #[error("the package has no {0}")]
    NoPlate(String),
    #[error("the G-code states no estimated printing time")]
    NoEstimate,
}

/// A plate's G-code as the printer sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlateGcode {
    pub estimated_secs: f64,
    pub layers: u32,
}

/// The G-code text of `plate` in the package.
pub fn plate_text(package: &[u8], plate: &str) -> Result<String, ProjectError> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(package))
        .map_err(|e| ProjectError::Package(e.to_string()))?;
    let mut entry = zip
        .by_name(plate)
        .map_err(|_| ProjectError::NoPlate(plate.to_owned()))?;
    let mut text = String::new();
    entry
        .read_to_string(&mut text)
        .map_err(|e| ProjectError::Package(e.to_string()))?;
    Ok(text)
}

/// Opens the package and reads `plate` (e.g. `Metadata/plate_1.gcode`).
pub fn read_plate(package: &[u8], plate: &str) -> Result<PlateGcode, ProjectError> {
    let text = plate_text(package, plate)?;
    Ok(PlateGcode {
        estimated_secs: estimated_secs(&text).ok_or(ProjectError::NoEstimate)?,
        layers: layer_count(&text),
    })
}

/// The slicer's own estimate, in seconds: PrusaSlicer's `; estimated
/// printing time (normal mode) = 1d 2h 3m 4s`, or Bambu Studio's header
/// `; total estimated time: 1h 2m 3s`.
pub fn estimated_secs(gcode: &str) -> Option<f64> {
    gcode.lines().find_map(|line| {
        let line = line.trim_start_matches(';').trim();
        let value = line
            .strip_prefix("estimated printing time (normal mode) =")
            .or_else(|| line.split_once("total estimated time:").map(|(_, v)| v))?;
        parse_duration(value.split(';').next()?.trim())
    })
}

/// `1d 2h 3m 4s` (any subset, in this order) as seconds.
fn parse_duration(text: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut any = false;
    for word in text.split_whitespace() {
        let (number, unit) = word.split_at(word.find(|c: char| !c.is_ascii_digit())?);
        let n: f64 = number.parse().ok()?;
        total += n * match unit {
            "d" => 86_400.0,
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            _ => return None,
        };
        any = true;
    }
    any.then_some(total)
}

/// Layers: PrusaSlicer marks each with `;LAYER_CHANGE`; Bambu Studio
/// states `; total layer number: N`. At least one.
pub fn layer_count(gcode: &str) -> u32 {
    let stated = gcode.lines().find_map(|l| {
        l.trim_start_matches(';')
            .trim()
            .strip_prefix("total layer number:")?
            .trim()
            .parse()
            .ok()
    });
    stated
        .unwrap_or_else(|| {
            gcode
                .lines()
                .filter(|l| l.trim() == ";LAYER_CHANGE")
                .count() as u32
        })
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prusaslicer_and_bambu_estimates_are_read() {
        let prusa = "G1 X1\n; estimated printing time (normal mode) = 1h 2m 3s\n; estimated printing time (silent mode) = 2h\n";
        assert_eq!(estimated_secs(prusa), Some(3723.0));
        assert_eq!(
            estimated_secs("; estimated printing time (normal mode) = 1d 0h 0m 5s"),
            Some(86_405.0)
        );
        let bambu =
            "; HEADER_BLOCK_START\n; model printing time: 50m 2s; total estimated time: 58m 10s\n";
        assert_eq!(estimated_secs(bambu), Some(3490.0));
        assert_eq!(estimated_secs("G28\n"), None);
    }

    #[test]
    fn layers_are_counted_or_read() {
        assert_eq!(layer_count(";LAYER_CHANGE\nG1\n;LAYER_CHANGE\n"), 2);
        assert_eq!(layer_count("; total layer number: 120\n"), 120);
        assert_eq!(layer_count("G28\n"), 1);
    }
}
