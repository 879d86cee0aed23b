//! EVM transactions: legacy (EIP-155) and EIP-1559 (type 2) building, signing, hashing and
//! decoding, and ERC-20 `transfer` call data. Pure: signing uses RFC 6979 deterministic nonces.
//!
//! ```
//! use waas_core::tx::{signing_key_from_hex, Fees, Transaction, U256};
//! use waas_core::{Address, Family};
//!
//! let key = signing_key_from_hex(&format!("0x{}", "46".repeat(32))).unwrap();
//! let tx = Transaction {
//!     chain_id: 1,
//!     nonce: 9,
//!     to: Some(Address::from_bytes(Family::Evm, [0x35; 20])),
//!     value: U256::parse_decimal("1000000000000000000").unwrap(),
//!     gas_limit: 21_000,
//!     data: Vec::new(),
//!     fees: Fees::Legacy { gas_price: U256::from(20_000_000_000u64) },
//! };
//! let signed = tx.sign(&key).unwrap();
//! assert!(signed.raw_hex().starts_with("0xf86c098504a817c800825208"));
//! ```

pub mod rlp;

use crate::address::Address;
use crate::chain::{Blockchain, Family};
use crate::error::{err, Error, Result};
use k256::ecdsa::{RecoveryId, Signature as EcdsaSignature, SigningKey, VerifyingKey};
use rlp::Item;
use sha3::{Digest, Keccak256};
use std::fmt;
use std::str::FromStr;
use zeroize::Zeroizing;

/// The 4-byte selector of ERC-20 `transfer(address,uint256)`.
pub const ERC20_TRANSFER_SELECTOR: [u8; 4] = [0xa9, 0x05, 0x9c, 0xbb];

/// The EIP-2718 type byte of EIP-1559 transactions.
pub const EIP1559_TX_TYPE: u8 = 0x02;

/// The secp256k1 group order n, big-endian.
const SECP256K1_N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];

/// n / 2: the largest `s` a signature may have (EIP-2 low-s rule).
const SECP256K1_HALF_N: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
];

/// An unsigned 256-bit integer (wei, gas prices, token base units), stored big-endian.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct U256([u8; 32]);

impl U256 {
    /// Zero.
    pub const ZERO: U256 = U256([0; 32]);
    /// 2^256 - 1, the largest value.
    pub const MAX: U256 = U256([0xff; 32]);

    /// The value of 32 big-endian bytes.
    pub const fn from_be_bytes(bytes: [u8; 32]) -> U256 {
        U256(bytes)
    }

    /// The value of at most 32 big-endian bytes (leading zeros allowed).
    pub fn from_be_slice(bytes: &[u8]) -> Result<U256> {
        if bytes.len() > 32 {
            return Err(err::invalid_amount(format!(
                "{} bytes do not fit 256 bits",
                bytes.len()
            )));
        }
        let mut out = [0u8; 32];
        out[32 - bytes.len()..].copy_from_slice(bytes);
        Ok(U256(out))
    }

    /// Parses a decimal integer string of ASCII digits (no sign, no blanks), up to 2^256 - 1.
    pub fn parse_decimal(text: &str) -> Result<U256> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err::invalid_amount(format!(
                "{:?} is not a non-negative decimal integer",
                shorten(text)
            )));
        }
        let mut n = [0u8; 32];
        for digit in text.bytes() {
            let mut carry = u32::from(digit - b'0');
            for byte in n.iter_mut().rev() {
                let v = u32::from(*byte) * 10 + carry;
                *byte = (v & 0xff) as u8;
                carry = v >> 8;
            }
            if carry != 0 {
                return Err(err::invalid_amount(format!(
                    "{} is larger than 2^256 - 1",
                    shorten(text)
                )));
            }
        }
        Ok(U256(n))
    }

    /// The 32 big-endian bytes.
    pub const fn to_be_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// The big-endian bytes without leading zeros (empty for zero), as RLP encodes integers.
    pub fn to_minimal_be(&self) -> &[u8] {
        rlp::strip_leading_zeros(&self.0)
    }

    /// True for zero.
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 32]
    }
}

impl From<u64> for U256 {
    fn from(n: u64) -> U256 {
        U256::from(u128::from(n))
    }
}

impl From<u128> for U256 {
    fn from(n: u128) -> U256 {
        let mut out = [0u8; 32];
        out[16..].copy_from_slice(&n.to_be_bytes());
        U256(out)
    }
}

