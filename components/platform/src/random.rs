//! Randomness from the host (`wasi:random`), for ids and secrets.

use crate::ApiError;
use farm_domain::ids::{ID_RANDOM_BYTES, IdKind};

/// `N` random bytes from the host's CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], ApiError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| ApiError::internal(format!("random: {e}")))?;
    Ok(buf)
}

/// A new opaque id of the given kind: `file_` + 32 hex (128 random bits).
pub fn new_id(kind: IdKind) -> Result<String, ApiError> {
    Ok(kind.format(random_bytes::<ID_RANDOM_BYTES>()?))
}
