//! The web pages in a real browser (issue 15): Debian's chromium, driven
//! through chromium-driver (WebDriver) with fantoccini. One person's path:
//! get a key by email on `/`, upload an STL (the presigned PUT goes
//! straight to the object store, so the store's CORS is exercised), see it
//! drawn (canvas pixels of the part's colour) and priced, order in test
//! mode, approve on the review page, pay on the test checkout page, then
//! follow the tracking page while the real farm (the `farm-sim` printers in
//! LAN mode and the `printer-gateway`, started by `farm_tests::farm_procs`
//! as in production_e2e.rs) prints, inspects and ships the part, until it
//! says `shipped` with the inspection photos loaded from their signed
//! URLs; then autopay changed through the signed settings link, wrong and
//! expired links refused, the farm and docs pages. Screenshots of every
//! page go to `target/browser-screenshots/`.
//!
//! chromium comes from `scripts/browser.sh` (apt-get). When it cannot be
//! installed the test says so loudly and skips; anything else fails. The
//! farm's binaries are built beside the test (`cargo build -p
//! printer-gateway -p farm-sim`; `cargo test` over the workspace does).

#[path = "browser_common.rs"]
mod browser;
#[path = "payments_common.rs"]
mod common;
#[path = "upload_common.rs"]
mod upload;

use browser::*;
use fantoccini::{Client, Locator};
use farm_tests::{AppBuilder, Farm, FarmOptions, TestApp};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The operator token the browser tests' app is configured with.
const OPERATOR_TOKEN: &str = "op_browser_pages_test";

async fn spawn() -> TestApp {
    let mut builder = AppBuilder::farm().variable("farm_operator_token", OPERATOR_TOKEN);
    for (name, value) in upload::store_variables() {
        builder = builder.variable(name, value);
    }
    builder.spawn().await
}

