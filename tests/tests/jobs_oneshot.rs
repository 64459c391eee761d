//! `POST /v1/jobs` (seed 000): one multipart call analyses, quotes and queues.

#[path = "upload_common.rs"]
mod common;

use common::*;
use farm_tests::{TestApp, corpus_path};
use serde_json::{Value, json};

async fn post_job(
    app: &TestApp,
    key: &str,
    filename: &str,
    bytes: &[u8],
    options: &Value,
) -> (u16, Value) {
    let boundary = "farmtestboundary7MA4YWxkTrZu0gW";
    let content = job_multipart(boundary, filename, bytes, &options.to_string());
    send_job(app, key, content).await
}

#[tokio::test]
async fn one_call_answers_in_seed_000s_shape_and_queues_one_task_per_part() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let (status, job) = post_job(
        &app,
        &key,
        "bracket-v42.stl",
        &box_stl([40.0, 20.0, 10.0], 1),
        &json!({"material": "PETG", "color": "black", "quantity": 25}),
    )
    .await;
    assert_eq!(status, 201, "{job}");
    assert!(
        job["id"].as_str().is_some_and(|id| id.starts_with("job_")),
        "{job}"
    );
    assert_eq!(job["status"], "queued");
    assert_eq!(job["quote"]["total"]["currency"], "USD");
    assert_eq!(
        job["webhook_events"],
        json!(["job.printing", "job.shipped"])
    );
    assert!(
        job["estimated_ship"]
            .as_str()
            .is_some_and(|d| d.len() == 10)
    );
    // The job names its quote; the grams come from the quote's breakdown.
    let (_, q) = get(
        &app,
        &key,
        &format!("/v1/quotes/{}", job["quote_id"].as_str().expect("quote_id")),
    )
    .await;
    let grams = q["breakdown"]["grams_per_part"].as_f64().expect("grams");
    let total = expected_total_cents(grams, "petg", 25);
    assert_eq!(
        job["quote"]["total"]["amount"].as_i64(),
        Some(total),
        "{job}"
    );
    let unit = job["quote"]["unit_price"]["amount"].as_i64().expect("unit");
    assert!(unit * 25 == total || total == 300, "{job}");
    let db = app.db().await;
    let tasks: i64 = db
        .query_one(
            "select count(*) from print_tasks t join orders o on o.id = t.order_id \
             where o.job_id = $1 and t.status = 'queued'",
            &[&job["id"].as_str().expect("id")],
        )
        .await
        .expect("tasks")
        .get(0);
    assert_eq!(tasks, 25);
    let (status, fetched) = get(
        &app,
        &key,
        &format!("/v1/jobs/{}", job["id"].as_str().expect("id")),
    )
    .await;
    assert_eq!((status, &fetched["quote"]), (200, &job["quote"]));
    // One order model, two views: the job is an order.
    let (status, order) = get(
        &app,
        &key,
        &format!("/v1/orders/{}", job["order_id"].as_str().expect("order_id")),
    )
    .await;
    assert_eq!(status, 200, "{order}");
    assert_eq!(
        (
            order["source"].as_str(),
            order["job_id"].as_str(),
            order["status"].as_str()
        ),
        (Some("job"), job["id"].as_str(), Some("queued"))
    );
    assert_eq!(order["total"], job["quote"]["total"]);
}

#[tokio::test]
async fn a_bad_mesh_is_rejected_with_specifics_before_anything_is_queued() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let hole = std::fs::read(corpus_path("synthetic/cube10_hole.stl")).expect("corpus");
    let (status, body) = post_job(
        &app,
        &key,
        "hole.stl",
        &hole,
        &json!({"material": "pla", "quantity": 2}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("part_needs_review")),
        "{body}"
    );
    assert!(
        body["risk_flags"]
            .as_array()
            .expect("flags")
            .contains(&json!("non_watertight"))
    );
    let (status, body) = post_job(
        &app,
        &key,
        "beam.stl",
        &box_stl([400.0, 30.0, 20.0], 1),
        &json!({"material": "pla"}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("part_not_printable")),
        "{body}"
    );
    assert_eq!(body["findings"][0]["check"], "build_volume");
    let (status, body) = post_job(
        &app,
        &key,
        "junk.stl",
        b"this is not a mesh",
        &json!({"material": "pla"}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("unreadable_mesh")),
        "{body}"
    );
    let (status, body) = post_job(
        &app,
        &key,
        "cube.stl",
        &box_stl([20.0, 20.0, 20.0], 1),
        &json!({"material": "gold"}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unknown_material")),
        "{body}"
    );
    for table in ["files", "quotes", "orders", "print_tasks"] {
        assert_eq!(app.count_rows(table).await, 0, "{table}");
    }
}

#[tokio::test]
async fn a_live_key_without_autopay_cannot_order_in_one_shot() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "live").await;
    let (status, body) = post_job(
        &app,
        &key,
        "cube.stl",
        &box_stl([20.0, 20.0, 20.0], 1),
        &json!({"material": "pla"}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("autonomous_not_allowed")),
        "{body}"
    );
    assert_eq!(app.count_rows("orders").await, 0);
}

/// A live job ships a real parcel: without `options.shipping_address_json`
/// it is refused before anything is stored, naming each missing field; a
/// test job may carry one, and its order keeps it.
#[tokio::test]
async fn a_live_job_needs_a_shipping_address_and_a_test_job_keeps_one() {
    let app = spawn_upload_app().await;
    let (live, account) = new_account_key(
        &app,
        "live",
        &["files:write", "quotes:write", "orders:write", "orders:read"],
    )
    .await;
    set_billing(&app, &account, true, Some(TEST_CAPS)).await;
    let (status, body) = post_job(
        &app,
        &live,
        "cube.stl",
        &box_stl([20.0, 20.0, 20.0], 1),
        &json!({"material": "pla"}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("missing_shipping_fields")),
        "{body}"
    );
    assert_eq!(
        body["missing_fields"],
        json!(["line1", "city", "country"]),
        "{body}"
    );
    assert_eq!(
        body["fields"][0]["field"],
        "options.shipping_address_json.line1"
    );
    assert_eq!(body["next_action"], "ask_user_for_shipping_address");
    assert_eq!(app.count_rows("orders").await, 0);
    assert_eq!(app.count_rows("files").await, 0);

    let test = new_key(&app, "test").await;
    let address = json!({"line1": "1 Main St", "city": "Austin", "country": "US"});
    let (status, job) = post_job(
        &app,
        &test,
        "cube.stl",
        &box_stl([20.0, 20.0, 20.0], 1),
        &json!({"material": "pla", "shipping_address_json": address}),
    )
    .await;
    assert_eq!(status, 201, "{job}");
    let (_, order) = get(
        &app,
        &test,
        &format!("/v1/orders/{}", job["order_id"].as_str().expect("order_id")),
    )
    .await;
    assert_eq!(order["shipping_address"]["line1"], "1 Main St", "{order}");
    assert_eq!(order["shipping_address"]["country"], "US", "{order}");
    // A bad field is named where it sits.
    let (status, body) = post_job(
        &app,
        &test,
        "cube.stl",
        &box_stl([20.0, 20.0, 20.0], 1),
        &json!({"material": "pla", "shipping_address_json": {"line1": "1 Main St", "city": "Austin", "country": "USA"}}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["fields"][0]["field"]
            .as_str()
            .is_some_and(|f| f.starts_with("options.shipping_address_json.")),
        "{body}"
    );
}
