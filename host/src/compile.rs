//! Compiling components: one engine per process, each distinct `.wasm`
//! compiled once per process and cached on disk across processes, so tests and
//! restarts skip Cranelift.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use anyhow::Context;
use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{Config, Engine};

pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        config.wasm_component_model(true);
        Engine::new(&config).expect("the engine configuration is static and valid")
    })
}

/// Loads a component from `wasm_path`, using the in-process and on-disk caches.
pub fn load(wasm_path: &Path, cache_dir: &Path) -> anyhow::Result<Component> {
    static LOADED: OnceLock<Mutex<HashMap<String, Component>>> = OnceLock::new();
    let bytes = std::fs::read(wasm_path).with_context(|| {
        format!(
            "cannot read {} (build the components with scripts/build-wasm.sh)",
            wasm_path.display()
        )
    })?;
    let digest = hex::encode(Sha256::digest(&bytes));
    let loaded = LOADED.get_or_init(Mutex::default);
    if let Some(c) = loaded.lock().ok().and_then(|m| m.get(&digest).cloned()) {
        return Ok(c);
    }
    let engine = engine();
    let cached = cache_dir.join(format!("{digest}-{}.cwasm", wasmtime_version_tag()));
    let component = match load_precompiled(engine, &cached) {
        Some(c) => c,
        None => {
            let compiled = engine
                .precompile_component(&bytes)
                .map_err(anyhow::Error::from)
                .with_context(|| {
                    format!("{} is not a valid Wasm component", wasm_path.display())
                })?;
            // The cache is an optimisation: failing to write it is not an error.
            if std::fs::create_dir_all(cache_dir).is_ok() {
                let tmp = cached.with_extension(format!("tmp{}", std::process::id()));
                if std::fs::write(&tmp, &compiled).is_ok() {
                    let _ = std::fs::rename(&tmp, &cached);
                }
            }
            deserialize(engine, &compiled)?
        }
    };
    if let Ok(mut m) = loaded.lock() {
        m.insert(digest, component.clone());
    }
    Ok(component)
}

fn wasmtime_version_tag() -> &'static str {
    // Artifacts are only valid for the wasmtime that produced them; wasmtime
    // also checks this itself and refuses a mismatched artifact.
    "wasmtime48"
}

fn load_precompiled(engine: &Engine, path: &Path) -> Option<Component> {
    let bytes = std::fs::read(path).ok()?;
    deserialize(engine, &bytes).ok()
}

#[allow(unsafe_code)]
fn deserialize(engine: &Engine, bytes: &[u8]) -> anyhow::Result<Component> {
    // SAFETY: `Component::deserialize` trusts its input to be machine code
    // produced by this engine's configuration. The bytes come either from
    // `precompile_component` just above or from our own cache folder, written
    // by the same code; wasmtime additionally verifies the version and engine
    // compatibility header and rejects anything else.
    unsafe { Component::deserialize(engine, bytes) }.map_err(anyhow::Error::from)
}
