//! The Bambu Lab LAN protocol, as far as the farm uses it: pure types and
//! functions, no I/O.
//!
//! A printer publishes JSON reports on `device/<serial>/report` and accepts
//! commands on `device/<serial>/request`. A report's `print` object carries
//! `gcode_state` (IDLE, PREPARE, RUNNING, PAUSE, FINISH, FAILED, ...),
//! `mc_percent`, `mc_remaining_time` (minutes) and `gcode_file`. Printers of
//! the P1 and A1 series send only the fields that changed, so every field is
//! optional here and the receiver merges reports into what it already knows.

use serde::Deserialize;
use serde_json::{Value, json};

/// The MQTT topic filter that matches every printer's reports.
pub const REPORT_TOPIC_FILTER: &str = "device/+/report";
/// The MQTT topic filter that matches every printer's command topic.
pub const REQUEST_TOPIC_FILTER: &str = "device/+/request";

/// Errors from parsing a printer message.
#[derive(Debug, thiserror::Error)]
pub enum BambuError {
    /// The payload is not JSON, or a known field has the wrong type.
    #[error("malformed printer message: {0}")]
    Malformed(#[from] serde_json::Error),
    /// The topic is not `device/<serial>/report` or `device/<serial>/request`.
    #[error("not a printer topic: {topic}")]
    NotAPrinterTopic { topic: String },
    /// A request whose `print.command` the farm does not handle.
    #[error("unsupported printer command: {command}")]
    UnsupportedCommand { command: String },
}

pub type Result<T, E = BambuError> = std::result::Result<T, E>;

/// `device/<serial>/report`
pub fn report_topic(serial: &str) -> String {
    format!("device/{serial}/report")
}

/// `device/<serial>/request`
pub fn request_topic(serial: &str) -> String {
    format!("device/{serial}/request")
}

/// The serial in `device/<serial>/report`.
pub fn serial_from_report_topic(topic: &str) -> Result<&str> {
    serial_from_topic(topic, "report")
}

/// The serial in `device/<serial>/request`.
pub fn serial_from_request_topic(topic: &str) -> Result<&str> {
    serial_from_topic(topic, "request")
}

fn serial_from_topic<'a>(topic: &'a str, leaf: &str) -> Result<&'a str> {
    let mut parts = topic.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("device"), Some(serial), Some(last), None) if last == leaf && !serial.is_empty() => {
            Ok(serial)
        }
        _ => Err(BambuError::NotAPrinterTopic {
            topic: topic.to_owned(),
        }),
    }
}

/// The printer's job state word, `print.gcode_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GcodeState {
    Idle,
    /// Heating, levelling, calibrating: the job has started, nothing is extruded yet.
    Prepare,
    /// Slicing a project on the printer before PREPARE (some firmware).
    Slicing,
    Running,
    Pause,
    /// The last job completed; the printer waits for the plate to be cleared.
    Finish,
    /// The last job failed or was stopped.
    Failed,
}

impl GcodeState {
    /// Parses the protocol's word; `None` for words the farm does not know
    /// (firmware adds some, e.g. INIT), which then leave the state unchanged.
    pub fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "IDLE" => Self::Idle,
            "PREPARE" => Self::Prepare,
            "SLICING" => Self::Slicing,
            "RUNNING" => Self::Running,
            "PAUSE" => Self::Pause,
            "FINISH" => Self::Finish,
            "FAILED" => Self::Failed,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "IDLE",
            Self::Prepare => "PREPARE",
            Self::Slicing => "SLICING",
            Self::Running => "RUNNING",
            Self::Pause => "PAUSE",
            Self::Finish => "FINISH",
            Self::Failed => "FAILED",
        }
    }
}

/// What one report says about the current print; `None` means "not in this report".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrintStatus {
    pub gcode_state: Option<GcodeState>,
    /// 0..=100
    pub percent: Option<u8>,
    pub remaining_minutes: Option<u32>,
    pub gcode_file: Option<String>,
    pub subtask_name: Option<String>,
    pub layer_num: Option<u32>,
    pub total_layer_num: Option<u32>,
    /// Non-zero when the printer reports an error code.
    pub print_error: Option<u32>,
}

/// A message on a report topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// A `print` object: the job status (push_status, full or partial).
    Print(PrintStatus),
    /// Anything else (`info`, `system`, `mc_print`, ...): not used by the farm.
    Other,
}

#[derive(Deserialize)]
struct ReportWire {
    print: Option<PrintWire>,
}

#[derive(Deserialize)]
struct PrintWire {
    gcode_state: Option<String>,
    mc_percent: Option<i64>,
    mc_remaining_time: Option<i64>,
    gcode_file: Option<String>,
    subtask_name: Option<String>,
    layer_num: Option<i64>,
    total_layer_num: Option<i64>,
    print_error: Option<i64>,
}

