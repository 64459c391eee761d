//! The MCP order tools against the real orders API (test mode): checkout
//! with a person's approval, autonomous orders, status, the order list and
//! its cursor, cancel, reorder; each with an error path. Every answer is
//! checked against what the REST API says about the same order.

#[path = "upload_common.rs"]
mod common;
#[path = "mcp_common.rs"]
mod mcp;

use base64::Engine as _;
use common::*;
use mcp::*;
use serde_json::{Value, json};

/// Test-mode autopay caps in cents: (per order, monthly), far above these
/// tests' totals.
const CAPS: (i64, i64) = (1_000_000, 10_000_000);

/// The account's test-mode billing policy (migrations/0010_payments):
/// `Some(caps)` turns autopay on with the test card saved, `None` off.
async fn set_billing(app: &farm_tests::TestApp, account: &str, caps: Option<(i64, i64)>) {
    let (on, pm, per, month) = match caps {
        Some((p, m)) => (true, Some("pm_card_visa"), Some(p), Some(m)),
        None => (false, None, None, None),
    };
    app.db()
        .await
        .execute(
            "insert into account_billing (account_id, livemode, autopay_enabled, default_payment_method, \
               max_per_order_cents, monthly_cap_cents) values ($1, false, $2, $3, $4, $5) \
             on conflict (account_id, livemode) do update set autopay_enabled = $2, \
               default_payment_method = $3, max_per_order_cents = $4, monthly_cap_cents = $5",
            &[&account.to_string(), &on, &pm, &per, &month],
        )
        .await
        .expect("set billing");
}

/// An ASCII STL of an axis-aligned box of `size` mm (12 triangles, outward
/// normals), big enough that the unit guess (mm) is confident.
fn box_stl(size: [f32; 3]) -> Vec<u8> {
    let [x, y, z] = size;
    let v = |i: u8| {
        [
            if i & 1 != 0 { x } else { 0.0 },
            if i & 2 != 0 { y } else { 0.0 },
            if i & 4 != 0 { z } else { 0.0 },
        ]
    };
    // Each face as two counter-clockwise triangles seen from outside.
    let faces: [[u8; 4]; 6] = [
        [0, 2, 3, 1],
        [4, 5, 7, 6],
        [0, 1, 5, 4],
        [2, 6, 7, 3],
        [0, 4, 6, 2],
        [1, 3, 7, 5],
    ];
    let mut out = String::from("solid box\n");
    for f in faces {
        for tri in [[f[0], f[1], f[2]], [f[0], f[2], f[3]]] {
            out.push_str("facet normal 0 0 0\nouter loop\n");
            for i in tri {
                let p = v(i);
                out.push_str(&format!("vertex {} {} {}\n", p[0], p[1], p[2]));
            }
            out.push_str("endloop\nendfacet\n");
        }
    }
    out.push_str("endsolid box\n");
    out.into_bytes()
}

fn address() -> Value {
    json!({"line1": "1 Test Street", "city": "Testville", "country": "US"})
}

