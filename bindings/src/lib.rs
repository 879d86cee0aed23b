//! waas-ffi: the waas core for Swift, Kotlin and Python, through uniffi (proc-macros, library mode).
//!
//! This crate only translates: every rule lives in `waas-core`. Free functions mirror the
//! JavaScript names of `waas-wasm` in snake_case (`derive_address`, `to_base_units`, ...);
//! [`DepositKey`] is the object form for apps that derive many addresses from one xpub.
//! Every failure is a [`WaasError`] carrying the core's stable code (e.g. `INVALID_ADDRESS`).

use std::sync::{Arc, OnceLock};
use waas_core::keys::Mnemonic;
use waas_core::{access, webhook, Address, Amount, Error, ErrorCode, Family, Registry};

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

/// Declares the core's [`ErrorCode`] to uniffi, variant by variant (a type from another crate).
macro_rules! declare_error_code {
    ($($variant:ident,)*) => {
        /// The core's stable error codes as an enum in Swift, Kotlin and Python
        /// (`ErrorCode.INVALID_ADDRESS`); the test `every_core_code_crosses` lowers each of them.
        #[uniffi::remote(Enum)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $($variant,)*
        }
    };
}

waas_core::error_code_variants!(declare_error_code);

impl From<waas_core::Error> for WaasError {
    fn from(e: waas_core::Error) -> Self {
        WaasError::Failed {
            code: e.code().as_str().to_owned(),
            detail: e.message().to_owned(),
        }
    }
}

#[uniffi::export]
impl WaasError {
    /// The stable machine code as an enum (`ErrorCode.INVALID_ADDRESS`), beside its text in `code`.
    pub fn kind(&self) -> ErrorCode {
        let WaasError::Failed { code, .. } = self;
        ErrorCode::parse(code).unwrap_or(ErrorCode::Internal)
    }
}

/// Result of every exported call.
pub type Result<T, E = WaasError> = std::result::Result<T, E>;

/// A binding integer as a `u32`, or `code` when it is out of range.
///
/// Integers cross the boundary as signed 64-bit (Kotlin `Long`, Swift `Int64`, Python `int`), so
/// that an out-of-range value gets the same coded error as in JavaScript, not a foreign one.
fn to_u32(value: i64, what: &str, code: ErrorCode) -> waas_core::Result<u32> {
    u32::try_from(value)
        .map_err(|_| waas_core::error::not_whole(code, what, u32::MAX.into(), value))
}

/// A binding integer as token decimals (`u8`, as in the core); the core checks its own limit.
fn token_decimals(value: i64) -> waas_core::Result<u8> {
    u8::try_from(value).map_err(|_| {
        waas_core::error::not_whole(ErrorCode::InvalidAmount, "decimals", u8::MAX.into(), value)
    })
}

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
pub fn derive_address(chain: String, xpub: String, index: i64) -> Result<String> {
    DepositKey::new(chain, xpub)?.derive_address(index)
}

