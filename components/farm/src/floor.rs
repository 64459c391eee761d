//! The operator's side of the floor: the plate clear (contract §4), marking
//! a part failed, and utilisation. A site token reaches its own printers; the
//! operator token (Spin variable `farm_operator_token`, empty = no operator
//! access) reaches every site's.

use farm_platform::farm_domain::site_token::SiteToken;
use farm_platform::internal::{operator_token_matches, require_operator};
use farm_platform::{ApiError, Ctx, col, response};
use farm_production::utilisation::{FloorState, printing_share};
use serde::Deserialize;
use serde_json::{Value, json};
use spin_sdk::http::Response;

use crate::{Site, authenticate_site};

/// Who called: a site (its printers only) or the operator (all).
pub(crate) enum Who {
    Site(Site),
    Operator,
}

/// A site token (`fst_...`) or the operator token.
pub(crate) fn site_or_operator(ctx: &mut Ctx) -> Result<Who, ApiError> {
    let is_site = ctx
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| SiteToken::parse(t.trim()))
        .is_some();
    if !is_site && operator_token_matches(ctx)? {
        return Ok(Who::Operator);
    }
    authenticate_site(ctx).map(Who::Site)
}

/// `POST /internal/farm/printers/{serial}/clear`: the printer's bed is clear;
/// it may take a plate again. 200 `{"printer", "status": "idle"}`; 409
/// `not_awaiting_clear`; 404 `printer_not_found` (not this site's).
pub(crate) fn clear(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let who = site_or_operator(ctx)?;
    let serial = ctx.param("serial")?;
    let site = match &who {
        Who::Site(s) => Some(s.id.clone()),
        Who::Operator => None,
    };
    let site = site.map_or(spin_sdk::pg4::ParameterValue::DbNull, Into::into);
    let rows = ctx.db()?.query(
        "with p as (select id, awaiting_clear from printers
                    where serial = $1 and ($2::text is null or site_id = $2) for update),
              cleared as (update printers set awaiting_clear = false, updated_at = now()
                          where id = (select id from p) and awaiting_clear returning id),
              plates as (update plates set cleared_at = now()
                         where printer_id = (select id from cleared) and status = 'finished'
                           and cleared_at is null)
         select (select awaiting_clear from p)",
        &[serial.clone().into(), site],
    )?;
    let was: Option<bool> = rows.rows.first().map(|r| col(r, 0)).transpose()?.flatten();
    match was {
        None => Err(ApiError::new(
            404,
            "printer_not_found",
            "This site has registered no printer with that serial.",
        )),
        Some(false) => Err(ApiError::new(
            409,
            "not_awaiting_clear",
            "The printer has not finished a plate that waits for a clear.",
        )
        .with_detail("printer", &serial)),
        Some(true) => Ok(response::ok(
            &json!({ "printer": serial, "status": "idle" }),
        )),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FailBody {
    /// What is wrong with the part, in words (`layer_shift`, ...).
    defect: String,
}

/// `POST /internal/farm/tasks/{task_id}/fail` (operator token): a person
/// marks a printed or passed part failed; it is re-printed (or, at the third
/// failure, its order is flagged) like any failed inspection. 200 `{"task_id",
/// "status": "failed"}`; 404 `task_not_found`; 409 `task_not_failable`
/// (not printed, or its order has shipped).
pub(crate) fn fail_task(ctx: &mut Ctx) -> Result<Response, ApiError> {
    require_operator(ctx)?;
    let task_id: i64 = ctx
        .param("task_id")?
        .parse()
        .map_err(|_| ApiError::invalid_field("task_id", "a print task id (an integer)"))?;
    let body: FailBody = ctx.json_body()?;
    crate::link::refuse_nul("defect", &body.defect)?;
    let rows = ctx.db()?.query(
        "with t as (select t.id, t.status, t.failures, t.plate_id, t.order_id,
                           coalesce(o.status, '') as order_status
                    from print_tasks t left join orders o on o.id = t.order_id
                    where t.id = $1 for update of t),
              ok as (select * from t where status in ('printed', 'passed')
                       and order_status not in ('shipped', 'delivered')),
              ins as (insert into inspections (task_id, attempt, passed, defect, source, plate_id)
                      select id, failures + 1, false, $2, 'operator', plate_id from ok
                      on conflict (task_id, attempt) do update
                        set passed = false, defect = excluded.defect, source = 'operator',
                            announced = false),
              upd as (update print_tasks p set status = 'failed', failures = p.failures + 1,
                        last_failure = 'inspection', updated_at = now()
                      from ok where p.id = ok.id returning p.id),
              job as (insert into background_jobs (kind, payload)
                      select 'advance_order', jsonb_build_object('order_id', ok.order_id)
                      from ok where ok.order_id is not null returning id)
         select (select count(*) from t), (select count(*) from upd), (select min(id) from job)",
        &[task_id.into(), body.defect.into()],
    )?;
    let row = rows
        .rows
        .first()
        .ok_or_else(|| ApiError::internal("fail returned no row"))?;
    let (found, failed, job): (i64, i64, Option<i64>) = (col(row, 0)?, col(row, 1)?, col(row, 2)?);
    if found == 0 {
        return Err(ApiError::new(
            404,
            "task_not_found",
            "No print task has this id.",
        ));
    }
    if failed == 0 {
        return Err(ApiError::new(
            409,
            "task_not_failable",
            "Only a printed or passed part of an order not yet shipped can be marked failed.",
        ));
    }
    if let Some(job) = job {
        let worker = farm_platform::work::Worker::from_ctx(ctx)?;
        ctx.after_response(move || {
            worker.run_now(job);
        });
    }
    Ok(response::ok(
        &json!({ "task_id": task_id, "status": "failed" }),
    ))
}

