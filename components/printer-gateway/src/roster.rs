//! The site's printers, as configured: only these become rows of `printers`
//! and have their reports applied. Any other client publishing on
//! `device/<serial>/report` is ignored (logged once per serial), so nobody
//! can add a printer to the farm by talking to the broker.

use std::collections::{BTreeMap, HashSet};

use crate::bambu::model_from_serial;

/// One configured printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterSpec {
    /// The printer's own serial, as in `device/<serial>/report`.
    pub serial: String,
    /// Bambu's model name (P1S, X1C, ...); derived from the serial's prefix
    /// when the configuration does not say.
    pub model: String,
}

/// Errors in a printer list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RosterError {
    #[error("printer entry {entry:?}: a serial is 1-64 letters and digits")]
    BadSerial { entry: String },
    #[error("printer entry {entry:?}: the model after `=` is empty")]
    EmptyModel { entry: String },
    #[error("printer {serial} is listed twice")]
    Duplicate { serial: String },
}

/// Parses `FARM_PRINTERS`: comma-separated `serial` or `serial=model`
/// entries (`01P00A123456789=P1S, 00M00A987654321`); blanks are skipped.
pub fn parse_printers(list: &str) -> Result<Vec<PrinterSpec>, RosterError> {
    let mut seen = HashSet::new();
    let mut printers = Vec::new();
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (serial, model) = match entry.split_once('=') {
            Some((s, m)) => (s.trim(), Some(m.trim())),
            None => (entry, None),
        };
        let valid =
            (1..=64).contains(&serial.len()) && serial.bytes().all(|b| b.is_ascii_alphanumeric());
        if !valid {
            return Err(RosterError::BadSerial {
                entry: entry.to_owned(),
            });
        }
        let model = match model {
            Some("") => {
                return Err(RosterError::EmptyModel {
                    entry: entry.to_owned(),
                });
            }
            Some(m) => m.to_owned(),
            None => model_from_serial(serial).to_owned(),
        };
        if !seen.insert(serial.to_owned()) {
            return Err(RosterError::Duplicate {
                serial: serial.to_owned(),
            });
        }
        printers.push(PrinterSpec {
            serial: serial.to_owned(),
            model,
        });
    }
    Ok(printers)
}

/// Formats printers back into the `FARM_PRINTERS` form (`serial=model,...`).
pub fn format_printers(printers: &[PrinterSpec]) -> String {
    printers
        .iter()
        .map(|p| format!("{}={}", p.serial, p.model))
        .collect::<Vec<_>>()
        .join(",")
}

/// What to do with a report from `serial`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// A configured printer: apply the report.
    Known,
    /// Not configured; the first report from this serial since start.
    UnknownFirst,
    /// Not configured; already reported once.
    UnknownAgain,
}

/// The configured printers, and the unknown serials already logged.
#[derive(Debug, Clone, Default)]
pub struct Roster {
    printers: BTreeMap<String, PrinterSpec>,
    unknown_seen: HashSet<String>,
}

impl Roster {
    pub fn new(printers: &[PrinterSpec]) -> Self {
        Self {
            printers: printers
                .iter()
                .map(|p| (p.serial.clone(), p.clone()))
                .collect(),
            unknown_seen: HashSet::new(),
        }
    }

    pub fn printers(&self) -> impl Iterator<Item = &PrinterSpec> {
        self.printers.values()
    }

    /// Whether a report from `serial` is applied; remembers unknown serials
    /// so each is logged once. The memory is bounded by what the broker lets
    /// clients publish; a gateway restart forgets it.
    pub fn admit(&mut self, serial: &str) -> Admission {
        if self.printers.contains_key(serial) {
            Admission::Known
        } else if self.unknown_seen.insert(serial.to_owned()) {
            Admission::UnknownFirst
        } else {
            Admission::UnknownAgain
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_give_serials_with_their_models() {
        let printers =
            parse_printers(" 01PABC001=P1S ,00MABC002, 01SXYZ=Custom P1P,,").expect("valid");
        let got: Vec<(&str, &str)> = printers
            .iter()
            .map(|p| (p.serial.as_str(), p.model.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("01PABC001", "P1S"),
                ("00MABC002", "X1C"),
                ("01SXYZ", "Custom P1P")
            ]
        );
        assert_eq!(parse_printers("").expect("empty"), []);
    }

    #[test]
    fn bad_entries_are_refused_with_the_entry() {
        for (list, needle) in [
            ("01P/evil", "01P/evil"),
            ("a=", "a="),
            ("x,y,x", "x is listed twice"),
            (&"9".repeat(65), "letters and digits"),
        ] {
            let err = parse_printers(list).expect_err(list);
            assert!(err.to_string().contains(needle), "{err}");
        }
    }

    #[test]
    fn formatting_round_trips() {
        let printers = parse_printers("01PA=P1S,00MB").expect("valid");
        assert_eq!(format_printers(&printers), "01PA=P1S,00MB=X1C");
        assert_eq!(
            parse_printers(&format_printers(&printers)).expect("again"),
            printers
        );
    }

    #[test]
    fn unknown_serials_are_flagged_once_each() {
        let mut roster = Roster::new(&parse_printers("01PA").expect("valid"));
        assert_eq!(roster.admit("01PA"), Admission::Known);
        assert_eq!(roster.admit("01PEVIL"), Admission::UnknownFirst);
        assert_eq!(roster.admit("01PEVIL"), Admission::UnknownAgain);
        assert_eq!(roster.admit("01POTHER"), Admission::UnknownFirst);
        assert_eq!(roster.admit("01PA"), Admission::Known);
    }
}
