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

/// A unit with how sure we are of it (0..=1) and why.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitGuess {
    pub unit: Unit,
    pub confidence: f64,
    pub evidence: UnitEvidence,
}

/// What a unit decision rests on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UnitEvidence {
    /// The file declares its unit (3MF `unit`).
    Declared,
    /// The bounding-box sides become round millimetre figures (multiples of
    /// [`ROUND_MM`]) only in some units; `sides_mm` are the sides in the
    /// chosen unit. Strong evidence: a part drawn as 100 mm and stored in
    /// inches has sides of 3.93700788, which no other unit makes round.
    RoundSides { sides_mm: [f64; 3] },
    /// Only the part's size (no unit makes the sides rounder than another).
    Size { largest_side_mm: f64 },
}

impl UnitEvidence {
    /// Stable code: `declared`, `round_sides`, `size`.
    pub fn code(&self) -> &'static str {
        match self {
            UnitEvidence::Declared => "declared",
            UnitEvidence::RoundSides { .. } => "round_sides",
            UnitEvidence::Size { .. } => "size",
        }
    }
}

impl std::fmt::Display for UnitEvidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnitEvidence::Declared => f.write_str("the file declares its unit"),
            UnitEvidence::RoundSides { sides_mm } => write!(
                f,
                "the sides are round millimetre figures in this unit ({} × {} × {} mm)",
                sides_mm[0], sides_mm[1], sides_mm[2]
            ),
            UnitEvidence::Size { largest_side_mm } => write!(
                f,
                "the part's size only ({largest_side_mm} mm at its largest)"
            ),
        }
    }
}

/// The grid a designed dimension falls on, mm: CAD parts are drawn in whole
/// tenths of a millimetre (or coarser).
pub const ROUND_MM: f64 = 0.1;

/// How much likelier a round side makes a unit: a side that is not a
/// designed figure lands within the tolerance (±[`ROUND_TOLERANCE`]·side) of
/// the [`ROUND_MM`] grid by chance with probability 2·tolerance/grid, so a
/// round side is grid/(2·tolerance) times likelier under the unit that makes
/// it round (500 for a 100 mm side), capped at [`MAX_ROUND_LIKELIHOOD`].
fn round_likelihood(side_mm: f64) -> f64 {
    (ROUND_MM / (2.0 * ROUND_TOLERANCE * side_mm.max(ROUND_MM))).min(MAX_ROUND_LIKELIHOOD)
}

/// Cap per side: tiny sides would otherwise count for millions, while the
/// few significant digits a file keeps make tiny sides round by accident.
const MAX_ROUND_LIKELIHOOD: f64 = 1000.0;

/// Relative tolerance of "round": single-precision STL coordinates and six
/// significant digits of ASCII keep a side within 1e-6 of its true value.
const ROUND_TOLERANCE: f64 = 1e-6;

/// True when `mm` is a multiple of [`ROUND_MM`] within [`ROUND_TOLERANCE`].
fn is_round(mm: f64) -> bool {
    let steps = mm / ROUND_MM;
    (steps - steps.round()).abs() * ROUND_MM <= ROUND_TOLERANCE * mm.abs().max(ROUND_MM)
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
            evidence: UnitEvidence::Size {
                largest_side_mm: largest_side,
            },
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
        evidence: UnitEvidence::Size {
            largest_side_mm: largest_side * best.0.mm_per_unit(),
        },
    }
}

/// Guesses the unit of a unitless file from its bounding-box sides (file
/// units): the size prior of [`detect`], times the likelihood ratio of each
/// distinct side (`round_likelihood`) for each unit in which every side is a round millimetre
/// figure, when some units make the sides round and others do not. When all
/// or none do, roundness says nothing and the size alone decides.
pub fn detect_from_sides(sides: [f64; 3]) -> UnitGuess {
    let largest = sides.into_iter().fold(0.0, f64::max);
    let by_size = detect(largest);
    let mut distinct: Vec<f64> = Vec::new();
    for s in sides {
        if s > 0.0
            && !distinct
                .iter()
                .any(|d| (d - s).abs() <= ROUND_TOLERANCE * s)
        {
            distinct.push(s);
        }
    }
    if distinct.is_empty() {
        return by_size;
    }
    let round = CANDIDATES.map(|(u, _)| distinct.iter().all(|&s| is_round(s * u.mm_per_unit())));
    if round.iter().all(|&r| r) || round.iter().all(|&r| !r) {
        return by_size;
    }
    let mut scores = [0.0; 4];
    for (k, (u, prior)) in CANDIDATES.iter().enumerate() {
        let round_factor = if round[k] {
            distinct
                .iter()
                .map(|&s| round_likelihood(s * u.mm_per_unit()))
                .product()
        } else {
            1.0
        };
        scores[k] = prior * size_plausibility(largest * u.mm_per_unit()) * round_factor;
    }
    let total: f64 = scores.iter().sum();
    if total.is_nan() || total <= 1e-300 {
        return by_size;
    }
    let best = (0..4)
        .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
        .unwrap_or(0);
    let unit = CANDIDATES[best].0;
    UnitGuess {
        unit,
        confidence: scores[best] / total,
        evidence: if round[best] {
            UnitEvidence::RoundSides {
                sides_mm: sides.map(|s| s * unit.mm_per_unit()),
            }
        } else {
            UnitEvidence::Size {
                largest_side_mm: largest * unit.mm_per_unit(),
            }
        },
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
    fn sides_that_are_round_only_in_inches_are_inches() {
        // 100 mm / 25.4, as admesh's block example stores it.
        let g = detect_from_sides([3.937_007_88; 3]);
        assert_eq!(g.unit, Unit::Inch);
        assert!(g.confidence > 0.9, "{}", g.confidence);
        assert_eq!(g.evidence.code(), "round_sides");
        // The size alone would have said millimetres.
        assert_eq!(detect(3.937_007_88).unit, Unit::Millimeter);
    }

    #[test]
    fn sides_round_in_every_unit_say_nothing_beyond_size() {
        let g = detect_from_sides([20.0, 20.0, 10.0]);
        assert_eq!(g.unit, Unit::Millimeter);
        assert_eq!(g.evidence.code(), "size");
        assert_eq!(g.confidence, detect(20.0).confidence);
    }

    #[test]
    fn round_millimetre_sides_stored_in_metres_are_metres() {
        let g = detect_from_sides([0.025, 0.0125, 0.04]);
        assert_eq!(g.unit, Unit::Meter);
        assert_eq!(g.evidence.code(), "round_sides");
        assert!(g.confidence > 0.9, "{}", g.confidence);
    }

    #[test]
    fn an_organic_part_in_millimetres_stays_millimetres() {
        let g = detect_from_sides([37.284_63, 21.917_5, 12.003_71]);
        assert_eq!(g.unit, Unit::Millimeter);
        assert_eq!(g.evidence.code(), "size");
    }

    #[test]
    fn parse_accepts_codes_and_3mf_names() {
        assert_eq!(Unit::parse("MM"), Some(Unit::Millimeter));
        assert_eq!(Unit::parse("inch"), Some(Unit::Inch));
        assert_eq!(Unit::parse("micron"), Some(Unit::Micron));
        assert_eq!(Unit::parse("furlong"), None);
    }
}
