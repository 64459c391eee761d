//! The one error type of the mesh engine.

use crate::Format;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a file could not be read as a mesh. Every variant says what is wrong and,
/// where the input has one, where: a byte offset for binary and XML input, a
/// 1-based line for text formats.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The input is larger than [`crate::Limits::max_file_bytes`].
    #[error("file is {size} bytes, over the limit of {limit} bytes")]
    FileTooLarge { size: u64, limit: u64 },

    /// The content matches none of the supported formats.
    #[error("unrecognised file content: not binary or ASCII STL, OBJ or 3MF")]
    UnknownFormat,

    /// The file parsed but holds no triangles.
    #[error("{format} file contains no triangles")]
    NoTriangles { format: Format },

    /// More triangles than [`crate::Limits::max_triangles`].
    #[error("more than {limit} triangles (limit); stopped at {at}")]
    TooManyTriangles { limit: u64, at: Location },

    /// A binary STL whose declared triangle count needs more bytes than present.
    #[error(
        "binary STL truncated: header declares {declared} triangles ({expected_bytes} bytes) \
         but the file has {actual_bytes} bytes; the record at byte offset {offset} is incomplete"
    )]
    StlTruncated {
        declared: u64,
        expected_bytes: u64,
        actual_bytes: u64,
        offset: u64,
    },

    /// A syntax error in a text format (ASCII STL or OBJ).
    #[error("{format} syntax error at line {line}: {message}")]
    Syntax {
        format: Format,
        line: u64,
        message: String,
    },

    /// A coordinate that is NaN, infinite or beyond ±1e10 (ten thousand km in mm).
    #[error("{format}: coordinate {value} is not finite or out of range at {at}")]
    BadCoordinate {
        format: Format,
        value: f64,
        at: Location,
    },

    /// A face or triangle refers to a vertex that does not exist.
    #[error("{format}: vertex index {index} out of range ({count} vertices) at {at}")]
    IndexOutOfRange {
        format: Format,
        index: i64,
        count: u64,
        at: Location,
    },

    /// The 3MF container (zip) is unreadable.
    #[error("3MF container: {message}")]
    Zip { message: String },

    /// A 3MF entry takes the package's decompressed parts over
    /// [`crate::Limits::max_uncompressed_bytes`] (`limit`).
    #[error("3MF entry {name:?} takes the parts read over the limit of {limit} decompressed bytes")]
    EntryTooLarge { name: String, limit: u64 },

    /// A 3MF entry compresses better than any real model: a zip bomb.
    #[error(
        "3MF entry {name:?} has compression ratio {ratio:.0}:1, over the limit of {limit:.0}:1"
    )]
    CompressionRatio {
        name: String,
        ratio: f64,
        limit: f64,
    },

    /// The 3MF package has no 3D model part.
    #[error("3MF package has no 3D model part (looked for {looked_for:?})")]
    MissingModel { looked_for: String },

    /// The 3MF model XML is malformed or breaks the core specification.
    #[error("3MF model {part:?} invalid at byte offset {offset}: {message}")]
    Model {
        part: String,
        offset: u64,
        message: String,
    },

    /// A 3MF model part requires an extension we do not implement, or names a
    /// prefix it never declared (3MF core §2.3.1): reading it without the
    /// extension could get the geometry, and so the price, wrong.
    #[error("3MF model {part:?}: {reason}")]
    UnsupportedRequiredExtension {
        part: String,
        /// The namespace, or the undeclared prefix.
        extension: String,
        reason: String,
    },

    /// 3MF components expand to more object instances than the limit
    /// (a component graph that multiplies without adding geometry).
    #[error("3MF components expand to more than {limit} object instances at {at}")]
    TooManyInstances { limit: u64, at: Location },

    /// Components or XML elements nest deeper than [`crate::Limits::max_nesting_depth`].
    #[error("nesting deeper than {limit} levels at {at}")]
    NestingTooDeep { limit: u32, at: Location },
}

/// Where in the input an error was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// Byte offset from the start of the file.
    ByteOffset(u64),
    /// 1-based line number of a text file.
    Line(u64),
    /// Byte offset inside a part (an entry) of a 3MF package.
    Part { part: String, offset: u64 },
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::ByteOffset(o) => write!(f, "byte offset {o}"),
            Location::Line(l) => write!(f, "line {l}"),
            Location::Part { part, offset } => write!(f, "byte offset {offset} of {part}"),
        }
    }
}

impl Error {
    /// A stable machine-readable code for the variant, for wire formats.
    pub fn code(&self) -> &'static str {
        match self {
            Error::FileTooLarge { .. } => "file_too_large",
            Error::UnknownFormat => "unknown_format",
            Error::NoTriangles { .. } => "no_triangles",
            Error::TooManyTriangles { .. } => "too_many_triangles",
            Error::StlTruncated { .. } => "stl_truncated",
            Error::Syntax { .. } => "syntax_error",
            Error::BadCoordinate { .. } => "bad_coordinate",
            Error::IndexOutOfRange { .. } => "index_out_of_range",
            Error::Zip { .. } => "bad_container",
            Error::EntryTooLarge { .. } => "entry_too_large",
            Error::CompressionRatio { .. } => "compression_ratio",
            Error::MissingModel { .. } => "missing_model",
            Error::Model { .. } => "invalid_model",
            Error::NestingTooDeep { .. } => "nesting_too_deep",
            Error::TooManyInstances { .. } => "too_many_instances",
            Error::UnsupportedRequiredExtension { .. } => "unsupported_required_extension",
        }
    }
}
