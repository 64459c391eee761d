//! The partner's first flow over HTTP, through the real Wasm components, real
//! Postgres and the real S3-compatible store: presign → PUT → confirm →
//! analyze → quote, and every way an upload can go wrong.

#[path = "upload_common.rs"]
mod common;

use common::*;
use farm_tests::corpus_path;
use serde_json::json;

async fn quote_and_check(
    app: &farm_tests::TestApp,
    key: &str,
    file: &serde_json::Value,
    material: &str,
    quantity: i64,
) -> serde_json::Value {
    let (status, quote) = post(
        app,
        key,
        "/v1/quotes",
        &json!({"file_id": file["id"], "material_id": material, "quantity": quantity, "ship_country": "US"}),
    )
    .await;
    assert_eq!(status, 201, "quote for {}: {quote}", file["filename"]);
    let grams = quote["breakdown"]["grams_per_part"]
        .as_f64()
        .expect("grams_per_part");
    assert!(grams > 0.0, "{quote}");
    let total = quote["total"]["amount"].as_i64().expect("total cents");
    assert_eq!(
        total,
        expected_total_cents(grams, material, quantity),
        "{quote}"
    );
    assert_eq!(quote["total"]["currency"], "USD");
    let (min, max) = (
        quote["price_estimate"]["min"].as_i64().expect("min"),
        quote["price_estimate"]["max"].as_i64().expect("max"),
    );
    assert!(min <= total && total <= max, "{quote}");
    quote
}

#[tokio::test]
async fn every_format_goes_from_presign_to_a_quote_priced_by_the_formula() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let cases = [
        (
            "assimp/test/models/STL/Spider_binary.stl",
            "spider.stl",
            "model/stl",
        ),
        (
            "assimp/test/models/STL/Spider_ascii.stl",
            "spider_ascii.stl",
            "model/stl",
        ),
        ("synthetic/cube10_quads_neg.obj", "cube.obj", "model/obj"),
        ("3mf-samples/examples/core/box.3mf", "box.3mf", "model/3mf"),
    ];
    for (path, name, content_type) in cases {
        let bytes = std::fs::read(corpus_path(path)).expect("corpus file");
        let file = upload(&app, &key, name, content_type, bytes).await;
        assert_eq!(file["status"], "ready", "{file}");
        let m = &file["metrics_json"];
        for field in [
            "bbox_mm",
            "volume_cm3",
            "surface_area_cm2",
            "is_watertight",
            "is_manifold",
            "detected_unit",
            "unit_confidence",
            "warnings",
        ] {
            assert!(
                !m[field].is_null(),
                "{name}: metrics_json.{field} missing: {m}"
            );
        }
        assert_eq!(file["content_sha256"].as_str().map(str::len), Some(64));
        assert!(file["printability"]["findings"].is_array());
        let quote = quote_and_check(&app, &key, &file, "pla", 3).await;
        // The same inputs give the same price; a bulk order is cheaper per part.
        let again = quote_and_check(&app, &key, &file, "pla", 3).await;
        assert_eq!(
            (&quote["unit_price"], &quote["total"]),
            (&again["unit_price"], &again["total"])
        );
        let bulk = quote_and_check(&app, &key, &file, "pla", 60).await;
        assert!(bulk["unit_price"]["amount"].as_i64() <= quote["unit_price"]["amount"].as_i64());
        let (status, fetched) = get(
            &app,
            &key,
            &format!(
                "/v1/quotes/{}",
                quote["quote_id"].as_str().expect("quote_id")
            ),
        )
        .await;
        assert_eq!(
            (status, &fetched["unit_price"], &fetched["total"]),
            (200, &quote["unit_price"], &quote["total"])
        );
    }
}

