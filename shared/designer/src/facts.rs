//! What a prompt says, before any default: the family, the named lengths,
//! the counts, the hole sizes and the hints. Each number is attached to the
//! word that names it ("5 mm thick", "thickness of 5 mm", "an 8 mm bore").

use crate::text::{Tok, Unit, tokens};
use crate::vocabulary::{ADJECTIVES, COUNT_FILLERS, FAMILIES, NOUNS, PREFIX_FILLERS, UNSUPPORTED};
pub use crate::vocabulary::{Family, Key};
use farm_partspec::MaterialHint;

/// A quantity in the prompt and what it measures (if anything said).
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub key: Key,
    /// In mm (degrees for angles).
    pub mm: f64,
    /// The words it came from, for messages ("5 mm thick").
    pub phrase: String,
}

/// Everything the designer read from one prompt.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub family: Option<Family>,
    pub family_word: String,
    /// Dimensions written `50x30x10` (mm), in the order written.
    pub dims: Vec<f64>,
    /// A `2 x 3 grid` of holes (rows, columns).
    pub grid: Option<(u32, u32)>,
    pub values: Vec<Value>,
    pub hole_count: Option<u32>,
    pub teeth: Option<u32>,
    pub flutes: Option<u32>,
    pub gussets: Option<u32>,
    /// Metric size of the holes (`M3` → 3).
    pub metric: Option<f64>,
    pub material: Option<MaterialHint>,
    /// Numbers without a unit were read as this unit.
    pub unitless: Option<Unit>,
    /// Numbers we could not attach to anything.
    pub unattached: Vec<String>,
    /// Parts or features we recognise but cannot make.
    pub unsupported: Vec<String>,
    /// Every word of the prompt (after joining terms).
    pub words: Vec<String>,
}

impl Facts {
    /// The first value measuring `key`.
    pub fn get(&self, key: Key) -> Option<f64> {
        self.values.iter().find(|v| v.key == key).map(|v| v.mm)
    }

    pub fn has(&self, word: &str) -> bool {
        self.words.iter().any(|w| w == word)
    }

    pub fn has_any(&self, words: &[&str]) -> bool {
        words.iter().any(|w| self.has(w))
    }

    /// The prompt mentions holes (or screws to mount with).
    pub fn mentions_holes(&self) -> bool {
        self.hole_count.is_some()
            || self.metric.is_some()
            || self.get(Key::HoleDiameter).is_some()
            || self.has_any(&[
                "hole",
                "holes",
                "screw",
                "screws",
                "bolt",
                "bolts",
                "countersunk",
            ])
    }

    pub fn countersunk(&self) -> bool {
        self.has_any(&["countersunk", "countersink", "countersinks", "csk"])
    }

    pub fn tapped(&self) -> bool {
        self.has_any(&["tapped", "tap", "tapping", "threaded", "pilot", "self"])
    }

    /// Phrases describing what was understood, for a refusal.
    pub fn understood(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.family.is_some() {
            out.push(format!("part: {}", self.family_word));
        }
        if !self.dims.is_empty() {
            let d: Vec<String> = self.dims.iter().map(|d| format!("{d}")).collect();
            out.push(format!("dimensions {} mm", d.join(" x ")));
        }
        out.extend(self.values.iter().map(|v| v.phrase.clone()));
        if let Some(n) = self.hole_count {
            out.push(format!("{n} hole(s)"));
        }
        if let Some(m) = self.metric {
            out.push(format!("{} fasteners", crate::fasteners::name(m)));
        }
        if let Some(n) = self.teeth {
            out.push(format!("{n} teeth"));
        }
        if let Some(m) = self.material {
            out.push(format!("material {}", m.as_str()));
        }
        out
    }
}

fn key_of(word: &str, table: &[(&str, Key)]) -> Option<Key> {
    table.iter().find(|(w, _)| *w == word).map(|(_, k)| *k)
}

fn word(t: Option<&Tok>) -> Option<&str> {
    match t {
        Some(Tok::Word(w)) => Some(w.as_str()),
        _ => None,
    }
}

