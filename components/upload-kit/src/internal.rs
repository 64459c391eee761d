//! The internal credential that guards the analyze component: the one check
//! in `farm_platform::internal`, re-exported for the upload components.

pub use farm_platform::internal::{INTERNAL_HEADER, require_internal};
