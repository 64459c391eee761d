//! `POST /internal/farm/claims` (plate contract §1): the scheduler on a
//! claim. In one transaction: the printer row is locked (one claim per
//! printer at a time), a flagged, uncleared or busy printer gets no plate, a
//! held unexpired lease is answered again, expired leases go back to the
//! queue, and otherwise the queued tasks that match the printer's filament
//! are locked, ordered and packed by `farm_scheduler::schedule`, and leased
//! as one plate. Claims take turns under an advisory lock, so two printers
//! never take the same task and none sees an empty queue because another
//! claim is looking at it.

use farm_platform::farm_domain::api_key::to_hex;
use farm_platform::{ApiError, Ctx, col, random_bytes, response, transaction};
use farm_scheduler::{Bed, Printer, QueuedPart, ScheduleConfig, schedule};
use serde::Deserialize;
use serde_json::{Value, json};
use spin_sdk::http::Response;
use spin_sdk::pg4::Connection;

use crate::authenticate_site;
use crate::link::refuse_nul;

/// How long a plate stays leased to its printer before its tasks return to
/// the queue: slicing (a minute or two), the FTPS upload and the 120 s start
/// timeout of issue 11 item 2, with room to spare.
pub const CLAIM_LEASE_SECS: i64 = 600;

/// Mesh URLs outlive the lease by this much, so a download that starts just
/// before the lease ends still completes (contract: expires ≥ lease).
const MESH_URL_SLACK_SECS: i64 = 300;

/// The advisory lock key that serializes claims (any constant no other
/// advisory lock of the app uses: "plates" in ASCII).
const CLAIM_LOCK_KEY: i64 = 0x706c_6174_6573;

