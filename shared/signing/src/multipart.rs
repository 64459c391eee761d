//! A bounded `multipart/form-data` parser (RFC 7578) for the one-shot upload.
//!
//! It borrows part bodies from the request body (no copies of a 10 MB mesh),
//! caps the number of parts and the size of each part's header block, and
//! answers hostile input with [`Error::Multipart`], never a panic.

use crate::{Error, Result};

/// Limits on what a body may contain. The body's own size is bounded by the
/// caller, which has to read it before parsing.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_parts: usize,
    pub max_header_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_parts: 8,
            max_header_bytes: 4096,
        }
    }
}

/// One form field or file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'a> {
    /// The `name` parameter of `Content-Disposition`.
    pub name: String,
    /// The `filename` parameter, for file fields.
    pub filename: Option<String>,
    /// The part's `Content-Type`, if it sent one.
    pub content_type: Option<String>,
    pub data: &'a [u8],
}

/// Extracts the boundary from a `multipart/form-data; boundary=...` header.
pub fn boundary(content_type: &str) -> Result<String> {
    let mut params = content_type.split(';');
    let mime = params.next().unwrap_or_default().trim();
    if !mime.eq_ignore_ascii_case("multipart/form-data") {
        return Err(Error::Multipart("content type is not multipart/form-data"));
    }
    let value = params
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .ok_or(Error::Multipart("missing boundary"))?;
    // RFC 2046: 1 to 70 characters, no control characters.
    if value.is_empty() || value.len() > 70 || value.bytes().any(|b| b.is_ascii_control()) {
        return Err(Error::Multipart("invalid boundary"));
    }
    Ok(value)
}

/// Splits `body` into its parts.
pub fn parse<'a>(body: &'a [u8], boundary: &str, limits: &Limits) -> Result<Vec<Part<'a>>> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    // The body starts with the first delimiter (a preamble before it is ignored).
    let first = find(body, delimiter, 0).ok_or(Error::Multipart("no boundary in body"))?;
    let mut pos = first + delimiter.len();
    let mut parts = Vec::new();
    loop {
        if body[pos..].starts_with(b"--") {
            return Ok(parts);
        }
        pos = skip_line_end(body, pos)?;
        if parts.len() == limits.max_parts {
            return Err(Error::Multipart("too many parts"));
        }
        let header_end = find(body, b"\r\n\r\n", pos)
            .filter(|&end| end - pos <= limits.max_header_bytes)
            .ok_or(Error::Multipart("part headers missing or too large"))?;
        let headers = std::str::from_utf8(&body[pos..header_end])
            .map_err(|_| Error::Multipart("part headers are not UTF-8"))?;
        let data_start = header_end + 4;
        let mut closing = Vec::with_capacity(delimiter.len() + 2);
        closing.extend_from_slice(b"\r\n");
        closing.extend_from_slice(delimiter);
        let data_end =
            find(body, &closing, data_start).ok_or(Error::Multipart("unterminated part"))?;
        parts.push(part_from(headers, &body[data_start..data_end])?);
        pos = data_end + closing.len();
    }
}

fn skip_line_end(body: &[u8], pos: usize) -> Result<usize> {
    // Transport padding (spaces, tabs) may follow a delimiter.
    let mut p = pos;
    while matches!(body.get(p), Some(b' ' | b'\t')) {
        p += 1;
    }
    if body[p..].starts_with(b"\r\n") {
        Ok(p + 2)
    } else {
        Err(Error::Multipart("boundary not followed by a line end"))
    }
}

fn part_from<'a>(headers: &str, data: &'a [u8]) -> Result<Part<'a>> {
    let mut name = None;
    let mut filename = None;
    let mut content_type = None;
    for line in headers.split("\r\n") {
        let (key, value) = line
            .split_once(':')
            .ok_or(Error::Multipart("malformed part header"))?;
        let key = key.trim();
        if key.eq_ignore_ascii_case("content-disposition") {
            let (kind, params) = value.split_once(';').unwrap_or((value, ""));
            if !kind.trim().eq_ignore_ascii_case("form-data") {
                return Err(Error::Multipart("part is not form-data"));
            }
            for (k, v) in disposition_params(params)? {
                if k.eq_ignore_ascii_case("name") {
                    name = Some(v);
                } else if k.eq_ignore_ascii_case("filename") {
                    filename = Some(v);
                }
            }
        } else if key.eq_ignore_ascii_case("content-type") {
            content_type = Some(value.trim().to_owned());
        }
    }
    let name = name.ok_or(Error::Multipart("part without a name"))?;
    Ok(Part {
        name,
        filename,
        content_type,
        data,
    })
}

