//! Issues 12 and 13, "Done when", end to end over HTTP on the simulated farm:
//! the real app (spin.toml's Wasm components in the local host, real
//! Postgres, the object store), the real `farm-sim` (LAN mode: each printer
//! its own TLS broker and FTPS endpoint, failing at the configured rates),
//! the real `printer-gateway` (pull loop, PrusaSlicer, simulated inspector,
//! automatic plate changer), and a webhook receiver on loopback.
//!
//! One test key orders 25 parts. The run kills the gateway with SIGKILL twice
//! and restarts the simulated farm once while parts print. It must end with
//! the order shipped (then delivered), 25 parts that passed inspection with
//! photos that download as PNG, the re-prints in the order's timeline, no
//! farm event applied twice, and every order event delivered to the
//! receiver, signed with both header sets, in order.
//!
//! The farm's processes are started by `farm_tests::farm_procs`, as in
//! the browser test. Needs `scripts/services.sh up`, `scripts/build-wasm.sh`,
//! and the `printer-gateway` and `farm-sim` binaries beside this test's
//! (`cargo test` over the workspace builds them; scripts/test.sh does).

#[path = "upload_common.rs"]
mod common;
#[path = "webhooks_common.rs"]
mod hooks;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::*;
use farm_signing::webhook::{WebhookSecret, verify_seed, verify_standard};
use farm_tests::{Farm, FarmOptions, TestApp};
use hooks::{Receiver, register};
use reqwest::Method;
use serde_json::{Value, json};

fn address() -> Value {
    json!({"line1": "123 Main St", "city": "San Francisco", "state": "CA",
           "postal_code": "94105", "country": "US"})
}

fn verifies_with(
    headers: &std::collections::HashMap<String, String>,
    body: &[u8],
    secret: &WebhookSecret,
) -> bool {
    let h = |n: &str| headers.get(n).map(String::as_str).unwrap_or("");
    let ts: i64 = h("webhook-timestamp").parse().expect("timestamp");
    let standard = verify_standard(secret, h("webhook-id"), ts, body, h("webhook-signature"));
    let seed = verify_seed(secret, ts, body, h("x-webhook-signature-256"));
    standard && seed
}

/// The order as its owner reads it.
async fn order(app: &TestApp, key: &str, id: &str) -> Value {
    let (status, body) = get(app, key, &format!("/v1/orders/{id}")).await;
    assert_eq!(status, 200, "{body}");
    body
}

fn passed_parts(order: &Value) -> usize {
    order["parts"]
        .as_array()
        .map(|parts| parts.iter().filter(|p| p["status"] == "passed").count())
        .unwrap_or(0)
}

/// The failure rates (10 % of prints, 5 % of inspections) give a
/// part about a 0.145 chance to fail each attempt, so a 25-part order has
/// about a 25 × 0.145³ ≈ 7.6 % chance that some part fails three times and
/// the order is (rightly) flagged for a person. A flagged run is checked for
/// that outcome (not shipped, a part at three failures) and the scenario runs
/// again on a fresh app with the next seed; three flagged runs in a row
/// (about 4 in 10,000) fail the test.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_25_part_order_ships_inspected_through_gateway_kills_and_a_farm_restart() {
    for seed in [12, 13, 14] {
        if scenario(seed).await {
            return;
        }
        println!(
            "e2e: seed {seed}: a part failed three times and the order was flagged; running again"
        );
    }
    panic!("three runs in a row flagged their order");
}