/// Queued tasks one claim considers (the oldest and re-prints first): enough
/// to fill a bed with small parts many times over, bounded so a claim on a
/// long queue stays one quick statement.
const CANDIDATE_LIMIT: i64 = 2000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimRequest {
    printer: String,
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    loaded: Option<Vec<Filament>>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct Filament {
    material: String,
    color: String,
}

#[derive(Debug, Deserialize)]
struct PrinterRow {
    id: String,
    needs_attention: bool,
    awaiting_clear: bool,
    loaded: Option<Vec<Filament>>,
    nozzle_mm: f64,
}

#[derive(Debug, Deserialize)]
struct Candidate {
    id: i64,
    order_id: Option<String>,
    material: String,
    color: String,
    bbox: Option<Vec<f64>>,
    queued_at: i64,
    ship_by: Option<i64>,
    failures: i64,
    estimated_hours: f64,
}

/// What the claim decided, before rendering (URLs are signed after commit).
enum Outcome {
    Plate(String),
    Reason(&'static str),
    /// A plate is printing on the printer: its id, so a gateway that has
    /// no record of it (a restart with a fresh spool) can report it lost.
    Busy(String),
}

/// 200 `{"reason", "plate": {...} | null}` (contract §1; `busy` adds
/// `printing_plate_id`, the plate printing on the printer); 404
/// `printer_not_found` for a serial that is not this site's.
pub(crate) fn claim(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let site = authenticate_site(ctx)?;
    let body: ClaimRequest = ctx.json_body()?;
    refuse_nul("printer", &body.printer)?;
    let loaded = body
        .loaded
        .map(|l| serde_json::to_string(&l))
        .transpose()
        .map_err(ApiError::internal)?;
    if let Some(l) = &loaded {
        refuse_nul("loaded", l)?;
    }
    let now = ctx.now();
    let db = ctx.db()?;
    let outcome = transaction(db, |db| decide(db, &site.id, &body.printer, loaded, now))?;
    let plate = match outcome {
        Outcome::Reason(reason) => {
            return Ok(response::ok(&json!({ "reason": reason, "plate": null })));
        }
        Outcome::Busy(printing) => {
            return Ok(response::ok(
                &json!({ "reason": "busy", "plate": null, "printing_plate_id": printing }),
            ));
        }
        Outcome::Plate(id) => id,
    };
    let rendered = render_plate(ctx, &plate)?;
    Ok(response::ok(
        &json!({ "reason": "claimed", "plate": rendered }),
    ))
}

fn one_json<T: serde::de::DeserializeOwned>(
    db: &Connection,
    sql: &str,
    params: &[spin_sdk::pg4::ParameterValue],
) -> Result<Option<T>, ApiError> {
    let rows = db.query(sql, params)?;
    let Some(row) = rows.rows.first() else {
        return Ok(None);
    };
    let text: Option<String> = col(row, 0)?;
    text.map(|t| serde_json::from_str(&t).map_err(ApiError::internal))
        .transpose()
}

fn decide(
    db: &Connection,
    site_id: &str,
    serial: &str,
    loaded: Option<String>,
    now: i64,
) -> Result<Outcome, ApiError> {
    // Claims take turns (a transaction-scoped advisory lock): each packs the
    // queue as the previous claim left it. With row locks alone, one claim
    // holding the candidates it considered (SKIP LOCKED) would leave a
    // concurrent claim an empty queue although most of them stay queued.
    db.execute("select pg_advisory_xact_lock($1)", &[CLAIM_LOCK_KEY.into()])?;
    let printer: PrinterRow = one_json(
        db,
        "update printers p set loaded = coalesce(($3::text)::jsonb, p.loaded)
         where p.serial = $1 and p.site_id = $2
         returning json_build_object('id', p.id, 'needs_attention', p.needs_attention,
           'awaiting_clear', p.awaiting_clear, 'loaded', p.loaded, 'nozzle_mm', p.nozzle_mm)::text",
        &[
            serial.to_owned().into(),
            site_id.to_owned().into(),
            loaded.map_or(spin_sdk::pg4::ParameterValue::DbNull, Into::into),
        ],
    )?
    .ok_or_else(|| {
        ApiError::new(
            404,
            "printer_not_found",
            "This site has registered no printer with that serial (PUT /internal/farm/printers).",
        )
    })?;
    if printer.needs_attention {
        return Ok(Outcome::Reason("needs_attention"));
    }
    if printer.awaiting_clear {
        return Ok(Outcome::Reason("awaiting_clear"));
    }
    // Leases that ran out before their print started: the tasks go back
    // (the tick does the same for sites that stopped claiming).
    db.query("select farm_release_expired_leases()", &[])?;
    let held: Option<(String, String)> = {
        let rows = db.query(
            "select id, status from plates where printer_id = $1 and status in ('leased', 'printing')",
            &[printer.id.clone().into()],
        )?;
        match rows.rows.first() {
            Some(row) => Some((col(row, 0)?, col(row, 1)?)),
            None => None,
        }
    };
    match held {
        Some((id, status)) if status == "leased" => return Ok(Outcome::Plate(id)),
        Some((id, _)) => return Ok(Outcome::Busy(id)),
        None => {}
    }
    let filaments = serde_json::to_string(&printer.loaded).map_err(ApiError::internal)?;
    let candidates: Vec<Candidate> = one_json(
        db,
        "select coalesce(json_agg(c), '[]')::text from (
           select t.id, t.order_id, t.material, t.color,
                  (select array_agg(v::float8) from jsonb_array_elements_text(f.metrics->'bbox_mm') v) as bbox,
                  extract(epoch from t.created_at)::bigint as queued_at,
                  extract(epoch from o.estimated_ship::timestamptz + interval '1 day')::bigint as ship_by,
                  t.failures, t.estimated_hours
           from print_tasks t
           join files f on f.id = t.file_id
           left join orders o on o.id = t.order_id
           where t.status = 'queued'
             and ($1::text = 'null' or exists (
                   select 1 from jsonb_array_elements(($1::text)::jsonb) l
                   where lower(l->>'material') = lower(t.material) and lower(l->>'color') = lower(t.color)))
           order by (t.failures > 0) desc, t.created_at, t.id
           limit $2
           for update of t skip locked) c",
        &[filaments.into(), CANDIDATE_LIMIT.into()],
    )?
    .unwrap_or_default();
    let parts: Vec<QueuedPart> = candidates.iter().map(to_part).collect();
    let Some(head) = farm_scheduler::priority::queue_order(&parts, now)
        .first()
        .map(|&i| &parts[i])
    else {
        return Ok(Outcome::Reason("queue_empty"));
    };
    // The plate's filament: the head of the queue's, among what is loaded.
    let me = Printer {
        id: printer.id.clone(),
        bed: Bed::BAMBU_256,
        material: head.material.clone(),
        color: head.color.clone(),
        nozzle_mm: printer.nozzle_mm,
    };
    let Some(plate) = schedule(
        &parts,
        std::slice::from_ref(&me),
        now,
        &ScheduleConfig::default(),
    )
    .into_iter()
    .next() else {
        return Ok(Outcome::Reason("queue_empty"));
    };
    let id = format!("plate_{}", to_hex(&random_bytes::<16>()?));
    let placements: Vec<Value> = plate
        .placements
        .iter()
        .map(|p| {
            json!({
                "id": p.part_id,
                "x": p.x_mm + p.width_mm / 2.0,
                "y": p.y_mm + p.depth_mm / 2.0,
                "rot": if p.rotated { 90 } else { 0 },
            })
        })
        .collect();
    db.execute(
        "with plate as (
           insert into plates (id, site_id, printer_id, material, color, task_ids, lease_expires_at)
           select $1, $2, $3, $4, $5, array_agg((x->>'id')::bigint),
                  now() + make_interval(secs => $7::bigint)
           from jsonb_array_elements(($6::text)::jsonb) x
           returning id, lease_expires_at)
         update print_tasks t set status = 'claimed', printer_id = $3, plate_id = plate.id,
                claimed_at = now(), lease_expires_at = plate.lease_expires_at,
                attempts = t.attempts + 1, center_x_mm = (x->>'x')::float8,
                center_y_mm = (x->>'y')::float8, rotation_deg = (x->>'rot')::int, updated_at = now()
         from plate, jsonb_array_elements(($6::text)::jsonb) x
         where t.id = (x->>'id')::bigint and t.status = 'queued'",
        &[
            id.clone().into(),
            site_id.to_owned().into(),
            printer.id.clone().into(),
            me.material.into(),
            me.color.into(),
            Value::Array(placements).to_string().into(),
            CLAIM_LEASE_SECS.into(),
        ],
    )?;
    Ok(Outcome::Plate(id))
}

