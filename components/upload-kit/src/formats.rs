//! What may be uploaded: extensions, content types and sizes.

use farm_platform::ApiError;

/// Largest upload accepted (presign and one-shot jobs): the largest file the
/// mesh engine analyses within hosted Spin's 128 MiB per execution
/// ([`mesh_engine::limits::HOSTED_MAX_FILE_BYTES`], 32 MiB, measured by the
/// engine's `tests/memory.rs`).
pub const MAX_UPLOAD_BYTES: u64 = mesh_engine::limits::HOSTED_MAX_FILE_BYTES;

/// How long a presigned upload URL stays valid.
pub const UPLOAD_URL_TTL_SECS: u64 = 900;

/// The mesh formats we accept, by file extension.
pub fn format_of(filename: &str) -> Result<&'static str, ApiError> {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "stl" => Ok("stl"),
        "obj" => Ok("obj"),
        "3mf" => Ok("3mf"),
        _ => Err(ApiError::new(
            400,
            "unsupported_file_type",
            format!(
                "`{filename}` is not an STL, OBJ or 3MF file; use the .stl, .obj or .3mf extension."
            ),
        )
        .with_detail("field", "filename")
        .with_detail("supported_extensions", ["stl", "obj", "3mf"])),
    }
}

/// Content types we accept for each format (what browsers, curl and CAD tools send).
fn content_types(format: &str) -> &'static [&'static str] {
    match format {
        "stl" => &[
            "model/stl",
            "application/sla",
            "application/vnd.ms-pki.stl",
            "model/x.stl-binary",
            "model/x.stl-ascii",
            "application/octet-stream",
        ],
        "obj" => &["model/obj", "text/plain", "application/octet-stream"],
        "3mf" => &[
            "model/3mf",
            "application/vnd.ms-package.3dmanufacturing-3dmodel+xml",
            "application/octet-stream",
        ],
        _ => &[],
    }
}

/// Validates a content type for a format; returns it normalised (lowercase, no parameters).
pub fn check_content_type(format: &str, content_type: &str) -> Result<String, ApiError> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let allowed = content_types(format);
    if allowed.contains(&essence.as_str()) {
        Ok(essence)
    } else {
        Err(ApiError::new(
            400,
            "unsupported_content_type",
            format!(
                "`{content_type}` is not a content type for .{format} files; use one of: {}.",
                allowed.join(", ")
            ),
        )
        .with_detail("field", "content_type")
        .with_detail("allowed", allowed))
    }
}

/// Validates a declared size.
pub fn check_size(size_bytes: i64) -> Result<u64, ApiError> {
    if size_bytes <= 0 {
        return Err(
            ApiError::new(400, "invalid_file_size", "size_bytes must be at least 1.")
                .with_detail("field", "size_bytes"),
        );
    }
    let size = size_bytes as u64;
    if size > MAX_UPLOAD_BYTES {
        return Err(ApiError::new(
            400,
            "file_too_large",
            format!(
                "The file is {size} bytes; the limit is {MAX_UPLOAD_BYTES} bytes ({} MiB, what one \
                 analysis fits in hosted memory). Reduce the triangle count or split the part.",
                MAX_UPLOAD_BYTES >> 20
            ),
        )
        .with_detail("field", "size_bytes")
        .with_detail("limit_bytes", MAX_UPLOAD_BYTES));
    }
    Ok(size)
}

/// A filename safe to store and show: the last path component, 1–255 chars, no controls.
pub fn check_filename(filename: &str) -> Result<String, ApiError> {
    let base = filename
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .trim();
    if base.is_empty() || base.chars().count() > 255 || base.chars().any(char::is_control) {
        return Err(ApiError::invalid_field(
            "filename",
            "must be 1 to 255 characters without control characters",
        ));
    }
    Ok(base.to_owned())
}

/// How many leading bytes confirm reads to sniff a stored upload: the
/// 84-byte binary STL header with room for the text formats' first lines
/// (the mesh engine's own detector looks at the first 4096 bytes).
pub const SNIFF_BYTES: u64 = 4096;

/// The format the content of a stored object shows, from its first bytes
/// and its total size: `stl-binary` (the 84-byte header's triangle count
/// matches the size exactly), `stl-ascii`, `obj`, `3mf` (a zip), or
/// `unknown`. Strict where the mesh engine is lenient: binary data whose
/// triangle count does not match its size is `unknown`, not a broken STL.
pub fn sniff(prefix: &[u8], total_bytes: u64) -> &'static str {
    use mesh_engine::Format;
    let binary_stl_fits = prefix.len() >= 84 && {
        let count = u32::from_le_bytes([prefix[80], prefix[81], prefix[82], prefix[83]]);
        84 + 50 * u64::from(count) == total_bytes
    };
    if binary_stl_fits && !prefix.starts_with(b"PK\x03\x04") {
        return Format::StlBinary.code();
    }
    match mesh_engine::detect(prefix) {
        // The engine's fallback for binary data; the count did not fit.
        Ok(Format::StlBinary) | Ok(Format::Memory) | Err(_) => "unknown",
        Ok(format) => format.code(),
    }
}

/// Whether a sniffed format is what a declared format (`stl`, `obj`, `3mf`) means.
pub fn is_declared(declared: &str, sniffed: &str) -> bool {
    match declared {
        "stl" => matches!(sniffed, "stl-binary" | "stl-ascii"),
        other => other == sniffed,
    }
}

/// Distrusts the store: the stored object must have the declared size and
/// sniff as the declared format; otherwise `upload_mismatch` with both.
pub fn check_stored(
    declared_format: &str,
    declared_bytes: u64,
    prefix: &[u8],
    stored_bytes: u64,
) -> Result<(), farm_platform::farm_domain::Error> {
    let sniffed = sniff(prefix, stored_bytes);
    if stored_bytes == declared_bytes && is_declared(declared_format, sniffed) {
        return Ok(());
    }
    Err(farm_platform::farm_domain::Error::UploadMismatch {
        expected_format: declared_format.to_owned(),
        expected_bytes: declared_bytes,
        found_format: sniffed.to_owned(),
        found_bytes: stored_bytes,
    })
}
