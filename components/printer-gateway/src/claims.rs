//! The app's plates as the claim route hands them out (`POST
//! /internal/farm/claims`, the plate contract §1), and what the gateway
//! tells it the printer has loaded. Wire types; no I/O.

use serde::{Deserialize, Serialize};

use crate::bambu_lan::Tray;

/// Why the app answered as it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimReason {
    /// A plate is leased to the printer.
    Claimed,
    /// Nothing this printer can print.
    QueueEmpty,
    /// The printer is flagged; a person must clear the flag.
    NeedsAttention,
    /// The printer finished a plate that is not confirmed clear yet.
    AwaitingClear,
    /// The printer already has a plate printing.
    Busy,
}

/// The app's answer to a claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimAnswer {
    pub reason: ClaimReason,
    /// Present exactly when `reason` is `claimed`.
    pub plate: Option<ClaimedPlate>,
    /// With `busy`: the plate the app has printing on the printer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub printing_plate_id: Option<String>,
}

/// A plate leased to one printer: parts placed on its bed, one material.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimedPlate {
    /// `plate_<32 hex>`; also the job's name on the printer and its file
    /// name (`<id>.gcode.3mf`).
    pub id: String,
    /// The printer's serial.
    pub printer: String,
    /// Material id of mesh-engine's table (`pla`, `petg`, ...).
    pub material: String,
    pub color: String,
    /// RFC 3339 UTC: an unstarted lease is the app's again after this.
    pub lease_expires_at: String,
    pub parts: Vec<ClaimedPart>,
}

/// One copy of one part (one print task) on the plate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimedPart {
    /// `print_tasks.id`.
    pub task_id: i64,
    pub job_id: String,
    pub file_id: String,
    /// Presigned GET of the mesh; valid at least until the lease expires.
    pub mesh_url: String,
    /// `stl`, `obj` or `3mf`.
    pub format: String,
    /// The file's unit as analysed: `mm`, `inch` or `cm`.
    pub unit: String,
    /// Bed position of the part's bounding-box centre, mm.
    pub center_mm: [f64; 2],
    /// Turn about Z before placing, degrees (0 or 90).
    pub rotation_deg: f64,
    pub estimated_hours: f64,
    /// 1 for the first print of this task, 2 after one failure, ...
    pub attempt: u32,
}

/// One loaded filament as the claim route takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loaded {
    /// Lowercase material id (`pla`, `petg`).
    pub material: String,
    /// A catalog colour name (`black`, `white`, `grey`, `blue`, `red`,
    /// `green`, `yellow`, `orange`, `clear`).
    pub color: String,
}

/// Bambu's own filament colours for the catalog's colour names (the
/// `tray_color` its RFID tags write for Bambu PLA Basic: Black 000000,
/// Jade White FFFFFF, Gray 8E9089, Blue 0A2989, Red C12E1F, Bambu Green
/// 00AE42, Yellow F4EE2A, Orange FF6A13), the reference each reported
/// colour is matched to.
const PALETTE: [(&str, [u8; 3]); 8] = [
    ("black", [0x00, 0x00, 0x00]),
    ("white", [0xFF, 0xFF, 0xFF]),
    ("grey", [0x8E, 0x90, 0x89]),
    ("blue", [0x0A, 0x29, 0x89]),
    ("red", [0xC1, 0x2E, 0x1F]),
    ("green", [0x00, 0xAE, 0x42]),
    ("yellow", [0xF4, 0xEE, 0x2A]),
    ("orange", [0xFF, 0x6A, 0x13]),
];

