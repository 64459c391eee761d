//! The `files` row and its wire form (`GET /v1/files/{id}`).

use farm_platform::farm_domain::ids::IdKind;
use farm_platform::{ApiError, Ctx, col};
use serde_json::{Value, json};
use spin_sdk::pg4::DbValue;

/// One file as stored. It carries no account id: every query that loads a
/// row is already scoped by the caller's account.
#[derive(Debug, Clone)]
pub struct FileRow {
    pub id: String,
    pub status: String,
    pub filename: String,
    pub content_type: String,
    pub format: String,
    pub size_bytes: i64,
    pub object_key: String,
    pub content_sha256: Option<String>,
    pub selected_unit: Option<String>,
    pub unit_confirmed_by: Option<String>,
    pub metrics: Option<Value>,
    pub report: Option<Value>,
    pub failure_reason: Option<String>,
    pub upload_expires_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

pub const FILE_COLUMNS: &str = "id, status, filename, content_type, format, size_bytes, object_key, \
     content_sha256, selected_unit, unit_confirmed_by, metrics::text, report::text, failure_reason, \
     extract(epoch from upload_expires_at)::bigint, extract(epoch from created_at)::bigint, \
     extract(epoch from updated_at)::bigint";

impl FileRow {
    pub fn from_row(row: &[DbValue]) -> Result<Self, ApiError> {
        let json_col = |i: usize| -> Result<Option<Value>, ApiError> {
            let text: Option<String> = col(row, i)?;
            Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
        };
        Ok(FileRow {
            id: col(row, 0)?,
            status: col(row, 1)?,
            filename: col(row, 2)?,
            content_type: col(row, 3)?,
            format: col(row, 4)?,
            size_bytes: col(row, 5)?,
            object_key: col(row, 6)?,
            content_sha256: col(row, 7)?,
            selected_unit: col(row, 8)?,
            unit_confirmed_by: col(row, 9)?,
            metrics: json_col(10)?,
            report: json_col(11)?,
            failure_reason: col(row, 12)?,
            upload_expires_at: col(row, 13)?,
            created_at: col(row, 14)?,
            updated_at: col(row, 15)?,
        })
    }

    /// The caller's file, or `file_not_found` (also for another account's file
    /// and for malformed ids).
    pub fn load(ctx: &mut Ctx, id: &str, account_id: &str) -> Result<Self, ApiError> {
        if !IdKind::File.is_valid(id) {
            return Err(ApiError::file_not_found());
        }
        let sql = format!("select {FILE_COLUMNS} from files where id = $1 and account_id = $2");
        let rows = ctx
            .db()?
            .query(&sql, &[id.to_owned().into(), account_id.to_owned().into()])?;
        let row = rows.rows.first().ok_or_else(ApiError::file_not_found)?;
        FileRow::from_row(row)
    }

    fn next_action(&self) -> &'static str {
        match self.status.as_str() {
            "pending_upload" => "upload_file_then_confirm",
            "processing" => "poll_file_until_ready",
            "ready" => "create_quote",
            _ => "fix_file_and_upload_again",
        }
    }

    /// The wire form: seed 001's shape plus the printability report.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "file_id": self.id,
            "status": self.status,
            "filename": self.filename,
            "content_type": self.content_type,
            "format": self.format,
            "size_bytes": self.size_bytes,
            "content_sha256": self.content_sha256,
            "selected_unit": self.selected_unit,
            "unit_confirmed_by": self.unit_confirmed_by,
            "metrics_json": self.metrics,
            "printability": self.report,
            "failure_reason": self.failure_reason,
            "upload_expires_at": farm_platform::wire::timestamp(self.upload_expires_at),
            "created_at": farm_platform::wire::timestamp(self.created_at),
            "updated_at": farm_platform::wire::timestamp(self.updated_at),
            "next_action": self.next_action(),
        })
    }
}
