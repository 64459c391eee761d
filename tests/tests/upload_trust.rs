//! What the upload path refuses to trust, over HTTP against the real store
//! (`farm-s3-store`, started by `scripts/services.sh up`) and the real Wasm
//! components: a presigned PUT does exactly what was signed and nothing
//! else, a stored object is write-once, confirm checks what the store holds,
//! and an analysis that cannot succeed ends `failed` with a reason and a
//! next action.

#[path = "upload_common.rs"]
mod common;

use common::*;
use serde_json::{Value, json};

/// `headers` with `name` replaced by `value`, or removed when `value` is `None`.
fn with_header(
    headers: &[(String, String)],
    name: &str,
    value: Option<&str>,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case(name))
        .cloned()
        .collect();
    if let Some(v) = value {
        out.push((name.to_owned(), v.to_owned()));
    }
    out
}

async fn confirm(app: &farm_tests::TestApp, key: &str, file_id: &str) -> (u16, Value) {
    post(
        app,
        key,
        "/v1/files/confirm",
        &json!({ "file_id": file_id }),
    )
    .await
}

#[tokio::test]
async fn a_presigned_put_does_only_what_was_signed() {
    let app = spawn_upload_app().await;
    let victim = new_key(&app, "test").await;
    let attacker = new_key(&app, "test").await;
    let secret_part = box_stl([31.0, 17.0, 5.0], 1);
    let theirs = upload(
        &app,
        &victim,
        "secret.stl",
        "model/stl",
        secret_part.clone(),
    )
    .await;
    let their_key = object_key_of(&app, theirs["id"].as_str().expect("id")).await;

    let mine = box_stl([20.0, 20.0, 20.0], 1);
    let presigned = presign(&app, &attacker, "mine.stl", "model/stl", mine.len()).await;
    let my_key = object_key_of(&app, presigned["file_id"].as_str().expect("file_id")).await;
    let exact = required_headers(&presigned);
    let names: Vec<String> = exact.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
    assert!(
        names.contains(&"content-type".into()) && names.contains(&"if-none-match".into()),
        "the URL signs the content type and the write-once precondition: {presigned}"
    );

    let refused = [
        (
            "wrong Content-Type",
            with_header(&exact, "Content-Type", Some("text/plain")),
        ),
        ("no Content-Type", with_header(&exact, "Content-Type", None)),
        (
            "no If-None-Match",
            with_header(&exact, "If-None-Match", None),
        ),
        (
            "unsigned x-amz-acl",
            with_header(&exact, "x-amz-acl", Some("public-read")),
        ),
        (
            "unsigned x-amz-copy-source",
            with_header(
                &exact,
                "x-amz-copy-source",
                Some(&format!("/{}/{their_key}", store_bucket().name())),
            ),
        ),
    ];
    for (what, headers) in refused {
        let body = if what.contains("copy") {
            Vec::new()
        } else {
            mine.clone()
        };
        let (status, answer) = put_with(&app, &presigned, &headers, body).await;
        assert_eq!(status, 403, "{what}: {answer}");
        // Nothing was written: not the attacker's bytes, not a copy of the victim's.
        let (status, stored) = store_get(&app, &my_key).await;
        assert_eq!(
            status,
            404,
            "{what} left {} bytes at the target",
            stored.len()
        );
    }
    // The victim's object is untouched.
    assert_eq!(store_get(&app, &their_key).await, (200, secret_part));

    // Exactly the signed headers: stored, byte for byte.
    let (status, answer) = put_with(&app, &presigned, &exact, mine.clone()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(store_get(&app, &my_key).await, (200, mine));
}

#[tokio::test]
async fn an_uploaded_object_is_write_once_and_the_analysis_stays_bound_to_its_bytes() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let original = box_stl([20.0, 10.0, 5.0], 1);
    let presigned = presign(&app, &key, "part.stl", "model/stl", original.len()).await;
    let id = presigned["file_id"].as_str().expect("file_id").to_owned();
    let object = object_key_of(&app, &id).await;
    assert_eq!(put(&app, &presigned, original.clone()).await, 200);
    let (status, body) = confirm(&app, &key, &id).await;
    assert_eq!(status, 200, "{body}");
    let file = wait_ready(&app, &key, &id).await;
    assert_eq!(file["status"], "ready", "{file}");
    let sha = sha256_hex(&original);
    assert_eq!(file["content_sha256"], sha.as_str());

    // The same URL, the same signed headers, other bytes of the same size.
    let bigger = box_stl([200.0, 100.0, 50.0], 1);
    assert_eq!(bigger.len(), original.len());
    let (status, answer) = put_with(&app, &presigned, &required_headers(&presigned), bigger).await;
    assert_eq!(status, 412, "a second PUT must be refused: {answer}");
    assert_eq!(store_get(&app, &object).await, (200, original.clone()));

    // The unit override re-reads the analysed bytes: a 20 × 10 × 5 box read
    // in centimetres is 200 × 100 × 50 mm, 1000 cm³.
    let unit_path = format!("/v1/files/{id}/unit");
    let (status, body) = post(
        &app,
        &key,
        &unit_path,
        &json!({"selected_unit": "cm", "confirmed_by": "user"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["content_sha256"], sha.as_str());
    assert_eq!(body["metrics_json"]["bbox_mm"], json!([200.0, 100.0, 50.0]));
    assert_eq!(body["metrics_json"]["volume_cm3"], json!(1000.0));

    // A store that lost its guarantee (overwritten with the store's own
    // credentials): the override refuses rather than describe other bytes.
    let other = box_stl([3.0, 3.0, 3.0], 1);
    assert_eq!(store_write(&app, "PUT", &object, other).await, 200);
    let (status, refused) = post(
        &app,
        &key,
        &unit_path,
        &json!({"selected_unit": "mm", "confirmed_by": "user"}),
    )
    .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (409, Some("content_changed")),
        "{refused}"
    );
    let (_, stored) = get(&app, &key, &format!("/v1/files/{id}")).await;
    assert_eq!(stored["metrics_json"], body["metrics_json"]);
    assert_eq!(stored["selected_unit"], "cm");
}

#[tokio::test]
async fn confirm_fails_a_file_whose_stored_object_is_not_what_was_declared() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let stl = box_stl([20.0, 20.0, 20.0], 1);
    let obj = b"# a triangle\nv 0 0 0\nv 10 0 0\nv 0 10 0\nf 1 2 3\n".to_vec();
    // (declared name, content type, declared size, bytes stored, expected, found)
    let cases = [
        (
            "big.stl",
            "model/stl",
            stl.len() + 10,
            stl.clone(),
            ("stl", stl.len() + 10),
            ("stl-binary", stl.len()),
        ),
        (
            "part.stl",
            "model/stl",
            obj.len(),
            obj.clone(),
            ("stl", obj.len()),
            ("obj", obj.len()),
        ),
        (
            "part.3mf",
            "model/3mf",
            stl.len(),
            stl.clone(),
            ("3mf", stl.len()),
            ("stl-binary", stl.len()),
        ),
        (
            "part.obj",
            "model/obj",
            200,
            vec![0u8; 200],
            ("obj", 200),
            ("unknown", 200),
        ),
    ];
    for (name, content_type, declared, bytes, expected, found) in cases {
        let presigned = presign(&app, &key, name, content_type, declared).await;
        let id = presigned["file_id"].as_str().expect("file_id").to_owned();
        assert_eq!(put(&app, &presigned, bytes).await, 200, "{name}");
        let (status, body) = confirm(&app, &key, &id).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (409, Some("upload_mismatch")),
            "{name}: {body}"
        );
        assert_eq!(
            body["expected"],
            json!({"format": expected.0, "size_bytes": expected.1}),
            "{name}: {body}"
        );
        assert_eq!(
            body["found"],
            json!({"format": found.0, "size_bytes": found.1}),
            "{name}: {body}"
        );
        let (_, file) = get(&app, &key, &format!("/v1/files/{id}")).await;
        assert_eq!(file["status"], "failed", "{name}: {file}");
        assert_eq!(file["next_action"], "fix_file_and_upload_again", "{file}");
        assert_eq!(file["metrics_json"]["errors"][0]["code"], "upload_mismatch");
        assert!(
            file["failure_reason"]
                .as_str()
                .is_some_and(|r| r.contains("Presign again")),
            "{file}"
        );
        // Nothing was queued: a failed file is never analysed.
        let queued: i64 = app
            .db()
            .await
            .query_one(
                "select count(*) from background_jobs where kind = 'analyze_file' and payload->>'file_id' = $1",
                &[&id],
            )
            .await
            .expect("count")
            .get(0);
        assert_eq!(queued, 0, "{name}");
    }
}

