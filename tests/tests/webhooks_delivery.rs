//! Webhook delivery end to end: the real app (spin.toml through the local
//! host), real Postgres, the work queue's tick, and a real HTTP receiver on
//! loopback. Signatures are checked with `farm_signing::webhook`'s verifiers,
//! which reproduce the Standard Webhooks specification's published test
//! vector (shared/signing).

#[path = "upload_common.rs"]
mod common;
#[path = "webhooks_common.rs"]
mod hooks;

use std::time::Duration;

use common::*;
use farm_signing::webhook::{WebhookSecret, verify_seed, verify_standard};
use hooks::*;
use serde_json::Value;

async fn app() -> farm_tests::TestApp {
    spawn_upload_app_with(&[]).await
}

fn secret_of(body: &Value) -> WebhookSecret {
    WebhookSecret::parse(body["secret"].as_str().expect("secret shown")).expect("whsec_ secret")
}

/// Both header sets verify under `secret`, and they name the same delivery.
fn verifies_with(r: &Received, secret: &WebhookSecret) -> bool {
    let ts: i64 = r.header("webhook-timestamp").parse().expect("timestamp");
    assert_eq!(
        r.header("x-webhook-timestamp"),
        r.header("webhook-timestamp")
    );
    assert_eq!(r.header("x-webhook-id"), r.header("webhook-id"));
    let standard = verify_standard(
        secret,
        r.header("webhook-id"),
        ts,
        &r.body,
        r.header("webhook-signature"),
    );
    let seed = verify_seed(secret, ts, &r.body, r.header("x-webhook-signature-256"));
    assert_eq!(standard, seed, "the two header sets disagree");
    standard
}

#[tokio::test]
async fn file_ready_reaches_a_receiver_that_verifies_both_header_sets() {
    let app = app().await;
    let (key, _) = new_account_key(&app, "test", &WEBHOOK_SCOPES).await;
    let receiver = Receiver::start(vec![]).await;
    let (status, endpoint) = register(&app, &key, &receiver.url).await;
    assert_eq!(status, 201, "{endpoint}");
    let secret = secret_of(&endpoint);
    // The secret is shown once: reading the endpoint does not show it.
    let id = endpoint["id"].as_str().expect("id").to_owned();
    let (_, again) = get(&app, &key, &format!("/v1/webhooks/endpoints/{id}")).await;
    assert!(again.get("secret").is_none(), "{again}");

    let file = upload_box(&app, &key, "bracket.stl", [20.0, 10.0, 5.0]).await;
    let file_id = file["id"].as_str().expect("file id").to_owned();
    tick_until(&app, Duration::from_secs(30), || {
        !receiver.received().is_empty()
    })
    .await;

    let got = receiver.received();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert!(verifies_with(r, &secret));
    let stranger = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret");
    assert!(!verifies_with(r, &stranger));
    assert_eq!(r.header("x-webhook-event"), "file.ready");
    let event = r.json();
    assert_eq!(event["type"], "file.ready");
    assert_eq!(event["livemode"], false);
    assert_eq!(event["data"]["object"]["id"], file_id.as_str());
    assert_eq!(event["data"]["object"]["status"], "ready");
    assert_eq!(event["id"].as_str(), Some(r.header("webhook-id")));

    // The same event through the events API.
    let (status, list) = get(
        &app,
        &key,
        &format!("/v1/events?type=file.ready&object={file_id}"),
    )
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list["data"][0], event);
    let (status, one) = get(
        &app,
        &key,
        &format!("/v1/events/{}", event["id"].as_str().unwrap_or("")),
    )
    .await;
    assert_eq!((status, &one), (200, &event));
    // A live key does not see test-mode events.
    let live = account_key(&app, &account_of(&app, &key).await, "live", &WEBHOOK_SCOPES).await;
    let (_, live_list) = get(&app, &live, "/v1/events").await;
    assert_eq!(
        live_list["data"].as_array().map(Vec::len),
        Some(0),
        "{live_list}"
    );
}

