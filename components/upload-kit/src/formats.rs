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