#[tokio::test]
async fn a_person_prices_orders_and_follows_a_part_in_the_browser() {
    let Some(driver_path) = chromedriver() else {
        eprintln!(
            "\n######## SKIPPED browser_pages: chromium/chromium-driver could not be installed \
             (scripts/browser.sh failed); the pages were NOT tested in a browser ########\n"
        );
        return;
    };
    let app = spawn().await;
    // The real farm for this person's order: two simulated printers of
    // black PLA and their gateway, failing nothing, so the one order ships
    // after a single print and inspection; its plate then waits for the
    // operator's clear on the farm page.
    let farm = Farm::start(
        &app,
        FarmOptions {
            auto_clear_secs: None,
            // 60×: this small part's plate prints in a few seconds, long
            // enough for the person to see it in production.
            speed: 60,
            ..FarmOptions::new("tracking-farm")
        },
    )
    .await;
    let driver = start_driver(&driver_path).await;
    let c = browser(&driver).await;
    let stl = tempfile::Builder::new()
        .suffix(".stl")
        .tempfile()
        .expect("temp");
    std::fs::write(stl.path(), box_stl(20.0, 30.0, 10.0)).expect("write stl");

    // --- `/`: a key by email (test mode), then the upload.
    c.goto(&app.url("/")).await.expect("open /");
    wait_js(
        &c,
        "the catalog",
        "return document.querySelectorAll('#material option').length",
    )
    .await;
    c.find(Locator::Css("#connect summary"))
        .await
        .expect("summary")
        .click()
        .await
        .expect("open");
    let email = format!("{}@example.com", uuid::Uuid::new_v4().simple());
    fill(&c, "connect-email", &email).await;
    fill(&c, "connect-name", "Browser test").await;
    c.find(Locator::Css("#connect-form button"))
        .await
        .expect("button")
        .click()
        .await
        .expect("connect");
    let key_state = wait_js(
        &c,
        "the key",
        "return sessionStorage.getItem('farm_api_key')",
    )
    .await;
    let key = key_state.as_str().expect("key").to_owned();
    assert!(key.contains("_test_"), "a test-mode key: {key}");

    let input = c.find(Locator::Id("file-input")).await.expect("file input");
    input
        .send_keys(&stl.path().display().to_string())
        .await
        .expect("choose the file");
    // Drawn at once, before the server has said anything.
    let share = part_share(&c, "#viewer").await;
    eprintln!(
        "upload page: the part covers {:.1} % of the canvas",
        share * 100.0
    );
    assert!(share > 0.01, "the canvas shows the part: {share}");

    let price = wait_js(
        &c,
        "the price",
        "return document.getElementById('price')?.innerText",
    )
    .await;
    let price = price.as_str().expect("text").to_owned();
    assert!(price.starts_with("Total: $"), "{price}");
    let analysis = text_of(&c, "#analysis").await;
    assert!(analysis.contains("20.0 × 30.0 × 10.0 mm"), "{analysis}");
    assert!(
        analysis.contains("6.00 cm³"),
        "20 × 30 × 10 mm = 6 cm³: {analysis}"
    );
    let quote_box = text_of(&c, "#quote").await;
    assert!(quote_box.contains("Lead time"), "{quote_box}");
    // The store really holds the bytes the browser PUT.
    let file_id: String = app
        .scalar("select id from files where status = 'ready' limit 1", &[])
        .await;
    eprintln!("upload page: {price} for file {file_id}");
    snap(&c, "1-upload-priced").await;
    let settings_url = c
        .find(Locator::Id("settings-link"))
        .await
        .expect("settings link")
        .attr("href")
        .await
        .expect("href")
        .expect("an href");

    // --- order: address, then the review page.
    fill(&c, "line1", "1 Test Street").await;
    fill(&c, "city", "Springfield").await;
    fill(&c, "postal-code", "12345").await;
    // The farm holds black PLA, the page's defaults (the catalog's first
    // material and its first colour).
    let chosen = c
        .execute(
            "return [document.getElementById('material').value, document.getElementById('color').value]",
            vec![],
        )
        .await
        .expect("the choice");
    assert_eq!(chosen, json!(["pla", "black"]), "what the farm holds");
    c.find(Locator::Id("order-button"))
        .await
        .expect("order")
        .click()
        .await
        .expect("order");
    wait_js(
        &c,
        "the review page",
        "return location.pathname.startsWith('/review/')",
    )
    .await;
    let review = text_of(&c, "main").await;
    assert!(
        review.contains("Review your order") && review.contains("1 Test Street"),
        "{review}"
    );
    assert!(
        review.contains(price.trim_start_matches("Total: ")),
        "same price: {review}"
    );
    let share = part_share(&c, ".viewer").await;
    assert!(share > 0.01, "the review page draws the part: {share}");
    snap(&c, "2-review").await;

    // --- the test checkout page: pay, then follow the order.
    c.find(Locator::Id("approve"))
        .await
        .expect("approve")
        .click()
        .await
        .expect("approve");
    wait_js(
        &c,
        "the checkout page",
        "return location.pathname.startsWith('/test/checkout/')",
    )
    .await;
    snap(&c, "3-test-checkout").await;
    c.find(Locator::Css("form button"))
        .await
        .expect("pay")
        .click()
        .await
        .expect("pay");
    let paid_at = Instant::now();
    wait_js(
        &c,
        "the paid page",
        "return document.querySelector('h1')?.innerText.startsWith('Paid')",
    )
    .await;
    snap(&c, "3b-paid").await;
    c.find(Locator::LinkText("Track this order"))
        .await
        .expect("track")
        .click()
        .await
        .expect("track");
    wait_js(
        &c,
        "the tracking page",
        "return location.pathname.startsWith('/orders/')",
    )
    .await;
    // The real farm may already have claimed the part by now.
    let status = text_of(&c, "#order-status-value").await;
    assert!(
        ["paid", "queued", "in_production"].contains(&status.as_str()),
        "paid, queued or in production: {status}"
    );
    let timeline = text_of(&c, "main table").await;
    assert!(
        timeline.contains("requires_payment") && timeline.contains("paid"),
        "{timeline}"
    );
    let share = part_share(&c, ".viewer").await;
    assert!(share > 0.01, "the tracking page draws the part: {share}");
    snap(&c, "4-tracking").await;

    // --- the farm prints, inspects and ships it; the person follows the
    // tracking page (reloading it) until it says `shipped`.
    let public_id = c
        .execute(
            "return document.getElementById('live-order').dataset.publicOrderId",
            vec![],
        )
        .await
        .expect("id");
    let public_id = public_id.as_str().expect("public id").to_owned();
    follow_to_shipped(&app, &c, &farm, &public_id, paid_at).await;
    shipped_page_shows_photos(&app, &c, &public_id).await;

    // --- autopay through the signed link (the card first, by API, as the
    // README's quick start does).
    let saved = app
        .with_key(&key)
        .post_json(
            "/v1/payments/default_method",
            &json!({"payment_method_id": "pm_card_visa"}),
        )
        .await;
    assert!(saved.status().is_success(), "{}", saved.status());
    c.goto(&settings_url).await.expect("settings");
    let checkbox = c
        .find(Locator::Css("input[name=autopay_enabled]"))
        .await
        .expect("checkbox");
    if checkbox.prop("checked").await.expect("checked").as_deref() != Some("true") {
        checkbox.click().await.expect("tick");
    }
    for (name, value) in [("max_per_order", "250.00"), ("monthly_cap", "1000")] {
        let input = c
            .find(Locator::Css(&format!("input[name={name}]")))
            .await
            .expect(name);
        input.clear().await.expect("clear");
        input.send_keys(value).await.expect("type");
    }
    c.find(Locator::Css("form button"))
        .await
        .expect("save")
        .click()
        .await
        .expect("save");
    wait_js(
        &c,
        "the saved notice",
        "return document.querySelector('[role=status]')?.innerText === 'Saved.'",
    )
    .await;
    snap(&c, "5-settings-saved").await;
    let (status, settings) = upload::get(&app, &key, "/v1/settings").await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            &settings["autopay_enabled"],
            &settings["max_per_order_cents"],
            &settings["monthly_cap_cents"]
        ),
        (&json!(true), &json!(25000), &json!(100000)),
        "{settings}"
    );

    // --- wrong and expired links: the error page.
    c.goto(&app.url("/settings/not-a-token"))
        .await
        .expect("wrong link");
    let refused = text_of(&c, "main").await;
    assert!(
        refused.contains("does not work") && refused.contains("invalid_token"),
        "{refused}"
    );
    snap(&c, "6-settings-wrong-link").await;
    let account: String = app
        .scalar("select id from accounts where email = $1", &[&email])
        .await;
    let expired = settings_token(&app, &account, "test", common::unix_now() - 60);
    c.goto(&app.url(&format!("/settings/{expired}")))
        .await
        .expect("expired link");
    let refused = text_of(&c, "main").await;
    assert!(refused.contains("token_expired"), "{refused}");
    snap(&c, "6b-settings-expired-link").await;
    c.goto(&app.url("/review/0123456789abcdef0123456789abcdef"))
        .await
        .expect("wrong review");
    assert!(text_of(&c, "h1").await.contains("Review not found"));
    snap(&c, "6c-review-not-found").await;

    // --- the phone-sized upload page, the farm and the reference.
    c.set_window_size(390, 844).await.expect("phone size");
    c.goto(&app.url("/")).await.expect("open /");
    wait_js(
        &c,
        "the catalog",
        "return document.querySelectorAll('#material option').length",
    )
    .await;
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
            vec![],
        )
        .await
        .expect("width");
    assert!(
        overflow.as_i64().unwrap_or(1) <= 0,
        "no sideways scrolling on a phone: {overflow}"
    );
    // Without a key an OBJ is still drawn at once, and the page asks for
    // the key instead of uploading.
    c.execute("sessionStorage.clear(); return true", vec![])
        .await
        .expect("forget the key");
    c.refresh().await.expect("reload");
    let obj = tempfile::Builder::new()
        .suffix(".obj")
        .tempfile()
        .expect("temp");
    std::fs::write(obj.path(), box_obj(40.0, 10.0, 25.0)).expect("write obj");
    c.find(Locator::Id("file-input"))
        .await
        .expect("file input")
        .send_keys(&obj.path().display().to_string())
        .await
        .expect("choose the OBJ");
    let share = part_share(&c, "#viewer").await;
    eprintln!(
        "upload page (phone, OBJ, no key): the part covers {:.1} % of the canvas",
        share * 100.0
    );
    assert!(share > 0.01, "the OBJ is drawn: {share}");
    let said = text_of(&c, "#upload-status").await;
    assert!(said.contains("add your API key"), "{said}");
    snap(&c, "7-upload-phone").await;
    c.set_window_size(1280, 1800).await.expect("desktop size");

    farm_page(&app, &c, &farm).await;
    docs_page(&app, &c).await;
    c.close().await.expect("close");
}