async fn account_of(app: &farm_tests::TestApp, key: &str) -> String {
    let hash = sha256_hex(key.as_bytes());
    app.scalar(
        "select account_id from api_keys where key_hash = $1",
        &[&hash],
    )
    .await
}

#[tokio::test]
async fn a_receiver_answering_500_three_times_gets_the_event_on_the_fourth_attempt() {
    let app = app().await;
    let (key, account) = new_account_key(&app, "test", &WEBHOOK_SCOPES).await;
    let receiver = Receiver::start(vec![
        Reply::Status(500),
        Reply::Status(500),
        Reply::Status(500),
    ])
    .await;
    let (_, endpoint) = register(&app, &key, &receiver.url).await;
    let endpoint_id = endpoint["id"].as_str().expect("id").to_owned();
    let event = record_event(&app, &account, false, "order.paid", "ord_1", Some("ord_1")).await;

    for expected in 1..=4 {
        tick_until(&app, Duration::from_secs(20), || {
            receiver.received().len() >= expected
        })
        .await;
        // Let the attempt be recorded, then check the wait it scheduled.
        tick(&app).await;
        if expected < 4 {
            let wait: f64 = app
                .scalar(
                    "select extract(epoch from next_attempt_at - now())::float8 from webhook_deliveries where event_id = $1",
                    &[&event],
                )
                .await;
            // farm-webhooks: 60 s * 2^(n-1), delayed by up to a fifth.
            let plain = 60.0 * f64::from(1u32 << (expected - 1));
            assert!(
                wait > plain - 5.0 && wait < plain * 1.2 + 1.0,
                "attempt {expected}: wait {wait}"
            );
            make_retries_due(&app).await;
        }
    }
    let list = deliveries(&app, &key, &endpoint_id).await;
    assert_eq!(list.len(), 1);
    let d = &list[0];
    assert_eq!(d["status"], "delivered", "{d}");
    assert_eq!(d["attempt_count"], 4);
    let attempts = d["attempts"].as_array().expect("attempts");
    let codes: Vec<i64> = attempts
        .iter()
        .filter_map(|a| a["status_code"].as_i64())
        .collect();
    assert_eq!(codes, [500, 500, 500, 200]);
    assert_eq!(attempts[0]["response_excerpt"], "nope");
    assert!(attempts.iter().all(|a| a["latency_ms"].as_i64().is_some()));
    assert_eq!(receiver.received().len(), 4);
    // Every attempt carried the same event id (receivers deduplicate on it).
    assert!(
        receiver
            .received()
            .iter()
            .all(|r| r.header("webhook-id") == event)
    );
}