impl FromStr for U256 {
    type Err = crate::error::Error;
    fn from_str(s: &str) -> Result<U256> {
        U256::parse_decimal(s)
    }
}

impl fmt::Display for U256 {
    /// The decimal form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut n = self.0;
        let mut digits = Vec::with_capacity(78);
        loop {
            let mut rem = 0u32;
            for byte in n.iter_mut() {
                let v = (rem << 8) | u32::from(*byte);
                *byte = (v / 10) as u8;
                rem = v % 10;
            }
            digits.push(b'0' + rem as u8);
            if n == [0; 32] {
                break;
            }
        }
        digits.reverse();
        f.write_str(std::str::from_utf8(&digits).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for U256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "U256({self})")
    }
}

impl serde::Serialize for U256 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for U256 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<U256, D::Error> {
        let text = String::deserialize(d)?;
        U256::parse_decimal(&text).map_err(serde::de::Error::custom)
    }
}

/// How a transaction pays for gas, which also decides its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fees {
    /// A legacy transaction (EIP-155 replay-protected) with one gas price in wei.
    Legacy {
        /// Price per gas unit, in wei.
        gas_price: U256,
    },
    /// An EIP-1559 (type 2) transaction with a fee cap and a priority fee in wei.
    Eip1559 {
        /// Most the sender pays per gas unit, base fee included, in wei.
        max_fee_per_gas: U256,
        /// Most the sender pays the block producer per gas unit, in wei.
        max_priority_fee_per_gas: U256,
    },
}

/// An unsigned EVM transaction (an EIP-1559 access list is always empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// The EIP-155 chain id (the registry's `evm_chain_id`).
    pub chain_id: u64,
    /// The sender's account nonce.
    pub nonce: u64,
    /// The recipient; `None` creates a contract from `data`.
    pub to: Option<Address>,
    /// Native coin sent, in wei.
    pub value: U256,
    /// Most gas the transaction may use.
    pub gas_limit: u64,
    /// Call data (or contract init code when `to` is `None`).
    pub data: Vec<u8>,
    /// Gas pricing, legacy or EIP-1559.
    pub fees: Fees,
}

impl Transaction {
    /// Checks what a node would refuse before any signature: an EVM recipient, a chain id of at
    /// least 1, and (EIP-1559) a priority fee no larger than the fee cap.
    pub fn validate(&self) -> Result<()> {
        if self.chain_id == 0 {
            return Err(err::invalid_transaction("the chain id must be at least 1"));
        }
        if let Some(to) = &self.to {
            if to.family() != Family::Evm {
                return Err(err::invalid_address(format!(
                    "{to} is a {} address, not an EVM address",
                    to.family()
                )));
            }
        }
        // A priority fee above the fee cap is signed as asked (other signers do the same, and the
        // bytes must match theirs); nodes refuse such a transaction, which is their call.
        Ok(())
    }

    /// True for an EIP-1559 (type 2) transaction.
    pub fn is_eip1559(&self) -> bool {
        matches!(self.fees, Fees::Eip1559 { .. })
    }

    /// The bytes whose keccak is signed: `rlp([nonce, gas_price, gas, to, value, data, chain_id,
    /// 0, 0])` (legacy) or `0x02 || rlp([chain_id, nonce, tip, fee_cap, gas, to, value, data, []])`.
    pub fn signing_payload(&self) -> Vec<u8> {
        match &self.fees {
            Fees::Legacy { .. } => {
                let mut items = self.legacy_fields();
                items.extend([Item::u64(self.chain_id), Item::u64(0), Item::u64(0)]);
                Item::List(items).encode()
            }
            Fees::Eip1559 { .. } => typed(Item::List(self.eip1559_fields())),
        }
    }

    /// The 32-byte keccak-256 of [`signing_payload`](Self::signing_payload).
    pub fn signing_hash(&self) -> [u8; 32] {
        keccak(&self.signing_payload())
    }