/// The utilisation window: the last 24 hours.
const WINDOW_SECS: i64 = 24 * 3600;

#[derive(Debug, Deserialize)]
struct PrinterFacts {
    serial: String,
    site: String,
    model: String,
    status: String,
    needs_attention: bool,
    awaiting_clear: bool,
    printing_now: bool,
    /// `[start, end]` Unix seconds of plates printing in the window.
    intervals: Vec<(i64, i64)>,
}

fn floor_state(p: &PrinterFacts) -> FloorState {
    if p.needs_attention {
        FloorState::Attention
    } else if p.awaiting_clear {
        FloorState::AwaitingClear
    } else if p.printing_now {
        FloorState::Printing
    } else if p.status == "offline" {
        FloorState::Offline
    } else {
        FloorState::Idle
    }
}

fn state_name(s: FloorState) -> &'static str {
    match s {
        FloorState::Printing => "printing",
        FloorState::Idle => "idle",
        FloorState::AwaitingClear => "awaiting_clear",
        FloorState::Attention => "attention",
        FloorState::Offline => "offline",
    }
}

/// `GET /internal/farm/utilisation` (operator token): per printer its state
/// and the share of the last 24 h it spent printing (from its plates' start
/// and end), per site the count of printers in each state and the mean share.
pub(crate) fn utilisation(ctx: &mut Ctx) -> Result<Response, ApiError> {
    require_operator(ctx)?;
    let now = ctx.now();
    let from = now - WINDOW_SECS;
    let rows = ctx.db()?.query(
        "select coalesce(json_agg(json_build_object(
           'serial', p.serial, 'site', coalesce(s.name, p.site), 'model', p.model, 'status', p.status,
           'needs_attention', p.needs_attention, 'awaiting_clear', p.awaiting_clear,
           'printing_now', exists (select 1 from plates x where x.printer_id = p.id and x.status = 'printing'),
           'intervals', (select coalesce(json_agg(json_build_array(
                 extract(epoch from x.started_at)::bigint,
                 coalesce(extract(epoch from x.finished_at)::bigint, $1)) order by x.started_at), '[]')
               from plates x where x.printer_id = p.id and x.started_at is not null
                 and coalesce(extract(epoch from x.finished_at)::bigint, $1) > $2))
           order by p.serial), '[]')::text
         from printers p left join farm_sites s on s.id = p.site_id",
        &[now.into(), from.into()],
    )?;
    let text: String = rows
        .rows
        .first()
        .map(|r| col(r, 0))
        .transpose()?
        .unwrap_or_else(|| "[]".into());
    let printers: Vec<PrinterFacts> = serde_json::from_str(&text).map_err(ApiError::internal)?;
    let mut out = Vec::new();
    let mut sites: std::collections::BTreeMap<String, (Value, f64, usize)> = Default::default();
    for p in &printers {
        let mut changes = Vec::new();
        let mut at_from = FloorState::Idle;
        for &(start, end) in &p.intervals {
            if start <= from {
                at_from = FloorState::Printing;
            } else {
                changes.push((start, FloorState::Printing));
            }
            changes.push((end.min(now), FloorState::Idle));
        }
        let share = printing_share(at_from, &changes, from, now);
        let state = state_name(floor_state(p));
        out.push(json!({
            "serial": p.serial, "site": p.site, "model": p.model, "state": state,
            "printing_share_24h": (share * 1000.0).round() / 1000.0,
        }));
        let entry = sites.entry(p.site.clone()).or_insert_with(|| {
            (json!({"printing": 0, "idle": 0, "awaiting_clear": 0, "attention": 0, "offline": 0}), 0.0, 0)
        });
        entry.0[state] = json!(entry.0[state].as_i64().unwrap_or(0) + 1);
        entry.1 += share;
        entry.2 += 1;
    }
    let sites: Vec<Value> = sites
        .into_iter()
        .map(|(name, (counts, sum, n))| {
            json!({
                "site": name, "printers": n, "states": counts,
                "printing_share_24h": ((sum / n.max(1) as f64) * 1000.0).round() / 1000.0,
            })
        })
        .collect();
    Ok(response::ok(&json!({
        "window_secs": WINDOW_SECS,
        "printers": out,
        "sites": sites,
    })))
}