#[tokio::test]
async fn a_mesh_with_a_hole_is_flagged_and_needs_a_person() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let bytes = std::fs::read(corpus_path("synthetic/cube10_hole.stl")).expect("corpus file");
    let file = upload(&app, &key, "hole.stl", "model/stl", bytes).await;
    assert_eq!(file["metrics_json"]["is_watertight"], false);
    assert!(
        file["metrics_json"]["warnings"]
            .as_array()
            .expect("warnings")
            .contains(&json!("non_watertight"))
    );
    let (status, quote) = post(&app, &key, "/v1/quotes", &json!({"file_id": file["id"], "material_id": "pla", "requested_execution_mode": "agent_autonomous"})).await;
    assert_eq!(status, 201, "{quote}");
    assert!(
        quote["risk_flags"]
            .as_array()
            .expect("flags")
            .contains(&json!("non_watertight")),
        "{quote}"
    );
    assert_eq!(quote["requires_user_confirmation"], true);
    assert_eq!(quote["resolved_execution_mode"], "agent_assisted");
    assert_eq!(quote["next_action"], "confirm_risks_with_user");
}

#[tokio::test]
async fn a_part_larger_than_the_build_volume_is_refused_with_the_finding() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let file = upload_box(&app, &key, "beam.stl", [400.0, 30.0, 20.0]).await;
    assert_eq!(file["status"], "ready");
    assert!(
        file["metrics_json"]["warnings"]
            .as_array()
            .expect("warnings")
            .contains(&json!("too_large")),
        "{file}"
    );
    let (status, body) = try_quote(&app, &key, &file, "pla").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "part_not_printable");
    let finding = &body["findings"][0];
    assert_eq!(finding["check"], "build_volume", "{body}");
    assert!(
        finding["measured"].as_f64() > finding["limit"].as_f64(),
        "{body}"
    );
}

#[tokio::test]
async fn another_accounts_file_is_not_found() {
    let app = spawn_upload_app().await;
    let owner = new_key(&app, "test").await;
    let stranger = new_key(&app, "test").await;
    let file = upload_box(&app, &owner, "cube.stl", [20.0, 20.0, 20.0]).await;
    let id = file["id"].as_str().expect("id");
    let (status, body) = get(&app, &stranger, &format!("/v1/files/{id}")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("file_not_found"))
    );
    let (status, body) = try_quote(&app, &stranger, &file, "pla").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("file_not_found"))
    );
    let (status, body) = post(
        &app,
        &stranger,
        "/v1/files/confirm",
        &json!({"file_id": id}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("file_not_found"))
    );
}

#[tokio::test]
async fn presign_rejects_bad_files_with_clear_codes() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let cases = [
        (
            json!({"filename": "part.step", "content_type": "model/step", "size_bytes": 10}),
            "unsupported_file_type",
        ),
        (
            json!({"filename": "part.stl", "content_type": "image/png", "size_bytes": 10}),
            "unsupported_content_type",
        ),
        (
            json!({"filename": "part.stl", "content_type": "model/stl", "size_bytes": 0}),
            "invalid_file_size",
        ),
        (
            json!({"filename": "part.stl", "content_type": "model/stl", "size_bytes": 1_000_000_000_i64}),
            "file_too_large",
        ),
    ];
    for (body, code) in cases {
        let (status, answer) = post(&app, &key, "/v1/files/presign", &body).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some(code)),
            "{body}"
        );
    }
    let presigned = presign(&app, &key, "part.stl", "model/stl", 84).await;
    assert_eq!(presigned["next_action"], "upload_file_then_confirm");
    assert_eq!(presigned["required_headers"]["Content-Type"], "model/stl");
}

