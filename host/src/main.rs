//! `spin-local up`: serve the app in the current folder, like `spin up`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};

const USAGE: &str = "usage: spin-local up [-f spin.toml] [--listen 127.0.0.1:3000] \
[--runtime-config-file runtime-config.toml] [--state-dir .spin] [--variable name=value]... \
[--pg-max-connections 16]";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("up") => {}
        Some("-h" | "--help") | None => {
            println!("{USAGE}");
            return Ok(());
        }
        Some(other) => bail!("unknown command `{other}`\n{USAGE}"),
    }
    let mut options = spin_local::Options {
        manifest_path: PathBuf::from("spin.toml"),
        runtime_config_path: None,
        listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
        variables: HashMap::new(),
        state_dir: PathBuf::from(".spin"),
        cache_dir: None,
        echo_logs: true,
        pg_max_connections: None,
        names: Default::default(),
    };
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .with_context(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "-f" | "--from" => options.manifest_path = PathBuf::from(value()?),
            "--listen" => options.listen = value()?.parse().context("--listen takes host:port")?,
            "--runtime-config-file" => options.runtime_config_path = Some(PathBuf::from(value()?)),
            "--state-dir" => options.state_dir = PathBuf::from(value()?),
            "--pg-max-connections" => {
                options.pg_max_connections = Some(
                    value()?
                        .parse()
                        .context("--pg-max-connections takes a number")?,
                )
            }
            "--variable" => {
                let v = value()?;
                let (k, val) = v.split_once('=').context("--variable takes name=value")?;
                options.variables.insert(k.to_string(), val.to_string());
            }
            other => bail!("unknown option `{other}`\n{USAGE}"),
        }
    }
    if options.manifest_path.is_dir() {
        options.manifest_path = options.manifest_path.join("spin.toml");
    }
    let running = spin_local::start(options).await?;
    println!("Serving {}", running.base_url());
    println!("Available Routes:");
    for (route, component) in running.routes() {
        println!("  {component}: {}{route}", running.base_url());
    }
    running.wait().await;
    Ok(())
}
