//! The gateway's printer side against the real broker (Mosquitto): reports
//! become printer states and spooled events (a fresh spool file per test).
//! Needs `scripts/services.sh up`. The link to the app is tested in
//! link_kill.rs and tests/tests/farm_link.rs.

use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{TimeZone, Utc};
use printer_gateway::bambu::{GcodeState, PrintStatus, report_topic};
use printer_gateway::fleet::{EventKind, PrinterStatus};
use printer_gateway::link::FarmEventKind;
use printer_gateway::roster::{PrinterSpec, Roster, format_printers};
use printer_gateway::worker::handle_report;
use printer_gateway::{Config, Gateway, Recorder, Spool, StepOutcome, testing};
use rumqttc::{AsyncClient, MqttOptions, QoS};

struct TestFarm {
    dir: tempfile::TempDir,
    serials: Vec<String>,
}

impl TestFarm {
    /// A fresh spool folder and `count` printer serials no other test uses.
    fn new(count: usize) -> anyhow::Result<Self> {
        let tag = testing::unique_tag();
        Ok(Self {
            dir: tempfile::tempdir()?,
            serials: (0..count).map(|i| format!("01P{tag}{i:02}")).collect(),
        })
    }

    fn config(&self) -> Config {
        let (host, port) = testing::broker();
        let topics = self
            .serials
            .iter()
            .map(|s| report_topic(s))
            .collect::<Vec<_>>()
            .join(",");
        let client_id = format!("gw-test-{}", testing::unique_tag());
        let vars = [
            ("FARM_MQTT_URL", format!("mqtt://{host}:{port}")),
            ("FARM_MQTT_TOPICS", topics),
            ("FARM_MQTT_CLIENT_ID", client_id),
            ("FARM_SITE", "test-site".to_owned()),
            ("FARM_OFFLINE_AFTER_SECS", "30".to_owned()),
            ("FARM_PRINTERS", format_printers(&self.specs())),
        ];
        Config::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        })
        .expect("config")
    }

    fn specs(&self) -> Vec<PrinterSpec> {
        self.serials
            .iter()
            .map(|serial| PrinterSpec {
                serial: serial.clone(),
                model: "P1S".to_owned(),
            })
            .collect()
    }

    /// A recorder on this test's spool, and the roster.
    fn recorder(&self) -> anyhow::Result<(Recorder, Roster)> {
        let spool = Spool::open(&self.dir.path().join("spool.redb"))?;
        Ok((Recorder::new(spool)?, Roster::new(&self.specs())))
    }
}

/// The kinds of the spooled events of `serial`, in order.
fn spooled_kinds(recorder: &Recorder, serial: &str) -> anyhow::Result<Vec<FarmEventKind>> {
    Ok(recorder
        .spool()
        .pending(10_000)?
        .into_iter()
        .filter(|(_, e)| e.printer == serial)
        .map(|(_, e)| e.kind)
        .collect())
}

fn status_of(recorder: &Recorder, serial: &str) -> Option<&'static str> {
    recorder.snapshot(serial).map(|s| s.status.as_str())
}

async fn publisher() -> AsyncClient {
    let (host, port) = testing::broker();
    let (client, mut event_loop) = AsyncClient::new(
        MqttOptions::new(format!("pub-{}", testing::unique_tag()), host, port),
        64,
    );
    tokio::spawn(async move { while event_loop.poll().await.is_ok() {} });
    client
}

/// Steps the gateway until it reports `Subscribed`, so later publishes reach it.
async fn wait_subscribed(gateway: &mut Gateway) -> anyhow::Result<()> {
    for _ in 0..50 {
        match gateway.try_execute_task(Duration::from_millis(200)).await? {
            StepOutcome::Subscribed => return Ok(()),
            StepOutcome::Disconnected { reason } => bail!("broker unreachable: {reason}"),
            _ => {}
        }
    }
    bail!("the gateway never subscribed")
}

/// Steps until a report is applied (or ignored), skipping idle waits.
async fn next_handled(gateway: &mut Gateway) -> anyhow::Result<StepOutcome> {
    for _ in 0..50 {
        match gateway.try_execute_task(Duration::from_millis(200)).await? {
            StepOutcome::Idle | StepOutcome::Subscribed => {}
            other => return Ok(other),
        }
    }
    bail!("no message reached the gateway")
}