#[tokio::test]
async fn a_410_answer_disables_the_endpoint_and_mails_the_account() {
    let app = app().await;
    let (key, account) = new_account_key(&app, "test", &WEBHOOK_SCOPES).await;
    let receiver = Receiver::start(vec![Reply::Status(410)]).await;
    let (_, endpoint) = register(&app, &key, &receiver.url).await;
    let id = endpoint["id"].as_str().expect("id").to_owned();
    record_event(&app, &account, false, "order.paid", "ord_2", Some("ord_2")).await;
    tick_until(&app, Duration::from_secs(20), || {
        !receiver.received().is_empty()
    })
    .await;
    tick(&app).await;
    let (_, now) = get(&app, &key, &format!("/v1/webhooks/endpoints/{id}")).await;
    assert_eq!(
        (now["status"].as_str(), now["disabled_reason"].as_str()),
        (Some("disabled"), Some("gone")),
        "{now}"
    );
    let mails: i64 = app
        .scalar(
            "select count(*) from mail_outbox where kind = 'webhook_disabled' and ref_id = $1",
            &[&id],
        )
        .await;
    assert_eq!(mails, 1);
    // A later event is not sent to it.
    record_event(&app, &account, false, "order.paid", "ord_3", Some("ord_3")).await;
    tick(&app).await;
    tick(&app).await;
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn a_receiver_sleeping_past_the_timeout_is_retried() {
    let app = app().await;
    let (key, account) = new_account_key(&app, "test", &WEBHOOK_SCOPES).await;
    let receiver = Receiver::start(vec![Reply::SleepThen(Duration::from_secs(13), 200)]).await;
    let (_, endpoint) = register(&app, &key, &receiver.url).await;
    let id = endpoint["id"].as_str().expect("id").to_owned();
    record_event(&app, &account, false, "order.paid", "ord_4", Some("ord_4")).await;
    tick(&app).await;
    let first = deliveries(&app, &key, &id).await;
    let a = &first[0]["attempts"][0];
    assert!(a["status_code"].is_null(), "{a}");
    assert!(
        a["error"].as_str().unwrap_or("").starts_with("timeout"),
        "{a}"
    );
    let ms = a["latency_ms"].as_i64().unwrap_or(0);
    assert!(
        (9_500..12_900).contains(&ms),
        "timed out after {ms} ms, want about 10 s"
    );
    assert_eq!(first[0]["status"], "pending");
    make_retries_due(&app).await;
    tick_until(&app, Duration::from_secs(20), || {
        receiver.received().len() >= 2
    })
    .await;
    tick(&app).await;
    let after = deliveries(&app, &key, &id).await;
    assert_eq!(after[0]["status"], "delivered", "{}", after[0]);
    assert_eq!(after[0]["attempt_count"], 2);
}

#[tokio::test]
async fn retry_after_pushes_the_next_attempt_later() {
    let app = app().await;
    let (key, account) = new_account_key(&app, "test", &WEBHOOK_SCOPES).await;
    let receiver = Receiver::start(vec![Reply::RetryAfter(503, 7200)]).await;
    register(&app, &key, &receiver.url).await;
    let event = record_event(&app, &account, false, "order.paid", "ord_5", Some("ord_5")).await;
    tick_until(&app, Duration::from_secs(20), || {
        !receiver.received().is_empty()
    })
    .await;
    tick(&app).await;
    let wait: f64 = app
        .scalar(
            "select extract(epoch from next_attempt_at - now())::float8 from webhook_deliveries where event_id = $1",
            &[&event],
        )
        .await;
    assert!(
        (7100.0..=7200.0).contains(&wait),
        "next attempt in {wait} s, asked 7200"
    );
}

#[tokio::test]
async fn during_a_rotation_old_only_and_new_only_receivers_both_verify() {
    let app = app().await;
    let (key, account) = new_account_key(&app, "test", &WEBHOOK_SCOPES).await;
    let receiver = Receiver::start(vec![]).await;
    let (_, endpoint) = register(&app, &key, &receiver.url).await;
    let id = endpoint["id"].as_str().expect("id").to_owned();
    let old = secret_of(&endpoint);
    let (status, rotated) = rotate_secret(&app, &key, &id).await;
    assert_eq!(status, 200, "{rotated}");
    let new = secret_of(&rotated);
    assert_ne!(old, new);
    let until: f64 = app
        .scalar(
            "select extract(epoch from max(expires_at) - now())::float8 from webhook_secrets where endpoint_id = $1",
            &[&id],
        )
        .await;
    assert!(
        (86_300.0..=86_400.0).contains(&until),
        "old secret signs for {until} s"
    );

    record_event(&app, &account, false, "order.paid", "ord_6", Some("ord_6")).await;
    tick_until(&app, Duration::from_secs(20), || {
        !receiver.received().is_empty()
    })
    .await;
    let r = &receiver.received()[0];
    assert!(
        verifies_with(r, &old),
        "a receiver holding only the old secret"
    );
    assert!(
        verifies_with(r, &new),
        "a receiver holding only the new secret"
    );

    // After the overlap only the new secret signs.
    app.db()
        .await
        .execute("update webhook_secrets set expires_at = now() where endpoint_id = $1 and expires_at is not null", &[&id])
        .await
        .expect("end overlap");
    record_event(&app, &account, false, "order.paid", "ord_7", Some("ord_7")).await;
    tick_until(&app, Duration::from_secs(20), || {
        receiver.received().len() >= 2
    })
    .await;
    let r = &receiver.received()[1];
    assert!(verifies_with(r, &new));
    assert!(!verifies_with(r, &old));
}

#[tokio::test]
async fn events_of_one_order_arrive_in_order_while_other_orders_are_not_held_up() {
    let app = app().await;
    let (key, account) = new_account_key(&app, "test", &WEBHOOK_SCOPES).await;
    // The first request (order A's first event) fails once.
    let receiver = Receiver::start(vec![Reply::Status(500)]).await;
    register(&app, &key, &receiver.url).await;
    let a1 = record_event(&app, &account, false, "order.paid", "ord_a", Some("ord_a")).await;
    let a2 = record_event(
        &app,
        &account,
        false,
        "order.in_production",
        "ord_a",
        Some("ord_a"),
    )
    .await;
    let a3 = record_event(
        &app,
        &account,
        false,
        "order.shipped",
        "ord_a",
        Some("ord_a"),
    )
    .await;
    let b1 = record_event(&app, &account, false, "order.paid", "ord_b", Some("ord_b")).await;
    let b2 = record_event(
        &app,
        &account,
        false,
        "order.shipped",
        "ord_b",
        Some("ord_b"),
    )
    .await;
    let ids = |rs: &[Received]| -> Vec<String> {
        rs.iter()
            .map(|r| r.header("webhook-id").to_owned())
            .collect()
    };

    // Drain what is due now: A1 fails, A2 and A3 wait, B goes through.
    for _ in 0..4 {
        tick(&app).await;
    }
    let got = ids(&receiver.received());
    assert_eq!(
        got,
        [a1.clone(), b1.clone(), b2.clone()],
        "A1 failed, A2/A3 held, B delivered"
    );
    let waiting: i64 = app
        .scalar(
            "select count(*) from webhook_deliveries where waiting and event_id = any($1)",
            &[&vec![a2.clone(), a3.clone()]],
        )
        .await;
    assert_eq!(waiting, 2);

    make_retries_due(&app).await;
    tick_until(&app, Duration::from_secs(30), || {
        receiver.received().len() >= 6
    })
    .await;
    let got = ids(&receiver.received());
    assert_eq!(
        got[3..],
        [a1.clone(), a2.clone(), a3.clone()],
        "A in event order after the retry"
    );
}

#[tokio::test]
async fn private_targets_are_refused_at_registration_when_not_allowed() {
    let app = spawn_upload_app_with(&[("webhook_allow_private_targets", "false")]).await;
    let (test_key, _) = new_account_key(&app, "test", &WEBHOOK_SCOPES).await;
    let (live_key, _) = new_account_key(&app, "live", &WEBHOOK_SCOPES).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "https://10.0.0.7/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://localhost/hook",
        "https://metadata.google.internal/",
        "https://2130706433/hook",
    ] {
        let (status, body) = register(&app, &test_key, url).await;
        assert_eq!(status, 400, "{url}: {body}");
        assert_eq!(body["error"], "invalid_request", "{url}: {body}");
        assert!(body.to_string().contains("url"), "{url}: {body}");
    }
    let (status, body) = register(&app, &live_key, "http://hooks.example.com/x").await;
    assert_eq!(status, 400, "live mode needs https: {body}");
    let (status, body) = register(&app, &live_key, "https://hooks.example.com/x").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(app.count_rows("webhook_endpoints").await, 1);
}

