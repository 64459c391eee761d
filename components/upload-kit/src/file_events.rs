//! `file.ready` and `file.failed`: recorded in the transaction that writes a
//! file's final state, through the one event writer
//! (`farm_platform::events::record`), so webhook deliveries exist exactly
//! when the state does.

use farm_platform::events::{NewEvent, record};
use farm_platform::{ApiError, col};
use spin_sdk::pg4::Connection;

use crate::rows::{FILE_COLUMNS, FileRow};

/// Records `file.<status>` for `file_id` as it is now (call it after the
/// update, inside the same transaction). `status` is `ready` or `failed`.
pub fn record_outcome(db: &Connection, file_id: &str, status: &str) -> Result<(), ApiError> {
    let kind = match status {
        "ready" => "file.ready",
        "failed" => "file.failed",
        other => {
            return Err(ApiError::internal(format!(
                "no event for file status {other:?}"
            )));
        }
    };
    let rows = db.query(
        &format!("select {FILE_COLUMNS}, account_id, livemode from files where id = $1"),
        &[file_id.to_owned().into()],
    )?;
    let row = rows
        .rows
        .first()
        .ok_or_else(|| ApiError::internal("file vanished before its event"))?;
    let n = row.len();
    let file = FileRow::from_row(row)?;
    let account_id: String = col(row, n - 2)?;
    let livemode: bool = col(row, n - 1)?;
    let data = file.to_json();
    record(
        db,
        &NewEvent {
            account_id: &account_id,
            livemode,
            kind,
            object_type: "file",
            object_id: file_id,
            order_id: None,
            data: &data,
        },
    )?;
    Ok(())
}
