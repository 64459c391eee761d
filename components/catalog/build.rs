//! Builds the OpenAPI document from `openapi/`: `base.json` plus every other
//! `*.json` in the folder (a fragment per endpoint group), merged in file-name
//! order. Adding a fragment needs no code change.
//!
//! Merge rules: `paths` are merged per method (the same method of the same
//! path in two fragments is an error); `components.*` entries are merged by
//! name (base wins over a fragment that restates it; two fragments that
//! define one name differently is an error); `tags` are unioned by name.
//! Every local `$ref` must resolve, so a typo fails the build, not a client.

use serde_json::{Map, Value};
use std::path::Path;
use std::{env, fs};

fn main() {
    if let Err(e) = run() {
        eprintln!("openapi: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let dir = Path::new("openapi");
    println!("cargo:rerun-if-changed=openapi");
    let read = |p: &Path| -> Result<Value, String> {
        let text = fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
    };
    let mut doc = read(&dir.join("base.json"))?;
    let mut names: Vec<_> = fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".json") && n != "base.json")
        .collect();
    names.sort();
    let base_components = doc
        .get("components")
        .cloned()
        .unwrap_or(Value::Object(Map::new()));
    let mut origin: Map<String, Value> = Map::new(); // "section/name" -> fragment file
    for name in &names {
        println!("cargo:rerun-if-changed=openapi/{name}");
        let fragment = read(&dir.join(name))?;
        merge_paths(&mut doc, &fragment, name)?;
        merge_components(&mut doc, &base_components, &fragment, name, &mut origin)?;
        merge_tags(&mut doc, &fragment);
    }
    check_refs(&doc, &doc, "")?;
    let out = Path::new(&env::var("OUT_DIR").map_err(|e| e.to_string())?).join("openapi.json");
    let text = serde_json::to_string(&doc).map_err(|e| e.to_string())?;
    fs::write(&out, text).map_err(|e| format!("{}: {e}", out.display()))
}

fn obj<'a>(v: &'a mut Value, key: &str) -> Result<&'a mut Map<String, Value>, String> {
    let map = v.as_object_mut().ok_or("expected an object")?;
    map.entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or_else(|| format!("`{key}` must be an object"))
}

fn merge_paths(doc: &mut Value, fragment: &Value, file: &str) -> Result<(), String> {
    let Some(paths) = fragment.get("paths").and_then(Value::as_object) else {
        return Ok(());
    };
    let target = obj(doc, "paths")?;
    for (path, item) in paths {
        let item = item
            .as_object()
            .ok_or_else(|| format!("{file}: path {path} must be an object"))?;
        let existing = target
            .entry(path.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        let existing = existing
            .as_object_mut()
            .ok_or("path item must be an object")?;
        for (method, op) in item {
            if existing.contains_key(method) {
                return Err(format!(
                    "{file}: {method} {path} is already described by another fragment"
                ));
            }
            existing.insert(method.clone(), op.clone());
        }
    }
    Ok(())
}

fn merge_components(
    doc: &mut Value,
    base: &Value,
    fragment: &Value,
    file: &str,
    origin: &mut Map<String, Value>,
) -> Result<(), String> {
    let Some(sections) = fragment.get("components").and_then(Value::as_object) else {
        return Ok(());
    };
    for (section, entries) in sections {
        let entries = entries
            .as_object()
            .ok_or_else(|| format!("{file}: components.{section} must be an object"))?;
        let components = obj(doc, "components")?;
        let section_map = components
            .entry(section.clone())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .ok_or("components section must be an object")?;
        for (name, def) in entries {
            let key = format!("{section}/{name}");
            if base.get(section).and_then(|s| s.get(name)).is_some() {
                continue; // base.json is authoritative for shared definitions
            }
            match (section_map.get(name), origin.get(&key)) {
                (Some(existing), Some(first)) if existing != def => {
                    return Err(format!(
                        "{file}: components.{section}.{name} differs from its definition in {first}"
                    ));
                }
                (Some(_), _) => {}
                (None, _) => {
                    section_map.insert(name.clone(), def.clone());
                    origin.insert(key, Value::String(file.to_string()));
                }
            }
        }
    }
    Ok(())
}

fn merge_tags(doc: &mut Value, fragment: &Value) {
    let Some(tags) = fragment.get("tags").and_then(Value::as_array) else {
        return;
    };
    let Some(map) = doc.as_object_mut() else {
        return;
    };
    let list = map
        .entry("tags")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Some(list) = list.as_array_mut() {
        for tag in tags {
            if !list.iter().any(|t| t.get("name") == tag.get("name")) {
                list.push(tag.clone());
            }
        }
    }
}

fn check_refs(doc: &Value, v: &Value, at: &str) -> Result<(), String> {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref")
                && let Some(pointer) = r.strip_prefix('#')
                && doc.pointer(pointer).is_none()
            {
                return Err(format!("dangling $ref {r} at {at}"));
            }
            m.iter()
                .try_for_each(|(k, c)| check_refs(doc, c, &format!("{at}/{k}")))
        }
        Value::Array(a) => a
            .iter()
            .enumerate()
            .try_for_each(|(i, c)| check_refs(doc, c, &format!("{at}/{i}"))),
        _ => Ok(()),
    }
}