    /// Validates and signs with `key` (RFC 6979, low-s), giving the raw bytes and the hash.
    pub fn sign(&self, key: &SigningKey) -> Result<SignedTransaction> {
        self.validate()?;
        let hash = self.signing_hash();
        let (sig, recid) = key
            .sign_prehash_recoverable(&hash)
            .map_err(|e| err::invalid_transaction(format!("signing failed: {e}")))?;
        // k256 already gives low-s; normalize anyway so the rule never depends on a library default.
        let (sig, recid) = match sig.normalize_s() {
            Some(low) => (
                low,
                RecoveryId::new(!recid.is_y_odd(), recid.is_x_reduced()),
            ),
            None => (sig, recid),
        };
        if recid.is_x_reduced() {
            // r >= n happens with probability below 2^-127; Ethereum's v cannot express it.
            return Err(err::invalid_transaction(
                "the signature's r is not below the group order; change the nonce or data",
            ));
        }
        let (r, s) = sig.split_bytes();
        let signature = Signature {
            r: r.into(),
            s: s.into(),
            y_parity: recid.is_y_odd(),
        };
        Ok(SignedTransaction::assemble(self.clone(), signature))
    }

    fn legacy_fields(&self) -> Vec<Item> {
        let gas_price = match &self.fees {
            Fees::Legacy { gas_price } => *gas_price,
            Fees::Eip1559 { .. } => U256::ZERO,
        };
        vec![
            Item::u64(self.nonce),
            Item::uint(gas_price.to_minimal_be()),
            Item::u64(self.gas_limit),
            self.to_item(),
            Item::uint(self.value.to_minimal_be()),
            Item::bytes(&self.data),
        ]
    }

    fn eip1559_fields(&self) -> Vec<Item> {
        let (fee_cap, tip) = match &self.fees {
            Fees::Eip1559 {
                max_fee_per_gas,
                max_priority_fee_per_gas,
            } => (*max_fee_per_gas, *max_priority_fee_per_gas),
            Fees::Legacy { gas_price } => (*gas_price, *gas_price),
        };
        vec![
            Item::u64(self.chain_id),
            Item::u64(self.nonce),
            Item::uint(tip.to_minimal_be()),
            Item::uint(fee_cap.to_minimal_be()),
            Item::u64(self.gas_limit),
            self.to_item(),
            Item::uint(self.value.to_minimal_be()),
            Item::bytes(&self.data),
            Item::List(Vec::new()),
        ]
    }

    fn to_item(&self) -> Item {
        match &self.to {
            Some(to) => Item::bytes(to.as_bytes()),
            None => Item::bytes(&[]),
        }
    }
}

/// A recoverable secp256k1 signature: `r`, low `s`, and the parity of the nonce point's y.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    /// The r scalar, big-endian.
    pub r: [u8; 32],
    /// The s scalar, big-endian, at most n/2.
    pub s: [u8; 32],
    /// True when y is odd (recovery id 1).
    pub y_parity: bool,
}

/// A signed transaction with its raw network bytes and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTransaction {
    tx: Transaction,
    signature: Signature,
    raw: Vec<u8>,
    hash: [u8; 32],
}

impl SignedTransaction {
    fn assemble(tx: Transaction, signature: Signature) -> SignedTransaction {
        let r = Item::uint(&signature.r);
        let s = Item::uint(&signature.s);
        let raw = if tx.is_eip1559() {
            let mut items = tx.eip1559_fields();
            items.extend([Item::u64(u64::from(signature.y_parity)), r, s]);
            typed(Item::List(items))
        } else {
            let mut items = tx.legacy_fields();
            let v = legacy_v(tx.chain_id, signature.y_parity);
            items.extend([Item::uint(&v.to_be_bytes()), r, s]);
            Item::List(items).encode()
        };
        let hash = keccak(&raw);
        SignedTransaction {
            tx,
            signature,
            raw,
            hash,
        }
    }

    /// Decodes raw signed bytes: an EIP-155 legacy transaction or an EIP-1559 one with an empty
    /// access list, in canonical RLP with a low-s signature; anything else is INVALID_TRANSACTION.
    pub fn decode(raw: &[u8]) -> Result<SignedTransaction> {
        let first = *raw
            .first()
            .ok_or_else(|| err::invalid_transaction("an empty transaction"))?;
        let (tx, signature) = match first {
            EIP1559_TX_TYPE => decode_eip1559(&raw[1..])?,
            0xc0..=0xff => decode_legacy(raw)?,
            0x00..=0x7f => {
                return Err(err::invalid_transaction(format!(
                    "transaction type {first:#04x} is not supported (only legacy and 0x02)"
                )))
            }
            _ => return Err(err::invalid_transaction("not a transaction")),
        };
        tx.validate()?;
        check_scalar("r", &signature.r)?;
        check_scalar("s", &signature.s)?;
        if signature.s > SECP256K1_HALF_N {
            return Err(err::invalid_transaction(
                "s is above n/2 (EIP-2 requires low s)",
            ));
        }
        let signed = SignedTransaction::assemble(tx, signature);
        if signed.raw != raw {
            return Err(err::invalid_transaction("the encoding is not canonical"));
        }
        Ok(signed)
    }

