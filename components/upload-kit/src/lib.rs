//! The upload kit: code the upload/quote components share (presign, confirm,
//! analyze, files, quotes, jobs). A plain library crate that each of them
//! links: accepted formats, the object store, the `files` row, the stored
//! mesh analysis, quotes, and the internal token that guards analyze.

pub mod analysis;
pub mod file_events;
pub mod formats;
pub mod internal;
/// Cursor pagination (moved to the platform so every list shares it).
pub use farm_platform::list;
pub mod quote;
pub mod rows;
pub mod store;