#[tokio::test]
async fn an_unreadable_upload_ends_failed_with_the_reason_and_what_to_do() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    // Each sniffs as its declared format, so confirm lets it through, and
    // the mesh engine cannot read it.
    let cases: [(&str, &str, Vec<u8>, &str); 2] = [
        (
            "dangling.obj",
            "model/obj",
            b"v 0 0 0\nv 10 0 0\nv 0 10 0\nf 1 2 9\n".to_vec(),
            "index_out_of_range",
        ),
        (
            "truncated.3mf",
            "model/3mf",
            [b"PK\x03\x04".as_slice(), &[7u8; 60]].concat(),
            "bad_container",
        ),
    ];
    for (name, content_type, bytes, code) in cases {
        let file = upload(&app, &key, name, content_type, bytes).await;
        assert_eq!(file["status"], "failed", "{name}: {file}");
        assert_eq!(file["next_action"], "fix_file_and_upload_again", "{file}");
        let reason = file["failure_reason"].as_str().unwrap_or_default();
        assert!(
            reason.starts_with("The file could not be read as"),
            "{file}"
        );
        assert_eq!(file["metrics_json"]["errors"][0]["code"], code, "{file}");
        assert!(file["content_sha256"].is_null(), "{file}");
        let (status, quote) = try_quote(&app, &key, &file, "pla").await;
        assert_eq!(
            (status, quote["error"].as_str()),
            (409, Some("file_not_ready")),
            "{quote}"
        );
    }
}

