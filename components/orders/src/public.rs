//! What anyone holding a link may see, without an API key:
//! `GET /v1/public/orders/{public_order_id}` (JSON), the same as a page at
//! the `tracking_url` (`/orders/{public_order_id}`), and the review page
//! (`/review/{token}`) a person reads before approving a payment.
//!
//! Tracking shows only what `farm_orders::tracking` allows: status,
//! timeline, ship date, and the tracking number and inspection photos once
//! shipped; never the address, email, price or account. An unknown or
//! malformed id runs the same query as a known one, so the answer's time
//! does not tell them apart.

use farm_platform::html::{escape, page};
use farm_platform::{ApiError, Ctx, col, response, wire};
use order_kit::farm_orders::photo_key;
use order_kit::farm_orders::tracking::{
    self, OrderFacts, PublicPhoto, PublicView, Reprint, TimelineEntry,
};
use order_kit::farm_orders::{OrderStatus, public_id};
use serde_json::{Value, json};
use spin_sdk::http::Response;

fn not_found() -> ApiError {
    ApiError::new(
        404,
        "order_not_found",
        "No order has this public id. Check the tracking link.",
    )
}

/// The public view of the order with public id `id`, or `None`. One
/// statement whatever the id (a malformed one is looked up too).
fn view(ctx: &mut Ctx, id: &str) -> Result<Option<PublicView>, ApiError> {
    // A malformed id is replaced by one of the right form that no order has
    // (all zeros is never drawn in practice: 2^-160), so the same work runs.
    let key = if public_id::is_valid(id) {
        id.to_owned()
    } else {
        public_id::format([0; public_id::RANDOM_BYTES])
    };
    let rows = ctx.db()?.query(
        "select o.status, o.estimated_ship::text, o.tracking_number, o.inspection_photos::text, \
                coalesce((select string_agg(e.type || ' ' || extract(epoch from e.created_at)::bigint, ',' order by e.seq) \
                          from events e where e.order_id = o.id and e.type like 'order.%'), ''), \
                (select coalesce(json_agg(json_build_object( \
                   'part', coalesce(e.data->'print_failure'->'part', e.data->'inspection'->'part'), \
                   'attempt', coalesce(e.data->'print_failure'->'attempt', e.data->'inspection'->'attempt'), \
                   'failed', case when e.type = 'order.print_failed' then 'print' else 'inspection' end, \
                   'defect', e.data->'inspection'->>'defect', \
                   'print_error', e.data->'print_failure'->'print_error', \
                   'reason', e.data->'print_failure'->>'reason', \
                   'at', extract(epoch from e.created_at)::bigint) order by e.seq), '[]')::text \
                 from events e where e.order_id = o.id and (e.type = 'order.print_failed' \
                   or (e.type = 'order.inspection' and (e.data->'inspection'->>'passed')::boolean is false))), \
                (select coalesce(json_object_agg(t.id, t.copy_index), '{}')::text \
                 from print_tasks t where t.order_id = o.id), \
                o.needs_attention \
         from orders o where o.public_order_id = $1",
        &[key.into()],
    )?;
    let Some(row) = rows.rows.first() else {
        return Ok(None);
    };
    let status: String = col(row, 0)?;
    let photos: String = col(row, 3)?;
    let events: String = col(row, 4)?;
    let timeline = events
        .split(',')
        .filter_map(|e| {
            let (kind, at) = e.split_once(' ')?;
            let name = kind.strip_prefix("order.")?;
            let status = if name == "created" {
                OrderStatus::RequiresPayment
            } else {
                OrderStatus::parse(name)?
            };
            Some(TimelineEntry {
                status,
                at: at.parse().ok()?,
            })
        })
        .collect();
    let reprints: String = col(row, 5)?;
    let reprints: Vec<Value> = serde_json::from_str(&reprints).map_err(ApiError::internal)?;
    let reprints = reprints
        .iter()
        .map(|r| Reprint {
            part: r["part"].as_i64().unwrap_or_default(),
            attempt: r["attempt"].as_i64().unwrap_or_default(),
            failed: r["failed"].as_str().unwrap_or_default().to_owned(),
            defect: r["defect"].as_str().map(str::to_owned),
            print_error: r["print_error"]
                .as_u64()
                .and_then(|n| u32::try_from(n).ok()),
            reason: r["reason"].as_str().map(str::to_owned),
            at: r["at"].as_i64().unwrap_or_default(),
        })
        .collect();
    Ok(Some(tracking::public_view(OrderFacts {
        status: OrderStatus::parse(&status).ok_or_else(|| ApiError::internal("order status"))?,
        estimated_ship: col(row, 1)?,
        tracking_number: col(row, 2)?,
        inspection_photos: signed_photos(ctx, &photos, &col::<String>(row, 6)?)?,
        timeline,
        reprints,
        needs_attention: col(row, 7)?,
    })))
}

