//! The parsed mesh: welded vertices and triangles, ready to be measured.

use std::cell::OnceCell;

use crate::error::{Error, Location, Result};
use crate::measure::Measurements;
pub use crate::parse::StlQuirk;
use crate::units::Unit;
use crate::weld::Welder;

/// The file format, detected from content (never from a file name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    StlBinary,
    StlAscii,
    Obj,
    ThreeMf,
    /// A mesh built in memory with [`Mesh::from_indexed`].
    Memory,
}

impl Format {
    /// Stable code: `stl-binary`, `stl-ascii`, `obj`, `3mf`, `memory`.
    pub fn code(self) -> &'static str {
        match self {
            Format::StlBinary => "stl-binary",
            Format::StlAscii => "stl-ascii",
            Format::Obj => "obj",
            Format::ThreeMf => "3mf",
            Format::Memory => "memory",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// Something irregular the parser tolerated; reported, not fatal.
#[derive(Debug, Clone, PartialEq)]
pub enum ParseWarning {
    /// Binary STL whose header count disagrees with the records present; the
    /// records were read (`used` triangles).
    StlCountMismatch { declared: u64, used: u64 },
    /// Bytes after the last binary STL record, ignored.
    StlTrailingBytes { offset: u64, len: u64 },
    /// An ASCII STL in a dialect the format does not allow but exporters
    /// write; every facet was read (never a partial mesh).
    StlAsciiNonStandard { quirks: Vec<StlQuirk> },
    /// 3MF objects of type `support` or `solidsupport`: not part of the
    /// weighed mesh, reported apart (3MF core §4.1). `volume` is the supports'
    /// enclosed volume in file units³, as placed in the build.
    ThreeMfSupportObjects {
        objects: Vec<String>,
        triangles: u64,
        volume: f64,
    },
    /// 3MF objects of type `other` placed in the build: not printed, not
    /// weighed (3MF core §4.1).
    ThreeMfOtherObjectsExcluded { objects: Vec<String> },
    /// 3MF objects whose mesh has no triangles; the rest of the build is read.
    ThreeMfEmptyObjects { objects: Vec<String> },
}

impl ParseWarning {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ParseWarning::StlCountMismatch { .. } => "stl_count_mismatch",
            ParseWarning::StlTrailingBytes { .. } => "stl_trailing_bytes",
            ParseWarning::StlAsciiNonStandard { .. } => "stl_ascii_nonstandard",
            ParseWarning::ThreeMfSupportObjects { .. } => "3mf_support_objects",
            ParseWarning::ThreeMfOtherObjectsExcluded { .. } => "3mf_other_objects_excluded",
            ParseWarning::ThreeMfEmptyObjects { .. } => "3mf_empty_objects",
        }
    }
}

impl std::fmt::Display for ParseWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseWarning::StlCountMismatch { declared, used } => write!(
                f,
                "binary STL header declares {declared} triangles; read the {used} records present"
            ),
            ParseWarning::StlTrailingBytes { offset, len } => {
                write!(
                    f,
                    "ignored {len} bytes after the last triangle record at byte offset {offset}"
                )
            }
            ParseWarning::StlAsciiNonStandard { quirks } => {
                let codes: Vec<&str> = quirks.iter().map(|q| q.code()).collect();
                write!(
                    f,
                    "non-standard ASCII STL ({}); every facet was read",
                    codes.join(", ")
                )
            }
            ParseWarning::ThreeMfSupportObjects {
                objects,
                triangles,
                volume,
            } => write!(
                f,
                "supports, not part of the weighed part: {} ({triangles} triangles, \
                 {volume:.3} cubic file units)",
                objects.join(", ")
            ),
            ParseWarning::ThreeMfOtherObjectsExcluded { objects } => write!(
                f,
                "of type `other`, excluded (not printed or weighed): {}",
                objects.join(", ")
            ),
            ParseWarning::ThreeMfEmptyObjects { objects } => {
                write!(f, "empty mesh, skipped: {}", objects.join(", "))
            }
        }
    }
}

/// A triangle mesh with vertices welded the way trimesh welds them (equal after
/// rounding each coordinate to 8 decimals), in file units.
///
/// Parse once with [`crate::parse`], then measure as often as needed: the
/// unit-independent work (topology, raw volume and area) is computed on first
/// use and cached, so [`Mesh::analyze`] with another unit is cheap.
#[derive(Debug, Clone)]
pub struct Mesh {
    pub(crate) format: Format,
    pub(crate) vertices: Vec<[f64; 3]>,
    pub(crate) triangles: Vec<[u32; 3]>,
    pub(crate) file_unit: Option<Unit>,
    pub(crate) warnings: Vec<ParseWarning>,
    pub(crate) measured: OnceCell<Measurements>,
}

impl Mesh {
    pub(crate) fn new(
        format: Format,
        vertices: Vec<[f64; 3]>,
        triangles: Vec<[u32; 3]>,
        file_unit: Option<Unit>,
        warnings: Vec<ParseWarning>,
    ) -> Result<Mesh> {
        if triangles.is_empty() {
            return Err(Error::NoTriangles { format });
        }
        Ok(Mesh {
            format,
            vertices,
            triangles,
            file_unit,
            warnings,
            measured: OnceCell::new(),
        })
    }

    /// Builds a mesh from an indexed triangle list (welding equal vertices),
    /// for tests and callers that generate geometry.
    pub fn from_indexed(vertices: &[[f64; 3]], triangles: &[[u32; 3]]) -> Result<Mesh> {
        let mut welder = Welder::with_capacity(vertices.len());
        let mut remap = vec![u32::MAX; vertices.len()];
        let mut tris = Vec::with_capacity(triangles.len());
        for (t, tri) in triangles.iter().enumerate() {
            let mut out = [0u32; 3];
            for (k, &i) in tri.iter().enumerate() {
                let Some(p) = vertices.get(i as usize) else {
                    return Err(Error::IndexOutOfRange {
                        format: Format::Memory,
                        index: i64::from(i),
                        count: vertices.len() as u64,
                        at: Location::ByteOffset(t as u64),
                    });
                };
                if remap[i as usize] == u32::MAX {
                    crate::weld::check_point(*p).map_err(|value| Error::BadCoordinate {
                        format: Format::Memory,
                        value,
                        at: Location::ByteOffset(t as u64),
                    })?;
                    remap[i as usize] = welder.insert(*p);
                }
                out[k] = remap[i as usize];
            }
            tris.push(out);
        }
        Mesh::new(
            Format::Memory,
            welder.into_vertices(),
            tris,
            None,
            Vec::new(),
        )
    }

    /// The detected file format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Welded vertices in file units.
    pub fn vertices(&self) -> &[[f64; 3]] {
        &self.vertices
    }

    /// Triangles as indices into [`Mesh::vertices`], in file order.
    pub fn triangles(&self) -> &[[u32; 3]] {
        &self.triangles
    }

    /// The unit the file declares (3MF only).
    pub fn file_unit(&self) -> Option<Unit> {
        self.file_unit
    }

    /// Irregularities the parser tolerated.
    pub fn warnings(&self) -> &[ParseWarning] {
        &self.warnings
    }

    /// Unit-independent measurements, computed once and cached.
    pub fn measurements(&self) -> &Measurements {
        self.measured.get_or_init(|| Measurements::compute(self))
    }
}