    /// The unsigned transaction.
    pub fn transaction(&self) -> &Transaction {
        &self.tx
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The `v` value: `chain_id * 2 + 35 + y_parity` (legacy) or `y_parity` (EIP-1559).
    pub fn v(&self) -> u128 {
        if self.tx.is_eip1559() {
            u128::from(self.signature.y_parity)
        } else {
            legacy_v(self.tx.chain_id, self.signature.y_parity)
        }
    }

    /// The raw signed bytes, as sent with `eth_sendRawTransaction`.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// The transaction hash: keccak-256 of the raw bytes.
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }

    /// The raw bytes as `0x` + lowercase hex.
    pub fn raw_hex(&self) -> String {
        format!("0x{}", hex::encode(&self.raw))
    }

    /// The hash as `0x` + lowercase hex.
    pub fn hash_hex(&self) -> String {
        format!("0x{}", hex::encode(self.hash))
    }

    /// The signer's address, recovered from the signature and the signing hash.
    pub fn recover_signer(&self) -> Result<Address> {
        let sig = EcdsaSignature::from_scalars(self.signature.r, self.signature.s)
            .map_err(|_| err::invalid_signature("r or s is not a valid scalar"))?;
        let recid = RecoveryId::new(self.signature.y_parity, false);
        let key = VerifyingKey::recover_from_prehash(&self.tx.signing_hash(), &sig, recid)
            .map_err(|_| err::invalid_signature("no public key recovers from this signature"))?;
        Ok(signer_address_of(&key))
    }
}

fn legacy_v(chain_id: u64, y_parity: bool) -> u128 {
    u128::from(chain_id) * 2 + 35 + u128::from(y_parity)
}

fn typed(list: Item) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + list.encoded_len());
    out.push(EIP1559_TX_TYPE);
    list.encode_into(&mut out);
    out
}

fn keccak(bytes: &[u8]) -> [u8; 32] {
    Keccak256::digest(bytes).into()
}

fn check_scalar(name: &str, v: &[u8; 32]) -> Result<()> {
    if *v == [0; 32] || *v >= SECP256K1_N {
        return Err(err::invalid_transaction(format!("{name} is not in 1..n-1")));
    }
    Ok(())
}

fn decode_to(item: &Item) -> Result<Option<Address>> {
    let b = item.as_bytes()?;
    match b.len() {
        0 => Ok(None),
        20 => {
            let mut bytes = [0u8; 20];
            bytes.copy_from_slice(b);
            Ok(Some(Address::from_bytes(Family::Evm, bytes)))
        }
        n => Err(err::invalid_transaction(format!(
            "the recipient has {n} bytes, not 20"
        ))),
    }
}

fn decode_u256(item: &Item) -> Result<U256> {
    U256::from_be_slice(item.as_uint()?)
        .map_err(|_| err::invalid_transaction("an integer does not fit 256 bits"))
}

fn decode_scalar(item: &Item) -> Result<[u8; 32]> {
    Ok(decode_u256(item)?.to_be_bytes())
}

fn decode_legacy(raw: &[u8]) -> Result<(Transaction, Signature)> {
    let item = Item::decode(raw)?;
    let f = item.as_list()?;
    if f.len() != 9 {
        return Err(err::invalid_transaction(format!(
            "a legacy transaction has 9 fields, not {}",
            f.len()
        )));
    }
    let v = decode_u256(&f[6])?;
    let v_bytes = v.to_be_bytes();
    if v_bytes[..16] != [0; 16] {
        return Err(err::invalid_transaction("v is too large"));
    }
    let mut low = [0u8; 16];
    low.copy_from_slice(&v_bytes[16..]);
    let v = u128::from_be_bytes(low);
    if v < 37 {
        return Err(err::invalid_transaction(format!(
            "v = {v}: not an EIP-155 replay-protected transaction"
        )));
    }
    let chain_id = u64::try_from((v - 35) / 2)
        .map_err(|_| err::invalid_transaction("the chain id does not fit 64 bits"))?;
    let tx = Transaction {
        chain_id,
        nonce: f[0].as_u64()?,
        fees: Fees::Legacy {
            gas_price: decode_u256(&f[1])?,
        },
        gas_limit: f[2].as_u64()?,
        to: decode_to(&f[3])?,
        value: decode_u256(&f[4])?,
        data: f[5].as_bytes()?.to_vec(),
    };
    let signature = Signature {
        r: decode_scalar(&f[7])?,
        s: decode_scalar(&f[8])?,
        y_parity: (v - 35) % 2 == 1,
    };
    Ok((tx, signature))
}

