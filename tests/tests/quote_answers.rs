//! Answers that agree with themselves and never leave the caller stuck
//! (issue 9, items 9–11): every amount once, as integer minor units with a
//! currency and a display, priced by the published formula (recomputed here
//! from the catalog's figures: 2¢/g PLA, $3 minimum, 10 % from 50 parts);
//! one id field per resource; a `next_action` for every state and error; the
//! upload URL of a pending file; the failure of a failed one; a unit warning
//! for a speck; lists with cursors; a poll interval on a processing file.

#[path = "upload_common.rs"]
mod common;

use common::*;
use serde_json::{Value, json};

const PLA_CENTS_PER_GRAM: i128 = 2;
const MINIMUM_CENTS: i64 = 300;

/// round_half_up(centigrams × cents per gram × (1 − discount) / 100), integers only.
fn unit_cents(grams: f64, cents_per_gram: i128, discount_bp: i128) -> i64 {
    let centigrams = (grams * 100.0).round() as i128;
    let num = centigrams * cents_per_gram * (10_000 - discount_bp);
    let den = 100 * 10_000;
    ((2 * num + den) / (2 * den)) as i64
}

fn cents(v: &Value) -> i64 {
    v["amount"]
        .as_i64()
        .unwrap_or_else(|| panic!("not money: {v}"))
}

