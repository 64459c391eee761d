//! The operator's `/farm` page in a real browser (Debian's chromium through
//! chromium-driver, fantoccini; the tools of browser_common.rs): a person
//! passes a part awaiting a verdict with its Pass button, fails another
//! with a defect typed into its labelled input (submitted with the Enter
//! key), resolves a printer's attention flag and re-queues a part that gave
//! up. The farm's state comes from the routes a printer-gateway calls (the
//! site token's registration, claims, events and photo uploads, as
//! farm_common.rs drives them): the second printer reports two AMS trays, a
//! plate of two parts finishes and each part's camera photo is uploaded with
//! no verdict, as printer-gateway's camera inspector does for a real
//! printer. Screenshots of each step go to
//! `target/browser-screenshots/browser_farm/`.
//!
//! Skips loudly when chromium cannot be installed (scripts/browser.sh).

#[path = "browser_common.rs"]
mod browser;
#[path = "farm_common.rs"]
mod common;

use browser::*;
use common::*;
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use reqwest::Method;
use serde_json::{Value, json};

/// The status line after an action, once it names `what`.
async fn said(c: &Client, what: &str) -> String {
    let script = format!(
        "const t = document.getElementById('farm-status').innerText; \
         return t.startsWith({}) ? t : ''",
        json!(what)
    );
    wait_js(c, what, &script)
        .await
        .as_str()
        .unwrap_or("")
        .to_owned()
}

async fn click_button(c: &Client, label: &str) {
    c.find(Locator::XPath(&format!("//button[text()='{label}']")))
        .await
        .unwrap_or_else(|_| panic!("the {label:?} button"))
        .click()
        .await
        .expect("click");
}

