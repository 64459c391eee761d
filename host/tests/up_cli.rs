//! The `spin-local up` binary: prints where it serves and its routes like
//! `spin up`, takes variable values from `SPIN_VARIABLE_<NAME>`, and exits
//! non-zero with a clear message when it cannot start.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// The binary under test. It lives in this package so that cargo builds it
/// with the test build's features instead of a second wasmtime build.
fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_spin-local"))
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the host crate lives inside the repository")
        .to_path_buf()
}

/// The probe app's manifest (its component: `tests/fixtures/host-probe`).
fn probe_manifest() -> PathBuf {
    repo_root().join("tests/fixtures/probe.spin.toml")
}

/// A copy of the probe manifest in `dir` with an absolute Wasm path, so the
/// binary's default cache (next to the manifest) lands in the temp dir.
fn probe_manifest_in(dir: &Path) -> PathBuf {
    let wasm = repo_root().join("target/wasm32-wasip2/release/host_probe.wasm");
    assert!(
        wasm.exists(),
        "build the probe: cargo build --target wasm32-wasip2 --release -p host-probe"
    );
    let text = std::fs::read_to_string(probe_manifest()).expect("read the probe manifest");
    let text = text.replace(
        "../../target/wasm32-wasip2/release/host_probe.wasm",
        &wasm.display().to_string(),
    );
    let path = dir.join("spin.toml");
    std::fs::write(&path, text).expect("write manifest");
    path
}

#[tokio::test]
async fn up_prints_the_url_and_routes_and_reads_spin_variable_environment() {
    let bin = binary();
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = probe_manifest_in(dir.path());
    let mut child = Command::new(bin)
        .args(["up", "-f"])
        .arg(&manifest)
        // Port 0: the host binds a free port itself and prints it, so no
        // port is reserved, released and raced for.
        .args(["--listen", "127.0.0.1:0", "--state-dir"])
        .arg(dir.path().join(".spin"))
        .env("SPIN_VARIABLE_SECRET_TOKEN", "cli-secret")
        .env("SPIN_VARIABLE_GREETING", "salut")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start spin-local");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut printed = Vec::new();
    let read_banner = async {
        while let Ok(Some(line)) = lines.next_line().await {
            printed.push(line);
            if printed.iter().any(|l| l.contains("/exact")) {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(120), read_banner)
        .await
        .expect("the banner within 2 minutes");

    let addr = printed
        .iter()
        .find_map(|l| l.strip_prefix("Serving http://"))
        .unwrap_or_else(|| panic!("no `Serving http://…` line: {printed:#?}"))
        .to_string();
    assert!(
        addr.starts_with("127.0.0.1:") && !addr.ends_with(":0"),
        "the banner names the bound port: {addr}"
    );
    assert!(
        printed.iter().any(|l| l == "Available Routes:"),
        "{printed:#?}"
    );
    assert!(
        printed
            .iter()
            .any(|l| l.contains("probe") && l.contains(&format!("http://{addr}/probe"))),
        "{printed:#?}"
    );

    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let get = |name: &str| {
        client
            .get(format!("http://{addr}/probe/var?name={name}"))
            .send()
    };
    let greeting: serde_json::Value = get("greeting")
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert_eq!(greeting["value"], "salut");
    let secret: serde_json::Value = get("secret_token")
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert_eq!(secret["value"], "cli-secret");

    child.kill().await.expect("stop spin-local");
}

#[tokio::test]
async fn up_without_a_required_variable_exits_non_zero_and_names_it() {
    let bin = binary();
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = probe_manifest_in(dir.path());

    let output = Command::new(bin)
        .args(["up", "-f"])
        .arg(&manifest)
        .args(["--listen", "127.0.0.1:0", "--state-dir"])
        .arg(dir.path().join(".spin"))
        .env_remove("SPIN_VARIABLE_SECRET_TOKEN")
        .output()
        .await
        .expect("run spin-local");

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SPIN_VARIABLE_SECRET_TOKEN"), "{stderr}");
}
