//! `Idempotency-Key` on the creating POSTs (`farm_platform::Ctx::idempotent`):
//! a retry replays the first answer, another request under the same key is
//! refused, a request still running is reported, a failure on our side
//! releases the key, a malformed key is refused, and the key binds to what a
//! request means (a new multipart boundary or reordered JSON is the same
//! request).

#[path = "upload_common.rs"]
mod common;

use common::*;
use farm_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

const PRESIGN: &str = "/v1/files/presign";

fn presign_body(name: &str) -> Value {
    json!({"filename": name, "content_type": "model/stl", "size_bytes": 684})
}

struct Answer {
    status: u16,
    replayed: Option<String>,
    retry_after: Option<String>,
    body: Value,
}

async fn answer(r: reqwest::Response) -> Answer {
    let header = |n: &str| {
        r.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (replayed, retry_after) = (header("idempotent-replayed"), header("retry-after"));
    let status = r.status().as_u16();
    let body = r.json().await.unwrap_or(Value::Null);
    Answer {
        status,
        replayed,
        retry_after,
        body,
    }
}

/// POSTs raw JSON text (so a test controls key order and whitespace).
async fn post_raw(app: &TestApp, key: &str, path: &str, idem: Option<&str>, text: &str) -> Answer {
    let mut req = app
        .with_key(key)
        .request(Method::POST, path)
        .header("content-type", "application/json")
        .body(text.to_string());
    if let Some(k) = idem {
        req = req.header("idempotency-key", k);
    }
    answer(req.send().await.expect("send")).await
}

async fn post_idem(app: &TestApp, key: &str, path: &str, idem: &str, body: &Value) -> Answer {
    post_raw(app, key, path, Some(idem), &body.to_string()).await
}

#[tokio::test]
async fn a_retry_with_the_same_key_replays_the_first_response_and_creates_nothing() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;

    let first = post_idem(&app, &key, PRESIGN, "presign-1", &presign_body("a.stl")).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.replayed, None, "a first answer is not a replay");

    // Same meaning, other bytes: keys reordered, whitespace added.
    let retry = post_raw(
        &app,
        &key,
        PRESIGN,
        Some("presign-1"),
        "{\n  \"size_bytes\" : 684,\n  \"content_type\":\"model/stl\", \"filename\": \"a.stl\"\n}",
    )
    .await;
    assert_eq!(retry.status, 201);
    assert_eq!(retry.replayed.as_deref(), Some("true"));
    assert_eq!(retry.body, first.body, "the first response, byte for byte");
    assert_eq!(app.count_rows("files").await, 1);

    // Without a key, the same body creates a second file.
    let (status, other) = post(&app, &key, PRESIGN, &presign_body("a.stl")).await;
    assert_eq!(status, 201);
    assert_ne!(other["file_id"], first.body["file_id"]);
    assert_eq!(app.count_rows("files").await, 2);
}

#[tokio::test]
async fn the_same_key_with_another_request_is_a_409_and_runs_nothing() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let first = post_idem(&app, &key, PRESIGN, "k-reuse", &presign_body("a.stl")).await;
    assert_eq!(first.status, 201);

    let reused = post_idem(&app, &key, PRESIGN, "k-reuse", &presign_body("b.stl")).await;
    assert_eq!(reused.status, 409, "{}", reused.body);
    assert_eq!(reused.body["error"], "idempotency_key_reused");
    assert_eq!(reused.replayed, None);
    // The same key on another creating route is another request too.
    let elsewhere = post_idem(
        &app,
        &key,
        "/v1/quotes",
        "k-reuse",
        &json!({"file_id": first.body["file_id"], "material_id": "pla"}),
    )
    .await;
    assert_eq!(elsewhere.status, 409, "{}", elsewhere.body);
    assert_eq!(elsewhere.body["error"], "idempotency_key_reused");
    assert_eq!(app.count_rows("files").await, 1);
    assert_eq!(app.count_rows("quotes").await, 0);
}

