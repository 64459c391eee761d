//! The operator's view of the farm: `GET /farm` (a page; its script asks
//! for the operator token once and keeps it in `sessionStorage`) and its
//! data, `GET /internal/farm/overview` (the operator token,
//! `farm_operator_token`, as `Authorization: Bearer`: the same credential
//! the farm component's operator routes take, so the page's clear button
//! works with it).
//!
//! The overview reads each printer row whole (`to_jsonb`); the filament
//! shown is the `loaded` column, what the printer's gateway last reported
//! (migration 0016). The page's clear
//! button calls `POST /internal/farm/printers/{serial}/clear` (the plate
//! contract, route 4) and says so plainly when that route is missing; its
//! resolve button calls `POST /internal/farm/printers/{serial}/resolve` for
//! a printer that needs attention, and its re-queue button `POST
//! /internal/farm/tasks/{task_id}/requeue` for a part that waits for a
//! person (gave up after three failures, or cancelled on the farm, its
//! order still in production), listed as `queue.needs_person`. Parts
//! printed and awaiting a person's verdict (a real printer's camera sends a
//! photo and no verdict) are listed as `awaiting_verdict` with their photos
//! as signed, expiring URLs (`verdict.rs`); the page's pass and fail buttons
//! call `POST /internal/farm/tasks/{task_id}/pass` and `.../fail`.

use farm_platform::html::{Assets, PAGES_CSS, page_with_assets};
use farm_platform::internal::require_operator;
use farm_platform::{ApiError, Ctx, col, response, wire};
use farm_production::utilisation::{FloorState, printing_share};
use serde_json::{Map, Value, json};
use spin_sdk::http::Response;

/// The utilisation window: the last 24 hours (issue 12, item 8's example).
const WINDOW_SECS: i64 = 24 * 3600;
/// Open tasks listed by the overview, oldest first; the counts cover all.
const QUEUE_LIMIT: i64 = 50;

pub fn page(ctx: &mut Ctx) -> Result<Response, ApiError> {
    // The photos of parts awaiting a verdict are shown from the object
    // store by their signed URLs: its origin is the one image source
    // besides this one.
    let store = crate::store_origin(ctx)?;
    let origins = [store.as_str()];
    let assets = Assets {
        modules: &["/assets/app/farm.js"],
        stylesheets: &[PAGES_CSS],
        origins: &origins,
        ..Assets::default()
    };
    let body = "<h1>Farm</h1>\
        <form id=\"token-form\" class=\"row\"><label for=\"operator-token\">Operator token</label>\
        <input id=\"operator-token\" type=\"password\" autocomplete=\"off\" required>\
        <button type=\"submit\">Show the farm</button></form>\
        <p><button type=\"button\" id=\"forget-token\" hidden>Forget the token</button> \
        <button type=\"button\" id=\"refresh\" hidden>Refresh</button></p>\
        <p id=\"farm-status\" role=\"status\" aria-live=\"polite\"></p>\
        <div id=\"farm\" class=\"wide\"></div>";
    Ok(page_with_assets(200, "Farm — operator view", body, &assets))
}

/// What the floor reports, as the utilisation rule's states.
fn floor_state(status: &str) -> FloorState {
    match status {
        "printing" => FloorState::Printing,
        "awaiting_clear" => FloorState::AwaitingClear,
        "paused" | "error" => FloorState::Attention,
        "offline" => FloorState::Offline,
        _ => FloorState::Idle,
    }
}

/// The loaded filament as the printer reports it: the `loaded` column
/// (migration 0016), the AMS trays (or external spool) the gateway sent
/// with its last claim, `[{material, color}]` (lowercase material id,
/// catalog colour name). `null` while no claim has reported it.
fn filament(p: &Value) -> Value {
    match &p["loaded"] {
        Value::Array(trays) => Value::Array(
            trays
                .iter()
                .filter(|t| t["material"].is_string())
                .map(|t| json!({"material": t["material"], "color": t["color"]}))
                .collect(),
        ),
        _ => Value::Null,
    }
}

fn awaiting_clear(p: &Value) -> bool {
    p["status"] == "awaiting_clear"
        || p["awaiting_clear"] == true
        || p["plate_state"] == "awaiting_clear"
}

