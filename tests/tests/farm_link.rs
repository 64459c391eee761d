//! The farm sites' internal routes (components/farm): site tokens, printer
//! registration, task claims and event batches, through the real Wasm
//! component against a fresh database. The gateway's side (spool, kills) is
//! tested in components/printer-gateway/tests/link_kill.rs.

#[path = "farm_common.rs"]
mod common;

use common::*;
use farm_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

async fn register(app: &TestApp, token: &str, serials: &[&str]) -> (u16, Value) {
    let printers: Vec<Value> = serials
        .iter()
        .map(|s| json!({ "serial": s, "model": "P1S" }))
        .collect();
    call(
        app,
        token,
        Method::PUT,
        "/internal/farm/printers",
        &json!({ "printers": printers }),
    )
    .await
}

async fn claim(app: &TestApp, token: &str, serial: &str) -> (u16, Value) {
    call(
        app,
        token,
        Method::POST,
        "/internal/farm/claims",
        &json!({ "printer": serial }),
    )
    .await
}

async fn push(app: &TestApp, token: &str, events: &Value) -> (u16, Value) {
    call(
        app,
        token,
        Method::POST,
        "/internal/farm/events",
        &json!({ "events": events }),
    )
    .await
}

/// The task ids of a claim's plate, sorted.
fn plate_tasks(claim: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = claim["plate"]["parts"]
        .as_array()
        .map(|p| p.iter().filter_map(|x| x["task_id"].as_i64()).collect())
        .unwrap_or_default();
    ids.sort_unstable();
    ids
}

/// Two queued print tasks of one job, made through the real upload and quote.
async fn queued_tasks(app: &TestApp) -> Vec<i64> {
    let key = new_key(app, "test").await;
    let file = upload_box(app, &key, "part.stl", [20.0, 20.0, 20.0]).await;
    let q = quote(app, &key, &file, "pla", 2).await;
    let db = app.db().await;
    let file_id = file["id"].as_str().expect("id");
    db.execute(
        "insert into jobs (id, account_id, file_id, quote_id, material, color, quantity, currency, \
           unit_price_cents, total_cents, estimated_ship, response) \
         select 'job_farmlink', account_id, id, $2, 'pla', 'black', 2, 'USD', 1, 2, current_date, '{}' \
         from files where id = $1",
        &[&file_id, &q["quote_id"].as_str().expect("quote_id")],
    )
    .await
    .expect("job");
    let rows = db
        .query(
            "insert into print_tasks (job_id, file_id, object_key, material, color, copy_index, estimated_hours) \
             select 'job_farmlink', $1, 'k', 'pla', 'black', n, 0.5 from generate_series(1, 2) n returning id",
            &[&file_id],
        )
        .await
        .expect("tasks");
    rows.iter().map(|r| r.get(0)).collect()
}

#[tokio::test]
async fn a_missing_wrong_or_rotated_site_token_is_401() {
    let app = spawn_upload_app().await;
    let old = app.farm_site_token("north").await;
    let current = app.farm_site_token("north").await; // rotation
    assert_ne!(old, current);
    let unknown = format!("fst_{}", "0".repeat(48));
    for token in [
        old.as_str(),
        unknown.as_str(),
        "fst_short",
        app.internal_token.as_str(),
        "",
    ] {
        for (method, path) in [
            (Method::PUT, "/internal/farm/printers"),
            (Method::POST, "/internal/farm/claims"),
            (Method::POST, "/internal/farm/events"),
        ] {
            let (status, body) = call(&app, token, method, path, &json!({})).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (401, Some("invalid_site_token")),
                "{path} {body}"
            );
        }
    }
    let (status, body) = register(&app, &current, &["01PCURRENT"]).await;
    assert_eq!(status, 200, "{body}");
    // Creating sites takes the internal token, not a site token.
    let (status, body) = call(
        &app,
        &current,
        Method::POST,
        "/internal/farm/sites",
        &json!({"name": "x"}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_internal_token"))
    );
    // Only the hash is stored.
    let stored: i64 = app
        .scalar(
            "select count(*) from farm_sites where token_sha256 = $1",
            &[&sha256_hex(current.as_bytes())],
        )
        .await;
    assert_eq!(stored, 1);
    let leaked: i64 = app
        .scalar(
            "select count(*) from farm_sites where token_sha256 = $1 or name = $1",
            &[&current],
        )
        .await;
    assert_eq!(leaked, 0);
}

