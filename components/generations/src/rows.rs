//! The `generations` and `conversations` rows and their wire forms.

use farm_cad::export::ExportFormat;
use farm_partspec::PartSpec;
use farm_platform::farm_domain::ids::IdKind;
use farm_platform::{ApiError, Ctx, col};
use serde_json::{Value, json};

pub use farm_platform::wire::timestamp;

/// Lifetime of a presigned preview or export URL, seconds (one hour: long
/// enough to download, short enough that a leaked link dies the same day).
pub const URL_EXPIRES_SECS: u64 = 3600;

/// One generation as stored.
#[derive(Debug, Clone)]
pub struct Generation {
    pub id: String,
    pub account_id: String,
    pub conversation_id: Option<String>,
    pub version: i32,
    pub prompt: String,
    pub status: String,
    pub stage: Option<String>,
    pub part_spec: Option<Value>,
    pub summary: Option<String>,
    pub assumptions: Option<Value>,
    pub dimensions_mm: Option<Value>,
    pub file_id: Option<String>,
    pub export_prefix: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub error_parameter: Option<String>,
    pub base_file_id: Option<String>,
    /// Asked for (`offline`, `llm`) while processing; the one that made the
    /// program once completed (`offline` when the LLM fell back).
    pub designer: String,
    pub created_at: i64,
    pub completed_at: Option<i64>,
    pub livemode: bool,
}

/// Columns [`Generation::from_row`] reads, in order.
pub const COLUMNS: &str = "id, account_id, conversation_id, version, prompt, status, stage, part_spec::text, \
     summary, assumptions::text, dimensions_mm::text, file_id, export_prefix, error_code, error_message, \
     error_parameter, extract(epoch from created_at)::bigint, extract(epoch from completed_at)::bigint, base_file_id, designer, livemode";

