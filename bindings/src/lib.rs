//! waas-ffi: the waas core for Swift, Kotlin and Python, through uniffi (proc-macros, library mode).
//!
//! This crate only translates: every rule lives in `waas-core`. Free functions mirror the
//! JavaScript names of `waas-wasm` in snake_case (`derive_address`, `to_base_units`, ...);
//! [`DepositKey`] is the object form for apps that derive many addresses from one xpub.
//! Every failure is a [`WaasError`] carrying the core's stable code (e.g. `INVALID_ADDRESS`).

use std::sync::{Arc, OnceLock};
use waas_core::keys::{ExtendedPublicKey, Mnemonic};
use waas_core::{Address, Amount, Family, Registry};

uniffi::setup_scaffolding!("waas");

/// The error of every waas call: the core's stable code and its human message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum WaasError {
    /// A call was refused; `code` is the core's machine code, `detail` the human message.
    #[error("{code}: {detail}")]
    Failed {
        /// The stable machine code, e.g. `INVALID_ADDRESS`.
        code: String,
        /// The human message.
        detail: String,
    },
}

impl From<waas_core::Error> for WaasError {
    fn from(e: waas_core::Error) -> Self {
        WaasError::Failed {
            code: e.code().as_str().to_owned(),
            detail: e.message().to_owned(),
        }
    }
}

/// Result of every exported call.
pub type Result<T, E = WaasError> = std::result::Result<T, E>;

/// The key and address family of a blockchain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ChainFamily {
    /// Ethereum and EVM-compatible chains (EIP-55 addresses).
    Evm,
    /// Tron (base58check `T...` addresses).
    Tron,
}

impl From<Family> for ChainFamily {
    fn from(f: Family) -> Self {
        match f {
            Family::Evm => ChainFamily::Evm,
            Family::Tron => ChainFamily::Tron,
        }
    }
}

/// The built-in registry, built once per process.
fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::builtin)
}

/// The key family of a blockchain id or alias.
fn family(chain: &str) -> waas_core::Result<Family> {
    Ok(registry().chain(chain)?.family)
}

/// The family of a blockchain id or alias (`ethereum`, `tron`, `polygon`, ...).
#[uniffi::export]
pub fn chain_family(chain: String) -> Result<ChainFamily> {
    Ok(family(&chain)?.into())
}

/// The deposit address of virtual wallet `index` under an account xpub, in canonical form.
#[uniffi::export]
pub fn derive_address(chain: String, xpub: String, index: u32) -> Result<String> {
    Ok(DepositKey::new(chain, xpub)?.derive_address(index)?)
}

/// The deposit addresses of virtual wallets `start .. start + count`, in canonical form.
#[uniffi::export]
pub fn derive_addresses(
    chain: String,
    xpub: String,
    start: u32,
    count: u32,
) -> Result<Vec<String>> {
    DepositKey::new(chain, xpub)?.derive_addresses(start, count)
}

/// Checks an address of a blockchain (checksum included) and returns its canonical form.
#[uniffi::export]
pub fn canonical_address(chain: String, address: String) -> Result<String> {
    Ok(Address::parse(family(&chain)?, &address)?.to_string())
}

/// A decimal amount ("12.5") in integer base units of a token, as a decimal string.
#[uniffi::export]
pub fn to_base_units(amount: String, decimals: u8) -> Result<String> {
    Ok(Amount::parse(&amount, decimals)?
        .to_base_units(decimals)?
        .to_string())
}

/// Integer base units ("12500000") as the normalized decimal amount ("12.5").
#[uniffi::export]
pub fn from_base_units(units: String, decimals: u8) -> Result<String> {
    Ok(Amount::from_base_units(&units, decimals)?.to_string())
}

/// The xpub of the holding-wallet key m/44'/coin'/account'/0 of a BIP-39 mnemonic.
#[uniffi::export]
pub fn account_xpub(
    chain: String,
    mnemonic: String,
    passphrase: String,
    account: u32,
) -> Result<String> {
    let mnemonic = Mnemonic::parse(&mnemonic)?;
    let key = waas_core::keys::account_xpub(&mnemonic, &passphrase, family(&chain)?, account)?;
    Ok(key.to_string())
}

/// An account xpub bound to a blockchain: derives its deposit addresses without private keys.
#[derive(Debug, uniffi::Object)]
pub struct DepositKey {
    family: Family,
    key: ExtendedPublicKey,
}

#[uniffi::export]
impl DepositKey {
    /// Parses `xpub` for the blockchain `chain` (id or alias).
    #[uniffi::constructor]
    pub fn new(chain: String, xpub: String) -> Result<Arc<DepositKey>> {
        Ok(Arc::new(DepositKey {
            family: family(&chain)?,
            key: ExtendedPublicKey::parse(&xpub)?,
        }))
    }

    /// The family of the bound blockchain.
    pub fn family(&self) -> ChainFamily {
        self.family.into()
    }

    /// The canonical xpub text.
    pub fn xpub(&self) -> String {
        self.key.to_string()
    }

    /// The deposit address of virtual wallet `index`.
    pub fn derive_address(&self, index: u32) -> Result<String> {
        Ok(self.key.derive_address(self.family, index)?.to_string())
    }

    /// The deposit addresses of virtual wallets `start .. start + count`.
    pub fn derive_addresses(&self, start: u32, count: u32) -> Result<Vec<String>> {
        Ok(self
            .key
            .derive_addresses(self.family, start, count)?
            .iter()
            .map(ToString::to_string)
            .collect())
    }
}
