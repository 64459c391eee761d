//! The work queue's `advance_order` handler (private route
//! `/work/advance_order`): the order-level rules after farm events, in Rust
//! with `farm-production`'s rules, one transaction per run under the order's
//! row lock. `farm_apply_events` queues it in the same transaction as the
//! events it applies (one job per event and order); it is idempotent, so it
//! may run any number of times:
//!
//! 1. energy of each finished print (once per attempt);
//! 2. a failed print or inspection: back to the queue at the front
//!    (`failures` is the count), or, at the third failure, the part gives up;
//!    a failed print is announced as `order.print_failed` (part, attempt,
//!    `next`: `reprint` or `gave_up`, and the printer's `print_error` and
//!    the gateway's `reason` from the failure's farm event);
//!    the order's `estimated_ship` moves later if the queue now needs it;
//! 3. `order.in_production` at the first start;
//! 4. `order.inspection` for each inspection not yet announced;
//! 5. a part that gave up (or that the farm cancelled) flags the order for a
//!    person (`needs_attention`, `status_detail`, `order.status_changed`);
//! 6. every part passed and nothing flagged: a label from the shipping
//!    provider, `shipped` (`order.shipped` with carrier, tracking number,
//!    photos and energy per part), and this job again after the transit;
//! 7. shipped and the transit over: `delivered` (`order.delivered`).

use farm_platform::work::{self, Job};
use farm_platform::{ApiError, Ctx, response, transaction};
use farm_production::energy;
use farm_production::reprint::{self, Failure, Next, PrintCause};
use farm_production::shipping::{Carrier, PartOutcome, SimulatedCarrier, ready_to_ship};
use order_kit::farm_orders::OrderStatus;
use order_kit::farm_orders::status::Action;
use order_kit::lifecycle;
use serde::Deserialize;
use serde_json::{Value, json};
use spin_sdk::http::Response;
use spin_sdk::pg4::Connection;

use crate::settings::Settings;
use order_kit::production::{PhotoUrls, photo_urls};

/// The work kind (`farm_platform::work::handlers`).
pub const ADVANCE_ORDER: &str = farm_platform::work::handlers::ADVANCE_ORDER;

#[derive(Debug, Deserialize)]
struct Payload {
    order_id: String,
}

#[derive(Debug, Deserialize)]
struct Task {
    id: i64,
    copy_index: i32,
    status: String,
    failures: i32,
    /// Failures a person set aside by re-queueing the part ([`crate::operator`]).
    failures_set_aside: i32,
    last_failure: Option<String>,
    started: bool,
    printed_attempt: Option<i32>,
    energy_attempt: Option<i32>,
    energy_kwh: f64,
    grid_kwh: f64,
    plate: Option<PlateFacts>,
    /// A failed print's event `detail` from the gateway (`print_error`,
    /// `reason`); null for other tasks and for failures the gateway did not
    /// report (an inspection, an operator's mark).
    failure: Option<Value>,
}

/// What energy needs of the plate a task last printed on.
#[derive(Debug, Deserialize)]
struct PlateFacts {
    print_s: Option<f64>,
    model: String,
    material: String,
    /// The share of on-site solar of the plate's site (`farm_sites`); null:
    /// the app-wide default (`farm_solar_share`).
    solar_share: Option<f64>,
    /// `[task id, print seconds (usage, else the estimate)]` per part.
    parts: Vec<(i64, f64)>,
}

pub(crate) fn serve(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let job: Job<Payload> = work::job(ctx, ADVANCE_ORDER)?;
    if job.give_up {
        ctx.log(format_args!(
            "advance_order gave up: order={} ({:?})",
            job.payload.order_id, job.last_error
        ));
        return Ok(response::ok(&json!({ "gave_up": true })));
    }
    let settings = Settings::from_ctx(ctx)?;
    let urls = PhotoUrls::from_ctx(ctx)?;
    let order_id = job.payload.order_id;
    let db = ctx.db()?;
    let delay = transaction(db, |db| advance(db, &order_id, &settings, &urls))?;
    Ok(response::ok(
        &json!({ "order_id": order_id, "deliver_in_secs": delay }),
    ))
}