fn json_col(
    row: &[farm_platform::spin_sdk::pg4::DbValue],
    i: usize,
) -> Result<Option<Value>, ApiError> {
    let text: Option<String> = col(row, i)?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

impl Generation {
    pub fn from_row(row: &[farm_platform::spin_sdk::pg4::DbValue]) -> Result<Self, ApiError> {
        Ok(Generation {
            id: col(row, 0)?,
            account_id: col(row, 1)?,
            conversation_id: col(row, 2)?,
            version: col(row, 3)?,
            prompt: col(row, 4)?,
            status: col(row, 5)?,
            stage: col(row, 6)?,
            part_spec: json_col(row, 7)?,
            summary: col(row, 8)?,
            assumptions: json_col(row, 9)?,
            dimensions_mm: json_col(row, 10)?,
            file_id: col(row, 11)?,
            export_prefix: col(row, 12)?,
            error_code: col(row, 13)?,
            error_message: col(row, 14)?,
            error_parameter: col(row, 15)?,
            created_at: col(row, 16)?,
            completed_at: col(row, 17)?,
            base_file_id: col(row, 18)?,
            designer: col(row, 19)?,
            livemode: col(row, 20)?,
        })
    }

    /// The caller's generation `id`; `404 generation_not_found` otherwise.
    pub fn load(ctx: &mut Ctx, id: &str, account_id: &str) -> Result<Self, ApiError> {
        if !IdKind::Generation.is_valid(id) {
            return Err(not_found());
        }
        let sql = format!("select {COLUMNS} from generations where id = $1 and account_id = $2");
        let rows = ctx
            .db()?
            .query(&sql, &[id.to_owned().into(), account_id.to_owned().into()])?;
        rows.rows
            .first()
            .map(|r| Generation::from_row(r))
            .ok_or_else(not_found)?
    }

    /// Any generation by id (the work handler; no account scope).
    pub fn load_any(ctx: &mut Ctx, id: &str) -> Result<Option<Self>, ApiError> {
        let sql = format!("select {COLUMNS} from generations where id = $1");
        let rows = ctx.db()?.query(&sql, &[id.to_owned().into()])?;
        rows.rows
            .first()
            .map(|r| Generation::from_row(r))
            .transpose()
    }

    /// The object key of this generation's export in `format`.
    pub fn export_key(&self, format: ExportFormat) -> Option<String> {
        self.export_prefix
            .as_ref()
            .map(|p| format!("{p}{}", format.extension()))
    }

    /// The wire form of `GET /v1/generations/{id}`, its preview URL signed
    /// for [`URL_EXPIRES_SECS`].
    pub fn render(&self, ctx: &Ctx) -> Result<Value, ApiError> {
        let preview_url = match (self.status.as_str(), self.export_key(ExportFormat::Glb)) {
            ("completed", Some(key)) => {
                Some(kit::store::presign_get(ctx, &key, URL_EXPIRES_SECS)?.url)
            }
            _ => None,
        };
        Ok(self.render_with(preview_url))
    }

    /// The wire form with `preview_url` (the GLB export's presigned GET,
    /// shown under `result` once completed) already signed: usable where
    /// the request is busy, e.g. inside a transaction.
    pub fn render_with(&self, preview_url: Option<String>) -> Value {
        let mut body = json!({
            "id": self.id,
            "object": "generation",
            "status": self.status,
            "stage": self.stage,
            "prompt": self.prompt,
            "conversation_id": self.conversation_id,
            "base_file_id": self.base_file_id,
            "designer": self.designer,
            "version": self.version,
            "created_at": timestamp(self.created_at),
            "completed_at": self.completed_at.map(timestamp),
        });
        if self.status == "completed" {
            body["result"] = json!({
                "summary": self.summary,
                "assumptions": self.assumptions,
                "dimensions_mm": self.dimensions_mm,
                "part_spec": self.part_spec,
                "preview_url": preview_url,
                "file_id": self.file_id,
            });
        }
        if self.status == "failed" {
            body["error"] = json!({
                "code": self.error_code,
                "message": self.error_message,
                "parameter": self.error_parameter,
            });
        }
        body
    }
}

/// `404 generation_not_found`.
pub fn not_found() -> ApiError {
    ApiError::new(
        404,
        "generation_not_found",
        "No generation with this id belongs to the calling account.",
    )
}

/// `404 conversation_not_found`.
pub fn conversation_not_found() -> ApiError {
    ApiError::new(
        404,
        "conversation_not_found",
        "No conversation with this id belongs to the calling account.",
    )
}

/// Where a conversation stands when a new turn arrives.
pub struct Head {
    pub conversation_id: String,
    /// The part program of its latest completed turn (`None`: no part yet).
    pub spec: Option<PartSpec>,
    pub next_version: i32,
}

/// The caller's conversation `id`, its latest completed part and the next
/// version number.
pub fn conversation_head(ctx: &mut Ctx, id: &str, account_id: &str) -> Result<Head, ApiError> {
    if !IdKind::Conversation.is_valid(id) {
        return Err(conversation_not_found());
    }
    let rows = ctx.db()?.query(
        "select (select coalesce(max(version), 0) + 1 from generations where conversation_id = c.id), \
                (select part_spec::text from generations where conversation_id = c.id and status = 'completed' \
                 order by version desc limit 1) \
         from conversations c where c.id = $1 and c.account_id = $2",
        &[id.to_owned().into(), account_id.to_owned().into()],
    )?;
    let row = rows.rows.first().ok_or_else(conversation_not_found)?;
    let next_version: i32 = col(row, 0)?;
    let spec: Option<String> = col(row, 1)?;
    Ok(Head {
        conversation_id: id.to_owned(),
        spec: spec.and_then(|s| serde_json::from_str(&s).ok()),
        next_version,
    })
}

/// The part program a turn revises: the latest completed turn of its
/// conversation before `version`.
pub fn previous_spec(
    ctx: &mut Ctx,
    conversation_id: &str,
    version: i32,
) -> Result<Option<PartSpec>, ApiError> {
    let rows = ctx.db()?.query(
        "select part_spec::text from generations where conversation_id = $1 and version < $2 \
         and status = 'completed' order by version desc limit 1",
        &[conversation_id.to_owned().into(), version.into()],
    )?;
    let Some(row) = rows.rows.first() else {
        return Ok(None);
    };
    let text: String = col(row, 0)?;
    Ok(serde_json::from_str(&text).ok())
}

/// The part program recorded for `file_id`, a file of the caller (same
/// account and mode) that a generation made: the program a `base_file_id`
/// turn edits. `404 file_not_found` for no such file of the caller; `422
/// base_file_not_generated` (detail `parameter: "base_file_id"`) for a file
/// with no program, such as an uploaded mesh: a mesh cannot be turned back
/// into a part program, so the prompt should describe the whole part.
pub fn base_file_spec(
    ctx: &mut Ctx,
    file_id: &str,
    caller: &farm_platform::Caller,
) -> Result<PartSpec, ApiError> {
    if !IdKind::File.is_valid(file_id) {
        return Err(ApiError::file_not_found());
    }
    let rows = ctx.db()?.query(
        "select (select g.part_spec::text from generations g where g.file_id = f.id \
                 and g.status = 'completed' limit 1) \
         from files f where f.id = $1 and f.account_id = $2 and f.livemode = $3",
        &[
            file_id.to_owned().into(),
            caller.account_id.clone().into(),
            caller.livemode().into(),
        ],
    )?;
    let row = rows.rows.first().ok_or_else(ApiError::file_not_found)?;
    let spec: Option<String> = col(row, 0)?;
    spec.and_then(|s| serde_json::from_str(&s).ok()).ok_or_else(|| {
        ApiError::new(
            422,
            "base_file_not_generated",
            "base_file_id names a file no generation made (an uploaded mesh has no part program to edit); \
             describe the whole part in the prompt instead.",
        )
        .with_detail("parameter", "base_file_id")
        .with_detail("next_action", "describe_the_whole_part")
    })
}

/// The part program a `base_file_id` turn edits, by the file (the work
/// handler; the request checked the file is the caller's).
pub fn spec_of_file(ctx: &mut Ctx, file_id: &str) -> Result<Option<PartSpec>, ApiError> {
    let rows = ctx.db()?.query(
        "select part_spec::text from generations where file_id = $1 and status = 'completed' limit 1",
        &[file_id.to_owned().into()],
    )?;
    let Some(row) = rows.rows.first() else {
        return Ok(None);
    };
    let text: String = col(row, 0)?;
    Ok(serde_json::from_str(&text).ok())
}

/// Generations the key started this UTC month (seed 002's per-key limit).
pub fn generations_this_month(ctx: &mut Ctx, key_id: &str) -> Result<i64, ApiError> {
    let rows = ctx.db()?.query(
        "select count(*)::bigint from generations where key_id = $1 \
         and created_at >= date_trunc('month', now() at time zone 'UTC') at time zone 'UTC'",
        &[key_id.to_owned().into()],
    )?;
    col(
        rows.rows
            .first()
            .ok_or_else(|| ApiError::internal("count returned no row"))?,
        0,
    )
}

/// `GET /v1/conversations/{id}`: its turns (oldest first) and the current
/// part (the latest completed turn).
pub fn render_conversation(ctx: &mut Ctx, id: &str, account_id: &str) -> Result<Value, ApiError> {
    if !IdKind::Conversation.is_valid(id) {
        return Err(conversation_not_found());
    }
    let rows = ctx.db()?.query(
        "select extract(epoch from created_at)::bigint from conversations where id = $1 and account_id = $2",
        &[id.to_owned().into(), account_id.to_owned().into()],
    )?;
    let created: i64 = col(rows.rows.first().ok_or_else(conversation_not_found)?, 0)?;
    let sql =
        format!("select {COLUMNS} from generations where conversation_id = $1 order by version");
    let rows = ctx.db()?.query(&sql, &[id.to_owned().into()])?;
    let mut turns = Vec::with_capacity(rows.rows.len());
    let mut current = Value::Null;
    for row in &rows.rows {
        let g = Generation::from_row(row)?;
        let rendered = g.render(ctx)?;
        if g.status == "completed" {
            current = rendered.clone();
        }
        turns.push(rendered);
    }
    Ok(json!({
        "id": id,
        "object": "conversation",
        "turns": turns,
        "current": current,
        "created_at": timestamp(created),
    }))
}