#[tokio::test]
async fn confirm_before_upload_wrong_size_and_expiry_are_clear_and_leave_nothing_half_done() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let bytes = box_stl([20.0, 20.0, 20.0], 1);
    let db = app.db().await;
    let queued = |id: String| {
        let db = &db;
        async move {
            let row = db
                .query_one(
                    "select count(*) from background_jobs where payload->>'file_id' = $1",
                    &[&id],
                )
                .await
                .expect("count");
            row.get::<_, i64>(0)
        }
    };

    // Confirm before the PUT.
    let early = presign(&app, &key, "cube.stl", "model/stl", bytes.len()).await;
    let id = early["file_id"].as_str().expect("id").to_owned();
    let (status, body) = post(&app, &key, "/v1/files/confirm", &json!({"file_id": id})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("upload_not_found")),
        "{body}"
    );
    assert_eq!(
        get(&app, &key, &format!("/v1/files/{id}")).await.1["status"],
        "pending_upload"
    );
    assert_eq!(queued(id.clone()).await, 0);

    // Declared one size, uploaded another: the write-once object can never
    // become the declared file, so the file fails (upload_trust.rs covers
    // every kind of mismatch).
    let wrong = presign(&app, &key, "cube.stl", "model/stl", bytes.len() + 10).await;
    let wid = wrong["file_id"].as_str().expect("id").to_owned();
    assert_eq!(put(&app, &wrong, bytes.clone()).await, 200);
    let (status, body) = post(&app, &key, "/v1/files/confirm", &json!({"file_id": wid})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("upload_mismatch")),
        "{body}"
    );
    assert_eq!(
        body["found"]["size_bytes"].as_i64(),
        Some(bytes.len() as i64)
    );
    assert_eq!(
        get(&app, &key, &format!("/v1/files/{wid}")).await.1["status"],
        "failed"
    );
    assert_eq!(queued(wid).await, 0);

    // The URL expired and nothing was uploaded (the store refuses expired URLs
    // itself; see shared/signing/tests/real_store.rs).
    db.execute(
        "update files set upload_expires_at = now() - interval '1 minute' where id = $1",
        &[&id],
    )
    .await
    .expect("expire");
    let (status, body) = post(&app, &key, "/v1/files/confirm", &json!({"file_id": id})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (410, Some("upload_expired")),
        "{body}"
    );
    assert_eq!(queued(id).await, 0);
}

#[tokio::test]
async fn a_second_confirm_returns_the_same_state_without_a_second_analysis() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let file = upload_box(&app, &key, "cube.stl", [20.0, 20.0, 20.0]).await;
    let (status, again) = post(
        &app,
        &key,
        "/v1/files/confirm",
        &json!({"file_id": file["id"]}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (&again["status"], &again["metrics_json"]),
        (&file["status"], &file["metrics_json"])
    );
    let db = app.db().await;
    let row = db
        .query_one(
            "select attempts, status from background_jobs \
             where kind = 'analyze_file' and payload->>'file_id' = $1",
            &[&file["id"].as_str().expect("id")],
        )
        .await
        .expect("queue row");
    assert_eq!(
        (row.get::<_, i32>(0), row.get::<_, String>(1)),
        (1, "done".to_owned())
    );
}