/// `; name="a"; filename="b.stl"` into pairs; quoted values may escape `"` and `\`.
fn disposition_params(mut rest: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        if rest.is_empty() {
            return Ok(out);
        }
        let (key, after) = rest
            .split_once('=')
            .ok_or(Error::Multipart("malformed disposition parameter"))?;
        let key = key.trim().to_owned();
        if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => value.push(
                        chars
                            .next()
                            .map(|(_, c)| c)
                            .ok_or(Error::Multipart("bad escape"))?,
                    ),
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => value.push(c),
                }
            }
            let end = end.ok_or(Error::Multipart("unterminated quoted parameter"))?;
            out.push((key, value));
            rest = &quoted[end..];
        } else {
            let end = after.find(';').unwrap_or(after.len());
            out.push((key, after[..end].trim().to_owned()));
            rest = &after[end..];
        }
    }
}

/// Position of `needle` in `hay` at or after `from`.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut i = from;
    while i + needle.len() <= hay.len() {
        let offset = hay[i..hay.len() - rest.len()]
            .iter()
            .position(|&b| b == first)?;
        i += offset;
        if hay[i + 1..i + needle.len()] == *rest {
            return Some(i);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, filename, data) in parts {
            out.extend_from_slice(b"--XyZ\r\n");
            let disp = match filename {
                Some(f) => format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: model/stl\r\n"
                ),
                None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n"),
            };
            out.extend_from_slice(disp.as_bytes());
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(data);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"--XyZ--\r\n");
        out
    }

    #[test]
    fn parses_a_file_and_a_field_borrowing_the_data() {
        let stl: &[u8] = b"solid a\r\n--Xy not a boundary\r\nendsolid";
        let b = body(&[
            ("file", Some("bracket v42.stl"), stl),
            ("options", None, br#"{"material":"PETG"}"#),
        ]);
        let parts = parse(&b, "XyZ", &Limits::default()).expect("well-formed");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "file");
        assert_eq!(parts[0].filename.as_deref(), Some("bracket v42.stl"));
        assert_eq!(parts[0].content_type.as_deref(), Some("model/stl"));
        assert_eq!(parts[0].data, stl);
        assert_eq!(parts[1].name, "options");
        assert_eq!(parts[1].filename, None);
        assert_eq!(parts[1].data, br#"{"material":"PETG"}"#);
    }

    #[test]
    fn boundary_comes_from_the_content_type() {
        assert_eq!(
            boundary("multipart/form-data; boundary=XyZ").as_deref(),
            Ok("XyZ")
        );
        assert_eq!(
            boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\"").as_deref(),
            Ok("a b")
        );
        assert!(boundary("application/json").is_err());
        assert!(boundary("multipart/form-data").is_err());
        assert!(boundary(&format!("multipart/form-data; boundary={}", "x".repeat(71))).is_err());
    }

    #[test]
    fn escaped_quotes_in_filenames_are_unescaped() {
        let raw = b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\\\"b.stl\"\r\n\r\nx\r\n--B--";
        let parts = parse(raw, "B", &Limits::default()).expect("well-formed");
        assert_eq!(parts[0].filename.as_deref(), Some("a\"b.stl"));
    }

    #[test]
    fn hostile_bodies_are_errors_not_panics() {
        let limits = Limits {
            max_parts: 2,
            max_header_bytes: 64,
        };
        let three = body(&[("a", None, b"1"), ("b", None, b"2"), ("c", None, b"3")]);
        assert_eq!(
            parse(&three, "XyZ", &limits),
            Err(Error::Multipart("too many parts"))
        );
        let long_header = format!(
            "--B\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\nx\r\n--B--",
            "n".repeat(100)
        );
        assert!(parse(long_header.as_bytes(), "B", &limits).is_err());
        let cases: &[&[u8]] = &[
            b"",
            b"--B",
            b"--B\r\n",
            b"--Bx",
            b"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated",
            b"--B\r\nno colon here\r\n\r\nx\r\n--B--",
            b"--B\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--B--",
            b"--B\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\nx\r\n--B--",
            b"--B\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--B--",
            b"--B\r\nContent-Disposition: form-data; name=\"a\\",
        ];
        for case in cases {
            assert!(
                parse(case, "B", &limits).is_err(),
                "{:?}",
                String::from_utf8_lossy(case)
            );
        }
    }

    #[test]
    fn every_truncation_of_a_valid_body_is_handled() {
        let b = body(&[
            ("file", Some("a.stl"), b"0123456789"),
            ("options", None, b"{}"),
        ]);
        for cut in 0..b.len() {
            let _ = parse(&b[..cut], "XyZ", &Limits::default());
        }
    }
}
