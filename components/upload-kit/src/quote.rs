//! Builds, stores and renders a quote (shared by `POST /v1/quotes` and the
//! one-shot `POST /v1/jobs`).

use farm_platform::farm_domain::catalog::{ExecutionMode, Material};
use farm_platform::farm_domain::ids::IdKind;
use farm_platform::{ApiError, Caller, Ctx, ReadWithAuth, col, new_id, wire};
use farm_quoting::{Assessment, FarmLoad, PartFacts, Quantity, QuoteRequest, price::MAX_QUANTITY};
use serde_json::{Value, json};
use spin_sdk::pg4::DbValue;

use crate::analysis;
use crate::rows::{FILE_COLUMN_COUNT, FileRow};

/// How long a quote can be ordered from.
const QUOTE_TTL_SECS: i64 = 24 * 3600;

/// The price formula as the breakdown states it (`farm_quoting::price`).
pub const FORMULA: &str = "unit_price = round_half_up(grams_per_part x price_per_gram x (1 - bulk_discount)); \
     subtotal = unit_price x quantity; total = max(subtotal, minimum)";

/// Validated quote parameters.
#[derive(Debug, Clone)]
pub struct Params {
    pub material: &'static Material,
    pub color: &'static str,
    pub quantity: Quantity,
    pub ship_country: Option<String>,
    pub requested_mode: ExecutionMode,
}

/// Parses the caller's parameters into domain types, reporting every bad field.
pub fn parse_params(
    material: Option<&str>,
    color: Option<&str>,
    quantity: Option<i64>,
    ship_country: Option<&str>,
    mode: Option<&str>,
) -> Result<Params, ApiError> {
    let material_id =
        material.ok_or_else(|| ApiError::invalid_field("material_id", "is required"))?;
    let material = Material::parse(material_id).map_err(ApiError::from)?;
    let color = match color {
        Some(c) => material.color(c).map_err(ApiError::from)?,
        None => material.colors()[0],
    };
    let quantity = quantity.unwrap_or(1);
    let quantity = u32::try_from(quantity)
        .ok()
        .and_then(Quantity::new)
        .ok_or_else(|| {
            ApiError::invalid_field(
                "quantity",
                &format!("must be a whole number from 1 to {MAX_QUANTITY}"),
            )
        })?;
    let ship_country = match ship_country {
        Some(c) if c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()) => {
            Some(c.to_ascii_uppercase())
        }
        Some(_) => {
            return Err(ApiError::invalid_field(
                "ship_country",
                "must be an ISO 3166-1 alpha-2 code such as US",
            ));
        }
        None => None,
    };
    let requested_mode = match mode {
        Some(m) => ExecutionMode::parse(m).ok_or_else(|| {
            ApiError::invalid_field(
                "requested_execution_mode",
                "must be agent_assisted, agent_autonomous or human_manual",
            )
        })?,
        None => ExecutionMode::AgentAssisted,
    };
    Ok(Params {
        material,
        color,
        quantity,
        ship_country,
        requested_mode,
    })
}

/// The farm's load as a part of `material` / `color` sees it (one
/// statement, `farm_matching_load`): the hours queued ahead on the printers
/// that hold that filament and the 0.4 mm nozzle, their count and the
/// count of printers that can take work.
pub fn farm_load(ctx: &mut Ctx, material: &Material, color: &str) -> Result<FarmLoad, ApiError> {
    let rows = ctx.db()?.query(
        "select backlog_hours, matching_printers, available_printers from farm_matching_load($1, $2, $3)",
        &[
            material.id().to_owned().into(),
            color.to_owned().into(),
            farm_quoting::lead_time::PART_NOZZLE_MM.into(),
        ],
    )?;
    let row = rows
        .rows
        .first()
        .ok_or_else(|| ApiError::internal("farm load query returned nothing"))?;
    load_from(row, 0)
}

