//! The printer's own AI detections: what a Bambu printer's AI print
//! monitoring (camera spaghetti detection, the X1's lidar first-layer
//! inspection, foreign objects on the bed, nozzle clumping) reports, read
//! from its `push_status` reports. Pure.
//!
//! A detection shows in two places of the `print` object:
//! - `hms`: `[{"attr": u32, "code": u32}, ...]`, the printer's active HMS
//!   (Health Management System) messages. The code a person looks up is the
//!   16 hex digits of `attr` then `code`, written `0C00_0300_0003_0008`
//!   (ha-bambulab, `pybambu/models.py`, `HMSList.print_update`; Bambu's wiki
//!   pages are named after it).
//! - `print_error`: when the printer pauses the print on a detection, the
//!   pause-class error code (`0x0C00_8001`, ...), as for any other fault.
//!
//! The codes and their meaning are Bambu's English HMS texts as ha-bambulab
//! ships them (`pybambu/hms_error_text/hms_en.json.gz`, sections
//! `device_hms` and `device_error`); each constant below quotes its text.
//! Only detections of a defective print count: messages that the detection
//! is unavailable, uncalibrated or still running, and purge-chute pile-ups
//! (not a part defect) are left out.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `print_error` 0x0300_8003: "Spaghetti defects were detected by the AI
/// Print Monitoring." (paused).
pub use crate::bambu_lan::ERROR_SPAGHETTI;

/// What the printer's AI saw; `defect()` names it as the inspection event does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AiDetection {
    Spaghetti,
    FirstLayer,
    ForeignObject,
    NozzleClumping,
}

impl AiDetection {
    /// The defect's name in the `inspection` event (`spaghetti`,
    /// `first_layer`, `foreign_object`, `nozzle_clumping`).
    pub fn defect(self) -> &'static str {
        match self {
            AiDetection::Spaghetti => "spaghetti",
            AiDetection::FirstLayer => "first_layer",
            AiDetection::ForeignObject => "foreign_object",
            AiDetection::NozzleClumping => "nozzle_clumping",
        }
    }
}

/// One HMS message: `attr` (module, part) and `code` (severity, error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Hms {
    pub attr: u32,
    pub code: u32,
}

impl Hms {
    /// `AAAA_AAAA_CCCC_CCCC`, upper-case hex, as Bambu's wiki names it.
    pub fn name(self) -> String {
        format!(
            "{:04X}_{:04X}_{:04X}_{:04X}",
            self.attr >> 16,
            self.attr & 0xFFFF,
            self.code >> 16,
            self.code & 0xFFFF
        )
    }
}

/// HMS `0C00_0300_0003_0008`: "A possible spaghetti failure has been detected."
pub const HMS_SPAGHETTI: Hms = Hms {
    attr: 0x0C00_0300,
    code: 0x0003_0008,
};
/// HMS `0C00_0300_0003_001B`: "Possible spaghetti defects were detected."
pub const HMS_SPAGHETTI_DEFECTS: Hms = Hms {
    attr: 0x0C00_0300,
    code: 0x0003_001B,
};
/// HMS `0C00_0300_0003_0007`: "Possible first layer defects have been detected."
pub const HMS_FIRST_LAYER: Hms = Hms {
    attr: 0x0C00_0300,
    code: 0x0003_0007,
};
/// HMS `0C00_0300_0002_0010`: "Foreign objects detected on heatbed."
pub const HMS_FOREIGN_OBJECT: Hms = Hms {
    attr: 0x0C00_0300,
    code: 0x0002_0010,
};
/// HMS `0C00_0300_0002_000E` (and `_001C`): "Your nozzle seems to be
/// covered with jammed or clogged material."
pub const HMS_NOZZLE_CLUMPING: Hms = Hms {
    attr: 0x0C00_0300,
    code: 0x0002_000E,
};
const HMS_NOZZLE_CLUMPING_2: Hms = Hms {
    attr: 0x0C00_0300,
    code: 0x0002_001C,
};

/// `print_error` 0x0C00_8042: "The AI print monitor has detected a
/// spaghetti defect." (paused).
pub const ERROR_AI_SPAGHETTI: u32 = 0x0C00_8042;
/// `print_error` 0x0C00_C004: "Possible spaghetti failure was detected."
pub const ERROR_POSSIBLE_SPAGHETTI: u32 = 0x0C00_C004;
/// `print_error` 0x0C00_8001: "First layer defects were detected." (paused).
pub const ERROR_FIRST_LAYER: u32 = 0x0C00_8001;
/// `print_error` 0x0C00_C003: "Possible defects were detected in the first layer."
pub const ERROR_POSSIBLE_FIRST_LAYER: u32 = 0x0C00_C003;
/// `print_error` 0x0C00_8017: "Foreign objects detected on the platform."
pub const ERROR_FOREIGN_OBJECT: u32 = 0x0C00_8017;
/// `print_error` 0x0C00_803F and 0x0C00_8043: "AI detected nozzle clumping."
pub const ERROR_NOZZLE_CLUMPING: [u32; 2] = [0x0C00_803F, 0x0C00_8043];