/// The catalog colour nearest to a `tray_color` (`RRGGBBAA` hex): a
/// mostly transparent one (alpha below 0x80) is `clear`; `None` when the
/// text is not hex.
pub fn catalog_color(tray_color: &str) -> Option<&'static str> {
    let hex = tray_color.trim();
    if !(hex.len() == 6 || hex.len() == 8) || !hex.is_ascii() {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    let rgb = [byte(0)?, byte(2)?, byte(4)?];
    if hex.len() == 8 && byte(6)? < 0x80 {
        return Some("clear");
    }
    let distance = |c: [u8; 3]| -> i32 {
        (0..3)
            .map(|k| (i32::from(rgb[k]) - i32::from(c[k])).pow(2))
            .sum()
    };
    PALETTE
        .iter()
        .min_by_key(|(_, c)| distance(*c))
        .map(|(name, _)| *name)
}

/// The RGB of a catalog colour name (the inverse of [`catalog_color`], for
/// drawing a part in its filament); `None` for `clear` or a name the
/// palette does not hold.
pub fn catalog_rgb(name: &str) -> Option<[u8; 3]> {
    PALETTE
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
        .map(|(_, rgb)| *rgb)
}

/// What the printer's trays hold, as the claim route's `loaded`.
pub fn loaded_of(trays: &[Tray]) -> Vec<Loaded> {
    let mut out: Vec<Loaded> = trays
        .iter()
        .filter_map(|t| {
            Some(Loaded {
                material: t.material.trim().to_ascii_lowercase(),
                color: catalog_color(&t.color)?.to_owned(),
            })
        })
        .filter(|l| !l.material.is_empty())
        .collect();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tray_colours_map_to_the_nearest_catalog_colour() {
        for (hex, name) in [
            ("000000FF", "black"),
            ("FFFFFFFF", "white"),
            ("F5F5F5FF", "white"),
            ("8E9089FF", "grey"),
            ("0A2989FF", "blue"),
            ("C12E1FFF", "red"),
            ("00AE42FF", "green"),
            ("F4EE2AFF", "yellow"),
            ("FF6A13FF", "orange"),
            ("FFFFFF00", "clear"),
            ("101010", "black"),
        ] {
            assert_eq!(catalog_color(hex), Some(name), "{hex}");
        }
        assert_eq!(catalog_color("zz0000FF"), None);
        // And back, for the inspection photos.
        for (name, rgb) in PALETTE {
            assert_eq!(
                catalog_color(&format!("{:02X}{:02X}{:02X}FF", rgb[0], rgb[1], rgb[2])),
                Some(name)
            );
            assert_eq!(catalog_rgb(name), Some(rgb));
        }
        assert_eq!(catalog_rgb("Black"), Some([0, 0, 0]));
        assert_eq!(catalog_rgb("clear"), None);
        assert_eq!(catalog_color(""), None);
    }

    #[test]
    fn the_claim_answer_reads_the_contracts_shape() {
        let text = r#"{"reason": "claimed", "plate": {"id": "plate_0123", "printer": "01P1",
            "material": "pla", "color": "black", "lease_expires_at": "2026-11-30T08:00:00Z",
            "parts": [{"task_id": 7, "job_id": "job_1", "file_id": "file_1",
              "mesh_url": "http://127.0.0.1:19000/b/k", "format": "stl", "unit": "mm",
              "center_mm": [60.5, 128], "rotation_deg": 90, "estimated_hours": 1.25, "attempt": 1}]}}"#;
        let answer: ClaimAnswer = serde_json::from_str(text).expect("contract shape");
        assert_eq!(answer.reason, ClaimReason::Claimed);
        let plate = answer.plate.expect("plate");
        assert_eq!(plate.parts[0].center_mm, [60.5, 128.0]);
        assert_eq!(plate.parts[0].rotation_deg, 90.0);
        let empty: ClaimAnswer =
            serde_json::from_str(r#"{"reason": "awaiting_clear", "plate": null}"#).expect("empty");
        assert_eq!(
            (empty.reason, empty.plate),
            (ClaimReason::AwaitingClear, None)
        );
        let trays = [Tray {
            slot: 0,
            material: "PETG".into(),
            color: "00AE42FF".into(),
        }];
        let loaded = loaded_of(&trays);
        assert_eq!(loaded[0].material, "petg");
    }
}