#[tokio::test]
async fn a_unit_override_rescales_every_metric_and_the_next_quote() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let file = upload_box(&app, &key, "box.stl", [4.0, 3.0, 2.0]).await;
    assert_eq!(file["status"], "ready", "{file}");
    let id = file["id"].as_str().expect("id");
    let unit_path = format!("/v1/files/{id}/unit");

    let mut grams = Vec::new();
    for (unit, extents, volume_cm3) in [
        ("mm", [4.0, 3.0, 2.0], 0.024),
        ("cm", [40.0, 30.0, 20.0], 24.0),
    ] {
        let (status, body) = post(
            &app,
            &key,
            &unit_path,
            &json!({"selected_unit": unit, "confirmed_by": "user"}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["selected_unit"], unit, "{body}");
        assert_eq!(body["unit_confirmed_by"], "user", "{body}");
        let m = &body["metrics_json"];
        let bbox: Vec<f64> = m["bbox_mm"]
            .as_array()
            .expect("bbox_mm")
            .iter()
            .map(|v| v.as_f64().expect("number"))
            .collect();
        for (got, want) in bbox.iter().zip(extents) {
            assert!((got - want).abs() < 1e-6 * want, "{unit}: {m}");
        }
        let volume = m["volume_cm3"].as_f64().expect("volume_cm3");
        assert!(
            (volume - volume_cm3).abs() < 1e-9 + 1e-6 * volume_cm3,
            "{unit}: {m}"
        );
        // The stored file says the same, and the next quote prices the new size.
        let (_, stored) = get(&app, &key, &format!("/v1/files/{id}")).await;
        assert_eq!(stored["metrics_json"], body["metrics_json"]);
        let quote = quote_and_check(&app, &key, &stored, "pla", 1).await;
        grams.push(
            quote["breakdown"]["grams_per_part"]
                .as_f64()
                .expect("grams"),
        );
    }
    // A part ten times larger each way weighs far more (walls, skins and
    // infill grow with outline, area and volume).
    assert!(grams[1] > 100.0 * grams[0], "{grams:?}");

    for (body, field) in [
        (
            json!({"selected_unit": "furlong", "confirmed_by": "user"}),
            "selected_unit",
        ),
        (
            json!({"selected_unit": "cm", "confirmed_by": "someone"}),
            "confirmed_by",
        ),
    ] {
        let (status, answer) = post(&app, &key, &unit_path, &body).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some("invalid_request")),
            "{answer}"
        );
        assert_eq!(answer["fields"][0]["field"], field, "{answer}");
    }
    let stranger = new_key(&app, "test").await;
    let (status, answer) = post(
        &app,
        &stranger,
        &unit_path,
        &json!({"selected_unit": "in", "confirmed_by": "agent"}),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (404, Some("file_not_found"))
    );
    let (_, stored) = get(&app, &key, &format!("/v1/files/{id}")).await;
    assert_eq!(
        stored["selected_unit"], "cm",
        "a refused override changes nothing"
    );
}

/// Physical figures derived here from a box's geometry and the documented
/// constants, never from the code under test. The estimate's layer model
/// (mesh-engine crate docs, "Estimates") on a box standing on the bed: every
/// one of its z / 0.2 layers is an x × y rectangle with an outline of
/// 2(x + y); walls are 2 lines along the outline, each of spacing
/// 0.42 − 0.2 × (1 − π/4) mm (PrusaSlicer's flow), less π t² for the
/// corners (t the walls' thickness, `WALL_CORNER`); the 5 top and 3 bottom
/// layers are solid (× 1.05, `SKIN_FLOW`), the others get 15 % infill plus
/// anchors of 0.3 mm of line per mm of outline (`INFILL_ANCHOR`); material
/// table (shared/mesh material.rs): PETG 1.27 g/cm³, PLA 1.24 g/cm³; price
/// per gram (catalog): PETG 3¢.
fn estimated_grams(size_mm: [f64; 3], density_g_cm3: f64) -> f64 {
    let [x, y, z] = size_mm;
    let (h, infill) = (0.2, 0.15);
    let spacing = 0.42 - h * (1.0 - std::f64::consts::FRAC_PI_4);
    let layers = (z / h).round();
    let (area, outline) = (x * y, 2.0 * (x + y));
    let t = 2.0 * spacing;
    let walls = area.min(outline * t - std::f64::consts::PI * t * t);
    let inner = area - walls;
    let solid_layers = layers.min(8.0);
    let sparse_layers = layers - solid_layers;
    let shell_mm3 = (layers * walls + solid_layers * 1.05 * inner) * h;
    let infill_mm3 = sparse_layers * (inner * infill + 0.3 * outline * spacing) * h;
    (shell_mm3 + infill_mm3) / 1000.0 * density_g_cm3
}

