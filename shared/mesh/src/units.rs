//! Length units and the heuristic that guesses the unit of a unitless file.

/// A length unit a mesh file's coordinates can be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    Micron,
    Millimeter,
    Centimeter,
    Inch,
    Foot,
    Meter,
}

impl Unit {
    /// Millimetres in one of this unit.
    pub fn mm_per_unit(self) -> f64 {
        match self {
            Unit::Micron => 0.001,
            Unit::Millimeter => 1.0,
            Unit::Centimeter => 10.0,
            Unit::Inch => 25.4,
            Unit::Foot => 304.8,
            Unit::Meter => 1000.0,
        }
    }

    /// Short stable code: `um`, `mm`, `cm`, `in`, `ft`, `m`.
    pub fn code(self) -> &'static str {
        match self {
            Unit::Micron => "um",
            Unit::Millimeter => "mm",
            Unit::Centimeter => "cm",
            Unit::Inch => "in",
            Unit::Foot => "ft",
            Unit::Meter => "m",
        }
    }

    /// Parses a short code (`mm`) or a 3MF unit name (`millimeter`), any case.
    pub fn parse(s: &str) -> Option<Unit> {
        let s = s.trim().to_ascii_lowercase();
        Some(match s.as_str() {
            "um" | "micron" | "micrometer" => Unit::Micron,
            "mm" | "millimeter" | "millimetre" => Unit::Millimeter,
            "cm" | "centimeter" | "centimetre" => Unit::Centimeter,
            "in" | "inch" => Unit::Inch,
            "ft" | "foot" => Unit::Foot,
            "m" | "meter" | "metre" => Unit::Meter,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Unit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// How the caller wants coordinates interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnitChoice {
    /// The file's own unit (3MF) or the detected one (STL, OBJ).
    #[default]
    Auto,
    /// Coordinates are in this unit, whatever the file says; no auto-scaling.
    Fixed(Unit),
}

/// Where the applied unit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitSource {
    /// Declared by the file (3MF `unit` attribute).
    File,
    /// Guessed from the part's size.
    Detected,
    /// Chosen by the caller.
    Override,
}

/// A unit with how sure we are of it (0..=1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitGuess {
    pub unit: Unit,
    pub confidence: f64,
}

/// Units a unitless file is plausibly drawn in, with prior weights: most files
/// sent to a print farm are in millimetres, inches come next (US CAD), then
/// metres (scene exporters) and centimetres.
const CANDIDATES: [(Unit, f64); 4] = [
    (Unit::Millimeter, 0.85),
    (Unit::Inch, 0.07),
    (Unit::Meter, 0.04),
    (Unit::Centimeter, 0.04),
];

/// How plausible a printed part whose largest side is `size_mm` is: 1 for
/// 8–300 mm, falling off on a log scale outside (faster above, where a part
/// stops fitting any printer).
pub fn size_plausibility(size_mm: f64) -> f64 {
    if size_mm.is_nan() || size_mm <= 0.0 {
        return 0.0;
    }
    let (lo, hi) = (8.0, 300.0);
    if size_mm < lo {
        let d = (lo / size_mm).ln() / 1.1;
        (-0.5 * d * d).exp()
    } else if size_mm > hi {
        let d = (size_mm / hi).ln() / 0.5;
        (-0.5 * d * d).exp()
    } else {
        1.0
    }
}

/// Guesses the unit of a unitless file from the largest side of its bounding
/// box, in file units. The confidence is the winning unit's share of the
/// prior-weighted plausibility of all candidates.
pub fn detect(largest_side: f64) -> UnitGuess {
    let scores =
        CANDIDATES.map(|(u, prior)| (u, prior * size_plausibility(largest_side * u.mm_per_unit())));
    let total: f64 = scores.iter().map(|s| s.1).sum();
    if total.is_nan() || total <= 1e-12 {
        return UnitGuess {
            unit: Unit::Millimeter,
            confidence: 0.0,
        };
    }
    let mut best = scores[0];
    for s in scores {
        if s.1 > best.1 {
            best = s;
        }
    }
    UnitGuess {
        unit: best.0,
        confidence: best.1 / total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_parts_are_millimetres_with_high_confidence() {
        for side in [20.0, 45.2, 120.0, 250.0] {
            let g = detect(side);
            assert_eq!(g.unit, Unit::Millimeter, "{side}");
            assert!(g.confidence > 0.8, "{side}: {}", g.confidence);
        }
    }

    #[test]
    fn a_ten_millimetre_cube_stored_in_metres_is_metres() {
        let g = detect(0.01);
        assert_eq!(g.unit, Unit::Meter);
        assert!(g.confidence > 0.5);
    }

    #[test]
    fn tiny_parts_lean_to_inches_with_low_confidence() {
        let g = detect(0.5);
        assert_eq!(g.unit, Unit::Inch);
        assert!(g.confidence < 0.6, "{}", g.confidence);
        // 2 units stays millimetres (the prior), but less surely than 50.
        let two = detect(2.0);
        assert_eq!(two.unit, Unit::Millimeter);
        assert!(two.confidence < detect(50.0).confidence);
    }

    #[test]
    fn parse_accepts_codes_and_3mf_names() {
        assert_eq!(Unit::parse("MM"), Some(Unit::Millimeter));
        assert_eq!(Unit::parse("inch"), Some(Unit::Inch));
        assert_eq!(Unit::parse("micron"), Some(Unit::Micron));
        assert_eq!(Unit::parse("furlong"), None);
    }
}