/// One run; false when the order was flagged because a part failed three
/// times (checked), true when it ended delivered (checked).
async fn scenario(seed: u64) -> bool {
    let app = spawn_upload_app_with(&[
        ("webhook_allow_private_targets", "true"),
        ("farm_transit_secs", "10"),
        // The test polls the order every half second for minutes.
        ("rate_limit_per_minute", "100000"),
        ("rate_limit_per_day", "1000000"),
    ])
    .await;
    let mut scopes: Vec<&str> = ALL_SCOPES.to_vec();
    scopes.extend(["webhooks:manage", "events:read"]);
    let (key, _account) = new_account_key(&app, "test", &scopes).await;

    // Every order event goes to a receiver on loopback.
    let receiver = Receiver::start(vec![]).await;
    let (status, endpoint) = register(&app, &key, &receiver.url).await;
    assert_eq!(status, 201, "{endpoint}");
    let secret =
        WebhookSecret::parse(endpoint["secret"].as_str().expect("secret")).expect("whsec_");

    // The simulated farm: 6 printers in LAN mode, fast, failing 10 % of
    // prints and 5 % of inspections (the rates), every printer
    // holding the order's filament (black PLA).
    let mut farm = Farm::start(
        &app,
        FarmOptions {
            printers: 6,
            seed,
            print_failure_rate: 0.10,
            inspection_failure_rate: 0.05,
            ..FarmOptions::new("e2e")
        },
    )
    .await;
    farm.wait_online(&app).await;

    // 25 small parts, test mode, paid through the test checkout.
    let file = upload_box(&app, &key, "spacer.stl", [18.0, 18.0, 6.0]).await;
    let q = quote(&app, &key, &file, "pla", 25).await;
    let response = app
        .with_key(&key)
        .request(Method::POST, "/v1/checkout_sessions")
        .header("idempotency-key", "e2e-order-1")
        .json(&json!({"quote_id": q["quote_id"], "shipping_address_json": address()}))
        .send()
        .await
        .expect("checkout");
    assert_eq!(response.status(), 201);
    let session: Value = response.json().await.expect("session");
    let order_id = session["order_id"].as_str().expect("order id").to_owned();
    let (status, paid) = post(
        &app,
        &key,
        &format!(
            "/v1/test_helpers/checkout_sessions/{}/complete",
            session["id"].as_str().expect("session id")
        ),
        &json!({}),
    )
    .await;
    assert!(status < 300, "{paid}");

    // Follow the order; crash the gateway twice and the farm once on the way.
    let started = Instant::now();
    let limit = Duration::from_secs(600);
    let mut kills = 0;
    let mut farm_restarted = false;
    let mut last = Value::Null;
    let mut seen_statuses = Vec::<String>::new();
    let mut progress = (String::new(), Instant::now());
    while started.elapsed() < limit {
        last = order(&app, &key, &order_id).await;
        let fingerprint = last["parts"].to_string() + last["status"].as_str().unwrap_or("");
        if fingerprint != progress.0 {
            progress = (fingerprint, Instant::now());
        } else if progress.1.elapsed() > Duration::from_secs(180) {
            break;
        }
        let status = last["status"].as_str().unwrap_or("").to_owned();
        if seen_statuses.last() != Some(&status) {
            seen_statuses.push(status.clone());
        }
        if status == "delivered" {
            break;
        }
        if last["needs_attention"] == true {
            let rows = app
                .db()
                .await
                .query(
                    "select concat_ws(' ', to_char(occurred_at, 'MI:SS.MS'), printer_id, kind, plate_id, task_id, detail::text) \
                     from farm_events where kind not in ('progress', 'state_changed') order by occurred_at",
                    &[],
                )
                .await
                .expect("farm events");
            let history: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
            let gave_up = last["parts"].as_array().is_some_and(|p| {
                p.iter()
                    .any(|p| p["status"] == "gave_up" && p["attempts"].as_i64() >= Some(3))
            });
            if gave_up && last["status"] == "in_production" && last["carrier"].is_null() {
                return false;
            }
            panic!(
                "flagged: {}\n{}\n--- gateway\n{}",
                last["status_detail"],
                history.join("\n"),
                farm.gateway.tail()
            );
        }
        let passed = passed_parts(&last);
        // The crashes, each on a point every run reaches before delivery
        // (the transit alone is 10 s): the first print under way, the first
        // part passed, and the next look after the farm came back.
        let printing = last["parts"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["status"] == "printing"));
        if kills == 0 && (printing || status == "in_production") {
            farm.gateway.kill();
            farm.gateway.start();
            kills = 1;
        } else if kills == 1 && passed >= 1 && !farm_restarted {
            farm.sim.kill();
            farm.sim.start();
            farm_restarted = true;
        } else if kills == 1 && farm_restarted {
            farm.gateway.kill();
            tokio::time::sleep(Duration::from_millis(500)).await;
            farm.gateway.start();
            kills = 2;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(
        last["status"],
        "delivered",
        "after {:?}: {seen_statuses:?}\n{last:#}\n{}",
        started.elapsed(),
        farm.logs()
    );
    println!(
        "e2e: delivered after {:.1} s; statuses {seen_statuses:?}; gateway starts {}, farm starts {}",
        started.elapsed().as_secs_f64(),
        farm.gateway.starts,
        farm.sim.starts
    );
    assert_eq!((kills, farm_restarted), (2, true), "the crashes happened");

    // 25 parts, each passed inspection, each with photos that download as PNG.
    let parts = last["parts"].as_array().expect("parts");
    assert_eq!(parts.len(), 25, "{last:#}");
    let http = reqwest::Client::new();
    let mut reprints = 0;
    for part in parts {
        assert_eq!(part["status"], "passed", "{part}");
        let inspection = &part["inspection"];
        assert_eq!(inspection["passed"], true, "{part}");
        let photos = inspection["photos"].as_array().expect("photos");
        assert!(!photos.is_empty(), "{part}");
        for photo in photos {
            let bytes = http
                .get(photo["url"].as_str().expect("url"))
                .send()
                .await
                .expect("photo")
                .bytes()
                .await
                .expect("photo bytes");
            assert!(
                bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
                "{photo}: not a PNG"
            );
        }
        reprints += part["attempts"].as_i64().expect("attempts") - 1;
    }
    assert!(
        last["tracking_number"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{last}"
    );
    assert!(
        last["energy_kwh"].as_f64().is_some_and(|e| e > 0.0),
        "{last}"
    );

    // No transition lost or doubled: each status event once, in order; one
    // farm start and one finish per plate however often the gateway died.
    let db = app.db().await;
    let types: Vec<String> = db
        .query(
            "select type from events where order_id = $1 and type <> 'order.inspection' \
             and type <> 'order.print_failed' and type <> 'order.status_changed' order by seq",
            &[&order_id],
        )
        .await
        .expect("events")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        types,
        [
            "order.created",
            "order.paid",
            "order.queued",
            "order.in_production",
            "order.shipped",
            "order.delivered"
        ],
        "the order's life"
    );
    let doubled: i64 = app
        .scalar(
            "select count(*) from (select plate_id, kind from farm_events \
             where kind in ('task_started', 'task_finished', 'task_failed') and plate_id is not null \
             group by 1, 2 having count(*) > 1) d",
            &[],
        )
        .await;
    assert_eq!(doubled, 0, "a plate started or ended twice");
    let failed_inspections: i64 = app
        .scalar("select count(*) from inspections where not passed", &[])
        .await;
    let failed_prints: i64 = app
        .scalar(
            "select count(*) from farm_events where kind = 'task_failed'",
            &[],
        )
        .await;
    // The re-prints are in the order's timeline: one order.inspection per
    // inspection, the failed ones with passed = false.
    let inspection_events: Vec<Value> = db
        .query(
            "select data::text from events where order_id = $1 and type = 'order.inspection' order by seq",
            &[&order_id],
        )
        .await
        .expect("inspection events")
        .iter()
        .map(|r| serde_json::from_str::<Value>(r.get::<_, &str>(0)).expect("json"))
        .collect();
    let failed_in_timeline = inspection_events
        .iter()
        .filter(|e| e["inspection"]["passed"] == false)
        .count() as i64;
    assert_eq!(failed_in_timeline, failed_inspections);
    // And one order.print_failed per failed print of a part: with the
    // failed inspections, every re-print is in the timeline.
    let print_failed: i64 = app
        .scalar(
            "select count(*) from events where order_id = $1 and type = 'order.print_failed'",
            &[&order_id],
        )
        .await;
    assert_eq!(
        print_failed + failed_in_timeline,
        reprints,
        "every re-print is announced"
    );
    // Each says why, from the gateway's report of the failure.
    let unexplained: i64 = app
        .scalar(
            "select count(*) from events where order_id = $1 and type = 'order.print_failed' \
             and coalesce(data->'print_failure'->>'reason', '') = ''",
            &[&order_id],
        )
        .await;
    assert_eq!(unexplained, 0, "a print failure without a reason");
    println!(
        "e2e: {reprints} re-prints ({failed_prints} failed plates, {print_failed} order.print_failed, {failed_inspections} failed inspections), \
         {} inspection events, energy {} kWh ({} grid)",
        inspection_events.len(),
        last["energy_kwh"],
        last["grid_kwh"]
    );
    assert!(
        reprints >= failed_inspections,
        "each failed inspection re-printed its part"
    );

    // The receiver got every event of the order, signed with both header
    // sets, in order, ending with order.delivered; order.shipped carries
    // tracking and photo URLs that download.
    let deadline = Instant::now() + Duration::from_secs(120);
    let received = loop {
        let got: Vec<_> = receiver
            .received()
            .into_iter()
            .filter(|r| r.json()["data"]["object"]["id"] == order_id.as_str())
            .collect();
        if got.iter().any(|r| r.json()["type"] == "order.delivered") || Instant::now() > deadline {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let all: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| format!("{} {}", r.json()["type"], r.json()["data"]["object"]["id"]))
        .collect();
    assert!(
        !received.is_empty(),
        "no event of the order reached the receiver: {all:?}"
    );
    let mut order_of_types: BTreeMap<String, usize> = BTreeMap::new();
    let mut ids = std::collections::BTreeSet::new();
    for (i, r) in received.iter().enumerate() {
        assert!(
            verifies_with(&r.headers, &r.body, &secret),
            "delivery {i} does not verify"
        );
        let event = r.json();
        let kind = event["type"].as_str().expect("type").to_owned();
        if ids.insert(event["id"].as_str().expect("id").to_owned()) {
            order_of_types.entry(kind).or_insert(i);
        }
    }
    let position = |t: &str| {
        *order_of_types
            .get(t)
            .unwrap_or_else(|| panic!("{t} never arrived: {order_of_types:?}"))
    };
    assert!(position("order.paid") < position("order.in_production"));
    assert!(position("order.in_production") < position("order.shipped"));
    assert!(position("order.shipped") < position("order.delivered"));
    let shipped = received
        .iter()
        .map(|r| r.json())
        .find(|e| e["type"] == "order.shipped")
        .expect("shipped");
    assert_eq!(
        shipped["data"]["object"]["tracking_number"],
        last["tracking_number"]
    );
    let shipped_parts = shipped["data"]["object"]["parts"]
        .as_array()
        .expect("parts in order.shipped");
    assert_eq!(shipped_parts.len(), 25);
    let url = shipped_parts[0]["photos"][0]["url"]
        .as_str()
        .expect("photo url");
    let bytes = http
        .get(url)
        .send()
        .await
        .expect("get")
        .bytes()
        .await
        .expect("bytes");
    assert!(
        bytes.starts_with(b"\x89PNG"),
        "the shipped event's photo is a PNG"
    );
    true
}
