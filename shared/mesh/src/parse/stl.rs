//! Binary and ASCII STL.
//!
//! Binary STL is read by our own loop over `chunks_exact(50)` that welds while
//! reading, so no triangle soup is ever materialised; it is faster than
//! `stl_io` (which builds its own index with a hash map of float bits) and it
//! reports count mismatches precisely instead of failing. The benchmark script
//! measures both. `stl_io` remains a test-time oracle for both parsers.

use super::text::{line_of, parse_f64, show};
use crate::error::{Error, Location, Result};
use crate::limits::Limits;
use crate::mesh::{Format, Mesh, ParseWarning};

use crate::weld::{BATCH, F32Bits, MAX_COORD, Welder, check_point};

const HEADER: usize = 84;
const RECORD: usize = 50;
/// `|coordinate|` bits of the largest accepted f32 coordinate ([`MAX_COORD`]
/// is exact in f32); NaN and the infinities compare above it.
const MAX_COORD_BITS: u32 = (MAX_COORD as f32).to_bits();

pub(crate) fn parse_binary(bytes: &[u8], limits: &Limits) -> Result<Mesh> {
    let len = bytes.len() as u64;
    if bytes.len() < HEADER {
        return Err(Error::StlTruncated {
            declared: 0,
            expected_bytes: HEADER as u64,
            actual_bytes: len,
            offset: 0,
        });
    }
    let declared = u64::from(u32::from_le_bytes([
        bytes[80], bytes[81], bytes[82], bytes[83],
    ]));
    let body = len - HEADER as u64;
    let available = body / RECORD as u64;
    let remainder = body % RECORD as u64;
    let mut warnings = Vec::new();
    let used = if declared == 0 && available > 0 && remainder == 0 {
        // Some exporters never fill in the count; the records are all there.
        warnings.push(ParseWarning::StlCountMismatch {
            declared,
            used: available,
        });
        available
    } else if declared > available {
        return Err(Error::StlTruncated {
            declared,
            expected_bytes: HEADER as u64 + declared * RECORD as u64,
            actual_bytes: len,
            offset: HEADER as u64 + available * RECORD as u64,
        });
    } else {
        let end = HEADER as u64 + declared * RECORD as u64;
        if end < len {
            warnings.push(ParseWarning::StlTrailingBytes {
                offset: end,
                len: len - end,
            });
        }
        declared
    };
    let cap = limits.triangle_cap();
    if used > cap {
        return Err(Error::TooManyTriangles {
            limit: cap,
            at: Location::ByteOffset(HEADER as u64 + cap * RECORD as u64),
        });
    }
    let used = used as usize;
    let (records, _) = bytes[HEADER..HEADER + used * RECORD].as_chunks::<RECORD>();
    let mut welder = Welder::<F32Bits>::with_capacity(used / 2 + 8);
    let mut triangles = Vec::with_capacity(used);
    // Triangles are welded a batch at a time (see `Welder::insert_batch`).
    const PER_BATCH: usize = BATCH / 3;
    let mut points = [F32Bits([0; 3]); BATCH];
    let mut indices = [0u32; BATCH];
    for (b, block) in records.chunks(PER_BATCH).enumerate() {
        for (r, rec) in block.iter().enumerate() {
            // The nine vertex coordinates, after the 12-byte normal.
            let words: [u32; 9] = std::array::from_fn(|i| {
                let o = 12 + 4 * i;
                u32::from_le_bytes([rec[o], rec[o + 1], rec[o + 2], rec[o + 3]])
            });
            if let Some(i) = words.iter().position(|w| w & 0x7FFF_FFFF > MAX_COORD_BITS) {
                let t = b * PER_BATCH + r;
                return Err(Error::BadCoordinate {
                    format: Format::StlBinary,
                    value: f64::from(f32::from_bits(words[i])),
                    at: Location::ByteOffset((HEADER + t * RECORD + 12 + 12 * (i / 3)) as u64),
                });
            }
            for k in 0..3 {
                points[3 * r + k] = F32Bits([words[3 * k], words[3 * k + 1], words[3 * k + 2]]);
            }
        }
        let n = 3 * block.len();
        welder.insert_batch(&points[..n], &mut indices[..n]);
        triangles.extend(indices[..n].chunks_exact(3).map(|c| [c[0], c[1], c[2]]));
    }
    Mesh::new(
        Format::StlBinary,
        welder.into_vertices(),
        triangles,
        None,
        warnings,
    )
}

/// A whitespace tokenizer that remembers byte offsets for error messages and
/// whether a line ended (LF or a lone CR) before the token it returns.
struct Tokens<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// True when a line end lay between the previous token and this one.
    new_line: bool,
}

