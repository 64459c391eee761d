//! The gateway's link to the app under kills (issue 11, "Done when"): the
//! real app (the `spin-local` host process serving spin.toml's Wasm
//! components against a fresh Postgres database), the real gateway binary,
//! the real broker. Reports go in by MQTT; what arrives is read from
//! `farm_events`.
//!
//! Needs `scripts/services.sh up`, `scripts/build-wasm.sh` and the host
//! binary (`cargo build --bin spin-local`; scripts/test.sh builds it).

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use printer_gateway::bambu::{GcodeState, PrintStatus, report_topic};
use printer_gateway::{Spool, testing};
use rumqttc::{AsyncClient, MqttOptions, QoS};
use tokio_postgres::NoTls;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The app as a child process on a fixed port, so it can be killed and
/// started again where the gateway expects it.
struct App {
    child: Option<Child>,
    port: u16,
    db_url: String,
    internal_token: String,
    state: tempfile::TempDir,
}

impl App {
    fn new(db_url: &str) -> anyhow::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        Ok(Self {
            child: None,
            port,
            db_url: db_url.to_owned(),
            internal_token: format!("itok_{}", testing::unique_tag()),
            state: tempfile::tempdir()?,
        })
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the host and waits until it answers.
    async fn start(&mut self) -> anyhow::Result<()> {
        let root = repo_root();
        let host = root.join("target/debug/spin-local");
        if !host.exists() {
            bail!(
                "{} is missing: cargo build --bin spin-local",
                host.display()
            );
        }
        let db_host = self
            .db_url
            .split('@')
            .nth(1)
            .and_then(|h| h.split('/').next())
            .unwrap_or_default();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.state.path().join("host.log"))?;
        let child = Command::new(host)
            .current_dir(&root)
            .args(["up", "--listen", &format!("127.0.0.1:{}", self.port)])
            .args([
                "--runtime-config-file",
                "runtime-config.toml",
                "-f",
                "spin.toml",
            ])
            .arg("--state-dir")
            .arg(self.state.path())
            .env("SPIN_VARIABLE_DB_URL", &self.db_url)
            .env("SPIN_VARIABLE_DB_HOST", db_host)
            .env("SPIN_VARIABLE_INTERNAL_TOKEN", &self.internal_token)
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting spin-local")?;
        self.child = Some(child);
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if let Ok(r) = client
                .get(format!("{}/v1/catalog", self.url()))
                .send()
                .await
                && r.status().is_success()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("the app did not answer within 120 s")
    }

    /// SIGKILL: no shutdown of any kind.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Creates site `name`; returns its token.
    async fn site_token(&self, name: &str) -> anyhow::Result<String> {
        let body: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/internal/farm/sites", self.url()))
            .header("x-farm-internal-token", &self.internal_token)
            .json(&serde_json::json!({ "name": name }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(body["token"].as_str().context("token")?.to_owned())
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The gateway binary as a child process.
struct GatewayProcess {
    child: Child,
    log: PathBuf,
}

impl GatewayProcess {
    fn start(
        app_url: &str,
        token: &str,
        serials: &[String],
        spool: &Path,
        batch: usize,
        log: PathBuf,
    ) -> anyhow::Result<Self> {
        let (host, port) = testing::broker();
        let topics: Vec<String> = serials.iter().map(|s| report_topic(s)).collect();
        let out = std::fs::File::create(&log)?;
        let child = Command::new(env!("CARGO_BIN_EXE_printer-gateway"))
            .env_clear()
            .env("RUST_LOG", "debug")
            .env("FARM_MQTT_URL", format!("mqtt://{host}:{port}"))
            .env("FARM_MQTT_TOPICS", topics.join(","))
            .env(
                "FARM_MQTT_CLIENT_ID",
                format!("gw-kill-{}", testing::unique_tag()),
            )
            .env("FARM_SITE", "kill-test")
            .env("FARM_SITE_TOKEN", token)
            .env("FARM_SPOOL_PATH", spool)
            .env("FARM_APP_URL", app_url)
            .env("FARM_PRINTERS", serials.join(","))
            .env("FARM_TICK_EVERY_MS", "0")
            .env("FARM_EVENT_BATCH", batch.to_string())
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .context("starting printer-gateway")?;
        Ok(Self { child, log })
    }

    /// The log so far, without its ANSI colours.
    fn log(&self) -> String {
        let raw = std::fs::read_to_string(&self.log).unwrap_or_default();
        let mut plain = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                // ESC [ parameters m
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                plain.push(c);
            }
        }
        plain
    }

    /// Waits until the log has `count` lines containing `needle`.
    async fn wait_log(
        &mut self,
        needle: &str,
        count: usize,
        within: Duration,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.log().lines().filter(|l| l.contains(needle)).count() >= count {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                bail!("the gateway exited ({status}):\n{}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!(
            "no {count} × {needle:?} in the gateway's log:\n{}",
            self.log()
        )
    }

    /// SIGKILL.
    fn kill(mut self) -> anyhow::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Publishes, per printer, one idle report and then `cycles` prints: PREPARE
/// at 0 %, RUNNING at 5 %, 15 %, ..., 95 %, FINISH at 100 %. By the event
/// rules (fleet.rs: the first report is `online`; a new gcode_state is
/// `state_changed`; a new multiple of 10 % in the same state is `progress`)
/// each printer causes 1 + 12 × cycles events: 1 online, then per print
/// 3 state changes and 9 progress steps. Returns the expected count per
/// printer and kind.
async fn publish_prints(
    serials: &[String],
    cycles: usize,
) -> anyhow::Result<BTreeMap<(String, String), usize>> {
    let (host, port) = testing::broker();
    let (client, mut event_loop) = AsyncClient::new(
        MqttOptions::new(format!("pub-{}", testing::unique_tag()), host, port),
        1024,
    );
    let pump = tokio::spawn(async move { while event_loop.poll().await.is_ok() {} });
    let report = |state: GcodeState, percent: u8| {
        PrintStatus {
            gcode_state: Some(state),
            percent: Some(percent),
            ..PrintStatus::default()
        }
        .to_report_json(1)
    };
    let mut reports = vec![report(GcodeState::Idle, 0)];
    for _ in 0..cycles {
        reports.push(report(GcodeState::Prepare, 0));
        reports.extend((0..10).map(|i| report(GcodeState::Running, 5 + 10 * i)));
        reports.push(report(GcodeState::Finish, 100));
    }
    for payload in &reports {
        for serial in serials {
            client
                .publish(
                    report_topic(serial),
                    QoS::AtLeastOnce,
                    false,
                    payload.clone(),
                )
                .await?;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // Give the client time to hand the last messages to the broker.
    tokio::time::sleep(Duration::from_millis(300)).await;
    pump.abort();
    let mut expected = BTreeMap::new();
    for serial in serials {
        expected.insert((serial.clone(), "online".to_owned()), 1);
        expected.insert((serial.clone(), "state_changed".to_owned()), 3 * cycles);
        expected.insert((serial.clone(), "progress".to_owned()), 9 * cycles);
    }
    Ok(expected)
}

/// Events that arrived, counted per printer serial and kind, and their ids.
async fn arrived(
    db_url: &str,
) -> anyhow::Result<(BTreeMap<(String, String), usize>, BTreeSet<String>)> {
    let (db, connection) = tokio_postgres::connect(db_url, NoTls).await?;
    tokio::spawn(connection);
    let rows = db
        .query("select p.serial, e.kind, e.id from farm_events e join printers p on p.id = e.printer_id", &[])
        .await?;
    let mut counts = BTreeMap::new();
    let mut ids = BTreeSet::new();
    for row in rows {
        *counts.entry((row.get(0), row.get(1))).or_insert(0) += 1;
        ids.insert(row.get(2));
    }
    Ok((counts, ids))
}

async fn wait_arrived(db_url: &str, total: usize, within: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + within;
    loop {
        let (_, ids) = arrived(db_url).await?;
        if ids.len() >= total {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{} of {total} events arrived", ids.len());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn serials(count: usize) -> Vec<String> {
    let tag = testing::unique_tag();
    (0..count).map(|i| format!("01K{tag}{i:02}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_killed_with_events_in_its_spool_loses_none_and_doubles_none()
-> anyhow::Result<()> {
    let database = testing::fresh_database()?;
    let mut app = App::new(&database.url)?;
    app.start().await?;
    let token = app.site_token("kill-test").await?;
    // The app goes away, so whatever the gateway records stays in its spool.
    app.kill();

    let dir = tempfile::tempdir()?;
    let spool_path = dir.path().join("spool.redb");
    let printers = serials(3);
    let mut gateway = GatewayProcess::start(
        &app.url(),
        &token,
        &printers,
        &spool_path,
        10,
        dir.path().join("gw1.log"),
    )?;
    gateway
        .wait_log("subscribed to printer reports", 1, Duration::from_secs(20))
        .await?;
    let expected = publish_prints(&printers, 1).await?;
    let total: usize = expected.values().sum();
    assert_eq!(total, 39);
    gateway
        .wait_log("event spooled", total, Duration::from_secs(30))
        .await?;
    gateway.kill()?;

    // What the killed gateway left behind, read from its spool file.
    let spooled: BTreeSet<String> = {
        let spool = Spool::open(&spool_path)?;
        spool
            .pending(10_000)?
            .into_iter()
            .map(|(_, e)| e.id)
            .collect()
    };
    assert_eq!(
        spooled.len(),
        total,
        "every event was in the spool at the kill"
    );

    app.start().await?;
    let mut gateway = GatewayProcess::start(
        &app.url(),
        &token,
        &printers,
        &spool_path,
        10,
        dir.path().join("gw2.log"),
    )?;
    wait_arrived(&database.url, total, Duration::from_secs(60)).await?;
    // Let any second copy arrive if one were coming.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (counts, ids) = arrived(&database.url).await?;
    assert_eq!(
        ids, spooled,
        "exactly the spooled events arrived, under their own ids"
    );
    assert_eq!(counts, expected);
    gateway
        .wait_log("batch acknowledged", 1, Duration::from_secs(5))
        .await?;
    gateway.kill()?;
    assert_eq!(
        Spool::open(&spool_path)?.len()?,
        0,
        "the spool is empty once the app has everything"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_killed_during_the_batches_gets_every_event_exactly_once_after_restart()
-> anyhow::Result<()> {
    let database = testing::fresh_database()?;
    let mut app = App::new(&database.url)?;
    app.start().await?;
    let token = app.site_token("kill-test").await?;

    let dir = tempfile::tempdir()?;
    let printers = serials(4);
    let mut gateway = GatewayProcess::start(
        &app.url(),
        &token,
        &printers,
        &dir.path().join("spool.redb"),
        3,
        dir.path().join("gw.log"),
    )?;
    gateway
        .wait_log(
            "printers registered with the app",
            1,
            Duration::from_secs(20),
        )
        .await?;
    gateway
        .wait_log("subscribed to printer reports", 1, Duration::from_secs(20))
        .await?;

    let publishing = tokio::spawn({
        let printers = printers.clone();
        async move { publish_prints(&printers, 3).await }
    });
    // Kill the app as soon as the first batches land, while more are on their way.
    wait_arrived(&database.url, 1, Duration::from_secs(30)).await?;
    app.kill();
    let at_kill = arrived(&database.url).await?.1.len();
    let expected = publishing.await??;
    let total: usize = expected.values().sum();
    assert_eq!(total, 4 * 37);
    assert!(
        at_kill < total,
        "the app was killed before everything arrived ({at_kill} of {total})"
    );
    gateway
        .wait_log("cannot send events", 1, Duration::from_secs(20))
        .await?;

    app.start().await?;
    wait_arrived(&database.url, total, Duration::from_secs(90)).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (counts, ids) = arrived(&database.url).await?;
    assert_eq!(ids.len(), total);
    assert_eq!(counts, expected);
    eprintln!(
        "app killed with {at_kill} of {total} events applied; after restart {} arrived, each once",
        ids.len()
    );
    gateway.kill()?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sites_gateways_share_one_app_and_neither_can_take_the_others_printers()
-> anyhow::Result<()> {
    let database = testing::fresh_database()?;
    let mut app = App::new(&database.url)?;
    app.start().await?;
    let dir = tempfile::tempdir()?;
    let (north, south) = (serials(2), serials(2));
    let north_token = app.site_token("north").await?;
    let south_token = app.site_token("south").await?;
    let mut gateways = Vec::new();
    for (name, token, printers) in [("n", &north_token, &north), ("s", &south_token, &south)] {
        let mut gateway = GatewayProcess::start(
            &app.url(),
            token,
            printers,
            &dir.path().join(format!("{name}.redb")),
            10,
            dir.path().join(format!("{name}.log")),
        )?;
        gateway
            .wait_log(
                "printers registered with the app",
                1,
                Duration::from_secs(20),
            )
            .await?;
        gateway
            .wait_log("subscribed to printer reports", 1, Duration::from_secs(20))
            .await?;
        gateways.push(gateway);
    }
    let all: Vec<String> = north.iter().chain(&south).cloned().collect();
    let expected = publish_prints(&all, 1).await?;
    let total: usize = expected.values().sum();
    wait_arrived(&database.url, total, Duration::from_secs(60)).await?;
    assert_eq!(arrived(&database.url).await?.0, expected);

    let (db, connection) = tokio_postgres::connect(&database.url, NoTls).await?;
    tokio::spawn(connection);
    for (site, printers) in [("north", &north), ("south", &south)] {
        let events: i64 = db
            .query_one(
                "select count(*) from farm_events e join farm_sites s on s.id = e.site_id
                 join printers p on p.id = e.printer_id
                 where s.name = $1 and p.serial = any($2) and p.site_id = s.id",
                &[&site, printers],
            )
            .await?
            .get(0);
        assert_eq!(events as usize, total / 2, "{site}'s events are its own");
    }

    // A third gateway of site south that lists one of north's printers is
    // refused at registration and stops, rather than reporting for it.
    let thief_printers = vec![north[0].clone()];
    let mut thief = GatewayProcess::start(
        &app.url(),
        &south_token,
        &thief_printers,
        &dir.path().join("thief.redb"),
        10,
        dir.path().join("thief.log"),
    )?;
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = thief.child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            bail!("the thief gateway kept running:\n{}", thief.log());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(!status.success());
    assert!(thief.log().contains("printer_taken"), "{}", thief.log());
    for gateway in gateways {
        gateway.kill()?;
    }
    Ok(())
}

/// A TCP relay to the app that, once armed, lets one answer of the app go
/// unheard: the request reaches the app (which commits), then the
/// connection is cut before the gateway reads a byte of the answer, as when
/// the app dies right after its commit.
async fn answer_dropping_relay(
    app_port: u16,
    armed: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> anyhow::Result<u16> {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let armed = armed.clone();
            tokio::spawn(async move {
                let Ok(upstream) = tokio::net::TcpStream::connect(("127.0.0.1", app_port)).await
                else {
                    return;
                };
                let (mut client_read, mut client_write) = client.into_split();
                let (mut up_read, mut up_write) = upstream.into_split();
                let requests =
                    tokio::spawn(
                        async move { tokio::io::copy(&mut client_read, &mut up_write).await },
                    );
                let mut buffer = vec![0u8; 64 * 1024];
                while let Ok(n) = up_read.read(&mut buffer).await {
                    if n == 0 {
                        break;
                    }
                    let text = String::from_utf8_lossy(&buffer[..n]);
                    // Only an events answer is dropped (registration passes).
                    if text.contains("\"results\"") && armed.swap(false, Ordering::SeqCst) {
                        break;
                    }
                    if client_write.write_all(&buffer[..n]).await.is_err() {
                        break;
                    }
                }
                requests.abort();
            });
        }
    });
    Ok(port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_whose_answer_is_lost_is_sent_again_and_applied_once() -> anyhow::Result<()> {
    let database = testing::fresh_database()?;
    let mut app = App::new(&database.url)?;
    app.start().await?;
    let token = app.site_token("lost-answer").await?;
    let armed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let relay_port = answer_dropping_relay(app.port, armed.clone()).await?;
    // The gateway reaches the app only through the relay.
    let relay = format!("http://127.0.0.1:{relay_port}");
    let dir = tempfile::tempdir()?;
    let printers = serials(2);
    let mut gateway = GatewayProcess::start(
        &relay,
        &token,
        &printers,
        &dir.path().join("spool.redb"),
        500,
        dir.path().join("gw.log"),
    )?;
    gateway
        .wait_log(
            "printers registered with the app",
            1,
            Duration::from_secs(20),
        )
        .await?;
    gateway
        .wait_log("subscribed to printer reports", 1, Duration::from_secs(20))
        .await?;
    let expected = publish_prints(&printers, 1).await?;
    let total: usize = expected.values().sum();
    wait_arrived(&database.url, total, Duration::from_secs(60)).await?;
    gateway
        .wait_log("batch acknowledged", 1, Duration::from_secs(20))
        .await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        !armed.load(std::sync::atomic::Ordering::SeqCst),
        "an answer was dropped"
    );
    assert_eq!(arrived(&database.url).await?.0, expected);
    // The resent batch was answered `duplicate` for what the lost answer covered.
    let log = gateway.log();
    let duplicates: usize = log
        .lines()
        .filter(|l| l.contains("batch acknowledged"))
        .filter_map(|l| l.split("duplicate=").nth(1))
        .filter_map(|rest| rest.split_whitespace().next()?.parse::<usize>().ok())
        .sum();
    assert!(duplicates > 0, "no batch was answered as duplicate:\n{log}");
    eprintln!(
        "answer lost once; {duplicates} events answered duplicate on resend, {total} applied once"
    );
    gateway.kill()?;
    Ok(())
}
