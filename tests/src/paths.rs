//! Where things are: the repository root, the shared corpus, the Wasm files a
//! manifest names.

use std::path::{Path, PathBuf};

/// The repository root (the parent of the `tests` crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives inside the repository")
        .to_path_buf()
}

/// A file of the shared test corpus (`../shared/corpus` next to the checkout,
/// or `FARM_CORPUS_DIR`), e.g. `corpus_path("synthetic/cube.stl")`.
pub fn corpus_path(rel: &str) -> PathBuf {
    let base = std::env::var_os("FARM_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("..").join("shared").join("corpus"));
    let path = base.join(rel);
    assert!(
        path.exists(),
        "corpus file {} does not exist (set FARM_CORPUS_DIR to the corpus folder)",
        path.display()
    );
    path
}

/// Panics with a message naming every Wasm file the manifest refers to that
/// has not been built.
pub(crate) fn require_wasm_files(manifest_path: &Path) {
    let text = std::fs::read_to_string(manifest_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", manifest_path.display()));
    let manifest: toml::Table = toml::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid TOML: {e}", manifest_path.display()));
    let dir = manifest_path.parent().unwrap_or(Path::new("."));
    let mut missing = Vec::new();
    if let Some(components) = manifest.get("component").and_then(toml::Value::as_table) {
        for (id, component) in components {
            if let Some(source) = component.get("source").and_then(toml::Value::as_str) {
                let path = dir.join(source);
                if !path.exists() {
                    missing.push(format!("  {id}: {}", path.display()));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "Wasm components are not built; run scripts/build-wasm.sh (host tests: \
         cargo build --target wasm32-wasip2 --release -p host-probe). Missing:\n{}",
        missing.join("\n")
    );
}