#[tokio::test]
async fn keys_belong_to_one_account() {
    let app = spawn_upload_app().await;
    let alice = new_key(&app, "test").await;
    let bob = new_key(&app, "test").await;
    let a = post_idem(&app, &alice, PRESIGN, "shared-key", &presign_body("a.stl")).await;
    let b = post_idem(&app, &bob, PRESIGN, "shared-key", &presign_body("b.stl")).await;
    assert_eq!((a.status, b.status), (201, 201), "{} {}", a.body, b.body);
    assert_eq!(b.replayed, None, "another account's key is not a replay");
    assert_ne!(a.body["file_id"], b.body["file_id"]);
}

#[tokio::test]
async fn a_request_still_in_progress_is_a_409_with_retry_after_until_it_is_abandoned() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let body = presign_body("a.stl");
    let first = post_idem(&app, &key, PRESIGN, "k-busy", &body).await;
    assert_eq!(first.status, 201);

    // Make the claim look like one whose request is still running: no
    // outcome recorded yet, claimed a moment ago.
    let db = app.db().await;
    let updated = db
        .execute(
            "update idempotency_keys set status = null, response_body = null, created_at = now() where key = 'k-busy'",
            &[],
        )
        .await
        .expect("update");
    assert_eq!(updated, 1);
    let busy = post_idem(&app, &key, PRESIGN, "k-busy", &body).await;
    assert_eq!(busy.status, 409, "{}", busy.body);
    assert_eq!(busy.body["error"], "idempotency_request_in_progress");
    assert_eq!(busy.retry_after.as_deref(), Some("1"));
    assert_eq!(app.count_rows("files").await, 1);

    // A claim unfinished for longer than the abandonment time (300 s) is
    // one whose instance died: the retry runs afresh.
    db.execute(
        "update idempotency_keys set created_at = now() - interval '301 seconds' where key = 'k-busy'",
        &[],
    )
    .await
    .expect("update");
    let rerun = post_idem(&app, &key, PRESIGN, "k-busy", &body).await;
    assert_eq!(rerun.status, 201, "{}", rerun.body);
    assert_eq!(rerun.replayed, None);
    assert_ne!(rerun.body["file_id"], first.body["file_id"]);
    let again = post_idem(&app, &key, PRESIGN, "k-busy", &body).await;
    assert_eq!(again.replayed.as_deref(), Some("true"));
    assert_eq!(again.body, rerun.body);
}

#[tokio::test]
async fn simultaneous_requests_with_one_key_create_exactly_once() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let body = presign_body("race.stl").to_string();
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let req = app
                .with_key(&key)
                .request(Method::POST, PRESIGN)
                .header("content-type", "application/json")
                .header("idempotency-key", "k-race")
                .body(body.clone());
            tokio::spawn(async move { answer(req.send().await.expect("send")).await })
        })
        .collect();
    let mut fresh = Vec::new();
    for h in handles {
        let a = h.await.expect("task");
        match (a.status, a.replayed.as_deref()) {
            (201, None) => fresh.push(a.body),
            (201, Some("true")) => {}
            (409, None) => assert_eq!(a.body["error"], "idempotency_request_in_progress"),
            other => panic!("unexpected answer {other:?}: {}", a.body),
        }
    }
    assert_eq!(fresh.len(), 1, "exactly one request ran: {fresh:?}");
    assert_eq!(app.count_rows("files").await, 1);
}

