//! The one place waas-core reads randomness from the platform.

use crate::error::{err, Result};

/// Fills `buf` with cryptographically secure random bytes (the single getrandom call site).
pub fn fill(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| err::entropy(format!("no randomness from the platform: {e}")))
}