#[tokio::test]
async fn a_report_published_to_the_broker_becomes_a_printer_state_and_a_spooled_event()
-> anyhow::Result<()> {
    let farm = TestFarm::new(1)?;
    let serial = farm.serials[0].clone();
    let (recorder, _) = farm.recorder()?;
    let mut gateway = Gateway::connect(&farm.config(), recorder);
    wait_subscribed(&mut gateway).await?;

    let report = r#"{"print":{"command":"push_status","gcode_state":"RUNNING","mc_percent":42,
        "mc_remaining_time":73,"gcode_file":"/sdcard/bracket.3mf"}}"#;
    publisher()
        .await
        .publish(report_topic(&serial), QoS::AtMostOnce, false, report)
        .await?;

    let outcome = next_handled(&mut gateway).await?;
    let StepOutcome::Applied {
        serial: applied,
        outcome,
    } = outcome
    else {
        bail!("not applied: {outcome:?}")
    };
    assert_eq!(applied, serial);
    assert_eq!(outcome.events, vec![EventKind::Online]);
    assert_eq!(outcome.status, PrinterStatus::Printing);

    let pending = gateway.recorder().spool().pending(10)?;
    assert_eq!(pending.len(), 1);
    let event = &pending[0].1;
    assert_eq!(
        (event.printer.as_str(), event.kind),
        (serial.as_str(), FarmEventKind::Online)
    );
    let state = event.state.as_ref().context("state")?;
    assert_eq!(
        (
            state.status.as_str(),
            state.gcode_state.as_deref(),
            state.progress,
            state.remaining_minutes
        ),
        ("printing", Some("RUNNING"), 42, Some(73))
    );
    assert_eq!(state.current_file.as_deref(), Some("/sdcard/bracket.3mf"));
    assert_eq!(event.id.len(), 36, "a UUID: {}", event.id);
    Ok(())
}

#[tokio::test]
async fn a_malformed_message_is_ignored_and_the_next_report_still_applies() -> anyhow::Result<()> {
    let farm = TestFarm::new(1)?;
    let serial = farm.serials[0].clone();
    let (recorder, _) = farm.recorder()?;
    let mut gateway = Gateway::connect(&farm.config(), recorder);
    wait_subscribed(&mut gateway).await?;
    let client = publisher().await;

    client
        .publish(report_topic(&serial), QoS::AtLeastOnce, false, "{not json")
        .await?;
    assert!(matches!(
        next_handled(&mut gateway).await?,
        StepOutcome::Ignored { .. }
    ));
    let idle = PrintStatus {
        gcode_state: Some(GcodeState::Idle),
        ..PrintStatus::default()
    };
    client
        .publish(
            report_topic(&serial),
            QoS::AtLeastOnce,
            false,
            idle.to_report_json(1),
        )
        .await?;
    assert!(matches!(
        next_handled(&mut gateway).await?,
        StepOutcome::Applied { .. }
    ));
    assert_eq!(status_of(gateway.recorder(), &serial), Some("idle"));
    Ok(())
}

#[tokio::test]
async fn a_print_moves_through_states_with_one_event_per_change() -> anyhow::Result<()> {
    let farm = TestFarm::new(1)?;
    let serial = farm.serials[0].clone();
    let (mut recorder, mut roster) = farm.recorder()?;
    let t0 = Utc
        .with_ymd_and_hms(2026, 11, 1, 12, 0, 0)
        .single()
        .context("time")?;
    let topic = report_topic(&serial);
    let steps = [
        (Some(GcodeState::Idle), None, "idle"),
        (Some(GcodeState::Prepare), Some(0), "printing"),
        (Some(GcodeState::Running), Some(5), "printing"),
        (None, Some(55), "printing"),
        (Some(GcodeState::Pause), None, "paused"),
        (Some(GcodeState::Running), Some(56), "printing"),
        (Some(GcodeState::Finish), Some(100), "idle"),
    ];
    for (i, (state, percent, expected)) in steps.into_iter().enumerate() {
        let report = PrintStatus {
            gcode_state: state,
            percent,
            ..PrintStatus::default()
        };
        let now = t0 + chrono::Duration::seconds(i as i64);
        handle_report(
            &mut recorder,
            "test-site",
            &mut roster,
            topic.clone(),
            report.to_report_json(1).as_bytes(),
            now,
        )?;
        assert_eq!(
            status_of(&recorder, &serial),
            Some(expected),
            "after step {i}"
        );
    }
    use FarmEventKind::*;
    assert_eq!(
        spooled_kinds(&recorder, &serial)?,
        [
            Online,
            StateChanged,
            StateChanged,
            Progress,
            StateChanged,
            StateChanged,
            StateChanged
        ]
    );
    // Each event carries the time of its report.
    let times: Vec<String> = recorder
        .spool()
        .pending(100)?
        .into_iter()
        .map(|(_, e)| e.occurred_at)
        .collect();
    assert_eq!(times[0], "2026-11-01T12:00:00.000Z");
    assert_eq!(times[6], "2026-11-01T12:00:06.000Z");
    Ok(())
}