fn load_tasks(db: &Connection, order_id: &str) -> Result<Vec<Task>, ApiError> {
    let rows = db.query(
        "select coalesce(json_agg(json_build_object(
           'id', t.id, 'copy_index', t.copy_index, 'status', t.status, 'failures', t.failures,
           'failures_set_aside', t.failures_set_aside, 'last_failure', t.last_failure, 'started', t.started_at is not null,
           'printed_attempt', t.printed_attempt, 'energy_attempt', t.energy_attempt,
           'energy_kwh', t.energy_kwh, 'grid_kwh', t.grid_kwh,
           'failure', case when t.status = 'failed' then
              (select e.detail from plates fp join farm_events e
                 on e.printer_id = fp.printer_id and e.plate_id = fp.id
                where fp.id = t.plate_id and e.kind in ('task_failed', 'needs_attention')
                order by e.occurred_at desc limit 1) end,
           'plate', (select json_build_object('print_s', p.print_s, 'model', pr.model,
                       'material', p.material, 'solar_share', s.solar_share,
                       'parts', (select json_agg(json_build_array(x.id, coalesce(
                           (select (u->>'print_s')::float8 from jsonb_array_elements(p.usage) u
                             where (u->>'task_id')::bigint = x.id limit 1),
                           x.estimated_hours * 3600)) order by x.id)
                         from print_tasks x where x.id = any (p.task_ids)))
                     from plates p join printers pr on pr.id = p.printer_id
                     join farm_sites s on s.id = p.site_id
                     where p.id = t.plate_id and p.status = 'finished'))
           order by t.copy_index), '[]')::text
         from (select * from print_tasks where order_id = $1 order by copy_index for update) t",
        &[order_id.to_owned().into()],
    )?;
    let text: String = rows
        .rows
        .first()
        .map(|r| farm_platform::col(r, 0))
        .transpose()?
        .unwrap_or_else(|| "[]".into());
    serde_json::from_str(&text).map_err(ApiError::internal)
}

