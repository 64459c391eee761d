//! The local stand-in for production's cron: calls the app's tick route
//! (`POST {FARM_APP_URL}/internal/tick` with `FARM_INTERNAL_TOKEN`) on a
//! timer, so background work (analyses, later mail and deliveries) is
//! drained when `scripts/run.sh` runs, including work whose worker died.
//! In production a SpinKube CronJob or the hosted platform's cron makes the
//! same call (README, "Background work").

use std::time::Duration;

use serde::Deserialize;

use crate::config::{Config, Secret};

/// Why a tick failed (logged; the next tick tries again).
#[derive(Debug, thiserror::Error)]
pub enum TickError {
    #[error("the app is unreachable")]
    Unreachable(#[source] reqwest::Error),
    #[error("the tick route answered {status}: {body}")]
    Refused { status: u16, body: String },
    #[error("the tick route's answer is not a tick report")]
    BadReport(#[source] reqwest::Error),
}

/// The tick route's answer (components/tick).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct TickReport {
    pub started: u32,
    pub done: u32,
    pub retried: u32,
    pub dead: u32,
    pub more_due: bool,
}

/// Calls the tick route every `every`.
#[derive(Debug, Clone)]
pub struct Ticker {
    client: reqwest::Client,
    url: String,
    token: Secret,
    every: Duration,
}

impl Ticker {
    /// `app_url` without the route (`http://127.0.0.1:3000`).
    pub fn new(app_url: &str, token: Secret, every: Duration) -> Self {
        let client = reqwest::Client::builder()
            .no_proxy()
            // A tick stops starting jobs after 10 s and hosted Spin ends any
            // request at 30 s; more than that is a hung connection.
            .timeout(Duration::from_secs(45))
            .build()
            .unwrap_or_default();
        Self {
            client,
            url: format!("{}/internal/tick", app_url.trim_end_matches('/')),
            token,
            every,
        }
    }

    /// The configured ticker, or `None` when it is turned off or there is
    /// no internal token to call with.
    pub fn from_config(config: &Config) -> Option<Self> {
        let every = config.tick_every?;
        let token = config.internal_token.clone()?;
        Some(Self::new(&config.app_url, token, every))
    }

    /// One call of the tick route.
    pub async fn tick(&self) -> Result<TickReport, TickError> {
        let response = self
            .client
            .post(&self.url)
            .header("x-farm-internal-token", self.token.expose())
            .send()
            .await
            .map_err(TickError::Unreachable)?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(TickError::Refused {
                status: status.as_u16(),
                body: body.chars().take(300).collect(),
            });
        }
        response.json().await.map_err(TickError::BadReport)
    }

    /// Ticks forever: every `every`, at once again while the app says more
    /// work is due. Failures are logged, never fatal: the app may be
    /// starting or restarting, which is when the ticker matters most.
    pub async fn run(self) {
        let mut timer = tokio::time::interval(self.every);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            timer.tick().await;
            loop {
                match self.tick().await {
                    Ok(report) => {
                        if failing {
                            tracing::info!("tick route reachable again");
                            failing = false;
                        }
                        if report.started > 0 {
                            tracing::info!(?report, "background work ran");
                        }
                        if !report.more_due {
                            break;
                        }
                    }
                    Err(error) => {
                        // Once per outage, not once per tick.
                        if !failing {
                            tracing::warn!(error = ?anyhow::Error::from(error), url = %self.url,
                                "tick failed; retrying every tick");
                            failing = true;
                        }
                        break;
                    }
                }
            }
        }
    }
}