/// The order's inspection photos (object keys, stored when it shipped) as
/// presigned GET URLs valid for an hour (partners never get a lasting
/// link), each labelled with its part (`parts`: task id → copy number, a
/// JSON object) and view, read from its key.
fn signed_photos(ctx: &Ctx, stored: &str, parts: &str) -> Result<Vec<PublicPhoto>, ApiError> {
    let keys: Vec<String> = serde_json::from_str(stored).unwrap_or_default();
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let parts: Value = serde_json::from_str(parts).map_err(ApiError::internal)?;
    let urls = order_kit::production::PhotoUrls::from_ctx(ctx)?;
    keys.iter()
        .map(|k| {
            let key = photo_key::parse(k);
            Ok(PublicPhoto {
                part: key
                    .as_ref()
                    .and_then(|key| parts[key.task_id.to_string()].as_i64()),
                view: key.map(|key| key.view),
                url: urls.sign(k, order_kit::production::ANSWER_URL_SECS)?,
            })
        })
        .collect()
}

fn to_json(id: &str, v: &PublicView, base: &str) -> Value {
    json!({
        "object": "public_order",
        "public_order_id": id,
        "status": v.status.as_str(),
        "needs_attention": v.needs_attention,
        "timeline": v.timeline.iter().map(|t| json!({"status": t.status.as_str(), "at": wire::timestamp(t.at)})).collect::<Vec<_>>(),
        "reprints": v.reprints.iter().map(|r| json!({"part": r.part, "attempt": r.attempt, "failed": r.failed,
            "defect": r.defect, "print_error": r.print_error, "reason": r.reason,
            "at": wire::timestamp(r.at)})).collect::<Vec<_>>(),
        "estimated_ship": v.estimated_ship,
        "tracking_number": v.tracking_number,
        "inspection_photos": v.inspection_photos.iter().map(|p| &p.url).collect::<Vec<_>>(),
        "photos": v.inspection_photos.iter()
            .map(|p| json!({"part": p.part, "view": p.view, "url": p.url}))
            .collect::<Vec<_>>(),
        "tracking_url": format!("{base}/orders/{id}"),
    })
}

pub fn tracking(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let id = ctx.param("public_order_id")?;
    let v = view(ctx, &id)?.ok_or_else(not_found)?;
    Ok(response::ok(&to_json(&id, &v, &crate::base_url(ctx)?)))
}

pub fn tracking_page(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let id = ctx.param("public_order_id")?;
    let Some(v) = view(ctx, &id)? else {
        return Ok(page(
            404,
            "Order not found",
            "<h1>Order not found</h1><p>No order has this tracking link.</p>",
        ));
    };
    let mut body = format!(
        "<h1>Order {}</h1><div id=\"live-order\" data-public-order-id=\"{}\">\
         <p>Status: <strong id=\"order-status-value\">{}</strong></p></div>",
        escape(&id),
        escape(&id),
        escape(v.status.as_str())
    );
    if v.needs_attention {
        body.push_str(
            "<p id=\"needs-attention\"><strong>On hold:</strong> a part failed three times, \
             so a person is checking this order before it goes on. Nothing ships incomplete.</p>",
        );
    }
    // The part in 3D: a second statement, for the page only (the JSON
    // answer stays one statement whatever the id).
    let part = ctx.db()?.query(
        "select f.object_key, f.format from orders o join files f on f.id = o.file_id \
         where o.public_order_id = $1",
        &[id.clone().into()],
    )?;
    if let Some(row) = part.rows.first() {
        body.push_str(&crate::part_view::viewer(
            ctx,
            &col::<String>(row, 0)?,
            &col::<String>(row, 1)?,
        )?);
    }
    if let Some(d) = &v.estimated_ship {
        body.push_str(&format!("<p>Estimated ship date: {}</p>", escape(d)));
    }
    if let Some(t) = &v.tracking_number {
        body.push_str(&format!("<p>Tracking number: {}</p>", escape(t)));
    }
    body.push_str("<h2>Timeline</h2><table><tr><th>Status</th><th>When (UTC)</th></tr>");
    for t in &v.timeline {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(t.status.as_str()),
            escape(&wire::timestamp(t.at))
        ));
    }
    body.push_str("</table>");
    if !v.reprints.is_empty() {
        body.push_str(
            "<h2>Failed attempts</h2><p>A part that fails is printed again; \
             at its third failure a person decides.</p><ul id=\"reprints\">",
        );
        // One line per failure: a plate's failed print fails all its parts
        // at once, so parts failing the same way together share a line.
        let mut i = 0;
        while i < v.reprints.len() {
            let r = &v.reprints[i];
            let mut parts = vec![r.part];
            while let Some(next) = v.reprints.get(i + parts.len()) {
                let same = (
                    next.attempt,
                    &next.failed,
                    &next.defect,
                    &next.reason,
                    next.at,
                ) == (r.attempt, &r.failed, &r.defect, &r.reason, r.at);
                if !same {
                    break;
                }
                parts.push(next.part);
            }
            i += parts.len();
            let why = match (r.failed.as_str(), &r.defect) {
                ("print", _) => match &r.reason {
                    Some(reason) => format!("the print failed: {reason}"),
                    None => "the print failed (the printer stopped it, or the plate was lost)"
                        .to_owned(),
                },
                (_, Some(d)) => format!("it failed inspection ({})", d.replace('_', " ")),
                _ => "it failed inspection".to_owned(),
            };
            let names: Vec<String> = parts.iter().map(i64::to_string).collect();
            let label = if parts.len() == 1 { "Part" } else { "Parts" };
            body.push_str(&format!(
                "<li>{label} {}, attempt {}: {} ({})</li>",
                names.join(", "),
                r.attempt,
                escape(&why),
                escape(&wire::timestamp(r.at))
            ));
        }
        body.push_str("</ul>");
    }
    // Links without JavaScript; order.js replaces them with the photos
    // themselves, captioned the same way.
    body.push_str("<section id=\"photos\" aria-live=\"polite\">");
    for p in &v.inspection_photos {
        body.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>",
            escape(&p.url),
            escape(&p.label())
        ));
    }
    body.push_str("</section>");
    crate::part_view::page(ctx, 200, "Order tracking", &body, &["/assets/app/order.js"])
}

