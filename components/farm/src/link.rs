//! The gateway's three calls, each authenticated by the site token and
//! scoped to its site.

use farm_platform::{ApiError, Ctx, col, response, transaction};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use spin_sdk::http::Response;

use crate::authenticate_site;

/// Most printers one registration and most events one batch may carry: a
/// large farm site has tens of printers; 500 events of about 300 bytes stay
/// far below the 1 MiB body limit and apply in one statement well inside
/// hosted Spin's 30 s.
pub const MAX_BATCH: usize = 500;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Registration {
    printers: Vec<PrinterSpec>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct PrinterSpec {
    serial: String,
    model: String,
}

fn check_batch_len(field: &str, len: usize) -> Result<(), ApiError> {
    if len == 0 || len > MAX_BATCH {
        return Err(ApiError::invalid_field(
            field,
            &format!("between 1 and {MAX_BATCH} items"),
        ));
    }
    Ok(())
}

/// Postgres text cannot hold U+0000; a string with one is a 400 here rather
/// than a failed statement. `text` is raw text or serialized JSON.
pub(crate) fn refuse_nul(field: &str, text: &str) -> Result<(), ApiError> {
    if text.contains('\0') || text.contains("\\u0000") {
        return Err(ApiError::invalid_field(
            field,
            "contains a U+0000 character",
        ));
    }
    Ok(())
}

/// A printer serial as the Bambu protocol uses it in topics: 1 to 64 of
/// `A-Za-z0-9_-`.
fn is_valid_serial(serial: &str) -> bool {
    (1..=64).contains(&serial.len())
        && serial
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `PUT /internal/farm/printers`: makes the listed printers the site's (new
/// ones `offline` until their first event; a known one keeps its state and
/// gets the model from the list). 200 `{"printers": [{"id", "serial",
/// "model"}]}`; 409 `printer_taken` naming the serials another site has
/// registered (then nothing is registered); 400 for a bad list.
pub(crate) fn register_printers(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let site = authenticate_site(ctx)?;
    let body: Registration = ctx.json_body()?;
    check_batch_len("printers", body.printers.len())?;
    if let Some(bad) = body.printers.iter().find(|p| !is_valid_serial(&p.serial)) {
        return Err(ApiError::invalid_field(
            "printers",
            &format!(
                "serial {:?} is not 1 to 64 of A-Z, a-z, 0-9, _ and -",
                bad.serial
            ),
        ));
    }
    let list = serde_json::to_string(&body.printers).map_err(ApiError::internal)?;
    refuse_nul("printers", &list)?;
    let db = ctx.db()?;
    let registered = transaction(db, |db| {
        let rows = db.query(
            "insert into printers (serial, name, model, site, site_id)
             select x.serial, x.serial, x.model, $2, $1
             from jsonb_to_recordset(($3::text)::jsonb) as x(serial text, model text)
             on conflict (serial) do update set model = excluded.model, site = excluded.site,
                 site_id = excluded.site_id, updated_at = now()
             where printers.site_id is null or printers.site_id = excluded.site_id
             returning id, serial, model",
            &[
                site.id.clone().into(),
                site.name.clone().into(),
                list.into(),
            ],
        )?;
        let mut registered = Vec::new();
        for row in &rows.rows {
            registered.push(serde_json::json!({
                "id": col::<String>(row, 0)?,
                "serial": col::<String>(row, 1)?,
                "model": col::<String>(row, 2)?,
            }));
        }
        let taken: Vec<&str> = body
            .printers
            .iter()
            .map(|p| p.serial.as_str())
            .filter(|s| !registered.iter().any(|r| r["serial"] == *s))
            .collect();
        if !taken.is_empty() {
            return Err(ApiError::new(
                409,
                "printer_taken",
                "Another site has registered these printers; a printer belongs to one site.",
            )
            .with_detail("serials", taken));
        }
        Ok(registered)
    })?;
    Ok(response::ok(&serde_json::json!({ "printers": registered })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventBatch {
    events: Vec<Event>,
}

/// One gateway event (printer-gateway `link::FarmEvent`).
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Event {
    /// Gateway-generated, unique per event (a UUID), 1 to 64 characters.
    id: String,
    printer: String,
    kind: String,
    /// RFC 3339 UTC, e.g. `2026-11-30T04:00:00.123Z`.
    occurred_at: String,
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<PrinterState>,
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    #[serde(skip_serializing_if = "Option::is_none")]
    task_id: Option<i64>,
    /// The plate the event is about (plate contract §2).
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    #[serde(skip_serializing_if = "Option::is_none")]
    plate_id: Option<String>,
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<serde_json::Map<String, Value>>,
}

/// The printer's state after the event (the `printers` columns).
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct PrinterState {
    status: PrinterStatus,
    gcode_state: Option<String>,
    progress: u8,
    remaining_minutes: Option<u32>,
    current_file: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
enum PrinterStatus {
    Idle,
    Printing,
    Paused,
    Error,
    Offline,
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z` with plausible field ranges; Postgres
/// parses it exactly afterwards.
fn is_rfc3339_utc(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let num =
        |r: std::ops::Range<usize>| s.get(r).and_then(|t| t.parse::<u32>().ok()).unwrap_or(99);
    let head = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    let tail = match b.get(19) {
        Some(b'Z') => b.len() == 20,
        Some(b'.') => {
            b.len() >= 22 && b.len() <= 30 && digits(20..b.len() - 1) && b[b.len() - 1] == b'Z'
        }
        _ => false,
    };
    head && tail
        && (1..=12).contains(&num(5..7))
        && (1..=31).contains(&num(8..10))
        && num(11..13) < 24
        && num(14..16) < 60
        && num(17..19) < 60
}

/// `POST /internal/farm/events`: applies a batch of the site's printer
/// events in order, in one transaction, each at most once. 200 `{"results":
/// [{"id", "outcome": "applied" | "duplicate" | "rejected", "reason"}],
/// "applied", "duplicate", "rejected"}`: every event of the batch has a
/// result, and the gateway may forget all of them (a rejected one, e.g. a
/// printer that is not this site's, would be rejected again). 400 for a
/// malformed batch (then nothing is applied).
pub(crate) fn push_events(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let site = authenticate_site(ctx)?;
    let body: EventBatch = ctx.json_body()?;
    check_batch_len("events", body.events.len())?;
    for (i, event) in body.events.iter().enumerate() {
        if !(1..=64).contains(&event.id.chars().count()) {
            return Err(ApiError::invalid_field(
                &format!("events[{i}].id"),
                "1 to 64 characters",
            ));
        }
        if let Some(state) = &event.state
            && (state.progress > 100
                || state.remaining_minutes.is_some_and(|m| m > i32::MAX as u32))
        {
            return Err(ApiError::invalid_field(
                &format!("events[{i}].state"),
                "progress is 0 to 100 and remaining_minutes at most 2147483647",
            ));
        }
        if !is_rfc3339_utc(&event.occurred_at) {
            return Err(ApiError::invalid_field(
                &format!("events[{i}].occurred_at"),
                "an RFC 3339 UTC time such as 2026-11-30T04:00:00.123Z",
            ));
        }
    }
    let events = serde_json::to_string(&body.events).map_err(ApiError::internal)?;
    refuse_nul("events", &events)?;
    let rows = ctx.db()?.query(
        "with r as materialized (select * from farm_apply_events($1, ($2::text)::jsonb))
         select (select coalesce(json_agg(json_build_object('id', r.event_id, 'outcome', r.outcome,
                   'reason', r.reason)), '[]')::text from r),
                (select coalesce(array_agg(j), '{}')::text from r, unnest(r.jobs) j)",
        &[site.id.into(), events.into()],
    )?;
    let row = rows
        .rows
        .first()
        .ok_or_else(|| ApiError::internal("farm_apply_events returned no row"))?;
    let results: Vec<Value> =
        serde_json::from_str(&col::<String>(row, 0)?).map_err(ApiError::internal)?;
    // The order workers the batch queued (`advance_order`): started right
    // after the answer; the tick runs whatever this does not finish.
    let jobs: Vec<i64> = col::<String>(row, 1)?
        .trim_matches(|c| c == '{' || c == '}')
        .split(',')
        .filter_map(|j| j.trim().parse().ok())
        .collect();
    if !jobs.is_empty() {
        let worker = farm_platform::work::Worker::from_ctx(ctx)?;
        ctx.after_response(move || {
            for job in jobs {
                worker.run_now(job);
            }
        });
    }
    let count = |outcome: &str| results.iter().filter(|r| r["outcome"] == outcome).count();
    let (applied, duplicate, rejected) = (count("applied"), count("duplicate"), count("rejected"));
    if rejected > 0 {
        ctx.log(format!(
            "farm events: {rejected} rejected of {}",
            results.len()
        ));
    }
    Ok(response::ok(&serde_json::json!({
        "results": results,
        "applied": applied,
        "duplicate": duplicate,
        "rejected": rejected,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn occurred_at_must_be_rfc3339_utc() {
        for good in ["2026-11-30T04:00:00Z", "2026-11-30T04:00:00.123456Z"] {
            assert!(is_rfc3339_utc(good), "{good}");
        }
        for bad in [
            "",
            "2026-11-30 04:00:00Z",
            "2026-11-30T04:00:00+01:00",
            "2026-13-30T04:00:00Z",
            "2026-11-30T24:00:00Z",
            "2026-11-30T04:00:00.Z",
        ] {
            assert!(!is_rfc3339_utc(bad), "{bad}");
        }
    }

    #[test]
    fn serials_are_topic_safe() {
        assert!(is_valid_serial("01P00A123456789"));
        assert!(!is_valid_serial("a/b"));
        assert!(!is_valid_serial(""));
        assert!(!is_valid_serial("+"));
    }
}
