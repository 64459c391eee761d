//! Wavefront OBJ: `v` and `f` statements. Polygons are triangulated by ear
//! clipping ([`super::polygon`]), negative (relative) indices are resolved,
//! `v/vt/vn` forms are accepted, and a line ending in `\\` continues on the
//! next (Rhino writes long faces so); materials, normals, texture coordinates,
//! groups and lines are ignored.

use super::polygon::{EAR_TEST_BUDGET, triangulate};
use super::text::{line_of, parse_f64, show};
use crate::error::{Error, Location, Result};
use crate::limits::Limits;
use crate::mesh::{Format, Mesh};
use crate::weld::{Welder, check_point};

/// True when the text has at least one `v` or `f` statement at a line start
/// and nothing that rules OBJ out.
pub(crate) fn looks_like_obj(head: &[u8]) -> bool {
    head.split(|&c| c == b'\n').any(|line| {
        let line = line.trim_ascii_start();
        line.starts_with(b"v ")
            || line.starts_with(b"v\t")
            || line.starts_with(b"f ")
            || line.starts_with(b"f\t")
    })
}

/// One `f` statement: its corners are `corners[start..end]`.
struct Face {
    /// Offset of the `f` statement, for errors found after the whole file is read.
    offset: usize,
    /// End of this face's corners in the shared corner list (the start is the
    /// previous face's end).
    end: u32,
}

/// Splits the text into logical lines: a line whose last non-blank byte is
/// `\\` is joined with the next (the backslash becomes a space). Yields each
/// line's byte offset, for error messages.
fn logical_lines(bytes: &[u8]) -> impl Iterator<Item = (usize, std::borrow::Cow<'_, [u8]>)> {
    let mut offset = 0usize;
    let mut rest = bytes;
    std::iter::from_fn(move || {
        if rest.is_empty() && offset > bytes.len() {
            return None;
        }
        let start = offset;
        let mut joined: Option<Vec<u8>> = None;
        loop {
            let (line, tail) = match rest.iter().position(|&c| c == b'\n') {
                Some(i) => (&rest[..i], Some(&rest[i + 1..])),
                None => (rest, None),
            };
            offset += line.len() + 1;
            let trimmed = line.trim_ascii_end();
            let continued = trimmed.ends_with(b"\\") && tail.is_some();
            rest = tail.unwrap_or(&[]);
            if tail.is_none() {
                // Past the end: the next call stops.
                offset = offset.max(bytes.len() + 1);
            }
            match (&mut joined, continued) {
                (None, false) => return Some((start, std::borrow::Cow::Borrowed(line))),
                (None, true) => {
                    let mut v = trimmed[..trimmed.len() - 1].to_vec();
                    v.push(b' ');
                    joined = Some(v);
                }
                (Some(v), false) => {
                    v.extend_from_slice(line);
                    return Some((start, std::borrow::Cow::Owned(std::mem::take(v))));
                }
                (Some(v), true) => {
                    v.extend_from_slice(&trimmed[..trimmed.len() - 1]);
                    v.push(b' ');
                }
            }
        }
    })
}

