//! Parsers. The format is detected from the content, never the file name.

mod obj;
mod polygon;
mod stl;
mod text;
mod threemf;

use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::mesh::{Format, Mesh};

pub use stl::StlQuirk;

/// Parses a mesh file of any supported format.
pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Mesh> {
    let size = bytes.len() as u64;
    if size > limits.max_file_bytes {
        return Err(Error::FileTooLarge {
            size,
            limit: limits.max_file_bytes,
        });
    }
    parse_as(bytes, detect(bytes)?, limits)
}

/// Parses `bytes` as the given format, skipping detection (for callers that
/// know the format, and for the fuzz targets).
pub fn parse_as(bytes: &[u8], format: Format, limits: &Limits) -> Result<Mesh> {
    let size = bytes.len() as u64;
    if size > limits.max_file_bytes {
        return Err(Error::FileTooLarge {
            size,
            limit: limits.max_file_bytes,
        });
    }
    match format {
        Format::StlBinary => stl::parse_binary(bytes, limits),
        Format::StlAscii => stl::parse_ascii(bytes, limits),
        Format::Obj => obj::parse(bytes, limits),
        Format::ThreeMf => threemf::parse(bytes, limits),
        Format::Memory => Err(Error::UnknownFormat),
    }
}

/// Decides the format from the content.
///
/// A binary STL whose size matches its declared count is binary even when its
/// header starts with `solid` (many exporters write that). Text that starts
/// with `solid` and carries no NUL byte is ASCII STL; other text with OBJ
/// statements is OBJ; a zip is 3MF; anything else of at least 84 bytes is read
/// as a binary STL, whose parser explains precisely what is wrong with it.
pub fn detect(bytes: &[u8]) -> Result<Format> {
    if bytes.starts_with(b"PK\x03\x04") {
        return Ok(Format::ThreeMf);
    }
    if bytes.len() >= 84 {
        let count = u32::from_le_bytes([bytes[80], bytes[81], bytes[82], bytes[83]]);
        if 84 + 50 * u64::from(count) == bytes.len() as u64 {
            return Ok(Format::StlBinary);
        }
    }
    let head = &bytes[..bytes.len().min(4096)];
    let is_text = !head.contains(&0);
    let trimmed = text::skip_bom_and_space(head);
    if is_text && trimmed.len() >= 5 && trimmed[..5].eq_ignore_ascii_case(b"solid") {
        return Ok(Format::StlAscii);
    }
    if is_text && obj::looks_like_obj(head) {
        return Ok(Format::Obj);
    }
    // Binary STL records are little-endian floats, which almost always contain
    // NUL bytes; text with none is some other format (OFF, PLY, G-code, ...).
    if bytes.len() >= 84 && !is_text {
        return Ok(Format::StlBinary);
    }
    Err(Error::UnknownFormat)
}
