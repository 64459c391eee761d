//! The request's Postgres connection, counting the statements it sends, and
//! transactions on it.
//!
//! On a hosted Spin every statement is a network round trip to a managed
//! Postgres, so statements per request are a figure we watch: the request's
//! log line ends with `db_statements=N`, and the tests and the quote benchmark
//! read it from there (issue 9, item 7: authentication is one statement, a
//! quote at most three).

use crate::ApiError;
use spin_sdk::pg4::{Connection, ParameterValue, PgError, RowSet};
use std::cell::Cell;

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

/// A `spin:postgres` connection that counts each `query` and `execute`.
///
/// It derefs to [`Connection`] so code written against `&Connection` keeps
/// working; calls made through the deref are not counted, so request paths
/// call `query`/`execute` on the `Db` itself.
pub struct Db {
    conn: Connection,
    statements: Cell<u32>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("statements", &self.statements.get())
            .finish()
    }
}

impl Db {
    pub(crate) fn new(conn: Connection) -> Self {
        Db {
            conn,
            statements: Cell::new(0),
        }
    }

    /// Runs a statement that returns rows (one round trip).
    pub fn query(&self, statement: &str, params: &[ParameterValue]) -> Result<RowSet, PgError> {
        self.count();
        self.conn.query(statement, params)
    }

    /// Runs a statement and returns the number of rows it changed (one round trip).
    pub fn execute(&self, statement: &str, params: &[ParameterValue]) -> Result<u64, PgError> {
        self.count();
        self.conn.execute(statement, params)
    }

    /// Statements sent so far in this request.
    pub fn statements(&self) -> u32 {
        self.statements.get()
    }

    fn count(&self) {
        self.statements.set(self.statements.get().saturating_add(1));
    }
}

impl std::ops::Deref for Db {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        &self.conn
    }
}
