//! Small helpers shared by the text parsers.

/// Skips a UTF-8 byte-order mark and leading ASCII whitespace.
pub(crate) fn skip_bom_and_space(b: &[u8]) -> &[u8] {
    let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[start..]
}

/// 1-based line number of a byte offset (computed only when reporting an error).
pub(crate) fn line_of(bytes: &[u8], offset: usize) -> u64 {
    let end = offset.min(bytes.len());
    bytes[..end].iter().filter(|&&c| c == b'\n').count() as u64 + 1
}

/// Parses an ASCII decimal float token.
#[inline]
pub(crate) fn parse_f64(tok: &[u8]) -> Option<f64> {
    std::str::from_utf8(tok).ok()?.parse::<f64>().ok()
}

/// Renders a token for an error message, shortened and lossless enough to read.
pub(crate) fn show(tok: &[u8]) -> String {
    let s = String::from_utf8_lossy(&tok[..tok.len().min(40)]).into_owned();
    if tok.len() > 40 { format!("{s}…") } else { s }
}