/// [`FarmLoad`] from `backlog_hours, matching_printers, available_printers`
/// starting at column `at`.
fn load_from(row: &[spin_sdk::pg4::DbValue], at: usize) -> Result<FarmLoad, ApiError> {
    let count = |i: usize| -> Result<u32, ApiError> {
        Ok(u32::try_from(col::<i64>(row, at + i)?).unwrap_or(u32::MAX))
    };
    Ok(FarmLoad {
        backlog_hours: col(row, at)?,
        matching_printers: count(1)?,
        available_printers: count(2)?,
    })
}

/// The read that gives a quote its file and the farm's load as a part of
/// `material` / `color` sees it inside authentication's statement
/// ([`Ctx::authenticate_with`]), so a quote is two statements:
/// authentication with this read, and the insert (issue 9, item 7). `None`
/// for a malformed file id, which cannot name a file. `farm_quote_file`
/// (migrations/0019_quote_read_with_auth.sql) returns
/// [`FILE_COLUMNS`](crate::rows::FILE_COLUMNS) then the load
/// (`farm_matching_load`, migrations/0018_farm_operations.sql) as flat
/// columns: planned once per connection, where the same read written inline
/// made Postgres plan the file's composite row on every request.
pub fn file_and_farm_read(file_id: &str, material: &Material, color: &str) -> Option<ReadWithAuth> {
    IdKind::File.is_valid(file_id).then(|| ReadWithAuth {
        sql: "select * from farm_quote_file(a.account_id, a.mode, $7, $8, $9, $10)".to_owned(),
        params: vec![
            file_id.to_owned().into(),
            material.id().to_owned().into(),
            color.to_owned().into(),
            farm_quoting::lead_time::PART_NOZZLE_MM.into(),
        ],
    })
}

/// The file and the farm's load from what [`file_and_farm_read`] read:
/// `file_not_found` when it found nothing (another account's file, a file
/// of the other mode, a malformed id), as [`FileRow::load`].
pub fn file_and_farm(read: Option<Vec<DbValue>>) -> Result<(FileRow, FarmLoad), ApiError> {
    let row = read.ok_or_else(ApiError::file_not_found)?;
    let file = FileRow::from_row(&row)?;
    let load = load_from(&row, FILE_COLUMN_COUNT)?;
    Ok((file, load))
}

/// Quoting facts for a ready file, or the error that says what to do:
/// `file_not_ready` with the status and `next_action` (`failed` adds the
/// `failure_reason`; `processing` a `Retry-After`), 422 `part_not_printable`
/// for a ready file with a blocking finding.
pub fn facts_for(file: &FileRow, material: &Material) -> Result<PartFacts, ApiError> {
    if file.status != "ready" {
        let mut err = ApiError::file_not_ready(&file.status)
            .with_detail("file_id", &file.id)
            .with_detail("next_action", file.next_action(now_unix()));
        match file.status.as_str() {
            "failed" => {
                let reason = file.failure_reason.as_deref().unwrap_or("unknown");
                err = ApiError::new(
                    409,
                    "file_not_ready",
                    format!(
                        "The file's analysis failed ({reason}); it cannot be quoted. Fix the file and upload it again."
                    ),
                )
                .with_detail("status", "failed")
                .with_detail("file_id", &file.id)
                .with_detail("failure_reason", reason)
                .with_detail("next_action", "fix_file_and_upload_again");
            }
            "processing" => {
                err = err.with_header("retry-after", crate::rows::POLL_INTERVAL_SECS.to_string());
            }
            _ => {}
        }
        return Err(err);
    }
    if file.is_unprintable() {
        return Err(unprintable(file, &[]));
    }
    let (Some(metrics), Some(report)) = (&file.metrics, &file.report) else {
        return Err(ApiError::internal("ready file without metrics"));
    };
    analysis::facts(
        metrics,
        report,
        material.id(),
        file.unit_confirmed_by.is_some(),
    )
    .ok_or_else(|| ApiError::internal("stored report lacks estimates"))
}