#[tokio::test]
async fn an_account_has_at_most_sixteen_endpoints() {
    let app = app().await;
    let (key, _) = new_account_key(&app, "test", &WEBHOOK_SCOPES).await;
    for n in 0..16 {
        let (status, body) = register(&app, &key, &format!("https://hooks{n}.example.com/x")).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = register(&app, &key, "https://one-too-many.example.com/x").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("webhook_endpoint_limit_reached")),
        "{body}"
    );
    let (_, list) = get(&app, &key, "/v1/webhooks/endpoints").await;
    let first = list["data"][0]["id"].as_str().expect("id").to_owned();
    let r = app
        .with_key(&key)
        .delete(&format!("/v1/webhooks/endpoints/{first}"))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let (status, _) = register(&app, &key, "https://one-more.example.com/x").await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn redeliver_replays_an_event_to_one_endpoint() {
    let app = app().await;
    let (key, account) = new_account_key(&app, "test", &WEBHOOK_SCOPES).await;
    let receiver = Receiver::start(vec![]).await;
    let (_, endpoint) = register(&app, &key, &receiver.url).await;
    let id = endpoint["id"].as_str().expect("id").to_owned();
    let event = record_event(&app, &account, false, "order.paid", "ord_8", Some("ord_8")).await;
    tick_until(&app, Duration::from_secs(20), || {
        !receiver.received().is_empty()
    })
    .await;
    let (status, body) = post(
        &app,
        &key,
        &format!("/v1/events/{event}/redeliver"),
        &serde_json::json!({"endpoint_id": id}),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["deliveries"].as_array().map(Vec::len), Some(1));
    // A present-but-null endpoint_id is a 400 naming the field, never
    // "replay to every endpoint" (schemathesis found that one).
    let (status, refused) = post(
        &app,
        &key,
        &format!("/v1/events/{event}/redeliver"),
        &serde_json::json!({"endpoint_id": null}),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert!(refused.to_string().contains("endpoint_id"), "{refused}");
    tick_until(&app, Duration::from_secs(20), || {
        receiver.received().len() >= 2
    })
    .await;
    let got = receiver.received();
    assert_eq!(
        got[0].body, got[1].body,
        "the replay carries the same envelope"
    );
    assert_eq!(got[1].header("webhook-id"), event);
    assert_eq!(deliveries(&app, &key, &id).await.len(), 2);
}

#[tokio::test]
async fn a_name_that_comes_to_resolve_to_a_private_address_is_refused_at_delivery() {
    // The operator's production settings: no private targets at
    // registration, and private networks blocked at connect time.
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("runtime-config.toml");
    std::fs::write(
        &config,
        "[outbound_networking]\nblock_networks = [\"private\"]\n",
    )
    .expect("write");
    let names = spin_local::NameTable::default();
    let mut builder = farm_tests::AppBuilder::farm()
        .runtime_config(Some(config))
        .names(names.clone())
        .variable("webhook_allow_private_targets", "false");
    for (k, v) in store_variables() {
        builder = builder.variable(k, v);
    }
    let app = builder.spawn().await;
    let (key, account) = new_account_key(&app, "test", &WEBHOOK_SCOPES).await;
    let receiver = Receiver::start(vec![]).await;
    let port = receiver
        .url
        .split(':')
        .nth(2)
        .and_then(|p| p.split('/').next())
        .expect("port");

    // Registered while the name answers with a public address...
    names.set(
        "hooks.partner.example",
        &["93.184.215.14".parse().expect("ip")],
    );
    let url = format!("http://hooks.partner.example:{port}/hook");
    let (status, endpoint) = register(&app, &key, &url).await;
    assert_eq!(status, 201, "{endpoint}");
    let id = endpoint["id"].as_str().expect("id").to_owned();
    // ...then DNS changes to loopback, where a receiver is listening.
    names.set("hooks.partner.example", &["127.0.0.1".parse().expect("ip")]);
    record_event(&app, &account, false, "order.paid", "ord_9", Some("ord_9")).await;
    tick(&app).await;

    let list = deliveries(&app, &key, &id).await;
    let attempt = &list[0]["attempts"][0];
    assert!(
        attempt["error"]
            .as_str()
            .unwrap_or("")
            .starts_with("destination_ip_prohibited"),
        "{attempt}"
    );
    assert!(attempt["status_code"].is_null());
    assert_eq!(
        list[0]["status"], "pending",
        "retried later, in case DNS changes back"
    );
    assert!(
        receiver.received().is_empty(),
        "nothing reached the private address"
    );
}

#[tokio::test]
async fn an_endpoint_failing_for_three_days_is_disabled_and_its_account_mailed() {
    let app = app().await;
    let (key, account) = new_account_key(&app, "test", &WEBHOOK_SCOPES).await;
    let email: String = app
        .scalar("select email from accounts where id = $1", &[&account])
        .await;
    let receiver = Receiver::start(vec![Reply::Status(500), Reply::Status(500)]).await;
    let (_, endpoint) = register(&app, &key, &receiver.url).await;
    let id = endpoint["id"].as_str().expect("id").to_owned();

    // A first failure starts the clock; the endpoint stays enabled.
    record_event(
        &app,
        &account,
        false,
        "order.paid",
        "ord_10",
        Some("ord_10"),
    )
    .await;
    tick_until(&app, Duration::from_secs(20), || {
        !receiver.received().is_empty()
    })
    .await;
    tick(&app).await;
    let (_, now) = get(&app, &key, &format!("/v1/webhooks/endpoints/{id}")).await;
    assert_eq!(now["status"], "enabled", "{now}");

    // Three days later (the clock moved back instead), the next failure disables it.
    app.db()
        .await
        .execute(
            "update webhook_endpoints set failing_since = now() - interval '3 days 1 minute' where id = $1",
            &[&id],
        )
        .await
        .expect("age the failure");
    make_retries_due(&app).await;
    tick_until(&app, Duration::from_secs(20), || {
        receiver.received().len() >= 2
    })
    .await;
    tick(&app).await;
    let (_, now) = get(&app, &key, &format!("/v1/webhooks/endpoints/{id}")).await;
    assert_eq!(
        (now["status"].as_str(), now["disabled_reason"].as_str()),
        (Some("disabled"), Some("failing")),
        "{now}"
    );
    let list = deliveries(&app, &key, &id).await;
    assert_eq!(list[0]["status"], "failed");
    // The mailer sends the queued mail on a tick.
    let mut mails = Vec::new();
    for _ in 0..20 {
        tick(&app).await;
        mails = farm_tests::mails_to(&email).await;
        if !mails.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(mails.len(), 1, "one mail to {email}");
    assert!(
        mails[0].subject.contains("disabled"),
        "{}",
        mails[0].subject
    );
    assert!(
        mails[0].text.contains(&id) && mails[0].text.contains("3 days"),
        "{}",
        mails[0].text
    );
}

/// A signing secret sealed under another key (the internal token it is
/// derived from changed) cannot sign. With no readable secret the attempt
/// fails with `secret_unreadable` and the route to a new one, in the
/// endpoint's delivery log (not an internal error, retried blind); after
/// `rotate_secret` deliveries are signed with the new secret alone.
#[tokio::test]
async fn a_secret_sealed_under_another_key_fails_the_attempt_with_what_to_do() {
    let app = app().await;
    let (key, account) = new_account_key(&app, "test", &WEBHOOK_SCOPES).await;
    let receiver = Receiver::start(vec![]).await;
    let (_, endpoint) = register(&app, &key, &receiver.url).await;
    let id = endpoint["id"].as_str().expect("id").to_owned();
    // What sealing under another key leaves: the same shape, other bytes.
    app.db()
        .await
        .execute(
            "update webhook_secrets set sealed = translate(sealed, '0123456789abcdef', '123456789abcdef0') \
             where endpoint_id = $1",
            &[&id],
        )
        .await
        .expect("reseal");
    let event = record_event(&app, &account, false, "order.paid", "ord_8", Some("ord_8")).await;
    let started = std::time::Instant::now();
    loop {
        tick(&app).await;
        let attempts: i64 = app
            .scalar(
                "select coalesce(max(attempts), 0)::bigint from webhook_deliveries where event_id = $1",
                &[&event],
            )
            .await;
        if attempts > 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "no attempt");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let list = deliveries(&app, &key, &id).await;
    let attempt = &list[0]["attempts"][0];
    let error = attempt["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("secret_unreadable")
            && error.contains(&format!("/v1/webhooks/endpoints/{id}/rotate_secret")),
        "{attempt}"
    );
    assert!(receiver.received().is_empty(), "nothing unsigned goes out");

    let (status, rotated) = rotate_secret(&app, &key, &id).await;
    assert_eq!(status, 200, "{rotated}");
    let new = secret_of(&rotated);
    record_event(&app, &account, false, "order.paid", "ord_9", Some("ord_9")).await;
    tick_until(&app, Duration::from_secs(20), || {
        !receiver.received().is_empty()
    })
    .await;
    assert!(verifies_with(&receiver.received()[0], &new));
}
