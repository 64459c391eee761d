//! Hosted Spin's limits (issue "trust the base", item 7): 10 MiB request
//! bodies and 128 MiB per execution. A one-shot job body over 10 MiB is
//! refused with a pointer to the presigned upload; an upload over the size the
//! analysis fits in 128 MiB (32 MiB, measured by mesh-engine's
//! `tests/memory.rs`) is `file_too_large` naming the limit.

#[path = "upload_common.rs"]
mod common;

use common::*;
use serde_json::json;

/// 10 MiB: hosted Spin's request body limit.
const BODY_LIMIT: u64 = 10 * 1024 * 1024;
/// 32 MiB: the largest upload the analysis fits in hosted memory.
const UPLOAD_LIMIT: u64 = 32 * 1024 * 1024;

#[tokio::test]
async fn a_one_shot_body_over_10_mib_points_to_the_presigned_upload() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let part = vec![b'x'; BODY_LIMIT as usize + 1];
    let content = job_multipart(
        "hostedlimitboundary",
        "big.stl",
        &part,
        r#"{"material":"PLA"}"#,
    );
    let (status, answer) = send_job(&app, &key, content).await;
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
