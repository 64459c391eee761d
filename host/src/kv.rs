//! `fermyon:spin/key-value@2.0.0`: an embedded SQLite file by default (the
//! same table layout Spin uses), or Redis when `runtime-config.toml` says so.
//! A component can open only the stores its manifest lists.

use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use redis::AsyncCommands;
use wasmtime::component::Resource;

use crate::bindings::key_value::{self, Error};
use crate::state::RequestState;

/// One backing store for a label.
pub enum KvBackend {
    Sqlite {
        conn: Mutex<rusqlite::Connection>,
        label: String,
    },
    Redis {
        conn: redis::aio::MultiplexedConnection,
    },
}

impl KvBackend {
    pub fn sqlite(path: &Path, label: &str) -> anyhow::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let conn = rusqlite::Connection::open(path)
            .with_context(|| format!("cannot open key-value file {}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE IF NOT EXISTS spin_key_value (
               store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
               PRIMARY KEY (store, key));",
        )?;
        Ok(Self::Sqlite {
            conn: Mutex::new(conn),
            label: label.to_string(),
        })
    }

    pub async fn redis(url: &str) -> anyhow::Result<Self> {
        let client =
            redis::Client::open(url).with_context(|| format!("invalid redis url {url}"))?;
        let conn = client
            .get_multiplexed_async_connection()
            .await
            .with_context(|| format!("cannot connect to the redis key-value store at {url}"))?;
        Ok(Self::Redis { conn })
    }

    fn with_sqlite<T>(
        conn: &Mutex<rusqlite::Connection>,
        f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Result<T, Error> {
        let guard = conn
            .lock()
            .map_err(|_| Error::Other("key-value store lock poisoned".into()))?;
        f(&guard).map_err(|e| Error::Other(e.to_string()))
    }

    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        match self {
            Self::Sqlite { conn, label } => Self::with_sqlite(conn, |c| {
                let mut st = c.prepare_cached(
                    "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2",
                )?;
                let mut rows = st.query((label, key))?;
                rows.next()?.map(|r| r.get(0)).transpose()
            }),
            Self::Redis { conn } => conn.clone().get(key).await.map_err(redis_error),
        }
    }

    pub async fn set(&self, key: &str, value: &[u8]) -> Result<(), Error> {
        match self {
            Self::Sqlite { conn, label } => Self::with_sqlite(conn, |c| {
                c.prepare_cached(
                    "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
                )?
                .execute((label, key, value))
                .map(drop)
            }),
            Self::Redis { conn } => conn.clone().set(key, value).await.map_err(redis_error),
        }
    }

    pub async fn delete(&self, key: &str) -> Result<(), Error> {
        match self {
            Self::Sqlite { conn, label } => Self::with_sqlite(conn, |c| {
                c.prepare_cached("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                    .execute((label, key))
                    .map(drop)
            }),
            Self::Redis { conn } => conn.clone().del(key).await.map_err(redis_error),
        }
    }

    pub async fn exists(&self, key: &str) -> Result<bool, Error> {
        match self {
            Self::Sqlite { .. } => Ok(self.get(key).await?.is_some()),
            Self::Redis { conn } => conn.clone().exists(key).await.map_err(redis_error),
        }
    }

    pub async fn keys(&self) -> Result<Vec<String>, Error> {
        match self {
            Self::Sqlite { conn, label } => Self::with_sqlite(conn, |c| {
                let mut st = c.prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1")?;
                st.query_map([label], |r| r.get(0))?.collect()
            }),
            Self::Redis { conn } => conn.clone().keys("*").await.map_err(redis_error),
        }
    }
}

fn redis_error(e: redis::RedisError) -> Error {
    Error::Other(e.to_string())
}

/// The guest's handle to an opened store.
pub struct StoreHandle {
    backend: Arc<KvBackend>,
}

impl key_value::Host for RequestState {}

impl key_value::HostStore for RequestState {
    async fn open(
        &mut self,
        label: String,
    ) -> wasmtime::Result<Result<Resource<StoreHandle>, Error>> {
        if !self.component.key_value_stores.iter().any(|l| l == &label) {
            return Ok(Err(Error::AccessDenied));
        }
        let Some(backend) = self.services.kv.get(&label) else {
            return Ok(Err(Error::NoSuchStore));
        };
        let handle = StoreHandle {
            backend: backend.clone(),
        };
        Ok(Ok(self.table.push(handle)?))
    }

    async fn get(
        &mut self,
        s: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        let backend = self.table.get(&s)?.backend.clone();
        Ok(backend.get(&key).await)
    }

    async fn set(
        &mut self,
        s: Resource<StoreHandle>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let backend = self.table.get(&s)?.backend.clone();
        Ok(backend.set(&key, &value).await)
    }

    async fn delete(
        &mut self,
        s: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<(), Error>> {
        let backend = self.table.get(&s)?.backend.clone();
        Ok(backend.delete(&key).await)
    }

    async fn exists(
        &mut self,
        s: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<bool, Error>> {
        let backend = self.table.get(&s)?.backend.clone();
        Ok(backend.exists(&key).await)
    }

    async fn get_keys(
        &mut self,
        s: Resource<StoreHandle>,
    ) -> wasmtime::Result<Result<Vec<String>, Error>> {
        let backend = self.table.get(&s)?.backend.clone();
        Ok(backend.keys().await)
    }

    async fn drop(&mut self, s: Resource<StoreHandle>) -> wasmtime::Result<()> {
        self.table.delete(s)?;
        Ok(())
    }
}
