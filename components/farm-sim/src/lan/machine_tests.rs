use super::*;
use printer_gateway::bambu_lan::ERROR_SPAGHETTI;

const TIMING: Timing = Timing {
    prepare_secs: 60.0,
    error_code_secs: 5.0,
};

fn started(fate: Fate) -> Machine {
    let mut m = Machine::new();
    assert_eq!(
        m.start("file:///sdcard/p.gcode.3mf", "p", 600.0, 100, fate),
        Reply::Success
    );
    m
}

#[test]
fn a_job_runs_for_its_gcode_time_after_prepare_and_stays_finished() {
    let mut m = started(Fate::Finish);
    m.advance(60.0, &TIMING);
    assert_eq!(m.state(), GcodeState::Running);
    m.advance(300.0, &TIMING);
    let half = m.view();
    assert_eq!(
        (half.mc_percent, half.mc_remaining_time, half.layer_num),
        (50, 5, 50)
    );
    m.advance(300.0, &TIMING);
    assert_eq!(m.state(), GcodeState::Finish);
    m.advance(10_000.0, &TIMING);
    assert_eq!((m.state(), m.view().mc_percent), (GcodeState::Finish, 100));
}

#[test]
fn starting_while_printing_is_refused_as_busy() {
    let mut m = started(Fate::Finish);
    let reply = m.start("file:///sdcard/q.gcode.3mf", "q", 60.0, 10, Fate::Finish);
    assert!(
        matches!(
            reply,
            Reply::Failed {
                code: 0x0500_4004,
                ..
            }
        ),
        "{reply:?}"
    );
    assert_eq!(m.view().subtask_name, "p");
}

#[test]
fn a_stop_class_fault_fails_and_failed_stays_after_the_code_resets_until_stop() {
    let mut m = started(Fate::StopFault {
        at: 0.5,
        code: 0x0300_4002,
    });
    m.advance(60.0 + 300.0, &TIMING);
    assert_eq!(
        (m.state(), m.view().print_error),
        (GcodeState::Failed, 0x0300_4002)
    );
    m.advance(10.0, &TIMING);
    assert_eq!((m.state(), m.view().print_error), (GcodeState::Failed, 0));
    m.advance(10_000.0, &TIMING);
    assert_eq!(m.state(), GcodeState::Failed);
    m.stop(&TIMING);
    assert_eq!(m.state(), GcodeState::Idle);
}

#[test]
fn a_pause_class_fault_waits_for_resume_or_stop() {
    let mut m = started(Fate::PauseFault {
        at: 0.25,
        code: ERROR_SPAGHETTI,
    });
    m.advance(60.0 + 150.0 + 1000.0, &TIMING);
    assert_eq!(
        (m.state(), m.view().print_error),
        (GcodeState::Pause, ERROR_SPAGHETTI)
    );
    assert_eq!(m.resume(), Reply::Success);
    m.advance(450.0, &TIMING);
    assert_eq!(m.state(), GcodeState::Finish);
}

#[test]
fn stopping_a_job_reports_the_cancel_code_then_zero() {
    let mut m = started(Fate::Finish);
    m.advance(100.0, &TIMING);
    m.stop(&TIMING);
    assert_eq!(
        (m.state(), m.view().print_error),
        (GcodeState::Failed, 0x0300_400C)
    );
    m.advance(6.0, &TIMING);
    assert_eq!((m.state(), m.view().print_error), (GcodeState::Failed, 0));
}

#[test]
fn an_ai_detection_shows_from_its_point_until_the_plate_is_cleared() {
    let spaghetti = printer_gateway::hms::HMS_SPAGHETTI;
    let mut m = started(Fate::Finish);
    m.detect(0.5, spaghetti);
    m.advance(60.0 + 240.0, &TIMING);
    assert!(m.view().hms.is_empty(), "40 % printed");
    m.advance(120.0, &TIMING);
    assert_eq!(m.view().hms, [spaghetti], "60 % printed");
    // It notifies only: the print goes on to its end and keeps the message.
    m.advance(300.0, &TIMING);
    assert_eq!(
        (m.state(), m.view().hms),
        (GcodeState::Finish, vec![spaghetti])
    );
    m.stop(&TIMING);
    assert!(m.view().hms.is_empty(), "cleared with the plate");
}