/// The deposit addresses of virtual wallets `start .. start + count`, in canonical form.
#[uniffi::export]
pub fn derive_addresses(
    chain: String,
    xpub: String,
    start: i64,
    count: i64,
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
pub fn to_base_units(amount: String, decimals: i64) -> Result<String> {
    let decimals = token_decimals(decimals)?;
    Ok(Amount::parse(&amount, decimals)?
        .to_base_units(decimals)?
        .to_string())
}

/// Integer base units ("12500000") as the normalized decimal amount ("12.5").
#[uniffi::export]
pub fn from_base_units(units: String, decimals: i64) -> Result<String> {
    Ok(Amount::from_base_units(&units, token_decimals(decimals)?)?.to_string())
}

/// The xpub of the holding-wallet key m/44'/coin'/account'/0 of a BIP-39 mnemonic.
#[uniffi::export]
pub fn account_xpub(
    chain: String,
    mnemonic: String,
    passphrase: String,
    account: i64,
) -> Result<String> {
    let account = to_u32(account, "account", ErrorCode::InvalidIndex)?;
    let mnemonic = Mnemonic::parse(&mnemonic)?;
    let key = waas_core::keys::account_xpub(&mnemonic, &passphrase, family(&chain)?, account)?;
    Ok(key.to_string())
}

/// An account xpub bound to a blockchain: derives its deposit addresses without private keys.
#[derive(Debug, uniffi::Object)]
pub struct DepositKey(waas_core::keys::DepositKey);

#[uniffi::export]
impl DepositKey {
    /// Parses `xpub` for the blockchain `chain` (id or alias).
    #[uniffi::constructor]
    pub fn new(chain: String, xpub: String) -> Result<Arc<DepositKey>> {
        let key = waas_core::keys::DepositKey::parse(registry(), &chain, &xpub)?;
        Ok(Arc::new(DepositKey(key)))
    }

    /// The family of the bound blockchain.
    pub fn family(&self) -> ChainFamily {
        self.0.family().into()
    }

    /// The canonical xpub text.
    pub fn xpub(&self) -> String {
        self.0.xpub()
    }

    /// The deposit address of virtual wallet `index`.
    pub fn derive_address(&self, index: i64) -> Result<String> {
        Ok(self
            .0
            .address(to_u32(index, "index", ErrorCode::InvalidIndex)?)?)
    }

    /// The deposit addresses of virtual wallets `start .. start + count`.
    pub fn derive_addresses(&self, start: i64, count: i64) -> Result<Vec<String>> {
        let start = to_u32(start, "start", ErrorCode::InvalidIndex)?;
        let count = to_u32(count, "count", ErrorCode::InvalidArgument)?;
        Ok(self.0.addresses(start, count)?)
    }
}

/// The `webhook-signature` value (`v1,` + base64 HMAC-SHA256) of a delivery whose body is text.
#[uniffi::export]
pub fn sign_webhook(secret: String, id: String, timestamp: i64, body: String) -> Result<String> {
    let secret = webhook::WebhookSecret::parse(&secret)?;
    Ok(webhook::sign(&secret, &id, timestamp, body.as_bytes())?.signature)
}

/// Verifies a Standard Webhooks delivery whose body is text, with the default tolerance (300 s
/// either side of `now_seconds`); fails with `INVALID_SIGNATURE`, `TIMESTAMP_OUT_OF_TOLERANCE` or
/// `INVALID_SECRET`. [`WebhookVerifier`] takes raw bytes, several secrets and a tolerance.
#[uniffi::export]
pub fn verify_webhook(
    secret: String,
    id: String,
    timestamp: i64,
    body: String,
    signature_header: String,
    now_seconds: i64,
) -> Result<()> {
    let secret = webhook::WebhookSecret::parse(&secret)?;
    Ok(webhook::verify(
        &secret,
        &id,
        &timestamp.to_string(),
        &signature_header,
        body.as_bytes(),
        now_seconds,
    )?)
}

/// A webhook receiver's verifier: one or more secrets (during a rotation) and a tolerance.
#[derive(Debug, uniffi::Object)]
pub struct WebhookVerifier {
    inner: webhook::Verifier,
}

#[uniffi::export]
impl WebhookVerifier {
    /// A verifier for these secrets (`whsec_` + base64 each) and a tolerance in seconds.
    #[uniffi::constructor]
    pub fn new(secrets: Vec<String>, tolerance_seconds: i64) -> Result<Arc<WebhookVerifier>> {
        let tolerance_seconds = u64::try_from(tolerance_seconds).map_err(|_| {
            Error::new(
                ErrorCode::InvalidArgument,
                format!("tolerance_seconds must not be negative, not {tolerance_seconds}"),
            )
        })?;
        let secrets = secrets
            .iter()
            .map(|s| webhook::WebhookSecret::parse(s))
            .collect::<waas_core::Result<Vec<_>>>()?;
        Ok(Arc::new(WebhookVerifier {
            inner: webhook::Verifier::with_secrets(secrets)?.tolerance(tolerance_seconds),
        }))
    }

    /// Verifies a delivery: the three header values exactly as received, the raw body bytes and
    /// the current time in seconds.
    pub fn verify(
        &self,
        id: String,
        timestamp: String,
        body: Vec<u8>,
        signature_header: String,
        now_seconds: i64,
    ) -> Result<()> {
        Ok(self
            .inner
            .verify(&id, &timestamp, &signature_header, &body, now_seconds)?)
    }
}

/// Validates a webhook envelope (JSON text) and returns its normalized JSON; `lenient` also
/// accepts status FINISHED (as SUCCESS) and unknown operations, and drops unknown fields.
#[uniffi::export]
pub fn check_envelope(json: String, lenient: bool) -> Result<String> {
    let mode = webhook::Mode::lenient_if(lenient);
    Ok(webhook::Envelope::parse(json.as_bytes(), mode)?.to_json())
}

/// Replays a ledger scenario (JSON Lines) and returns its output (JSON Lines, ending with the
/// `{"state":...}` line that holds the reserve reports).
#[uniffi::export]
pub fn replay_ledger(jsonl: String) -> String {
    waas_core::scenario::replay(&jsonl)
}

/// Replays a ledger scenario (JSON Lines) and returns the reserve reports it leaves: a JSON object
/// keyed `client/blockchain/token`, each with holding, in_transit, liabilities, ratio, leverage
/// and withdrawable. Refused lines change nothing (`replay_ledger` names them).
#[uniffi::export]
pub fn reserve_report(jsonl: String) -> Result<String> {
    Ok(waas_core::scenario::reserve_report(&jsonl)?)
}

/// Verifies a journal export (JSON Lines from `GET /v1/journal/export`): its hash chain, every
/// running balance, and that each movement sums to zero. Returns `ok N entries`; fails with
/// `JOURNAL_MISMATCH` naming the line of the first entry that does not match.
#[uniffi::export]
pub fn verify_journal(jsonl: String) -> Result<String> {
    Ok(waas_core::ledger::journal::verify_report(&jsonl)?)
}

/// A newly generated API key: show `key` once, store only `hash`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NewApiKey {
    /// The key text (secret; shown once).
    pub key: String,
    /// SHA-256 of the key, 64 hex digits: what the platform stores.
    pub hash: String,
    /// A non-secret hint for listings (prefix and first characters).
    pub hint: String,
    /// `sandbox` or `live`.
    pub environment: String,
}

