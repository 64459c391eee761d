//! Text to part (issue 14, item 6): `POST /v1/generations`,
//! `GET /v1/generations/{id}`, `POST /v1/conversations`,
//! `GET /v1/conversations/{id}`, `POST /v1/exports` and `GET /v1/credits`,
//! thin over `farm-designer` (prompt -> part program) and `farm-cad` (part
//! program -> solid, print-ready gate, exports).
//!
//! A generation never runs inside its request: the request checks the prompt
//! (a prompt the designer refuses is `422 unsupported_prompt`, never
//! charged), debits one credit and queues a `generate_part` job in one
//! transaction, and answers `202`. The job runs right after the response
//! (the fast path) or from the tick route, at this component's private route
//! `/work/generate_part` ([`run`]).

mod credits;
mod exports;
mod llm;
mod rows;
mod run;

use farm_designer::{DesignError, OfflineDesigner, PartDesigner};
use farm_platform::farm_domain::ids::IdKind;
use farm_platform::farm_domain::scope::Scope;
use farm_platform::work::{self, handlers::GENERATE_PART};
use farm_platform::{ApiError, Caller, Ctx, Fingerprint, col, handle, response};
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::{Method, Request, Response};

farm_platform::export_http!(crate::serve);

/// Per-key generations a month (seed 002: "100 generations/month", free tier).
pub const GENERATIONS_PER_MONTH: i64 = 100;

fn serve(req: Request) -> Response {
    handle(req, |ctx| {
        if ctx.path() == "/work/generate_part" {
            return run::run(ctx);
        }
        ctx.dispatch(&[
            ("/v1/generations", Method::Post, create_generation),
            ("/v1/generations/:id", Method::Get, get_generation),
            ("/v1/conversations", Method::Post, create_conversation),
            ("/v1/conversations/:id", Method::Get, get_conversation),
            ("/v1/exports", Method::Post, exports::create_export),
            ("/v1/credits", Method::Get, credits::get_credits),
        ])
    })
}

/// The body of `POST /v1/generations`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenerationBody {
    prompt: String,
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    conversation_id: Option<String>,
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    base_file_id: Option<String>,
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    designer: Option<String>,
}

/// Longest prompt accepted, in bytes (a paragraph; the designer reads one part).
const MAX_PROMPT_BYTES: usize = 2000;

fn create_generation(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::Generate)?;
    let body: GenerationBody = ctx.json_body()?;
    let fingerprint = Fingerprint::json_body(ctx)?;
    ctx.idempotent(&caller.clone(), false, &fingerprint, |ctx| {
        start(ctx, &caller, body)
    })
}

