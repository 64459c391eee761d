use super::*;

fn print_status(payload: &str) -> PrintStatus {
    match parse_report(payload.as_bytes()).expect("a valid report") {
        Report::Print(status) => status,
        Report::Other => panic!("expected a print report from {payload}"),
    }
}

#[test]
fn a_full_push_status_report_is_parsed_field_by_field() {
    let status = print_status(
        r#"{"print":{"command":"push_status","msg":0,"sequence_id":"2001",
            "gcode_state":"RUNNING","mc_percent":42,"mc_remaining_time":73,
            "gcode_file":"/sdcard/bracket.3mf","subtask_name":"bracket",
            "layer_num":12,"total_layer_num":180,"print_error":0,
            "nozzle_temper":219.5,"bed_temper":60.0,"wifi_signal":"-44dBm"}}"#,
    );
    assert_eq!(
        status,
        PrintStatus {
            gcode_state: Some(GcodeState::Running),
            percent: Some(42),
            remaining_minutes: Some(73),
            gcode_file: Some("/sdcard/bracket.3mf".into()),
            subtask_name: Some("bracket".into()),
            layer_num: Some(12),
            total_layer_num: Some(180),
            print_error: Some(0),
        }
    );
}

#[test]
fn every_gcode_state_word_round_trips_and_unknown_words_are_none() {
    for word in [
        "IDLE", "PREPARE", "SLICING", "RUNNING", "PAUSE", "FINISH", "FAILED",
    ] {
        let state = GcodeState::parse(word).expect(word);
        assert_eq!(state.as_str(), word);
    }
    assert_eq!(GcodeState::parse("INIT"), None);
    assert_eq!(GcodeState::parse("running"), None);
}

#[test]
fn a_partial_report_leaves_missing_fields_none() {
    let status = print_status(r#"{"print":{"command":"push_status","mc_percent":7}}"#);
    assert_eq!(status.percent, Some(7));
    assert_eq!(status.gcode_state, None);
    assert_eq!(status.remaining_minutes, None);
}

#[test]
fn odd_numbers_are_clamped_or_dropped_instead_of_failing_the_report() {
    let check = |payload: &str, percent: Option<u8>, remaining: Option<u32>| {
        let status = print_status(payload);
        assert_eq!(
            (status.percent, status.remaining_minutes),
            (percent, remaining),
            "{payload}"
        );
    };
    check(r#"{"print":{"mc_percent":150}}"#, Some(100), None);
    check(r#"{"print":{"mc_percent":-3}}"#, Some(0), None);
    check(r#"{"print":{"mc_remaining_time":-1}}"#, None, None);
    check(
        r#"{"print":{"mc_percent":100,"mc_remaining_time":0}}"#,
        Some(100),
        Some(0),
    );
}

#[test]
fn an_unknown_state_word_is_ignored_but_the_rest_is_kept() {
    let status = print_status(r#"{"print":{"gcode_state":"INIT","mc_percent":3}}"#);
    assert_eq!(status.gcode_state, None);
    assert_eq!(status.percent, Some(3));
}

#[test]
fn messages_without_a_print_object_are_other() {
    for payload in [
        r#"{"info":{"command":"get_version","module":[]}}"#,
        r#"{"system":{"command":"ledctrl"}}"#,
        r#"{}"#,
    ] {
        assert_eq!(
            parse_report(payload.as_bytes()).expect(payload),
            Report::Other
        );
    }
}

#[test]
fn malformed_payloads_are_errors_not_panics() {
    for payload in [
        "",
        "not json",
        "[1,2]",
        r#"{"print":{"mc_percent":"fifty"}}"#,
        r#"{"print":7}"#,
    ] {
        assert!(
            matches!(
                parse_report(payload.as_bytes()),
                Err(BambuError::Malformed(_))
            ),
            "{payload}"
        );
    }
}

#[test]
fn empty_file_names_count_as_absent() {
    let status = print_status(r#"{"print":{"gcode_file":"","subtask_name":""}}"#);
    assert_eq!((status.gcode_file, status.subtask_name), (None, None));
}

#[test]
fn a_report_written_by_to_report_json_parses_back_to_the_same_status() {
    let status = PrintStatus {
        gcode_state: Some(GcodeState::Prepare),
        percent: Some(0),
        remaining_minutes: Some(95),
        gcode_file: Some("/sdcard/gear.3mf".into()),
        subtask_name: Some("gear".into()),
        layer_num: Some(0),
        total_layer_num: Some(320),
        print_error: Some(0),
    };
    let json = status.to_report_json(17);
    assert!(json.contains(r#""command":"push_status""#), "{json}");
    assert_eq!(
        parse_report(json.as_bytes()).expect("own report"),
        Report::Print(status)
    );
}

#[test]
fn topics_name_the_printer_serial() {
    assert_eq!(
        serial_from_report_topic("device/01P00A123/report").expect("report topic"),
        "01P00A123"
    );
    assert_eq!(
        serial_from_request_topic(&request_topic("00M1")).expect("request topic"),
        "00M1"
    );
    assert_eq!(report_topic("X"), "device/X/report");
    for topic in [
        "device//report",
        "device/a/b/report",
        "dev/a/report",
        "device/a/request",
        "device/a",
    ] {
        assert!(serial_from_report_topic(topic).is_err(), "{topic}");
    }
}

#[test]
fn a_project_file_request_round_trips_through_json() {
    let request = Request::ProjectFile(ProjectFile {
        url: "file:///sdcard/part.3mf".into(),
        plate: "Metadata/plate_1.gcode".into(),
        subtask_name: "part".into(),
    });
    let json = request.to_json(5);
    assert!(json.contains(r#""command":"project_file""#), "{json}");
    assert_eq!(
        parse_request(json.as_bytes()).expect("own request"),
        request
    );
    for simple in [Request::Pause, Request::Resume, Request::Stop] {
        assert_eq!(
            parse_request(simple.to_json(1).as_bytes()).expect("simple"),
            simple
        );
    }
}

#[test]
fn unsupported_or_malformed_requests_are_errors() {
    assert!(matches!(
        parse_request(br#"{"print":{"command":"gcode_line","param":"G28"}}"#),
        Err(BambuError::UnsupportedCommand { command }) if command == "gcode_line"
    ));
    assert!(matches!(
        parse_request(br#"{"system":{}}"#),
        Err(BambuError::UnsupportedCommand { .. })
    ));
    assert!(matches!(parse_request(b"{"), Err(BambuError::Malformed(_))));
}

#[test]
fn the_model_comes_from_the_serial_prefix() {
    assert_eq!(model_from_serial("01P00A000000001"), "P1S");
    assert_eq!(model_from_serial("00M09A000000001"), "X1C");
    assert_eq!(model_from_serial("039"), "A1");
    assert_eq!(model_from_serial("ZZ"), "unknown");
}
