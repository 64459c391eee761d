//! What the farm knows about one printer, and how a report changes it: pure
//! functions, so the rules are tested without a broker or a database.

use crate::bambu::{GcodeState, PrintStatus};

/// The farm's view of a printer: the `printers.status` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrinterStatus {
    /// Free for the next job (also after FINISH: the plate is cleared by the farm).
    Idle,
    Printing,
    Paused,
    /// The last job failed; the printer needs attention before the next one.
    Error,
    /// Not heard from for longer than the gateway's `offline_after`.
    Offline,
}

impl PrinterStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Printing => "printing",
            Self::Paused => "paused",
            Self::Error => "error",
            Self::Offline => "offline",
        }
    }

    pub fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "idle" => Self::Idle,
            "printing" => Self::Printing,
            "paused" => Self::Paused,
            "error" => Self::Error,
            "offline" => Self::Offline,
            _ => return None,
        })
    }
}

/// The status a printer in this protocol state has for the farm.
pub fn status_for(state: GcodeState) -> PrinterStatus {
    match state {
        GcodeState::Idle | GcodeState::Finish => PrinterStatus::Idle,
        GcodeState::Prepare | GcodeState::Slicing | GcodeState::Running => PrinterStatus::Printing,
        GcodeState::Pause => PrinterStatus::Paused,
        GcodeState::Failed => PrinterStatus::Error,
    }
}

/// One printer's stored state (the mutable columns of `printers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub status: PrinterStatus,
    pub gcode_state: Option<GcodeState>,
    pub progress: u8,
    pub remaining_minutes: Option<u32>,
    pub current_file: Option<String>,
}

impl Snapshot {
    /// A printer the farm has never heard from.
    pub fn unseen() -> Self {
        Self {
            status: PrinterStatus::Offline,
            gcode_state: None,
            progress: 0,
            remaining_minutes: None,
            current_file: None,
        }
    }
}

/// A change worth a `printer_events` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// First report, or first report after being offline.
    Online,
    /// The protocol state changed (e.g. PREPARE -> RUNNING).
    StateChanged,
    /// Progress crossed a multiple of [`PROGRESS_STEP`] within one state.
    Progress,
    /// Marked offline for silence.
    Offline,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::StateChanged => "state_changed",
            Self::Progress => "progress",
            Self::Offline => "offline",
        }
    }
}

/// Progress events are kept per this many percent, not per report.
pub const PROGRESS_STEP: u8 = 10;

/// Merges one report into the previous snapshot. Fields missing from the
/// report keep their previous value (partial reports); the returned events
/// say what changed, in the order they happened.
pub fn apply_report(previous: &Snapshot, report: &PrintStatus) -> (Snapshot, Vec<EventKind>) {
    let gcode_state = report.gcode_state.or(previous.gcode_state);
    let status = match gcode_state {
        Some(state) => status_for(state),
        // Heard from, but it has not said its state yet: assume free.
        None if previous.status == PrinterStatus::Offline => PrinterStatus::Idle,
        None => previous.status,
    };
    let next = Snapshot {
        status,
        gcode_state,
        progress: report.percent.unwrap_or(previous.progress),
        remaining_minutes: report.remaining_minutes.or(previous.remaining_minutes),
        current_file: report
            .gcode_file
            .clone()
            .or_else(|| previous.current_file.clone()),
    };

    let mut events = Vec::new();
    if previous.status == PrinterStatus::Offline {
        events.push(EventKind::Online);
    }
    if previous.status != PrinterStatus::Offline && next.gcode_state != previous.gcode_state {
        events.push(EventKind::StateChanged);
    } else if next.gcode_state == previous.gcode_state
        && next.progress / PROGRESS_STEP != previous.progress / PROGRESS_STEP
    {
        events.push(EventKind::Progress);
    }
    (next, events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(state: Option<GcodeState>, percent: Option<u8>) -> PrintStatus {
        PrintStatus {
            gcode_state: state,
            percent,
            ..PrintStatus::default()
        }
    }

    fn seen(state: GcodeState, progress: u8) -> Snapshot {
        Snapshot {
            status: status_for(state),
            gcode_state: Some(state),
            progress,
            ..Snapshot::unseen()
        }
    }

    #[test]
    fn each_protocol_state_maps_to_one_farm_status() {
        use GcodeState::*;
        let cases = [
            (Idle, "idle"),
            (Finish, "idle"),
            (Prepare, "printing"),
            (Slicing, "printing"),
            (Running, "printing"),
            (Pause, "paused"),
            (Failed, "error"),
        ];
        for (state, expected) in cases {
            assert_eq!(status_for(state).as_str(), expected, "{state:?}");
            assert_eq!(PrinterStatus::parse(expected), Some(status_for(state)));
        }
    }

    #[test]
    fn the_first_report_brings_a_printer_online_with_its_state() {
        let (next, events) = apply_report(
            &Snapshot::unseen(),
            &report(Some(GcodeState::Running), Some(42)),
        );
        assert_eq!(next.status, PrinterStatus::Printing);
        assert_eq!(next.progress, 42);
        assert_eq!(events, vec![EventKind::Online]);
    }

    #[test]
    fn a_first_report_without_a_state_counts_as_idle() {
        let (next, events) = apply_report(&Snapshot::unseen(), &report(None, None));
        assert_eq!(next.status, PrinterStatus::Idle);
        assert_eq!(events, vec![EventKind::Online]);
    }

    #[test]
    fn a_state_change_is_one_event() {
        let (next, events) = apply_report(
            &seen(GcodeState::Prepare, 0),
            &report(Some(GcodeState::Running), Some(1)),
        );
        assert_eq!(next.gcode_state, Some(GcodeState::Running));
        assert_eq!(events, vec![EventKind::StateChanged]);
    }

    #[test]
    fn progress_events_come_per_step_not_per_report() {
        let previous = seen(GcodeState::Running, 21);
        let (_, within) = apply_report(&previous, &report(Some(GcodeState::Running), Some(29)));
        assert_eq!(within, vec![]);
        let (next, crossed) = apply_report(&previous, &report(None, Some(30)));
        assert_eq!(crossed, vec![EventKind::Progress]);
        assert_eq!(next.status, PrinterStatus::Printing);
    }

    #[test]
    fn a_partial_report_keeps_what_it_does_not_mention() {
        let previous = Snapshot {
            remaining_minutes: Some(50),
            current_file: Some("/sdcard/a.3mf".into()),
            ..seen(GcodeState::Running, 40)
        };
        let (next, events) = apply_report(&previous, &report(None, Some(41)));
        assert_eq!(next.remaining_minutes, Some(50));
        assert_eq!(next.current_file.as_deref(), Some("/sdcard/a.3mf"));
        assert_eq!(next.gcode_state, Some(GcodeState::Running));
        assert_eq!(events, vec![]);
    }

    #[test]
    fn coming_back_from_offline_is_an_online_event_not_a_state_change() {
        let previous = Snapshot {
            status: PrinterStatus::Offline,
            ..seen(GcodeState::Running, 50)
        };
        let (next, events) = apply_report(&previous, &report(Some(GcodeState::Failed), None));
        assert_eq!(next.status, PrinterStatus::Error);
        assert_eq!(events, vec![EventKind::Online]);
    }

    #[test]
    fn finishing_frees_the_printer() {
        let (next, events) = apply_report(
            &seen(GcodeState::Running, 99),
            &report(Some(GcodeState::Finish), Some(100)),
        );
        assert_eq!((next.status, next.progress), (PrinterStatus::Idle, 100));
        assert_eq!(events, vec![EventKind::StateChanged]);
    }
}
