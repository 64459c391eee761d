//! The `generate_part` handler (private route `/work/generate_part`, reached
//! by the work queue with the internal token): design -> build -> gate ->
//! export, storing `stage` as it moves (`parsing`, `modelling`,
//! `validating`, `exporting`). A completed part becomes a `ready` file of the
//! account, analysed like an upload, so `POST /v1/quotes` prices it. A
//! failure of the prompt, the kernel or the print-ready gate fails the
//! generation with its code (and the parameter at fault when there is one)
//! and refunds the credit once. A store outage is a 503 the queue retries.

use crate::credits;
use crate::rows::{COLUMNS, Generation};
use farm_cad::Model;
use farm_cad::export::ExportFormat;
use farm_designer::{DesignError, OfflineDesigner, PartDesigner};
use farm_platform::farm_domain::ids::IdKind;
use farm_platform::spin_sdk::pg4::ParameterValue;
use farm_platform::work::{self, Job, handlers::GENERATE_PART};
use farm_platform::{ApiError, Ctx, response};
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;

#[derive(Deserialize)]
struct Payload {
    generation_id: String,
}

/// A permanent failure: the code, a sentence and the parameter at fault.
struct Failure {
    code: String,
    message: String,
    parameter: Option<String>,
}

pub fn run(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let job: Job<Payload> = work::job(ctx, GENERATE_PART)?;
    let id = job.payload.generation_id;
    let Some(generation) = Generation::load_any(ctx, &id)? else {
        return Ok(response::ok(
            &json!({ "generation_id": id, "status": "missing" }),
        ));
    };
    if generation.status != "processing" {
        return Ok(response::ok(
            &json!({ "generation_id": id, "status": generation.status }),
        ));
    }
    let outcome = if job.give_up {
        Err(Failure {
            code: "generation_abandoned".into(),
            message: format!(
                "The generation did not complete after {} attempts.",
                job.max_attempts
            ),
            parameter: None,
        })
    } else {
        generate(ctx, &generation, job.attempt)?
    };
    let status = match outcome {
        Ok(()) => "completed",
        Err(failure) => {
            fail(ctx, &generation, &failure)?;
            "failed"
        }
    };
    Ok(response::ok(
        &json!({ "generation_id": id, "status": status }),
    ))
}

fn set_stage(ctx: &mut Ctx, id: &str, stage: &str) -> Result<(), ApiError> {
    ctx.db()?.execute(
        "update generations set stage = $2, updated_at = now() where id = $1 and status = 'processing'",
        &[id.to_owned().into(), stage.to_owned().into()],
    )?;
    Ok(())
}

fn design_failure(e: &DesignError) -> Failure {
    let parameter = match e {
        DesignError::Invalid(invalid) => invalid.violations.first().map(|v| v.parameter.clone()),
        DesignError::UnsupportedPrompt { .. } => None,
    };
    Failure {
        code: e.code().into(),
        message: e.to_string(),
        parameter,
    }
}