#[tokio::test]
async fn a_petg_box_weighs_what_its_shell_and_infill_weigh() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let bytes = box_stl([40.0, 20.0, 10.0], 1);
    let file = upload(&app, &key, "box.stl", "model/stl", bytes.clone()).await;
    assert_eq!(file["status"], "ready", "{file}");
    assert_eq!(file["content_sha256"], sha256_hex(&bytes).as_str());
    let m = &file["metrics_json"];
    assert_eq!(m["unit"], "mm", "{m}");
    assert_eq!(m["bbox_mm"], json!([40.0, 20.0, 10.0]));
    assert_eq!(m["volume_cm3"], json!(8.0)); // 40 × 20 × 10 mm³
    assert_eq!(m["surface_area_cm2"], json!(28.0)); // 2 × (800 + 200 + 400) mm²

    // 50 layers of 800 mm² with 120 mm of outline: walls 120 × 0.754 −
    // π × 0.754² = 88.71 mm² a layer, 711.29 mm² inside; shell
    // (50 × 88.71 + 8 × 1.05 × 711.29) × 0.2 = 2082.09 mm³, infill
    // 42 × (711.29 × 0.15 + 0.3 × 120 × 0.37708) × 0.2 = 1010.25 mm³;
    // 3.0923 cm³ × 1.27 g/cm³ = 3.927 g. It stands on the bed:
    // no support.
    let grams = estimated_grams([40.0, 20.0, 10.0], 1.27);
    assert!((grams - 3.9273).abs() < 1e-4, "{grams}");
    let petg = &file["printability"]["estimates"]["petg"];
    assert!(
        (petg["weight_g"].as_f64().expect("weight_g") - grams).abs() <= 0.005,
        "{petg}"
    );
    assert_eq!(petg["support_g"], json!(0.0), "{petg}");
    // PLA is lighter by the density ratio alone.
    let pla = &file["printability"]["estimates"]["pla"];
    assert!(
        (pla["weight_g"].as_f64().expect("weight_g") - estimated_grams([40.0, 20.0, 10.0], 1.24))
            .abs()
            <= 0.005,
        "{pla}"
    );

    // 40 parts at 3¢/g: 3.93 g → 11.79¢ → 12¢ a part, $4.80 in all (no bulk
    // tier below 50, above the $3 minimum).
    let quote = quote(&app, &key, &file, "petg", 40).await;
    let unit_cents = (grams * 100.0).round() * 3.0 / 100.0;
    assert_eq!(unit_cents.round(), 12.0);
    assert_eq!(quote["total"]["amount"], json!(480), "{quote}");
    assert_eq!(quote["content_sha256"], sha256_hex(&bytes).as_str());
}

#[tokio::test]
async fn a_one_centimetre_obj_cube_measures_one_cubic_centimetre() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    // A 10 mm cube: 8 vertices, 6 quads wound outwards.
    let obj = "v 0 0 0\nv 10 0 0\nv 10 10 0\nv 0 10 0\nv 0 0 10\nv 10 0 10\nv 10 10 10\nv 0 10 10\n\
               f 1 4 3 2\nf 5 6 7 8\nf 1 2 6 5\nf 2 3 7 6\nf 3 4 8 7\nf 4 1 5 8\n";
    let bytes = obj.as_bytes().to_vec();
    let file = upload(&app, &key, "cube.obj", "model/obj", bytes.clone()).await;
    assert_eq!(file["status"], "ready", "{file}");
    assert_eq!(file["content_sha256"], sha256_hex(&bytes).as_str());
    let m = &file["metrics_json"];
    assert_eq!(m["volume_cm3"], json!(1.0), "{m}");
    assert_eq!(m["surface_area_cm2"], json!(6.0), "{m}");
    assert_eq!(m["bbox_mm"], json!([10.0, 10.0, 10.0]), "{m}");
    assert_eq!(
        (m["is_watertight"].as_bool(), m["body_count"].as_u64()),
        (Some(true), Some(1))
    );
    // 50 layers of 100 mm², 40 mm of outline: walls 28.38 mm², 71.62 mm²
    // inside; shell 404.1 mm³, infill 128.3 mm³; 0.5324 cm³ of PLA.
    let pla = &file["printability"]["estimates"]["pla"];
    let grams = estimated_grams([10.0, 10.0, 10.0], 1.24);
    assert!((grams - 0.6601).abs() < 1e-4, "{grams}");
    assert!(
        (pla["weight_g"].as_f64().expect("weight_g") - grams).abs() <= 0.005,
        "{pla}"
    );
}