/// Reads a prompt into facts.
pub fn read(prompt: &str) -> Facts {
    let toks = tokens(prompt);
    let mut f = Facts {
        words: toks
            .iter()
            .filter_map(|t| word(Some(t)).map(str::to_string))
            .collect(),
        ..Facts::default()
    };
    let explicit: Vec<Unit> = toks
        .iter()
        .filter_map(|t| match t {
            Tok::Num { unit: Some(u), .. } if *u != Unit::Degree => Some(*u),
            _ => None,
        })
        .collect();
    let default_unit = if !explicit.is_empty() && explicit.iter().all(|u| *u == Unit::Inch) {
        Unit::Inch
    } else {
        Unit::Mm
    };
    for (name, family) in FAMILIES {
        if f.family.is_none() && f.has(name) {
            f.family = Some(*family);
            f.family_word = (*name).to_string();
        }
    }
    if (f.has("gusset") || f.has("gussets") || f.has("gusseted"))
        && matches!(f.family, Some(Family::Plate | Family::LBracket) | None)
    {
        f.family = Some(Family::AngleBracket);
        f.family_word = "angle bracket with gusset".into();
    }
    // "a round plate" is a disc: a short cylinder.
    if f.family == Some(Family::Plate)
        && f.has_any(&["round", "circular"])
        && !f.has_any(&["corner", "corners", "rounded"])
    {
        f.family = Some(Family::Cylinder);
        f.family_word = "round plate".into();
    }
    f.unsupported = UNSUPPORTED
        .iter()
        .filter(|w| f.has(w))
        .map(|w| (*w).to_string())
        .collect();
    for (name, material) in [
        ("pla", MaterialHint::Pla),
        ("petg", MaterialHint::Petg),
        ("abs", MaterialHint::Abs),
        ("asa", MaterialHint::Asa),
        ("tpu", MaterialHint::Tpu),
    ] {
        if f.has(name) {
            f.material = Some(material);
        }
    }
    let mut consumed = vec![false; toks.len()];
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            Tok::Metric(m) => {
                f.metric.get_or_insert(*m);
                i += 1;
            }
            Tok::Word(w) if (w == "a" || w == "an") => {
                if hole_noun(&toks, i + 1).is_some_and(|(noun, _)| noun == Noun::Holes) {
                    f.hole_count.get_or_insert(1);
                }
                i += 1;
            }
            Tok::Num { .. } => i = number(&toks, i, &mut f, &mut consumed, default_unit),
            _ => i += 1,
        }
    }
    f
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Noun {
    Holes,
    Teeth,
    Flutes,
    Gussets,
}

/// The countable noun after position `i` (skipping fillers, thread sizes and
/// one length), with its position.
fn hole_noun(toks: &[Tok], mut i: usize) -> Option<(Noun, usize)> {
    let mut lengths = 0;
    while let Some(t) = toks.get(i) {
        match t {
            Tok::Metric(_) | Tok::Times => {}
            Tok::Num { unit: Some(_), .. } if lengths == 0 => lengths += 1,
            Tok::Word(w) if COUNT_FILLERS.contains(&w.as_str()) => {}
            Tok::Word(w) => {
                let noun = match w.as_str() {
                    "hole" | "holes" | "screws" | "bolts" | "screw" | "bolt" => Noun::Holes,
                    "teeth" | "tooth" => Noun::Teeth,
                    "flutes" | "flute" | "grooves" | "ridges" | "scallops" => Noun::Flutes,
                    "gussets" | "gusset" | "ribs" => Noun::Gussets,
                    _ => return None,
                };
                return Some((noun, i));
            }
            _ => return None,
        }
        i += 1;
    }
    None
}

