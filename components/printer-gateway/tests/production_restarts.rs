//! The production loop across restarts (issue 11 item 3, issue 12): the
//! real gateway binary killed (SIGKILL) at the moments that matter and
//! started again, against simulated LAN printers in this process and the
//! stand-in of the app's plate routes. A plate is never dispatched twice,
//! its end is reported exactly once, and an end nobody saw is flagged.

mod support;

use std::time::Duration;

use farm_sim::lan::FailureRates;
use support::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_gateway_killed_mid_print_neither_dispatches_again_nor_loses_the_finish() {
    // Speed 60: the cube prints for about 20 s.
    let site = OnePrinter::start(60.0, FailureRates::default()).await;
    let (app, running) = (&site.app, &site.running);
    app.queue_plate(cube_and_bar()[..1].to_vec());
    let env = site.env("0.5", &[]);
    let log = site.dir.path().join("gateway.log");

    let first = Binary::start(&env, log.clone());
    until(Duration::from_secs(120), "task_started", || {
        !app.events_of("task_started").is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        running.machine().state(),
        printer_gateway::bambu::GcodeState::Running,
        "killed mid-print"
    );
    first.kill();
    let claims_before = app.state().claims.len();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let second = Binary::start(&env, log);
    until(Duration::from_secs(120), "the plate to be cleared", || {
        !app.state().clears.is_empty()
    })
    .await;
    let events = plate_events(app);
    println!(
        "after the kill: {:?}, {} duplicate(s) ignored by id",
        kinds(&events),
        app.state().duplicates
    );
    assert_eq!(
        kinds(&events),
        ["task_started", "task_finished", "inspection"],
        "each outcome exactly once: {}",
        second.log()
    );
    assert_eq!(running.machine().jobs_started(), 1, "no second dispatch");
    // The restarted gateway followed its plate: it claimed nothing new
    // until the plate was cleared.
    let claimed = app
        .state()
        .claims
        .iter()
        .filter(|c| c.2 == "claimed")
        .count();
    assert_eq!(
        claimed,
        1,
        "claims after the restart: {:?}",
        &app.state().claims[claims_before..]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gateway_killed_between_project_file_and_its_record_follows_the_plate_it_sent() {
    use printer_gateway::claims::ClaimedPlate;
    use printer_gateway::dispatch::Floor;
    use printer_gateway::lan::load_site_printers;
    use printer_gateway::ledger::{Ledger, Phase};
    use printer_gateway::pinning::PinStore;

    let site = OnePrinter::start(60.0, FailureRates::default()).await;
    let (app, settings, running) = (&site.app, &site.settings, &site.running);
    app.queue_plate(cube_and_bar()[..1].to_vec());
    let env = site.env("0.5", &[]);

    // What a gateway killed right after project_file leaves behind: the
    // ledger says Sent, the printer got the plate and started it.
    let link = printer_gateway::link::AppLink::new(
        &app.url,
        printer_gateway::Secret::new(app.token.clone()),
    );
    let answer = link.claim(&settings.serial, &[]).await.expect("claim");
    let plate: ClaimedPlate = answer.plate.expect("a plate");
    {
        let spool =
            printer_gateway::Spool::open(&site.dir.path().join("spool.redb")).expect("spool");
        let ledger = Ledger::open(&spool).expect("ledger");
        let mut record = ledger.begin(&settings.serial, &plate).expect("begin");
        let order = farm_slicing::Plate {
            printer: farm_slicing::PrinterModel::P1S,
            material: "pla".into(),
            parts: vec![farm_slicing::PlatePart {
                part_id: plate.parts[0].task_id.to_string(),
                mesh: block_stl(15.0, 15.0, 15.0),
                unit: mesh_engine::Unit::Millimeter,
                center_mm: plate.parts[0].center_mm,
            }],
        };
        let id = plate.id.clone();
        let prepared = tokio::task::spawn_blocking(move || {
            printer_gateway::plates::prepare(
                &farm_slicing::PrusaSlicer::default(),
                &id,
                &order,
                &[None],
            )
        })
        .await
        .expect("task")
        .expect("sliced");
        record.phase = Phase::Sent;
        record.print_s = prepared.print_s;
        ledger.save(&settings.serial, &record, &[]).expect("save");
        let printers = load_site_printers(&site.dir.path().join("site.json").display().to_string())
            .expect("site");
        let sink = std::sync::Arc::new(NoEvents);
        let mut floor = Floor::start(
            &printers,
            "gw-before-the-kill",
            PinStore::in_memory(),
            sink,
            Duration::from_secs(20),
        );
        let ticket = floor
            .begin_dispatch(&settings.serial, &plate.id)
            .expect("ticket");
        let pump = async {
            loop {
                floor.pump(Duration::from_millis(50)).await;
            }
        };
        tokio::select! {
            started = ticket.run(&prepared.plate) => started.expect("the printer started it"),
            _ = tokio::time::timeout(Duration::from_secs(60), pump) => panic!("no start"),
        }
    }
    assert_eq!(running.machine().jobs_started(), 1);

    let gateway = Binary::start(&env, site.dir.path().join("gateway.log"));
    until(Duration::from_secs(120), "the plate to be cleared", || {
        !app.state().clears.is_empty()
    })
    .await;
    assert_eq!(
        kinds(&plate_events(app)),
        ["task_started", "task_finished", "inspection"],
        "{}",
        gateway.log()
    );
    assert_eq!(running.machine().jobs_started(), 1, "not dispatched again");
}

struct NoEvents;

impl printer_gateway::dispatch::FarmEvents for NoEvents {
    fn record(&self, _: printer_gateway::dispatch::FarmEvent) {}
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plate_the_printer_lost_while_the_gateway_was_down_is_flagged_not_guessed() {
    let site = OnePrinter::start(20.0, FailureRates::default()).await;
    let (app, settings, running) = (&site.app, &site.settings, &site.running);
    app.queue_plate(cube_and_bar()[..1].to_vec());
    let env = site.env("", &[]);
    let log = site.dir.path().join("gateway.log");

    let first = Binary::start(&env, log.clone());
    until(Duration::from_secs(120), "task_started", || {
        !app.events_of("task_started").is_empty()
    })
    .await;
    first.kill();
    // While the gateway is down the job is stopped and the printer reset
    // at its screen: it is IDLE and names no job.
    let timing = farm_sim::lan::machine::Timing {
        prepare_secs: 30.0,
        error_code_secs: 0.0,
    };
    running.machine().stop(&timing);
    running.machine().stop(&timing);
    assert_eq!(
        running.machine().state(),
        printer_gateway::bambu::GcodeState::Idle
    );
    let second = Binary::start(&env, log);
    until(
        Duration::from_secs(60),
        "needs_attention for the plate",
        || {
            app.events_of("needs_attention")
                .iter()
                .any(|e| e.get("plate_id").is_some())
        },
    )
    .await;
    assert!(
        app.events_of("task_finished").is_empty() && app.events_of("task_failed").is_empty(),
        "no outcome is made up: {}",
        second.log()
    );
    assert_eq!(app.status(&settings.serial), "needs_attention");
    assert_eq!(running.machine().jobs_started(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plate_that_finished_while_the_gateway_was_down_is_reported_once_on_restart() {
    let site = OnePrinter::start(120.0, FailureRates::default()).await;
    let (app, running) = (&site.app, &site.running);
    app.queue_plate(cube_and_bar()[..1].to_vec());
    let env = site.env("0.5", &[]);
    let log = site.dir.path().join("gateway.log");

    let first = Binary::start(&env, log.clone());
    until(Duration::from_secs(120), "task_started", || {
        !app.events_of("task_started").is_empty()
    })
    .await;
    first.kill();
    until(
        Duration::from_secs(60),
        "the print to finish unseen",
        || running.machine().state() == printer_gateway::bambu::GcodeState::Finish,
    )
    .await;
    assert!(app.events_of("task_finished").is_empty());
    let second = Binary::start(&env, log);
    until(Duration::from_secs(60), "the plate to be cleared", || {
        !app.state().clears.is_empty()
    })
    .await;
    assert_eq!(
        kinds(&plate_events(app)),
        ["task_started", "task_finished", "inspection"],
        "{}",
        second.log()
    );
    let usage = &app.events_of("task_finished")[0]["detail"]["usage"];
    assert_eq!(usage.as_array().map(Vec::len), Some(1), "{usage}");
    assert_eq!(running.machine().jobs_started(), 1);
}
