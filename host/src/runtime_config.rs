//! `runtime-config.toml`: where the key-value stores live. As in Spin, the
//! `default` store is an embedded SQLite file unless configured otherwise, and
//! an unknown key is an error rather than a silent no-op; and
//! `[outbound_networking] block_networks` (see `crate::networks`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeConfig {
    #[serde(default)]
    pub key_value_store: BTreeMap<String, StoreConfig>,
    /// Spin's `[outbound_networking]` (only `block_networks` here).
    #[serde(default)]
    pub outbound_networking: OutboundNetworking,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundNetworking {
    /// CIDRs and/or `private`; see `crate::networks`.
    #[serde(default)]
    pub block_networks: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum StoreConfig {
    /// Spin's embedded store: a SQLite file (relative paths are relative to
    /// the runtime config file's folder).
    Spin {
        #[serde(default)]
        path: Option<PathBuf>,
    },
    Redis {
        url: String,
    },
}

impl RuntimeConfig {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read runtime config {}", path.display()))?;
        let mut config: RuntimeConfig = toml::from_str(&text)
            .with_context(|| format!("{} is not a valid runtime config", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for store in config.key_value_store.values_mut() {
            if let StoreConfig::Spin { path: Some(p) } = store
                && p.is_relative()
            {
                *p = base.join(&*p);
            }
        }
        Ok(config)
    }

    /// The configuration of a store label: the configured one, or for
    /// `default` the embedded SQLite file in the state folder.
    pub fn store(&self, label: &str, state_dir: &Path) -> anyhow::Result<StoreConfig> {
        match self.key_value_store.get(label) {
            Some(StoreConfig::Spin { path: None }) | None if label == "default" => {
                Ok(StoreConfig::Spin {
                    path: Some(state_dir.join("sqlite_key_value.db")),
                })
            }
            Some(c) => Ok(c.clone()),
            None => bail!(
                "key-value store `{label}` is used by a component but runtime-config.toml does not define it"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors() {
        assert!(toml::from_str::<RuntimeConfig>("[sqlite_database.default]\ntype='spin'").is_err());
        assert!(
            toml::from_str::<RuntimeConfig>(
                "[key_value_store.default]\ntype='redis'\nurl='x'\nextra=1"
            )
            .is_err()
        );
    }

    #[test]
    fn default_store_is_sqlite_in_the_state_dir_unless_configured() {
        let empty = RuntimeConfig::default();
        match empty
            .store("default", Path::new("/s"))
            .expect("default exists")
        {
            StoreConfig::Spin { path } => {
                assert_eq!(path, Some(PathBuf::from("/s/sqlite_key_value.db")))
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(empty.store("other", Path::new("/s")).is_err());
        let redis: RuntimeConfig =
            toml::from_str("[key_value_store.default]\ntype='redis'\nurl='redis://h'")
                .expect("parses");
        assert!(matches!(
            redis.store("default", Path::new("/s")),
            Ok(StoreConfig::Redis { .. })
        ));
    }
}
