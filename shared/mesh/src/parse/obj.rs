//! Wavefront OBJ: `v` and `f` statements. Polygons are fan-triangulated,
//! negative (relative) indices are resolved, `v/vt/vn` forms are accepted;
//! materials, normals, texture coordinates, groups and lines are ignored.

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

struct Face {
    /// Offset of the `f` statement, for errors found after the whole file is read.
    offset: usize,
    /// Raw vertex index (0-based, not yet range-checked) of each corner.
    first: u32,
    corners: [u32; 2],
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
    let mut polygon: Vec<u32> = Vec::new();
    let mut offset = 0usize;
    for line in bytes.split(|&c| c == b'\n') {
        let line_start = offset;
        offset += line.len() + 1;
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
                polygon.clear();
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
                    polygon.push(resolved as u32);
                }
                if polygon.len() < 3 {
                    return Err(syntax(
                        line_start,
                        format!("a face needs 3 vertices, found {}", polygon.len()),
                    ));
                }
                for pair in polygon[1..].windows(2) {
                    if faces.len() as u64 >= cap {
                        return Err(Error::TooManyTriangles {
                            limit: cap,
                            at: Location::Line(line_of(bytes, line_start)),
                        });
                    }
                    faces.push(Face {
                        offset: line_start,
                        first: polygon[0],
                        corners: [pair[0], pair[1]],
                    });
                }
            }
            _ => {}
        }
    }
    let mut welder = Welder::with_capacity(raw.len());
    let mut remap = vec![u32::MAX; raw.len()];
    let mut triangles = Vec::with_capacity(faces.len());
    for face in &faces {
        let mut tri = [0u32; 3];
        for (slot, &i) in tri
            .iter_mut()
            .zip([face.first, face.corners[0], face.corners[1]].iter())
        {
            let Some(&p) = raw.get(i as usize) else {
                return Err(Error::IndexOutOfRange {
                    format: Format::Obj,
                    index: i64::from(i) + 1,
                    count: raw.len() as u64,
                    at: Location::Line(line_of(bytes, face.offset)),
                });
            };
            if remap[i as usize] == u32::MAX {
                remap[i as usize] = welder.insert(p);
            }
            *slot = remap[i as usize];
        }
        triangles.push(tri);
    }
    Mesh::new(
        Format::Obj,
        welder.into_vertices(),
        triangles,
        None,
        Vec::new(),
    )
}
