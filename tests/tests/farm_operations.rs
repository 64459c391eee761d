//! The farm's operating leftovers of issue 12, through the app's routes:
//! a solar share per site in each print's grid energy, `estimated_ship`
//! from the printers that hold the quoted filament, an operator resolving a
//! printer's attention flag and re-queueing a part that gave up, expired
//! leases returned by the tick with no claim, the parts on every item
//! of the order list, and the farm overview's parts awaiting a person's
//! verdict (with their signed photos) and the filament printers report.

#[path = "farm_common.rs"]
mod common;

use common::*;
use farm_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

/// `POST /internal/farm/sites` with the internal token.
async fn site(app: &TestApp, body: Value) -> (u16, Value) {
    let r = app
        .request(Method::POST, "/internal/farm/sites")
        .header("x-farm-internal-token", &app.internal_token)
        .json(&body)
        .send()
        .await
        .expect("site");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The printer reports itself idle (a registered printer is `offline` until
/// its first event).
async fn online(app: &TestApp, token: &str, serial: &str) {
    push(
        app,
        token,
        vec![event(
            serial,
            "online",
            json!({"state": {"status": "idle", "gcode_state": "IDLE", "progress": 0,
                   "remaining_minutes": null, "current_file": null}}),
        )],
    )
    .await;
}

/// Starts and finishes the claimed plate `claim` on `serial` in one hour of
/// printer time (the part's slicer time: the whole hour).
async fn print_hour(app: &TestApp, token: &str, serial: &str, claim: &Value) {
    let plate = claim["plate"]["id"].clone();
    let usage: Vec<Value> = plate_tasks(claim)
        .iter()
        .map(|t| json!({"task_id": t, "grams": 40.0, "print_s": 3600}))
        .collect();
    start_and_finish(
        app,
        token,
        serial,
        &plate,
        json!({"print_s": 3600, "usage": usage}),
    )
    .await;
}

async fn tick(app: &TestApp) -> Value {
    let r = app
        .request(Method::POST, "/internal/tick")
        .header("x-farm-internal-token", &app.internal_token)
        .send()
        .await
        .expect("tick");
    assert!(r.status().is_success(), "{}", r.status());
    r.json().await.expect("json")
}

#[tokio::test]
async fn each_site_splits_a_print_s_energy_by_its_own_solar_share() {
    let app = spawn().await;
    // The sites' energy source configurations; the app-wide default is 0.2.
    // Sunny starts on the default, then gets its share without a new token.
    let (status, sunny) = site(&app, json!({"name": "sunny"})).await;
    assert_eq!((status, &sunny["solar_share"]), (201, &Value::Null));
    let (status, set) = call(
        &app,
        &app.internal_token,
        Method::PATCH,
        "/internal/farm/sites/sunny",
        &json!({"solar_share": 0.6}),
    )
    .await;
    assert_eq!(
        (status, set["solar_share"].as_f64(), &set["id"]),
        (200, Some(0.6), &sunny["id"]),
        "{set}"
    );
    for (path, body, want) in [
        (
            "/internal/farm/sites/sunny",
            json!({"solar_share": -0.1}),
            400,
        ),
        ("/internal/farm/sites/sunny", json!({}), 400),
        (
            "/internal/farm/sites/nowhere",
            json!({"solar_share": 0.5}),
            404,
        ),
    ] {
        let (status, answer) = call(&app, &app.internal_token, Method::PATCH, path, &body).await;
        assert_eq!(status, want, "{path} {body}: {answer}");
    }
    let (status, cloudy) = site(&app, json!({"name": "cloudy", "solar_share": 0.1})).await;
    assert_eq!(status, 201, "{cloudy}");
    // Out of range: refused, nothing changes.
    let (status, body) = site(&app, json!({"name": "cloudy", "solar_share": 1.5})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    // A token rotation without a share keeps the site's share.
    let (status, rotated) = site(&app, json!({"name": "cloudy"})).await;
    assert_eq!(
        (
            status,
            rotated["rotated"].as_bool(),
            rotated["solar_share"].as_f64()
        ),
        (200, Some(true), Some(0.1)),
        "{rotated}"
    );
    let (sunny, cloudy) = (
        sunny["token"].as_str().expect("token").to_owned(),
        rotated["token"].as_str().expect("token").to_owned(),
    );
    register(&app, &sunny, &["01PSUN"]).await;
    register(&app, &cloudy, &["01PCLD"]).await;

    // The same print on each site: one 200 mm part alone on a P1S plate,
    // one hour of PLA.
    let first = queued_order(&app, 1, [200.0, 200.0, 5.0]).await;
    let second = queued_order(&app, 1, [200.0, 200.0, 5.0]).await;
    let on_sunny = claim(&app, &sunny, "01PSUN").await;
    let on_cloudy = claim(&app, &cloudy, "01PCLD").await;
    print_hour(&app, &sunny, "01PSUN", &on_sunny).await;
    print_hour(&app, &cloudy, "01PCLD", &on_cloudy).await;
    settle(&app).await;

    // By hand: P1S heat-up 900 W × 4 min = 60 Wh, printing PLA 110 W × 1 h
    // = 110 Wh: 0.17 kWh. Sunny (60 % solar) draws 40 % from the grid:
    // 0.068 kWh; cloudy (10 % solar) 90 %: 0.153 kWh.
    let first_task: i64 = app
        .scalar(
            "select id from print_tasks where order_id = $1",
            &[&first.1["id"].as_str().expect("id")],
        )
        .await;
    let (on_sunny_order, on_cloudy_order) = if plate_tasks(&on_sunny) == vec![first_task] {
        (&first, &second)
    } else {
        (&second, &first)
    };
    let mut grids = Vec::new();
    for (key, order) in [on_sunny_order, on_cloudy_order] {
        let id = order["id"].as_str().expect("id");
        let (_, o) = get(&app, key, &format!("/v1/orders/{id}")).await;
        assert_eq!(o["energy_kwh"].as_f64(), Some(0.17), "{o}");
        assert_eq!(o["parts"][0]["energy_kwh"].as_f64(), Some(0.17), "{o}");
        assert_eq!(o["parts"][0]["grid_kwh"], o["grid_kwh"], "{o}");
        grids.push(o["grid_kwh"].as_f64());
    }
    eprintln!(
        "grid_kwh of one 0.17 kWh print: sunny (0.6) {:?}, cloudy (0.1) {:?}",
        grids[0], grids[1]
    );
    assert_eq!(grids, vec![Some(0.068), Some(0.153)]);
}

#[tokio::test]
async fn a_filament_fewer_printers_hold_ships_later() {
    let app = spawn().await;
    let token = app.farm_site_token("mixed").await;
    let serials = ["01PMX1", "01PMX2", "01PMX3", "01PMX4"];
    register(&app, &token, &serials).await;
    for s in serials {
        online(&app, &token, s).await;
    }
    // Three printers hold black PLA, one black PETG (the empty queue
    // answers `queue_empty`; the claim records what is loaded).
    for s in &serials[..3] {
        let c = claim_loaded(
            &app,
            &token,
            s,
            json!([{"material": "PLA", "color": "Black"}]),
        )
        .await;
        assert_eq!(c["reason"], "queue_empty", "{c}");
    }
    let c = claim_loaded(
        &app,
        &token,
        serials[3],
        json!([{"material": "PETG", "color": "Black"}]),
    )
    .await;
    assert_eq!(c["reason"], "queue_empty", "{c}");

    // 36 h of black PLA and 36 h of black PETG queued: an order's black PLA
    // part made 36 h long, and a PETG part added to it.
    let (key, order) = queued_order(&app, 1, [20.0, 20.0, 10.0]).await;
    let order_id = order["id"].as_str().expect("id");
    let db = app.db().await;
    db.execute(
        "update print_tasks set estimated_hours = 36 where order_id = $1",
        &[&order_id],
    )
    .await
    .expect("pla backlog");
    db.execute(
        "insert into print_tasks (order_id, file_id, object_key, material, color, copy_index, estimated_hours, livemode) \
         select order_id, file_id, object_key, 'petg', 'black', 2, 36, livemode from print_tasks where order_id = $1",
        &[&order_id],
    )
    .await
    .expect("petg backlog");
    let file = upload_box(&app, &key, "part.stl", [20.0, 20.0, 10.0]).await;

    // By hand (lead time = the material's base 2–4 days + ceil((backlog +
    // this job) / matching printers / 24 h)): PLA 36 h over 3 printers is
    // 12 h, one day: 4 + 1 = 5 days; PETG 36 h over its 1 printer is 1.5
    // days, two: 4 + 2 = 6 days. The job is well under an hour.
    let pla = quote(&app, &key, &file, "pla", 1).await;
    let petg = quote(&app, &key, &file, "petg", 1).await;
    assert!(
        pla["breakdown"]["print_hours_per_part"]
            .as_f64()
            .unwrap_or(9.0)
            < 1.0,
        "{pla}"
    );
    let load = |q: &Value| {
        (
            q["farm_load"]["printers"].as_i64(),
            q["farm_load"]["backlog_hours"].as_f64(),
            q["farm_load"]["queue_days"].as_i64(),
        )
    };
    assert_eq!(load(&pla), (Some(3), Some(36.0), Some(1)), "{pla}");
    assert_eq!(load(&petg), (Some(1), Some(36.0), Some(2)), "{petg}");
    assert_eq!(pla["farm_load"]["matching_printers"], 3, "{pla}");
    assert_eq!(petg["farm_load"]["matching_printers"], 1, "{petg}");
    // A filament no printer holds: the answer says so (0 matching), and the
    // queue is counted on the one printer a person will load it on.
    let asa = quote(&app, &key, &file, "asa", 1).await;
    assert_eq!(asa["farm_load"]["matching_printers"], 0, "{asa}");
    assert_eq!(asa["farm_load"]["printers"], 1, "{asa}");
    let day = |n: i32| {
        let app = &app;
        async move {
            app.scalar::<String>(
                "select ((now() at time zone 'utc')::date + $1::int)::text",
                &[&n],
            )
            .await
        }
    };
    eprintln!(
        "estimated_ship: pla (3 printers) {}, petg (1 printer) {}",
        pla["estimated_ship"], petg["estimated_ship"]
    );
    assert_eq!(pla["estimated_ship"].as_str(), Some(day(5).await.as_str()));
    assert_eq!(petg["estimated_ship"].as_str(), Some(day(6).await.as_str()));

    // A flagged printer takes no work: PLA over the two left is 18 h, still
    // one day; a third PLA printer offline as well leaves 36 h on one: two.
    app.db()
        .await
        .execute(
            "update printers set needs_attention = serial = '01PMX1', \
                    status = case when serial = '01PMX2' then 'offline' else status end",
            &[],
        )
        .await
        .expect("flag");
    let pla = quote(&app, &key, &file, "pla", 1).await;
    assert_eq!(load(&pla), (Some(1), Some(36.0), Some(2)), "{pla}");
}

#[tokio::test]
async fn an_operator_resolves_a_flagged_printer() {
    let app = spawn().await;
    let token = app.farm_site_token("flags").await;
    register(&app, &token, &["01PF1"]).await;
    push(
        &app,
        &token,
        vec![event(
            "01PF1",
            "needs_attention",
            json!({"detail": {"reason": "pause-class fault"}}),
        )],
    )
    .await;
    assert_eq!(
        claim(&app, &token, "01PF1").await["reason"],
        "needs_attention"
    );
    let path = "/internal/farm/printers/01PF1/resolve";
    // Only the operator: the site token is not enough.
    assert_eq!(
        call(&app, &token, Method::POST, path, &json!({})).await.0,
        401
    );
    let (status, body) = call(&app, OPERATOR, Method::POST, path, &json!({})).await;
    assert_eq!(
        (status, body),
        (200, json!({"printer": "01PF1", "needs_attention": false}))
    );
    assert_eq!(claim(&app, &token, "01PF1").await["reason"], "queue_empty");
    let (status, body) = call(&app, OPERATOR, Method::POST, path, &json!({})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("not_needing_attention"))
    );
    let (status, body) = call(
        &app,
        OPERATOR,
        Method::POST,
        "/internal/farm/printers/01PNONE/resolve",
        &json!({}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("printer_not_found"))
    );
}

#[tokio::test]
async fn an_operator_requeues_a_part_that_gave_up_and_the_order_is_unflagged() {
    let app = spawn().await;
    let token = app.farm_site_token("requeue").await;
    register(&app, &token, &["01PRQ"]).await;
    let (key, order) = queued_order(&app, 1, [200.0, 200.0, 5.0]).await;
    let order_id = order["id"].as_str().expect("id").to_owned();
    let task = plate_tasks(&fail_print(&app, &token, "01PRQ").await)[0];
    let requeue = format!("/internal/farm/tasks/{task}/requeue");
    // Not given up yet: nothing for a person to re-queue.
    let (status, body) = call(&app, OPERATOR, Method::POST, &requeue, &json!({})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("task_not_requeueable"))
    );
    fail_print(&app, &token, "01PRQ").await;
    fail_print(&app, &token, "01PRQ").await;
    let (_, o) = get(&app, &key, &format!("/v1/orders/{order_id}")).await;
    assert_eq!(
        (
            o["needs_attention"].as_bool(),
            o["parts"][0]["status"].as_str()
        ),
        (Some(true), Some("gave_up")),
        "{o}"
    );

    // The operator's page lists it.
    let (status, overview) = call(
        &app,
        OPERATOR,
        Method::GET,
        "/internal/farm/overview",
        &json!({}),
    )
    .await;
    assert_eq!(status, 200, "{overview}");
    assert_eq!(
        overview["queue"]["needs_person"],
        json!([{"task_id": task, "status": "gave_up", "order_id": order_id, "part": 1,
                "failures": 3, "material": "pla", "color": "black"}])
    );

    assert_eq!(
        call(&app, &token, Method::POST, &requeue, &json!({}))
            .await
            .0,
        401
    );
    let (status, body) = call(&app, OPERATOR, Method::POST, &requeue, &json!({})).await;
    assert_eq!(
        (status, body),
        (
            200,
            json!({"task_id": task, "status": "queued", "order_id": order_id,
                   "order_needs_attention": false})
        )
    );
    let (status, _) = call(&app, OPERATOR, Method::POST, &requeue, &json!({})).await;
    assert_eq!(status, 409, "a second click re-queues nothing");
    settle(&app).await;
    let (_, o) = get(&app, &key, &format!("/v1/orders/{order_id}")).await;
    assert_eq!(
        (
            o["needs_attention"].as_bool(),
            o["status_detail"].as_str(),
            o["status"].as_str(),
            o["parts"][0]["status"].as_str()
        ),
        (Some(false), None, Some("in_production"), Some("queued")),
        "{o}"
    );
    let events = order_events(&app, &order_id).await;
    let last = events.last().expect("events");
    assert_eq!(last["type"], "order.status_changed");
    assert_eq!(last["data"]["needs_attention"], false);
    assert_eq!(
        last["data"]["requeued"],
        json!({"part": 1, "task_id": task, "attempts": 4})
    );

    // Printed again, at the front, as its fourth attempt; a person's
    // re-queue gives it three more, so the next failure re-prints.
    let c = fail_print(&app, &token, "01PRQ").await;
    assert_eq!(plate_tasks(&c), vec![task]);
    assert_eq!(c["plate"]["parts"][0]["attempt"], 4);
    let (_, o) = get(&app, &key, &format!("/v1/orders/{order_id}")).await;
    assert_eq!(
        (
            o["needs_attention"].as_bool(),
            o["parts"][0]["status"].as_str()
        ),
        (Some(false), Some("queued")),
        "{o}"
    );
    let (status, body) = call(
        &app,
        OPERATOR,
        Method::POST,
        "/internal/farm/tasks/999999/requeue",
        &json!({}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("task_not_found"))
    );
}

#[tokio::test]
async fn a_tick_returns_an_expired_lease_to_the_queue_without_a_claim() {
    let app = spawn().await;
    let token = app.farm_site_token("dead-gateway").await;
    register(&app, &token, &["01PDG"]).await;
    let (key, order) = queued_order(&app, 1, [30.0, 30.0, 10.0]).await;
    let c = claim(&app, &token, "01PDG").await;
    let task = plate_tasks(&c)[0];
    let plate = c["plate"]["id"].as_str().expect("plate").to_owned();
    // An unexpired lease stays.
    assert_eq!(tick(&app).await["leases_released"], 0);
    // The gateway died; its lease runs out; no claim comes.
    app.db()
        .await
        .execute(
            "update plates set lease_expires_at = now() - interval '1 second' where id = $1",
            &[&plate],
        )
        .await
        .expect("expire");
    let report = tick(&app).await;
    assert_eq!(report["leases_released"], 1, "{report}");
    let row = app
        .db()
        .await
        .query_one(
            "select t.status, t.plate_id is null, p.status from print_tasks t, plates p \
             where t.id = $1 and p.id = $2",
            &[&task, &plate],
        )
        .await
        .expect("state");
    let state: (String, bool, String) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(state, ("queued".to_owned(), true, "expired".to_owned()));
    assert_eq!(tick(&app).await["leases_released"], 0);
    let (_, o) = get(
        &app,
        &key,
        &format!("/v1/orders/{}", order["id"].as_str().expect("id")),
    )
    .await;
    assert_eq!(o["parts"][0]["status"], "queued", "{o}");
}

#[tokio::test]
async fn each_item_of_the_order_list_carries_its_parts_in_one_statement() {
    let app = spawn().await;
    let token = app.farm_site_token("list").await;
    register(&app, &token, &["01PL1"]).await;
    let (key, order) = queued_order(&app, 2, [20.0, 20.0, 10.0]).await;
    let order_id = order["id"].as_str().expect("id").to_owned();
    // One plate with both parts, printed; one part inspected with a photo.
    let c = claim(&app, &token, "01PL1").await;
    let tasks = plate_tasks(&c);
    print_hour(&app, &token, "01PL1", &c).await;
    assert_eq!(
        put_photo(&app, &token, tasks[0], "front.png", png())
            .await
            .0,
        201
    );
    push(&app, &token, vec![event("01PL1", "inspection", json!({"plate_id": c["plate"]["id"], "task_id": tasks[0],
        "detail": {"passed": true, "photos": ["front.png"], "defect": null, "source": "simulated"}}))]).await;
    settle(&app).await;

    let listed = |id: &'static str| {
        let (app, key) = (&app, &key);
        async move {
            let r = app
                .client
                .get(app.url("/v1/orders"))
                .bearer_auth(key)
                .header("x-request-id", id)
                .send()
                .await
                .expect("list");
            assert_eq!(r.status(), 200);
            let body: Value = r.json().await.expect("json");
            (body, app.db_statements(id))
        }
    };
    let (one, one_statements) = listed("list-one").await;
    let (_, single) = get(&app, &key, &format!("/v1/orders/{order_id}")).await;
    let without_urls = |parts: &Value| {
        let mut parts = parts.clone();
        for p in parts.as_array_mut().into_iter().flatten() {
            for ph in p["inspection"]["photos"]
                .as_array_mut()
                .into_iter()
                .flatten()
            {
                let url = ph["url"].as_str().unwrap_or("").to_owned();
                assert!(
                    url.contains("X-Amz-Signature=") && url.contains("X-Amz-Expires=3600"),
                    "{url}"
                );
                ph["url"] = Value::Null;
            }
        }
        parts
    };
    let item = &one["data"][0];
    assert_eq!(item["id"], order_id.as_str());
    assert_eq!(without_urls(&item["parts"]), without_urls(&single["parts"]));
    // By hand: both parts printed (0.17 kWh for the plate, half each); the
    // first inspected and passed with its photo, the second not yet.
    let parts = item["parts"].as_array().expect("parts");
    assert_eq!(parts.len(), 2);
    assert_eq!(
        (
            parts[0]["status"].as_str(),
            parts[0]["inspection"]["passed"].as_bool()
        ),
        (Some("passed"), Some(true))
    );
    assert_eq!(parts[0]["inspection"]["photos"][0]["name"], "front.png");
    assert_eq!(
        (
            parts[1]["status"].as_str(),
            &parts[1]["inspection"],
            parts[1]["energy_kwh"].as_f64()
        ),
        (Some("printed"), &Value::Null, Some(0.085))
    );

    // More orders on the page, the same statements: authentication and the
    // list (with every item's parts).
    for _ in 0..2 {
        let file = upload_box(&app, &key, "more.stl", [20.0, 20.0, 10.0]).await;
        let q = quote(&app, &key, &file, "pla", 3).await;
        let r = app
            .with_key(&key)
            .request(Method::POST, "/v1/checkout_sessions")
            .header("idempotency-key", uuid::Uuid::new_v4().to_string())
            .json(&json!({"quote_id": q["quote_id"], "shipping_address_json":
                {"line1": "1 Main St", "city": "Austin", "country": "US"}}))
            .send()
            .await
            .expect("checkout");
        assert!(r.status().is_success(), "{}", r.status());
    }
    let (three, three_statements) = listed("list-three").await;
    let data = three["data"].as_array().expect("data");
    assert_eq!(data.len(), 3, "{three}");
    for item in data {
        assert!(item["parts"].is_array(), "{item}");
    }
    eprintln!("GET /v1/orders: {one_statements} statements for 1 order, {three_statements} for 3");
    assert_eq!(one_statements, three_statements);
    assert_eq!(one_statements, 2, "authentication and the list");
}