/// Prices a part; 422 `part_not_printable` with the blocking findings when it cannot print.
pub fn assess(
    ctx: &Ctx,
    caller: &Caller,
    file: &FileRow,
    facts: &PartFacts,
    params: &Params,
    load: &FarmLoad,
) -> Result<Assessment, ApiError> {
    // A quote does not read the account's billing policy (two statements
    // per quote); only test keys resolve to `agent_autonomous` here.
    assess_with(
        ctx,
        caller.mode.as_str() == "test",
        file,
        facts,
        params,
        load,
    )
}

/// [`assess`] with the autonomous permission given: the one-shot job passes
/// `true`, because its payment conditions are checked when it is placed
/// (`order_kit::autonomous`, naming each failed one), so the assessment's
/// `requires_user_confirmation` is then about the part alone.
pub fn assess_with(
    ctx: &Ctx,
    autonomous_allowed: bool,
    file: &FileRow,
    facts: &PartFacts,
    params: &Params,
    load: &FarmLoad,
) -> Result<Assessment, ApiError> {
    let request = QuoteRequest {
        material: params.material,
        quantity: params.quantity,
        requested_mode: params.requested_mode,
        autonomous_allowed,
    };
    farm_quoting::assess(facts, &request, load, ctx.now()).map_err(|e| match e {
        farm_quoting::Error::Unprintable { checks } => unprintable(file, &checks),
        farm_quoting::Error::NoVolume => ApiError::new(
            422,
            "part_not_printable",
            "This part has no printable volume (an empty or flat mesh).",
        )
        .with_detail("file_id", &file.id)
        .with_detail("findings", Vec::<Value>::new())
        .with_detail("next_action", "fix_file_and_upload_again"),
    })
}