#[tokio::test]
async fn an_object_missing_at_analysis_ends_failed_with_the_reason_and_what_to_do() {
    let app = spawn_upload_app_with_relay().await;
    let key = new_key(&app, "test").await;
    let bytes = box_stl([20.0, 20.0, 20.0], 1);
    let presigned = presign(&app, &key, "gone.stl", "model/stl", bytes.len()).await;
    let id = presigned["file_id"].as_str().expect("file_id").to_owned();
    assert_eq!(put(&app, &presigned, bytes).await, 200);
    // The object disappears between confirm's check and the analysis.
    let object = object_key_of(&app, &id).await;
    assert_eq!(store_write(&app, "DELETE", &object, Vec::new()).await, 204);
    assert_eq!(store_get(&app, &object).await.0, 404);
    queue_analysis(&app, &id).await;
    let r = app
        .request(reqwest::Method::POST, "/relay/analyze/work/analyze_file")
        .header("x-farm-internal-token", &app.internal_token)
        .json(&analyze_envelope(&id))
        .send()
        .await
        .expect("relay");
    assert_eq!(r.status().as_u16(), 200);
    let answer: Value = r.json().await.expect("json");
    assert_eq!(answer["status"], "failed", "{answer}");

    let (_, file) = get(&app, &key, &format!("/v1/files/{id}")).await;
    assert_eq!(file["status"], "failed", "{file}");
    assert_eq!(file["next_action"], "fix_file_and_upload_again", "{file}");
    assert_eq!(file["metrics_json"]["errors"][0]["code"], "object_missing");
    assert!(
        file["failure_reason"]
            .as_str()
            .is_some_and(|r| r.contains("missing")),
        "{file}"
    );
}

#[tokio::test]
async fn the_private_analyze_route_demands_the_internal_token() {
    let app = spawn_upload_app_with_relay().await;
    // No public route reaches it.
    let r = app.post_json("/analyze", &json!({})).await;
    assert_eq!(r.status().as_u16(), 404);

    // Through service chaining, as the work queue calls it: a job for a file
    // that does not exist is answered as it is (`missing`).
    let nobody = "file_00000000000000000000000000000000";
    let call = |header: Option<(&'static str, String)>| {
        let mut req = app
            .request(reqwest::Method::POST, "/relay/analyze/work/analyze_file")
            .json(&analyze_envelope(nobody));
        if let Some((name, value)) = header {
            req = req.header(name, value);
        }
        async move {
            let r = req.send().await.expect("relay");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let wrong = format!("{}x", app.internal_token);
    for (what, header) in [
        ("no token", None),
        (
            "wrong token",
            Some(("x-farm-internal-token", wrong.clone())),
        ),
        (
            "wrong bearer",
            Some(("authorization", format!("Bearer {wrong}"))),
        ),
        (
            "empty token",
            Some(("x-farm-internal-token", String::new())),
        ),
    ] {
        let (status, body) = call(header).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_internal_token")),
            "{what}: {body}"
        );
    }
    for header in [
        ("x-farm-internal-token", app.internal_token.clone()),
        ("authorization", format!("Bearer {}", app.internal_token)),
    ] {
        let (status, body) = call(Some(header)).await;
        assert_eq!(
            (status, &body),
            (200, &json!({"file_id": nobody, "status": "missing"})),
            "{body}"
        );
    }
}

#[tokio::test]
async fn of_two_concurrent_puts_to_one_url_exactly_one_is_stored() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let first = box_stl([20.0, 10.0, 5.0], 1);
    let second = box_stl([5.0, 10.0, 20.0], 1);
    let presigned = presign(&app, &key, "race.stl", "model/stl", first.len()).await;
    let object = object_key_of(&app, presigned["file_id"].as_str().expect("file_id")).await;
    let headers = required_headers(&presigned);
    let (a, b) = tokio::join!(
        put_with(&app, &presigned, &headers, first.clone()),
        put_with(&app, &presigned, &headers, second.clone()),
    );
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412], "{a:?} {b:?}");
    let winner = if a.0 == 200 { first } else { second };
    assert_eq!(store_get(&app, &object).await, (200, winner));
}

/// The work queue's envelope for one `analyze_file` job (see
/// `farm_platform::work`), as the tick route sends it to the handler.
fn analyze_envelope(file_id: &str) -> Value {
    json!({
        "job_id": 1,
        "kind": "analyze_file",
        "payload": { "file_id": file_id },
        "attempt": 1,
        "max_attempts": 5,
        "give_up": false,
        "last_error": null
    })
}