/// `GET /internal/farm/overview` with the operator token and a request id;
/// returns the answer and the statements it took.
async fn overview(app: &TestApp, request_id: &str) -> (Value, u32) {
    let r = app
        .request(Method::GET, "/internal/farm/overview")
        .bearer_auth(OPERATOR)
        .header("x-request-id", request_id)
        .send()
        .await
        .expect("overview");
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    (body, app.db_statements(request_id))
}

#[tokio::test]
async fn the_overview_lists_parts_awaiting_a_verdict_with_their_photos_in_one_statement() {
    let app = spawn().await;
    let token = app.farm_site_token("verdicts").await;
    register(&app, &token, &["01PV1"]).await;
    let (_, empty_statements) = overview(&app, "overview-empty").await;

    let (_, order) = queued_order(&app, 3, [20.0, 20.0, 10.0]).await;
    let order_id = order["id"].as_str().expect("id").to_owned();
    // The gateway reports two AMS trays with its claim.
    let c = claim_loaded(
        &app,
        &token,
        "01PV1",
        json!([{"material": "pla", "color": "black"}, {"material": "petg", "color": "white"}]),
    )
    .await;
    let tasks = plate_tasks(&c);
    assert_eq!(tasks.len(), 3, "three small parts on one plate: {c}");
    print_hour(&app, &token, "01PV1", &c).await;
    // A camera photo for the first two (as the camera inspector uploads
    // them, with no verdict); the third has a verdict from the printer.
    for t in &tasks {
        let (status, body) = put_photo(&app, &token, *t, "camera.png", png()).await;
        assert!((200..300).contains(&status), "{status} {body}");
    }
    push(
        &app,
        &token,
        vec![event(
            "01PV1",
            "inspection",
            json!({"plate_id": c["plate"]["id"], "task_id": tasks[2],
        "detail": {"passed": true, "photos": ["camera.png"], "defect": null, "source": "printer"}}),
        )],
    )
    .await;
    settle(&app).await;

    let (body, statements) = overview(&app, "overview-two").await;
    eprintln!(
        "overview: {statements} statements with two parts awaiting a verdict, {empty_statements} with none"
    );
    assert_eq!(
        statements, empty_statements,
        "the list is one statement whatever it holds"
    );
    let printer = &body["sites"][0]["printers"][0];
    assert_eq!(
        printer["filament"],
        json!([{"material": "pla", "color": "black"}, {"material": "petg", "color": "white"}]),
        "what the printer reports: {printer}"
    );
    let waiting = body["awaiting_verdict"].as_array().expect("list");
    let listed: Vec<i64> = waiting
        .iter()
        .filter_map(|v| v["task_id"].as_i64())
        .collect();
    assert_eq!(listed, tasks[..2], "the judged part is not listed: {body}");
    let store = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    for v in waiting {
        assert_eq!(
            (
                v["order_id"].as_str(),
                v["printer"].as_str(),
                v["attempt"].as_i64(),
                v["material"].as_str(),
            ),
            (Some(order_id.as_str()), Some("01PV1"), Some(1), Some("pla")),
            "{v}"
        );
        assert_eq!(v["photos"].as_array().map(Vec::len), Some(1), "{v}");
        assert_eq!(v["photos"][0]["name"], "camera.png");
        let url = v["photos"][0]["url"].as_str().expect("url");
        assert!(url.contains("X-Amz-Expires=3600"), "an hour: {url}");
        let got = store.get(url).send().await.expect("photo");
        assert_eq!(got.status(), 200, "{url}");
        assert_eq!(got.bytes().await.expect("bytes").as_ref(), png().as_slice());
    }

    // Passed by a person: off the list.
    let (status, passed) = call(
        &app,
        OPERATOR,
        Method::POST,
        &format!("/internal/farm/tasks/{}/pass", tasks[0]),
        &json!({}),
    )
    .await;
    assert_eq!(status, 200, "{passed}");
    let (body, _) = overview(&app, "overview-one").await;
    let listed: Vec<i64> = body["awaiting_verdict"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|v| v["task_id"].as_i64())
        .collect();
    assert_eq!(listed, tasks[1..2]);
}