fn start(ctx: &mut Ctx, caller: &Caller, body: GenerationBody) -> Result<Response, ApiError> {
    let prompt = body.prompt.trim().to_owned();
    if prompt.is_empty() {
        return Err(ApiError::invalid_field("prompt", "must not be empty"));
    }
    if prompt.len() > MAX_PROMPT_BYTES {
        return Err(ApiError::invalid_field(
            "prompt",
            &format!("must be at most {MAX_PROMPT_BYTES} bytes"),
        ));
    }
    let designer = body.designer.as_deref().unwrap_or(llm::OFFLINE);
    match designer {
        llm::OFFLINE => {}
        llm::LLM if llm::config(ctx).is_some() => {}
        llm::LLM => {
            return Err(ApiError::invalid_field(
                "designer",
                "`llm` is not configured on this server (variables llm_base_url and llm_model); use `offline`",
            ));
        }
        _ => {
            return Err(ApiError::invalid_field(
                "designer",
                "must be `offline` or `llm`",
            ));
        }
    }
    if body.conversation_id.is_some() && body.base_file_id.is_some() {
        return Err(ApiError::invalid_field(
            "base_file_id",
            "give either conversation_id (continue a conversation) or base_file_id (start from a file), not both",
        ));
    }
    let previous = match &body.conversation_id {
        Some(id) => Some(rows::conversation_head(ctx, id, &caller.account_id)?),
        None => None,
    };
    let base_spec = match &body.base_file_id {
        Some(file_id) => Some(rows::base_file_spec(ctx, file_id, caller)?),
        None => None,
    };
    // The prompt is read here too (microseconds, no I/O), so a prompt the
    // designer cannot map is refused before any credit is taken. An `llm`
    // generation is not pre-checked: the model may read what the offline
    // designer cannot (if neither gives a program, the job fails and
    // refunds the credit).
    let previous_spec = previous.as_ref().and_then(|p| p.spec.clone()).or(base_spec);
    if designer == llm::OFFLINE
        && let Err(e) = OfflineDesigner.design(&prompt, previous_spec.as_ref())
    {
        return Err(design_error(&e));
    }
    let month_count = rows::generations_this_month(ctx, &caller.key_id)?;
    if month_count >= GENERATIONS_PER_MONTH {
        return Err(ApiError::new(
            429,
            "generation_limit_reached",
            format!("This key started {GENERATIONS_PER_MONTH} generations this month (UTC), its monthly limit."),
        )
        .with_detail("generations_this_month", month_count));
    }
    let id = farm_platform::new_id(IdKind::Generation)?;
    let worker = work::Worker::from_ctx(ctx)?;
    let (conversation_id, version) = match &previous {
        Some(p) => (Some(p.conversation_id.clone()), p.next_version),
        None => (None, 1),
    };
    let (balance, job_id) = farm_platform::transaction(ctx.db()?, |db| {
        let Some(balance) = credits::debit(db, &caller.account_id, &id)? else {
            return Ok((None, None));
        };
        db.execute(
            "insert into generations (id, account_id, key_id, conversation_id, version, prompt, designer, stage, livemode, base_file_id) \
             values ($1, $2, $3, $4, $5, $6, $7, 'parsing', $8, $9)",
            &[
                id.clone().into(),
                caller.account_id.clone().into(),
                caller.key_id.clone().into(),
                conversation_id.clone().map_or(spin_sdk::pg4::ParameterValue::DbNull, Into::into),
                version.into(),
                prompt.clone().into(),
                designer.to_owned().into(),
                caller.livemode().into(),
                body.base_file_id.clone().map_or(spin_sdk::pg4::ParameterValue::DbNull, Into::into),
            ],
        )?;
        let payload = json!({ "generation_id": id });
        let job = work::enqueue(db, GENERATE_PART, &payload, Some(&id))?;
        Ok((Some(balance), job))
    })?;
    let Some(balance) = balance else {
        return Err(credits::insufficient());
    };
    if let Some(job_id) = job_id {
        ctx.after_response(move || {
            worker.run_now(job_id);
        });
    }
    Ok(response::json(
        202,
        &json!({
            "id": id,
            "object": "generation",
            "status": "processing",
            "stage": "parsing",
            "conversation_id": conversation_id,
            "base_file_id": body.base_file_id,
            "version": version,
            "credits_remaining": balance,
        }),
    ))
}

/// `422 unsupported_prompt` (what was understood and what is missing) or
/// `422 invalid_part` (the violations, each naming its parameter).
pub(crate) fn design_error(e: &DesignError) -> ApiError {
    let err = ApiError::new(422, e.code(), e.to_string());
    match e {
        DesignError::UnsupportedPrompt {
            understood,
            missing,
        } => err
            .with_detail("understood", understood)
            .with_detail("missing", missing),
        DesignError::Invalid(invalid) => {
            let parameter = invalid.violations.first().map(|v| v.parameter.clone());
            let violations: Vec<_> = invalid
                .violations
                .iter()
                .map(|v| json!({"parameter": v.parameter, "message": v.message}))
                .collect();
            err.with_detail("parameter", parameter)
                .with_detail("violations", violations)
        }
    }
}

fn get_generation(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::Generate)?;
    let id = ctx.param("id")?;
    let generation = rows::Generation::load(ctx, &id, &caller.account_id)?;
    let body = generation.render(ctx)?;
    if generation.status == "processing" {
        ctx.set_response_header("retry-after", "1");
    }
    Ok(response::ok(&body))
}

fn create_conversation(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::Generate)?;
    let _: serde_json::Map<String, serde_json::Value> = if ctx.request().body().is_empty() {
        serde_json::Map::new()
    } else {
        ctx.json_body::<EmptyBody>()?;
        serde_json::Map::new()
    };
    let id = farm_platform::new_id(IdKind::Conversation)?;
    let rows = ctx.db()?.query(
        "insert into conversations (id, account_id) values ($1, $2) \
         returning extract(epoch from created_at)::bigint",
        &[id.clone().into(), caller.account_id.clone().into()],
    )?;
    let created: i64 = col(
        rows.rows
            .first()
            .ok_or_else(|| ApiError::internal("no row"))?,
        0,
    )?;
    Ok(response::created(&json!({
        "id": id,
        "object": "conversation",
        "turns": [],
        "current": null,
        "created_at": rows::timestamp(created),
    })))
}

/// `POST /v1/conversations` takes no fields (an empty object or no body).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmptyBody {}

fn get_conversation(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::Generate)?;
    let id = ctx.param("id")?;
    let body = rows::render_conversation(ctx, &id, &caller.account_id)?;
    Ok(response::ok(&body))
}
