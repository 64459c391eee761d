//! The simulated farm and the gateway together on the real broker and a fresh
//! migrated database: what a local run does, at high speed. Needs
//! `scripts/services.sh up`.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use farm_sim::{FarmSettings, SimConfig};
use printer_gateway::bambu::{ProjectFile, Request, report_topic, request_topic};
use printer_gateway::{Config, Gateway, StepOutcome, testing};
use rumqttc::{AsyncClient, MqttOptions, QoS};
use tokio_postgres::{Client, NoTls};

/// A farm of `printers` at 600x speed (a 1-minute print takes 0.1 s of
/// real time), with reports every 50 ms, and a gateway listening to exactly
/// those printers.
async fn farm_and_gateway(
    printers: usize,
    failure_rate: f64,
) -> anyhow::Result<(
    farm_sim::RunningFarm,
    Gateway,
    Client,
    testing::TestDatabase,
)> {
    let (host, port) = testing::broker();
    let tag = testing::unique_tag();
    let mut farm = farm_sim::spawn(SimConfig {
        mqtt_host: host.clone(),
        mqtt_port: port,
        report_every: Duration::from_millis(50),
        speed: 600.0,
        farm: FarmSettings {
            printers,
            serial_tag: tag.clone(),
            print_minutes: 3.0,
            prepare_minutes: 2.0,
            clear_minutes: 2.0,
            failure_rate,
            seed: 42,
        },
    });
    farm.wait_subscribed(Duration::from_secs(10)).await?;

    let database = testing::fresh_database()?;
    let db_url = database.url.clone();
    let topics = farm
        .serials
        .iter()
        .map(|s| report_topic(s))
        .collect::<Vec<_>>()
        .join(",");
    let vars = [
        ("FARM_MQTT_URL", format!("mqtt://{host}:{port}")),
        ("FARM_MQTT_TOPICS", topics),
        ("FARM_MQTT_CLIENT_ID", format!("gw-{tag}")),
        ("FARM_DB_URL", db_url.clone()),
        // The site's printers are exactly the simulated ones (as scripts/run.sh
        // configures them with `farm-sim --gateway-printers`).
        ("FARM_PRINTERS", farm.serials.join(",")),
    ];
    let config =
        Config::from_lookup(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone()))?;
    let gateway = Gateway::connect(&config).await?;
    let (db, connection) = tokio_postgres::connect(&db_url, NoTls).await?;
    tokio::spawn(connection);
    Ok((farm, gateway, db, database))
}

/// Steps the gateway until `done` holds for the database, or fails after `limit`.
async fn step_until<F>(
    gateway: &mut Gateway,
    db: &Client,
    limit: Duration,
    what: &str,
    done: F,
) -> anyhow::Result<()>
where
    F: AsyncFn(&Client) -> anyhow::Result<bool>,
{
    let start = Instant::now();
    while start.elapsed() < limit {
        for _ in 0..20 {
            if let StepOutcome::Disconnected { reason } =
                gateway.try_execute_task(Duration::from_millis(50)).await?
            {
                bail!("broker unreachable: {reason}");
            }
        }
        if done(db).await? {
            return Ok(());
        }
    }
    bail!("timed out after {limit:?} waiting until {what}")
}

async fn statuses(db: &Client) -> anyhow::Result<Vec<(String, String)>> {
    let rows = db
        .query("select serial, status from printers order by serial", &[])
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

async fn publish_job(serial: &str, name: &str) -> anyhow::Result<()> {
    let (host, port) = testing::broker();
    let (client, mut event_loop) = AsyncClient::new(
        MqttOptions::new(format!("job-{}", testing::unique_tag()), host, port),
        8,
    );
    let request = Request::ProjectFile(ProjectFile {
        url: format!("file:///sdcard/{name}.3mf"),
        plate: "Metadata/plate_1.gcode".into(),
        subtask_name: name.into(),
    });
    client
        .publish(
            request_topic(serial),
            QoS::AtLeastOnce,
            false,
            request.to_json(1),
        )
        .await?;
    // Drive the connection until the broker acknowledged the publish.
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let event = tokio::time::timeout(Duration::from_secs(1), event_loop.poll())
            .await
            .context("publish timed out")??;
        if let rumqttc::Event::Incoming(rumqttc::Packet::PubAck(_)) = event {
            return Ok(());
        }
    }
    bail!("the broker did not acknowledge the job for {serial}")
}

