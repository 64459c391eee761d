//! farm-sim: a simulated print farm for local runs and tests. Each simulated
//! Bambu printer publishes a `push_status` report on `device/<serial>/report`
//! every `report_every` of real time, while simulated time runs `speed` times
//! faster, and takes commands on `device/<serial>/request` (`project_file`,
//! `pause`, `resume`, `stop`). A job goes IDLE -> PREPARE -> RUNNING -> FINISH,
//! or FAILED at a random point with probability `failure_rate`, and the printer
//! is IDLE again once its plate is cleared.
//!
//! - [`printer`]: one printer's state machine (pure).
//! - [`farm`]: the fleet, job randomness and MQTT message translation (pure).
//! - [`config`]: settings from the environment.
//! - [`spawn`]: the loop that connects the farm to the broker.
//! - [`testing`]: simulated LAN printers for tests (this crate's and the gateway's).

pub mod config;
pub mod farm;
pub mod lan;
pub mod printer;
pub mod testing;

use std::time::Duration;

use printer_gateway::bambu::request_topic;
use printer_gateway::mqtt::{self, Inbound, LinkOptions};
use rumqttc::QoS;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::SimConfig;
pub use farm::{Farm, FarmSettings};

/// A farm running on the broker. Dropping it stops the farm.
pub struct RunningFarm {
    pub serials: Vec<String>,
    subscribed: watch::Receiver<bool>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl RunningFarm {
    /// Waits until the farm's request subscriptions are confirmed, so commands
    /// published afterwards reach the printers.
    pub async fn wait_subscribed(&mut self, limit: Duration) -> anyhow::Result<()> {
        tokio::time::timeout(limit, self.subscribed.wait_for(|s| *s))
            .await
            .map_err(|_| anyhow::anyhow!("the simulated farm did not subscribe within {limit:?}"))?
            .map_err(|_| anyhow::anyhow!("the simulated farm stopped"))?;
        Ok(())
    }

    /// Runs until the farm stops (only on error).
    pub async fn join(mut self) -> anyhow::Result<()> {
        (&mut self.task).await?
    }
}

impl Drop for RunningFarm {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the farm's loop: advance simulated time, publish every printer's
/// report, carry out requests as they arrive.
pub fn spawn(config: SimConfig) -> RunningFarm {
    let mut farm = Farm::new(config.farm.clone());
    let serials = farm.serials();
    let (client, mut inbound) = mqtt::start(LinkOptions {
        host: config.mqtt_host.clone(),
        port: config.mqtt_port,
        client_id: format!("farm-sim-{}-{}", config.farm.serial_tag, std::process::id()),
        topics: serials.iter().map(|s| request_topic(s)).collect(),
    });
    let (subscribed_tx, subscribed) = watch::channel(false);
    let sim_secs_per_tick = config.report_every.as_secs_f64() * config.speed;
    let task = tokio::spawn(async move {
        let mut ticker = tokio::time::interval(config.report_every);
        loop {
            tokio::select! {
                _ = ticker.tick() => {
                    farm.advance(sim_secs_per_tick);
                    for (topic, payload) in farm.reports() {
                        // Reports are periodic: while the broker is away, drop them.
                        if let Err(error) = client.try_publish(topic, QoS::AtMostOnce, false, payload) {
                            tracing::debug!(%error, "report dropped");
                        }
                    }
                }
                message = inbound.recv() => match message {
                    None => anyhow::bail!("the MQTT link stopped"),
                    Some(Inbound::Subscribed) => {
                        subscribed_tx.send_replace(true);
                        tracing::info!(printers = farm.printers().len(), "simulated farm listening for requests");
                    }
                    Some(Inbound::Disconnected { reason }) => tracing::warn!(%reason, "MQTT broker unreachable"),
                    Some(Inbound::Message { topic, payload }) => match farm.handle_request(&topic, &payload) {
                        Ok(serial) => tracing::info!(%serial, "request carried out"),
                        Err(error) => tracing::warn!(%topic, %error, "request refused"),
                    },
                },
            }
        }
    });
    RunningFarm {
        serials,
        subscribed,
        task,
    }
}