/// Parses a report payload. Out-of-range numbers are clamped (percent) or
/// dropped (negative counts) rather than rejected: a printer's odd value must
/// not hide the rest of its report.
pub fn parse_report(payload: &[u8]) -> Result<Report> {
    let wire: ReportWire = serde_json::from_slice(payload)?;
    let Some(print) = wire.print else {
        return Ok(Report::Other);
    };
    let count = |v: Option<i64>| v.and_then(|n| u32::try_from(n).ok());
    Ok(Report::Print(PrintStatus {
        gcode_state: print.gcode_state.as_deref().and_then(GcodeState::parse),
        percent: print.mc_percent.map(|p| p.clamp(0, 100) as u8),
        remaining_minutes: count(print.mc_remaining_time),
        gcode_file: print.gcode_file.filter(|f| !f.is_empty()),
        subtask_name: print.subtask_name.filter(|s| !s.is_empty()),
        layer_num: count(print.layer_num),
        total_layer_num: count(print.total_layer_num),
        print_error: count(print.print_error),
    }))
}

impl PrintStatus {
    /// The full `push_status` report a printer sends, as JSON text.
    pub fn to_report_json(&self, sequence_id: u64) -> String {
        let mut print = json!({
            "command": "push_status",
            "msg": 0,
            "sequence_id": sequence_id.to_string(),
        });
        let fields = [
            ("gcode_state", self.gcode_state.map(|s| json!(s.as_str()))),
            ("mc_percent", self.percent.map(|p| json!(p))),
            (
                "mc_remaining_time",
                self.remaining_minutes.map(|m| json!(m)),
            ),
            ("gcode_file", self.gcode_file.as_ref().map(|f| json!(f))),
            ("subtask_name", self.subtask_name.as_ref().map(|s| json!(s))),
            ("layer_num", self.layer_num.map(|n| json!(n))),
            ("total_layer_num", self.total_layer_num.map(|n| json!(n))),
            ("print_error", self.print_error.map(|n| json!(n))),
        ];
        for (name, value) in fields {
            if let Some(value) = value {
                print[name] = value;
            }
        }
        json!({ "print": print }).to_string()
    }
}

/// Starts printing a sliced project (`print.command = "project_file"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectFile {
    /// Where the printer fetches the .3mf, e.g. `file:///sdcard/part.3mf`.
    pub url: String,
    /// The plate's G-code inside the project, e.g. `Metadata/plate_1.gcode`.
    pub plate: String,
    /// Shown on the printer's screen and echoed back as `subtask_name`.
    pub subtask_name: String,
}

/// A command on a request topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    ProjectFile(ProjectFile),
    Pause,
    Resume,
    Stop,
}

#[derive(Deserialize)]
struct RequestWire {
    print: Option<RequestPrintWire>,
}

#[derive(Deserialize)]
struct RequestPrintWire {
    command: String,
    url: Option<String>,
    param: Option<String>,
    subtask_name: Option<String>,
}

/// Parses a request payload (what the printer receives).
pub fn parse_request(payload: &[u8]) -> Result<Request> {
    let wire: RequestWire = serde_json::from_slice(payload)?;
    let Some(print) = wire.print else {
        return Err(BambuError::UnsupportedCommand {
            command: "(no print object)".to_owned(),
        });
    };
    Ok(match print.command.as_str() {
        "project_file" => Request::ProjectFile(ProjectFile {
            url: print.url.unwrap_or_default(),
            plate: print.param.unwrap_or_default(),
            subtask_name: print.subtask_name.unwrap_or_default(),
        }),
        "pause" => Request::Pause,
        "resume" => Request::Resume,
        "stop" => Request::Stop,
        other => {
            return Err(BambuError::UnsupportedCommand {
                command: other.to_owned(),
            });
        }
    })
}

impl Request {
    /// The request as JSON text, in the shape Bambu's slicer sends it.
    pub fn to_json(&self, sequence_id: u64) -> String {
        let sequence_id = sequence_id.to_string();
        let print: Value = match self {
            Self::ProjectFile(job) => json!({
                "sequence_id": sequence_id,
                "command": "project_file",
                "param": job.plate,
                "url": job.url,
                "subtask_name": job.subtask_name,
                "project_id": "0",
                "profile_id": "0",
                "task_id": "0",
                "subtask_id": "0",
                "md5": "",
                "timelapse": false,
                "bed_type": "auto",
                "bed_levelling": true,
                "flow_cali": true,
                "vibration_cali": true,
                "layer_inspect": true,
                "use_ams": false,
                "ams_mapping": [],
            }),
            Self::Pause => json!({ "sequence_id": sequence_id, "command": "pause", "param": "" }),
            Self::Resume => json!({ "sequence_id": sequence_id, "command": "resume", "param": "" }),
            Self::Stop => json!({ "sequence_id": sequence_id, "command": "stop", "param": "" }),
        };
        json!({ "print": print }).to_string()
    }
}

/// The printer model, from the first three characters of its serial number
/// (Bambu's serials encode it); "unknown" for prefixes not listed here.
pub fn model_from_serial(serial: &str) -> &'static str {
    match serial.get(..3) {
        Some("00M") => "X1C",
        Some("03W") => "X1E",
        Some("01S") => "P1P",
        Some("01P") => "P1S",
        Some("030") => "A1 mini",
        Some("039") => "A1",
        _ => "unknown",
    }
}

#[cfg(test)]
#[path = "bambu_tests.rs"]
mod tests;