#[tokio::test]
async fn a_failure_on_our_side_releases_the_key_so_the_retry_runs() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let body = presign_body("a.stl");
    // A database fault: inserting a file raises, so presign answers 500.
    let db = app.db().await;
    db.batch_execute(
        "create function refuse_files() returns trigger language plpgsql as \
           $$ begin raise exception 'injected fault'; end $$; \
         create trigger refuse_files before insert on files \
           for each row execute function refuse_files();",
    )
    .await
    .expect("install the fault");

    let failed = post_idem(&app, &key, PRESIGN, "k-5xx", &body).await;
    assert_eq!(failed.status, 500, "{}", failed.body);
    assert_eq!(failed.body["error"], "internal_error");
    assert_eq!(
        app.count_rows("idempotency_keys").await,
        0,
        "the key is released"
    );

    db.batch_execute("drop trigger refuse_files on files")
        .await
        .expect("remove the fault");
    let retry = post_idem(&app, &key, PRESIGN, "k-5xx", &body).await;
    assert_eq!(retry.status, 201, "{}", retry.body);
    assert_eq!(retry.replayed, None, "the retry ran, it was not replayed");
    assert_eq!(app.count_rows("files").await, 1);
}

#[tokio::test]
async fn a_client_error_inside_the_request_is_remembered_and_replayed() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let body = json!({"file_id": "file_0123456789abcdef0123456789abcdef", "material_id": "pla"});
    let first = post_idem(&app, &key, "/v1/quotes", "k-404", &body).await;
    assert_eq!(first.status, 404, "{}", first.body);
    assert_eq!(first.body["error"], "file_not_found");
    let again = post_idem(&app, &key, "/v1/quotes", "k-404", &body).await;
    assert_eq!(again.status, 404);
    assert_eq!(again.replayed.as_deref(), Some("true"));
    assert_eq!(again.body, first.body);
}

#[tokio::test]
async fn a_malformed_key_is_a_400_naming_the_header_and_creates_nothing() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let too_long = "k".repeat(256);
    let bad: [&[u8]; 5] = [
        b"",
        b"has space",
        too_long.as_bytes(),
        "clé".as_bytes(),
        b"\xff\xfe",
    ];
    for value in bad {
        let r = app
            .with_key(&key)
            .request(Method::POST, PRESIGN)
            .header(
                "idempotency-key",
                reqwest::header::HeaderValue::from_bytes(value).expect("header value"),
            )
            .json(&presign_body("a.stl"))
            .send()
            .await
            .expect("send");
        let a = answer(r).await;
        assert_eq!(a.status, 400, "{value:?}: {}", a.body);
        assert_eq!(
            a.body["fields"][0]["field"], "Idempotency-Key",
            "{}",
            a.body
        );
    }
    let longest = "k".repeat(255);
    let ok = post_idem(&app, &key, PRESIGN, &longest, &presign_body("a.stl")).await;
    assert_eq!(ok.status, 201, "255 characters is allowed: {}", ok.body);
    assert_eq!(app.count_rows("files").await, 1);
}

async fn post_job(app: &TestApp, key: &str, idem: &str, content: (String, Vec<u8>)) -> Answer {
    let r = app
        .with_key(key)
        .request(Method::POST, "/v1/jobs")
        .header("content-type", content.0)
        .header("idempotency-key", idem)
        .body(content.1)
        .send()
        .await
        .expect("POST /v1/jobs");
    answer(r).await
}

#[tokio::test]
async fn an_honest_multipart_retry_with_a_new_boundary_is_replayed_not_refused() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let part = box_stl([20.0, 20.0, 20.0], 1);

    // What curl does: a new boundary on every run; here the options' keys
    // are reordered too.
    let first = post_job(
        &app,
        &key,
        "job-1",
        job_multipart(
            "------------------------a1b2c3d4e5f60718",
            "cube.stl",
            &part,
            r#"{"material": "pla", "color": "black", "quantity": 2}"#,
        ),
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let retry = post_job(
        &app,
        &key,
        "job-1",
        job_multipart(
            "------------------------99f0e1d2c3b4a596",
            "cube.stl",
            &part,
            r#"{"quantity":2,"color":"black","material":"pla"}"#,
        ),
    )
    .await;
    assert_eq!(retry.status, 201, "{}", retry.body);
    assert_eq!(retry.replayed.as_deref(), Some("true"));
    assert_eq!(retry.body, first.body);
    assert_eq!(app.count_rows("orders").await, 1);
    assert_eq!(app.count_rows("print_tasks").await, 2);

    // Other bytes, or other options, under the same key: another request.
    let mut other_part = part.clone();
    other_part[0] = b'x'; // the STL header: same mesh, other file
    let other_file = post_job(
        &app,
        &key,
        "job-1",
        job_multipart(
            "b1",
            "cube.stl",
            &other_part,
            r#"{"material":"pla","color":"black","quantity":2}"#,
        ),
    )
    .await;
    assert_eq!(other_file.status, 409, "{}", other_file.body);
    assert_eq!(other_file.body["error"], "idempotency_key_reused");
    let other_options = post_job(
        &app,
        &key,
        "job-1",
        job_multipart(
            "b2",
            "cube.stl",
            &part,
            r#"{"material":"pla","color":"black","quantity":3}"#,
        ),
    )
    .await;
    assert_eq!(other_options.status, 409, "{}", other_options.body);
    assert_eq!(app.count_rows("orders").await, 1);
}