#[tokio::test]
async fn an_operator_passes_fails_resolves_and_requeues_on_the_farm_page() {
    let Some(driver_path) = chromedriver() else {
        eprintln!(
            "\n######## SKIPPED browser_farm: chromium/chromium-driver could not be installed \
             (scripts/browser.sh failed); the farm page was NOT tested in a browser ########\n"
        );
        return;
    };
    let app = spawn().await;
    let token = app.farm_site_token("browser-farm").await;
    register(&app, &token, &["01PRQ", "01PCAM", "01PHMS"]).await;

    // A part that gives up: three failed prints on 01PRQ.
    let (_, stuck_order) = queued_order(&app, 1, [200.0, 200.0, 5.0]).await;
    let stuck_order = stuck_order["id"].as_str().expect("id").to_owned();
    let stuck = plate_tasks(&fail_print(&app, &token, "01PRQ").await)[0];
    fail_print(&app, &token, "01PRQ").await;
    fail_print(&app, &token, "01PRQ").await;
    let status: String = app
        .scalar("select status from print_tasks where id = $1", &[&stuck])
        .await;
    assert_eq!(status, "gave_up");

    // Two parts on one plate of 01PCAM, which reports two AMS trays; each
    // part's camera photo uploaded and no verdict sent.
    let (key, order) = queued_order(&app, 2, [20.0, 20.0, 10.0]).await;
    let order_id = order["id"].as_str().expect("id").to_owned();
    let c = claim_loaded(
        &app,
        &token,
        "01PCAM",
        json!([{"material": "pla", "color": "black"}, {"material": "petg", "color": "white"}]),
    )
    .await;
    let tasks = plate_tasks(&c);
    assert_eq!(tasks.len(), 2, "both parts on one plate: {c}");
    let plate = c["plate"]["id"].clone();
    push(
        &app,
        &token,
        vec![
            event("01PCAM", "task_started", json!({"plate_id": plate})),
            event(
                "01PCAM",
                "task_finished",
                json!({"plate_id": plate, "detail": {"print_s": 1800}}),
            ),
        ],
    )
    .await;
    for t in &tasks {
        let (status, body) = put_photo(&app, &token, *t, "camera.png", png()).await;
        assert!((200..300).contains(&status), "{status} {body}");
    }
    settle(&app).await;
    // 01PHMS needs a person (a pause-class fault, as the gateway reports it).
    push(
        &app,
        &token,
        vec![event(
            "01PHMS",
            "needs_attention",
            json!({"detail": {"reason": "pause-class fault"}}),
        )],
    )
    .await;

    // The overview lists both printed parts, with their photos signed.
    let (status, overview) = call(
        &app,
        OPERATOR,
        Method::GET,
        "/internal/farm/overview",
        &json!({}),
    )
    .await;
    assert_eq!(status, 200, "{overview}");
    // The flagged printer says why; the others have no reason.
    let reasons: Vec<(String, Value)> = overview["sites"]
        .as_array()
        .expect("sites")
        .iter()
        .flat_map(|s| s["printers"].as_array().cloned().unwrap_or_default())
        .map(|p| {
            (
                p["serial"].as_str().unwrap_or("").to_owned(),
                p["attention_reason"].clone(),
            )
        })
        .filter(|(_, r)| !r.is_null())
        .collect();
    assert_eq!(
        reasons,
        [("01PHMS".to_owned(), json!("pause-class fault"))],
        "{overview}"
    );
    let waiting = overview["awaiting_verdict"].as_array().expect("list");
    let store = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let listed: Vec<i64> = waiting
        .iter()
        .filter_map(|v| v["task_id"].as_i64())
        .collect();
    assert_eq!(listed, tasks, "{overview}");
    for v in waiting {
        assert_eq!(
            (
                v["order_id"].as_str(),
                v["printer"].as_str(),
                v["attempt"].as_i64()
            ),
            (Some(order_id.as_str()), Some("01PCAM"), Some(1)),
            "{v}"
        );
        assert_eq!(v["photos"][0]["name"], "camera.png", "{v}");
        let url = v["photos"][0]["url"].as_str().expect("url");
        assert!(url.contains("X-Amz-Expires=3600"), "an hour's URL: {url}");
        let bytes = store
            .get(url)
            .send()
            .await
            .expect("photo")
            .bytes()
            .await
            .expect("bytes");
        assert_eq!(
            bytes.as_ref(),
            png().as_slice(),
            "the signed URL serves the upload"
        );
    }

    let driver = start_driver(&driver_path).await;
    let c = browser(&driver).await;
    c.goto(&app.url("/farm")).await.expect("farm");
    fill(&c, "operator-token", OPERATOR).await;
    c.find(Locator::Css("#token-form button"))
        .await
        .expect("show")
        .click()
        .await
        .expect("show");
    // Both parts with their photos drawn (the store's origin allowed by the
    // page's CSP as an image source).
    wait_js(
        &c,
        "the parts awaiting a verdict, photos loaded",
        "const imgs = [...document.querySelectorAll('#awaiting-verdict img.thumb')]; \
         return imgs.length === 2 && imgs.every((i) => i.complete && i.naturalWidth === 64)",
    )
    .await;
    let shown = text_of(&c, "#farm").await;
    assert!(
        shown.contains("pla black, petg white"),
        "the trays: {shown}"
    );
    assert!(
        shown.contains("Resolve 01PHMS") && shown.contains(&format!("Re-queue task {stuck}")),
        "{shown}"
    );
    snap(&c, "1-farm-awaiting-verdict").await;

    // Pass the first part with its button.
    let (passed, failed) = (tasks[0], tasks[1]);
    let part = |i: usize| waiting[i]["part"].as_i64().expect("part");
    let (passed_part, failed_part) = (part(0), part(1));
    click_button(&c, &format!("Pass task {passed}")).await;
    assert_eq!(
        said(&c, &format!("Part {passed_part} of")).await,
        format!("Part {passed_part} of {order_id}: passed.")
    );
    wait_js(
        &c,
        "one part left",
        "return document.querySelectorAll('#awaiting-verdict tbody tr').length === 1",
    )
    .await;
    snap(&c, "2-farm-passed").await;

    // Fail the second one: its labelled input, the defect typed and the
    // form submitted with the Enter key.
    let input = c
        .find(Locator::XPath(&format!(
            "//input[@id=//label[text()='Defect of task {failed}']/@for]"
        )))
        .await
        .expect("the defect input its label names");
    input.click().await.expect("focus");
    input
        .send_keys(&format!("layer_shift{}", char::from(Key::Enter)))
        .await
        .expect("type");
    assert_eq!(
        said(&c, &format!("Part {failed_part} of")).await,
        format!(
            "Part {failed_part} of {order_id}: re-printed (or its order flagged at the third failure)."
        )
    );
    wait_js(
        &c,
        "no part left",
        "return !document.getElementById('awaiting-verdict')",
    )
    .await;
    snap(&c, "3-farm-failed").await;
    settle(&app).await;
    let (_, o) = get(&app, &key, &format!("/v1/orders/{order_id}")).await;
    let parts = o["parts"].as_array().expect("parts");
    let of = |n: i64| {
        parts
            .iter()
            .find(|p| p["part"] == n)
            .unwrap_or_else(|| panic!("part {n}: {o}"))
    };
    let verdict = |p: &Value| {
        (
            p["inspection"]["passed"].clone(),
            p["inspection"]["source"].clone(),
            p["inspection"]["defect"].clone(),
            p["attempts"].clone(),
        )
    };
    assert_eq!(
        verdict(of(passed_part)),
        (json!(true), json!("operator"), Value::Null, json!(1)),
        "{o}"
    );
    assert_eq!(of(passed_part)["status"], "passed", "{o}");
    assert_eq!(
        verdict(of(failed_part)),
        (
            json!(false),
            json!("operator"),
            json!("layer_shift"),
            json!(2)
        ),
        "{o}"
    );
    assert_eq!(of(failed_part)["status"], "queued", "re-printed: {o}");

    // Resolve the printer that needs a person, once the page says why.
    wait_js(
        &c,
        "the reason 01PHMS needs attention",
        "return [...document.querySelectorAll('tr')].some((tr) => tr.innerText.includes('01PHMS') \
           && tr.innerText.includes('needs attention: pause-class fault'));",
    )
    .await;
    click_button(&c, "Resolve 01PHMS").await;
    assert_eq!(
        said(&c, "01PHMS").await,
        "01PHMS: attention resolved; it takes plates again."
    );
    let flagged: bool = app
        .scalar(
            "select needs_attention from printers where serial = '01PHMS'",
            &[],
        )
        .await;
    assert!(!flagged, "the resolve button cleared the flag");
    snap(&c, "4-farm-resolved").await;

    // Re-queue the part that gave up.
    click_button(&c, &format!("Re-queue task {stuck}")).await;
    assert_eq!(
        said(&c, "Part 1 of").await,
        format!("Part 1 of {stuck_order}: re-queued at the front.")
    );
    let status: String = app
        .scalar("select status from print_tasks where id = $1", &[&stuck])
        .await;
    assert_eq!(status, "queued");
    wait_js(
        &c,
        "the re-queued part gone from the list",
        &format!(
            "return !document.getElementById('farm').innerText.includes('Re-queue task {stuck}')"
        ),
    )
    .await;
    snap(&c, "5-farm-requeued").await;
    eprintln!(
        "farm page: passed task {passed}, failed task {failed} (layer_shift), resolved 01PHMS, \
         re-queued task {stuck}"
    );
}
