//! Compiling components: one engine per process, each distinct `.wasm`
//! compiled once per process and cached on disk across processes, so tests and
//! restarts skip Cranelift.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use anyhow::Context;
use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = base_config();
        // `SPIN_WASMTIME_POOLING=0` turns pooling off, as in Spin.
        if std::env::var("SPIN_WASMTIME_POOLING").as_deref() != Ok("0") {
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling()));
        }
        // Like Spin, fall back to allocating on demand where the address
        // space cannot hold the pool.
        Engine::new(&config)
            .or_else(|_| Engine::new(&base_config()))
            .expect("the engine configuration is static and valid")
    })
}

fn base_config() -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    // `SPIN_LOCAL_PERFMAP=1` writes /tmp/perf-<pid>.map so `perf report`
    // names the guests' functions.
    if std::env::var_os("SPIN_LOCAL_PERFMAP").is_some() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    config
}

/// The pooling instance allocator with Spin's defaults (spin-core's
/// `Config::default`, the same `SPIN_WASMTIME_*` overrides): instances are
/// carved from memory reserved once, so a request's instantiation maps
/// nothing and its end unmaps nothing. Without it every request paid for
/// mmap/munmap of its linear memory, tables and fiber stack, which Spin does
/// not (issue 9, item 7: a third of a request's CPU was the kernel's).
fn pooling() -> PoolingAllocationConfig {
    const MB: usize = 1 << 20;
    const GB: usize = 1 << 30;
    let max_instances = env("SPIN_MAX_INSTANCE_COUNT", 1_000);
    let mut pooling = PoolingAllocationConfig::default();
    pooling
        .total_component_instances(env("SPIN_WASMTIME_INSTANCE_COUNT", max_instances))
        .total_memories(env("SPIN_WASMTIME_TOTAL_MEMORIES", max_instances))
        .total_tables(env("SPIN_WASMTIME_TOTAL_TABLES", 2 * max_instances))
        .total_stacks(env("SPIN_WASMTIME_TOTAL_STACKS", max_instances))
        .total_core_instances(env("SPIN_WASMTIME_TOTAL_CORE_INSTANCES", 4 * max_instances))
        .table_elements(env("SPIN_WASMTIME_INSTANCE_TABLE_ELEMENTS", 100_000))
        .max_component_instance_size(env("SPIN_WASMTIME_INSTANCE_SIZE", 10 * MB))
        .max_core_instance_size(env("SPIN_WASMTIME_CORE_INSTANCE_SIZE", 10 * MB))
        .max_core_instances_per_component(env("SPIN_WASMTIME_CORE_INSTANCE_COUNT", 200))
        .max_tables_per_component(env("SPIN_WASMTIME_INSTANCE_TABLES", 64))
        .max_memories_per_component(env("SPIN_WASMTIME_INSTANCE_MEMORIES", 32))
        .max_tables_per_module(env("SPIN_WASMTIME_MAX_TABLES_PER_MODULE", 2))
        .max_memories_per_module(env("SPIN_WASMTIME_MAX_MEMORIES_PER_MODULE", 2))
        .max_memory_size(4 * GB)
        .linear_memory_keep_resident(env("SPIN_WASMTIME_LINEAR_MEMORY_KEEP_RESIDENT", 2 * MB))
        .table_keep_resident(env("SPIN_WASMTIME_TABLE_KEEP_RESIDENT", MB / 2));
    pooling
}

/// A numeric setting from the environment, or `default` when unset or unreadable.
fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
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