#[tokio::test]
async fn one_site_cannot_take_claim_or_report_another_sites_printer() {
    let app = spawn_upload_app().await;
    let tasks = queued_tasks(&app).await;
    let (north, south) = (
        app.farm_site_token("north").await,
        app.farm_site_token("south").await,
    );
    assert_eq!(register(&app, &north, &["01PNORTH"]).await.0, 200);
    assert_eq!(register(&app, &south, &["01PSOUTH"]).await.0, 200);

    let (status, body) = register(&app, &south, &["01PSOUTH2", "01PNORTH"]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("printer_taken")),
        "{body}"
    );
    assert_eq!(body["serials"], json!(["01PNORTH"]));
    let registered: i64 = app
        .scalar(
            "select count(*) from printers where serial = '01PSOUTH2'",
            &[],
        )
        .await;
    assert_eq!(registered, 0, "a refused registration registers nothing");

    let (status, body) = claim(&app, &south, "01PNORTH").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("printer_not_found")),
        "{body}"
    );
    let claimed: i64 = app
        .scalar(
            "select count(*) from print_tasks where status <> 'queued'",
            &[],
        )
        .await;
    assert_eq!(claimed, 0);

    let (status, body) = claim(&app, &north, "01PNORTH").await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (200, Some("claimed")),
        "{body}"
    );
    assert_eq!(plate_tasks(&body), tasks, "both small parts on one plate");
    // A repeated claim (its answer lost) is the same lease, not a second plate.
    let (_, again) = claim(&app, &north, "01PNORTH").await;
    assert_eq!(again["plate"]["id"], body["plate"]["id"]);

    let (status, body) = push(
        &app,
        &south,
        &json!([{
            "id": "evt-south-1", "printer": "01PNORTH", "kind": "task_started",
            "occurred_at": "2026-11-30T04:00:00Z", "task_id": tasks[0]
        }, {
            "id": "evt-south-2", "printer": "01PSOUTH", "kind": "task_started",
            "occurred_at": "2026-11-30T04:00:00Z", "task_id": tasks[0]
        }]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["reason"], "unknown_printer");
    assert_eq!(body["results"][1]["reason"], "unknown_task");
    assert_eq!(body["rejected"], 2);
    assert_eq!(app.count_rows("farm_events").await, 0);
    let status: String = app
        .scalar("select status from print_tasks where id = $1", &[&tasks[0]])
        .await;
    assert_eq!(status, "claimed");
}

