//! waas-wasm: the waas core for JavaScript (browsers and Node), through wasm-bindgen.
//!
//! This crate only translates: JavaScript values in, core calls, JavaScript values out. Every
//! rule lives in `waas-core`. Errors are JavaScript `Error` objects whose `code` property is the
//! core's stable code (e.g. `INVALID_ADDRESS`) and whose message is `CODE: human message`.
//!
//! Mnemonics are deliberately not part of this surface: a seed phrase does not belong in a web
//! page, and leaving BIP-39 out keeps the download small. Pages work from account xpubs; the
//! uniffi bindings (mobile wallets) do offer `account_xpub`.

use std::sync::OnceLock;
use waas_core::keys::ExtendedPublicKey;
use waas_core::{access, webhook};
use waas_core::{Address, Amount, Error, ErrorCode, Family, Registry};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

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
        Err(waas_core::error::not_whole(
            code,
            what,
            u32::MAX.into(),
            value,
        ))
    }
}

/// A JavaScript number as token decimals (`u8`, as in the core); the core checks its own limit.
fn token_decimals(value: f64) -> waas_core::Result<u8> {
    let whole = whole_u32(value, "decimals", ErrorCode::InvalidAmount)?;
    u8::try_from(whole).map_err(|_| {
        waas_core::error::not_whole(ErrorCode::InvalidAmount, "decimals", u8::MAX.into(), value)
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
pub fn to_base_units(amount: &str, decimals: f64) -> Result<String, JsValue> {
    run((|| {
        let decimals = token_decimals(decimals)?;
        Ok(Amount::parse(amount, decimals)?
            .to_base_units(decimals)?
            .to_string())
    })())
}

/// Integer base units ("12500000" or 12500000n) as the normalized decimal amount ("12.5").
#[wasm_bindgen(js_name = fromBaseUnits)]
pub fn from_base_units(
    #[wasm_bindgen(unchecked_param_type = "string | bigint")] units: JsValue,
    decimals: f64,
) -> Result<String, JsValue> {
    run((|| {
        let decimals = token_decimals(decimals)?;
        let units = base_units_text(&units)?;
        Ok(Amount::from_base_units(&units, decimals)?.to_string())
    })())
}

/// Base units as decimal text: a string as given (the core checks it), a BigInt written in base 10.
fn base_units_text(value: &JsValue) -> waas_core::Result<String> {
    if let Some(text) = value.as_string() {
        return Ok(text);
    }
    if value.is_bigint() {
        return js_sys::BigInt::unchecked_from_js_ref(value)
            .to_string(10)
            .map(String::from)
            .map_err(|_| {
                Error::new(
                    ErrorCode::InvalidAmount,
                    "units: a BigInt without decimal form",
                )
            });
    }
    Err(Error::new(
        ErrorCode::InvalidAmount,
        "units must be a string of base units or a BigInt",
    ))
}

/// A JavaScript number of seconds as an `i64`, or `INVALID_ARGUMENT` when it is not whole.
fn whole_seconds(value: f64, what: &str) -> waas_core::Result<i64> {
    // 2^63 is exactly representable; every whole f64 in [-2^63, 2^63) converts exactly.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if value.fract() == 0.0 && (-LIMIT..LIMIT).contains(&value) {
        #[allow(clippy::cast_possible_truncation)]
        Ok(value as i64)
    } else {
        Err(Error::new(
            ErrorCode::InvalidArgument,
            format!("{what} must be a whole number of seconds, not {value}"),
        ))
    }
}

/// A `webhook-timestamp` as the header text: a string is taken as received (the core checks
/// it), a number is written in decimal.
fn timestamp_header(value: &JsValue) -> waas_core::Result<String> {
    // A number first: the common case, and asking for it copies no string across.
    if let Some(n) = value.as_f64() {
        return Ok(whole_seconds(n, "timestamp")?.to_string());
    }
    match value.as_string() {
        Some(text) => Ok(text),
        None => Err(Error::new(
            ErrorCode::InvalidArgument,
            "timestamp must be a number of seconds (or the header text)",
        )),
    }
}

/// A body as bytes: a string is encoded as UTF-8, a `Uint8Array` is taken as is.
fn body_bytes(value: &JsValue) -> waas_core::Result<Vec<u8>> {
    if let Some(text) = value.as_string() {
        return Ok(text.into_bytes());
    }
    if value.is_instance_of::<js_sys::Uint8Array>() {
        return Ok(js_sys::Uint8Array::new(value).to_vec());
    }
    Err(Error::new(
        ErrorCode::InvalidArgument,
        "body must be a string or a Uint8Array",
    ))
}

/// The `webhook-signature` value (`v1,` + base64 HMAC-SHA256) of a delivery.
///
/// `secret` is `whsec_` + base64; `timestamp` is in seconds; `body` is the exact text or bytes sent.
#[wasm_bindgen(js_name = signWebhook)]
pub fn sign_webhook(
    secret: &str,
    id: &str,
    timestamp: f64,
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] body: JsValue,
) -> Result<String, JsValue> {
    run((|| {
        let secret = webhook::WebhookSecret::parse(secret)?;
        let timestamp = whole_seconds(timestamp, "timestamp")?;
        let body = body_bytes(&body)?;
        Ok(webhook::sign(&secret, id, timestamp, &body)?.signature)
    })())
}

/// Verifies a Standard Webhooks delivery; returns nothing, throws `INVALID_SIGNATURE`,
/// `TIMESTAMP_OUT_OF_TOLERANCE` or `INVALID_SECRET`.
///
/// `timestamp` is in seconds (or the `webhook-timestamp` header text as received), `body` the
/// exact text or bytes received, `nowSeconds` the current time; `toleranceSeconds` defaults to the
/// core's 300 s either side.
#[wasm_bindgen(js_name = verifyWebhook)]
pub fn verify_webhook(
    secret: &str,
    id: &str,
    #[wasm_bindgen(unchecked_param_type = "number | string")] timestamp: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] body: JsValue,
    #[wasm_bindgen(js_name = signatureHeader)] signature_header: &str,
    #[wasm_bindgen(js_name = nowSeconds)] now_seconds: f64,
    #[wasm_bindgen(js_name = toleranceSeconds)] tolerance_seconds: Option<f64>,
) -> Result<(), JsValue> {
    run((|| {
        let mut verifier = webhook::Verifier::new(webhook::WebhookSecret::parse(secret)?);
        if let Some(t) = tolerance_seconds {
            verifier = verifier.tolerance(tolerance(t)?);
        }
        let timestamp = timestamp_header(&timestamp)?;
        let body = body_bytes(&body)?;
        let now = whole_seconds(now_seconds, "nowSeconds")?;
        verifier.verify(id, &timestamp, signature_header, &body, now)
    })())
}

/// Validates a webhook envelope (JSON text) and returns its normalized JSON; `lenient` also
/// accepts status FINISHED (as SUCCESS) and unknown operations, and drops unknown fields.
#[wasm_bindgen(js_name = checkEnvelope)]
pub fn check_envelope(json: &str, lenient: bool) -> Result<String, JsValue> {
    let mode = webhook::Mode::lenient_if(lenient);
    run(webhook::Envelope::parse(json.as_bytes(), mode).map(|e| e.to_json()))
}

/// Replays a ledger scenario (JSON Lines) and returns its output (JSON Lines, ending with the
/// `{"state":...}` line that holds the reserve reports).
#[wasm_bindgen(js_name = replayLedger)]
pub fn replay_ledger(jsonl: &str) -> String {
    waas_core::scenario::replay(jsonl)
}

/// Replays a ledger scenario (JSON Lines) and returns the reserve reports it leaves: a JSON object
/// keyed `client/blockchain/token`, each with holding, in_transit, liabilities, ratio, leverage
/// and withdrawable. Refused lines change nothing (`replayLedger` names them).
#[wasm_bindgen(js_name = reserveReport)]
pub fn reserve_report(jsonl: &str) -> Result<String, JsValue> {
    run(waas_core::scenario::reserve_report(jsonl))
}

/// Verifies a journal export (JSON Lines from `GET /v1/journal/export`): its hash chain, every
/// running balance, and that each movement sums to zero. Returns `ok N entries`; throws
/// `JOURNAL_MISMATCH` naming the line of the first entry that does not match.
#[wasm_bindgen(js_name = verifyJournal)]
pub fn verify_journal(jsonl: &str) -> Result<String, JsValue> {
    run(waas_core::ledger::journal::verify_report(jsonl))
}

/// Verifies a journal export and recomputes the books from it: `wallets` is a JSON object of
/// virtual wallet id -> blockchain, `minReserveRatio` a decimal string. Returns JSON: `verified`
/// (entries, last_hash, complete, balances by account and unit), `reserves` by
/// `blockchain/token` and their `history`; throws `JOURNAL_MISMATCH` naming the first bad entry.
#[wasm_bindgen(js_name = auditJournal)]
pub fn audit_journal(
    jsonl: &str,
    wallets: &str,
    #[wasm_bindgen(js_name = minReserveRatio)] min_reserve_ratio: &str,
) -> Result<String, JsValue> {
    run(waas_core::ledger::audit::audit_json(
        jsonl,
        wallets,
        min_reserve_ratio,
    ))
}

/// A newly generated API key: show `key` once, store only `hash`.
#[wasm_bindgen(getter_with_clone)]
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
#[wasm_bindgen(js_name = newApiKey)]
pub fn new_api_key(environment: &str) -> Result<NewApiKey, JsValue> {
    let issued = run(access::IssuedKey::generate(environment))?;
    let access::IssuedKey {
        key,
        hash,
        hint,
        environment,
    } = issued;
    Ok(NewApiKey {
        key,
        hash,
        hint,
        environment,
    })
}

/// The stored form (SHA-256, 64 hex digits) of a presented API key; `UNAUTHORIZED` when the text
/// is not a waas key.
#[wasm_bindgen(js_name = hashApiKey)]
pub fn hash_api_key(key: &str) -> Result<String, JsValue> {
    run(access::ApiKey::parse(key).map(|k| k.hash().to_hex()))
}

/// An account xpub bound to a blockchain: parse once, derive many deposit addresses.
#[wasm_bindgen]
pub struct DepositKey(waas_core::keys::DepositKey);

#[wasm_bindgen]
impl DepositKey {
    /// Parses `xpub` for the blockchain `chain` (id or alias).
    #[wasm_bindgen(constructor)]
    pub fn new(chain: &str, xpub: &str) -> Result<DepositKey, JsValue> {
        run(waas_core::keys::DepositKey::parse(registry(), chain, xpub).map(DepositKey))
    }

    /// The canonical xpub text.
    #[wasm_bindgen(getter)]
    pub fn xpub(&self) -> String {
        self.0.xpub()
    }

    /// The deposit address of virtual wallet `index`.
    #[wasm_bindgen(js_name = deriveAddress)]
    pub fn derive_address(&self, index: f64) -> Result<String, JsValue> {
        run(whole_u32(index, "index", ErrorCode::InvalidIndex).and_then(|i| self.0.address(i)))
    }

    /// The deposit addresses of virtual wallets `start .. start + count`.
    #[wasm_bindgen(js_name = deriveAddresses)]
    pub fn derive_addresses(&self, start: f64, count: f64) -> Result<Vec<String>, JsValue> {
        run((|| {
            let start = whole_u32(start, "start", ErrorCode::InvalidIndex)?;
            let count = whole_u32(count, "count", ErrorCode::InvalidArgument)?;
            self.0.addresses(start, count)
        })())
    }
}

/// A webhook receiver's verifier: one or more secrets (during a rotation) and a tolerance,
/// parsed once.
#[wasm_bindgen]
pub struct WebhookVerifier {
    inner: webhook::Verifier,
}

#[wasm_bindgen]
impl WebhookVerifier {
    /// A verifier for these secrets (`whsec_` + base64 each); `toleranceSeconds` defaults to 300.
    #[wasm_bindgen(constructor)]
    pub fn new(
        secrets: Vec<String>,
        #[wasm_bindgen(js_name = toleranceSeconds)] tolerance_seconds: Option<f64>,
    ) -> Result<WebhookVerifier, JsValue> {
        run((|| {
            let secrets = secrets
                .iter()
                .map(|s| webhook::WebhookSecret::parse(s))
                .collect::<waas_core::Result<Vec<_>>>()?;
            let mut inner = webhook::Verifier::with_secrets(secrets)?;
            if let Some(t) = tolerance_seconds {
                inner = inner.tolerance(tolerance(t)?);
            }
            Ok(WebhookVerifier { inner })
        })())
    }

    /// Verifies a delivery, like `verifyWebhook`; returns nothing, throws on failure.
    pub fn verify(
        &self,
        id: &str,
        #[wasm_bindgen(unchecked_param_type = "number | string")] timestamp: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] body: JsValue,
        #[wasm_bindgen(js_name = signatureHeader)] signature_header: &str,
        #[wasm_bindgen(js_name = nowSeconds)] now_seconds: f64,
    ) -> Result<(), JsValue> {
        run((|| {
            let timestamp = timestamp_header(&timestamp)?;
            let body = body_bytes(&body)?;
            let now = whole_seconds(now_seconds, "nowSeconds")?;
            self.inner
                .verify(id, &timestamp, signature_header, &body, now)
        })())
    }
}

/// A tolerance in whole, non-negative seconds.
fn tolerance(value: f64) -> waas_core::Result<u64> {
    u64::try_from(whole_seconds(value, "toleranceSeconds")?)
        .map_err(|_| Error::new(ErrorCode::InvalidArgument, "toleranceSeconds is negative"))
}

/// A signed EVM transaction: the raw bytes (for `eth_sendRawTransaction`) and its hash, `0x` hex.
#[wasm_bindgen(getter_with_clone)]
pub struct SignedTx {
    /// The signed transaction, `0x` hex.
    pub raw: String,
    /// keccak-256 of the raw bytes, `0x` hex.
    pub hash: String,
}

/// Signs an EVM transaction locally: legacy with `gasPrice`, EIP-1559 with `maxFeePerGas` and
/// `maxPriorityFeePerGas`; numbers are decimal strings (wei), the key is 64 hex digits.
#[wasm_bindgen(js_name = signTransaction)]
#[allow(clippy::too_many_arguments)]
pub fn sign_transaction(
    chain: &str,
    #[wasm_bindgen(js_name = privateKey)] private_key: &str,
    nonce: &str,
    to: &str,
    #[wasm_bindgen(js_name = gasLimit)] gas_limit: &str,
    value: Option<String>,
    data: Option<String>,
    #[wasm_bindgen(js_name = gasPrice)] gas_price: Option<String>,
    #[wasm_bindgen(js_name = maxFeePerGas)] max_fee_per_gas: Option<String>,
    #[wasm_bindgen(js_name = maxPriorityFeePerGas)] max_priority_fee_per_gas: Option<String>,
) -> Result<SignedTx, JsValue> {
    let chain = run(registry().chain(chain))?;
    let fields = waas_core::tx::TxFields {
        nonce,
        to,
        gas_limit,
        value: value.as_deref(),
        data: data.as_deref(),
        gas_price: gas_price.as_deref(),
        max_fee_per_gas: max_fee_per_gas.as_deref(),
        max_priority_fee_per_gas: max_priority_fee_per_gas.as_deref(),
    };
    let signed = run(waas_core::tx::sign_fields(chain, private_key, &fields))?;
    Ok(SignedTx {
        raw: signed.raw_hex(),
        hash: signed.hash_hex(),
    })
}

/// The call data of an ERC-20 `transfer(to, amount)`, `0x` hex; `amount` in base units (decimal).
#[wasm_bindgen(js_name = erc20TransferData)]
pub fn erc20_transfer_data(to: &str, amount: &str) -> Result<String, JsValue> {
    run(waas_core::tx::erc20_transfer_data_hex(to, amount))
}
