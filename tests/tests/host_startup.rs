//! Startup refuses, with a message that says what to fix, a broken manifest,
//! a missing Wasm file, a missing required variable, and a component whose
//! imports the host does not provide.

use std::collections::HashMap;
use std::path::Path;

use spin_local::Options;

fn options(manifest: &Path, state: &Path) -> Options {
    Options {
        manifest_path: manifest.to_path_buf(),
        runtime_config_path: None,
        listen: "127.0.0.1:0".parse().expect("addr"),
        variables: HashMap::new(),
        state_dir: state.to_path_buf(),
        cache_dir: Some(state.join("cache")),
        echo_logs: false,
        pg_max_connections: None,
        names: Default::default(),
    }
}

async fn start_error(dir: &Path, manifest: &str) -> String {
    let path = dir.join("spin.toml");
    std::fs::write(&path, manifest).expect("write manifest");
    match spin_local::start(options(&path, dir)).await {
        Ok(app) => panic!("the host started on {} but should have refused", app.addr()),
        Err(e) => format!("{e:#}"),
    }
}

const HEADER: &str = "spin_manifest_version = 2\n[application]\nname = \"t\"\n";

#[tokio::test]
async fn a_manifest_that_is_not_toml_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let message = start_error(dir.path(), "spin_manifest_version = = 2").await;
    assert!(message.contains("spin.toml"), "{message}");
}

#[tokio::test]
async fn a_route_naming_an_undefined_component_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = format!("{HEADER}[[trigger.http]]\nroute = \"/a\"\ncomponent = \"ghost\"\n");
    let message = start_error(dir.path(), &manifest).await;
    assert!(message.contains("ghost"), "{message}");
}

#[tokio::test]
async fn a_missing_wasm_file_says_how_to_build_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = format!(
        "{HEADER}[[trigger.http]]\nroute = \"/a\"\ncomponent = \"a\"\n[component.a]\nsource = \"missing/a.wasm\"\n"
    );
    let message = start_error(dir.path(), &manifest).await;
    assert!(message.contains("a.wasm"), "{message}");
    assert!(message.contains("scripts/build-wasm.sh"), "{message}");
}

#[tokio::test]
async fn a_missing_required_variable_is_refused_with_its_environment_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = format!("{HEADER}[variables]\ntoken = {{ required = true }}\n");
    let message = start_error(dir.path(), &manifest).await;
    assert!(message.contains("token"), "{message}");
    assert!(message.contains("SPIN_VARIABLE_TOKEN"), "{message}");
}

#[tokio::test]
async fn a_component_importing_an_interface_the_host_lacks_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A component that imports Spin's LLM interface, which this host does
    // not provide (and the Farm API does not use).
    let wasm = wat::parse_str(
        r#"(component
            (import "fermyon:spin/llm@2.0.0" (instance
                (export "infer" (func (param "model" string) (result string)))
            ))
        )"#,
    )
    .expect("valid component text");
    std::fs::write(dir.path().join("llm.wasm"), wasm).expect("write wasm");
    let manifest = format!(
        "{HEADER}[[trigger.http]]\nroute = \"/a\"\ncomponent = \"llm\"\n[component.llm]\nsource = \"llm.wasm\"\n"
    );
    let message = start_error(dir.path(), &manifest).await;
    assert!(message.contains("llm"), "{message}");
    assert!(message.contains("fermyon:spin/llm@2.0.0"), "{message}");
}

#[tokio::test]
async fn an_undeclared_variable_in_a_component_template_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let probe = farm_tests::repo_root().join("target/wasm32-wasip2/release/host_probe.wasm");
    let manifest = format!(
        "{HEADER}[[trigger.http]]\nroute = \"/a\"\ncomponent = \"a\"\n[component.a]\nsource = {:?}\n\
         [component.a.variables]\nx = \"{{{{ nope }}}}\"\n",
        probe.display().to_string()
    );
    let message = start_error(dir.path(), &manifest).await;
    assert!(message.contains("nope"), "{message}");
}
