//! Application variables: declared in `[variables]`, given values by the
//! environment (`SPIN_VARIABLE_<NAME>`) or the embedder, and surfaced to a
//! component only through its `[component.<id>.variables]` templates, as in Spin.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context, bail};

use crate::manifest::{Manifest, is_valid_variable_name};

/// Resolved application variables.
#[derive(Clone, Debug, Default)]
pub struct AppVariables {
    values: HashMap<String, String>,
}

impl AppVariables {
    /// Resolves every declared variable. Precedence, highest first: the
    /// embedder's overrides, `SPIN_VARIABLE_<NAME>` from the environment, the
    /// manifest default. A required variable with no value is an error.
    pub fn resolve(
        manifest: &Manifest,
        overrides: &HashMap<String, String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        for name in overrides.keys() {
            if !manifest.variables.contains_key(name) {
                bail!("variable `{name}` was given a value but the manifest does not declare it");
            }
        }
        let mut values = HashMap::new();
        let mut missing = Vec::new();
        for (name, decl) in &manifest.variables {
            let env_name = format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase());
            let value = overrides
                .get(name)
                .cloned()
                .or_else(|| env(&env_name))
                .or_else(|| decl.default.clone());
            match value {
                Some(v) => {
                    values.insert(name.clone(), v);
                }
                None => missing.push(format!("`{name}` (set {env_name})")),
            }
        }
        if !missing.is_empty() {
            bail!("required variables have no value: {}", missing.join(", "));
        }
        Ok(Self { values })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Expands `{{ name }}` templates against the application variables.
    pub fn expand(&self, template: &str) -> anyhow::Result<String> {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .with_context(|| format!("unterminated `{{{{` in template {template:?}"))?;
            let name = after[..end].trim();
            if !is_valid_variable_name(name) {
                bail!("invalid variable reference `{name}` in template {template:?}");
            }
            let value = self.get(name).with_context(|| {
                format!("template {template:?} refers to undeclared variable `{name}`")
            })?;
            out.push_str(value);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// The variables one component may read, already expanded.
#[derive(Clone, Debug, Default)]
pub struct ComponentVariables {
    values: HashMap<String, String>,
}

impl ComponentVariables {
    pub fn new(app: &AppVariables, templates: &BTreeMap<String, String>) -> anyhow::Result<Self> {
        let mut values = HashMap::new();
        for (name, template) in templates {
            if !is_valid_variable_name(name) {
                bail!("invalid component variable name `{name}`");
            }
            values.insert(name.clone(), app.expand(template)?);
        }
        Ok(Self { values })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(vars: &str) -> Manifest {
        toml::from_str(&format!(
            "spin_manifest_version = 2\n[application]\nname = \"t\"\n[variables]\n{vars}"
        ))
        .expect("test manifest parses")
    }

    #[test]
    fn precedence_is_override_then_env_then_default() {
        let m =
            manifest("a = { default = \"d\" }\nb = { default = \"d\" }\nc = { default = \"d\" }");
        let overrides = HashMap::from([("a".to_string(), "o".to_string())]);
        let env =
            |k: &str| (k == "SPIN_VARIABLE_A" || k == "SPIN_VARIABLE_B").then(|| "e".to_string());
        let vars = AppVariables::resolve(&m, &overrides, env).expect("resolves");
        assert_eq!(vars.get("a"), Some("o"));
        assert_eq!(vars.get("b"), Some("e"));
        assert_eq!(vars.get("c"), Some("d"));
    }

    #[test]
    fn a_missing_required_variable_is_an_error_naming_it() {
        let m = manifest("token = { required = true, secret = true }");
        let err = AppVariables::resolve(&m, &HashMap::new(), |_| None).expect_err("must fail");
        assert!(err.to_string().contains("SPIN_VARIABLE_TOKEN"), "{err}");
    }

    #[test]
    fn templates_expand_and_reject_unknown_names() {
        let m = manifest("host = { default = \"127.0.0.1:5432\" }");
        let vars = AppVariables::resolve(&m, &HashMap::new(), |_| None).expect("resolves");
        assert_eq!(
            vars.expand("postgres://{{ host }}/x").expect("expands"),
            "postgres://127.0.0.1:5432/x"
        );
        assert!(vars.expand("{{ nope }}").is_err());
        assert!(vars.expand("{{ host").is_err());
    }
}
