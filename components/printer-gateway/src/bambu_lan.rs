//! The parts of the Bambu LAN protocol that LAN mode adds to [`crate::bambu`]:
//! `pushall`, command acknowledgements, merging partial reports into the
//! full state, AMS trays and the meaning of `print_error` codes. Pure.
//!
//! Sources (checked against OpenBambuAPI's `mqtt.md`, ha-bambulab and
//! Bambuddy): a printer answers a command on its report topic with the same
//! `sequence_id` and a `result` whose case varies (`success`, `Success`,
//! `FAILED`); P1/A1 printers send only changed fields, and the full state
//! only after `pushing.pushall`; X1 printers send full reports.

use serde_json::{Map, Value, json};

use crate::bambu::{self, PrintStatus, Report};

/// The LAN broker's and FTPS server's user name (the password is the
/// printer's LAN access code).
pub const LAN_USER: &str = "bblp";
/// A printer's MQTT over TLS port.
pub const LAN_MQTT_PORT: u16 = 8883;
/// A printer's FTPS (implicit TLS) port.
pub const LAN_FTPS_PORT: u16 = 990;

/// `print_error`: the task was cancelled (HMS 0300_400C, "The task was canceled.").
pub const ERROR_TASK_CANCELLED: u32 = 0x0300_400C;
/// `print_error`: printing was cancelled (HMS 0500_400E, "Printing was cancelled.").
pub const ERROR_PRINTING_CANCELLED: u32 = 0x0500_400E;
/// `print_error`: busy, cannot start a new task (HMS 0500_4004).
pub const ERROR_BUSY: u32 = 0x0500_4004;
/// `print_error`: spaghetti detected, a pause-class fault (HMS 0300_8003).
pub const ERROR_SPAGHETTI: u32 = 0x0300_8003;

/// What a non-zero `print_error` means for the farm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// 0x0300_400C, 0x0500_400E: someone cancelled the task; not a failure.
    Cancelled,
    /// 0x0500_4004: the printer refused to start because it is busy.
    Busy,
    /// 0x0300_8xxx: the task is paused with a fault until resume or stop.
    PauseFault,
    /// 0x0300_4xxx (and anything else): the task stopped (`FAILED`).
    StopFault,
}

/// Classifies a non-zero `print_error` (the module word is the upper half,
/// the lower half's first nibble says stop (4) or pause (8)).
pub fn classify_error(code: u32) -> ErrorClass {
    match code {
        ERROR_TASK_CANCELLED | ERROR_PRINTING_CANCELLED => ErrorClass::Cancelled,
        ERROR_BUSY => ErrorClass::Busy,
        code if code & 0xF000 == 0x8000 => ErrorClass::PauseFault,
        _ => ErrorClass::StopFault,
    }
}

/// `{"pushing": {"command": "pushall"}}`: asks for the full state.
pub fn pushall_json(sequence_id: u64) -> String {
    json!({
        "pushing": {
            "sequence_id": sequence_id.to_string(),
            "command": "pushall",
            "version": 1,
            "push_target": 1,
        }
    })
    .to_string()
}

/// A printer's answer to a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    pub sequence_id: String,
    pub command: String,
    /// `result` compared case-insensitively with `success`.
    pub success: bool,
    pub reason: String,
    /// The ack's own `print_error`/`err_code`, when it carries one.
    pub error_code: Option<u32>,
}

/// The acknowledgement in a report payload, if it is one: a `print` object
/// with a `result` and a command other than `push_status`.
pub fn parse_ack(payload: &[u8]) -> Option<Ack> {
    let value: Value = serde_json::from_slice(payload).ok()?;
    let print = value.get("print")?.as_object()?;
    let command = print.get("command")?.as_str()?;
    let result = print.get("result")?.as_str()?;
    if command == "push_status" {
        return None;
    }
    let sequence_id = match print.get("sequence_id")? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let error_code = ["err_code", "print_error"]
        .iter()
        .filter_map(|k| print.get(*k)?.as_u64())
        .find(|c| *c != 0)
        .and_then(|c| u32::try_from(c).ok());
    Some(Ack {
        sequence_id,
        command: command.to_owned(),
        success: result.eq_ignore_ascii_case("success"),
        reason: print
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        error_code,
    })
}