/// Every object with an `amount` is exactly `{amount, currency, display}`
/// with an integer amount and the display spelling that amount.
fn assert_money_everywhere(v: &Value, path: &str) {
    match v {
        Value::Object(map) => {
            if map.contains_key("amount") {
                let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
                keys.sort_unstable();
                assert_eq!(keys, ["amount", "currency", "display"], "{path}: {v}");
                let a = map["amount"]
                    .as_i64()
                    .unwrap_or_else(|| panic!("{path}: {v}"));
                assert_eq!(map["currency"], "USD", "{path}");
                let sign = if a < 0 { "-" } else { "" };
                let expected = format!("{sign}${}.{:02}", a.abs() / 100, a.abs() % 100);
                assert_eq!(map["display"], json!(expected), "{path}");
            }
            for (k, child) in map {
                assert_money_everywhere(child, &format!("{path}.{k}"));
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                assert_money_everywhere(child, &format!("{path}[{i}]"));
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn ten_small_cubes_are_priced_by_the_formula_with_the_minimum_on_the_total() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let file = upload_box(&app, &key, "cube.stl", [15.0, 15.0, 15.0]).await;
    let q = quote(&app, &key, &file, "pla", 10).await;
    let grams = q["breakdown"]["grams_per_part"].as_f64().expect("grams");
    let unit = unit_cents(grams, PLA_CENTS_PER_GRAM, 0);
    let subtotal = unit * 10;
    assert!(
        subtotal < MINIMUM_CENTS,
        "the case must hit the minimum: {q}"
    );
    assert_eq!(cents(&q["unit_price"]), unit, "{q}");
    assert_eq!(cents(&q["breakdown"]["list_unit_price"]), unit, "{q}");
    assert_eq!(cents(&q["breakdown"]["price_per_gram"]), 2);
    assert_eq!(cents(&q["breakdown"]["subtotal"]), subtotal);
    assert_eq!(cents(&q["breakdown"]["discount"]), 0);
    assert_eq!(cents(&q["breakdown"]["minimum"]), MINIMUM_CENTS);
    assert_eq!(q["breakdown"]["minimum_applied"], true);
    assert_eq!(cents(&q["total"]), MINIMUM_CENTS, "{q}");
    // The range brackets the total and spells itself.
    let (min, max) = (
        q["price_estimate"]["min"].as_i64().expect("min"),
        q["price_estimate"]["max"].as_i64().expect("max"),
    );
    assert!(min <= MINIMUM_CENTS && MINIMUM_CENTS <= max, "{q}");
    assert_eq!(q["price_estimate"]["currency"], "USD");
    assert_eq!(
        q["price_estimate"]["display"],
        json!(format!(
            "${}.{:02} – ${}.{:02}",
            min / 100,
            min % 100,
            max / 100,
            max % 100
        ))
    );
}

#[tokio::test]
async fn the_bulk_tier_starts_at_fifty_parts() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let file = upload_box(&app, &key, "block.stl", [40.0, 30.0, 20.0]).await;
    let q49 = quote(&app, &key, &file, "pla", 49).await;
    let q50 = quote(&app, &key, &file, "pla", 50).await;
    let grams = q49["breakdown"]["grams_per_part"].as_f64().expect("grams");
    assert_eq!(q50["breakdown"]["grams_per_part"].as_f64(), Some(grams));
    let list = unit_cents(grams, PLA_CENTS_PER_GRAM, 0);
    let bulk = unit_cents(grams, PLA_CENTS_PER_GRAM, 1000);
    assert_eq!(cents(&q49["unit_price"]), list);
    assert_eq!(cents(&q49["total"]), (list * 49).max(MINIMUM_CENTS));
    assert_eq!(
        q49["breakdown"]["bulk_discount_percent"].as_f64(),
        Some(0.0)
    );
    assert_eq!(cents(&q50["breakdown"]["list_unit_price"]), list);
    assert_eq!(cents(&q50["unit_price"]), bulk);
    assert_eq!(
        q50["breakdown"]["bulk_discount_percent"].as_f64(),
        Some(10.0)
    );
    assert_eq!(q50["breakdown"]["bulk_tier_min_quantity"], 50);
    assert_eq!(cents(&q50["breakdown"]["discount"]), list * 50 - bulk * 50);
    assert_eq!(cents(&q50["total"]), (bulk * 50).max(MINIMUM_CENTS));
    assert!(bulk < list, "{q50}");
}

#[tokio::test]
async fn each_figure_appears_once_under_one_name() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let file = upload_box(&app, &key, "cube.stl", [20.0, 20.0, 20.0]).await;
    assert!(
        file["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("file_"))
    );
    assert!(file.get("file_id").is_none(), "{file}");
    let q = quote(&app, &key, &file, "pla", 3).await;
    assert!(
        q["quote_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("quote_"))
    );
    for gone in [
        "id",
        "amounts",
        "price_estimate_display",
        "currency",
        "material",
    ] {
        assert!(q.get(gone).is_none(), "`{gone}` repeats a figure: {q}");
    }
    assert!(q["breakdown"].get("discounted_unit_price").is_none());
    assert_money_everywhere(&q, "quote");
    assert_eq!(q["status"], "open");
    let (status, fetched) = get(
        &app,
        &key,
        &format!("/v1/quotes/{}", q["quote_id"].as_str().expect("quote_id")),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(fetched, q, "GET returns the quote as created");
}

#[tokio::test]
async fn an_unprintable_part_says_fix_it_and_names_each_reason_once() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let file = upload_box(&app, &key, "beam.stl", [400.0, 30.0, 20.0]).await;
    assert_eq!(file["status"], "ready");
    assert_eq!(file["printability"]["printable"], false);
    assert_eq!(file["next_action"], "fix_file_and_upload_again", "{file}");
    let (status, body) = try_quote(&app, &key, &file, "pla").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("part_not_printable"))
    );
    let message = body["message"].as_str().expect("message").to_lowercase();
    assert_eq!(message.matches("cannot be printed").count(), 1, "{message}");
    assert!(message.contains("build_volume"), "{message}");
    assert_eq!(body["next_action"], "fix_file_and_upload_again");
}

#[tokio::test]
async fn the_farm_backlog_is_reported_to_the_hundredth_of_an_hour() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let file = upload_box(&app, &key, "cube.stl", [20.0, 20.0, 20.0]).await;
    let first = quote(&app, &key, &file, "pla", 1).await;
    // Three queued tasks of 0.15 h: a float sum of 0.44999999999999996.
    let db = app.db().await;
    let file_id = file["id"].as_str().expect("id");
    let account: String = db
        .query_one("select account_id from files where id = $1", &[&file_id])
        .await
        .expect("file")
        .get(0);
    db.execute(
        "insert into jobs (id, account_id, file_id, quote_id, material, color, quantity, currency, \
           unit_price_cents, total_cents, estimated_ship, response) \
         values ('job_backlog', $1, $2, $3, 'pla', 'black', 3, 'USD', 1, 300, current_date, '{}')",
        &[
            &account,
            &file_id,
            &first["quote_id"].as_str().expect("quote_id"),
        ],
    )
    .await
    .expect("job");
    db.execute(
        "insert into print_tasks (job_id, file_id, object_key, material, color, copy_index, estimated_hours) \
         select 'job_backlog', $1, 'k', 'pla', 'black', n, 0.15 from generate_series(1, 3) n",
        &[&file_id],
    )
    .await
    .expect("tasks");
    let q = quote(&app, &key, &file, "pla", 1).await;
    assert_eq!(q["farm_load"]["backlog_hours"].as_f64(), Some(0.45), "{q}");
}