/// Reloads the tracking page once a second, as a person following the
/// order does, until it says `shipped` (3 minutes at most: one small plate
/// at 600× takes seconds), with a screenshot while in production; prints
/// how long the farm took from payment.
async fn follow_to_shipped(
    app: &TestApp,
    c: &Client,
    farm: &Farm,
    public_id: &str,
    paid_at: Instant,
) {
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut shown: Vec<String> = Vec::new();
    loop {
        let status = text_of(c, "#order-status-value").await;
        if shown.last() != Some(&status) {
            if status == "in_production" {
                snap(c, "4a-tracking-in-production").await;
            }
            shown.push(status.clone());
        }
        if status == "shipped" {
            break;
        }
        if Instant::now() > deadline {
            let answer = app
                .get(&format!("/v1/public/orders/{public_id}"))
                .await
                .text()
                .await
                .unwrap_or_default();
            panic!(
                "not shipped {:?} after payment; the page showed {shown:?}\n{answer}\n{}",
                paid_at.elapsed(),
                farm.logs()
            );
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        c.refresh().await.expect("reload");
    }
    eprintln!(
        "tracking page: shipped {:.1} s after payment; the page showed {shown:?}",
        paid_at.elapsed().as_secs_f64()
    );
    // The farm made it: one plate started and finished on the site's
    // printers (reported by the gateway), no other way.
    let plate: Vec<String> = app
        .db()
        .await
        .query(
            "select e.kind from farm_events e join printers p on p.id = e.printer_id \
             join farm_sites s on s.id = p.site_id \
             where s.name = $1 and e.kind in ('task_started', 'task_finished', 'task_failed') \
             order by e.occurred_at",
            &[&farm.options.site],
        )
        .await
        .expect("farm events")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(plate, ["task_started", "task_finished"], "{}", farm.logs());
}

/// The shipped tracking page: the tracking number, the order's whole life
/// in its timeline, and the inspection photos, each loaded by the browser
/// from the signed URL the public answer gives; the size the browser
/// decoded must be the one in the stored PNG's header.
async fn shipped_page_shows_photos(app: &TestApp, c: &Client, public_id: &str) {
    let answer: Value = app
        .get(&format!("/v1/public/orders/{public_id}"))
        .await
        .json()
        .await
        .expect("the public answer");
    assert_eq!(answer["status"], "shipped", "{answer}");
    // UPS's format: "1Z", the shipper (6), the service (2), the package
    // (7) and a check digit.
    let tracking_number = answer["tracking_number"].as_str().unwrap_or("");
    assert!(
        tracking_number.starts_with("1Z") && tracking_number.len() == 18,
        "{answer}"
    );
    let main = text_of(c, "main").await;
    assert!(
        main.contains(&format!("Tracking number: {tracking_number}")),
        "{main}"
    );
    let rows = c
        .execute(
            "return Array.from(document.querySelectorAll('main table td:first-child')).map(td => td.innerText)",
            vec![],
        )
        .await
        .expect("timeline");
    let rows: Vec<String> = serde_json::from_value(rows).expect("timeline rows");
    let mut next = 0;
    for step in [
        "requires_payment",
        "paid",
        "queued",
        "in_production",
        "shipped",
    ] {
        next = rows[next..]
            .iter()
            .position(|r| r == step)
            .map(|i| next + i + 1)
            .unwrap_or_else(|| panic!("{step} missing or out of order in the timeline: {rows:?}"));
    }

    let urls: Vec<&str> = answer["inspection_photos"]
        .as_array()
        .expect("inspection_photos")
        .iter()
        .map(|u| u.as_str().expect("a URL"))
        .collect();
    assert!(!urls.is_empty(), "photos once shipped: {answer}");
    // Each photo is scrolled into view (they load lazily, as a person
    // scrolling down sees them).
    let images = wait_js(
        c,
        "the inspection photos",
        "const imgs = [...document.querySelectorAll('#photos img')];
         imgs.forEach((i) => i.scrollIntoView());
         return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0)
           && imgs.map((i) => ({src: i.getAttribute('src'), width: i.naturalWidth, height: i.naturalHeight}));",
    )
    .await;
    let images = images.as_array().expect("images");
    assert_eq!(images.len(), urls.len(), "one image per photo: {images:?}");
    // Each is captioned with its part and view, as the answer labels it.
    let captions = c
        .execute(
            "return [...document.querySelectorAll('#photos figcaption')].map((f) => f.textContent)",
            vec![],
        )
        .await
        .expect("captions");
    let expected: Vec<String> = answer["photos"]
        .as_array()
        .expect("labelled photos")
        .iter()
        .map(|p| {
            format!(
                "Part {}, {} view",
                p["part"],
                p["view"].as_str().unwrap_or("?")
            )
        })
        .collect();
    assert_eq!(expected.len(), urls.len(), "{answer}");
    assert_eq!(captions, json!(expected), "{answer}");
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    // Each answer signs afresh (its own X-Amz-Date), so the page's URLs
    // are compared with the answer's without their signatures.
    let unsigned = |u: &str| u.split_once('?').map_or(u, |(path, _)| path).to_owned();
    for (image, url) in images.iter().zip(&urls) {
        let src = image["src"].as_str().expect("src");
        assert_eq!(unsigned(src), unsigned(url), "the page shows the photo");
        assert!(src.contains("X-Amz-Signature="), "signed: {src}");
        let bare = http
            .get(unsigned(src))
            .send()
            .await
            .expect("unsigned")
            .status();
        assert!(
            bare.is_client_error(),
            "the store refuses it unsigned: {bare}"
        );
        let png = http
            .get(src)
            .send()
            .await
            .expect("photo")
            .bytes()
            .await
            .expect("photo bytes");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{src}: not a PNG");
        // IHDR: width and height, big-endian, at bytes 16 and 20.
        let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().expect("4 bytes"));
        assert_eq!(
            (&image["width"], &image["height"]),
            (&json!(be(16)), &json!(be(20))),
            "the browser decoded the stored photo"
        );
    }
    eprintln!(
        "tracking page: {} inspection photos loaded ({}×{} px), tracking number {tracking_number}",
        images.len(),
        images[0]["width"],
        images[0]["height"]
    );
    snap(c, "4c-tracking-photos").await;
    c.execute("window.scrollTo(0, 0); return true", vec![])
        .await
        .expect("scroll up");
    snap(c, "4b-tracking-shipped").await;
}