#[tokio::test]
async fn the_same_batch_sent_twice_is_applied_once() {
    let app = spawn_upload_app().await;
    let tasks = queued_tasks(&app).await;
    let token = app.farm_site_token("east").await;
    assert_eq!(register(&app, &token, &["01PEAST"]).await.0, 200);
    let (_, claimed) = claim(&app, &token, "01PEAST").await;
    assert_eq!(plate_tasks(&claimed), tasks);
    let task = tasks[0];
    let state = |gcode: &str, status: &str, progress: u8| {
        json!({ "status": status, "gcode_state": gcode, "progress": progress,
                "remaining_minutes": null, "current_file": "plate.gcode.3mf" })
    };
    let batch = json!([
        { "id": "e-1", "printer": "01PEAST", "kind": "online", "occurred_at": "2026-11-30T04:00:00Z",
          "state": state("IDLE", "idle", 0) },
        { "id": "e-2", "printer": "01PEAST", "kind": "task_started", "occurred_at": "2026-11-30T04:00:01Z",
          "task_id": task, "state": state("RUNNING", "printing", 0) },
        // A state report names no task: the printing one is what it concerns.
        { "id": "e-3", "printer": "01PEAST", "kind": "progress", "occurred_at": "2026-11-30T04:10:00.5Z",
          "state": state("RUNNING", "printing", 50) },
        { "id": "e-4", "printer": "01PEAST", "kind": "task_finished", "occurred_at": "2026-11-30T04:20:00Z",
          "task_id": task, "state": state("FINISH", "idle", 100) },
    ]);
    // Twice at the same time, then once more: four rows, one transition each.
    let (first, second) = tokio::join!(push(&app, &token, &batch), push(&app, &token, &batch));
    let (third_status, third) = push(&app, &token, &batch).await;
    assert_eq!((first.0, second.0, third_status), (200, 200, 200));
    let applied =
        first.1["applied"].as_u64().unwrap_or(0) + second.1["applied"].as_u64().unwrap_or(0);
    assert_eq!(applied, 4, "{} {}", first.1, second.1);
    assert_eq!(third["duplicate"], 4, "{third}");
    assert_eq!(third["applied"], 0);
    let outcomes: Vec<&str> = third["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(outcomes, ["e-1", "e-2", "e-3", "e-4"]);

    assert_eq!(app.count_rows("farm_events").await, 4);
    let kinds: Vec<String> = app.db().await
        .query("select kind || ':' || coalesce(task_id::text, '-') || ':' || coalesce(job_id, '-') from farm_events order by occurred_at", &[])
        .await.expect("events").iter().map(|r| r.get(0)).collect();
    assert_eq!(
        kinds,
        [
            "online:-:-".to_owned(),
            format!("task_started:{task}:job_farmlink"),
            format!("progress:{task}:job_farmlink"),
            format!("task_finished:{task}:job_farmlink"),
        ]
    );
    let row = app.db().await
        .query_one("select status, started_at is not null, finished_at is not null from print_tasks where id = $1", &[&task])
        .await.expect("task");
    assert_eq!(
        (
            row.get::<_, String>(0),
            row.get::<_, bool>(1),
            row.get::<_, bool>(2)
        ),
        ("printed".to_owned(), true, true)
    );
    let printer = app.db().await
        .query_one("select status, gcode_state, progress, last_seen = '2026-11-30T04:20:00Z' from printers where serial = '01PEAST'", &[])
        .await.expect("printer");
    assert_eq!(
        (
            printer.get::<_, String>(0),
            printer.get::<_, String>(1),
            printer.get::<_, i32>(2),
            printer.get::<_, bool>(3)
        ),
        ("idle".to_owned(), "FINISH".to_owned(), 100, true)
    );
}

#[tokio::test]
async fn a_dispatch_failure_requeues_the_task_and_flags_the_printer() {
    let app = spawn_upload_app().await;
    let tasks = queued_tasks(&app).await;
    let token = app.farm_site_token("west").await;
    assert_eq!(
        register(&app, &token, &["01PWEST1", "01PWEST2"]).await.0,
        200
    );
    let (_, claimed) = claim(&app, &token, "01PWEST1").await;
    let plate = claimed["plate"]["id"].clone();
    let (_, body) = push(
        &app,
        &token,
        &json!([{ "id": "d-1", "printer": "01PWEST1", "kind": "dispatch_failed",
        "occurred_at": "2026-11-30T04:00:00Z", "plate_id": plate, "detail": { "reason": "busy" } }]),
    )
    .await;
    assert_eq!(body["applied"], 1, "{body}");
    // The flagged printer gets no work; the task goes to the other printer.
    let (_, refused) = claim(&app, &token, "01PWEST1").await;
    assert_eq!(
        (refused["plate"].clone(), refused["reason"].as_str()),
        (Value::Null, Some("needs_attention"))
    );
    let (_, other) = claim(&app, &token, "01PWEST2").await;
    assert_eq!(plate_tasks(&other), tasks, "{other}");
    // Not a print failure: still the first attempt.
    assert_eq!(other["plate"]["parts"][0]["attempt"], 1);
    let (_, second) = claim(&app, &token, "01PWEST1").await;
    assert_eq!(second["reason"], "needs_attention");
    // Malformed batches are refused whole.
    let (status, body) = push(
        &app,
        &token,
        &json!([{ "id": "m-1", "printer": "01PWEST2", "kind": "online",
        "occurred_at": "yesterday" }]),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
    let (status, _) = push(&app, &token, &json!([])).await;
    assert_eq!(status, 400);
    // What Postgres would refuse is a 400 here, never a 500.
    let state = json!({ "status": "printing", "gcode_state": "RUNNING", "progress": 101,
                        "remaining_minutes": null, "current_file": null });
    for (events, field) in [
        (
            json!([{ "id": "m-2", "printer": "01PWEST2", "kind": "progress",
                  "occurred_at": "2026-11-30T04:00:00Z", "state": state }]),
            "events[0].state",
        ),
        (
            json!([{ "id": "m-3", "printer": "01PWEST2\u{0}", "kind": "online",
                  "occurred_at": "2026-11-30T04:00:00Z" }]),
            "events",
        ),
    ] {
        let (status, body) = push(&app, &token, &events).await;
        assert_eq!(
            (status, body["fields"][0]["field"].as_str()),
            (400, Some(field)),
            "{body}"
        );
    }
    let (status, _) = claim(&app, &token, "01PWEST2\u{0}").await;
    assert_eq!(status, 400);
    assert_eq!(app.count_rows("farm_events").await, 1);
}