/// One run for `order_id`; returns the seconds until delivery when this run
/// shipped the order.
fn advance(
    db: &Connection,
    order_id: &str,
    settings: &Settings,
    urls: &PhotoUrls,
) -> Result<Option<u64>, ApiError> {
    let Some(mut order) = lifecycle::lock(db, order_id)? else {
        return Ok(None);
    };
    let base = settings.public_base_url.as_str();
    let mut tasks = load_tasks(db, order_id)?;

    // 1. Energy of each finished print, once per attempt.
    for t in &mut tasks {
        let (Some(printed), Some(plate)) = (t.printed_attempt, &t.plate) else {
            continue;
        };
        if t.energy_attempt.is_some_and(|e| e >= printed) {
            continue;
        }
        let hours: Vec<f64> = plate.parts.iter().map(|(_, s)| s / 3600.0).collect();
        let plate_hours = plate
            .print_s
            .map_or_else(|| hours.iter().sum(), |s| s / 3600.0);
        let plate_kwh =
            energy::print_kwh(&energy::profile(&plate.model), &plate.material, plate_hours);
        let Some(index) = plate.parts.iter().position(|(id, _)| *id == t.id) else {
            continue;
        };
        let kwh = energy::per_part(plate_kwh, &hours)[index];
        let solar = plate.solar_share.unwrap_or(settings.solar_share);
        let split = energy::split(kwh, solar);
        t.energy_kwh += split.energy_kwh;
        t.grid_kwh += split.grid_kwh;
        db.execute(
            "update print_tasks set energy_kwh = $2, grid_kwh = $3, energy_attempt = $4 where id = $1",
            &[
                t.id.into(),
                t.energy_kwh.into(),
                t.grid_kwh.into(),
                printed.into(),
            ],
        )?;
    }
    let (total_kwh, total_grid) = tasks
        .iter()
        .fold((0.0, 0.0), |(e, g), t| (e + t.energy_kwh, g + t.grid_kwh));
    db.execute(
        "update orders set energy_kwh = $2, grid_kwh = $3 where id = $1",
        &[
            order_id.to_owned().into(),
            total_kwh.into(),
            total_grid.into(),
        ],
    )?;

    // 2. Failures: re-print at the front, or give up at the third.
    for t in tasks.iter_mut().filter(|t| t.status == "failed") {
        let why = if t.last_failure.as_deref() == Some("inspection") {
            Failure::Inspection
        } else {
            Failure::Print
        };
        let counted = reprint::counted_failures(
            u32::try_from(t.failures).unwrap_or_default(),
            u32::try_from(t.failures_set_aside).unwrap_or_default(),
        );
        let before = counted.saturating_sub(1);
        t.status = match reprint::after_failure(before, why) {
            Next::Requeue { .. } => "queued",
            Next::FlagOrder { .. } => "gave_up",
        }
        .to_owned();
        let moved = db.execute(
            "update print_tasks set status = $2, printer_id = null, plate_id = null, claimed_at = null,
                    lease_expires_at = null, center_x_mm = null, center_y_mm = null,
                    rotation_deg = null, updated_at = now()
             where id = $1 and status = 'failed'",
            &[t.id.into(), t.status.clone().into()],
        )?;
        // A failed print is a per-part printing result (issue 12, item 7):
        // announced once, as the failure is handled (a failed inspection
        // has its own `order.inspection`).
        if moved == 1 && why == Failure::Print {
            let next = if t.status == "queued" {
                "reprint"
            } else {
                "gave_up"
            };
            let detail = t.failure.take().unwrap_or_default();
            let cause = PrintCause::new(detail["print_error"].as_u64(), detail["reason"].as_str());
            lifecycle::emit_with(
                db,
                &order,
                "order.print_failed",
                base,
                &json!({ "print_failure": {
                    "task_id": t.id, "part": t.copy_index, "attempt": t.failures, "next": next,
                    "print_error": cause.print_error, "reason": cause.reason,
                }}),
            )?;
        }
    }

    // 2b. The promised ship date, kept current: never earlier than the
    // queue allows (the open hours queued up to this order's last open part
    // on the printers that hold its filament and nozzle, over those
    // printers, as `farm_quoting::lead_time` counts them: at least one, ten
    // before any registered; plus a day of handling).
    if matches!(
        order.status,
        OrderStatus::Queued | OrderStatus::InProduction
    ) {
        db.execute(
            "with mine as (select max(created_at) as last from print_tasks
                           where order_id = $1 and status in ('queued', 'claimed', 'printing', 'failed')),
                  load as (select l.* from mine, farm_matching_load($3, $4, $5, mine.last) l),
                  fleet as (select case when available_printers = 0 then $6::bigint
                                        else greatest(matching_printers, 1) end as n from load)
             update orders o set estimated_ship = greatest(o.estimated_ship,
                    (now() + make_interval(secs => (load.backlog_hours / fleet.n * 3600)::bigint + $2))::date)
             from mine, load, fleet where o.id = $1 and mine.last is not null",
            &[
                order_id.to_owned().into(),
                farm_scheduler::priority::SHIP_HANDLING_SECS.into(),
                order.material.clone().into(),
                order.color.clone().into(),
                farm_quoting::lead_time::PART_NOZZLE_MM.into(),
                i64::from(farm_quoting::lead_time::FALLBACK_PRINTERS).into(),
            ],
        )?;
    }

    // 3. The first start.
    if order.status == OrderStatus::Queued && tasks.iter().any(|t| t.started) {
        order = lifecycle::transition(db, &order, Action::StartProduction, "", &[], base)?;
    }

    // 4. Inspections not yet announced, each with its photos' signed URLs.
    let pending = db.query(
        "update inspections i set announced = true from print_tasks t
         where t.id = i.task_id and t.order_id = $1 and not i.announced
         returning json_build_object('task_id', i.task_id, 'part', t.copy_index, 'attempt', i.attempt,
           'passed', i.passed, 'defect', i.defect, 'source', i.source,
           'photos', (select coalesce(json_agg(json_build_object('name', ph.name, 'key', ph.object_key)
                        order by ph.name), '[]') from task_photos ph
                      where ph.task_id = i.task_id and ph.attempt = i.attempt))::text",
        &[order_id.to_owned().into()],
    )?;
    let mut announced: Vec<Value> = Vec::new();
    for row in &pending.rows {
        let text: String = farm_platform::col(row, 0)?;
        announced.push(serde_json::from_str(&text).map_err(ApiError::internal)?);
    }
    announced.sort_by_key(|i| (i["task_id"].as_i64(), i["attempt"].as_i64()));
    for inspection in &announced {
        let mut data = inspection.clone();
        data["photos"] = photo_urls(urls, &inspection["photos"], urls.event_expiry_secs)?;
        lifecycle::emit_with(
            db,
            &order,
            "order.inspection",
            base,
            &json!({ "inspection": data }),
        )?;
    }

    // 5. A part out of attempts, or cancelled on the farm: a person decides.
    let gave_up = tasks.iter().filter(|t| t.status == "gave_up").count();
    let farm_cancelled = if order.status == OrderStatus::InProduction {
        tasks.iter().filter(|t| t.status == "cancelled").count()
    } else {
        0
    };
    if (gave_up > 0 || farm_cancelled > 0) && !order.needs_attention && !order.status.is_final() {
        let detail = if gave_up > 0 {
            format!(
                "{gave_up} part(s) failed {} times; a person will decide (re-print or refund). The order does not ship incomplete.",
                reprint::MAX_FAILURES_PER_PART
            )
        } else {
            format!(
                "{farm_cancelled} part(s) were cancelled on the farm; a person will decide. The order does not ship incomplete."
            )
        };
        let rows = db.query(
            &format!(
                "update orders set needs_attention = true, status_detail = $2, updated_at = now() \
                 where id = $1 returning {}",
                order_kit::row::ORDER_COLUMNS
            ),
            &[order_id.to_owned().into(), detail.into()],
        )?;
        if let Some(row) = rows.rows.first() {
            order = order_kit::row::OrderRow::from_row(row)?;
        }
        lifecycle::emit_with(db, &order, "order.status_changed", base, &Value::Null)?;
    }

    // 6. Ship when every part passed.
    let outcomes: Vec<PartOutcome> = tasks
        .iter()
        .map(|t| match t.status.as_str() {
            "passed" => PartOutcome::Passed,
            "gave_up" | "cancelled" => PartOutcome::GaveUp,
            _ => PartOutcome::InProgress,
        })
        .collect();
    let mut deliver_in = None;
    if order.status == OrderStatus::InProduction
        && !order.needs_attention
        && ready_to_ship(&outcomes).is_ok()
    {
        let (shipped, secs) = ship(db, &order, &tasks, settings, urls)?;
        order = shipped;
        deliver_in = Some(secs);
        work::enqueue_delayed(
            db,
            ADVANCE_ORDER,
            &json!({ "order_id": order_id }),
            Some(&format!("deliver:{order_id}")),
            farm_platform::farm_work::DEFAULT_MAX_ATTEMPTS,
            secs,
        )?;
    }

    // 7. Delivered once the transit is over.
    if order.status == OrderStatus::Shipped {
        let due = db.query(
            "select deliver_after <= now() from orders where id = $1",
            &[order_id.to_owned().into()],
        )?;
        let due: Option<bool> = due
            .rows
            .first()
            .map(|r| farm_platform::col(r, 0))
            .transpose()?
            .flatten();
        if due == Some(true) {
            lifecycle::transition(
                db,
                &order,
                Action::Deliver,
                "delivered_at = now()",
                &[],
                base,
            )?;
        }
    }
    Ok(deliver_in)
}

