//! The reports a simulated printer publishes: P1-style deltas (only the
//! fields that changed since the last report; the full state after
//! `pushall`) or X1-style full reports.

use printer_gateway::lan::Filament;
use serde_json::{Map, Value, json};

use super::machine::View;

/// Remembers what was last sent, to send only what changed.
#[derive(Debug, Clone)]
pub struct Reporter {
    full_reports: bool,
    sent: Option<Map<String, Value>>,
    sequence: u64,
}

impl Reporter {
    pub fn new(full_reports: bool) -> Self {
        Self {
            full_reports,
            sent: None,
            sequence: 0,
        }
    }

    /// The `print` fields of a view, AMS tray 0 holding `filament`.
    pub fn fields(view: &View, filament: &Filament) -> Map<String, Value> {
        let value = json!({
            "gcode_state": view.gcode_state.as_str(),
            "mc_percent": view.mc_percent,
            "mc_remaining_time": view.mc_remaining_time,
            "layer_num": view.layer_num,
            "total_layer_num": view.total_layer_num,
            "gcode_file": view.gcode_file,
            "subtask_name": view.subtask_name,
            "print_error": view.print_error,
            "hms": view.hms,
            "ams": {
                "tray_now": "0",
                "ams": [{"id": "0", "tray": [{"id": "0", "tray_type": filament.material, "tray_color": filament.color}]}],
            },
        });
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    /// The report to publish now (a delta may name no field at all).
    pub fn report(&mut self, view: &View, filament: &Filament, full: bool) -> Option<String> {
        let fields = Self::fields(view, filament);
        let send_all = full || self.full_reports || self.sent.is_none();
        let mut print: Map<String, Value> = if send_all {
            fields.clone()
        } else {
            let sent = self.sent.as_ref()?;
            fields
                .iter()
                .filter(|(k, v)| sent.get(*k) != Some(*v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        // An empty delta is still sent: a P1 reports every second whether or
        // not anything changed, and the gateway counts silence as offline.
        self.sent = Some(fields);
        self.sequence += 1;
        print.insert("command".into(), json!("push_status"));
        print.insert("msg".into(), json!(if send_all { 0 } else { 1 }));
        print.insert("sequence_id".into(), json!(self.sequence.to_string()));
        Some(json!({ "print": print }).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::super::machine::{Fate, Machine, Timing};
    use super::*;
    use printer_gateway::bambu_lan::{merge_report, print_state};

    /// Runs the same job on a delta printer and a full-report printer and
    /// merges what each sent, as the gateway does: the states agree at
    /// every report.
    #[test]
    fn merged_deltas_equal_full_reports_at_every_step() {
        let filament = Filament {
            material: "PETG".into(),
            color: "00AE42FF".into(),
        };
        let timing = Timing {
            prepare_secs: 30.0,
            error_code_secs: 5.0,
        };
        let (mut delta, mut full) = (Reporter::new(false), Reporter::new(true));
        let (mut merged_delta, mut merged_full) = (json!({}), json!({}));
        let mut machine = Machine::new();
        let mut deltas_smaller = 0;
        for step in 0..200 {
            if step == 3 {
                machine.start(
                    "file:///sdcard/a.gcode.3mf",
                    "a",
                    900.0,
                    90,
                    Fate::PauseFault {
                        at: 0.5,
                        code: 0x0300_8003,
                    },
                );
            }
            if step == 120 {
                machine.resume();
            }
            machine.advance(7.0, &timing);
            let view = machine.view();
            let f = full
                .report(&view, &filament, false)
                .expect("full reports always send");
            merge_report(&mut merged_full, &serde_json::from_str(&f).expect("json"));
            if let Some(d) = delta.report(&view, &filament, false) {
                deltas_smaller += usize::from(d.len() < f.len());
                merge_report(&mut merged_delta, &serde_json::from_str(&d).expect("json"));
            }
            assert_eq!(
                print_state(&merged_delta),
                print_state(&merged_full),
                "step {step}"
            );
        }
        assert!(
            deltas_smaller > 100,
            "deltas were not partial: {deltas_smaller}"
        );
    }
}
