//! The upload kit: code the upload/quote components share (presign, confirm,
//! analyze, files, quotes, jobs). Included by path (`#[path]`) rather than a
//! crate, because a cdylib component cannot be linked into another one and the
//! team layout has no slot for a seventh component crate; see ARCHITECTURE.md.
//!
//! Each component uses a subset, so unused items are expected here.
#![allow(dead_code)]

pub mod analysis;
pub mod formats;
pub mod internal;
pub mod quote;
pub mod rows;
pub mod store;