fn decode_eip1559(body: &[u8]) -> Result<(Transaction, Signature)> {
    let item = Item::decode(body)?;
    let f = item.as_list()?;
    if f.len() != 12 {
        return Err(err::invalid_transaction(format!(
            "an EIP-1559 transaction has 12 fields, not {}",
            f.len()
        )));
    }
    if !f[8].as_list()?.is_empty() {
        return Err(err::invalid_transaction("access lists are not supported"));
    }
    let y_parity = match f[9].as_u64()? {
        0 => false,
        1 => true,
        other => {
            return Err(err::invalid_transaction(format!(
                "y parity is {other}, not 0 or 1"
            )))
        }
    };
    let tx = Transaction {
        chain_id: f[0].as_u64()?,
        nonce: f[1].as_u64()?,
        fees: Fees::Eip1559 {
            max_priority_fee_per_gas: decode_u256(&f[2])?,
            max_fee_per_gas: decode_u256(&f[3])?,
        },
        gas_limit: f[4].as_u64()?,
        to: decode_to(&f[5])?,
        value: decode_u256(&f[6])?,
        data: f[7].as_bytes()?.to_vec(),
    };
    let signature = Signature {
        r: decode_scalar(&f[10])?,
        s: decode_scalar(&f[11])?,
        y_parity,
    };
    Ok((tx, signature))
}

/// ERC-20 `transfer(to, amount)` call data: the selector `a9059cbb`, then both arguments as
/// 32-byte ABI words.
pub fn erc20_transfer_data(to: &Address, amount: &U256) -> Result<Vec<u8>> {
    if to.family() != Family::Evm {
        return Err(err::invalid_address(format!(
            "{to} is a {} address, not an EVM address",
            to.family()
        )));
    }
    let mut data = Vec::with_capacity(68);
    data.extend_from_slice(&ERC20_TRANSFER_SELECTOR);
    data.extend_from_slice(&[0u8; 12]);
    data.extend_from_slice(to.as_bytes());
    data.extend_from_slice(&amount.to_be_bytes());
    Ok(data)
}

/// [`erc20_transfer_data`] from text, as the bindings take it: an EVM address and a decimal
/// amount in base units (surrounding blanks ignored), answered as `0x` hex.
pub fn erc20_transfer_data_hex(to: &str, amount: &str) -> Result<String> {
    let to = Address::parse(Family::Evm, to.trim())?;
    let amount = U256::parse_decimal(amount.trim())?;
    Ok(format!(
        "0x{}",
        hex::encode(erc20_transfer_data(&to, &amount)?)
    ))
}

/// Parses a secp256k1 private key from 64 hex digits (optional `0x`, surrounding blanks
/// ignored); the decoded bytes are zeroized and no error message quotes the key.
pub fn signing_key_from_hex(text: &str) -> Result<SigningKey> {
    let text = text.trim();
    let body = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    if body.len() != 64 {
        return Err(err::invalid_key(format!(
            "a private key is 32 bytes (64 hex digits), not {} hex digit(s)",
            body.len()
        )));
    }
    if !body.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(err::invalid_key("a private key is hex digits only"));
    }
    let mut bytes = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(body, bytes.as_mut_slice())
        .map_err(|_| err::invalid_key("a private key is hex digits only"))?;
    SigningKey::from_slice(bytes.as_slice())
        .map_err(|_| err::invalid_key("a private key must be in 1..n-1 of secp256k1"))
}

/// The EVM address of a private key.
pub fn signer_address(key: &SigningKey) -> Address {
    signer_address_of(key.verifying_key())
}

