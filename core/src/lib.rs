//! waas-core: the pure logic of a wallet-as-a-service platform.
//!
//! No I/O, no clock, no threads, no global state: time, prices and randomness come in as
//! arguments (randomness only through [`random::fill`]). Builds for native targets and
//! `wasm32-unknown-unknown`.

pub mod access;
pub mod address;
pub mod allowlist;
pub mod amount;
pub mod automation;
pub mod card;
pub mod chain;
pub mod endpoint;
pub mod error;
pub mod fees;
pub mod keys;
pub mod ledger;
pub mod pricing;
pub mod random;
pub mod reserve;
pub mod scenario;
pub mod tx;
pub mod webhook;

pub use address::Address;
pub use amount::Amount;
pub use chain::{Blockchain, ChainId, Family, Registry, Token};
pub use error::{Detail, Error, ErrorCode, Result};