/// The scheduler's view of a queued task. A file without a bounding box
/// (never analysed) is given the whole usable bed, so it prints alone.
fn to_part(c: &Candidate) -> QueuedPart {
    let bbox = c.bbox.clone().unwrap_or_default();
    let side = |i: usize, fallback: f64| bbox.get(i).copied().unwrap_or(fallback);
    QueuedPart {
        id: u64::try_from(c.id).unwrap_or_default(),
        order_id: c.order_id.clone().unwrap_or_default(),
        width_mm: side(0, 240.0),
        depth_mm: side(1, 240.0),
        height_mm: side(2, 1.0),
        material: c.material.clone(),
        color: c.color.clone(),
        nozzle_mm: 0.4,
        queued_at: c.queued_at,
        ship_by: c.ship_by,
        attempt: u32::try_from(c.failures).unwrap_or_default(),
        estimated_hours: c.estimated_hours,
    }
}

#[derive(Debug, Deserialize)]
struct PlateRow {
    id: String,
    printer: String,
    material: String,
    color: String,
    lease_expires_at: String,
    lease_secs_left: i64,
    parts: Vec<PartRow>,
}

#[derive(Debug, Deserialize)]
struct PartRow {
    task_id: i64,
    job_id: Option<String>,
    order_id: Option<String>,
    file_id: String,
    object_key: String,
    format: String,
    unit: Option<String>,
    center_x_mm: f64,
    center_y_mm: f64,
    rotation_deg: i32,
    estimated_hours: f64,
    failures: i32,
}

/// The plate as the contract shapes it, with a presigned GET per part.
fn render_plate(ctx: &mut Ctx, plate_id: &str) -> Result<Value, ApiError> {
    let plate: PlateRow = one_json(
        ctx.db()?,
        "select json_build_object(
           'id', p.id, 'printer', pr.serial, 'material', p.material, 'color', p.color,
           'lease_expires_at', to_char(p.lease_expires_at at time zone 'utc', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
           'lease_secs_left', greatest(0, extract(epoch from p.lease_expires_at - now()))::bigint,
           'parts', (select coalesce(json_agg(json_build_object(
               'task_id', t.id, 'job_id', t.job_id, 'order_id', t.order_id, 'file_id', t.file_id,
               'object_key', t.object_key, 'format', f.format, 'unit', f.metrics->>'unit',
               'center_x_mm', t.center_x_mm, 'center_y_mm', t.center_y_mm,
               'rotation_deg', t.rotation_deg, 'estimated_hours', t.estimated_hours,
               'failures', t.failures) order by t.id), '[]')
             from print_tasks t join files f on f.id = t.file_id
             where t.plate_id = p.id and t.status = 'claimed'))::text
         from plates p join printers pr on pr.id = p.printer_id where p.id = $1",
        &[plate_id.to_owned().into()],
    )?
    .ok_or_else(|| ApiError::internal("the claimed plate vanished"))?;
    let expires = u64::try_from(plate.lease_secs_left + MESH_URL_SLACK_SECS).unwrap_or(900);
    let mut parts = Vec::with_capacity(plate.parts.len());
    for p in &plate.parts {
        let url = upload_kit::store::presign_get(ctx, &p.object_key, expires)?;
        parts.push(json!({
            "task_id": p.task_id,
            "job_id": p.job_id.clone().or_else(|| p.order_id.clone()),
            "file_id": p.file_id,
            "mesh_url": url.url,
            "format": p.format,
            "unit": p.unit.as_deref().unwrap_or("mm"),
            "center_mm": [p.center_x_mm, p.center_y_mm],
            "rotation_deg": p.rotation_deg,
            "estimated_hours": p.estimated_hours,
            "attempt": p.failures + 1,
        }));
    }
    Ok(json!({
        "id": plate.id,
        "printer": plate.printer,
        "material": plate.material,
        "color": plate.color,
        "lease_expires_at": plate.lease_expires_at,
        "parts": parts,
    }))
}
