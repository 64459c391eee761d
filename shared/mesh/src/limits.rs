//! Explicit bounds on what a parser accepts, so hostile input costs bounded
//! time and memory.

/// Bounds applied while parsing. The defaults accept any mesh the farm can
/// print (a 4M-triangle binary STL is 200 MB) and refuse the rest early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes.
    pub max_file_bytes: u64,
    /// Most triangles after 3MF components and build items are expanded.
    pub max_triangles: u64,
    /// Total bytes the 3MF parts read may decompress to.
    pub max_uncompressed_bytes: u64,
    /// Highest accepted decompressed/compressed size ratio of a 3MF part.
    pub max_compression_ratio: u32,
    /// Most entries in a 3MF package.
    pub max_zip_entries: u32,
    /// Deepest nesting of XML elements and of 3MF components.
    pub max_nesting_depth: u32,
    /// Most object instances a 3MF build expands to (every build item and every
    /// component reference reached through the component tree counts once).
    pub max_instances: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 512 * 1024 * 1024,
            max_triangles: 10_000_000,
            max_uncompressed_bytes: 1024 * 1024 * 1024,
            max_compression_ratio: 200,
            max_zip_entries: 10_000,
            max_nesting_depth: 32,
            // A full plate of small parts is a few thousand instances.
            max_instances: 100_000,
        }
    }
}

/// Memory one execution may use on hosted Spin (Fermyon Cloud / Fermyon
/// Wasm Functions: 128 MiB per request), bytes.
pub const HOSTED_MEMORY_BYTES: u64 = 128 * 1024 * 1024;

/// Largest file analysed within [`HOSTED_MEMORY_BYTES`]: the input itself
/// plus the analysis (parse, topology, ray-cast wall checks per material)
/// peak at well under three quarters of it for a binary STL of this size
/// (`tests/memory.rs`; the Wasm high-water mark per million triangles is
/// printed by `benches/mesh.sh`). The API's upload limit is this.
pub const HOSTED_MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

impl Limits {
    /// [`Limits::default`] fitted to one hosted Spin execution: files up to
    /// [`HOSTED_MAX_FILE_BYTES`], and 3MF parts that decompress to at most
    /// that much in total (the model XML is held whole while it is parsed).
    pub fn hosted() -> Limits {
        Limits {
            max_file_bytes: HOSTED_MAX_FILE_BYTES,
            max_uncompressed_bytes: HOSTED_MAX_FILE_BYTES,
            ..Limits::default()
        }
    }
}

/// Hard ceiling whatever the caller configures: half-edge ids (`4 × face +
/// corner`) and a direction bit are packed into 32 bits (`4 × 2 × triangles < 2³²`).
pub(crate) const HARD_MAX_TRIANGLES: u64 = 500_000_000;

impl Limits {
    pub(crate) fn triangle_cap(&self) -> u64 {
        self.max_triangles.min(HARD_MAX_TRIANGLES)
    }
}