/// A 60 × 40 × 30 mm box uploaded inline through MCP, analysed, and quoted
/// through MCP; returns the quote.
async fn mcp_quote(app: &farm_tests::TestApp, key: &str, quantity: i64) -> Value {
    let b64 = base64::engine::general_purpose::STANDARD.encode(box_stl([60.0, 40.0, 30.0]));
    let up = tool_ok(
        app,
        key,
        "upload_part",
        json!({"filename": "box.stl", "content_base64": b64}),
    )
    .await;
    let file_id = up["file_id"].clone();
    for _ in 0..100 {
        let f = tool_ok(app, key, "get_part_analysis", json!({"file_id": file_id})).await;
        if f["status"] == "ready" {
            let q = json!({"file_id": file_id, "material_id": "pla", "quantity": quantity, "ship_country": "US"});
            return tool_ok(app, key, "quote_part", q).await;
        }
        assert_eq!(f["status"], "processing", "{f}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("analysis not ready");
}

#[tokio::test]
async fn checkout_status_list_and_the_errors() {
    let app = spawn_upload_app().await;
    let key = new_key(&app, "test").await;
    let q = mcp_quote(&app, &key, 2).await;
    let args =
        json!({"quote_id": q["quote_id"], "shipping_address": address(), "idempotency_key": "c1"});
    let s = tool_ok(&app, &key, "start_checkout", args.clone()).await;
    assert_eq!(s["status"], "requires_payment", "{s}");
    assert!(
        s["approval_url"]
            .as_str()
            .is_some_and(|u| u.contains("/test/checkout/")),
        "{s}"
    );
    assert_eq!(
        s["amount_total"], q["total"],
        "the quote's amount is charged"
    );
    // The same key again: the same order, not a second one.
    let again = tool_ok(&app, &key, "start_checkout", args).await;
    assert_eq!(again["order_id"], s["order_id"]);
    let order_id = s["order_id"].as_str().expect("order_id").to_owned();
    let o = tool_ok(&app, &key, "get_order", json!({"order_id": order_id})).await;
    assert_eq!(o["status"], "requires_payment");
    // The person pays (the test-mode stand-in for the approval page).
    let path = format!(
        "/v1/test_helpers/checkout_sessions/{}/complete",
        s["id"].as_str().expect("id")
    );
    let (status, _) = post(&app, &key, &path, &json!({})).await;
    assert_eq!(status, 200);
    let o = tool_ok(&app, &key, "get_order", json!({"order_id": order_id})).await;
    let (_, rest_order) = get(&app, &key, &format!("/v1/orders/{order_id}")).await;
    assert_eq!(o["status"], "queued", "{o}");
    assert_eq!(o["status"], rest_order["status"]);
    let public = rest_order["public_order_id"].as_str().expect("public id");
    assert!(
        o["tracking_page"]
            .as_str()
            .is_some_and(|u| u.ends_with(&format!("/orders/{public}"))),
        "{o}"
    );
    let list = tool_ok(&app, &key, "list_orders", json!({})).await;
    assert_eq!(list["orders"][0]["id"], order_id.as_str(), "{list}");
    assert_eq!(list["has_more"], false);

    // Errors: the API's codes, as tool results.
    let err = tool_err(&app, Some(&key), "start_checkout",
        json!({"quote_id": q["quote_id"], "shipping_address": {"line1": "x"}, "idempotency_key": "c2"})).await;
    assert_eq!(
        (err["status"].as_u64(), err["error"].as_str()),
        (Some(400), Some("missing_shipping_fields")),
        "{err}"
    );
    let missing = format!("ord_{}", "b".repeat(32));
    let err = tool_err(&app, Some(&key), "get_order", json!({"order_id": missing})).await;
    let (status, rest_err) = get(&app, &key, &format!("/v1/orders/{missing}")).await;
    assert_eq!(
        (err["status"].as_u64(), &err["error"]),
        (Some(status as u64), &rest_err["error"])
    );
    let err = tool_err(
        &app,
        Some(&key),
        "list_orders",
        json!({"starting_after": "nope"}),
    )
    .await;
    assert_eq!(err["error"], "invalid_request");
}

#[tokio::test]
async fn autonomous_orders_pages_cancel_and_reorder() {
    let app = spawn_upload_app().await;
    let (key, account) = new_account_key(&app, "test", &ALL_SCOPES).await;
    set_billing(&app, &account, Some(CAPS)).await;
    let q = mcp_quote(&app, &key, 1).await;
    let args = |idem: &str| json!({"quote_id": q["quote_id"], "shipping_address": address(), "idempotency_key": idem});
    let first = tool_ok(&app, &key, "place_autonomous_order", args("a1")).await;
    assert_eq!(
        (first["status"].as_str(), first["source"].as_str()),
        (Some("queued"), Some("autonomous")),
        "{first}"
    );
    let replay = tool_ok(&app, &key, "place_autonomous_order", args("a1")).await;
    assert_eq!(replay["id"], first["id"], "one order per idempotency key");
    let second = tool_ok(&app, &key, "place_autonomous_order", args("a2")).await;
    assert_ne!(second["id"], first["id"]);
    assert_eq!(app.count_rows("orders").await, 2);

    // Newest first, one a page.
    let page1 = tool_ok(&app, &key, "list_orders", json!({"limit": 1})).await;
    assert_eq!(
        (page1["orders"][0]["id"].clone(), page1["has_more"].clone()),
        (second["id"].clone(), json!(true))
    );
    assert_eq!(page1["next_cursor"], second["id"]);
    let page2 = tool_ok(
        &app,
        &key,
        "list_orders",
        json!({"limit": 1, "starting_after": page1["next_cursor"]}),
    )
    .await;
    assert_eq!(
        (page2["orders"][0]["id"].clone(), page2["has_more"].clone()),
        (first["id"].clone(), json!(false))
    );

    // Cancel: a paid test order is refunded; cancelling again answers it as it is.
    let c = tool_ok(
        &app,
        &key,
        "cancel_order",
        json!({"order_id": second["id"]}),
    )
    .await;
    assert_eq!(c["status"], "refunded", "{c}");
    let c2 = tool_ok(
        &app,
        &key,
        "cancel_order",
        json!({"order_id": second["id"]}),
    )
    .await;
    assert_eq!(c2["status"], "refunded");
    let err = tool_err(
        &app,
        Some(&key),
        "cancel_order",
        json!({"order_id": format!("ord_{}", "c".repeat(32))}),
    )
    .await;
    assert_eq!(err["status"], 404, "{err}");

    // Reorder: the same part priced again as a new quote.
    let r = tool_ok(
        &app,
        &key,
        "reorder",
        json!({"order_id": first["id"], "quantity": 3}),
    )
    .await;
    assert_eq!(r["reordered_from"], first["id"]);
    assert_ne!(r["quote_id"], q["quote_id"]);
    assert_eq!(
        (
            r["file_id"].clone(),
            r["material_id"].clone(),
            r["quantity"].clone()
        ),
        (q["file_id"].clone(), q["material_id"].clone(), json!(3))
    );
    let (_, stored) = get(
        &app,
        &key,
        &format!("/v1/quotes/{}", r["quote_id"].as_str().expect("id")),
    )
    .await;
    assert_eq!(stored["total"], r["total"]);
    let err = tool_err(
        &app,
        Some(&key),
        "reorder",
        json!({"order_id": format!("ord_{}", "d".repeat(32))}),
    )
    .await;
    assert_eq!(err["status"], 404, "{err}");

    // Autopay off: the API's refusal, every failed condition named.
    set_billing(&app, &account, None).await;
    let err = tool_err(&app, Some(&key), "place_autonomous_order", args("a3")).await;
    assert_eq!(
        (err["status"].as_u64(), err["error"].as_str()),
        (Some(403), Some("autonomous_not_allowed")),
        "{err}"
    );
    assert!(
        err["failed_conditions"]
            .as_array()
            .is_some_and(|c| c.contains(&json!("autopay_disabled"))),
        "{err}"
    );
}