#[tokio::test]
async fn a_pending_upload_gives_back_its_url_until_it_expires() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let bytes = box_stl([20.0, 20.0, 20.0], 1);
    let presigned = presign(&app, &key, "lost.stl", "model/stl", bytes.len()).await;
    let id = presigned["file_id"].as_str().expect("file_id").to_owned();
    // The URL was lost: the file itself gives a working one.
    let (status, file) = get(&app, &key, &format!("/v1/files/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(file["status"], "pending_upload");
    assert_eq!(file["next_action"], "upload_file_then_confirm");
    assert_eq!(file["upload_method"], "PUT");
    assert_eq!(file["required_headers"], presigned["required_headers"]);
    assert_eq!(put(&app, &file, bytes).await, 200);
    let (status, body) = post(&app, &key, "/v1/files/confirm", &json!({"file_id": id})).await;
    assert_eq!(status, 200, "{body}");
    let ready = wait_ready(&app, &key, &id).await;
    assert_eq!(
        (ready["status"].as_str(), ready["next_action"].as_str()),
        (Some("ready"), Some("create_quote"))
    );
    assert!(ready.get("upload_url").is_none(), "{ready}");

    // Once the upload window has passed, there is no URL and a new presign is the way.
    let late = presign(&app, &key, "late.stl", "model/stl", 100).await;
    let late_id = late["file_id"].as_str().expect("file_id");
    app.db()
        .await
        .execute(
            "update files set upload_expires_at = now() - interval '1 minute' where id = $1",
            &[&late_id],
        )
        .await
        .expect("expire");
    let (_, file) = get(&app, &key, &format!("/v1/files/{late_id}")).await;
    assert!(file.get("upload_url").is_none(), "{file}");
    assert_eq!(file["next_action"], "presign_new_upload");
}

#[tokio::test]
async fn quoting_a_failed_file_points_to_its_failure_reason() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    // Sniffs as ASCII STL (so confirm lets it through), but its numbers are
    // not numbers: the analysis fails.
    let junk = b"solid junk\n facet normal 0 0 1\n  outer loop\n   vertex 1 2 three\n   vertex 4 5 6\n   vertex 7 8 9\n  endloop\n endfacet\nendsolid junk\n".to_vec();
    let file = upload(&app, &key, "junk.stl", "model/stl", junk).await;
    assert_eq!(file["status"], "failed", "{file}");
    assert_eq!(file["next_action"], "fix_file_and_upload_again");
    let reason = file["failure_reason"].as_str().expect("failure_reason");
    assert!(!reason.is_empty());
    let (status, body) = try_quote(&app, &key, &file, "pla").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("file_not_ready"))
    );
    assert_eq!(body["status"], "failed");
    assert_eq!(body["failure_reason"], json!(reason));
    assert_eq!(body["next_action"], "fix_file_and_upload_again");
}

