//! Postgres helpers beyond the connection itself.

use crate::ApiError;
use spin_sdk::pg4::Connection;

/// Runs `body` inside `BEGIN` ... `COMMIT` on `db`, rolling back when it
/// returns an error (the error is returned as it was). A Spin Postgres
/// connection is one session, so the statements `body` runs on `db` are in
/// the transaction.
pub fn transaction<T>(
    db: &Connection,
    body: impl FnOnce(&Connection) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    db.execute("begin", &[])?;
    match body(db) {
        Ok(value) => {
            db.execute("commit", &[])?;
            Ok(value)
        }
        Err(e) => {
            // The original error matters more than a failed rollback; the
            // server rolls back anyway when the connection closes.
            let _ = db.execute("rollback", &[]);
            Err(e)
        }
    }
}
