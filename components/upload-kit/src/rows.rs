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

/// How many columns [`FILE_COLUMNS`] selects (a query may add more after them).
pub const FILE_COLUMN_COUNT: usize = 16;

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

    /// The caller's file in the caller's mode (`livemode`), or
    /// `file_not_found` (also for another account's file, a file of the
    /// other mode, and malformed ids).
    pub fn load(
        ctx: &mut Ctx,
        id: &str,
        account_id: &str,
        livemode: bool,
    ) -> Result<Self, ApiError> {
        if !IdKind::File.is_valid(id) {
            return Err(ApiError::file_not_found());
        }
        let sql = format!(
            "select {FILE_COLUMNS} from files where id = $1 and account_id = $2 and livemode = $3"
        );
        let rows = ctx.db()?.query(
            &sql,
            &[
                id.to_owned().into(),
                account_id.to_owned().into(),
                livemode.into(),
            ],
        )?;
        let row = rows.rows.first().ok_or_else(ApiError::file_not_found)?;
        FileRow::from_row(row)
    }

    /// Whether analysis found a finding that blocks printing (the report's
    /// `printable` is false): such a file is ready but cannot be quoted.
    pub fn is_unprintable(&self) -> bool {
        self.report
            .as_ref()
            .is_some_and(|r| r["printable"] == false)
    }

    /// Whether the detected unit is in doubt (the analysis warned
    /// `unit_suspect`) and nobody has confirmed one.
    pub fn unit_in_doubt(&self) -> bool {
        self.unit_confirmed_by.is_none()
            && self.metrics.as_ref().is_some_and(|m| {
                m["warnings"]
                    .as_array()
                    .is_some_and(|w| w.iter().any(|x| x == "unit_suspect"))
            })
    }

    /// What the caller should do next with this file, by state:
    /// `upload_file_then_confirm` (pending, URL still valid),
    /// `presign_new_upload` (pending, URL expired), `poll_file_until_ready`
    /// (processing; `Retry-After` gives the interval), `confirm_unit` (ready,
    /// but the part is implausibly small or large in the detected unit),
    /// `create_quote` (ready), `fix_file_and_upload_again` (failed, or ready
    /// with a blocking finding).
    pub fn next_action(&self, now: i64) -> &'static str {
        match self.status.as_str() {
            "pending_upload" if self.upload_expires_at > now => "upload_file_then_confirm",
            "pending_upload" => "presign_new_upload",
            "processing" => "poll_file_until_ready",
            "ready" if self.is_unprintable() => "fix_file_and_upload_again",
            "ready" if self.unit_in_doubt() => "confirm_unit",
            "ready" => "create_quote",
            _ => "fix_file_and_upload_again",
        }
    }

    /// The wire form: seed 001's shape plus the printability report. `id` is
    /// the file's only id field. The upload URL is not part of it (see
    /// [`FileRow::render`]).
    pub fn to_json(&self) -> Value {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        self.to_json_at(now)
    }

    fn to_json_at(&self, now: i64) -> Value {
        json!({
            "id": self.id,
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
            "next_action": self.next_action(now),
        })
    }

    /// The file as `GET /v1/files/{id}` answers it: [`FileRow::to_json`], plus,
    /// while the file waits for its bytes and its URL has not expired, a fresh
    /// presigned `upload_url` and its `required_headers` (valid until the
    /// same `upload_expires_at`, so a lost URL never needs a new presign); and
    /// on a `processing` file a `Retry-After` of [`POLL_INTERVAL_SECS`].
    pub fn render(&self, ctx: &mut Ctx) -> Result<Value, ApiError> {
        let now = ctx.now();
        let mut body = self.to_json_at(now);
        if self.status == "pending_upload" && self.upload_expires_at > now {
            let remaining = (self.upload_expires_at - now) as u64;
            let signed =
                crate::store::presign_put(ctx, &self.object_key, &self.content_type, remaining)?;
            body["upload_url"] = json!(signed.url);
            body["upload_method"] = json!("PUT");
            body["required_headers"] = signed
                .required_headers
                .iter()
                .map(|(n, v)| (n.clone(), json!(v)))
                .collect::<serde_json::Map<_, _>>()
                .into();
        }
        if self.status == "processing" {
            ctx.set_response_header("retry-after", POLL_INTERVAL_SECS.to_string());
        }
        Ok(body)
    }
}

/// How long to wait between polls of a `processing` file (`Retry-After`).
/// Analysis of an ordinary part takes well under a second and of the largest
/// accepted upload a few seconds; polling every 2 s spends at most half of the
/// default budget of 60 requests a minute.
pub const POLL_INTERVAL_SECS: u32 = 2;
