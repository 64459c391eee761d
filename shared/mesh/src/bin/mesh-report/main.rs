//! `mesh-report [--unit auto|mm|cm|in|m] [--material ID] [--printer ID] [--timing] [--metrics-only] FILE...`
//!
//! Prints one JSON object per line per file: the metrics, the findings and,
//! with a material, the estimates. A file that cannot be read prints a JSON
//! error object; the exit status is then 1. Usage errors exit with 2.
//!
//! `--unit mm` means "the coordinates are millimetres" (no auto-scaling), so
//! results can be compared raw. `--timing` adds the time spent in parsing,
//! metrics and checks, measured inside the process (also inside Wasm).
//! `--metrics-only` skips the printability checks and estimates (the
//! benchmark's workload: parse + metrics).

mod wire;

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use mesh_engine::{AnalyzeOptions, Unit, UnitChoice, material, printer};

struct Args {
    opts: AnalyzeOptions,
    timing: bool,
    metrics_only: bool,
    files: Vec<String>,
}

const USAGE: &str = "usage: mesh-report [--unit auto|mm|cm|in|m] [--material ID] [--printer ID] [--timing] [--metrics-only] FILE...";

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        opts: AnalyzeOptions::default(),
        timing: false,
        metrics_only: false,
        files: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--unit" => {
                let v = it.next().context("--unit needs a value")?;
                args.opts.unit = if v.eq_ignore_ascii_case("auto") {
                    UnitChoice::Auto
                } else {
                    UnitChoice::Fixed(
                        Unit::parse(&v).with_context(|| format!("unknown unit {v:?}"))?,
                    )
                };
            }
            "--material" => {
                let v = it.next().context("--material needs a value")?;
                let known: Vec<_> = material::ALL.iter().map(|m| m.id).collect();
                args.opts.material = Some(
                    material::profile(&v)
                        .with_context(|| format!("unknown material {v:?}; known: {known:?}"))?,
                );
            }
            "--printer" => {
                let v = it.next().context("--printer needs a value")?;
                let known: Vec<_> = printer::ALL.iter().map(|p| p.id).collect();
                args.opts.printer = *printer::profile(&v)
                    .with_context(|| format!("unknown printer {v:?}; known: {known:?}"))?;
            }
            "--timing" => args.timing = true,
            "--metrics-only" => args.metrics_only = true,
            "-h" | "--help" => bail!("{USAGE}"),
            f if f.starts_with("--") => bail!("unknown option {f}\n{USAGE}"),
            _ => args.files.push(a),
        }
    }
    if args.files.is_empty() {
        bail!("{USAGE}");
    }
    Ok(args)
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// Analyses one file and writes its JSON line; returns whether it succeeded.
fn run_one(file: &str, args: &Args, out: &mut impl Write) -> anyhow::Result<bool> {
    let start = Instant::now();
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            let err = wire::FileError {
                file,
                error: "unreadable_file",
                message: e.to_string(),
            };
            serde_json::to_writer(&mut *out, &err).context("writing JSON")?;
            writeln!(out).context("writing output")?;
            return Ok(false);
        }
    };
    let read_ms = ms(start);
    let start = Instant::now();
    let mesh = match mesh_engine::parse(&bytes, &args.opts.limits) {
        Ok(mesh) => mesh,
        Err(e) => {
            let err = wire::FileError {
                file,
                error: e.code(),
                message: e.to_string(),
            };
            serde_json::to_writer(&mut *out, &err).context("writing JSON")?;
            writeln!(out).context("writing output")?;
            return Ok(false);
        }
    };
    let parse_ms = ms(start);
    let start = Instant::now();
    let metrics = mesh.metrics(args.opts.unit);
    let metrics_ms = ms(start);
    if args.metrics_only {
        let line = wire::MetricsOnly {
            file,
            format: mesh.format().code(),
            metrics: wire::metrics(&metrics),
            timing_ms: args.timing.then_some(wire::Timing {
                read: read_ms,
                parse: parse_ms,
                metrics: metrics_ms,
                checks: 0.0,
            }),
        };
        serde_json::to_writer(&mut *out, &line).context("writing JSON")?;
    } else {
        let start = Instant::now();
        let report = mesh.analyze(&args.opts);
        let timing = args.timing.then_some(wire::Timing {
            read: read_ms,
            parse: parse_ms,
            metrics: metrics_ms,
            checks: ms(start),
        });
        serde_json::to_writer(&mut *out, &wire::report(file, &report, timing))
            .context("writing JSON")?;
    }
    writeln!(out).context("writing output")?;
    Ok(true)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e:#}");
            return ExitCode::from(2);
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut ok = true;
    for file in &args.files {
        match run_one(file, &args, &mut out) {
            Ok(success) => ok &= success,
            Err(e) => {
                eprintln!("{file}: {e:#}");
                return ExitCode::from(1);
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
