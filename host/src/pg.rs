//! `spin:postgres/postgres@4.0.0` on tokio-postgres, with connections pooled
//! per address and bounded ([`PgPools`]), each reset as Spin resets it
//! before reuse ([`SESSION_RESET`]). Connecting is subject to the component's allowed outbound
//! hosts, as in Spin.

// The WIT `error` variant is large by its definition; boxing it here would only
// add a conversion at every return.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::types::{FromSql, ToSql, Type};
use tokio_postgres::{Client, NoTls, Row};
use wasmtime::component::Resource;

use crate::bindings::postgres::{
    self, Column, DbDataType, DbError, DbValue, Error, ParameterValue, QueryError, RowSet,
};
use crate::state::RequestState;

/// Connections by address, bounded. At most `max_per_address` connections to
/// one address exist at once (in use plus idle); a guest that opens one when
/// all are in use waits for a free one, up to [`OPEN_WAIT`], and then gets
/// `connection-failed`. Without the bound a burst of requests opens one
/// connection each and a Postgres with the default `max_connections = 100`
/// refuses the rest. A connection returns here when the guest drops its
/// handle, so a request-per-instance app does not reconnect each time.
pub struct PgPools {
    max_per_address: usize,
    pools: Mutex<HashMap<String, Arc<AddressPool>>>,
}

/// One address's connections: a permit per connection in use, and the idle ones.
struct AddressPool {
    in_use: Arc<Semaphore>,
    idle: Mutex<Vec<Client>>,
}

/// Connections per address when the host is not told otherwise: a fraction of
/// Postgres's default `max_connections` (100), so several hosts (or test
/// apps) share one server, and more than a 2-core machine keeps busy.
pub const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS: usize = 16;

/// What Spin runs on a pooled connection before a guest's `open` gets it:
/// its pool (deadpool-postgres) is configured with `RecyclingMethod::Clean`,
/// which sends these statements in one simple query, so no session state (a
/// `SET`, an open cursor, a temporary table, an advisory lock, `LISTEN`)
/// passes from one request to the next. It costs one round trip per request
/// that opens a connection, on Spin and here alike. Prepared statements and
/// plpgsql's cached plans survive it.
pub const SESSION_RESET: &str = "CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; \
     UNLISTEN *; SELECT pg_advisory_unlock_all(); DISCARD TEMP; DISCARD SEQUENCES;";

/// How long `open` waits for a free connection: hosted Spin gives a request
/// 30 s in all, so a wait longer than that cannot help the request.
pub const OPEN_WAIT: Duration = Duration::from_secs(30);

impl Default for PgPools {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_CONNECTIONS_PER_ADDRESS)
    }
}

impl PgPools {
    /// Pools of at most `max_per_address` connections (at least 1).
    pub fn new(max_per_address: usize) -> Self {
        Self {
            max_per_address: max_per_address.max(1),
            pools: Mutex::new(HashMap::new()),
        }
    }

    fn pool(&self, address: &str) -> Result<Arc<AddressPool>, Error> {
        let mut pools = self
            .pools
            .lock()
            .map_err(|_| Error::Other("pool lock poisoned".into()))?;
        Ok(pools
            .entry(address.to_string())
            .or_insert_with(|| {
                Arc::new(AddressPool {
                    in_use: Arc::new(Semaphore::new(self.max_per_address)),
                    idle: Mutex::new(Vec::new()),
                })
            })
            .clone())
    }

    async fn get(&self, address: &str) -> Result<(Client, OwnedSemaphorePermit), Error> {
        let pool = self.pool(address)?;
        let permit = tokio::time::timeout(OPEN_WAIT, pool.in_use.clone().acquire_owned())
            .await
            .map_err(|_| {
                Error::ConnectionFailed(format!(
                    "all {} connections to the database are in use; waited {} s",
                    self.max_per_address,
                    OPEN_WAIT.as_secs()
                ))
            })?
            .map_err(|_| Error::Other("pool closed".into()))?;
        loop {
            let pooled = {
                let mut idle = pool
                    .idle
                    .lock()
                    .map_err(|_| Error::Other("pool lock poisoned".into()))?;
                std::iter::from_fn(|| idle.pop()).find(|c| !c.is_closed())
            };
            let Some(client) = pooled else { break };
            // A connection that cannot be reset is dropped, as Spin's pool
            // drops one that fails to recycle; the next idle one is tried.
            if client.batch_execute(SESSION_RESET).await.is_ok() {
                return Ok((client, permit));
            }
        }
        // No idle connection: open one. In use plus idle stays within the
        // bound, because a connection is only opened when none is idle.
        let (client, connection) = tokio_postgres::connect(address, NoTls)
            .await
            .map_err(|e| Error::ConnectionFailed(e.to_string()))?;
        tokio::spawn(async move {
            // The connection task ends when the client is dropped or the server
            // goes away; either way there is nothing left to report to a guest.
            let _ = connection.await;
        });
        Ok((client, permit))
    }

