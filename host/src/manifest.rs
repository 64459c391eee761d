//! The subset of Spin's application manifest (version 2) that the host serves.
//!
//! Unknown top-level tables are ignored, as Spin ignores tables that belong to
//! other triggers or tools; fields inside the tables we read are checked.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Manifest {
    pub spin_manifest_version: u32,
    pub application: Application,
    #[serde(default)]
    pub variables: BTreeMap<String, VariableDecl>,
    #[serde(default)]
    pub trigger: Triggers,
    #[serde(default)]
    pub component: BTreeMap<String, ComponentDecl>,
}

#[derive(Debug, Deserialize)]
#[allow(
    dead_code,
    reason = "read by Spin's tooling; parsed here so a typo is reported"
)]
pub struct Application {
    pub name: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
#[allow(
    dead_code,
    reason = "`secret` only changes how Spin's tooling displays a value"
)]
pub struct VariableDecl {
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub secret: bool,
}

#[derive(Debug, Deserialize, Default)]
pub struct Triggers {
    #[serde(default)]
    pub http: Vec<HttpTrigger>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "trigger ids are optional labels")]
pub struct HttpTrigger {
    #[serde(default)]
    pub id: Option<String>,
    pub route: RouteDecl,
    pub component: String,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum RouteDecl {
    Path(String),
    Private { private: bool },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(
    dead_code,
    reason = "`build`, `files` and `description` are for `spin build` and tooling"
)]
pub struct ComponentDecl {
    pub source: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    #[serde(default)]
    pub build: Option<toml::Value>,
    #[serde(default)]
    pub files: Option<toml::Value>,
}

impl Manifest {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read manifest {}", path.display()))?;
        let manifest: Manifest = toml::from_str(&text)
            .with_context(|| format!("{} is not a valid Spin manifest", path.display()))?;
        manifest.validate()?;
        Ok(manifest)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.spin_manifest_version != 2 {
            bail!(
                "spin_manifest_version {} is not supported (only 2)",
                self.spin_manifest_version
            );
        }
        for trigger in &self.trigger.http {
            if !self.component.contains_key(&trigger.component) {
                bail!(
                    "trigger route {:?} names component `{}`, which the manifest does not define",
                    trigger.route,
                    trigger.component
                );
            }
            if let RouteDecl::Private { private: false } = trigger.route {
                bail!(
                    "route = {{ private = false }} is not valid; give a path for component `{}`",
                    trigger.component
                );
            }
        }
        for (name, decl) in &self.variables {
            if !is_valid_variable_name(name) {
                bail!(
                    "invalid variable name `{name}`: use lower-case letters, digits and underscores"
                );
            }
            if decl.required && decl.default.is_some() {
                bail!("variable `{name}` cannot be both required and have a default");
            }
            if !decl.required && decl.default.is_none() {
                bail!("variable `{name}` needs a default or `required = true`");
            }
        }
        Ok(())
    }
}

/// Spin's rule for variable names: lower-case ASCII letters, digits and
/// underscores, starting with a letter.
pub fn is_valid_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