pub fn overview(ctx: &mut Ctx) -> Result<Response, ApiError> {
    require_operator(ctx)?;
    let now = ctx.now();
    let from = now - WINDOW_SECS;
    let db = ctx.db()?;
    let printers = db.query(
        "select coalesce(s.id, ''), coalesce(s.name, p.site), to_jsonb(p)::text, \
                case when p.needs_attention then \
                  (select e.detail->>'reason' from farm_events e where e.printer_id = p.id \
                     and e.kind in ('needs_attention', 'dispatch_failed') \
                   order by e.occurred_at desc limit 1) end \
         from printers p left join farm_sites s on s.id = p.site_id order by 2, p.serial",
        &[],
    )?;
    // Each printer's state when the window opened (its last status before),
    // then its changes inside the window, in order.
    let changes = db.query(
        "select p.serial, e.status, extract(epoch from e.occurred_at)::bigint, e.occurred_at < to_timestamp($1::bigint) \
         from printers p join lateral ( \
           (select status, occurred_at from farm_events where printer_id = p.id and status is not null \
              and occurred_at < to_timestamp($1::bigint) order by occurred_at desc limit 1) \
           union all \
           (select status, occurred_at from farm_events where printer_id = p.id and status is not null \
              and occurred_at >= to_timestamp($1::bigint) order by occurred_at)) e on true \
         order by p.serial, e.occurred_at",
        &[from.into()],
    )?;
    let counts = db.query(
        "select status, count(*) from print_tasks group by status order by status",
        &[],
    )?;
    let open = db.query(
        "select id, status, material, color, estimated_hours, extract(epoch from created_at)::bigint \
         from print_tasks where status in ('queued', 'claimed', 'printing') \
         order by created_at, id limit $1",
        &[QUEUE_LIMIT.into()],
    )?;

    let stuck = db.query(
        "select t.id, t.status, t.order_id, t.copy_index, t.failures, t.material, t.color \
         from print_tasks t join orders o on o.id = t.order_id \
         where t.status in ('gave_up', 'cancelled') and o.status in ('queued', 'in_production') \
         order by t.updated_at, t.id limit $1",
        &[QUEUE_LIMIT.into()],
    )?;

    let awaiting_verdict = crate::verdict::awaiting(ctx)?;

    let mut sites: Vec<(String, String, Vec<Value>)> = Vec::new();
    let mut shares = Vec::new();
    for row in &printers.rows {
        let (site_id, site_name): (String, String) = (col(row, 0)?, col(row, 1)?);
        let p: Value = serde_json::from_str(&col::<String>(row, 2)?)
            .map_err(|e| ApiError::internal(format!("printer row: {e}")))?;
        let serial = p["serial"].as_str().unwrap_or("").to_owned();
        let mut before = FloorState::Offline;
        let mut inside = Vec::new();
        for c in changes.rows.iter() {
            if col::<String>(c, 0)? != serial {
                continue;
            }
            let state = floor_state(&col::<String>(c, 1)?);
            if col::<bool>(c, 3)? {
                before = state;
            } else {
                inside.push((col::<i64>(c, 2)?, state));
            }
        }
        let share = printing_share(before, &inside, from, now);
        shares.push(share);
        let printer = json!({
            "serial": serial,
            "name": p["name"],
            "model": p["model"],
            "status": p["status"],
            "gcode_state": p["gcode_state"],
            "progress": p["progress"],
            "remaining_minutes": p["remaining_minutes"],
            "current_file": p["current_file"],
            "needs_attention": p["needs_attention"] == true,
            "attention_reason": col::<Option<String>>(row, 3)?,
            "awaiting_clear": awaiting_clear(&p),
            "filament": filament(&p),
            "last_seen": p["last_seen"],
            "utilisation": share,
        });
        match sites
            .iter_mut()
            .find(|(id, name, _)| *id == site_id && *name == site_name)
        {
            Some((_, _, list)) => list.push(printer),
            None => sites.push((site_id, site_name, vec![printer])),
        }
    }
    let mut by_status = Map::new();
    for row in &counts.rows {
        by_status.insert(col::<String>(row, 0)?, json!(col::<i64>(row, 1)?));
    }
    let mut tasks = Vec::new();
    for row in &open.rows {
        tasks.push(json!({
            "task_id": col::<i64>(row, 0)?,
            "status": col::<String>(row, 1)?,
            "material": col::<String>(row, 2)?,
            "color": col::<String>(row, 3)?,
            "estimated_hours": col::<f64>(row, 4)?,
            "created_at": wire::timestamp(col::<i64>(row, 5)?),
        }));
    }
    let mut needs_person = Vec::new();
    for row in &stuck.rows {
        needs_person.push(json!({
            "task_id": col::<i64>(row, 0)?,
            "status": col::<String>(row, 1)?,
            "order_id": col::<String>(row, 2)?,
            "part": col::<i32>(row, 3)?,
            "failures": col::<i32>(row, 4)?,
            "material": col::<String>(row, 5)?,
            "color": col::<String>(row, 6)?,
        }));
    }
    let awaiting: Vec<&Value> = sites
        .iter()
        .flat_map(|(_, _, list)| list.iter())
        .filter(|p| p["awaiting_clear"] == true)
        .map(|p| &p["serial"])
        .collect();
    let farm_share = if shares.is_empty() {
        0.0
    } else {
        shares.iter().sum::<f64>() / shares.len() as f64
    };
    Ok(response::ok(&json!({
        "object": "farm_overview",
        "generated_at": wire::timestamp(now),
        "sites": sites.iter().map(|(id, name, list)| json!({"id": id, "name": name, "printers": list})).collect::<Vec<_>>(),
        "awaiting_clear": awaiting,
        "queue": {"by_status": by_status, "open": tasks, "needs_person": needs_person},
        "awaiting_verdict": awaiting_verdict,
        "utilisation": {"window_seconds": WINDOW_SECS, "farm": farm_share},
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filament_is_what_the_printer_reports_in_its_loaded_column() {
        // A printer row as `to_jsonb(printers)` gives it after a claim that
        // reported two AMS trays (the gateway's `loaded`).
        let row = json!({"serial": "01P00A000000001", "loaded":
            [{"material": "pla", "color": "black"}, {"material": "petg", "color": "white"}]});
        assert_eq!(
            filament(&row),
            json!([{"material": "pla", "color": "black"}, {"material": "petg", "color": "white"}])
        );
        // Not reported yet: the column is null (or, on an older row, absent).
        assert_eq!(
            filament(&json!({"serial": "x", "loaded": null})),
            Value::Null
        );
        assert_eq!(filament(&json!({"serial": "x"})), Value::Null);
        // A tray without a material is no filament.
        assert_eq!(filament(&json!({"loaded": [{"color": "red"}]})), json!([]));
    }

    #[test]
    fn awaiting_clear_is_read_from_the_status_or_a_flag() {
        assert!(awaiting_clear(&json!({"status": "awaiting_clear"})));
        assert!(awaiting_clear(
            &json!({"status": "idle", "awaiting_clear": true})
        ));
        assert!(!awaiting_clear(&json!({"status": "idle"})));
    }
}