    /// Returns a connection to its address's idle list (before its permit
    /// is released, so a waiter finds it there).
    fn put(&self, address: &str, client: Client) {
        if client.is_closed() {
            return;
        }
        if let Ok(pool) = self.pool(address)
            && let Ok(mut idle) = pool.idle.lock()
        {
            idle.push(client);
        }
    }
}

/// The guest's handle to an open connection.
pub struct PgConnection {
    address: String,
    client: Option<Client>,
    pools: Arc<PgPools>,
    /// Held while the guest holds the connection; dropped after `put`.
    permit: Option<OwnedSemaphorePermit>,
}

impl Drop for PgConnection {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            self.pools.put(&self.address, client);
        }
        drop(self.permit.take());
    }
}

impl PgConnection {
    fn client(&self) -> Result<&Client, Error> {
        self.client
            .as_ref()
            .ok_or_else(|| Error::Other("connection is closed".into()))
    }
}

impl postgres::Host for RequestState {}

impl postgres::HostConnection for RequestState {
    async fn open(
        &mut self,
        address: String,
    ) -> wasmtime::Result<Result<Resource<PgConnection>, Error>> {
        if !self.component.allowed_hosts.allows_url(&address) {
            return Ok(Err(Error::ConnectionFailed(format!(
                "destination not allowed: add `{}` to the component's allowed_outbound_hosts",
                crate::outbound::origin_of(&address).unwrap_or_else(|| address.clone())
            ))));
        }
        let pools = self.services.pg.clone();
        let (client, permit) = match pools.get(&address).await {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let conn = PgConnection {
            address,
            client: Some(client),
            pools,
            permit: Some(permit),
        };
        Ok(Ok(self.table.push(conn)?))
    }

    async fn query(
        &mut self,
        c: Resource<PgConnection>,
        statement: String,
        params: Vec<ParameterValue>,
    ) -> wasmtime::Result<Result<RowSet, Error>> {
        let conn = self.table.get(&c)?;
        Ok(query(conn, &statement, params).await)
    }

    async fn execute(
        &mut self,
        c: Resource<PgConnection>,
        statement: String,
        params: Vec<ParameterValue>,
    ) -> wasmtime::Result<Result<u64, Error>> {
        let conn = self.table.get(&c)?;
        let result = async {
            let params = to_sql_params(params)?;
            let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref() as _).collect();
            conn.client()?
                .execute(statement.as_str(), &refs)
                .await
                .map_err(query_failed)
        }
        .await;
        Ok(result)
    }

    async fn drop(&mut self, c: Resource<PgConnection>) -> wasmtime::Result<()> {
        self.table.delete(c)?;
        Ok(())
    }
}

async fn query(
    conn: &PgConnection,
    statement: &str,
    params: Vec<ParameterValue>,
) -> Result<RowSet, Error> {
    let params = to_sql_params(params)?;
    let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref() as _).collect();
    let client = conn.client()?;
    let stmt = client.prepare(statement).await.map_err(query_failed)?;
    let rows = client.query(&stmt, &refs).await.map_err(query_failed)?;
    let columns = stmt
        .columns()
        .iter()
        .map(|c| Column {
            name: c.name().to_string(),
            data_type: data_type(c.type_()),
        })
        .collect();
    let rows = rows
        .iter()
        .map(convert_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RowSet { columns, rows })
}