#[tokio::test]
async fn quotes_honour_the_key_whatever_the_json_layout() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let file = upload_box(&app, &key, "cube.stl", [20.0, 20.0, 20.0]).await;
    let file_id = file["id"].as_str().expect("file id").to_string();

    let compact =
        format!(r#"{{"file_id":"{file_id}","material_id":"petg","quantity":3,"color":"black"}}"#);
    let spaced = format!(
        "{{ \"quantity\": 3,\n  \"color\": \"black\",\n  \"material_id\": \"petg\",\n  \"file_id\": \"{file_id}\" }}"
    );
    let first = post_raw(&app, &key, "/v1/quotes", Some("q-1"), &compact).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let retry = post_raw(&app, &key, "/v1/quotes", Some("q-1"), &spaced).await;
    assert_eq!(retry.status, 201, "{}", retry.body);
    assert_eq!(retry.replayed.as_deref(), Some("true"));
    assert_eq!(retry.body, first.body);
    assert_eq!(app.count_rows("quotes").await, 1);

    let other = post_raw(
        &app,
        &key,
        "/v1/quotes",
        Some("q-1"),
        &compact.replace("\"quantity\":3", "\"quantity\":4"),
    )
    .await;
    assert_eq!(other.status, 409);
    assert_eq!(other.body["error"], "idempotency_key_reused");
    assert_eq!(app.count_rows("quotes").await, 1);
}

/// An answer that says "retry later" (409 `file_not_ready` with
/// `Retry-After` while the file is processing) is not saved under the key:
/// the retry it asks for, with the same key, runs once the file is ready.
#[tokio::test]
async fn a_retry_later_answer_is_not_replayed_under_its_key() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let file = upload_box(&app, &key, "part.stl", [20.0, 20.0, 10.0]).await;
    let file_id = file["id"].as_str().expect("id").to_owned();
    let db = app.db().await;
    db.execute(
        "update files set status = 'processing' where id = $1",
        &[&file_id],
    )
    .await
    .expect("processing");
    let body = json!({"file_id": file_id, "material_id": "pla", "quantity": 1});
    let first = post_idem(&app, &key, "/v1/quotes", "q-wait", &body).await;
    assert_eq!(first.status, 409, "{}", first.body);
    assert_eq!(first.body["error"], "file_not_ready");
    assert!(
        first.retry_after.is_some(),
        "the answer asks to retry later"
    );
    db.execute(
        "update files set status = 'ready' where id = $1",
        &[&file_id],
    )
    .await
    .expect("ready");
    let retry = post_idem(&app, &key, "/v1/quotes", "q-wait", &body).await;
    assert_eq!(retry.status, 201, "{}", retry.body);
    assert_eq!(retry.replayed, None);
    // From now on the key replays the quote it created.
    let again = post_idem(&app, &key, "/v1/quotes", "q-wait", &body).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.replayed.as_deref(), Some("true"));
    assert_eq!(again.body["quote_id"], retry.body["quote_id"]);
}
