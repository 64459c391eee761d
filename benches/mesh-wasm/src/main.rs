//! `mesh-wasm --wasm MESH_REPORT.wasm --dir DIR [mesh-report args...] FILE...`
//!
//! Runs the `wasm32-wasip2` build of `mesh-report` as a WASI p2 command under
//! wasmtime, with `DIR` preopened read-only as `/data` (pass files as
//! `/data/NAME`). The guest's stdout is copied to ours; a last line on stderr
//! gives the host-side figures: component compile time (excluded from the
//! benchmark), instantiate+run time, and the guest's peak linear memory (the
//! largest size any of its memories grew to, recorded by a
//! `wasmtime::ResourceLimiter`: Wasm memory never shrinks, so this is the
//! high-water mark hosted Spin's 128 MiB per execution is measured against).
//! `--max-memory BYTES` refuses growth beyond BYTES, as a hosted platform does.

use std::time::Instant;

use anyhow::{anyhow, bail};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, ResourceLimiter, Store};
use wasmtime_wasi::p2::bindings::sync::CommandPre;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

struct State {
    ctx: WasiCtx,
    table: ResourceTable,
    memory: PeakMemory,
}

/// Records the largest linear memory the guest asked for; optionally caps it.
struct PeakMemory {
    peak: usize,
    cap: Option<usize>,
}

impl ResourceLimiter for PeakMemory {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if self.cap.is_some_and(|cap| desired > cap) {
            return Ok(false);
        }
        self.peak = self.peak.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        _desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(true)
    }
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// wasmtime 48 has its own error type; keep its debug chain in ours.
fn w<T>(result: wasmtime::Result<T>, what: &str) -> anyhow::Result<T> {
    result.map_err(|e| anyhow!("{what}: {e:?}"))
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut wasm, mut dir, mut guest_args) = (None, None, vec!["mesh-report".to_owned()]);
    let mut cap = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--wasm" => wasm = args.next(),
            "--dir" => dir = args.next(),
            "--max-memory" => cap = args.next().and_then(|v| v.parse::<usize>().ok()),
            _ => guest_args.push(a),
        }
    }
    let (Some(wasm), Some(dir)) = (wasm, dir) else {
        bail!(
            "usage: mesh-wasm --wasm MESH_REPORT.wasm --dir DIR [mesh-report args...] /data/FILE..."
        );
    };

    let engine = w(Engine::new(&Config::new()), "creating the engine")?;
    let start = Instant::now();
    let component = w(
        Component::from_file(&engine, &wasm),
        &format!("compiling {wasm}"),
    )?;
    let compile_ms = start.elapsed().as_secs_f64() * 1000.0;
    let mut linker = Linker::<State>::new(&engine);
    w(
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker),
        "linking WASI",
    )?;
    let pre = w(linker.instantiate_pre(&component), "pre-instantiating")?;
    let pre = w(CommandPre::new(pre), "finding the command export")?;

    let stdout = MemoryOutputPipe::new(256 << 20);
    let mut builder = WasiCtxBuilder::new();
    builder
        .args(&guest_args)
        .stdout(stdout.clone())
        .inherit_stderr();
    w(
        builder.preopened_dir(&dir, "/data", FsPerms::ReadOnly),
        &format!("preopening {dir}"),
    )?;
    let mut store = Store::new(
        &engine,
        State {
            ctx: builder.build(),
            table: ResourceTable::new(),
            memory: PeakMemory { peak: 0, cap },
        },
    );
    store.limiter(|state| &mut state.memory);
    let start = Instant::now();
    let command = w(pre.instantiate(&mut store), "instantiating")?;
    let result = w(command.wasi_cli_run().call_run(&mut store), "running")?;
    let run_ms = start.elapsed().as_secs_f64() * 1000.0;
    print!("{}", String::from_utf8_lossy(&stdout.contents()));
    let peak = store.data().memory.peak;
    eprintln!(
        "{{\"compile_ms\":{compile_ms:.3},\"run_ms\":{run_ms:.3},\"peak_memory_bytes\":{peak}}}"
    );
    if result.is_err() {
        std::process::exit(1);
    }
    Ok(())
}
