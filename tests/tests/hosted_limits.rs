//! Hosted Spin's limits (issue "trust the base", item 7): 10 MiB request
//! bodies and 128 MiB per execution. A one-shot job body over 10 MiB is
//! refused with a pointer to the presigned upload; an upload over the size the
//! analysis fits in 128 MiB (32 MiB, measured by mesh-engine's
//! `tests/memory.rs`) is `file_too_large` naming the limit.

#[path = "upload_common.rs"]
mod common;

use common::*;
use serde_json::{Value, json};

/// 10 MiB: hosted Spin's request body limit.
const BODY_LIMIT: u64 = 10 * 1024 * 1024;
/// 32 MiB: the largest upload the analysis fits in hosted memory.
const UPLOAD_LIMIT: u64 = 32 * 1024 * 1024;

#[tokio::test]
async fn a_one_shot_body_over_10_mib_points_to_the_presigned_upload() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let boundary = "hostedlimitboundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.stl\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.resize(body.len() + BODY_LIMIT as usize + 1, b'x');
    body.extend_from_slice(
        format!(
            "\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"options\"\r\n\r\n\
             {{\"material\":\"PLA\"}}\r\n--{boundary}--\r\n"
        )
        .as_bytes(),
    );
    let r = app
        .client
        .post(app.url("/v1/jobs"))
        .bearer_auth(&key)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("POST /v1/jobs");
    let status = r.status().as_u16();
    let answer: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 413, "{answer}");
    assert_eq!(answer["error"], "payload_too_large", "{answer}");
    assert_eq!(answer["limit_bytes"], BODY_LIMIT, "{answer}");
    assert_eq!(answer["next_action"], "presign_upload", "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|m| m.contains("/v1/files/presign")),
        "{answer}"
    );
}

#[tokio::test]
async fn uploads_are_accepted_up_to_what_the_analysis_fits_in_128_mib() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let at_limit =
        json!({"filename": "part.stl", "content_type": "model/stl", "size_bytes": UPLOAD_LIMIT});
    let (status, answer) = post(&app, &key, "/v1/files/presign", &at_limit).await;
    assert_eq!(status, 201, "{answer}");
    let over = json!({"filename": "part.stl", "content_type": "model/stl", "size_bytes": UPLOAD_LIMIT + 1});
    let (status, answer) = post(&app, &key, "/v1/files/presign", &over).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("file_too_large"))
    );
    assert_eq!(answer["limit_bytes"], UPLOAD_LIMIT, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|m| m.contains(&UPLOAD_LIMIT.to_string())),
        "{answer}"
    );
}
