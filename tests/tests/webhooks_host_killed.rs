//! Killing the host in the middle of a delivery batch loses no event: the
//! deliveries are rows and jobs before anything is sent, the killed attempt's
//! job lease expires, and the next host's tick sends it again (at least
//! once).

#[path = "upload_common.rs"]
mod common;
#[path = "webhooks_common.rs"]
mod hooks;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::*;
use hooks::*;

#[tokio::test]
async fn killing_the_host_mid_batch_loses_no_event() {
    const LEASE_SECS: u32 = 3;
    let app = spawn_upload_app_with(&[]).await;
    let (key, account) = new_account_key(&app, "test", &WEBHOOK_SCOPES).await;
    // The first request hangs long enough to kill the host during it.
    let receiver = Receiver::start(vec![Reply::SleepThen(Duration::from_secs(5), 200)]).await;
    let (status, _) = register(&app, &key, &receiver.url).await;
    assert_eq!(status, 201);
    let mut events = Vec::new();
    for n in 0..5 {
        let order = format!("ord_kill{n}");
        events.push(record_event(&app, &account, false, "order.paid", &order, Some(&order)).await);
    }

    let mut host_a = HostProcess::start(&app, LEASE_SECS).await;
    let token = app.internal_token.clone();
    let url_a = host_a.base_url.clone();
    let batch = tokio::spawn(async move {
        let _ = reqwest::Client::new()
            .post(format!("{url_a}/internal/tick"))
            .header("x-farm-internal-token", token)
            .send()
            .await;
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while receiver.received().is_empty() {
        assert!(Instant::now() < deadline, "host A sent nothing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    host_a.kill();
    let killed = Instant::now();
    batch.abort();
    let delivered_before: i64 = app
        .scalar(
            "select count(*) from webhook_deliveries where status = 'delivered'",
            &[],
        )
        .await;
    assert_eq!(
        delivered_before, 0,
        "the kill came after the batch finished"
    );

    let host_b = HostProcess::start(&app, LEASE_SECS).await;
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let delivered: i64 = app
            .scalar(
                "select count(*) from webhook_deliveries where status = 'delivered'",
                &[],
            )
            .await;
        if delivered == 5 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {delivered} of 5 delivered after the restart"
        );
        let _ = host_b.tick(&app.internal_token).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    eprintln!(
        "webhooks_host_killed: all 5 events delivered {:.1} s after the kill (lease {LEASE_SECS} s), {} requests in all",
        killed.elapsed().as_secs_f64(),
        receiver.received().len()
    );
    let seen: HashSet<String> = receiver
        .received()
        .iter()
        .map(|r| r.header("webhook-id").to_owned())
        .collect();
    for event in &events {
        assert!(seen.contains(event), "{event} never reached the receiver");
    }
}