/// Merges a report into the state known so far: objects merge key by key
/// (recursively), anything else replaces. Arrays replace whole, as the
/// printers send them whole. A full report therefore yields the same state
/// as the deltas that add up to it.
pub fn merge_report(state: &mut Value, report: &Value) {
    match (state, report) {
        (Value::Object(known), Value::Object(new)) => {
            for (key, value) in new {
                match known.get_mut(key) {
                    Some(slot) => merge_report(slot, value),
                    None => {
                        known.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (slot, value) => *slot = value.clone(),
    }
}

/// The fields of a merged state that describe the printer (not the
/// message): the `print` object without `command`, `msg` and `sequence_id`.
pub fn print_state(state: &Value) -> Map<String, Value> {
    let mut print = state
        .get("print")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for key in ["command", "msg", "sequence_id", "result", "reason"] {
        print.remove(key);
    }
    print
}

/// The print status of a merged state.
pub fn status_of(state: &Value) -> PrintStatus {
    let print = Value::Object(print_state(state));
    let text = json!({ "print": print }).to_string();
    match bambu::parse_report(text.as_bytes()) {
        Ok(Report::Print(status)) => status,
        _ => PrintStatus::default(),
    }
}

/// One AMS tray (or the external spool): what is loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tray {
    /// `ams id * 4 + tray id`; 254 is the external spool (`vt_tray`).
    pub slot: u32,
    /// `tray_type`, e.g. PLA, PETG.
    pub material: String,
    /// `tray_color`, RRGGBBAA hex.
    pub color: String,
}

/// The loaded trays of a merged state (`print.ams.ams[].tray[]` and
/// `print.vt_tray`), empty trays left out; and the active one (`tray_now`).
pub fn trays_of(state: &Value) -> (Vec<Tray>, Option<u32>) {
    let print = state.get("print");
    let ams = print.and_then(|p| p.get("ams"));
    let number = |v: Option<&Value>| -> Option<u32> {
        match v? {
            Value::String(s) => s.parse().ok(),
            Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            _ => None,
        }
    };
    let tray = |slot: u32, t: &Value| -> Option<Tray> {
        let material = t.get("tray_type")?.as_str()?.to_owned();
        (!material.is_empty()).then(|| Tray {
            slot,
            material,
            color: t
                .get("tray_color")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        })
    };
    let mut trays = Vec::new();
    for unit in ams
        .and_then(|a| a.get("ams"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let unit_id = number(unit.get("id")).unwrap_or(0);
        for t in unit
            .get("tray")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let slot = unit_id * 4 + number(t.get("id")).unwrap_or(0);
            trays.extend(tray(slot, t));
        }
    }
    if let Some(external) = print.and_then(|p| p.get("vt_tray")) {
        trays.extend(tray(254, external));
    }
    let now = number(ams.and_then(|a| a.get("tray_now")));
    (trays, now.filter(|n| *n != 255))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bambu::GcodeState;

    #[test]
    fn acks_match_result_case_insensitively() {
        for (result, success) in [
            ("success", true),
            ("Success", true),
            ("SUCCESS", true),
            ("FAILED", false),
            ("failed", false),
        ] {
            let payload = json!({"print": {"command": "project_file", "sequence_id": "42", "result": result, "reason": "r"}});
            let ack = parse_ack(payload.to_string().as_bytes()).expect("an ack");
            assert_eq!(
                (ack.sequence_id.as_str(), ack.success),
                ("42", success),
                "{result}"
            );
        }
        let report =
            json!({"print": {"command": "push_status", "sequence_id": "1", "result": "success"}});
        assert_eq!(parse_ack(report.to_string().as_bytes()), None);
    }

    #[test]
    fn deltas_merge_into_the_full_state() {
        let full = json!({"print": {"gcode_state": "RUNNING", "mc_percent": 40, "layer_num": 80,
            "ams": {"tray_now": "1", "ams": [{"id": "0", "tray": [{"id": "1", "tray_type": "PETG", "tray_color": "FF0000FF"}]}]}}});
        let mut merged =
            json!({"print": {"gcode_state": "PREPARE", "mc_percent": 0, "layer_num": 0}});
        merge_report(&mut merged, &json!({"print": {"gcode_state": "RUNNING"}}));
        merge_report(
            &mut merged,
            &json!({"print": {"mc_percent": 40, "layer_num": 80}}),
        );
        merge_report(
            &mut merged,
            &json!({"print": {"ams": full["print"]["ams"].clone()}}),
        );
        assert_eq!(print_state(&merged), print_state(&full));
        let status = status_of(&merged);
        assert_eq!(
            (status.gcode_state, status.percent, status.layer_num),
            (Some(GcodeState::Running), Some(40), Some(80))
        );
        let (trays, now) = trays_of(&merged);
        assert_eq!(
            trays,
            vec![Tray {
                slot: 1,
                material: "PETG".into(),
                color: "FF0000FF".into()
            }]
        );
        assert_eq!(now, Some(1));
    }

    #[test]
    fn error_codes_fall_into_their_classes() {
        assert_eq!(classify_error(0x0300_400C), ErrorClass::Cancelled);
        assert_eq!(classify_error(0x0500_400E), ErrorClass::Cancelled);
        assert_eq!(classify_error(0x0500_4004), ErrorClass::Busy);
        assert_eq!(classify_error(0x0300_8003), ErrorClass::PauseFault);
        assert_eq!(classify_error(0x0300_4002), ErrorClass::StopFault);
    }
}
