//! The internal credential that guards the analyze component; it lives in
//! `farm-platform` so every private component checks it the same way.

pub use farm_platform::internal::{INTERNAL_HEADER, require_internal};
