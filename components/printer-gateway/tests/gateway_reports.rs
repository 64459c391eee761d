//! The gateway against the real broker (Mosquitto) and a real, freshly
//! migrated Postgres database. Needs `scripts/services.sh up`.

use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{TimeZone, Utc};
use printer_gateway::bambu::{GcodeState, PrintStatus, report_topic};
use printer_gateway::fleet::EventKind;
use printer_gateway::roster::{PrinterSpec, Roster, format_printers};
use printer_gateway::store::Store;
use printer_gateway::worker::handle_report;
use printer_gateway::{Config, Gateway, OfflineSweeper, StepOutcome, testing};
use rumqttc::{AsyncClient, MqttOptions, QoS};
use tokio_postgres::{Client, NoTls};

struct TestFarm {
    db_url: String,
    _database: testing::TestDatabase,
    db: Client,
    serials: Vec<String>,
}

impl TestFarm {
    /// A fresh database and `count` printer serials no other test uses.
    async fn new(count: usize) -> anyhow::Result<Self> {
        let database = testing::fresh_database()?;
        let db_url = database.url.clone();
        let (db, connection) = tokio_postgres::connect(&db_url, NoTls).await?;
        tokio::spawn(connection);
        let tag = testing::unique_tag();
        let serials = (0..count).map(|i| format!("01P{tag}{i:02}")).collect();
        Ok(Self {
            db_url,
            _database: database,
            db,
            serials,
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
            ("FARM_DB_URL", self.db_url.clone()),
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

    /// The test's printers, as the site's configuration lists them.
    fn specs(&self) -> Vec<PrinterSpec> {
        self.serials
            .iter()
            .map(|serial| PrinterSpec {
                serial: serial.clone(),
                model: "P1S".to_owned(),
            })
            .collect()
    }

    /// A store with the test's printers registered for `site`, and their roster.
    async fn registered(&self, site: &str) -> anyhow::Result<(Store, Roster)> {
        let store = Store::connect(&self.db_url).await?;
        store.register_printers(site, &self.specs()).await?;
        Ok((store, Roster::new(&self.specs())))
    }

    async fn printer(&self, serial: &str) -> anyhow::Result<(String, String, i32, String, bool)> {
        let row = self
            .db
            .query_one(
                "select id, status, progress, model, last_seen is not null as seen from printers where serial = $1",
                &[&serial],
            )
            .await
            .with_context(|| format!("printer {serial} has no row"))?;
        Ok((row.get(0), row.get(1), row.get(2), row.get(3), row.get(4)))
    }

    async fn events(&self, printer_id: &str) -> anyhow::Result<Vec<(String, String)>> {
        let rows = self
            .db
            .query(
                "select kind, status from printer_events where printer_id = $1 order by id",
                &[&printer_id],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// Drops the test's database (also done when a test fails part way).
    fn finish(self) {}
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
async fn a_report_published_to_the_broker_becomes_a_printers_row_and_an_event() -> anyhow::Result<()>
{
    let farm = TestFarm::new(1).await?;
    let serial = farm.serials[0].clone();
    let mut gateway = Gateway::connect(&farm.config()).await?;
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

    let (id, status, progress, model, seen) = farm.printer(&serial).await?;
    assert!(id.starts_with("prn_") && id.len() >= 4 + 32, "{id}");
    assert_eq!(
        (status.as_str(), progress, model.as_str(), seen),
        ("printing", 42, "P1S", true)
    );
    assert_eq!(
        farm.events(&id).await?,
        vec![("online".to_owned(), "printing".to_owned())]
    );
    farm.finish();
    Ok(())
}

#[tokio::test]
async fn a_malformed_message_is_ignored_and_the_next_report_still_applies() -> anyhow::Result<()> {
    let farm = TestFarm::new(1).await?;
    let serial = farm.serials[0].clone();
    let mut gateway = Gateway::connect(&farm.config()).await?;
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

    assert_eq!(farm.printer(&serial).await?.1, "idle");
    farm.finish();
    Ok(())
}

#[tokio::test]
async fn a_print_moves_through_states_with_one_event_per_change() -> anyhow::Result<()> {
    let farm = TestFarm::new(1).await?;
    let serial = farm.serials[0].clone();
    let (mut store, mut roster) = farm.registered("test-site").await?;
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
            &mut store,
            "test-site",
            &mut roster,
            topic.clone(),
            report.to_report_json(1).as_bytes(),
            now,
        )
        .await?;
        assert_eq!(farm.printer(&serial).await?.1, expected, "after step {i}");
    }

    let id = farm.printer(&serial).await?.0;
    let kinds: Vec<String> = farm
        .events(&id)
        .await?
        .into_iter()
        .map(|(kind, _)| kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "online",
            "state_changed",
            "state_changed",
            "progress",
            "state_changed",
            "state_changed",
            "state_changed"
        ]
    );
    farm.finish();
    Ok(())
}

#[tokio::test]
async fn a_printer_that_falls_silent_is_marked_offline_and_comes_back_with_its_next_report()
-> anyhow::Result<()> {
    let farm = TestFarm::new(2).await?;
    let (quiet, chatty) = (farm.serials[0].clone(), farm.serials[1].clone());
    let (mut store, mut roster) = farm.registered("test-site").await?;
    let sweeper = OfflineSweeper::new(
        "test-site",
        Store::connect(&farm.db_url).await?,
        Duration::from_secs(30),
    );
    let t0 = Utc
        .with_ymd_and_hms(2026, 11, 1, 12, 0, 0)
        .single()
        .context("time")?;
    let running = PrintStatus {
        gcode_state: Some(GcodeState::Running),
        percent: Some(10),
        ..PrintStatus::default()
    };
    let report = running.to_report_json(1);

    handle_report(
        &mut store,
        "test-site",
        &mut roster,
        report_topic(&quiet),
        report.as_bytes(),
        t0,
    )
    .await?;
    handle_report(
        &mut store,
        "test-site",
        &mut roster,
        report_topic(&chatty),
        report.as_bytes(),
        t0,
    )
    .await?;
    assert_eq!(
        sweeper.sweep(t0 + chrono::Duration::seconds(29)).await?,
        0,
        "not silent for long enough yet"
    );

    let t1 = t0 + chrono::Duration::seconds(25);
    handle_report(
        &mut store,
        "test-site",
        &mut roster,
        report_topic(&chatty),
        report.as_bytes(),
        t1,
    )
    .await?;
    assert_eq!(sweeper.sweep(t0 + chrono::Duration::seconds(31)).await?, 1);
    assert_eq!(farm.printer(&quiet).await?.1, "offline");
    assert_eq!(farm.printer(&chatty).await?.1, "printing");
    assert_eq!(
        sweeper.sweep(t0 + chrono::Duration::seconds(32)).await?,
        0,
        "already offline"
    );

    let t2 = t0 + chrono::Duration::seconds(40);
    handle_report(
        &mut store,
        "test-site",
        &mut roster,
        report_topic(&quiet),
        report.as_bytes(),
        t2,
    )
    .await?;
    let (id, status, ..) = farm.printer(&quiet).await?;
    assert_eq!(status, "printing");
    let events = farm.events(&id).await?;
    let kinds: Vec<&str> = events.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(kinds, ["online", "offline", "online"]);
    farm.finish();
    Ok(())
}

#[tokio::test]
async fn the_offline_sweep_leaves_other_sites_alone() -> anyhow::Result<()> {
    let farm = TestFarm::new(1).await?;
    let (mut store, mut roster) = farm.registered("test-site").await?;
    let t0 = Utc
        .with_ymd_and_hms(2026, 11, 1, 12, 0, 0)
        .single()
        .context("time")?;
    let idle = PrintStatus {
        gcode_state: Some(GcodeState::Idle),
        ..PrintStatus::default()
    }
    .to_report_json(1);
    handle_report(
        &mut store,
        "north",
        &mut roster,
        report_topic(&farm.serials[0]),
        idle.as_bytes(),
        t0,
    )
    .await?;

    let other_site = OfflineSweeper::new(
        "south",
        Store::connect(&farm.db_url).await?,
        Duration::from_secs(30),
    );
    assert_eq!(other_site.sweep(t0 + chrono::Duration::hours(1)).await?, 0);
    assert_eq!(farm.printer(&farm.serials[0]).await?.1, "idle");
    farm.finish();
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

    let farm = TestFarm::new(1).await?;
    let known = farm.serials[0].clone();
    let stranger = format!("01P{}X", testing::unique_tag());
    // The gateway listens to the stranger's topic too, as `device/+/report`
    // (the default filter) would in production.
    let mut config = farm.config();
    config.topics.push(report_topic(&stranger));
    let mut gateway = Gateway::connect(&config).await?;
    wait_subscribed(&mut gateway).await?;
    // Registered from the configuration alone, before any report: offline.
    let (_, status, ..) = farm.printer(&known).await?;
    assert_eq!(status, "offline");

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

    let strangers: i64 = farm
        .db
        .query_one(
            "select count(*) from printers where serial = $1",
            &[&stranger],
        )
        .await?
        .get(0);
    assert_eq!(strangers, 0, "an unconfigured serial became a printer");
    let all: i64 = farm
        .db
        .query_one("select count(*) from printers", &[])
        .await?
        .get(0);
    assert_eq!(all, 1);
    assert_eq!(farm.printer(&known).await?.1, "printing");

    let text = log.text();
    let mentions = text.lines().filter(|l| l.contains(&stranger)).count();
    assert_eq!(mentions, 1, "the stranger is logged once:\n{text}");
    assert!(text.contains("not in FARM_PRINTERS"), "{text}");
    farm.finish();
    Ok(())
}