/// 422 `part_not_printable`: the blocking findings, each with its message, and
/// what to do. The message names each blocking check once.
fn unprintable(file: &FileRow, checks: &[String]) -> ApiError {
    let findings = file
        .report
        .as_ref()
        .map(analysis::blocking_findings)
        .unwrap_or_default();
    let mut reasons: Vec<String> = findings
        .iter()
        .filter_map(|f| {
            Some(format!(
                "{}: {}",
                f["check"].as_str()?,
                f["message"].as_str()?
            ))
        })
        .collect();
    if reasons.is_empty() {
        reasons = checks.to_vec();
    }
    ApiError::new(
        422,
        "part_not_printable",
        format!("This part cannot be printed: {}.", reasons.join("; ")),
    )
    .with_detail("file_id", &file.id)
    .with_detail("findings", findings)
    .with_detail("next_action", "fix_file_and_upload_again")
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Stores the quote (one statement) and returns its id and wire form:
/// `quote_id` (the quote's only id field, seed 001's name), every amount once
/// as [`wire::Money`] (`unit_price`, `total`, the breakdown's lines) and the
/// range as seed 001's `price_estimate` (integer minor units, currency, and a
/// `display`).
pub fn store(
    ctx: &mut Ctx,
    caller: &Caller,
    file: &FileRow,
    params: &Params,
    a: &Assessment,
    facts: &PartFacts,
) -> Result<(String, Value), ApiError> {
    let id = new_id(IdKind::Quote)?;
    let now = ctx.now();
    let expires = now + QUOTE_TTL_SECS;
    let p = &a.price;
    let currency = p.total.currency().code();
    let body = json!({
        "quote_id": id,
        "status": "open",
        "file_id": file.id,
        "content_sha256": file.content_sha256,
        "material_id": params.material.id(),
        "color": params.color,
        "quantity": params.quantity.get(),
        "ship_country": params.ship_country,
        "unit": file.metrics.as_ref().and_then(|m| m["unit"].as_str()),
        "unit_price": wire::Money::from(p.unit_price),
        "total": wire::Money::from(p.total),
        "price_estimate": {
            "min": a.estimate.min.minor(),
            "max": a.estimate.max.minor(),
            "currency": currency,
            "display": format!("{} – {}", a.estimate.min.display(), a.estimate.max.display()),
        },
        "breakdown": {
            "formula": FORMULA,
            "model_grams": p.model_centigrams as f64 / 100.0,
            "support_grams": p.support_centigrams as f64 / 100.0,
            "grams_per_part": p.billable_centigrams as f64 / 100.0,
            "price_per_gram": wire::Money::from(p.price_per_gram),
            "list_unit_price": wire::Money::from(p.list_unit_price),
            "bulk_discount_percent": f64::from(p.tier.discount_bp) / 100.0,
            "bulk_tier_min_quantity": p.tier.min_quantity,
            "discount": wire::Money::from(p.discount),
            "subtotal": wire::Money::from(p.subtotal),
            "minimum": wire::Money::from(p.minimum),
            "minimum_applied": p.minimum_applied,
            "print_hours_per_part": facts.print_hours,
            "bulk_tiers": farm_quoting::BULK_TIERS.iter().map(|t| json!({"min_quantity": t.min_quantity, "discount_percent": f64::from(t.discount_bp) / 100.0})).collect::<Vec<_>>(),
        },
        "lead_time_days": { "min": a.lead_time.min_days, "max": a.lead_time.max_days },
        "estimated_ship": a.lead_time.estimated_ship.iso(),
        "farm_load": { "backlog_hours": a.lead_time.backlog_hours, "printers": a.lead_time.printers, "matching_printers": a.lead_time.matching_printers, "queue_days": a.lead_time.queue_days },
        "execution_confidence": a.execution_confidence,
        "risk_flags": a.risk_flags.iter().map(|f| f.id()).collect::<Vec<_>>(),
        "suggestions": a.suggestions.iter().map(|s| json!({"code": s.code, "message": s.message})).collect::<Vec<_>>(),
        "requested_execution_mode": params.requested_mode.as_str(),
        "resolved_execution_mode": a.resolved_mode.as_str(),
        "requires_user_confirmation": a.requires_user_confirmation,
        "next_action": a.next_action,
        // Seed 001: a 24-hour signed link where a person without the key
        // changes autopay (components/payments serves it).
        "settings_url": farm_pay_kit::settings_url(ctx, &caller.account_id, caller.mode)?,
        "expires_at": wire::timestamp(expires),
        "created_at": wire::timestamp(now),
    });
    let hours = facts.print_hours * f64::from(params.quantity.get());
    ctx.db()?.execute(
        "insert into quotes (id, account_id, file_id, content_sha256, material, color, quantity, ship_country, \
           requested_mode, resolved_mode, currency, unit_price_cents, total_cents, price_min_cents, price_max_cents, \
           estimated_hours, response, expires_at, created_at, livemode) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, ($17::text)::jsonb, \
           to_timestamp($18::bigint), to_timestamp($19::bigint), $20)",
        &[
            id.clone().into(),
            caller.account_id.clone().into(),
            file.id.clone().into(),
            file.content_sha256.clone().unwrap_or_default().into(),
            params.material.id().to_owned().into(),
            params.color.to_owned().into(),
            (params.quantity.get() as i32).into(),
            params.ship_country.clone().map_or(spin_sdk::pg4::ParameterValue::DbNull, Into::into),
            params.requested_mode.as_str().to_owned().into(),
            a.resolved_mode.as_str().to_owned().into(),
            currency.to_owned().into(),
            p.unit_price.minor().into(),
            p.total.minor().into(),
            a.estimate.min.minor().into(),
            a.estimate.max.minor().into(),
            hours.into(),
            body.to_string().into(),
            expires.into(),
            now.into(),
            caller.livemode().into(),
        ],
    )?;
    Ok((id, body))
}