/// What an HMS message means, if it is an AI detection of a defect.
pub fn detection_of_hms(hms: Hms) -> Option<AiDetection> {
    match hms {
        HMS_SPAGHETTI | HMS_SPAGHETTI_DEFECTS => Some(AiDetection::Spaghetti),
        HMS_FIRST_LAYER => Some(AiDetection::FirstLayer),
        HMS_FOREIGN_OBJECT => Some(AiDetection::ForeignObject),
        HMS_NOZZLE_CLUMPING | HMS_NOZZLE_CLUMPING_2 => Some(AiDetection::NozzleClumping),
        _ => None,
    }
}

/// What a `print_error` means, if it is an AI detection of a defect.
pub fn detection_of_error(code: u32) -> Option<AiDetection> {
    match code {
        ERROR_SPAGHETTI | ERROR_AI_SPAGHETTI | ERROR_POSSIBLE_SPAGHETTI => {
            Some(AiDetection::Spaghetti)
        }
        ERROR_FIRST_LAYER | ERROR_POSSIBLE_FIRST_LAYER => Some(AiDetection::FirstLayer),
        ERROR_FOREIGN_OBJECT => Some(AiDetection::ForeignObject),
        c if ERROR_NOZZLE_CLUMPING.contains(&c) => Some(AiDetection::NozzleClumping),
        _ => None,
    }
}

/// The HMS messages of a merged state (`print.hms`); entries without a
/// numeric `attr` and `code` are skipped.
pub fn hms_of(state: &Value) -> Vec<Hms> {
    let number = |v: Option<&Value>| v?.as_u64().and_then(|n| u32::try_from(n).ok());
    state
        .pointer("/print/hms")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|h| {
            Some(Hms {
                attr: number(h.get("attr"))?,
                code: number(h.get("code"))?,
            })
        })
        .collect()
}

/// Every AI detection a merged state shows: its HMS messages and its
/// `print_error`, each kind once, in that order.
pub fn detections_of(state: &Value) -> Vec<AiDetection> {
    let error = state
        .pointer("/print/print_error")
        .and_then(Value::as_u64)
        .and_then(|c| u32::try_from(c).ok())
        .and_then(detection_of_error);
    let mut out: Vec<AiDetection> = Vec::new();
    for found in hms_of(state)
        .into_iter()
        .filter_map(detection_of_hms)
        .chain(error)
    {
        if !out.contains(&found) {
            out.push(found);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hms_names_are_attr_then_code_in_hex() {
        // ha-bambulab's own example: attr 50331904, code 65543 is
        // HMS_0300_0100_0001_0007.
        let hms = Hms {
            attr: 50_331_904,
            code: 65_543,
        };
        assert_eq!(hms.name(), "0300_0100_0001_0007");
        assert_eq!(HMS_SPAGHETTI.name(), "0C00_0300_0003_0008");
    }

    #[test]
    fn ai_detections_come_from_hms_and_print_error_and_nothing_else_counts() {
        // 0x0C000300 = 201327360; 0x00030008 = 196616; 0x00020010 = 131088.
        let state = json!({"print": {"hms": [
            {"attr": 201_327_360_u64, "code": 196_616},
            {"attr": 50_331_904, "code": 65_543},
            {"attr": 201_327_360_u64, "code": 131_088},
            {"attr": "x", "code": 1}
        ], "print_error": 0x0C00_8001_u32}});
        assert_eq!(
            detections_of(&state),
            [
                AiDetection::Spaghetti,
                AiDetection::ForeignObject,
                AiDetection::FirstLayer
            ]
        );
        assert_eq!(hms_of(&state).len(), 3);
        // "First layer inspection is not supported" (0C00_0300_0002_0004)
        // and a bed-leveling stop (0x0300_4002) are no detection.
        let quiet = json!({"print": {"hms": [{"attr": 201_327_360_u64, "code": 131_076}],
                                      "print_error": 0x0300_4002}});
        assert!(detections_of(&quiet).is_empty());
        assert!(detections_of(&json!({})).is_empty());
        assert_eq!(
            detection_of_error(0x0300_8003),
            Some(AiDetection::Spaghetti)
        );
        assert_eq!(AiDetection::FirstLayer.defect(), "first_layer");
    }
}