#[tokio::test]
async fn a_two_unit_cube_read_as_millimetres_gets_a_unit_warning() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let file = upload_box(&app, &key, "speck.stl", [2.0, 2.0, 2.0]).await;
    assert_eq!(file["status"], "ready");
    assert_eq!(file["metrics_json"]["unit"], "mm");
    let warnings = file["metrics_json"]["warnings"]
        .as_array()
        .expect("warnings");
    assert!(warnings.contains(&json!("unit_suspect")), "{file}");
    let finding = file["printability"]["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["check"] == "unit_suspect"))
        .expect("unit_suspect finding");
    // 2 units in inches is 50.8 mm, a part anyone would order.
    assert_eq!(
        finding["fix_hint"],
        json!({"code": "set_unit", "unit": "in"}),
        "{finding}"
    );
    assert_eq!(file["next_action"], "confirm_unit");
    let q = quote(&app, &key, &file, "pla", 1).await;
    assert!(
        q["risk_flags"]
            .as_array()
            .expect("flags")
            .contains(&json!("low_unit_confidence")),
        "{q}"
    );
    assert_eq!(q["requires_user_confirmation"], true);
    // Confirming the unit clears the doubt.
    let (status, file) = post(
        &app,
        &key,
        &format!("/v1/files/{}/unit", file["id"].as_str().expect("id")),
        &json!({"selected_unit": "in", "confirmed_by": "user"}),
    )
    .await;
    assert_eq!(status, 200, "{file}");
    assert_eq!(file["metrics_json"]["bbox_mm"], json!([50.8, 50.8, 50.8]));
    assert_eq!(file["next_action"], "create_quote");
}

#[tokio::test]
async fn a_processing_file_says_when_to_poll_again() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let file = upload_box(&app, &key, "cube.stl", [20.0, 20.0, 20.0]).await;
    let id = file["id"].as_str().expect("id");
    app.db()
        .await
        .execute(
            "update files set status = 'processing' where id = $1",
            &[&id],
        )
        .await
        .expect("back to processing");
    let r = app.with_key(&key).get(&format!("/v1/files/{id}")).await;
    assert_eq!(
        r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
        Some("2")
    );
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["next_action"], "poll_file_until_ready");
    // Confirm answers the current state, already paced for the first poll.
    let r = app
        .with_key(&key)
        .post_json("/v1/files/confirm", &json!({"file_id": id}))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
        Some("2")
    );
    let r = app
        .with_key(&key)
        .post_json("/v1/quotes", &json!({"file_id": id, "material_id": "pla"}))
        .await;
    assert_eq!(r.status().as_u16(), 409);
    assert_eq!(
        r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
        Some("2")
    );
    let body: Value = r.json().await.expect("json");
    assert_eq!(
        (body["error"].as_str(), body["next_action"].as_str()),
        (Some("file_not_ready"), Some("poll_file_until_ready"))
    );
}

#[tokio::test]
async fn every_error_says_what_to_do_next() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let r = app.get("/v1/files/file_x").await;
    let body: Value = r.json().await.expect("json");
    assert_eq!(
        (body["error"].as_str(), body["next_action"].as_str()),
        (Some("invalid_api_key"), Some("check_api_key"))
    );
    let cases = [
        (
            "/v1/files/file_0123456789abcdef0123456789abcdef",
            None,
            "file_not_found",
            "check_id",
        ),
        (
            "/v1/quotes",
            Some(json!({"file_id": "file_x", "material_id": "unobtainium"})),
            "unknown_material",
            "fix_request",
        ),
        ("/v1/files?limit=0", None, "invalid_request", "fix_request"),
    ];
    for (path, body, code, next) in cases {
        let (_, answer) = match body {
            Some(b) => post(&app, &key, path, &b).await,
            None => get(&app, &key, path).await,
        };
        assert_eq!(
            (answer["error"].as_str(), answer["next_action"].as_str()),
            (Some(code), Some(next)),
            "{path}: {answer}"
        );
    }
}

#[tokio::test]
async fn a_list_refuses_a_query_parameter_it_does_not_take() {
    let app = spawn_upload_app().await;
    let scopes: Vec<&str> = ALL_SCOPES.iter().copied().chain(["events:read"]).collect();
    let (key, _) = new_account_key(&app, "test", &scopes).await;
    // A misspelt or guessed filter must not answer the whole list.
    let cases = [
        (
            "/v1/files?status=ready",
            "status",
            &["limit", "starting_after"][..],
        ),
        (
            "/v1/jobs?limit=2&order=asc",
            "order",
            &["limit", "starting_after"][..],
        ),
        (
            "/v1/orders?stauts=paid",
            "stauts",
            &["limit", "starting_after", "status"][..],
        ),
        (
            "/v1/events?order_id=ord_x",
            "order_id",
            &["limit", "starting_after", "type", "object"][..],
        ),
    ];
    for (path, name, allowed) in cases {
        let (status, answer) = get(&app, &key, path).await;
        assert_eq!(status, 400, "{path}: {answer}");
        assert_eq!(
            (
                answer["error"].as_str(),
                answer["next_action"].as_str(),
                answer["fields"][0]["field"].as_str(),
            ),
            (Some("invalid_request"), Some("fix_request"), Some(name)),
            "{path}: {answer}"
        );
        assert_eq!(answer["allowed_fields"], json!(allowed), "{path}: {answer}");
    }
    // The filters each list takes still work.
    for path in [
        "/v1/files?limit=1",
        "/v1/orders?status=paid",
        "/v1/events?type=file.ready&object=file_x&limit=1",
    ] {
        let (status, answer) = get(&app, &key, path).await;
        assert_eq!(status, 200, "{path}: {answer}");
    }
}