fn signer_address_of(key: &VerifyingKey) -> Address {
    crate::keys::address_of_key(Family::Evm, key)
}

/// Parses call data: hex digits with an optional `0x` (empty is no data); odd length is refused.
pub fn parse_hex_data(text: &str) -> Result<Vec<u8>> {
    let body = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    if body.len() % 2 != 0 {
        return Err(err::invalid_argument(format!(
            "hex data has an odd number of digits ({})",
            body.len()
        )));
    }
    hex::decode(body).map_err(|e| err::invalid_argument(format!("hex data: {e}")))
}

/// The fields of a transaction as a CLI or a binding receives them: decimal strings for numbers,
/// hex for data, and exactly one fee mode.
#[derive(Debug, Clone, Copy, Default)]
pub struct TxFields<'a> {
    /// Sender's nonce (decimal, up to 2^64 - 1).
    pub nonce: &'a str,
    /// Recipient address (checksummed or all one case).
    pub to: &'a str,
    /// Gas limit (decimal, up to 2^64 - 1).
    pub gas_limit: &'a str,
    /// Value in wei (decimal); zero when absent.
    pub value: Option<&'a str>,
    /// Call data (hex, `0x` optional); empty when absent.
    pub data: Option<&'a str>,
    /// Legacy (EIP-155) gas price in wei.
    pub gas_price: Option<&'a str>,
    /// EIP-1559 fee cap in wei.
    pub max_fee_per_gas: Option<&'a str>,
    /// EIP-1559 priority fee in wei.
    pub max_priority_fee_per_gas: Option<&'a str>,
}

impl Fees {
    /// The fee mode from the given fields: legacy with a gas price alone, EIP-1559 with both
    /// the fee cap and the priority fee; anything else is INVALID_ARGUMENT.
    pub fn choose(
        gas_price: Option<&str>,
        max_fee: Option<&str>,
        tip: Option<&str>,
    ) -> Result<Fees> {
        let wei = |field: &str, text: &str| {
            U256::parse_decimal(text.trim())
                .map_err(|e| Error::new(e.code(), format!("{field}: {}", e.message())))
        };
        match (gas_price, max_fee, tip) {
            (Some(price), None, None) => Ok(Fees::Legacy { gas_price: wei("gas price", price)? }),
            (None, Some(cap), Some(tip)) => Ok(Fees::Eip1559 {
                max_fee_per_gas: wei("max fee per gas", cap)?,
                max_priority_fee_per_gas: wei("max priority fee per gas", tip)?,
            }),
            (Some(_), _, _) => Err(err::invalid_argument(
                "give either a gas price (legacy) or a max fee per gas with a max priority fee per \
                 gas (EIP-1559), not both",
            )),
            (None, None, None) => Err(err::invalid_argument(
                "give a gas price (legacy) or a max fee per gas and a max priority fee per gas (EIP-1559)",
            )),
            (None, _, _) => Err(err::invalid_argument(
                "the max fee per gas and the max priority fee per gas go together",
            )),
        }
    }
}

/// A 64-bit count such as a nonce or a gas limit, from decimal text.
pub fn parse_u64(field: &str, text: &str) -> Result<u64> {
    let text = text.trim();
    if text.is_empty() || text.len() > 40 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err::invalid_argument(format!(
            "{field}: not a non-negative integer"
        )));
    }
    text.parse()
        .map_err(|_| err::invalid_argument(format!("{field}: larger than 2^64 - 1")))
}

/// Builds, checks and signs a transaction on `chain` from text fields with a hex private key.
pub fn sign_fields(
    chain: &Blockchain,
    private_key_hex: &str,
    f: &TxFields<'_>,
) -> Result<SignedTransaction> {
    let tx = Transaction {
        chain_id: evm_chain_id(chain)?,
        nonce: parse_u64("nonce", f.nonce)?,
        to: Some(Address::parse(chain.family, f.to.trim())?),
        value: match f.value {
            Some(v) => U256::parse_decimal(v.trim())
                .map_err(|e| Error::new(e.code(), format!("value: {}", e.message())))?,
            None => U256::ZERO,
        },
        gas_limit: parse_u64("gas limit", f.gas_limit)?,
        data: parse_hex_data(f.data.unwrap_or("").trim())?,
        fees: Fees::choose(f.gas_price, f.max_fee_per_gas, f.max_priority_fee_per_gas)?,
    };
    tx.validate()?;
    let key = signing_key_from_hex(private_key_hex)?;
    tx.sign(&key)
}

