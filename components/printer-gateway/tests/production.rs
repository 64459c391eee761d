//! The production loop end to end (issues 11 and 12, gateway side): real
//! simulated Bambu printers in LAN mode (each its own TLS broker and FTPS
//! endpoint), a stand-in of the app's plate routes (`support::fake_app`,
//! the plate contract), real PrusaSlicer. What the gateway does is read
//! back from what the app received and from the printer itself.

mod support;

use std::time::Duration;

use farm_sim::lan::FailureRates;
use printer_gateway::production;
use serde_json::json;
use support::*;

/// The extent and centre of `points` along x and y.
fn extent(points: &[[f64; 2]]) -> ([f64; 2], [f64; 2]) {
    let mut lo = [f64::INFINITY; 2];
    let mut hi = [f64::NEG_INFINITY; 2];
    for p in points {
        for k in 0..2 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    (
        [hi[0] - lo[0], hi[1] - lo[1]],
        [(hi[0] + lo[0]) / 2.0, (hi[1] + lo[1]) / 2.0],
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_claimed_plate_of_two_parts_is_sliced_printed_reported_inspected_and_cleared() {
    let site = OnePrinter::start(300.0, FailureRates::default()).await;
    let (app, settings, running) = (&site.app, &site.settings, &site.running);
    app.queue_plate(cube_and_bar());
    let _gateway = site.gateway(&site.env("0.5", &[]));

    until(Duration::from_secs(180), "the plate to be cleared", || {
        !app.state().clears.is_empty()
    })
    .await;
    let events = plate_events(app);
    assert_eq!(
        kinds(&events),
        ["task_started", "task_finished", "inspection", "inspection"],
        "{events:#?}"
    );
    let plate_id = events[0]["plate_id"].as_str().expect("plate id").to_owned();
    assert!(events.iter().all(|e| e["plate_id"] == plate_id.as_str()));
    let plate = app.state().plates[&plate_id].clone();
    let tasks: Vec<i64> = plate["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .map(|p| p["task_id"].as_i64().expect("task id"))
        .collect();

    // The claim said what the printer's AMS holds: PLA in black (000000FF).
    let claims = app.state().claims.clone();
    assert_eq!(
        claims[0].1["loaded"],
        json!([{"material": "pla", "color": "black"}])
    );
    assert_eq!(claims[0].2, "claimed");

    // The plate the printer received by FTPS, read back from its SD card.
    let package = std::fs::read(
        settings
            .dir
            .join("sdcard")
            .join(format!("{plate_id}.gcode.3mf")),
    )
    .expect("the plate on the printer's SD card");
    let estimate =
        farm_sim::lan::gcode::read_plate(&package, "Metadata/plate_1.gcode").expect("plate");

    // task_finished: the slicer's figures, split by part volume: the cube
    // is 3375 mm³, the bar 1800 mm³.
    let finished = &events[1]["detail"];
    let print_s = finished["print_s"].as_f64().expect("print_s");
    assert!(
        (print_s - estimate.estimated_secs).abs() <= 1.0,
        "{print_s} vs the G-code's own {}",
        estimate.estimated_secs
    );
    let usage = finished["usage"].as_array().expect("usage");
    let of = |task: i64, field: &str| -> f64 {
        usage
            .iter()
            .find(|u| u["task_id"] == task)
            .and_then(|u| u[field].as_f64())
            .unwrap_or_else(|| panic!("no {field} for task {task}: {usage:?}"))
    };
    let ratio = of(tasks[0], "grams") / of(tasks[1], "grams");
    assert!(
        (ratio - 3375.0 / 1800.0).abs() < 0.01,
        "grams ratio {ratio}"
    );
    assert!(of(tasks[0], "grams") > 1.0, "{usage:?}");
    let split: f64 = tasks.iter().map(|t| of(*t, "print_s")).sum();
    assert!(
        (split - print_s).abs() < 1e-6 * print_s,
        "{split} vs {print_s}"
    );

    // Placed where the scheduler said, the bar turned a quarter: the
    // printed moves above the first millimetre, per part.
    let points = printed_points(&package, 1.0);
    let (left, right): (Vec<_>, Vec<_>) = points.iter().partition(|p| p[0] < 120.0);
    let (size, centre) = extent(&left);
    println!("cube printed {size:?} around {centre:?}");
    assert!(
        (size[0] - 15.0).abs() < 1.0 && (size[1] - 15.0).abs() < 1.0,
        "{size:?}"
    );
    assert!(
        (centre[0] - 70.0).abs() < 0.5 && (centre[1] - 128.0).abs() < 0.5,
        "{centre:?}"
    );
    let (size, centre) = extent(&right);
    println!("bar (30 x 10, turned 90°) printed {size:?} around {centre:?}");
    assert!(
        (size[0] - 10.0).abs() < 1.0 && (size[1] - 30.0).abs() < 1.0,
        "{size:?}"
    );
    assert!(
        (centre[0] - 170.0).abs() < 0.5 && (centre[1] - 128.0).abs() < 0.5,
        "{centre:?}"
    );

    // One inspection per task, its four photos uploaded first, as PNG.
    let photos = app.state().photos.clone();
    for (event, task) in events[2..].iter().zip(&tasks) {
        assert_eq!(event["task_id"], *task);
        let detail = &event["detail"];
        assert_eq!(
            (detail["passed"].clone(), detail["source"].clone()),
            (json!(true), json!("simulated"))
        );
        assert_eq!(
            detail["photos"],
            json!(["iso.png", "front.png", "side.png", "top.png"])
        );
        for name in ["iso.png", "front.png", "side.png", "top.png"] {
            let png = photos.get(&(*task, name.to_owned())).expect("uploaded");
            assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 1000);
        }
    }
    // The clear came after the finish and the inspections were in.
    let timeline = app.state().timeline.clone();
    let clear_at = timeline.iter().position(|k| k == "clear").expect("clear");
    assert_eq!(
        timeline[..clear_at]
            .iter()
            .filter(|k| *k == "inspection")
            .count(),
        2,
        "{timeline:?}"
    );
    assert_eq!(app.status(&settings.serial), "idle");
    assert_eq!(running.machine().jobs_started(), 1);
    // The cleared printer asks for work again.
    let asked = claims.len();
    until(Duration::from_secs(10), "a claim after the clear", || {
        app.state().claims[asked..]
            .iter()
            .any(|c| c.2 == "queue_empty")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refusing_printer_yields_dispatch_failed_and_the_plate_goes_back() {
    let refuse = FailureRates {
        refuse: 1.0,
        ..FailureRates::default()
    };
    let site = OnePrinter::start(300.0, refuse).await;
    let (app, settings, running) = (&site.app, &site.settings, &site.running);
    app.queue_plate(cube_and_bar()[..1].to_vec());
    let _gateway = site.gateway(&site.env("", &[]));

    until(Duration::from_secs(120), "dispatch_failed", || {
        !app.events_of("dispatch_failed").is_empty()
    })
    .await;
    let failed = app.events_of("dispatch_failed");
    let reason = failed[0]["detail"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("refused"), "{reason}");
    assert!(app.events_of("task_started").is_empty());
    assert_eq!(app.status(&settings.serial), "needs_attention");
    assert_eq!(app.queued(), 1, "the tasks are queued again");
    // Flagged: it keeps asking and hears needs_attention until a person acts.
    until(Duration::from_secs(10), "a needs_attention answer", || {
        app.state().claims.iter().any(|c| c.2 == "needs_attention")
    })
    .await;
    assert_eq!(running.machine().jobs_started(), 0);
    assert_eq!(app.events_of("dispatch_failed").len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancel_yields_task_cancelled_and_the_printer_takes_work_again() {
    // Speed 20: the cube prints for about a minute, time enough to cancel.
    let site = OnePrinter::start(20.0, FailureRates::default()).await;
    let (app, settings, running) = (&site.app, &site.settings, &site.running);
    app.queue_plate(cube_and_bar()[..1].to_vec());
    let gateway = site.gateway(&site.env("", &[]));

    until(Duration::from_secs(120), "task_started", || {
        !app.events_of("task_started").is_empty()
    })
    .await;
    production::cancel(&gateway.floor, &settings.serial)
        .await
        .expect("stop sent");
    until(Duration::from_secs(30), "task_cancelled", || {
        !app.events_of("task_cancelled").is_empty()
    })
    .await;
    let cancelled = app.events_of("task_cancelled");
    assert_eq!(cancelled[0]["detail"]["cancelled_at"], "gateway");
    assert!(app.events_of("task_failed").is_empty() && app.events_of("task_finished").is_empty());
    let asked = app.state().claims.len();
    until(Duration::from_secs(10), "a claim after the cancel", || {
        app.state().claims.len() > asked
    })
    .await;
    assert_eq!(running.machine().jobs_started(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_print_fault_yields_task_failed_with_the_printers_code() {
    let fault = FailureRates {
        stop_fault: 1.0,
        ..FailureRates::default()
    };
    let site = OnePrinter::start(300.0, fault).await;
    let (app, running) = (&site.app, &site.running);
    app.queue_plate(cube_and_bar()[..1].to_vec());
    let _gateway = site.gateway(&site.env("0.5", &[]));

    until(Duration::from_secs(120), "task_failed", || {
        !app.events_of("task_failed").is_empty()
    })
    .await;
    let failed = app.events_of("task_failed");
    // The simulated printer stops with HMS 0300_4002, a stop-class fault.
    assert_eq!(failed[0]["detail"]["print_error"], 0x0300_4002);
    let asked = app.state().claims.len();
    until(Duration::from_secs(10), "a claim after the failure", || {
        app.state().claims.len() > asked
    })
    .await;
    assert_eq!(
        kinds(&plate_events(app)),
        ["task_started", "task_failed"],
        "a failed print is not inspected nor cleared"
    );
    assert!(app.state().clears.is_empty());
    assert_eq!(running.machine().jobs_started(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_printer_taken_busy_after_the_claim_yields_dispatch_failed() {
    let site = OnePrinter::start(300.0, FailureRates::default()).await;
    let (app, settings, running) = (&site.app, &site.settings, &site.running);
    app.queue_plate(cube_and_bar()[..1].to_vec());
    // Someone starts a job at the printer's screen while the plate is sliced.
    let printer = std::sync::Arc::clone(running);
    app.on_lease(move || {
        let started = printer.machine().start(
            "file:///sdcard/own.gcode.3mf",
            "own",
            3600.0,
            100,
            farm_sim::lan::machine::Fate::Finish,
        );
        assert_eq!(started, farm_sim::lan::machine::Reply::Success);
    });
    let _gateway = site.gateway(&site.env("", &[]));

    until(Duration::from_secs(120), "dispatch_failed", || {
        !app.events_of("dispatch_failed").is_empty()
    })
    .await;
    let reason = app.events_of("dispatch_failed")[0]["detail"]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(reason.contains("busy"), "{reason}");
    assert!(app.events_of("task_started").is_empty());
    assert_eq!(app.status(&settings.serial), "needs_attention");
    assert_eq!(running.machine().jobs_started(), 1, "only the person's job");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_part_failing_inspection_shows_its_defect_and_the_plate_is_still_cleared() {
    let site = OnePrinter::start(300.0, FailureRates::default()).await;
    let app = &site.app;
    app.queue_plate(cube_and_bar()[..1].to_vec());
    let _gateway = site.gateway(&site.env("0", &[("FARM_SIM_INSPECTION_FAIL_RATE", "1")]));
    until(Duration::from_secs(120), "the plate to be cleared", || {
        !app.state().clears.is_empty()
    })
    .await;
    let inspection = app.events_of("inspection").remove(0);
    let detail = &inspection["detail"];
    assert_eq!(detail["passed"], false);
    let defect = detail["defect"].as_str().unwrap_or_default();
    assert!(["layer_shift", "stringing"].contains(&defect), "{detail}");
    let task = inspection["task_id"].as_i64().expect("task");
    let photos = app.state().photos.clone();
    assert_eq!(photos.keys().filter(|(t, _)| *t == task).count(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mesh_is_downloaded_within_its_bound_and_a_missing_one_is_worth_a_retry() {
    use printer_gateway::claims::ClaimedPart;
    use printer_gateway::meshes::{MeshError, MeshFetcher};

    let app = FakeApp::start().await;
    let cube = block_stl(15.0, 15.0, 15.0);
    app.serve_mesh("cube.stl", cube.clone());
    let part = |name: &str| ClaimedPart {
        task_id: 1,
        job_id: "job".into(),
        file_id: "file".into(),
        mesh_url: format!("{}/meshes/{name}", app.url),
        format: "stl".into(),
        unit: "mm".into(),
        center_mm: [100.0, 100.0],
        rotation_deg: 0.0,
        estimated_hours: 1.0,
        attempt: 1,
    };
    let fits = MeshFetcher::new(cube.len() as u64);
    assert_eq!(fits.fetch(&part("cube.stl")).await.expect("fits"), cube);
    let small = MeshFetcher::new(cube.len() as u64 - 1);
    let too_large = small.fetch(&part("cube.stl")).await.expect_err("bounded");
    assert!(
        matches!(too_large, MeshError::TooLarge { .. }),
        "{too_large}"
    );
    assert!(!too_large.is_transient());
    let missing = fits.fetch(&part("gone.stl")).await.expect_err("404");
    assert!(missing.is_transient(), "{missing}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plate_that_cannot_be_sliced_goes_back_as_dispatch_failed() {
    let site = OnePrinter::start(300.0, FailureRates::default()).await;
    let (app, running) = (&site.app, &site.running);
    // Centred 5 mm from the bed's corner: half the cube is off the bed.
    app.queue_plate(vec![PartSpec {
        mesh: "cube.stl".into(),
        center_mm: [5.0, 5.0],
        rotation_deg: 0.0,
    }]);
    let _gateway = site.gateway(&site.env("", &[]));
    until(Duration::from_secs(60), "dispatch_failed", || {
        !app.events_of("dispatch_failed").is_empty()
    })
    .await;
    let reason = app.events_of("dispatch_failed")[0]["detail"]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        reason.contains("slicing") && reason.contains("off the"),
        "{reason}"
    );
    assert_eq!(running.machine().jobs_started(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mesh_that_cannot_be_downloaded_is_claimed_three_times_then_goes_back() {
    let site = OnePrinter::start(300.0, FailureRates::default()).await;
    let (app, running) = (&site.app, &site.running);
    // The store does not have the mesh (404 on every try).
    app.queue_plate(vec![PartSpec {
        mesh: "missing.stl".into(),
        center_mm: [70.0, 128.0],
        rotation_deg: 0.0,
    }]);
    let _gateway = site.gateway(&site.env("", &[]));
    until(Duration::from_secs(60), "dispatch_failed", || {
        !app.events_of("dispatch_failed").is_empty()
    })
    .await;
    let claimed = app
        .state()
        .claims
        .iter()
        .filter(|c| c.2 == "claimed")
        .count();
    assert_eq!(
        claimed, 3,
        "the same plate claimed again after each failed download"
    );
    assert_eq!(app.state().plates.len(), 1, "one plate, leased again");
    let reason = app.events_of("dispatch_failed")[0]["detail"]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        reason.contains("404") && reason.contains("3 tries"),
        "{reason}"
    );
    assert_eq!(running.machine().jobs_started(), 0);
}

/// A plate that finished before this gateway started (another run, a fresh
/// spool) leaves its printer `awaiting_clear`. With a plate changer (auto
/// clear) the gateway clears it after the delay and the queued plate then
/// prints; without one, the printer waits for a person.
#[tokio::test(flavor = "multi_thread")]
async fn a_plate_left_from_before_is_cleared_by_the_plate_changer_and_work_flows() {
    for auto_clear in ["0.5", ""] {
        let site = OnePrinter::start(300.0, FailureRates::default()).await;
        let (app, serial) = (&site.app, site.settings.serial.clone());
        app.set_status(&serial, "awaiting_clear");
        app.queue_plate(cube_and_bar()[..1].to_vec());
        let _gateway = site.gateway(&site.env(auto_clear, &[]));
        if auto_clear.is_empty() {
            until(Duration::from_secs(30), "three claims", || {
                app.state().claims.len() >= 3
            })
            .await;
            assert_eq!(app.queued(), 1, "nothing printed");
            let s = app.state();
            assert!(s.clears.is_empty(), "no plate changer, no clear");
            assert!(s.claims.iter().all(|c| c.2 == "awaiting_clear"));
            continue;
        }
        until(
            Duration::from_secs(180),
            "the new plate printed and cleared",
            || app.state().clears.len() >= 2,
        )
        .await;
        let timeline = app.state().timeline.clone();
        let at = |kind: &str| timeline.iter().position(|k| k == kind);
        assert!(
            matches!((at("clear"), at("task_started")), (Some(c), Some(t)) if c < t),
            "the left plate is cleared before the next starts: {timeline:?}"
        );
        assert_eq!(app.status(&serial), "idle");
    }
}

/// The app has a plate printing on a printer that is idle, and the gateway
/// never dispatched it (a restart with a fresh spool, another run): its
/// end will never come. The gateway reports it lost once (needs_attention
/// naming the plate), and the printer then waits for a person instead of
/// answering `busy` forever.
#[tokio::test(flavor = "multi_thread")]
async fn a_plate_the_app_thinks_is_printing_on_an_idle_printer_is_reported_lost() {
    let site = OnePrinter::start(300.0, FailureRates::default()).await;
    let (app, serial) = (&site.app, site.settings.serial.clone());
    let plate = "plate_0000000000000000000000000000beef";
    app.printing_from_before(&serial, plate);
    let _gateway = site.gateway(&site.env("0.5", &[]));
    until(Duration::from_secs(60), "the printer flagged", || {
        app.status(&serial) == "needs_attention"
    })
    .await;
    until(Duration::from_secs(30), "a claim after the report", || {
        app.state().claims.iter().any(|c| c.2 == "needs_attention")
    })
    .await;
    let lost = app.events_of("needs_attention");
    assert_eq!(lost.len(), 1, "{lost:#?}");
    assert_eq!(lost[0]["plate_id"], plate);
    assert!(app.events_of("task_started").is_empty());
}