async fn gcode_states(db: &Client, serial: &str) -> anyhow::Result<Vec<String>> {
    let rows = db
        .query(
            "select e.gcode_state from printer_events e join printers p on p.id = e.printer_id
             where p.serial = $1 and e.kind = 'state_changed' order by e.id",
            &[&serial],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| r.get::<_, Option<String>>(0).unwrap_or_default())
        .collect())
}

#[tokio::test]
async fn every_simulated_printer_shows_up_idle_in_the_printers_table() -> anyhow::Result<()> {
    let (farm, mut gateway, db, _database) = farm_and_gateway(4, 0.0).await?;
    step_until(
        &mut gateway,
        &db,
        Duration::from_secs(15),
        "all four printers are idle",
        async |db| {
            let rows = statuses(db).await?;
            Ok(rows.len() == 4 && rows.iter().all(|(_, status)| status == "idle"))
        },
    )
    .await?;
    let models: Vec<String> = db
        .query("select model from printers order by serial", &[])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        models,
        ["X1C", "X1C", "P1S", "P1S"],
        "serial prefixes 00M.. sort before 01P.."
    );
    drop((farm, db));
    Ok(())
}

#[tokio::test]
async fn a_job_sent_to_a_simulated_printer_runs_to_finish_and_the_gateway_records_each_state()
-> anyhow::Result<()> {
    let (farm, mut gateway, db, _database) = farm_and_gateway(2, 0.0).await?;
    let target = farm.serials[0].clone();
    step_until(
        &mut gateway,
        &db,
        Duration::from_secs(15),
        "both printers registered",
        async |db| Ok(statuses(db).await?.len() == 2),
    )
    .await?;

    publish_job(&target, "bracket").await?;
    step_until(
        &mut gateway,
        &db,
        Duration::from_secs(30),
        "the job finished",
        async |db| {
            Ok(gcode_states(db, &target)
                .await?
                .iter()
                .any(|s| s == "FINISH"))
        },
    )
    .await?;

    let states = gcode_states(&db, &target).await?;
    assert_eq!(&states[..3], ["PREPARE", "RUNNING", "FINISH"], "{states:?}");
    let other = gcode_states(&db, &farm.serials[1]).await?;
    assert!(other.is_empty(), "the other printer stayed idle: {other:?}");
    drop((farm, db));
    Ok(())
}

#[tokio::test]
async fn with_failure_rate_one_a_job_fails_and_the_printer_is_recorded_in_error()
-> anyhow::Result<()> {
    let (farm, mut gateway, db, _database) = farm_and_gateway(1, 1.0).await?;
    let target = farm.serials[0].clone();
    step_until(
        &mut gateway,
        &db,
        Duration::from_secs(15),
        "the printer registered",
        async |db| Ok(statuses(db).await?.len() == 1),
    )
    .await?;

    publish_job(&target, "doomed").await?;
    // The printer stays FAILED only until its plate is cleared (0.2 s here),
    // so the event log, not the current row, is what the test reads.
    step_until(
        &mut gateway,
        &db,
        Duration::from_secs(30),
        "the job failed",
        async |db| {
            Ok(gcode_states(db, &target)
                .await?
                .iter()
                .any(|s| s == "FAILED"))
        },
    )
    .await?;
    let failed = db
        .query_one(
            "select e.status, e.detail from printer_events e join printers p on p.id = e.printer_id
             where p.serial = $1 and e.gcode_state = 'FAILED' order by e.id limit 1",
            &[&target],
        )
        .await?;
    let (status, detail): (String, serde_json::Value) = (failed.get(0), failed.get(1));
    assert_eq!(status, "error");
    assert_eq!(
        detail["print_error"],
        serde_json::json!(farm_sim::printer::SIMULATED_FAULT)
    );
    assert_eq!(
        &gcode_states(&db, &target).await?[..2],
        ["PREPARE", "RUNNING"]
    );
    drop((farm, db));
    Ok(())
}