impl<'a> Tokens<'a> {
    fn next(&mut self) -> Option<(&'a [u8], usize)> {
        let b = self.bytes;
        let mut i = self.pos;
        self.new_line = false;
        while i < b.len() && b[i].is_ascii_whitespace() {
            self.new_line |= b[i] == b'\n' || b[i] == b'\r';
            i += 1;
        }
        if i == b.len() {
            self.pos = i;
            return None;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        self.pos = i;
        Some((&b[start..i], start))
    }

    /// The next token if it is on the current line, without consuming a token
    /// on a later line.
    fn next_on_line(&mut self) -> Option<(&'a [u8], usize)> {
        let saved = (self.pos, self.new_line);
        match self.next() {
            Some(t) if !self.new_line => Some(t),
            _ => {
                (self.pos, self.new_line) = saved;
                None
            }
        }
    }

    /// The next token if it is on the current line, without consuming it.
    fn peek_on_line(&mut self) -> Option<(&'a [u8], usize)> {
        let saved = (self.pos, self.new_line);
        let t = self.next_on_line();
        (self.pos, self.new_line) = saved;
        t
    }

    /// Skips the rest of the current line's tokens up to (not including) one of
    /// `stops`; returns how many were skipped.
    fn skip_on_line_until(&mut self, stops: &[&[u8]]) -> usize {
        let mut skipped = 0;
        loop {
            let saved = (self.pos, self.new_line);
            match self.next_on_line() {
                Some((t, _)) if stops.iter().any(|s| t.eq_ignore_ascii_case(s)) => {
                    (self.pos, self.new_line) = saved;
                    return skipped;
                }
                Some(_) => skipped += 1,
                None => return skipped,
            }
        }
    }
}

/// What an ASCII STL did that the format does not allow but exporters write
/// and PrusaSlicer, trimesh, ParaView and numpy-stl read. Reported once each
/// in [`ParseWarning::StlAsciiNonStandard`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StlQuirk {
    /// Lines end with a lone CR (classic Mac OS).
    CrLineEnds,
    /// Facets on the `solid` line (the whole file on one line).
    FacetsOnSolidLine,
    /// Words after `endloop`, `endfacet` or `endsolid` (PrusaSlicer tests).
    TextAfterKeyword,
    /// `end loop`, `end facet` or `end solid` written as two words.
    TwoWordEndKeyword,
    /// The file ends without `endsolid` (it may be truncated).
    MissingEndsolid,
}

impl StlQuirk {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            StlQuirk::CrLineEnds => "cr_line_ends",
            StlQuirk::FacetsOnSolidLine => "facets_on_solid_line",
            StlQuirk::TextAfterKeyword => "text_after_keyword",
            StlQuirk::TwoWordEndKeyword => "two_word_end_keyword",
            StlQuirk::MissingEndsolid => "missing_endsolid",
        }
    }
}