/// Generates an API key for `environment` (`sandbox` or `live`) from the platform's randomness.
#[uniffi::export]
pub fn new_api_key(environment: String) -> Result<NewApiKey> {
    Ok(access::IssuedKey::generate(&environment)?.into())
}

impl From<access::IssuedKey> for NewApiKey {
    fn from(issued: access::IssuedKey) -> Self {
        NewApiKey {
            key: issued.key,
            hash: issued.hash,
            hint: issued.hint,
            environment: issued.environment,
        }
    }
}

/// The stored form (SHA-256, 64 hex digits) of a presented API key; `UNAUTHORIZED` when the text
/// is not a waas key.
#[uniffi::export]
pub fn hash_api_key(key: String) -> Result<String> {
    Ok(access::ApiKey::parse(&key)?.hash().to_hex())
}

/// A signed EVM transaction: the raw bytes (for `eth_sendRawTransaction`) and its hash, `0x` hex.
#[derive(uniffi::Record)]
pub struct SignedTx {
    /// The signed transaction, `0x` hex.
    pub raw: String,
    /// keccak-256 of the raw bytes, `0x` hex.
    pub hash: String,
}

/// Signs an EVM transaction locally: legacy with `gas_price`, EIP-1559 with `max_fee_per_gas` and
/// `max_priority_fee_per_gas`; numbers are decimal strings (wei), the key is 64 hex digits.
#[uniffi::export]
#[allow(clippy::too_many_arguments)]
pub fn sign_transaction(
    chain: String,
    private_key: String,
    nonce: String,
    to: String,
    gas_limit: String,
    value: Option<String>,
    data: Option<String>,
    gas_price: Option<String>,
    max_fee_per_gas: Option<String>,
    max_priority_fee_per_gas: Option<String>,
) -> Result<SignedTx> {
    let private_key = zeroize::Zeroizing::new(private_key);
    let chain = registry().chain(&chain)?;
    let fields = waas_core::tx::TxFields {
        nonce: &nonce,
        to: &to,
        gas_limit: &gas_limit,
        value: value.as_deref(),
        data: data.as_deref(),
        gas_price: gas_price.as_deref(),
        max_fee_per_gas: max_fee_per_gas.as_deref(),
        max_priority_fee_per_gas: max_priority_fee_per_gas.as_deref(),
    };
    let signed = waas_core::tx::sign_fields(chain, &private_key, &fields)?;
    Ok(SignedTx {
        raw: signed.raw_hex(),
        hash: signed.hash_hex(),
    })
}

/// The call data of an ERC-20 `transfer(to, amount)`, `0x` hex; `amount` in base units (decimal).
#[uniffi::export]
pub fn erc20_transfer_data(to: String, amount: String) -> Result<String> {
    Ok(waas_core::tx::erc20_transfer_data_hex(&to, &amount)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_code_crosses() {
        for code in ErrorCode::ALL {
            let lowered = <ErrorCode as uniffi::Lower<crate::UniFfiTag>>::lower(code);
            let lifted = <ErrorCode as uniffi::Lift<crate::UniFfiTag>>::try_lift(lowered);
            assert_eq!(lifted.ok(), Some(code), "{code}");
        }
    }

    #[test]
    fn the_error_carries_its_code_as_text_and_as_enum() {
        let error = WaasError::from(Error::new(ErrorCode::InvalidAddress, "bad"));
        assert_eq!(error.kind(), ErrorCode::InvalidAddress);
        let WaasError::Failed { code, detail } = error;
        assert_eq!((code.as_str(), detail.as_str()), ("INVALID_ADDRESS", "bad"));
    }
}
