//! The farm's domain model: ids, money, the material catalog with every pricing
//! constant, API keys and scopes, rate-limit window arithmetic, email verification codes, UTC calendar
//! helpers and the one domain error enum.
//!
//! Pure Rust: no I/O, no Spin, no HTTP, no JSON. Randomness is passed in by the
//! caller (the platform crate reads it from the host), so everything here is
//! deterministic and unit-tested natively. Domain types do not derive
//! `Serialize`; components own their wire types and convert.

pub mod account;
pub mod api_key;
pub mod calendar;
pub mod catalog;
pub mod error;
pub mod ids;
pub mod money;
pub mod rate_limit;
pub mod scope;
pub mod site_token;
pub mod verification;

pub use error::{Error, FieldError, Resource, Result};