#[tokio::test]
async fn files_list_newest_first_with_a_cursor() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let other = new_key(&app, "test").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let p = presign(&app, &key, &format!("p{i}.stl"), "model/stl", 100).await;
        ids.push(p["file_id"].as_str().expect("file_id").to_owned());
    }
    presign(&app, &other, "theirs.stl", "model/stl", 100).await;
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    let page_ids = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|f| f["id"].as_str().expect("id").to_owned())
            .collect()
    };
    let (status, all) = get(&app, &key, "/v1/files").await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(
        (all["object"].as_str(), all["has_more"].as_bool()),
        (Some("list"), Some(false))
    );
    assert_eq!(page_ids(&all), newest_first);
    let mut seen = Vec::new();
    let mut path = "/v1/files?limit=2".to_owned();
    let mut more = Vec::new();
    loop {
        let (status, page) = get(&app, &key, &path).await;
        assert_eq!(status, 200, "{page}");
        let got = page_ids(&page);
        more.push(page["has_more"].as_bool().expect("has_more"));
        seen.extend(got.clone());
        if page["has_more"] != true {
            break;
        }
        path = format!(
            "/v1/files?limit=2&starting_after={}",
            got.last().expect("last")
        );
    }
    assert_eq!(seen, newest_first);
    assert_eq!(more, [true, true, false]);
    // The other account's files are not ours, nor is its cursor.
    let (_, theirs) = get(&app, &other, "/v1/files").await;
    assert_eq!(theirs["data"].as_array().map(Vec::len), Some(1));
    let (status, body) = get(
        &app,
        &other,
        &format!("/v1/files?starting_after={}", ids[0]),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str(), body["field"].as_str()),
        (
            404,
            Some("starting_after_not_found"),
            Some("starting_after")
        )
    );
    for bad in ["0", "101", "ten"] {
        let (status, body) = get(&app, &key, &format!("/v1/files?limit={bad}")).await;
        assert_eq!(
            (status, body["fields"][0]["field"].as_str()),
            (400, Some("limit")),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn jobs_list_newest_first_with_a_cursor() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let (status, job) = send_job(
            &app,
            &key,
            job_multipart(
                "listjobsboundary0001",
                &format!("p{i}.stl"),
                &box_stl([20.0, 20.0, 10.0 + i as f32], 1),
                r#"{"material": "pla", "quantity": 1}"#,
            ),
        )
        .await;
        assert_eq!(status, 201);
        ids.push(job["id"].as_str().expect("id").to_owned());
    }
    let (status, page) = get(&app, &key, "/v1/jobs?limit=2").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        (page["object"].as_str(), page["has_more"].as_bool()),
        (Some("list"), Some(true))
    );
    let got: Vec<&str> = page["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|j| j["id"].as_str())
        .collect();
    assert_eq!(got, [ids[2].as_str(), ids[1].as_str()]);
    assert_eq!(page["data"][0]["status"], "queued");
    let (_, rest) = get(
        &app,
        &key,
        &format!("/v1/jobs?limit=2&starting_after={}", ids[1]),
    )
    .await;
    let got: Vec<&str> = rest["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|j| j["id"].as_str())
        .collect();
    assert_eq!(
        (got, rest["has_more"].as_bool()),
        (vec![ids[0].as_str()], Some(false))
    );
}