/// The EIP-155 chain id of a registry blockchain; a chain without one (Tron) is refused.
pub fn evm_chain_id(chain: &Blockchain) -> Result<u64> {
    match (chain.family, chain.evm_chain_id) {
        (Family::Evm, Some(id)) => Ok(id),
        _ => Err(err::invalid_argument(format!(
            "{} is not an EVM chain (family {}): it has no EIP-155 chain id to sign for",
            chain.id, chain.family
        ))),
    }
}

/// At most 80 characters of `text`, for error messages about huge inputs.
fn shorten(text: &str) -> String {
    if text.chars().count() <= 80 {
        text.to_owned()
    } else {
        let head: String = text.chars().take(77).collect();
        format!("{head}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn key46() -> SigningKey {
        signing_key_from_hex(&"46".repeat(32)).unwrap()
    }

    fn eip155_example() -> Transaction {
        Transaction {
            chain_id: 1,
            nonce: 9,
            to: Some(Address::from_bytes(Family::Evm, [0x35; 20])),
            value: U256::parse_decimal("1000000000000000000").unwrap(),
            gas_limit: 21_000,
            data: Vec::new(),
            fees: Fees::Legacy {
                gas_price: U256::from(20_000_000_000u64),
            },
        }
    }

    /// The example of EIP-155 (EIPS/eip-155.md, "Example"), every published value.
    #[test]
    fn eip155_example_transaction() {
        let tx = eip155_example();
        assert_eq!(
            hex::encode(tx.signing_payload()),
            "ec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080"
        );
        assert_eq!(
            hex::encode(tx.signing_hash()),
            "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53"
        );
        let signed = tx.sign(&key46()).unwrap();
        assert_eq!(signed.v(), 37);
        assert_eq!(
            U256::from_be_bytes(signed.signature().r).to_string(),
            "18515461264373351373200002665853028612451056578545711640558177340181847433846"
        );
        assert_eq!(
            U256::from_be_bytes(signed.signature().s).to_string(),
            "46948507304638947509940763649030358759909902576025900602547168820602576006531"
        );
        assert_eq!(
            signed.raw_hex(),
            "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83"
        );
        assert_eq!(
            hex::encode(signed.hash()),
            hex::encode(keccak(signed.raw()))
        );
        assert_eq!(signed.recover_signer().unwrap(), signer_address(&key46()));
        assert_eq!(SignedTransaction::decode(signed.raw()).unwrap(), signed);
    }

    #[test]
    fn u256_decimal_round_trip_and_limits() {
        let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
        assert_eq!(U256::parse_decimal(max).unwrap(), U256::MAX);
        assert_eq!(U256::MAX.to_string(), max);
        assert_eq!(U256::ZERO.to_string(), "0");
        assert_eq!(U256::parse_decimal("000").unwrap(), U256::ZERO);
        assert!(U256::ZERO.to_minimal_be().is_empty());
        assert_eq!(U256::from(1024u64).to_minimal_be(), &[4, 0]);
        assert_eq!(
            U256::from(u128::MAX).to_string(),
            "340282366920938463463374607431768211455"
        );
        // 2^256 and beyond
        let over = "115792089237316195423570985008687907853269984665640564039457584007913129639936";
        for bad in [
            "",
            "-1",
            "1.5",
            "1e18",
            " 1",
            "0x10",
            over,
            &"9".repeat(10_000),
        ] {
            let e = U256::parse_decimal(bad).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidAmount, "{bad}");
            assert!(e.message().len() < 200);
        }
        assert!(U256::from_be_slice(&[1; 33]).is_err());
        let json = serde_json::to_string(&U256::MAX).unwrap();
        assert_eq!(json, format!("\"{max}\""));
        assert_eq!(serde_json::from_str::<U256>(&json).unwrap(), U256::MAX);
    }

    #[test]
    fn erc20_transfer_call_data() {
        let to = Address::parse(Family::Evm, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed").unwrap();
        let data = erc20_transfer_data(&to, &U256::from(1_000_000u64)).unwrap();
        assert_eq!(
            hex::encode(&data),
            "a9059cbb0000000000000000000000005aaeb6053f3e94c9b9a09f33669435e7ef1beaed00000000000000000000000000000000000000000000000000000000000f4240"
        );
        // the selector is the first 4 bytes of keccak("transfer(address,uint256)")
        assert_eq!(
            keccak(b"transfer(address,uint256)")[..4],
            ERC20_TRANSFER_SELECTOR
        );
        let tron = Address::from_bytes(Family::Tron, [1; 20]);
        assert_eq!(
            erc20_transfer_data(&tron, &U256::ZERO).unwrap_err().code(),
            ErrorCode::InvalidAddress
        );
    }

    #[test]
    fn private_key_parsing() {
        let k = key46();
        assert_eq!(
            signer_address(&k).to_string(),
            "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F"
        );
        assert!(signing_key_from_hex(&format!("0x{}\n", "46".repeat(32))).is_ok());
        for bad in [
            String::new(),
            "0x".into(),
            "46".repeat(31),
            "46".repeat(33),
            format!("0x{}g", "4".repeat(63)),
            "00".repeat(32),
            "ff".repeat(32), // above n
            format!("0x{}é", "4".repeat(62)),
        ] {
            let e = signing_key_from_hex(&bad).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidKey, "{bad}");
            assert!(!e.message().contains("4444"), "no key material in messages");
        }
    }

    #[test]
    fn eip1559_tip_above_cap_is_signed_and_bad_chain_is_refused() {
        let mut tx = eip155_example();
        tx.fees = Fees::Eip1559 {
            max_fee_per_gas: U256::from(1u64),
            max_priority_fee_per_gas: U256::from(2u64),
        };
        assert!(tx.sign(&key46()).is_ok());
        tx.fees = Fees::Eip1559 {
            max_fee_per_gas: U256::from(2u64),
            max_priority_fee_per_gas: U256::from(2u64),
        };
        let signed = tx.sign(&key46()).unwrap();
        assert_eq!(signed.raw()[0], 2);
        assert!(signed.v() <= 1);
        assert_eq!(SignedTransaction::decode(signed.raw()).unwrap(), signed);
        tx.chain_id = 0;
        assert_eq!(
            tx.sign(&key46()).unwrap_err().code(),
            ErrorCode::InvalidTransaction
        );
        tx.chain_id = 1;
        tx.to = Some(Address::from_bytes(Family::Tron, [1; 20]));
        assert_eq!(
            tx.sign(&key46()).unwrap_err().code(),
            ErrorCode::InvalidAddress
        );
    }

    #[test]
    fn huge_chain_id_legacy_v_does_not_overflow() {
        let mut tx = eip155_example();
        tx.chain_id = u64::MAX;
        let signed = tx.sign(&key46()).unwrap();
        assert!(signed.v() > u128::from(u64::MAX));
        assert_eq!(SignedTransaction::decode(signed.raw()).unwrap(), signed);
        assert_eq!(signed.recover_signer().unwrap(), signer_address(&key46()));
    }

    #[test]
    fn decode_refuses_bad_transactions() {
        let signed = eip155_example().sign(&key46()).unwrap();
        let raw = signed.raw().to_vec();
        // truncated, trailing byte, unsupported types, empty
        assert!(SignedTransaction::decode(&raw[..raw.len() - 1]).is_err());
        let mut longer = raw.clone();
        longer.push(0);
        assert!(SignedTransaction::decode(&longer).is_err());
        assert!(SignedTransaction::decode(&[]).is_err());
        assert!(SignedTransaction::decode(&[0x01, 0xc0]).is_err());
        assert!(SignedTransaction::decode(&[0x80]).is_err());
        // high s: replace s by n - s and flip the parity
        let sig = signed.signature();
        let high = EcdsaSignature::from_scalars(sig.r, sig.s).unwrap();
        let s_scalar = *high.s();
        let neg = -s_scalar;
        let mut high_s = *sig;
        high_s.s = neg.to_bytes().into();
        high_s.y_parity = !sig.y_parity;
        let forged = SignedTransaction::assemble(signed.transaction().clone(), high_s);
        assert_eq!(
            SignedTransaction::decode(forged.raw()).unwrap_err().code(),
            ErrorCode::InvalidTransaction
        );
        // pre-EIP-155 v = 27
        let mut f = Item::decode(&raw).unwrap().as_list().unwrap().to_vec();
        f[6] = Item::u64(27);
        assert!(SignedTransaction::decode(&Item::List(f).encode()).is_err());
    }
}