/// A settings link token by its documented recipe (as in
/// payments_settings_page.rs), independently of the app's code: key =
/// HMAC-SHA256(internal_token, "farm-api/settings-link/v1"), token =
/// "{account}-{mode}.{expires}.{hex HMAC(key, "{account}-{mode}.{expires}")}".
fn settings_token(app: &TestApp, account: &str, mode: &str, expires: i64) -> String {
    let hex = common::hmac_hex(app.internal_token.as_bytes(), b"farm-api/settings-link/v1");
    let key: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect();
    let body = format!("{account}-{mode}.{expires}");
    format!("{body}.{}", common::hmac_hex(&key, body.as_bytes()))
}

async fn farm_page(app: &TestApp, c: &Client, farm: &Farm) {
    // A printer mid-print for the progress column: no real one is by now
    // (the farm's one plate is done), so a second site's printer is
    // registered as a gateway does and set printing in the database.
    let site: Value = app
        .request(reqwest::Method::POST, "/internal/farm/sites")
        .header("x-farm-internal-token", &app.internal_token)
        .json(&json!({"name": "browser-site"}))
        .send()
        .await
        .expect("site")
        .json()
        .await
        .expect("json");
    let token = site["token"].as_str().expect("token");
    let registered = app
        .request(reqwest::Method::PUT, "/internal/farm/printers")
        .bearer_auth(token)
        .json(&json!({"printers": [{"serial": "01P00A000000001", "model": "P1S"}, {"serial": "01P00A000000002", "model": "P1S"}]}))
        .send()
        .await
        .expect("printers");
    assert!(registered.status().is_success(), "{}", registered.status());
    app.db()
        .await
        .execute("update printers set status = 'printing', progress = 42, remaining_minutes = 17 where serial = '01P00A000000001'", &[])
        .await
        .expect("printing");

    c.goto(&app.url("/farm")).await.expect("farm");
    fill(c, "operator-token", "wrong").await;
    c.find(Locator::Css("#token-form button"))
        .await
        .expect("show")
        .click()
        .await
        .expect("show");
    wait_js(
        c,
        "the refusal",
        "return document.getElementById('farm-status').innerText.includes('refused')",
    )
    .await;
    snap(c, "8a-farm-token-refused").await;
    fill(c, "operator-token", OPERATOR_TOKEN).await;
    c.find(Locator::Css("#token-form button"))
        .await
        .expect("show")
        .click()
        .await
        .expect("show");
    wait_js(
        c,
        "the farm",
        "return document.querySelectorAll('#farm tbody tr').length >= 2",
    )
    .await;
    let shown = text_of(c, "#farm").await;
    assert!(
        shown.contains("Site browser-site")
            && shown.contains("42 %")
            && shown.contains("17 min left"),
        "{shown}"
    );
    // The plate the real farm printed the person's part on waits for a
    // person (this farm's gateway clears nothing itself): the page flags
    // that printer, and its button clears the plate through the clear route.
    let site = &farm.options.site;
    let waiting: Vec<String> = app
        .db()
        .await
        .query(
            "select p.serial from printers p join farm_sites s on s.id = p.site_id \
             where s.name = $1 and p.awaiting_clear",
            &[site],
        )
        .await
        .expect("printers")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(waiting.len(), 1, "one plate printed: {waiting:?}");
    let serial = &waiting[0];
    assert!(
        shown.contains(&format!("Site {site}")) && shown.contains("plate awaiting clear"),
        "{shown}"
    );
    snap(c, "8-farm").await;
    c.find(Locator::XPath(&format!(
        "//button[text()='Clear {serial}']"
    )))
    .await
    .expect("the printer's clear button")
    .click()
    .await
    .expect("clear");
    let said = wait_js(
        c,
        "the clear outcome",
        "return document.getElementById('farm-status').innerText",
    )
    .await;
    let said = said.as_str().unwrap_or("");
    eprintln!("farm page: clear answered {said:?}");
    assert_eq!(said, format!("{serial}: plate cleared."));
    let still: bool = app
        .scalar(
            "select awaiting_clear from printers where serial = $1",
            &[serial],
        )
        .await;
    assert!(!still, "the clear button cleared the printer");
    wait_js(
        c,
        "the flag gone",
        "return !document.getElementById('farm').innerText.includes('plate awaiting clear')",
    )
    .await;
}