/// Buys the label, moves the order to `shipped` and records `order.shipped`
/// with the carrier, the tracking number, each part's passed inspection
/// photos and energy, and the order's energy. Returns the order and the
/// seconds until delivery.
fn ship(
    db: &Connection,
    order: &order_kit::row::OrderRow,
    tasks: &[Task],
    settings: &Settings,
    urls: &PhotoUrls,
) -> Result<(order_kit::row::OrderRow, u64), ApiError> {
    let seq = db.query("select nextval('shipment_label_seq')", &[])?;
    let sequence: i64 = seq
        .rows
        .first()
        .map(|r| farm_platform::col(r, 0))
        .transpose()?
        .unwrap_or(1);
    let country = order
        .shipping_address
        .as_ref()
        .and_then(|a| a["country"].as_str())
        .unwrap_or(&settings.home_country)
        .to_owned();
    let carrier = SimulatedCarrier {
        shipper: settings.shipper_account.clone(),
        home_country: settings.home_country.clone(),
    };
    let label = carrier.label(u64::try_from(sequence).unwrap_or(1), 0, &country);
    let transit = settings
        .transit_secs
        .unwrap_or(u64::from(label.transit_days) * 86_400);
    // The passed inspection of each part, with its photos' keys.
    let rows = db.query(
        "select json_build_object('task_id', t.id, 'name', ph.name, 'key', ph.object_key)::text
         from print_tasks t join inspections i on i.task_id = t.id and i.passed
         join task_photos ph on ph.task_id = i.task_id and ph.attempt = i.attempt
         where t.order_id = $1 order by t.copy_index, ph.name",
        &[order.id.clone().into()],
    )?;
    let mut photos: Vec<Value> = Vec::new();
    for row in &rows.rows {
        let text: String = farm_platform::col(row, 0)?;
        photos.push(serde_json::from_str(&text).map_err(ApiError::internal)?);
    }
    let keys: Vec<&str> = photos.iter().filter_map(|p| p["key"].as_str()).collect();
    let parts: Vec<Value> = tasks
        .iter()
        .map(|t| {
            let mine: Vec<Value> = photos
                .iter()
                .filter(|p| p["task_id"].as_i64() == Some(t.id))
                .cloned()
                .collect();
            Ok(json!({
                "part": t.copy_index,
                "task_id": t.id,
                "attempts": t.failures + 1,
                "photos": photo_urls(urls, &Value::Array(mine), urls.event_expiry_secs)?,
                "energy_kwh": order_kit::row::round3(t.energy_kwh),
                "grid_kwh": order_kit::row::round3(t.grid_kwh),
            }))
        })
        .collect::<Result<_, ApiError>>()?;
    let shipped = lifecycle::transition_with(
        db,
        order,
        Action::Ship,
        "carrier = $2, shipping_service = $3, tracking_number = $4, shipped_at = now(), \
         deliver_after = now() + make_interval(secs => $5::bigint), inspection_photos = ($6::text)::jsonb",
        &[
            label.carrier.clone().into(),
            label.service.clone().into(),
            label.tracking_number.clone().into(),
            i64::try_from(transit).unwrap_or(i64::MAX).into(),
            serde_json::to_string(&keys)
                .map_err(ApiError::internal)?
                .into(),
        ],
        &settings.public_base_url,
        &json!({ "parts": parts }),
    )?;
    Ok((shipped, transit))
}
