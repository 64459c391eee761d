//! The camera inspector end to end (issue 12, item 3, real printers): a
//! simulated P1 printer serving the chamber-image stream (TLS, the login
//! packet, JPEG frames rendered from the G-code it prints), the gateway
//! with `FARM_INSPECTOR=camera`, the stand-in of the app's routes.

mod support;

use std::time::Duration;

use farm_sim::lan::FailureRates;
use farm_sim::lan::plate_view::{FRAME_PX, frame_jpeg};
use printer_gateway::Secret;
use printer_gateway::camera::{
    CameraError, CameraKind, CameraTarget, chamber_image_jpeg, decode_jpeg,
};
use printer_gateway::pinning::PinStore;
use support::*;

fn target(settings: &farm_sim::lan::PrinterSettings, code: &str) -> CameraTarget {
    CameraTarget {
        serial: settings.serial.clone(),
        host: "127.0.0.1".into(),
        port: settings.camera.port(),
        kind: CameraKind::ChamberImage,
        access_code: Secret::new(code),
    }
}

/// Pixels differing by more than 40 levels in some channel.
fn differing(a: &[u8], b: &[u8]) -> usize {
    a.chunks(3)
        .zip(b.chunks(3))
        .filter(|(p, q)| p.iter().zip(*q).any(|(x, y)| x.abs_diff(*y) > 40))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_camera_inspector_uploads_the_printers_frame_as_png_and_leaves_the_verdict() {
    let site = OnePrinter::start(300.0, FailureRates::default()).await;
    let (app, settings) = (&site.app, &site.settings);
    app.queue_plate(cube_and_bar()[..1].to_vec());
    let _gateway = site.gateway(&site.env("0.5", &[("FARM_INSPECTOR", "camera")]));

    until(Duration::from_secs(180), "the plate to be cleared", || {
        !app.state().clears.is_empty()
    })
    .await;
    // No verdict from a camera: photos only, a person decides.
    assert_eq!(kinds(&plate_events(app)), ["task_started", "task_finished"]);
    let photos = app.state().photos.clone();
    assert_eq!(photos.len(), 1, "{:?}", photos.keys());
    let ((_, name), png) = photos.into_iter().next().expect("one photo");
    assert_eq!(name, "camera.png");
    let (w, h, uploaded) = png_pixels(&png);
    assert_eq!((w, h), (FRAME_PX, FRAME_PX));

    // The printer still shows the finished plate: a frame taken now holds
    // exactly the uploaded pixels (the JPEG decoded, losslessly re-encoded).
    let pins = PinStore::in_memory();
    let frame = tokio::task::spawn_blocking({
        let target = target(settings, &settings.access_code);
        let pins = pins.clone();
        move || chamber_image_jpeg(&target, &pins, Duration::from_secs(10))
    })
    .await
    .expect("join")
    .expect("a frame with the access code");
    let (fw, fh, now) = decode_jpeg(&frame).expect("JPEG");
    assert_eq!((fw, fh), (w, h));
    assert_eq!(now, uploaded, "the photo is the printer's frame");
    // And it shows the part: an empty bed's frame differs over the part.
    let (_, _, empty) = decode_jpeg(&frame_jpeg(None, 1.0, None)).expect("empty bed");
    let part_pixels = differing(&uploaded, &empty);
    println!("camera.png: {w}×{h}, {part_pixels} pixels of part");
    assert!(
        part_pixels > 2_000,
        "{part_pixels} pixels differ from an empty bed"
    );

    // A wrong access code gets no frame.
    let refused = tokio::task::spawn_blocking({
        let target = target(settings, "00000000");
        move || chamber_image_jpeg(&target, &pins, Duration::from_secs(10))
    })
    .await
    .expect("join");
    assert!(
        matches!(refused, Err(CameraError::Refused { .. })),
        "{refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_printers_ai_detection_fails_the_part_with_source_printer() {
    let failures = FailureRates {
        ai_detection: 1.0,
        ..FailureRates::default()
    };
    let site = OnePrinter::start(300.0, failures).await;
    let app = &site.app;
    app.queue_plate(cube_and_bar()[..1].to_vec());
    let _gateway = site.gateway(&site.env("0.5", &[("FARM_INSPECTOR", "camera")]));

    until(Duration::from_secs(180), "the inspection", || {
        !app.events_of("inspection").is_empty()
    })
    .await;
    let inspection = app.events_of("inspection").remove(0);
    let detail = &inspection["detail"];
    assert_eq!(detail["passed"], false, "{detail}");
    assert_eq!(detail["source"], "printer", "{detail}");
    assert_eq!(detail["defect"], "spaghetti", "{detail}");
    assert_eq!(detail["photos"], serde_json::json!(["camera.png"]));
    let task = inspection["task_id"].as_i64().expect("task");
    let photos = app.state().photos.clone();
    let png = photos
        .get(&(task, "camera.png".to_owned()))
        .expect("the photo uploaded before the event");
    let (w, _, _) = png_pixels(png);
    assert_eq!(w, FRAME_PX);
    // The print itself finished: the detection only notified.
    assert_eq!(app.events_of("task_finished").len(), 1);
}