fn query_failed(e: tokio_postgres::Error) -> Error {
    match e.as_db_error() {
        Some(db) => Error::QueryFailed(QueryError::DbError(DbError {
            as_text: db.to_string(),
            severity: db.severity().to_string(),
            code: db.code().code().to_string(),
            message: db.message().to_string(),
            detail: db.detail().map(str::to_string),
            extras: Vec::new(),
        })),
        None => Error::QueryFailed(QueryError::Text(e.to_string())),
    }
}

type Param = Box<dyn ToSql + Sync + Send>;

/// SQL NULL for a parameter of any type, as Spin sends `db-null`: an
/// `Option<String>` would be refused for a non-text parameter (an `int8`
/// column set to NULL failed with "error serializing parameter").
#[derive(Debug)]
struct SqlNull;

impl ToSql for SqlNull {
    fn to_sql(
        &self,
        _: &Type,
        _: &mut tokio_postgres::types::private::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        Ok(tokio_postgres::types::IsNull::Yes)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

fn to_sql_params(params: Vec<ParameterValue>) -> Result<Vec<Param>, Error> {
    params.into_iter().map(to_sql).collect()
}

fn to_sql(p: ParameterValue) -> Result<Param, Error> {
    Ok(match p {
        ParameterValue::Boolean(v) => Box::new(v),
        ParameterValue::Int8(v) => Box::new(v),
        ParameterValue::Int16(v) => Box::new(v),
        ParameterValue::Int32(v) => Box::new(v),
        ParameterValue::Int64(v) => Box::new(v),
        ParameterValue::Floating32(v) => Box::new(v),
        ParameterValue::Floating64(v) => Box::new(v),
        ParameterValue::Str(v) => Box::new(v),
        ParameterValue::Binary(v) => Box::new(v),
        ParameterValue::Date((y, m, d)) => Box::new(
            NaiveDate::from_ymd_opt(y, m.into(), d.into())
                .ok_or_else(|| Error::BadParameter(format!("invalid date {y}-{m}-{d}")))?,
        ),
        ParameterValue::Time((h, m, s, ns)) => Box::new(
            NaiveTime::from_hms_nano_opt(h.into(), m.into(), s.into(), ns)
                .ok_or_else(|| Error::BadParameter("invalid time".into()))?,
        ),
        ParameterValue::Datetime((y, mo, d, h, mi, s, ns)) => {
            let date = NaiveDate::from_ymd_opt(y, mo.into(), d.into());
            let time = NaiveTime::from_hms_nano_opt(h.into(), mi.into(), s.into(), ns);
            match (date, time) {
                (Some(date), Some(time)) => Box::new(NaiveDateTime::new(date, time)),
                _ => return Err(Error::BadParameter("invalid datetime".into())),
            }
        }
        ParameterValue::Timestamp(secs) => Box::new(
            chrono::DateTime::from_timestamp(secs, 0)
                .ok_or_else(|| Error::BadParameter(format!("timestamp {secs} out of range")))?,
        ),
        ParameterValue::Uuid(v) => Box::new(
            uuid::Uuid::parse_str(&v)
                .map_err(|e| Error::BadParameter(format!("invalid uuid: {e}")))?,
        ),
        ParameterValue::Jsonb(bytes) => Box::new(
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .map_err(|e| Error::BadParameter(format!("invalid jsonb: {e}")))?,
        ),
        ParameterValue::ArrayInt32(v) => Box::new(v),
        ParameterValue::ArrayInt64(v) => Box::new(v),
        ParameterValue::ArrayStr(v) => Box::new(v),
        ParameterValue::DbNull => Box::new(SqlNull),
        ParameterValue::Decimal(_)
        | ParameterValue::RangeInt32(_)
        | ParameterValue::RangeInt64(_)
        | ParameterValue::RangeDecimal(_)
        | ParameterValue::ArrayDecimal(_)
        | ParameterValue::Interval(_) => {
            return Err(Error::BadParameter(
                "decimal, range and interval parameters are not supported by the local host; cast from text in SQL".into(),
            ));
        }
    })
}

fn data_type(t: &Type) -> DbDataType {
    match *t {
        Type::BOOL => DbDataType::Boolean,
        Type::CHAR => DbDataType::Int8,
        Type::INT2 => DbDataType::Int16,
        Type::INT4 => DbDataType::Int32,
        Type::INT8 => DbDataType::Int64,
        Type::FLOAT4 => DbDataType::Floating32,
        Type::FLOAT8 => DbDataType::Floating64,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => DbDataType::Str,
        Type::BYTEA => DbDataType::Binary,
        Type::DATE => DbDataType::Date,
        Type::TIME => DbDataType::Time,
        Type::TIMESTAMP | Type::TIMESTAMPTZ => DbDataType::Datetime,
        Type::UUID => DbDataType::Uuid,
        Type::JSON | Type::JSONB => DbDataType::Jsonb,
        Type::INT4_ARRAY => DbDataType::ArrayInt32,
        Type::INT8_ARRAY => DbDataType::ArrayInt64,
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY => DbDataType::ArrayStr,
        ref other => DbDataType::Other(other.name().to_string()),
    }
}

/// Raw bytes of a value of a type this host does not convert.
struct Raw(Vec<u8>);

impl<'a> FromSql<'a> for Raw {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(raw.to_vec()))
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

fn convert_row(row: &Row) -> Result<Vec<DbValue>, Error> {
    (0..row.len()).map(|i| convert_value(row, i)).collect()
}

fn get<'a, T: FromSql<'a>>(row: &'a Row, i: usize) -> Result<Option<T>, Error> {
    row.try_get::<_, Option<T>>(i)
        .map_err(|e| Error::ValueConversionFailed(e.to_string()))
}

fn convert_value(row: &Row, i: usize) -> Result<DbValue, Error> {
    let t = row.columns()[i].type_().clone();
    let value = match t {
        Type::BOOL => get::<bool>(row, i)?.map(DbValue::Boolean),
        Type::CHAR => get::<i8>(row, i)?.map(DbValue::Int8),
        Type::INT2 => get::<i16>(row, i)?.map(DbValue::Int16),
        Type::INT4 => get::<i32>(row, i)?.map(DbValue::Int32),
        Type::INT8 => get::<i64>(row, i)?.map(DbValue::Int64),
        Type::FLOAT4 => get::<f32>(row, i)?.map(DbValue::Floating32),
        Type::FLOAT8 => get::<f64>(row, i)?.map(DbValue::Floating64),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
            get::<String>(row, i)?.map(DbValue::Str)
        }
        Type::BYTEA => get::<Vec<u8>>(row, i)?.map(DbValue::Binary),
        Type::DATE => get::<NaiveDate>(row, i)?
            .map(|d| DbValue::Date((d.year(), d.month() as u8, d.day() as u8))),
        Type::TIME => get::<NaiveTime>(row, i)?.map(|t| {
            DbValue::Time((
                t.hour() as u8,
                t.minute() as u8,
                t.second() as u8,
                t.nanosecond(),
            ))
        }),
        Type::TIMESTAMP => get::<NaiveDateTime>(row, i)?.map(datetime),
        Type::TIMESTAMPTZ => {
            get::<chrono::DateTime<chrono::Utc>>(row, i)?.map(|d| datetime(d.naive_utc()))
        }
        Type::UUID => get::<uuid::Uuid>(row, i)?.map(|u| DbValue::Uuid(u.to_string())),
        Type::JSON | Type::JSONB => get::<serde_json::Value>(row, i)?
            .map(|v| DbValue::Jsonb(serde_json::to_vec(&v).unwrap_or_default())),
        Type::INT4_ARRAY => get::<Vec<Option<i32>>>(row, i)?.map(DbValue::ArrayInt32),
        Type::INT8_ARRAY => get::<Vec<Option<i64>>>(row, i)?.map(DbValue::ArrayInt64),
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY => {
            get::<Vec<Option<String>>>(row, i)?.map(DbValue::ArrayStr)
        }
        _ => get::<Raw>(row, i)?.map(|r| DbValue::Unsupported(r.0)),
    };
    Ok(value.unwrap_or(DbValue::DbNull))
}

fn datetime(d: NaiveDateTime) -> DbValue {
    DbValue::Datetime((
        d.year(),
        d.month() as u8,
        d.day() as u8,
        d.hour() as u8,
        d.minute() as u8,
        d.second() as u8,
        d.nanosecond(),
    ))
}