pub(crate) fn parse_ascii(bytes: &[u8], limits: &Limits) -> Result<Mesh> {
    let syntax = |offset: usize, message: String| Error::Syntax {
        format: Format::StlAscii,
        line: line_of(bytes, offset),
        message,
    };
    let mut toks = Tokens {
        bytes,
        pos: 0,
        new_line: false,
    };
    let mut quirks: Vec<StlQuirk> = Vec::new();
    let mut quirk = |q: StlQuirk| {
        if !quirks.contains(&q) {
            quirks.push(q);
        }
    };
    // A keyword, also in the two-word form `end loop` that some exporters write.
    let expect_end =
        |toks: &mut Tokens<'_>, word: &str, quirk: &mut dyn FnMut(StlQuirk)| -> Result<()> {
            match toks.next() {
                Some((t, _)) if t.eq_ignore_ascii_case(word.as_bytes()) => Ok(()),
                Some((t, at)) if t.eq_ignore_ascii_case(b"end") => match toks.next_on_line() {
                    Some((t, _)) if t.eq_ignore_ascii_case(&word.as_bytes()[3..]) => {
                        quirk(StlQuirk::TwoWordEndKeyword);
                        Ok(())
                    }
                    _ => Err(syntax(at, format!("expected `{word}`, found `end`"))),
                },
                Some((t, at)) if t.eq_ignore_ascii_case(b"vertex") && word == "endloop" => {
                    Err(syntax(at, "a facet has more than three vertices".into()))
                }
                Some((t, at)) => Err(syntax(
                    at,
                    format!("expected `{word}`, found `{}`", show(t)),
                )),
                None => Err(syntax(
                    bytes.len(),
                    format!("expected `{word}`, found end of file"),
                )),
            }
        };
    let expect = |toks: &mut Tokens<'_>, word: &str| -> Result<usize> {
        match toks.next() {
            Some((t, at)) if t.eq_ignore_ascii_case(word.as_bytes()) => Ok(at),
            Some((t, at)) => Err(syntax(
                at,
                format!("expected `{word}`, found `{}`", show(t)),
            )),
            None => Err(syntax(
                bytes.len(),
                format!("expected `{word}`, found end of file"),
            )),
        }
    };
    // Lone CRs end lines too (the tokenizer treats them so); note the dialect.
    let head = &bytes[..bytes.len().min(4096)];
    if head.contains(&b'\r') && !head.contains(&b'\n') {
        quirk(StlQuirk::CrLineEnds);
    }
    // A facet is about 250 bytes of text; size the table for that.
    let mut welder = Welder::with_capacity(bytes.len() / 500 + 8);
    let mut triangles: Vec<[u32; 3]> = Vec::with_capacity(bytes.len() / 250);
    let cap = limits.triangle_cap();
    // Skip a UTF-8 BOM if present; the first token must be `solid`.
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        toks.pos = 3;
    }
    expect(&mut toks, "solid")?;
    // The solid's name is the rest of its line, unless facets follow on it.
    toks.skip_on_line_until(&[b"facet", b"endsolid"]);
    if toks.peek_on_line().is_some() {
        quirk(StlQuirk::FacetsOnSolidLine);
    }
    let mut in_solid = true;
    let mut ended = false;
    while let Some((tok, at)) = toks.next() {
        if tok.eq_ignore_ascii_case(b"facet") {
            if !in_solid {
                return Err(syntax(at, "`facet` outside a `solid` block".into()));
            }
            expect(&mut toks, "normal")?;
            // Stored normals are ignored (orientation comes from vertex order),
            // but there must be three tokens.
            for _ in 0..3 {
                if toks.next().is_none() {
                    return Err(syntax(bytes.len(), "normal needs three numbers".into()));
                }
            }
            expect(&mut toks, "outer")?;
            expect(&mut toks, "loop")?;
            let mut tri = [0u32; 3];
            for slot in &mut tri {
                expect(&mut toks, "vertex")?;
                let mut p = [0.0; 3];
                for c in &mut p {
                    let (t, at) = toks
                        .next()
                        .ok_or_else(|| syntax(bytes.len(), "vertex needs three numbers".into()))?;
                    *c = parse_f64(t).ok_or_else(|| {
                        syntax(at, format!("expected a number, found `{}`", show(t)))
                    })?;
                }
                check_point(p).map_err(|value| Error::BadCoordinate {
                    format: Format::StlAscii,
                    value,
                    at: Location::Line(line_of(bytes, at)),
                })?;
                *slot = welder.insert(p);
            }
            expect_end(&mut toks, "endloop", &mut quirk)?;
            if toks.skip_on_line_until(&[b"endfacet", b"end"]) > 0 {
                quirk(StlQuirk::TextAfterKeyword);
            }
            expect_end(&mut toks, "endfacet", &mut quirk)?;
            if toks.skip_on_line_until(&[b"facet", b"endsolid", b"end"]) > 0 {
                quirk(StlQuirk::TextAfterKeyword);
            }
            if triangles.len() as u64 >= cap {
                return Err(Error::TooManyTriangles {
                    limit: cap,
                    at: Location::Line(line_of(bytes, at)),
                });
            }
            triangles.push(tri);
        } else if tok.eq_ignore_ascii_case(b"endsolid") || tok.eq_ignore_ascii_case(b"end") {
            if tok.len() == 3 {
                match toks.next_on_line() {
                    Some((t, _)) if t.eq_ignore_ascii_case(b"solid") => {
                        quirk(StlQuirk::TwoWordEndKeyword)
                    }
                    _ => {
                        return Err(syntax(
                            at,
                            "expected `endsolid` or `facet`, found `end`".into(),
                        ));
                    }
                }
            }
            if !in_solid {
                return Err(syntax(at, "`endsolid` outside a `solid` block".into()));
            }
            in_solid = false;
            ended = true;
            // The name (one word); more words on the line are tolerated, but
            // a `solid` there starts the next block (a one-line file).
            if toks.skip_on_line_until(&[b"solid"]) > 1 {
                quirk(StlQuirk::TextAfterKeyword);
            }
        } else if tok.eq_ignore_ascii_case(b"solid") && !in_solid {
            in_solid = true;
            toks.skip_on_line_until(&[b"facet", b"endsolid"]);
        } else {
            return Err(syntax(
                at,
                format!("expected `facet` or `endsolid`, found `{}`", show(tok)),
            ));
        }
    }
    if !ended || in_solid {
        quirk(StlQuirk::MissingEndsolid);
    }
    let mut warnings = Vec::new();
    if !quirks.is_empty() {
        quirks.sort();
        warnings.push(ParseWarning::StlAsciiNonStandard { quirks });
    }
    Mesh::new(
        Format::StlAscii,
        welder.into_vertices(),
        triangles,
        None,
        warnings,
    )
}