/// `GET /review/{token}`: the part, its price, risks and confidence, for the
/// person to read before paying (seed 001's rule 4: surface risks,
/// confidence and warnings before asking approval).
pub fn review_page(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let token = ctx.param("token")?;
    let well_formed = token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit());
    let rows = ctx.db()?.query(
        "select o.quantity, o.material, o.color, o.total_cents, o.status, o.approval_url, \
                q.response::text, f.filename, f.object_key, f.format, o.shipping_address::text \
         from orders o join quotes q on q.id = o.quote_id join files f on f.id = o.file_id \
         where o.review_token = $1",
        &[if well_formed { token } else { "0".repeat(32) }.into()],
    )?;
    let Some(row) = rows.rows.first() else {
        return Ok(page(
            404,
            "Review not found",
            "<h1>Review not found</h1><p>This review link is not valid.</p>",
        ));
    };
    let quote: Value = serde_json::from_str(&col::<String>(row, 6)?).unwrap_or(Value::Null);
    let total = farm_platform::farm_domain::money::Money::usd_cents(col(row, 3)?).display();
    let status: String = col(row, 4)?;
    let approval: Option<String> = col(row, 5)?;
    let risks: Vec<String> = quote["risk_flags"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let mut body = format!(
        "<h1>Review your order</h1><table>\
         <tr><th>File</th><td>{}</td></tr><tr><th>Part</th><td>{} × {} {}</td></tr>\
         <tr><th>Price</th><td>{}</td></tr><tr><th>Execution confidence</th><td>{}</td></tr>\
         <tr><th>Risks</th><td>{}</td></tr><tr><th>Estimated ship</th><td>{}</td></tr>\
         <tr><th>Status</th><td>{}</td></tr></table>",
        escape(&col::<String>(row, 7)?),
        col::<i32>(row, 0)?,
        escape(&col::<String>(row, 1)?),
        escape(&col::<String>(row, 2)?),
        escape(&total),
        escape(&quote["execution_confidence"].to_string()),
        if risks.is_empty() {
            "none".to_owned()
        } else {
            escape(&risks.join(", "))
        },
        escape(quote["estimated_ship"].as_str().unwrap_or("-")),
        escape(&status),
    );
    body.push_str(&address_html(col::<Option<String>>(row, 10)?.as_deref()));
    body.push_str(&crate::part_view::viewer(
        ctx,
        &col::<String>(row, 8)?,
        &col::<String>(row, 9)?,
    )?);
    if status == "requires_payment"
        && let Some(url) = approval
    {
        body.push_str(&format!(
            "<p><a class=\"button\" id=\"approve\" href=\"{}\">Approve and pay</a></p>",
            escape(&url)
        ));
    }
    crate::part_view::page(ctx, 200, "Review your order", &body, &[])
}

/// The shipping address as the person entered it (seed 001's fields).
fn address_html(stored: Option<&str>) -> String {
    let a: Value = stored
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null);
    let lines: Vec<String> = [
        a["line1"].as_str().map(str::to_owned),
        a["line2"].as_str().map(str::to_owned),
        Some(
            [
                a["postal_code"].as_str(),
                a["city"].as_str(),
                a["state"].as_str(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
        )
        .filter(|l| !l.is_empty()),
        a["country"].as_str().map(str::to_owned),
    ]
    .into_iter()
    .flatten()
    .collect();
    if lines.is_empty() {
        return "<p>Shipping address: none given yet.</p>".to_owned();
    }
    format!(
        "<h2>Ships to</h2><address>{}</address>",
        lines
            .iter()
            .map(|l| escape(l))
            .collect::<Vec<_>>()
            .join("<br>")
    )
}
