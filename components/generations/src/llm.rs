//! The LLM designer's I/O (issue 14, item 3): an OpenAI-compatible
//! chat-completions endpoint, configured by the Spin variables
//! `llm_base_url` (e.g. `https://api.openai.com/v1`), `llm_model` and
//! `llm_api_key` (a secret), reached only if `llm_allowed_host` (the
//! component's outbound allow-list entry) admits it. Off unless both the
//! base URL and the model are set. The exchange itself (request bodies, the
//! forced tool, parsing, the one repair turn) is `farm_designer::llm`; this
//! only sends its bodies and, when the model gives no valid program, falls
//! back to the offline designer.

use farm_designer::llm::{LlmSession, Step};
use farm_designer::{Design, DesignError, OfflineDesigner, PartDesigner};
use farm_partspec::PartSpec;
use farm_platform::Ctx;
use spin_sdk::http::{Method, Request, Response};

/// The designer names `POST /v1/generations` accepts.
pub const OFFLINE: &str = "offline";
pub const LLM: &str = "llm";

/// Where and which model to ask.
pub struct LlmConfig {
    /// Without a trailing slash; `/chat/completions` is appended.
    pub base_url: String,
    pub model: String,
    /// Sent as `Authorization: Bearer …` when not empty.
    pub api_key: String,
}

/// The configured LLM designer, or `None` (the default: off).
pub fn config(ctx: &Ctx) -> Option<LlmConfig> {
    let var = |name: &str| {
        ctx.var(name)
            .ok()
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let (base_url, model) = (var("llm_base_url"), var("llm_model"));
    if base_url.is_empty() || model.is_empty() {
        return None;
    }
    Some(LlmConfig {
        base_url: base_url.trim_end_matches('/').to_owned(),
        model,
        api_key: var("llm_api_key"),
    })
}

/// Designs with the LLM; when it gives no valid program (unreachable, an
/// error status, garbage, still invalid after the repair turn) the offline
/// designer answers instead. Returns the design and the designer that made
/// it (`llm` or `offline`).
pub fn design(
    ctx: &Ctx,
    cfg: &LlmConfig,
    prompt: &str,
    previous: Option<&PartSpec>,
) -> Result<(Design, &'static str), DesignError> {
    let mut session = LlmSession::new(&cfg.model, prompt, previous);
    let reason = loop {
        let body = match send(cfg, &session.request()) {
            Ok(body) => body,
            Err(reason) => break reason,
        };
        match session.answer(&body) {
            Step::Done(design) => return Ok((design, LLM)),
            Step::Repair { errors } => {
                ctx.log(format_args!(
                    "llm designer: repair turn ({} errors)",
                    errors.len()
                ));
            }
            Step::GiveUp { reason } => break reason,
        }
    };
    ctx.log(format_args!(
        "llm designer gave no valid program ({reason}); offline designer instead"
    ));
    OfflineDesigner
        .design(prompt, previous)
        .map(|design| (design, OFFLINE))
}

/// `POST {base}/chat/completions`; the body of a 200, else why not.
fn send(cfg: &LlmConfig, body: &serde_json::Value) -> Result<Vec<u8>, String> {
    let bytes = serde_json::to_vec(body).map_err(|e| e.to_string())?;
    let mut builder = Request::builder();
    builder
        .method(Method::Post)
        .uri(format!("{}/chat/completions", cfg.base_url))
        .header("content-type", "application/json")
        // An explicit length: without it the body goes out chunked, which
        // some servers refuse (as in pay-kit).
        .header("content-length", bytes.len().to_string());
    if !cfg.api_key.is_empty() {
        builder.header("authorization", format!("Bearer {}", cfg.api_key));
    }
    let request = builder.body(bytes).build();
    let response: Response =
        spin_sdk::http::run(async move { spin_sdk::http::send(request).await })
            .map_err(|e| format!("the endpoint could not be reached: {e}"))?;
    match *response.status() {
        200 => Ok(response.body().to_vec()),
        status => Err(format!("the endpoint answered {status}")),
    }
}
