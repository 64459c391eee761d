//! The gateway's LAN mode against simulated printers that behave like real
//! ones: each printer its own MQTT broker over TLS (self-signed certificate,
//! `bblp` + access code) and its own FTPS endpoint (implicit TLS), on
//! loopback. No shared broker, no database: outcomes are what the floor
//! reports through its one seam (`FarmEvents`).

mod lan_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use farm_sim::lan::{self, FailureRates, PrinterSettings};
use lan_support::*;
use printer_gateway::bambu::GcodeState;
use printer_gateway::bambu_lan::{ERROR_SPAGHETTI, print_state};
use printer_gateway::dispatch::{Attention, DispatchFailure, FarmEvent, Floor};
use printer_gateway::lan::Filament;
use printer_gateway::pinning::PinStore;
use printer_gateway::testing::unique_tag;

#[tokio::test(flavor = "multi_thread")]
async fn a_plate_is_sliced_uploaded_started_reported_and_finished() {
    // Speed 60: the slicer's minutes become seconds, long enough to measure.
    let mut p = start(PrinterSettings {
        speed: 60.0,
        ..settings(&serial("01P", 'S'), FailureRates::default())
    })
    .await;
    // The site configuration says PLA is loaded; the printer's AMS says PETG.
    let configured = Filament {
        material: "PLA".into(),
        color: "FFFFFFFF".into(),
    };
    p.config.filament = Some(configured.clone());
    let s = p.config.serial.clone();
    let (mut floor, rec) = floor(&[&p], PinStore::in_memory(), Duration::from_secs(20));
    let before = floor.loaded(&s);
    assert_eq!(
        before
            .iter()
            .map(|t| t.material.as_str())
            .collect::<Vec<_>>(),
        ["PLA"]
    );
    connected(&mut floor, &[&s]).await;
    let loaded = floor.loaded(&s);
    assert_eq!(
        loaded
            .iter()
            .map(|t| (t.material.as_str(), t.color.as_str()))
            .collect::<Vec<_>>(),
        [("PETG", "00AE42FF")]
    );

    // Sliced for real by PrusaSlicer (Debian package prusa-slicer), packaged
    // as a Bambu .gcode.3mf (farm-slicing).
    let order = farm_slicing::Plate {
        printer: farm_slicing::PrinterModel::P1S,
        material: "petg".into(),
        parts: vec![farm_slicing::PlatePart {
            part_id: "part_cube".into(),
            mesh: block_stl(15.0, 15.0, 15.0),
            unit: mesh_engine::Unit::Millimeter,
            center_mm: [128.0, 128.0],
        }],
    };
    let prepared = tokio::task::spawn_blocking(move || {
        printer_gateway::plates::prepare(
            &farm_slicing::PrusaSlicer::default(),
            "plate1",
            &order,
            &[Some("meshes/cube.stl".into())],
        )
    })
    .await
    .expect("slicing task")
    .expect("PrusaSlicer slices the cube");
    assert!(
        prepared.print_s > 60.0,
        "a 15 mm cube takes minutes: {}",
        prepared.print_s
    );
    assert_eq!(prepared.usage[0].part_id, "part_cube");

    let began = Instant::now();
    assert_eq!(
        floor
            .dispatch(prepared.plate.clone())
            .await
            .expect("dispatched"),
        s
    );
    until(
        &mut floor,
        &rec,
        Duration::from_secs(60),
        "the print to finish",
        |e| {
            e.iter()
                .any(|e| matches!(e, FarmEvent::PrintFinished { .. }))
        },
    )
    .await;
    // The printer runs for the G-code's own estimate over the speed factor.
    let took = began.elapsed().as_secs_f64();
    let speed = p.running.speed();
    let expected = (prepared.print_s + 60.0) / speed;
    println!(
        "plate printed in {took:.1} s of real time: slicer estimate {:.0} s + 60 s prepare, at speed {speed}: {expected:.1} s",
        prepared.print_s
    );
    assert!(
        took >= expected * 0.9 && took <= expected + 3.0,
        "took {took:.1} s, expected about {expected:.1} s"
    );
    let events = rec.events();
    assert!(events.contains(&FarmEvent::DispatchStarted {
        plate_id: "plate1".into(),
        serial: s.clone()
    }));
    assert!(events.contains(&FarmEvent::PrintFinished {
        plate_id: "plate1".into(),
        serial: s.clone()
    }));
    let progress: Vec<u8> = events
        .iter()
        .filter_map(|e| match e {
            FarmEvent::PrinterState {
                gcode_state: Some(GcodeState::Running),
                progress,
                ..
            } => Some(*progress),
            _ => None,
        })
        .collect();
    assert!(
        progress.len() >= 3 && progress.windows(2).all(|w| w[0] <= w[1]),
        "progress {progress:?}"
    );
    let state = floor.state(&s).expect("state");
    assert_eq!(
        state["print"]["layer_num"],
        state["print"]["total_layer_num"]
    );
    assert!(
        state["print"]["total_layer_num"]
            .as_u64()
            .is_some_and(|n| n >= 50),
        "15 mm in layers of 0.2 mm or so: {state}"
    );
    assert_eq!(
        state["print"]["gcode_file"],
        "file:///sdcard/plate1.gcode.3mf"
    );
    assert_eq!(p.running.machine().jobs_started(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delta_report_printers_merged_state_equals_a_full_report_printers() {
    let delta = start(settings(&serial("01P", 'E'), FailureRates::default())).await;
    let full = start(settings(&serial("00M", 'F'), FailureRates::default())).await;
    let (d, f) = (delta.config.serial.clone(), full.config.serial.clone());
    let (mut floor, rec) = floor(
        &[&delta, &full],
        PinStore::in_memory(),
        Duration::from_secs(20),
    );
    connected(&mut floor, &[&d, &f]).await;
    assert_eq!(
        print_state(&floor.state(&d).expect("delta state")),
        print_state(&floor.state(&f).expect("full state")),
        "idle states differ"
    );
    let same = plate("same");
    let first = floor.dispatch(same.clone()).await.expect("first printer");
    let second = floor.dispatch(same).await.expect("second printer");
    assert_ne!(first, second);
    until(
        &mut floor,
        &rec,
        Duration::from_secs(30),
        "both prints to finish",
        |e| {
            e.iter()
                .filter(|e| matches!(e, FarmEvent::PrintFinished { .. }))
                .count()
                == 2
        },
    )
    .await;
    floor.pump(Duration::from_millis(300)).await;
    let (sd, sf) = (
        floor.state(&d).expect("delta state"),
        floor.state(&f).expect("full state"),
    );
    assert_eq!(sd["print"]["gcode_state"], "FINISH");
    assert_eq!(print_state(&sd), print_state(&sf));
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_ignored_and_busy_printers_each_send_the_plate_elsewhere() {
    let refuses = start(settings(
        &serial("01P", 'A'),
        FailureRates {
            refuse: 1.0,
            ..Default::default()
        },
    ))
    .await;
    let ignores = start(settings(
        &serial("01P", 'B'),
        FailureRates {
            ignore: 1.0,
            ..Default::default()
        },
    ))
    .await;
    let busy = start(PrinterSettings {
        report_every: Duration::from_secs(120),
        ..settings(&serial("01P", 'C'), FailureRates::default())
    })
    .await;
    let good = start(settings(&serial("01P", 'D'), FailureRates::default())).await;
    let all = [&refuses, &ignores, &busy, &good];
    let serials: Vec<String> = all.iter().map(|p| p.config.serial.clone()).collect();
    let (mut floor, rec) = floor(&all, PinStore::in_memory(), Duration::from_secs(3));
    connected(
        &mut floor,
        &serials.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await;
    // Someone starts a job at the busy printer's screen; its next report is
    // two minutes away, so the gateway still believes it idle.
    busy.running.machine().start(
        "file:///sdcard/local.gcode.3mf",
        "local",
        3600.0,
        10,
        lan::machine::Fate::Finish,
    );

    let placed = floor
        .dispatch(plate("elsewhere"))
        .await
        .expect("the good printer takes it");
    assert_eq!(placed, serials[3]);
    let failures: Vec<(String, DispatchFailure)> = rec
        .events()
        .into_iter()
        .filter_map(|e| match e {
            FarmEvent::DispatchFailed {
                serial,
                failure,
                plate_id,
            } if plate_id == "elsewhere" => Some((serial, failure)),
            _ => None,
        })
        .collect();
    assert!(
        matches!(&failures[0], (s, DispatchFailure::Refused { .. }) if *s == serials[0]),
        "{failures:?}"
    );
    assert_eq!(
        failures[1],
        (
            serials[1].clone(),
            DispatchFailure::NoStart(Duration::from_secs(3))
        )
    );
    assert_eq!(failures[2], (serials[2].clone(), DispatchFailure::Busy));
    assert_eq!(failures.len(), 3);
    for s in &serials[..3] {
        assert!(
            matches!(floor.attention(s), Some(Attention::Dispatch(_))),
            "{s} not marked for attention"
        );
    }
    until(
        &mut floor,
        &rec,
        Duration::from_secs(30),
        "the plate to finish on the good printer",
        |e| {
            e.contains(&FarmEvent::PrintFinished {
                plate_id: "elsewhere".into(),
                serial: serials[3].clone(),
            })
        },
    )
    .await;
    assert!(
        !rec.events()
            .iter()
            .any(|e| matches!(e, FarmEvent::PrintFailed { .. })),
        "a dispatch failure became a print failure"
    );
    assert_eq!(refuses.running.machine().jobs_started(), 0);
    assert_eq!(ignores.running.machine().jobs_started(), 0);
    assert_eq!(
        busy.running.machine().jobs_started(),
        1,
        "only the local job"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancel_is_recorded_as_cancelled_and_not_reprinted() {
    let p = start(settings(&serial("01P", 'X'), FailureRates::default())).await;
    let s = p.config.serial.clone();
    let (mut floor, rec) = floor(&[&p], PinStore::in_memory(), Duration::from_secs(20));
    connected(&mut floor, &[&s]).await;
    floor.dispatch(plate("cancelme")).await.expect("dispatched");
    floor.cancel(&s).await.expect("stop sent");
    until(
        &mut floor,
        &rec,
        Duration::from_secs(20),
        "the cancel",
        |e| {
            e.iter()
                .any(|e| matches!(e, FarmEvent::PrintCancelled { .. }))
        },
    )
    .await;
    floor.pump(Duration::from_secs(2)).await;
    let events = rec.events();
    assert!(events.contains(&FarmEvent::PrintCancelled {
        plate_id: "cancelme".into(),
        serial: s.clone(),
        by_farm: true
    }));
    assert!(!events.iter().any(|e| matches!(
        e,
        FarmEvent::PrintFailed { .. } | FarmEvent::DispatchFailed { .. }
    )));
    assert_eq!(
        p.running.machine().state(),
        GcodeState::Failed,
        "FAILED stays until a stop"
    );
    assert_eq!(
        p.running.machine().jobs_started(),
        1,
        "the cancelled plate was printed again"
    );
    // The next plate: FAILED is cleared with `stop` first, then it starts.
    floor
        .dispatch(plate("next"))
        .await
        .expect("next plate after a stop");
    assert_eq!(p.running.machine().jobs_started(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pause_class_fault_is_reported_as_needing_attention() {
    let p = start(settings(
        &serial("01P", 'P'),
        FailureRates {
            pause_fault: 1.0,
            ..Default::default()
        },
    ))
    .await;
    let s = p.config.serial.clone();
    let (mut floor, rec) = floor(&[&p], PinStore::in_memory(), Duration::from_secs(20));
    connected(&mut floor, &[&s]).await;
    floor
        .dispatch(plate("spaghetti"))
        .await
        .expect("dispatched");
    until(
        &mut floor,
        &rec,
        Duration::from_secs(30),
        "the fault",
        |e| {
            e.iter().any(|e| {
                matches!(
                    e,
                    FarmEvent::NeedsAttention {
                        attention: Attention::PauseFault { .. },
                        ..
                    }
                )
            })
        },
    )
    .await;
    assert_eq!(
        floor.attention(&s),
        Some(&Attention::PauseFault {
            print_error: ERROR_SPAGHETTI
        })
    );
    assert_eq!(
        p.running.machine().state(),
        GcodeState::Pause,
        "a pause-class fault waits for resume or stop"
    );
    assert!(!rec.events().iter().any(|e| matches!(
        e,
        FarmEvent::PrintFailed { .. } | FarmEvent::PrintFinished { .. }
    )));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_certificate_raises_an_alarm_and_the_gateway_stops_talking_to_the_printer() {
    let s = serial("01P", 'C');
    let pin_file = std::env::temp_dir().join(format!("pins-{}.json", unique_tag()));
    let original = start(settings(&s, FailureRates::default())).await;
    {
        let (mut floor, _) = floor(
            &[&original],
            PinStore::open(&pin_file).expect("pins"),
            Duration::from_secs(5),
        );
        connected(&mut floor, &[&s]).await;
    }
    let pinned = PinStore::open(&pin_file).expect("pins").get(&s);
    assert_eq!(
        pinned.as_deref(),
        Some(original.running.fingerprint.as_str()),
        "pinned on first contact"
    );

    // The same printer (serial, access code) now answers with another certificate.
    let replaced = start(PrinterSettings {
        access_code: original.config.access_code.expose().to_owned(),
        ..settings(&s, FailureRates::default())
    })
    .await;
    assert_ne!(replaced.running.fingerprint, original.running.fingerprint);
    let (mut floor, rec) = floor(
        &[&replaced],
        PinStore::open(&pin_file).expect("pins"),
        Duration::from_secs(5),
    );
    until(
        &mut floor,
        &rec,
        Duration::from_secs(20),
        "the certificate alarm",
        |e| {
            e.iter().any(|e| {
                matches!(
                    e,
                    FarmEvent::NeedsAttention {
                        attention: Attention::CertificateChanged { .. },
                        ..
                    }
                )
            })
        },
    )
    .await;
    assert_eq!(
        floor.attention(&s),
        Some(&Attention::CertificateChanged {
            pinned: original.running.fingerprint.clone(),
            presented: replaced.running.fingerprint.clone()
        })
    );
    // It stays stopped: no reconnect attempts, no reports, no work.
    floor.pump(Duration::from_secs(3)).await;
    assert_eq!(rec.events().len(), 1, "{:#?}", rec.events());
    assert!(
        floor.state(&s).is_some_and(|v| v.get("print").is_none()),
        "a report from the untrusted printer was used"
    );
    assert!(floor.dispatch(plate("never")).await.is_err());
    assert_eq!(replaced.running.machine().jobs_started(), 0);
    assert_eq!(
        PinStore::open(&pin_file).expect("pins").get(&s),
        pinned,
        "the pin was not replaced"
    );
    let _ = std::fs::remove_file(pin_file);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_printer_that_comes_up_late_is_reached_by_the_retries() {
    let late = settings(&serial("01P", 'L'), FailureRates::default());
    let config = farm_sim::testing::lan_printer(&late);
    let recorder = Arc::new(Recorder::default());
    let mut floor = Floor::start(
        &[config],
        &format!("gw-{}", unique_tag()),
        PinStore::in_memory(),
        recorder.clone(),
        Duration::from_secs(5),
    );
    // Nobody listens yet: the link fails and backs off (1 s, then 2 s).
    floor.pump(Duration::from_millis(1500)).await;
    assert!(
        floor
            .state(&late.serial)
            .is_some_and(|v| v.get("print").is_none())
    );
    let _printer = lan::start(late.clone())
        .await
        .expect("the printer comes up");
    let began = Instant::now();
    connected(&mut floor, &[&late.serial]).await;
    println!(
        "reached {:.1} s after the printer came up",
        began.elapsed().as_secs_f64()
    );
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "the retry came later than the backoff says"
    );
}