pub(crate) fn parse(bytes: &[u8], limits: &Limits) -> Result<Mesh> {
    let syntax = |offset: usize, message: String| Error::Syntax {
        format: Format::Obj,
        line: line_of(bytes, offset),
        message,
    };
    let cap = limits.triangle_cap();
    let mut raw: Vec<[f64; 3]> = Vec::new();
    let mut faces: Vec<Face> = Vec::new();
    let mut corners: Vec<u32> = Vec::new();
    let mut triangle_count = 0u64;
    for (line_start, line) in logical_lines(bytes) {
        let line: &[u8] = &line;
        let content = match line.iter().position(|&c| c == b'#') {
            Some(i) => &line[..i],
            None => line,
        };
        let mut words = content
            .split(|c| c.is_ascii_whitespace())
            .filter(|w| !w.is_empty());
        let Some(keyword) = words.next() else {
            continue;
        };
        match keyword {
            b"v" => {
                let mut p = [0.0; 3];
                for c in &mut p {
                    let w = words
                        .next()
                        .ok_or_else(|| syntax(line_start, "`v` needs three coordinates".into()))?;
                    *c = parse_f64(w).ok_or_else(|| {
                        syntax(
                            line_start,
                            format!("expected a number, found `{}`", show(w)),
                        )
                    })?;
                }
                check_point(p).map_err(|value| Error::BadCoordinate {
                    format: Format::Obj,
                    value,
                    at: Location::Line(line_of(bytes, line_start)),
                })?;
                if raw.len() >= u32::MAX as usize - 1 {
                    return Err(syntax(line_start, "too many vertices".into()));
                }
                raw.push(p);
            }
            b"f" => {
                let first = corners.len();
                for w in words {
                    let index_part = w.split(|&c| c == b'/').next().unwrap_or(w);
                    let index = std::str::from_utf8(index_part)
                        .ok()
                        .and_then(|s| s.parse::<i64>().ok())
                        .ok_or_else(|| {
                            syntax(line_start, format!("bad vertex reference `{}`", show(w)))
                        })?;
                    let resolved = match index {
                        i if i > 0 => i - 1,
                        i if i < 0 => raw.len() as i64 + i,
                        _ => {
                            return Err(syntax(
                                line_start,
                                "vertex index 0 (OBJ counts from 1)".into(),
                            ));
                        }
                    };
                    // Positive indices may legally refer forward in loose files; they
                    // are range-checked once every vertex is read.
                    if resolved < 0 || resolved >= i64::from(u32::MAX) {
                        return Err(Error::IndexOutOfRange {
                            format: Format::Obj,
                            index,
                            count: raw.len() as u64,
                            at: Location::Line(line_of(bytes, line_start)),
                        });
                    }
                    corners.push(resolved as u32);
                }
                let n = corners.len() - first;
                if n < 3 {
                    return Err(syntax(
                        line_start,
                        format!("a face needs 3 vertices, found {n}"),
                    ));
                }
                triangle_count += n as u64 - 2;
                if triangle_count > cap || corners.len() >= u32::MAX as usize {
                    return Err(Error::TooManyTriangles {
                        limit: cap,
                        at: Location::Line(line_of(bytes, line_start)),
                    });
                }
                faces.push(Face {
                    offset: line_start,
                    end: corners.len() as u32,
                });
            }
            _ => {}
        }
    }
    let mut welder = Welder::with_capacity(raw.len());
    let mut remap = vec![u32::MAX; raw.len()];
    let mut triangles = Vec::with_capacity(triangle_count as usize);
    let mut polygon_tris: Vec<[u32; 3]> = Vec::new();
    let mut budget = EAR_TEST_BUDGET;
    let mut start = 0usize;
    for face in &faces {
        let end = face.end as usize;
        let polygon = &corners[start..end];
        start = end;
        if let Some(&bad) = polygon.iter().find(|&&i| i as usize >= raw.len()) {
            return Err(Error::IndexOutOfRange {
                format: Format::Obj,
                index: i64::from(bad) + 1,
                count: raw.len() as u64,
                at: Location::Line(line_of(bytes, face.offset)),
            });
        }
        polygon_tris.clear();
        if !triangulate(&raw, polygon, &mut polygon_tris, &mut budget) {
            return Err(syntax(
                face.offset,
                "polygons too large to triangulate within the work limit".into(),
            ));
        }
        for tri in &polygon_tris {
            let mut out = [0u32; 3];
            for (slot, &i) in out.iter_mut().zip(tri) {
                if remap[i as usize] == u32::MAX {
                    remap[i as usize] = welder.insert(raw[i as usize]);
                }
                *slot = remap[i as usize];
            }
            triangles.push(out);
        }
    }
    Mesh::new(
        Format::Obj,
        welder.into_vertices(),
        triangles,
        None,
        Vec::new(),
    )
}