async fn docs_page(app: &TestApp, c: &Client) {
    let spec = app.openapi().await;
    let operations: usize = spec["paths"]
        .as_object()
        .expect("paths")
        .values()
        .map(|p| {
            p.as_object().map_or(0, |o| {
                o.keys()
                    .filter(|k| ["get", "put", "post", "delete", "patch"].contains(&k.as_str()))
                    .count()
            })
        })
        .sum();
    c.goto(&app.url("/docs")).await.expect("docs");
    let shown = wait_js(
        c,
        "the reference",
        "return document.querySelectorAll('.opblock').length",
    )
    .await;
    // Swagger UI draws one block per operation once every tag is expanded
    // (its default); allow it a moment to finish.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let shown = c
        .execute(
            "return document.querySelectorAll('.opblock').length",
            vec![],
        )
        .await
        .unwrap_or(shown);
    eprintln!("docs page: {shown} operation blocks for {operations} operations in the spec");
    // One block per operation and tag; every operation has a tag.
    assert!(
        shown.as_u64().unwrap_or(0) >= operations as u64,
        "every operation is rendered: {shown} blocks, {operations} operations"
    );
    snap(c, "9-docs").await;
}

/// Red marker pixels the viewer draws where a finding is located.
const MARKER_PIXELS: &str = "const src = document.querySelector('#viewer canvas');
  const c = document.createElement('canvas'); c.width = src.width; c.height = src.height;
  const g = c.getContext('2d'); g.drawImage(src, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data; let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] > d[i + 1] + 80 && d[i] > d[i + 2] + 80) n++;
  return n;";

