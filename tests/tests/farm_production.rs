//! From queue to door (issue 12, app side), driven through the internal
//! routes exactly as a printer-gateway drives them (site token, plate
//! contract): claim → task_started → task_finished → clear → photos →
//! inspection → shipped → delivered; re-prints at the front; the third
//! failure flags the order; a farm cancel is never re-printed; an expired
//! lease returns its tasks; concurrent claims never share a task.

#[path = "farm_common.rs"]
mod common;

use common::*;
use farm_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;

/// UPS's check digit, written from UPS's published rule (letters map to
/// (ASCII − 63) mod 10; odd positions once, even positions twice; the digit
/// that brings the sum to a multiple of ten).
fn ups_check(body: &str) -> u32 {
    let mut sum = 0;
    for (i, c) in body.chars().enumerate() {
        let v = c.to_digit(10).unwrap_or_else(|| (c as u32 - 63) % 10);
        sum += if (i + 1) % 2 == 0 { 2 * v } else { v };
    }
    (10 - sum % 10) % 10
}

#[tokio::test]
async fn a_small_order_goes_from_claim_to_the_door_and_a_printer_waits_for_its_clear() {
    let app = spawn().await;
    let token = app.farm_site_token("north").await;
    register(&app, &token, &["01PA"]).await;
    let (key, order) = queued_order(&app, 2, [20.0, 20.0, 10.0]).await;
    let order_id = order["id"].as_str().expect("id").to_owned();
    push(
        &app,
        &token,
        vec![event(
            "01PA",
            "online",
            json!({"state": {"status": "idle",
        "gcode_state": "IDLE", "progress": 0, "remaining_minutes": null, "current_file": null}}),
        )],
    )
    .await;

    // Both parts on one plate, apart, inside the bed, each with its mesh.
    let first = claim(&app, &token, "01PA").await;
    assert_eq!(first["reason"], "claimed", "{first}");
    let plate = first["plate"].clone();
    let plate_id = plate["id"].as_str().expect("plate id").to_owned();
    assert!(
        plate_id.starts_with("plate_") && plate_id.len() == 38,
        "{plate_id}"
    );
    assert_eq!(
        (plate["material"].as_str(), plate["color"].as_str()),
        (Some("pla"), Some("black"))
    );
    let parts = plate["parts"].as_array().expect("parts");
    assert_eq!(parts.len(), 2, "{plate}");
    let centers: Vec<(f64, f64)> = parts
        .iter()
        .map(|p| {
            (
                p["center_mm"][0].as_f64().expect("x"),
                p["center_mm"][1].as_f64().expect("y"),
            )
        })
        .collect();
    for &(x, y) in &centers {
        // A 20 mm part 5 mm from the edges: its centre is 15 to 241 mm.
        assert!(
            (15.0..=241.0).contains(&x) && (15.0..=241.0).contains(&y),
            "{centers:?}"
        );
    }
    let (dx, dy) = (centers[0].0 - centers[1].0, centers[0].1 - centers[1].1);
    assert!(
        dx.abs() >= 25.0 || dy.abs() >= 25.0,
        "parts overlap or touch: {centers:?}"
    );
    for p in parts {
        assert_eq!(
            (
                p["attempt"].as_i64(),
                p["format"].as_str(),
                p["unit"].as_str()
            ),
            (Some(1), Some("stl"), Some("mm"))
        );
        let mesh = reqwest::get(p["mesh_url"].as_str().expect("url"))
            .await
            .expect("mesh");
        assert_eq!(mesh.status(), 200);
        assert_eq!(
            mesh.bytes().await.expect("bytes").to_vec(),
            box_stl([20.0, 20.0, 10.0], 1)
        );
    }
    // A lost answer is not a second claim.
    let again = claim(&app, &token, "01PA").await;
    assert_eq!(again["plate"]["id"], plate["id"]);
    let tasks = plate_tasks(&first);

    // Started two hours ago, finished one hour ago (real times, for the
    // utilisation below: 1 h of the last 24 spent printing).
    let ago = |hours: i32| {
        let app = &app;
        async move {
            app.scalar::<String>(
                "select to_char((now() - make_interval(hours => $1)) at time zone 'utc', \
                 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
                &[&hours],
            )
            .await
        }
    };
    let (started_at, finished_at) = (ago(2).await, ago(1).await);
    push(
        &app,
        &token,
        vec![event(
            "01PA",
            "task_started",
            json!({"plate_id": plate_id, "occurred_at": started_at}),
        )],
    )
    .await;
    settle(&app).await;
    assert_eq!(claim(&app, &token, "01PA").await["reason"], "busy");
    let (_, o) = get(&app, &key, &format!("/v1/orders/{order_id}")).await;
    assert_eq!(o["status"], "in_production", "{o}");

    // Another order waits, so the printer would have work: still none
    // before the clear.
    let (_, other) = queued_order(&app, 1, [20.0, 20.0, 10.0]).await;
    let usage: Vec<Value> = tasks
        .iter()
        .map(|t| json!({"task_id": t, "grams": 4.0, "print_s": 1800}))
        .collect();
    push(
        &app,
        &token,
        vec![event(
            "01PA",
            "task_finished",
            json!({"plate_id": plate_id, "occurred_at": finished_at,
                   "detail": {"print_s": 3600, "usage": usage}}),
        )],
    )
    .await;
    for _ in 0..3 {
        let c = claim(&app, &token, "01PA").await;
        assert_eq!(
            (c["reason"].as_str(), &c["plate"]),
            (Some("awaiting_clear"), &Value::Null)
        );
    }
    // Not even a direct insert gets past the clear.
    let refused = app
        .db()
        .await
        .execute(
            "insert into plates (id, site_id, printer_id, material, color, task_ids) \
             select 'plate_' || repeat('0', 32), site_id, id, 'pla', 'black', '{}' from printers where serial = '01PA'",
            &[],
        )
        .await;
    assert!(
        refused.is_err(),
        "the database let a plate onto an uncleared printer"
    );

    // Photos first (a real PNG), then the inspections.
    let photo = png();
    assert_eq!(&photo[..8], b"\x89PNG\r\n\x1a\n");
    for &t in &tasks {
        for name in ["front.png", "top.png"] {
            let (status, body) = put_photo(&app, &token, t, name, photo.clone()).await;
            assert_eq!(status, 201, "{body}");
        }
        // Idempotent.
        assert_eq!(
            put_photo(&app, &token, t, "front.png", photo.clone())
                .await
                .0,
            201
        );
    }
    assert_eq!(
        put_photo(&app, &token, tasks[0], "x.png", b"GIF89a".to_vec())
            .await
            .0,
        400
    );
    assert_eq!(
        put_photo(&app, &token, tasks[0], "Bad Name.png", photo.clone())
            .await
            .0,
        400
    );
    let south = app.farm_site_token("south").await;
    assert_eq!(
        put_photo(&app, &south, tasks[0], "front.png", photo.clone())
            .await
            .0,
        404
    );
    // An inspection naming a photo never uploaded is refused.
    let refused = push(
        &app,
        &token,
        vec![event("01PA", "inspection", json!({"plate_id": plate_id, "task_id": tasks[0],
            "detail": {"passed": true, "photos": ["iso.png"], "defect": null, "source": "simulated"}}))],
    )
    .await;
    assert_eq!(
        refused["results"][0]["reason"], "unknown_photo",
        "{refused}"
    );
    let inspections: Vec<Value> = tasks
        .iter()
        .map(|t| {
            event("01PA", "inspection", json!({"plate_id": plate_id, "task_id": t,
                "detail": {"passed": true, "photos": ["front.png", "top.png"], "defect": null, "source": "simulated"}}))
        })
        .collect();
    assert_eq!(push(&app, &token, inspections).await["applied"], 2);
    settle(&app).await;

    // Shipped with a UPS-format label; photos only as signed URLs.
    let (_, o) = get(&app, &key, &format!("/v1/orders/{order_id}")).await;
    assert_eq!(o["status"], "shipped", "{o}");
    let tracking = o["tracking_number"].as_str().expect("tracking").to_owned();
    assert_eq!(tracking.len(), 18, "{tracking}");
    assert!(
        tracking.starts_with("1ZFA4M0103"),
        "domestic UPS Ground: {tracking}"
    );
    assert_eq!(
        tracking[17..].parse::<u32>().ok(),
        Some(ups_check(&tracking[2..17]))
    );
    assert_eq!(o["carrier"], "UPS");
    // Energy, derived by hand: P1S heat-up 900 W × 4 min = 60 Wh, printing
    // PLA 110 W × 1 h = 110 Wh: 0.17 kWh for the plate, 0.085 kWh per part
    // (equal print times); 20 % solar leaves 80 % from the grid.
    assert_eq!(o["energy_kwh"].as_f64(), Some(0.17), "{o}");
    assert_eq!(o["grid_kwh"].as_f64(), Some(0.136), "{o}");
    let parts = o["parts"].as_array().expect("parts");
    assert_eq!(parts.len(), 2);
    for p in parts {
        assert_eq!(
            (p["status"].as_str(), p["energy_kwh"].as_f64()),
            (Some("passed"), Some(0.085)),
            "{p}"
        );
        assert_eq!(p["inspection"]["passed"], true);
        let photos = p["inspection"]["photos"].as_array().expect("photos");
        assert_eq!(photos.len(), 2);
        let url = photos[0]["url"].as_str().expect("url");
        assert!(
            url.contains("X-Amz-Signature=") && url.contains("X-Amz-Expires=3600"),
            "{url}"
        );
        let got = reqwest::get(url).await.expect("photo");
        assert_eq!(got.status(), 200);
        assert_eq!(got.bytes().await.expect("bytes").to_vec(), photo);
    }
    let events = order_events(&app, &order_id).await;
    let kinds = types(&events);
    assert_eq!(
        kinds.iter().filter(|t| *t == "order.inspection").count(),
        2,
        "{kinds:?}"
    );
    assert!(
        !kinds.iter().any(|k| k.starts_with("job.")),
        "an order not placed as a job records no job events: {kinds:?}"
    );
    let at = |t: &str| kinds.iter().position(|k| k == t).unwrap_or(usize::MAX);
    assert!(at("order.queued") < at("order.in_production"));
    assert!(at("order.in_production") < at("order.inspection"));
    assert!(at("order.inspection") < at("order.shipped"), "{kinds:?}");
    let shipped = &events[at("order.shipped")]["data"];
    assert_eq!(shipped["tracking_number"], tracking.as_str());
    assert_eq!(shipped["parts"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        shipped["parts"][0]["photos"].as_array().map(Vec::len),
        Some(2)
    );
    assert!(
        shipped["parts"][0]["photos"][0]["url"]
            .as_str()
            .unwrap_or("")
            .contains("X-Amz-Expires=604800"),
        "{shipped}"
    );
    assert_eq!(shipped["energy_kwh"].as_f64(), Some(0.17));
    // Public tracking: photos as signed URLs once shipped, never the address.
    let public = app
        .get(&format!(
            "/v1/public/orders/{}",
            o["public_order_id"].as_str().expect("pid")
        ))
        .await
        .json::<Value>()
        .await
        .expect("json");
    assert_eq!(
        public["inspection_photos"].as_array().map(Vec::len),
        Some(4),
        "{public}"
    );
    assert_eq!(public["needs_attention"], false, "{public}");
    // The same photos, each naming its part and view.
    let labelled: Vec<(Option<i64>, Option<&str>, &Value)> = public["photos"]
        .as_array()
        .expect("photos")
        .iter()
        .map(|p| (p["part"].as_i64(), p["view"].as_str(), &p["url"]))
        .collect();
    let urls: Vec<&Value> = public["inspection_photos"]
        .as_array()
        .expect("urls")
        .iter()
        .collect();
    assert_eq!(
        labelled,
        [
            (Some(1), Some("front"), urls[0]),
            (Some(1), Some("top"), urls[1]),
            (Some(2), Some("front"), urls[2]),
            (Some(2), Some("top"), urls[3]),
        ],
        "{public}"
    );
    assert!(public.get("shipping_address").is_none());

    // The clear: 200 once, then 409; then the printer takes the next order.
    let clear = |t: String| {
        let app = &app;
        async move {
            call(
                app,
                &t,
                Method::POST,
                "/internal/farm/printers/01PA/clear",
                &json!({}),
            )
            .await
        }
    };
    assert_eq!(clear(south.clone()).await.0, 404, "another site's printer");
    let (status, body) = clear(token.clone()).await;
    assert_eq!(
        (status, body),
        (200, json!({"printer": "01PA", "status": "idle"}))
    );
    let (status, body) = clear(OPERATOR.to_owned()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("not_awaiting_clear"))
    );
    let next = claim(&app, &token, "01PA").await;
    assert_eq!(next["reason"], "claimed");
    let other_task: i64 = app
        .scalar(
            "select id from print_tasks where order_id = $1",
            &[&other["id"].as_str().expect("id")],
        )
        .await;
    assert_eq!(plate_tasks(&next), vec![other_task]);

    // Delivered after the simulated transit (2 s here).
    tokio::time::sleep(Duration::from_secs(3)).await;
    settle(&app).await;
    let (_, o) = get(&app, &key, &format!("/v1/orders/{order_id}")).await;
    assert_eq!(o["status"], "delivered", "{o}");
    assert!(types(&order_events(&app, &order_id).await).contains(&"order.delivered".to_owned()));

    // Utilisation: the operator sees the printer printing-or-leased and its share.
    let (status, u) = call(
        &app,
        OPERATOR,
        Method::GET,
        "/internal/farm/utilisation",
        &json!({}),
    )
    .await;
    assert_eq!(status, 200, "{u}");
    assert_eq!(u["printers"][0]["serial"], "01PA");
    assert_eq!(
        u["printers"][0]["state"], "idle",
        "a leased plate is not printing yet"
    );
    assert_eq!(u["sites"][0]["printers"], 1);
    // 3600 s of 86,400: 0.0417, to three decimals.
    assert_eq!(
        u["printers"][0]["printing_share_24h"].as_f64(),
        Some(0.042),
        "{u}"
    );
    assert_eq!(u["sites"][0]["states"]["idle"], 1);
    assert_eq!(
        call(
            &app,
            &token,
            Method::GET,
            "/internal/farm/utilisation",
            &json!({})
        )
        .await
        .0,
        401
    );
}

