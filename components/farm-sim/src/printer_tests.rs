use super::*;

const TIMING: Timing = Timing {
    prepare_secs: 60.0,
    clear_secs: 30.0,
};

fn job(name: &str) -> ProjectFile {
    ProjectFile {
        url: format!("file:///sdcard/{name}.3mf"),
        plate: "Metadata/plate_1.gcode".into(),
        subtask_name: name.into(),
    }
}

fn plan(print_secs: f64, fails_at: Option<f64>) -> JobPlan {
    JobPlan {
        print_secs,
        fails_at,
    }
}

#[test]
fn a_job_goes_prepare_running_finish_then_idle_once_the_plate_is_cleared() {
    let mut printer = SimPrinter::new("01PSIM001");
    printer
        .start(job("bracket"), plan(600.0, None))
        .expect("idle printer accepts");
    assert_eq!(printer.state(), GcodeState::Prepare);

    printer.advance(59.0, &TIMING);
    assert_eq!(printer.state(), GcodeState::Prepare);
    printer.advance(1.0 + 300.0, &TIMING);
    assert_eq!(printer.state(), GcodeState::Running);
    let halfway = printer.status();
    assert_eq!(
        (halfway.percent, halfway.remaining_minutes),
        (Some(50), Some(5))
    );
    assert_eq!(
        halfway.gcode_file.as_deref(),
        Some("file:///sdcard/bracket.3mf")
    );
    assert_eq!(halfway.layer_num, Some(100));

    printer.advance(300.0, &TIMING);
    assert_eq!(printer.state(), GcodeState::Finish);
    assert_eq!(printer.status().percent, Some(100));
    assert_eq!(printer.status().print_error, Some(0));

    printer.advance(30.0, &TIMING);
    assert_eq!(printer.state(), GcodeState::Idle);
    assert_eq!(printer.status().gcode_file, None);
}

#[test]
fn one_large_step_crosses_every_state_it_covers() {
    let mut printer = SimPrinter::new("s");
    printer
        .start(job("gear"), plan(100.0, None))
        .expect("start");
    printer.advance(60.0 + 100.0 + 30.0, &TIMING);
    assert_eq!(printer.state(), GcodeState::Idle);
}

#[test]
fn a_planned_fault_stops_the_print_at_its_point_with_an_error_code() {
    let mut printer = SimPrinter::new("s");
    printer
        .start(job("clip"), plan(1000.0, Some(0.25)))
        .expect("start");
    printer.advance(60.0 + 249.0, &TIMING);
    assert_eq!(printer.state(), GcodeState::Running);
    printer.advance(1.0, &TIMING);
    assert_eq!(printer.state(), GcodeState::Failed);
    let status = printer.status();
    assert_eq!(
        (status.percent, status.print_error),
        (Some(25), Some(SIMULATED_FAULT))
    );
    printer.advance(30.0, &TIMING);
    assert_eq!(printer.state(), GcodeState::Idle);
}

#[test]
fn a_busy_printer_refuses_a_second_job() {
    let mut printer = SimPrinter::new("s");
    printer.start(job("a"), plan(100.0, None)).expect("start");
    let refused = printer.start(job("b"), plan(100.0, None));
    assert!(
        matches!(
            refused,
            Err(CommandError::Busy {
                state: "PREPARE",
                ..
            })
        ),
        "{refused:?}"
    );
}

#[test]
fn a_finished_printer_accepts_the_next_job_before_the_plate_timer_runs_out() {
    let mut printer = SimPrinter::new("s");
    printer.start(job("a"), plan(10.0, None)).expect("start");
    printer.advance(70.0, &TIMING);
    assert_eq!(printer.state(), GcodeState::Finish);
    printer.start(job("b"), plan(10.0, None)).expect("next job");
    assert_eq!(printer.state(), GcodeState::Prepare);
    assert_eq!(printer.status().percent, Some(0));
}

#[test]
fn pause_holds_progress_until_resume() {
    let mut printer = SimPrinter::new("s");
    printer.start(job("a"), plan(100.0, None)).expect("start");
    printer.advance(60.0 + 40.0, &TIMING);
    printer.pause().expect("pause while running");
    printer.advance(1000.0, &TIMING);
    assert_eq!(
        (printer.state(), printer.status().percent),
        (GcodeState::Pause, Some(40))
    );
    printer.resume().expect("resume");
    printer.advance(60.0, &TIMING);
    assert_eq!(printer.state(), GcodeState::Finish);
}

#[test]
fn stop_cancels_as_failed_without_an_error_code_and_idle_printers_refuse_it() {
    let mut printer = SimPrinter::new("s");
    assert!(printer.stop().is_err());
    assert!(printer.resume().is_err());
    printer.start(job("a"), plan(100.0, None)).expect("start");
    printer.stop().expect("stop");
    assert_eq!(
        (printer.state(), printer.status().print_error),
        (GcodeState::Failed, Some(0))
    );
}

#[test]
fn an_idle_printer_reports_idle_with_nothing_loaded() {
    let status = SimPrinter::new("s").status();
    assert_eq!(status.gcode_state, Some(GcodeState::Idle));
    assert_eq!(
        (status.percent, status.gcode_file, status.total_layer_num),
        (Some(0), None, Some(0))
    );
}