#[tokio::test]
async fn a_located_finding_is_marked_on_the_model() {
    let Some(driver_path) = chromedriver() else {
        eprintln!("\n######## SKIPPED browser_pages: chromium could not be installed ########\n");
        return;
    };
    let app = spawn().await;
    let (key, _) = upload::new_account_key(
        &app,
        "test",
        &["files:read", "files:write", "quotes:read", "quotes:write"],
    )
    .await;
    let driver = start_driver(&driver_path).await;
    let c = browser(&driver).await;
    // A 30 × 20 mm plate 0.4 mm thick: thinner than the 0.8 mm minimum
    // wall (mesh-engine's default), a finding located on the part.
    let stl = tempfile::Builder::new()
        .suffix(".stl")
        .tempfile()
        .expect("temp");
    std::fs::write(stl.path(), box_stl(30.0, 20.0, 0.4)).expect("write stl");
    c.goto(&app.url("/")).await.expect("open /");
    fill(&c, "api-key", &key).await;
    c.find(Locator::Css("#key-form button"))
        .await
        .expect("use")
        .click()
        .await
        .expect("use");
    c.find(Locator::Id("file-input"))
        .await
        .expect("file input")
        .send_keys(&stl.path().display().to_string())
        .await
        .expect("choose");
    let findings = wait_js(
        &c,
        "the findings",
        "const a = document.getElementById('analysis'); return a.innerText.includes('Findings') && a.innerText",
    )
    .await;
    let findings = findings.as_str().expect("text").to_owned();
    assert!(
        findings.contains("marked in red on the model"),
        "{findings}"
    );
    let red = c.execute(MARKER_PIXELS, vec![]).await.expect("pixels");
    eprintln!("upload page: a located finding drawn with {red} red pixels");
    assert!(
        red.as_u64().unwrap_or(0) > 0,
        "the marker is drawn: {findings}"
    );
    snap(&c, "10-upload-finding-marked").await;
    c.close().await.expect("close");
}