#[tokio::test]
async fn a_part_that_fails_three_times_flags_its_order_and_does_not_ship() {
    let app = spawn().await;
    let token = app.farm_site_token("east").await;
    register(&app, &token, &["01PE"]).await;
    // A 200 mm part fills a plate alone.
    let (key, order) = queued_order(&app, 1, [200.0, 200.0, 5.0]).await;
    let order_id = order["id"].as_str().expect("id").to_owned();
    let task: i64 = app
        .scalar(
            "select id from print_tasks where order_id = $1",
            &[&order_id],
        )
        .await;

    // A ship date the queue can no longer keep (yesterday) is moved.
    app.db()
        .await
        .execute(
            "update orders set estimated_ship = current_date - 1 where id = $1",
            &[&order_id],
        )
        .await
        .expect("stale date");

    // First attempt: a print failure.
    let c = claim(&app, &token, "01PE").await;
    assert_eq!(plate_tasks(&c), vec![task]);
    let plate = c["plate"]["id"].clone();
    push(&app, &token, vec![
        event("01PE", "task_started", json!({"plate_id": plate})),
        event("01PE", "task_failed", json!({"plate_id": plate, "detail": {"print_error": 0x0300_4000u32, "reason": "stopped"}})),
    ]).await;
    settle(&app).await;
    // At least the day of handling after the re-print (a 1-printer queue).
    let kept: bool = app
        .scalar(
            "select estimated_ship >= current_date + 1 from orders where id = $1",
            &[&order_id],
        )
        .await;
    assert!(kept, "estimated_ship was not kept current");

    // An older order now waits too; the re-print still goes first.
    let (_, older) = queued_order(&app, 1, [200.0, 200.0, 5.0]).await;
    app.db()
        .await
        .execute(
            "update print_tasks set created_at = now() - interval '1 day' where order_id = $1",
            &[&older["id"].as_str().expect("id")],
        )
        .await
        .expect("backdate");
    let c = claim(&app, &token, "01PE").await;
    assert_eq!(plate_tasks(&c), vec![task], "re-print at the front: {c}");
    assert_eq!(c["plate"]["parts"][0]["attempt"], 2);

    // Second attempt: printed, but the inspection fails (layer shift).
    let plate = c["plate"]["id"].clone();
    push(&app, &token, vec![
        event("01PE", "task_started", json!({"plate_id": plate})),
        event("01PE", "task_finished", json!({"plate_id": plate, "detail": {"print_s": 7200, "usage": [{"task_id": task, "grams": 80.0, "print_s": 7200}]}})),
    ]).await;
    assert_eq!(
        put_photo(&app, &token, task, "front.png", png()).await.0,
        201
    );
    push(&app, &token, vec![event("01PE", "inspection", json!({"plate_id": plate, "task_id": task,
        "detail": {"passed": false, "photos": ["front.png"], "defect": "layer_shift", "source": "simulated"}}))]).await;
    settle(&app).await;
    let (status, _) = call(
        &app,
        &token,
        Method::POST,
        "/internal/farm/printers/01PE/clear",
        &json!({}),
    )
    .await;
    assert_eq!(status, 200);
    let c = claim(&app, &token, "01PE").await;
    assert_eq!(plate_tasks(&c), vec![task]);
    assert_eq!(c["plate"]["parts"][0]["attempt"], 3);

    // Third attempt fails: no fourth; the order is flagged, not shipped.
    let plate = c["plate"]["id"].clone();
    push(&app, &token, vec![
        event("01PE", "task_started", json!({"plate_id": plate})),
        event("01PE", "task_failed", json!({"plate_id": plate, "detail": {"print_error": 0x0300_4000u32, "reason": "the nozzle clogged"}})),
    ]).await;
    settle(&app).await;
    let (_, o) = get(&app, &key, &format!("/v1/orders/{order_id}")).await;
    assert_eq!(
        (o["status"].as_str(), o["needs_attention"].as_bool()),
        (Some("in_production"), Some(true)),
        "{o}"
    );
    assert!(
        o["status_detail"]
            .as_str()
            .unwrap_or("")
            .contains("failed 3 times"),
        "{o}"
    );
    assert_eq!(
        (
            o["parts"][0]["status"].as_str(),
            o["parts"][0]["attempts"].as_i64()
        ),
        (Some("gave_up"), Some(3)),
        "three attempts, no fourth: {o}"
    );
    assert_eq!(o["tracking_number"], Value::Null);
    let kinds = types(&order_events(&app, &order_id).await);
    assert!(
        kinds.contains(&"order.status_changed".to_owned()),
        "{kinds:?}"
    );
    assert!(!kinds.contains(&"order.shipped".to_owned()));
    // The inspection failure was announced with its defect.
    let events = order_events(&app, &order_id).await;
    let failed: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "order.inspection")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["data"]["inspection"]["passed"], false);
    assert_eq!(failed[0]["data"]["inspection"]["defect"], "layer_shift");
    // Each print failure was announced with what follows: printed again
    // after the first, given up after the third.
    let print_failures: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "order.print_failed")
        .map(|e| &e["data"]["print_failure"])
        .collect();
    assert_eq!(
        print_failures,
        [
            &json!({"task_id": task, "part": 1, "attempt": 1, "next": "reprint",
                    "print_error": 0x0300_4000u32, "reason": "stopped"}),
            &json!({"task_id": task, "part": 1, "attempt": 3, "next": "gave_up",
                    "print_error": 0x0300_4000u32, "reason": "the nozzle clogged"}),
        ],
        "{events:#?}"
    );
    // Anyone with the tracking link sees each failed attempt, before it ships.
    let public_id = o["public_order_id"].as_str().expect("public id");
    let public: Value = app
        .get(&format!("/v1/public/orders/{public_id}"))
        .await
        .json()
        .await
        .expect("json");
    let seen: Vec<(i64, i64, &str, Option<&str>, Option<u64>, Option<&str>)> = public["reprints"]
        .as_array()
        .expect("reprints")
        .iter()
        .map(|r| {
            (
                r["part"].as_i64().unwrap_or(0),
                r["attempt"].as_i64().unwrap_or(0),
                r["failed"].as_str().unwrap_or(""),
                r["defect"].as_str(),
                r["print_error"].as_u64(),
                r["reason"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (1, 1, "print", None, Some(0x0300_4000), Some("stopped")),
            (1, 2, "inspection", Some("layer_shift"), None, None),
            (
                1,
                3,
                "print",
                None,
                Some(0x0300_4000),
                Some("the nozzle clogged")
            )
        ],
        "{public}"
    );
    let page = app
        .get(&format!("/orders/{public_id}"))
        .await
        .text()
        .await
        .expect("page");
    assert!(
        page.contains("Part 1, attempt 2: it failed inspection (layer shift)"),
        "{page}"
    );
    assert!(
        page.contains("Part 1, attempt 3: the print failed: the nozzle clogged"),
        "{page}"
    );
    // And that the order is on hold, not still moving.
    assert_eq!(public["needs_attention"], true, "{public}");
    assert!(page.contains("On hold:"), "{page}");
    // The printer's next plate is the other order's part, never this one.
    let c = claim(&app, &token, "01PE").await;
    let older_task: i64 = app
        .scalar(
            "select id from print_tasks where order_id = $1",
            &[&older["id"].as_str().expect("id")],
        )
        .await;
    assert_eq!(plate_tasks(&c), vec![older_task]);
    let stored: (String, i32) = {
        let row = app
            .db()
            .await
            .query_one(
                "select status, failures from print_tasks where id = $1",
                &[&task],
            )
            .await
            .expect("task");
        (row.get(0), row.get(1))
    };
    assert_eq!(stored, ("gave_up".to_owned(), 3));
}

#[tokio::test]
async fn dispatch_failures_expired_leases_and_farm_cancels_follow_their_own_rules() {
    let app = spawn().await;
    let token = app.farm_site_token("west").await;
    register(&app, &token, &["01PW1", "01PW2", "01PW3"]).await;
    let (key, order) = queued_order(&app, 1, [30.0, 30.0, 10.0]).await;
    let order_id = order["id"].as_str().expect("id").to_owned();

    // A dispatch failure: back to the queue, no attempt counted, the
    // printer flagged.
    let c = claim(&app, &token, "01PW1").await;
    let task = plate_tasks(&c);
    push(
        &app,
        &token,
        vec![event(
            "01PW1",
            "dispatch_failed",
            json!({"plate_id": c["plate"]["id"], "detail": {"reason": "busy"}}),
        )],
    )
    .await;
    assert_eq!(
        claim(&app, &token, "01PW1").await["reason"],
        "needs_attention"
    );
    let c = claim(&app, &token, "01PW2").await;
    assert_eq!(plate_tasks(&c), task);
    assert_eq!(
        c["plate"]["parts"][0]["attempt"], 1,
        "a dispatch failure is not a print failure"
    );

    // The lease runs out before the print starts: the task goes to another printer.
    app.db()
        .await
        .execute(
            "update plates set lease_expires_at = now() - interval '1 second' where id = $1",
            &[&c["plate"]["id"].as_str().expect("id")],
        )
        .await
        .expect("expire");
    let c3 = claim(&app, &token, "01PW3").await;
    assert_eq!(plate_tasks(&c3), task, "{c3}");
    assert_eq!(claim(&app, &token, "01PW2").await["reason"], "queue_empty");

    // A farm-initiated cancel: cancelled, never printed again; a person decides.
    let plate = c3["plate"]["id"].clone();
    push(
        &app,
        &token,
        vec![
            event("01PW3", "task_started", json!({"plate_id": plate})),
            event("01PW3", "task_cancelled", json!({"plate_id": plate})),
        ],
    )
    .await;
    settle(&app).await;
    for serial in ["01PW2", "01PW3"] {
        assert_eq!(claim(&app, &token, serial).await["reason"], "queue_empty");
    }
    let (_, o) = get(&app, &key, &format!("/v1/orders/{order_id}")).await;
    assert_eq!(
        (o["status"].as_str(), o["needs_attention"].as_bool()),
        (Some("in_production"), Some(true)),
        "{o}"
    );
    assert_eq!(o["parts"][0]["status"], "cancelled");
}

#[tokio::test]
async fn an_operator_can_fail_a_passed_part_and_it_is_printed_again() {
    let app = spawn().await;
    let token = app.farm_site_token("op").await;
    register(&app, &token, &["01PO"]).await;
    let (_, first) = queued_order(&app, 1, [200.0, 200.0, 5.0]).await;
    let (_, _second) = queued_order(&app, 1, [200.0, 200.0, 5.0]).await;
    let c = claim(&app, &token, "01PO").await;
    let task = plate_tasks(&c)[0];
    let plate = c["plate"]["id"].clone();
    push(
        &app,
        &token,
        vec![
            event("01PO", "task_started", json!({"plate_id": plate})),
            event(
                "01PO",
                "task_finished",
                json!({"plate_id": plate, "detail": {"print_s": 60}}),
            ),
            event("01PO", "plate_cleared", json!({"plate_id": plate})),
        ],
    )
    .await;
    // An operator marks it failed before inspection; without the token: 401.
    let path = format!("/internal/farm/tasks/{task}/fail");
    assert_eq!(
        call(
            &app,
            &token,
            Method::POST,
            &path,
            &json!({"defect": "warped"})
        )
        .await
        .0,
        401
    );
    let (status, body) = call(
        &app,
        OPERATOR,
        Method::POST,
        &path,
        &json!({"defect": "warped"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        call(
            &app,
            OPERATOR,
            Method::POST,
            &path,
            &json!({"defect": "warped"})
        )
        .await
        .0,
        409
    );
    settle(&app).await;
    let c = claim(&app, &token, "01PO").await;
    assert_eq!(
        plate_tasks(&c),
        vec![task],
        "the failed part is re-printed first"
    );
    assert_eq!(c["plate"]["parts"][0]["attempt"], 2);
    let source: String = app
        .scalar(
            "select source from inspections where task_id = $1",
            &[&task],
        )
        .await;
    assert_eq!(source, "operator");
    assert_eq!(first["status"], "queued");
}

#[tokio::test]
async fn concurrent_claims_never_give_two_printers_the_same_task() {
    let app = spawn().await;
    let token = app.farm_site_token("many").await;
    let serials: Vec<String> = (0..6).map(|i| format!("01PM{i}")).collect();
    let refs: Vec<&str> = serials.iter().map(String::as_str).collect();
    register(&app, &token, &refs).await;
    // Eight 150 mm parts: one per plate.
    let (_, order) = queued_order(&app, 8, [150.0, 150.0, 5.0]).await;
    let claims = futures_join(&app, &token, &refs).await;
    let mut seen = HashSet::new();
    let mut plates = 0;
    for c in &claims {
        assert_eq!(c["reason"], "claimed", "{c}");
        let tasks = plate_tasks(c);
        assert_eq!(tasks.len(), 1, "{c}");
        plates += 1;
        for t in tasks {
            assert!(seen.insert(t), "task {t} was given to two printers");
        }
    }
    assert_eq!(plates, 6);
    let leased: i64 = app
        .scalar(
            "select count(*) from print_tasks where order_id = $1 and status = 'claimed'",
            &[&order["id"].as_str().expect("id")],
        )
        .await;
    assert_eq!(leased, 6);
}

async fn futures_join(app: &TestApp, token: &str, serials: &[&str]) -> Vec<Value> {
    let mut handles = Vec::new();
    for s in serials {
        let url = app.url("/internal/farm/claims");
        let token = token.to_owned();
        let body = json!({ "printer": s, "loaded": [{"material": "pla", "color": "black"}] });
        handles.push(tokio::spawn(async move {
            let r = reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("claim");
            r.json::<Value>().await.expect("json")
        }));
    }
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("join"));
    }
    out
}

/// The events recorded for `order_id` as (type, object_type, object_id, data).
async fn order_event_rows(app: &TestApp, order_id: &str) -> Vec<(String, String, String, Value)> {
    let rows = app
        .db()
        .await
        .query(
            "select type, object_type, object_id, data::text from events where order_id = $1 order by seq",
            &[&order_id],
        )
        .await
        .expect("events");
    rows.iter()
        .map(|r| {
            (
                r.get(0),
                r.get(1),
                r.get(2),
                serde_json::from_str(&r.get::<_, String>(3)).expect("json"),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_one_shot_job_hears_job_printing_then_job_shipped_with_tracking_and_photos() {
    let app = spawn().await;
    let token = app.farm_site_token("north").await;
    register(&app, &token, &["01PJ"]).await;
    push(
        &app,
        &token,
        vec![event(
            "01PJ",
            "online",
            json!({"state": {"status": "idle",
        "gcode_state": "IDLE", "progress": 0, "remaining_minutes": null, "current_file": null}}),
        )],
    )
    .await;
    let key = new_key(&app, "test").await;
    let (status, job) = send_job(
        &app,
        &key,
        job_multipart(
            "farmtestboundary7MA4YWxkTrZu0gW",
            "finger.stl",
            &box_stl([20.0, 20.0, 10.0], 1),
            &json!({"material": "PLA", "color": "black", "quantity": 1}).to_string(),
        ),
    )
    .await;
    assert_eq!(status, 201, "{job}");
    let job_id = job["id"].as_str().expect("job id").to_owned();
    let order_id = job["order_id"].as_str().expect("order id").to_owned();

    let first = claim(&app, &token, "01PJ").await;
    assert_eq!(first["reason"], "claimed", "{first}");
    let plate_id = first["plate"]["id"].as_str().expect("plate").to_owned();
    let tasks = plate_tasks(&first);
    assert_eq!(tasks.len(), 1);
    push(
        &app,
        &token,
        vec![event("01PJ", "task_started", json!({"plate_id": plate_id}))],
    )
    .await;
    settle(&app).await;
    let rows = order_event_rows(&app, &order_id).await;
    let jobs: Vec<_> = rows.iter().filter(|r| r.0.starts_with("job.")).collect();
    assert_eq!(jobs.len(), 1, "printing only, so far: {rows:?}");
    let (kind, object_type, object_id, data) = jobs[0];
    assert_eq!(
        (kind.as_str(), object_type.as_str(), object_id.as_str()),
        ("job.printing", "job", job_id.as_str())
    );
    assert_eq!(
        (data["id"].as_str(), data["status"].as_str()),
        (Some(job_id.as_str()), Some("printing"))
    );
    assert_eq!(data["tracking_number"], Value::Null);
    let (_, polled) = get(&app, &key, &format!("/v1/jobs/{job_id}")).await;
    assert_eq!(polled["status"], "printing", "{polled}");

    push(
        &app,
        &token,
        vec![event(
            "01PJ",
            "task_finished",
            json!({"plate_id": plate_id, "detail": {"print_s": 1800,
                   "usage": [{"task_id": tasks[0], "grams": 4.0, "print_s": 1800}]}}),
        )],
    )
    .await;
    let photo = png();
    assert_eq!(
        put_photo(&app, &token, tasks[0], "front.png", photo.clone())
            .await
            .0,
        201
    );
    push(
        &app,
        &token,
        vec![event("01PJ", "inspection", json!({"plate_id": plate_id, "task_id": tasks[0],
            "detail": {"passed": true, "photos": ["front.png"], "defect": null, "source": "simulated"}}))],
    )
    .await;
    settle(&app).await;

    let (_, polled) = get(&app, &key, &format!("/v1/jobs/{job_id}")).await;
    assert_eq!(polled["status"], "shipped", "{polled}");
    let tracking = polled["tracking_number"]
        .as_str()
        .expect("tracking on the job")
        .to_owned();
    assert_eq!(polled["carrier"], "UPS");
    let rows = order_event_rows(&app, &order_id).await;
    let kinds: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let at = |t: &str| kinds.iter().position(|k| *k == t).unwrap_or(usize::MAX);
    assert!(at("order.in_production") < at("job.printing"), "{kinds:?}");
    assert!(at("job.printing") < at("order.shipped"), "{kinds:?}");
    assert!(at("order.shipped") < at("job.shipped"), "{kinds:?}");
    assert_eq!(
        kinds.iter().filter(|k| k.starts_with("job.")).count(),
        2,
        "{kinds:?}"
    );
    let shipped = &rows[at("job.shipped")];
    assert_eq!(
        (shipped.1.as_str(), shipped.2.as_str()),
        ("job", job_id.as_str())
    );
    let data = &shipped.3;
    assert_eq!(
        (data["id"].as_str(), data["status"].as_str()),
        (Some(job_id.as_str()), Some("shipped"))
    );
    assert_eq!(data["tracking_number"], tracking.as_str());
    assert_eq!(data["carrier"], "UPS");
    // Seed 000: the shipped event carries the inspection photos, as URLs
    // signed for a week that download the photo itself.
    let url = data["parts"][0]["photos"][0]["url"]
        .as_str()
        .expect("photo url");
    assert!(url.contains("X-Amz-Expires=604800"), "{url}");
    let got = reqwest::get(url).await.expect("photo");
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.expect("bytes").to_vec(), photo);

    // The partner reads the same event through the events API, by type
    // (with a key of the account that may read events).
    let account: String = app
        .scalar("select account_id from orders where id = $1", &[&order_id])
        .await;
    let reader = account_key(&app, &account, "test", &["events:read"]).await;
    let (status, listed) = get(&app, &reader, "/v1/events?type=job.shipped").await;
    assert_eq!(status, 200, "{listed}");
    let ids: Vec<&str> = listed["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|e| e["data"]["object"]["id"].as_str())
        .collect();
    assert_eq!(ids, vec![job_id.as_str()], "{listed}");
}

/// The printer's own AI (an HMS spaghetti detection, reported by the gateway
/// as `source: printer`) fails the part like any failed inspection: stored
/// with its source and defect, and the part is printed again.
#[tokio::test]
async fn the_printers_own_ai_detection_fails_the_part_and_it_is_printed_again() {
    let app = spawn().await;
    let token = app.farm_site_token("ai").await;
    register(&app, &token, &["01PS"]).await;
    let (key, order) = queued_order(&app, 1, [20.0, 20.0, 10.0]).await;
    let c = claim(&app, &token, "01PS").await;
    let task = plate_tasks(&c)[0];
    let plate = c["plate"]["id"].clone();
    start_and_finish(&app, &token, "01PS", &plate, json!({"print_s": 600})).await;
    assert_eq!(
        put_photo(&app, &token, task, "camera.png", png()).await.0,
        201
    );
    let applied = push(
        &app,
        &token,
        vec![event("01PS", "inspection", json!({"plate_id": plate, "task_id": task,
            "detail": {"passed": false, "photos": ["camera.png"], "defect": "spaghetti", "source": "printer"}}))],
    )
    .await;
    assert_eq!(applied["applied"], 1, "{applied}");
    settle(&app).await;
    let stored: String = app
        .scalar(
            "select source || ':' || defect from inspections where task_id = $1 and not passed",
            &[&task],
        )
        .await;
    assert_eq!(stored, "printer:spaghetti");
    let (_, o) = get(
        &app,
        &key,
        &format!("/v1/orders/{}", order["id"].as_str().expect("id")),
    )
    .await;
    let part = &o["parts"][0];
    assert_eq!(part["inspection"]["source"], "printer", "{o}");
    assert_eq!(
        part["status"], "queued",
        "re-queued for its second attempt: {o}"
    );
}

/// A real printer's camera gives a photo and no verdict; a person passes the
/// part with that photo, and the order ships.
#[tokio::test]
async fn a_person_passes_a_camera_inspected_part_and_its_order_ships() {
    let app = spawn().await;
    let token = app.farm_site_token("cam").await;
    register(&app, &token, &["01PC"]).await;
    let (key, order) = queued_order(&app, 1, [20.0, 20.0, 10.0]).await;
    let order_id = order["id"].as_str().expect("id").to_owned();
    let c = claim(&app, &token, "01PC").await;
    let task = plate_tasks(&c)[0];
    let plate = c["plate"]["id"].clone();
    let path = format!("/internal/farm/tasks/{task}/pass");
    let pass = |who: String| {
        let (app, path) = (&app, path.clone());
        async move { call(app, &who, Method::POST, &path, &json!({})).await }
    };
    // Not printed yet: nothing to pass.
    let (status, body) = pass(OPERATOR.to_owned()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("task_not_passable")),
        "{body}"
    );
    start_and_finish(&app, &token, "01PC", &plate, json!({"print_s": 600})).await;
    // Printed, but no photo yet: a part never passes unseen.
    let (status, body) = pass(OPERATOR.to_owned()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("photos_required")),
        "{body}"
    );
    let photo = png();
    assert_eq!(
        put_photo(&app, &token, task, "camera.png", photo.clone())
            .await
            .0,
        201
    );
    assert_eq!(
        pass(token.clone()).await.0,
        401,
        "a site token is not a person"
    );
    let (status, body) = pass(OPERATOR.to_owned()).await;
    assert_eq!(
        (status, body),
        (
            200,
            json!({"task_id": task, "status": "passed", "photos": ["camera.png"]})
        )
    );
    let (status, body) = pass(OPERATOR.to_owned()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("task_not_passable")),
        "{body}"
    );
    settle(&app).await;
    let (_, o) = get(&app, &key, &format!("/v1/orders/{order_id}")).await;
    assert_eq!(o["status"], "shipped", "{o}");
    let inspection = &o["parts"][0]["inspection"];
    assert_eq!(
        (
            inspection["passed"].as_bool(),
            inspection["source"].as_str()
        ),
        (Some(true), Some("operator")),
        "{o}"
    );
    let url = inspection["photos"][0]["url"].as_str().expect("photo url");
    let got = reqwest::get(url).await.expect("photo");
    assert_eq!(got.bytes().await.expect("bytes").to_vec(), photo);
}

/// A plate the gateway lost (the printer no longer shows it and its end
/// was never seen) is a failed print: its part goes back to the queue at
/// the front with the attempt counted, another printer prints it, and the
/// lost plate's printer stays flagged until a person has checked its bed;
/// then it takes work again (it is not left `busy` with a plate that will
/// never end).
#[tokio::test]
async fn a_plate_the_gateway_lost_is_printed_again_and_its_printer_waits_for_a_person() {
    let app = spawn().await;
    let token = app.farm_site_token("lost").await;
    register(&app, &token, &["01PL", "01PM"]).await;
    let (_, order) = queued_order(&app, 1, [200.0, 200.0, 5.0]).await;
    let c = claim(&app, &token, "01PL").await;
    let task = plate_tasks(&c)[0];
    let plate = c["plate"]["id"].clone();
    let reason = "the plate's end was not seen (the printer no longer shows it)";
    let lost = event(
        "01PL",
        "needs_attention",
        json!({"plate_id": plate, "detail": {"reason": reason}}),
    );
    push(
        &app,
        &token,
        vec![event("01PL", "task_started", json!({"plate_id": plate}))],
    )
    .await;
    // Printing: `busy`, naming the plate (a gateway with no record of it
    // and an idle printer reports it lost, as here).
    let busy = claim(&app, &token, "01PL").await;
    assert_eq!(
        (busy["reason"].as_str(), &busy["printing_plate_id"]),
        (Some("busy"), &plate),
        "{busy}"
    );
    push(&app, &token, vec![lost.clone()]).await;
    // The same report again (a gateway retrying its spool) changes nothing.
    push(&app, &token, vec![lost]).await;
    settle(&app).await;
    let plate_status: String = app
        .scalar(
            "select status from plates where id = $1",
            &[&plate.as_str().expect("id")],
        )
        .await;
    let (status, failures): (String, i32) = {
        let db = app.db().await;
        let row = db
            .query_one(
                "select status, failures from print_tasks where id = $1",
                &[&task],
            )
            .await
            .expect("task");
        (row.get(0), row.get(1))
    };
    assert_eq!(
        (plate_status.as_str(), status.as_str(), failures),
        ("failed", "queued", 1)
    );
    // Announced once, with the gateway's reason and no printer code.
    let order_id = order["id"].as_str().expect("order id");
    let failed: Vec<Value> = order_events(&app, order_id)
        .await
        .into_iter()
        .filter(|e| e["type"] == "order.print_failed")
        .map(|e| e["data"]["print_failure"].clone())
        .collect();
    assert_eq!(
        failed,
        [
            json!({"task_id": task, "part": 1, "attempt": 1, "next": "reprint",
                "print_error": null, "reason": reason})
        ]
    );
    assert_eq!(
        claim(&app, &token, "01PL").await["reason"],
        "needs_attention"
    );
    let again = claim(&app, &token, "01PM").await;
    assert_eq!(plate_tasks(&again), vec![task], "{again}");
    assert_eq!(again["plate"]["parts"][0]["attempt"], 2);
    let (status, body) = call(
        &app,
        OPERATOR,
        Method::POST,
        "/internal/farm/printers/01PL/resolve",
        &json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(claim(&app, &token, "01PL").await["reason"], "queue_empty");
    assert_eq!(order["status"], "queued");
}