/// The outer `Err` is transient (retried); the inner one fails the job.
fn generate(ctx: &mut Ctx, g: &Generation, attempt: u32) -> Result<Result<(), Failure>, ApiError> {
    set_stage(ctx, &g.id, "parsing")?;
    let previous = match (&g.conversation_id, &g.base_file_id) {
        (Some(conversation), _) => crate::rows::previous_spec(ctx, conversation, g.version)?,
        (None, Some(file_id)) => crate::rows::spec_of_file(ctx, file_id)?,
        (None, None) => None,
    };
    let designed = match (g.designer.as_str(), crate::llm::config(ctx)) {
        (crate::llm::LLM, Some(cfg)) => crate::llm::design(ctx, &cfg, &g.prompt, previous.as_ref()),
        // Offline, or an llm generation whose configuration was removed
        // since it was accepted: the offline designer.
        _ => OfflineDesigner
            .design(&g.prompt, previous.as_ref())
            .map(|d| (d, crate::llm::OFFLINE)),
    };
    let (design, designer) = match designed {
        Ok(designed) => designed,
        Err(e) => return Ok(Err(design_failure(&e))),
    };
    set_stage(ctx, &g.id, "modelling")?;
    let model = match Model::build(&design.spec.part) {
        Ok(model) => model,
        Err(e) => {
            return Ok(Err(Failure {
                code: "build_failed".into(),
                message: e.to_string(),
                parameter: None,
            }));
        }
    };
    set_stage(ctx, &g.id, "validating")?;
    let report = farm_cad::gate::check(&design.spec, &model);
    if let Some(first) = report.failures.first() {
        let message = report
            .failures
            .iter()
            .map(|f| f.message.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        return Ok(Err(Failure {
            code: first.code.clone(),
            message,
            parameter: None,
        }));
    }
    set_stage(ctx, &g.id, "exporting")?;
    // One prefix per attempt: objects are write-once, and a retried attempt
    // must not collide with what an interrupted one stored.
    let prefix = format!("generations/{}/{}/a{attempt}/part", g.account_id, g.id);
    let name = format!("{}-v{}", g.id, g.version);
    let mut stl = Vec::new();
    for format in ExportFormat::ALL {
        let bytes = match model.export(format, &name) {
            Ok(bytes) => bytes,
            Err(e) => {
                return Ok(Err(Failure {
                    code: "export_failed".into(),
                    message: e.to_string(),
                    parameter: None,
                }));
            }
        };
        if format == ExportFormat::Stl {
            stl = bytes.clone();
        }
        kit::store::put(
            ctx,
            &format!("{prefix}{}", format.extension()),
            format.media_type(),
            bytes,
        )?;
    }
    // The same analysis an upload gets, in millimetres (the kernel's unit).
    let analysis = match kit::analysis::analyze(&stl, Some(mesh_engine::Unit::Millimeter)) {
        Ok(analysis) => analysis,
        Err(e) => {
            return Ok(Err(Failure {
                code: "analysis_failed".into(),
                message: e.to_string(),
                parameter: None,
            }));
        }
    };
    let size = |i: usize| report.bbox_max_mm[i] - report.bbox_min_mm[i];
    let round = |v: f64| (v * 1000.0).round() / 1000.0;
    let dimensions = json!({ "x": round(size(0)), "y": round(size(1)), "z": round(size(2)) });
    let spec_json = serde_json::to_value(&design.spec).map_err(ApiError::internal)?;
    let assumptions = serde_json::to_value(&design.spec.assumptions).map_err(ApiError::internal)?;
    let file_id = farm_platform::new_id(IdKind::File)?;
    let sha = kit::analysis::content_sha256(&stl);
    let size_bytes = stl.len() as i64;
    let stl_key = format!("{prefix}.stl");
    let file_params: Vec<ParameterValue> = vec![
        file_id.clone().into(),
        g.account_id.clone().into(),
        format!("{name}.stl").into(),
        ExportFormat::Stl.media_type().to_owned().into(),
        size_bytes.into(),
        stl_key.into(),
        sha.into(),
        analysis.metrics.to_string().into(),
        analysis.report.to_string().into(),
        g.id.clone().into(),
    ];
    // Signed now: the transaction below holds the request's connection.
    let preview_url = kit::store::presign_get(
        ctx,
        &format!("{prefix}{}", ExportFormat::Glb.extension()),
        kit::store::EVENT_URL_SECS,
    )?
    .url;
    let generation_params: Vec<ParameterValue> = vec![
        g.id.clone().into(),
        file_id.clone().into(),
        spec_json.to_string().into(),
        design.summary.clone().into(),
        assumptions.to_string().into(),
        dimensions.to_string().into(),
        prefix.into(),
        designer.to_owned().into(),
    ];
    let file_params_id = file_id.clone();
    farm_platform::transaction(ctx.db()?, |db| {
        // The row lock is the guard: a job run twice (a lease that expired
        // under a slow build) completes the generation, and writes its file,
        // once.
        let locked = db.query(
            "select id from generations where id = $1 and status = 'processing' for update",
            &generation_params[..1],
        )?;
        if locked.rows.is_empty() {
            return Ok(());
        }
        db.execute(
            "insert into files (id, account_id, status, filename, content_type, format, size_bytes, object_key, \
               content_sha256, selected_unit, unit_confirmed_by, metrics, report, upload_expires_at, \
               confirmed_at, analyzed_at, livemode) \
             select $1, $2, 'ready', $3, $4, 'stl', $5, $6, $7, 'mm', 'agent', ($8::text)::jsonb, \
               ($9::text)::jsonb, now(), now(), now(), livemode from generations where id = $10",
            &file_params,
        )?;
        // Webhook subscribers hear of it as of any upload that became ready.
        kit::file_events::record_outcome(db, &file_params_id, "ready")?;
        let completed = db.query(
            &format!(
                "update generations set status = 'completed', stage = null, file_id = $2, \
                   part_spec = ($3::text)::jsonb, summary = $4, assumptions = ($5::text)::jsonb, \
                   dimensions_mm = ($6::text)::jsonb, export_prefix = $7, designer = $8, completed_at = now(), updated_at = now() \
                 where id = $1 returning {COLUMNS}"
            ),
            &generation_params,
        )?;
        record_outcome(db, &completed, Some(preview_url.clone()))
    })?;
    Ok(Ok(()))
}

/// Marks the generation failed and refunds its credit, in one transaction;
/// the status guard and the ledger's unique refund make it happen once.
fn fail(ctx: &mut Ctx, g: &Generation, f: &Failure) -> Result<(), ApiError> {
    let (id, account) = (g.id.clone(), g.account_id.clone());
    let parameter = f
        .parameter
        .clone()
        .map_or(ParameterValue::DbNull, Into::into);
    let (code, message) = (f.code.clone(), f.message.clone());
    farm_platform::transaction(ctx.db()?, |db| {
        let moved = db.query(
            &format!(
                "update generations set status = 'failed', error_code = $2, error_message = $3, \
                   error_parameter = $4, completed_at = now(), updated_at = now() \
                 where id = $1 and status = 'processing' returning {COLUMNS}"
            ),
            &[id.clone().into(), code.into(), message.into(), parameter],
        )?;
        if !moved.rows.is_empty() {
            credits::refund(db, &account, &id)?;
            record_outcome(db, &moved, None)?;
        }
        Ok(())
    })
}

/// Records `generation.completed` or `generation.failed` (by the row's
/// status) for the generation `rows` holds as it is now, inside the
/// transaction that moved it, so webhook deliveries exist exactly when the
/// change does. The data is the generation's wire form; a completed one's
/// `preview_url` is signed for [`kit::store::EVENT_URL_SECS`].
fn record_outcome(
    db: &farm_platform::spin_sdk::pg4::Connection,
    rows: &farm_platform::spin_sdk::pg4::RowSet,
    preview_url: Option<String>,
) -> Result<(), ApiError> {
    let row = rows
        .rows
        .first()
        .ok_or_else(|| ApiError::internal("the generation vanished before its event"))?;
    let g = Generation::from_row(row)?;
    let kind = match g.status.as_str() {
        "completed" => "generation.completed",
        "failed" => "generation.failed",
        other => {
            return Err(ApiError::internal(format!(
                "no event for generation status {other:?}"
            )));
        }
    };
    farm_platform::events::record(
        db,
        &farm_platform::events::NewEvent {
            account_id: &g.account_id,
            livemode: g.livemode,
            kind,
            object_type: "generation",
            object_id: &g.id,
            order_id: None,
            data: &g.render_with(preview_url),
        },
    )?;
    Ok(())
}