#[tokio::test]
async fn a_printer_that_falls_silent_is_marked_offline_and_comes_back_with_its_next_report()
-> anyhow::Result<()> {
    let farm = TestFarm::new(2)?;
    let (quiet, chatty) = (farm.serials[0].clone(), farm.serials[1].clone());
    let (mut recorder, mut roster) = farm.recorder()?;
    let offline_after = Duration::from_millis(300);
    let report = PrintStatus {
        gcode_state: Some(GcodeState::Running),
        percent: Some(10),
        ..PrintStatus::default()
    }
    .to_report_json(1);
    let mut send = |recorder: &mut Recorder, serial: &str| {
        handle_report(
            recorder,
            "test-site",
            &mut roster,
            report_topic(serial),
            report.as_bytes(),
            Utc::now(),
        )
    };
    send(&mut recorder, &quiet)?;
    send(&mut recorder, &chatty)?;
    assert_eq!(
        recorder.sweep(offline_after, Utc::now())?,
        0,
        "not silent for long enough yet"
    );

    tokio::time::sleep(Duration::from_millis(200)).await;
    send(&mut recorder, &chatty)?;
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(recorder.sweep(offline_after, Utc::now())?, 1);
    assert_eq!(status_of(&recorder, &quiet), Some("offline"));
    assert_eq!(status_of(&recorder, &chatty), Some("printing"));
    assert_eq!(
        recorder.sweep(offline_after, Utc::now())?,
        0,
        "already offline"
    );

    send(&mut recorder, &quiet)?;
    assert_eq!(status_of(&recorder, &quiet), Some("printing"));
    use FarmEventKind::*;
    assert_eq!(spooled_kinds(&recorder, &quiet)?, [Online, Offline, Online]);
    Ok(())
}

#[tokio::test]
async fn a_restarted_gateway_goes_on_from_its_spooled_states() -> anyhow::Result<()> {
    let farm = TestFarm::new(1)?;
    let serial = farm.serials[0].clone();
    let running = |percent| PrintStatus {
        gcode_state: Some(GcodeState::Running),
        percent: Some(percent),
        ..PrintStatus::default()
    };
    {
        let (mut recorder, _) = farm.recorder()?;
        recorder.report(&serial, &running(21), Utc::now())?;
    }
    // Reopened: the same state and progress step is no new event; the next step is.
    let (mut recorder, _) = farm.recorder()?;
    assert_eq!(status_of(&recorder, &serial), Some("printing"));
    assert_eq!(recorder.report(&serial, &running(25), Utc::now())?, []);
    assert_eq!(
        recorder.report(&serial, &running(31), Utc::now())?,
        [EventKind::Progress]
    );
    assert_eq!(
        spooled_kinds(&recorder, &serial)?,
        [FarmEventKind::Online, FarmEventKind::Progress]
    );
    Ok(())
}

/// A log sink for one test's thread (the tests run on a current-thread runtime).
#[derive(Clone, Default)]
struct CapturedLog(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLog {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log lock")).into_owned()
    }
}

#[tokio::test]
async fn reports_from_a_serial_not_in_the_site_configuration_create_nothing_and_are_logged_once()
-> anyhow::Result<()> {
    let log = CapturedLog::default();
    let sink = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _log_guard = tracing::subscriber::set_default(subscriber);

    let farm = TestFarm::new(1)?;
    let known = farm.serials[0].clone();
    let stranger = format!("01P{}X", testing::unique_tag());
    // The gateway listens to the stranger's topic too, as `device/+/report`
    // (the default filter) would in production.
    let mut config = farm.config();
    config.topics.push(report_topic(&stranger));
    let (recorder, _) = farm.recorder()?;
    let mut gateway = Gateway::connect(&config, recorder);
    wait_subscribed(&mut gateway).await?;

    let running = PrintStatus {
        gcode_state: Some(GcodeState::Running),
        percent: Some(7),
        ..PrintStatus::default()
    }
    .to_report_json(1);
    let client = publisher().await;
    for _ in 0..3 {
        client
            .publish(
                report_topic(&stranger),
                QoS::AtLeastOnce,
                false,
                running.clone(),
            )
            .await?;
    }
    let mut firsts = Vec::new();
    for _ in 0..3 {
        match next_handled(&mut gateway).await? {
            StepOutcome::UnknownPrinter { serial, first } => {
                assert_eq!(serial, stranger);
                firsts.push(first);
            }
            other => bail!("a stranger's report was handled as {other:?}"),
        }
    }
    assert_eq!(firsts, [true, false, false]);
    client
        .publish(
            report_topic(&known),
            QoS::AtLeastOnce,
            false,
            running.clone(),
        )
        .await?;
    assert!(matches!(
        next_handled(&mut gateway).await?,
        StepOutcome::Applied { .. }
    ));

    let pending = gateway.recorder().spool().pending(100)?;
    assert!(
        pending.iter().all(|(_, e)| e.printer == known),
        "an unconfigured serial got an event"
    );
    assert_eq!(pending.len(), 1);
    assert_eq!(status_of(gateway.recorder(), &stranger), None);
    assert_eq!(status_of(gateway.recorder(), &known), Some("printing"));

    let text = log.text();
    let mentions = text.lines().filter(|l| l.contains(&stranger)).count();
    assert_eq!(mentions, 1, "the stranger is logged once:\n{text}");
    assert!(text.contains("not in FARM_PRINTERS"), "{text}");
    Ok(())
}