/// Reads the number at `i` (a count, a run of dimensions or one length);
/// returns the position after it.
fn number(toks: &[Tok], i: usize, f: &mut Facts, consumed: &mut [bool], unit: Unit) -> usize {
    let Tok::Num {
        value,
        unit: own,
        word,
    } = toks[i]
    else {
        return i + 1;
    };
    // A count: "two M3 holes", "20 teeth", "2x M4 holes".
    if own.is_none()
        && value.fract() == 0.0
        && value >= 1.0
        && let Some((noun, at)) = hole_noun(toks, i + 1)
    {
        let n = value as u32;
        let slot = match noun {
            Noun::Holes => &mut f.hole_count,
            Noun::Teeth => &mut f.teeth,
            Noun::Flutes => &mut f.flutes,
            Noun::Gussets => &mut f.gussets,
        };
        slot.get_or_insert(n);
        // "four M5 holes": the thread size between the count and the noun.
        if let Some(Tok::Metric(m)) = toks[i + 1..at].iter().find(|t| matches!(t, Tok::Metric(_))) {
            f.metric.get_or_insert(*m);
        }
        // "two 5 mm holes": the length before the noun is the hole's diameter.
        if let Some(j) = (i + 1..at).find(|j| matches!(toks[*j], Tok::Num { .. }))
            && let Tok::Num {
                value,
                unit: Some(u),
                ..
            } = toks[j]
        {
            f.values.push(Value {
                key: Key::HoleDiameter,
                mm: value * u.to_mm(),
                phrase: format!("{value} {u:?} holes").to_lowercase(),
            });
        }
        consumed[at] = true;
        return at + 1;
    }
    if word {
        f.unattached.push(format!("{value}"));
        return i + 1;
    }
    // A run of dimensions: 50 x 30 x 10 mm.
    let mut run = vec![(value, own)];
    let mut j = i + 1;
    while matches!(toks.get(j), Some(Tok::Times)) {
        match toks.get(j + 1) {
            Some(Tok::Num {
                value,
                unit,
                word: false,
            }) => {
                run.push((*value, *unit));
                j += 2;
            }
            _ => break,
        }
    }
    if run.len() > 1 {
        let run_unit = run.iter().rev().find_map(|(_, u)| *u);
        if run_unit.is_none() {
            f.unitless = Some(unit);
        }
        if word_at(toks, j) == Some("grid") && run.len() == 2 {
            f.grid = Some((run[0].0 as u32, run[1].0 as u32));
            return j + 1;
        }
        let values: Vec<f64> = run
            .iter()
            .map(|(v, u)| v * u.or(run_unit).unwrap_or(unit).to_mm())
            .collect();
        if f.dims.is_empty() {
            f.dims = values;
        } else {
            f.unattached.push(format!("{values:?}"));
        }
        return j;
    }
    let unit_used = own.unwrap_or(unit);
    if own.is_none() {
        f.unitless = Some(unit);
    }
    let mm = value * unit_used.to_mm();
    let key = if unit_used == Unit::Degree {
        Some((Key::PressureAngle, None))
    } else {
        attach(toks, i, consumed)
    };
    match key {
        Some((key, at)) => {
            if let Some(at) = at {
                consumed[at] = true;
            }
            let name = at.and_then(|a| word_at(toks, a)).unwrap_or("angle");
            // The phrase as written: "2 module", "5 mm thick", "1 in diameter".
            let unit_name = match own {
                Some(Unit::Inch) => " in",
                Some(Unit::Cm) => " cm",
                Some(Unit::Degree) => "°",
                Some(Unit::Mm) => " mm",
                None => "",
            };
            f.values.push(Value {
                key,
                mm,
                phrase: format!("{value}{unit_name} {name}"),
            });
        }
        None => f.unattached.push(format!("{value}")),
    }
    i + 1
}

fn word_at(toks: &[Tok], i: usize) -> Option<&str> {
    word(toks.get(i))
}

/// The key a length at `i` measures, and the word that says so.
fn attach(toks: &[Tok], i: usize, consumed: &[bool]) -> Option<(Key, Option<usize>)> {
    let free = |j: usize| !consumed[j];
    let after = i + 1;
    let before = (0..i)
        .rev()
        .find(|j| !matches!(&toks[*j], Tok::Word(w) if PREFIX_FILLERS.contains(&w.as_str())));
    let noun_or_adj = |j: usize| {
        word_at(toks, j).and_then(|w| key_of(w, ADJECTIVES).or_else(|| key_of(w, NOUNS)))
    };
    if let Some(w) = word_at(toks, after).filter(|_| free(after))
        && let Some(k) = key_of(w, ADJECTIVES)
    {
        return Some((k, Some(after)));
    }
    if let Some(b) = before.filter(|b| free(*b))
        && let Some(w) = word_at(toks, b)
    {
        // "holes of 5 mm" only through "of"; a bare "holes 40 mm apart" is not a diameter.
        let via_of = b + 1 < i && word_at(toks, b + 1) == Some("of");
        if let Some(k) = key_of(w, NOUNS).filter(|k| *k != Key::HoleDiameter || via_of) {
            return Some((k, Some(b)));
        }
    }
    for (j, tok) in toks.iter().enumerate().skip(after).take(4) {
        match tok {
            Tok::Num { .. } | Tok::Sep | Tok::Times => break,
            Tok::Word(_) if free(j) => {
                if let Some(k) = noun_or_adj(j) {
                    return Some((k, Some(j)));
                }
            }
            _ => {}
        }
    }
    for j in (i.saturating_sub(4)..i).rev() {
        match &toks[j] {
            Tok::Num { .. } | Tok::Sep | Tok::Times => break,
            Tok::Word(_) if free(j) => {
                if let Some(k) = noun_or_adj(j).filter(|k| *k != Key::HoleDiameter) {
                    return Some((k, Some(j)));
                }
            }
            _ => {}
        }
    }
    None
}
