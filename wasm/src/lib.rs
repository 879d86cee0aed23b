//! waas-wasm: the waas core for JavaScript (browsers and Node), through wasm-bindgen.
//!
//! This crate only translates: JavaScript values in, core calls, JavaScript values out. Every
//! rule lives in `waas-core`. Errors are JavaScript `Error` objects whose `code` property is the
//! core's stable code (e.g. `INVALID_ADDRESS`) and whose message is `CODE: human message`.

use std::sync::OnceLock;
use waas_core::keys::ExtendedPublicKey;
use waas_core::{Address, Amount, Error, ErrorCode, Family, Registry};
use wasm_bindgen::prelude::*;

/// The built-in registry, built once per module instance.
fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::builtin)
}

/// Turns a core error into a JavaScript `Error` with a `code` property.
fn js_error(error: &Error) -> JsValue {
    let js = js_sys::Error::new(&error.to_string());
    js.set_name("WaasError");
    // Reflect::set only fails on frozen or non-object targets; a fresh Error is neither.
    let _ = js_sys::Reflect::set(
        &js,
        &JsValue::from_str("code"),
        &JsValue::from_str(error.code().as_str()),
    );
    js.into()
}

/// Runs a core call and converts its error.
fn run<T>(result: waas_core::Result<T>) -> Result<T, JsValue> {
    result.map_err(|e| js_error(&e))
}

/// A JavaScript number as an exact `u32`, or `code` when it is not an integer in range.
fn whole_u32(value: f64, what: &str, code: ErrorCode) -> waas_core::Result<u32> {
    if value.fract() == 0.0 && value >= 0.0 && value <= f64::from(u32::MAX) {
        // Checked above: a whole number within u32, so the cast is exact.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(value as u32)
    } else {
        Err(Error::new(
            code,
            format!(
                "{what} must be a whole number from 0 to {}, not {value}",
                u32::MAX
            ),
        ))
    }
}

/// A JavaScript number as token decimals (`u8`, as in the core); the core checks its own limit.
fn decimals(value: f64) -> waas_core::Result<u8> {
    let whole = whole_u32(value, "decimals", ErrorCode::InvalidAmount)?;
    u8::try_from(whole).map_err(|_| {
        Error::new(
            ErrorCode::InvalidAmount,
            format!("decimals must be a whole number from 0 to 255, not {value}"),
        )
    })
}

/// The key family of a blockchain id or alias.
fn family(chain: &str) -> waas_core::Result<Family> {
    Ok(registry().chain(chain)?.family)
}

/// The deposit address of virtual wallet `index` under an account xpub, in canonical form.
#[wasm_bindgen(js_name = deriveAddress)]
pub fn derive_address(chain: &str, xpub: &str, index: f64) -> Result<String, JsValue> {
    run((|| {
        let family = family(chain)?;
        let index = whole_u32(index, "index", ErrorCode::InvalidIndex)?;
        let key = ExtendedPublicKey::parse(xpub)?;
        Ok(key.derive_address(family, index)?.to_string())
    })())
}

/// The deposit addresses of virtual wallets `start .. start + count`, in canonical form.
#[wasm_bindgen(js_name = deriveAddresses)]
pub fn derive_addresses(
    chain: &str,
    xpub: &str,
    start: f64,
    count: f64,
) -> Result<Vec<String>, JsValue> {
    run((|| {
        let family = family(chain)?;
        let start = whole_u32(start, "start", ErrorCode::InvalidIndex)?;
        let count = whole_u32(count, "count", ErrorCode::InvalidArgument)?;
        let key = ExtendedPublicKey::parse(xpub)?;
        Ok(key
            .derive_addresses(family, start, count)?
            .iter()
            .map(ToString::to_string)
            .collect())
    })())
}

/// Checks an address of a blockchain (checksum included) and returns its canonical form.
#[wasm_bindgen(js_name = canonicalAddress)]
pub fn canonical_address(chain: &str, address: &str) -> Result<String, JsValue> {
    run(family(chain)
        .and_then(|family| Address::parse(family, address))
        .map(|a| a.to_string()))
}

/// A decimal amount ("12.5") in integer base units of a token, as a decimal string.
#[wasm_bindgen(js_name = toBaseUnits)]
pub fn to_base_units(amount: &str, decimals_: f64) -> Result<String, JsValue> {
    run((|| {
        let decimals = decimals(decimals_)?;
        Ok(Amount::parse(amount, decimals)?
            .to_base_units(decimals)?
            .to_string())
    })())
}

/// Integer base units ("12500000") as the normalized decimal amount ("12.5").
#[wasm_bindgen(js_name = fromBaseUnits)]
pub fn from_base_units(units: &str, decimals_: f64) -> Result<String, JsValue> {
    run(decimals(decimals_)
        .and_then(|d| Amount::from_base_units(units, d))
        .map(|a| a.to_string()))
}

/// The xpub of the holding-wallet key m/44'/coin'/account'/0 of a BIP-39 mnemonic.
#[wasm_bindgen(js_name = accountXpub)]
pub fn account_xpub(
    chain: &str,
    mnemonic: &str,
    passphrase: &str,
    account: f64,
) -> Result<String, JsValue> {
    run((|| {
        let family = family(chain)?;
        let account = whole_u32(account, "account", ErrorCode::InvalidIndex)?;
        let mnemonic = waas_core::keys::Mnemonic::parse(mnemonic)?;
        Ok(waas_core::keys::account_xpub(&mnemonic, passphrase, family, account)?.to_string())
    })())
}
