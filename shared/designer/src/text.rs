//! Prompt text to tokens: numbers with their units, metric thread sizes,
//! words (multi-word terms joined into one), and separators.

/// A length unit written in the prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Mm,
    Cm,
    Inch,
    Degree,
}

impl Unit {
    /// Millimetres per unit (1 in = 25.4 mm exactly, by the 1959 agreement).
    pub fn to_mm(self) -> f64 {
        match self {
            Unit::Mm | Unit::Degree => 1.0,
            Unit::Cm => 10.0,
            Unit::Inch => 25.4,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A number and the unit written right after it (if any).
    Num {
        value: f64,
        unit: Option<Unit>,
        word: bool,
    },
    /// A metric thread size, `M3` → 3.0.
    Metric(f64),
    /// The `x` / `by` between dimensions.
    Times,
    Word(String),
    /// A comma, semicolon, full stop, `and`, `with`: ends a phrase.
    Sep,
}

/// Multi-word terms read as one word (first match wins; longest first).
const PHRASES: &[(&str, &str)] = &[
    ("pitch circle diameter", "pcd"),
    ("bolt hole circle", "pcd"),
    ("bolt circle", "pcd"),
    ("pitch circle", "pcd"),
    ("pitch diameter", "pitchdia"),
    ("outside diameter", "od"),
    ("outer diameter", "od"),
    ("inside diameter", "id"),
    ("inner diameter", "id"),
    ("face width", "facewidth"),
    ("wall thickness", "wall"),
    ("floor thickness", "floor"),
    ("base thickness", "floor"),
    ("corner radius", "fillet"),
    ("corner radii", "fillet"),
    ("pressure angle", "pa"),
    ("across flats", "af"),
    ("lip height", "lip"),
    ("tip height", "tip"),
    ("back height", "back"),
    ("from the edges", "inset"),
    ("from the edge", "inset"),
    ("from each edge", "inset"),
    ("from the ends", "inset"),
    ("from the end", "inset"),
    ("from each end", "inset"),
    ("from one end", "offset"),
    ("from the corners", "inset"),
    ("center to center", "apart"),
    ("centre to centre", "apart"),
    ("on centers", "apart"),
    ("on centres", "apart"),
    ("spur gear", "gear"),
    ("cable clip", "cableclip"),
    ("wire clip", "cableclip"),
    ("cable holder", "cableclip"),
    ("l bracket", "lbracket"),
    ("l shaped bracket", "lbracket"),
    ("l shaped", "lbracket"),
    ("right angle bracket", "lbracket"),
    ("corner bracket", "lbracket"),
    ("angle bracket", "anglebracket"),
    ("mounting plate", "plate"),
    ("base plate", "plate"),
    ("flat bracket", "plate"),
    ("wall hook", "hook"),
    ("coat hook", "hook"),
    ("each leg", "eachleg"),
    ("both legs", "eachleg"),
    ("per leg", "eachleg"),
    ("a pair of", "two"),
    ("pair of", "two"),
    ("flat head", "countersunk"),
];

const WORD_NUMBERS: &[(&str, f64)] = &[
    ("one", 1.0),
    ("single", 1.0),
    ("two", 2.0),
    ("three", 3.0),
    ("four", 4.0),
    ("five", 5.0),
    ("six", 6.0),
    ("seven", 7.0),
    ("eight", 8.0),
    ("nine", 9.0),
    ("ten", 10.0),
    ("twelve", 12.0),
    ("sixteen", 16.0),
    ("twenty", 20.0),
];

/// The unit a word names, if any.
fn unit(word: &str) -> Option<Unit> {
    Some(match word {
        "mm" | "millimeter" | "millimeters" | "millimetre" | "millimetres" => Unit::Mm,
        "cm" | "centimeter" | "centimeters" | "centimetre" | "centimetres" => Unit::Cm,
        "in" | "inch" | "inches" | "\"" => Unit::Inch,
        "deg" | "degree" | "degrees" => Unit::Degree,
        _ => return None,
    })
}

/// Splits the prompt into raw pieces: runs of digits (with `.` and `/`),
/// runs of letters, and single punctuation marks.
fn pieces(text: &str) -> Vec<String> {
    let text = text
        .to_lowercase()
        .replace(['×', '*'], " x ")
        .replace(['″', '”', '“', '"'], " \" ")
        .replace("''", " \" ")
        .replace(['ø', '⌀'], " diameter ")
        .replace('°', " deg ");
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_digit()
                    || ((chars[i] == '.' || chars[i] == '/')
                        && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
            {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else if c.is_alphabetic() {
            let start = i;
            while i < chars.len() && (chars[i].is_alphabetic() || chars[i] == '\'') {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else {
            if matches!(c, ',' | ';' | '.' | ':' | '"' | '(' | ')' | '?' | '!') {
                out.push(c.to_string());
            }
            i += 1;
        }
    }
    out
}

fn number(text: &str) -> Option<f64> {
    if let Some((a, b)) = text.split_once('/') {
        let (a, b): (f64, f64) = (a.parse().ok()?, b.parse().ok()?);
        return (b != 0.0).then(|| a / b);
    }
    text.parse().ok()
}

/// Tokenises a prompt.
pub fn tokens(prompt: &str) -> Vec<Tok> {
    let raw = pieces(prompt);
    // Join multi-word terms first.
    let mut words: Vec<String> = Vec::new();
    let mut i = 0;
    'outer: while i < raw.len() {
        for (phrase, joined) in PHRASES {
            let parts: Vec<&str> = phrase.split(' ').collect();
            if raw.len() >= i + parts.len() && parts.iter().zip(&raw[i..]).all(|(p, r)| p == r) {
                words.push((*joined).to_string());
                i += parts.len();
                continue 'outer;
            }
        }
        words.push(raw[i].clone());
        i += 1;
    }
    let mut out: Vec<Tok> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_str();
        let next = words.get(i + 1).map(String::as_str);
        if let Some(mut value) = number(w) {
            // A mixed number such as `1 1/2`.
            if let Some(fraction) = next.filter(|n| n.contains('/')).and_then(number) {
                value += fraction;
                i += 1;
            }
            let next = words.get(i + 1).map(String::as_str);
            let unit = next.and_then(unit);
            i += 1 + usize::from(unit.is_some());
            out.push(Tok::Num {
                value,
                unit,
                word: false,
            });
            continue;
        }
        if w == "m" && next.and_then(number).is_some() {
            // `M3` (split into `m`, `3` above).
            out.push(Tok::Metric(next.and_then(number).unwrap_or_default()));
            i += 1;
        } else if w == "r" && next.and_then(number).is_some() {
            // `R5`: a radius; the number follows as usual.
            out.push(Tok::Word("radius".into()));
        } else if let Some((_, n)) = WORD_NUMBERS.iter().find(|(name, _)| *name == w) {
            out.push(Tok::Num {
                value: *n,
                unit: None,
                word: true,
            });
        } else if w == "x" || w == "by" {
            out.push(Tok::Times);
        } else if matches!(
            w,
            "," | ";" | "." | ":" | "(" | ")" | "?" | "!" | "and" | "with" | "plus"
        ) {
            out.push(Tok::Sep);
        } else if w == "\"" {
            // A stray inch mark after a unit-less number was handled above.
        } else {
            out.push(Tok::Word(w.to_string()));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(value: f64, unit: Option<Unit>) -> Tok {
        Tok::Num {
            value,
            unit,
            word: false,
        }
    }

    #[test]
    fn dimensions_units_and_thread_sizes() {
        assert_eq!(
            tokens("50x30x10mm, M3"),
            vec![
                num(50.0, None),
                Tok::Times,
                num(30.0, None),
                Tok::Times,
                num(10.0, Some(Unit::Mm)),
                Tok::Sep,
                Tok::Metric(3.0)
            ]
        );
        assert_eq!(
            tokens("1 1/2\" rod"),
            vec![num(1.5, Some(Unit::Inch)), Tok::Word("rod".into())]
        );
        assert_eq!(tokens("2.5cm"), vec![num(2.5, Some(Unit::Cm))]);
        assert_eq!(
            tokens("outer diameter 20"),
            vec![Tok::Word("od".into()), num(20.0, None)]
        );
    }
}
