//! The simulated farm and the gateway together on the real broker, the
//! gateway spooling into a fresh spool file: what a local run does, at high
//! speed (the link to the app is tested in the gateway's link_kill.rs).
//! Needs `scripts/services.sh up`.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use farm_sim::{FarmSettings, SimConfig};
use printer_gateway::bambu::{ProjectFile, Request, report_topic, request_topic};
use printer_gateway::link::{FarmEvent, FarmEventKind};
use printer_gateway::{Config, Gateway, Recorder, Spool, StepOutcome, testing};
use rumqttc::{AsyncClient, MqttOptions, QoS};

/// A farm of `printers` at 600x speed (a 1-minute print takes 0.1 s of
/// real time), with reports every 50 ms, and a gateway listening to exactly
/// those printers.
async fn farm_and_gateway(
    printers: usize,
    failure_rate: f64,
) -> anyhow::Result<(farm_sim::RunningFarm, Gateway, Config, tempfile::TempDir)> {
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

    let dir = tempfile::tempdir()?;
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
        // The site's printers are exactly the simulated ones (as scripts/run.sh
        // configures them with `farm-sim --gateway-printers`).
        ("FARM_PRINTERS", farm.serials.join(",")),
    ];
    let config =
        Config::from_lookup(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone()))?;
    let recorder = Recorder::new(Spool::open(&dir.path().join("spool.redb"))?)?;
    let gateway = Gateway::connect(&config, recorder);
    Ok((farm, gateway, config, dir))
}

/// Steps the gateway until `done` holds for it, or fails after `limit`.
async fn step_until<F>(
    gateway: &mut Gateway,
    limit: Duration,
    what: &str,
    done: F,
) -> anyhow::Result<()>
where
    F: Fn(&Gateway) -> anyhow::Result<bool>,
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
        if done(gateway)? {
            return Ok(());
        }
    }
    bail!("timed out after {limit:?} waiting until {what}")
}

/// The printers the gateway has heard from, with their status.
fn statuses(gateway: &Gateway, serials: &[String]) -> Vec<(String, String)> {
    serials
        .iter()
        .filter_map(|s| {
            let status = gateway.recorder().snapshot(s)?.status.as_str();
            Some((s.clone(), status.to_owned()))
        })
        .collect()
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

/// The spooled state-change events of `serial`, in order.
fn state_changes(gateway: &Gateway, serial: &str) -> anyhow::Result<Vec<FarmEvent>> {
    Ok(gateway
        .recorder()
        .spool()
        .pending(100_000)?
        .into_iter()
        .map(|(_, e)| e)
        .filter(|e| e.printer == serial && e.kind == FarmEventKind::StateChanged)
        .collect())
}

/// The `gcode_state` after each state change of `serial`.
fn gcode_states(gateway: &Gateway, serial: &str) -> anyhow::Result<Vec<String>> {
    Ok(state_changes(gateway, serial)?
        .iter()
        .map(|e| {
            e.state
                .as_ref()
                .and_then(|s| s.gcode_state.clone())
                .unwrap_or_default()
        })
        .collect())
}

#[tokio::test]
async fn every_simulated_printer_shows_up_idle_at_the_gateway() -> anyhow::Result<()> {
    let (farm, mut gateway, config, _dir) = farm_and_gateway(4, 0.0).await?;
    let serials = farm.serials.clone();
    step_until(
        &mut gateway,
        Duration::from_secs(15),
        "all four printers are idle",
        |gateway| {
            let rows = statuses(gateway, &serials);
            Ok(rows.len() == 4 && rows.iter().all(|(_, status)| status == "idle"))
        },
    )
    .await?;
    // The models the gateway registers with the app, from the serials.
    let mut models: Vec<(String, String)> = config
        .printers
        .iter()
        .map(|p| (p.serial.clone(), p.model.clone()))
        .collect();
    models.sort();
    let models: Vec<&str> = models.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(
        models,
        ["X1C", "X1C", "P1S", "P1S"],
        "serial prefixes 00M.. sort before 01P.."
    );
    drop(farm);
    Ok(())
}

#[tokio::test]
async fn a_job_sent_to_a_simulated_printer_runs_to_finish_and_the_gateway_records_each_state()
-> anyhow::Result<()> {
    let (farm, mut gateway, _config, _dir) = farm_and_gateway(2, 0.0).await?;
    let target = farm.serials[0].clone();
    let serials = farm.serials.clone();
    step_until(
        &mut gateway,
        Duration::from_secs(15),
        "both printers reported",
        |gateway| Ok(statuses(gateway, &serials).len() == 2),
    )
    .await?;

    publish_job(&target, "bracket").await?;
    step_until(
        &mut gateway,
        Duration::from_secs(30),
        "the job finished",
        |gateway| {
            Ok(gcode_states(gateway, &target)?
                .iter()
                .any(|s| s == "FINISH"))
        },
    )
    .await?;

    let states = gcode_states(&gateway, &target)?;
    assert_eq!(&states[..3], ["PREPARE", "RUNNING", "FINISH"], "{states:?}");
    let other = gcode_states(&gateway, &farm.serials[1])?;
    assert!(other.is_empty(), "the other printer stayed idle: {other:?}");
    drop(farm);
    Ok(())
}

#[tokio::test]
async fn with_failure_rate_one_a_job_fails_and_the_printer_is_recorded_in_error()
-> anyhow::Result<()> {
    let (farm, mut gateway, _config, _dir) = farm_and_gateway(1, 1.0).await?;
    let target = farm.serials[0].clone();
    let serials = farm.serials.clone();
    step_until(
        &mut gateway,
        Duration::from_secs(15),
        "the printer reported",
        |gateway| Ok(statuses(gateway, &serials).len() == 1),
    )
    .await?;

    publish_job(&target, "doomed").await?;
    // The printer stays FAILED only until its plate is cleared (0.2 s here),
    // so the event log, not the current state, is what the test reads.
    step_until(
        &mut gateway,
        Duration::from_secs(30),
        "the job failed",
        |gateway| {
            Ok(gcode_states(gateway, &target)?
                .iter()
                .any(|s| s == "FAILED"))
        },
    )
    .await?;
    let failed = state_changes(&gateway, &target)?
        .into_iter()
        .find(|e| e.state.as_ref().and_then(|s| s.gcode_state.as_deref()) == Some("FAILED"))
        .context("a FAILED event")?;
    let status = failed.state.as_ref().map(|s| s.status.as_str());
    assert_eq!(status, Some("error"));
    let detail = failed.detail.clone().unwrap_or_default();
    assert_eq!(
        detail["print_error"],
        serde_json::json!(farm_sim::printer::SIMULATED_FAULT)
    );
    assert_eq!(
        &gcode_states(&gateway, &target)?[..2],
        ["PREPARE", "RUNNING"]
    );
    drop(farm);
    Ok(())
}
