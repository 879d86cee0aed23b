//! On-chain addresses: EVM (0x + EIP-55) and Tron (base58check, 0x41 prefix), checksum-checked.

use crate::chain::Family;
use crate::error::{err, Result};
use sha3::{Digest, Keccak256};
use std::fmt;

/// The version byte of Tron mainnet and testnet addresses.
pub const TRON_PREFIX: u8 = 0x41;

/// A 20-byte account address of one chain family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address {
    family: Family,
    bytes: [u8; 20],
}

impl Address {
    /// An address from its 20 raw bytes.
    pub const fn from_bytes(family: Family, bytes: [u8; 20]) -> Address {
        Address { family, bytes }
    }

    /// The address of an uncompressed public key (64 bytes: x then y).
    pub fn from_public_key_xy(family: Family, xy: &[u8; 64]) -> Address {
        let hash = Keccak256::digest(xy);
        let mut bytes = [0u8; 20];
        bytes.copy_from_slice(&hash[12..]);
        Address { family, bytes }
    }

    /// Parses an address of `family`, verifying its checksum.
    ///
    /// EVM: `0x` + 40 hex digits; mixed case must match EIP-55, all-lower and all-upper are
    /// accepted as unchecksummed. Tron: base58check `T...` with the 0x41 prefix, or its hex
    /// form `41` + 40 hex digits.
    pub fn parse(family: Family, text: &str) -> Result<Address> {
        match family {
            Family::Evm => parse_evm(text),
            Family::Tron => parse_tron(text),
        }
    }

    /// The chain family.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The 20 raw bytes.
    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.bytes
    }

    /// The Tron hex form, `41` + 40 hex digits (for EVM, the lowercase hex without 0x).
    pub fn to_hex(&self) -> String {
        match self.family {
            Family::Evm => hex::encode(self.bytes),
            Family::Tron => format!("{TRON_PREFIX:02x}{}", hex::encode(self.bytes)),
        }
    }
}

impl fmt::Display for Address {
    /// The canonical text: EIP-55 for EVM, base58check for Tron.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.family {
            Family::Evm => f.write_str(&eip55(&self.bytes)),
            Family::Tron => {
                let mut payload = [0u8; 21];
                payload[0] = TRON_PREFIX;
                payload[1..].copy_from_slice(&self.bytes);
                f.write_str(&bs58::encode(payload).with_check().into_string())
            }
        }
    }
}

impl serde::Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// EIP-55 mixed-case checksum encoding of 20 bytes, with `0x`.
pub fn eip55(bytes: &[u8; 20]) -> String {
    // One fixed buffer: `0x`, then the lowercase hex, whose Keccak-256 decides each letter's case.
    let mut text = [0u8; 42];
    text[..2].copy_from_slice(b"0x");
    for (pair, byte) in text[2..].chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX_LOWER[usize::from(byte >> 4)];
        pair[1] = HEX_LOWER[usize::from(byte & 0x0f)];
    }
    let hash = Keccak256::digest(&text[2..]);
    for (i, c) in text[2..].iter_mut().enumerate() {
        let nibble = (hash[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 0x0f;
        if nibble >= 8 {
            c.make_ascii_uppercase(); // digits are left as they are
        }
    }
    // ASCII throughout, so the conversion borrows and copies once.
    String::from_utf8_lossy(&text).into_owned()
}

/// Lowercase hexadecimal digits by value.
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

fn parse_evm(text: &str) -> Result<Address> {
    let body = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .ok_or_else(|| err::invalid_address(format!("{text:?}: an EVM address starts with 0x")))?;
    if body.len() != 40 || !body.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(err::invalid_address(format!(
            "{text:?}: an EVM address is 0x followed by 40 hex digits"
        )));
    }
    let mut bytes = [0u8; 20];
    hex::decode_to_slice(body, &mut bytes)
        .map_err(|e| err::invalid_address(format!("{text:?}: {e}")))?;
    let has_lower = body.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = body.bytes().any(|b| b.is_ascii_uppercase());
    if has_lower && has_upper && eip55(&bytes)[2..] != *body {
        return Err(err::invalid_address(format!(
            "{text:?}: EIP-55 checksum does not match (expected {})",
            eip55(&bytes)
        )));
    }
    Ok(Address::from_bytes(Family::Evm, bytes))
}

fn parse_tron(text: &str) -> Result<Address> {
    if text.len() == 42 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        let mut raw = [0u8; 21];
        hex::decode_to_slice(text, &mut raw)
            .map_err(|e| err::invalid_address(format!("{text:?}: {e}")))?;
        return tron_from_payload(text, &raw);
    }
    if !text.starts_with('T') || text.len() != 34 {
        return Err(err::invalid_address(format!(
            "{text:?}: a Tron address is 34 base58 characters starting with T"
        )));
    }
    let raw = bs58::decode(text)
        .with_check(None)
        .into_vec()
        .map_err(|e| err::invalid_address(format!("{text:?}: {e}")))?;
    tron_from_payload(text, &raw)
}

fn tron_from_payload(text: &str, raw: &[u8]) -> Result<Address> {
    if raw.len() != 21 || raw[0] != TRON_PREFIX {
        return Err(err::invalid_address(format!(
            "{text:?}: a Tron address holds 0x41 and 20 bytes"
        )));
    }
    let mut bytes = [0u8; 20];
    bytes.copy_from_slice(&raw[1..]);
    Ok(Address::from_bytes(Family::Tron, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    /// The checksummed examples of EIP-55 (https://eips.ethereum.org/EIPS/eip-55).
    const EIP55_EXAMPLES: [&str; 8] = [
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        "0x52908400098527886E0F7030069857D2E4169EE7",
        "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
        "0xde709f2102306220921060314715629080e2fb77",
        "0x27b1fdb04752bbc536007a920d24acb045561c26",
    ];

    #[test]
    fn eip55_examples_round_trip() {
        for text in EIP55_EXAMPLES {
            let a = Address::parse(Family::Evm, text).expect(text);
            assert_eq!(a.to_string(), text);
            // all-lower and all-upper are accepted as unchecksummed
            let lower = format!("0x{}", &text[2..].to_ascii_lowercase());
            let upper = format!("0x{}", &text[2..].to_ascii_uppercase());
            assert_eq!(Address::parse(Family::Evm, &lower).unwrap(), a);
            assert_eq!(Address::parse(Family::Evm, &upper).unwrap(), a);
        }
    }

    proptest::proptest! {
        /// The encoder agrees with EIP-55 as the EIP words it: hex of the bytes, each letter
        /// upper-case when the matching nibble of Keccak-256(hex) is 8 or more.
        #[test]
        fn eip55_matches_the_rule_as_written(bytes in proptest::prelude::any::<[u8; 20]>()) {
            let lower = hex::encode(bytes);
            let hash = Keccak256::digest(lower.as_bytes());
            let expected: String = lower
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    let nibble = if i % 2 == 0 { hash[i / 2] >> 4 } else { hash[i / 2] & 0x0f };
                    if nibble >= 8 { c.to_ascii_uppercase() } else { c }
                })
                .collect();
            proptest::prop_assert_eq!(eip55(&bytes), format!("0x{expected}"));
        }
    }

    #[test]
    fn bad_evm_checksum_is_refused() {
        // flip the case of one letter of a mixed-case address
        let bad = "0x5aAeb6053f3E94C9b9A09f33669435E7Ef1BeAed";
        let e = Address::parse(Family::Evm, bad).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidAddress);
        for junk in [
            "",
            "0x",
            "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe",
            "0xZZAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        ] {
            assert_eq!(
                Address::parse(Family::Evm, junk).unwrap_err().code(),
                ErrorCode::InvalidAddress,
                "{junk:?}"
            );
        }
    }

    #[test]
    fn tron_known_addresses() {
        // USDT (TRC-20) contract on Tron mainnet, per Tether and Tronscan, and its hex form.
        let usdt = Address::parse(Family::Tron, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t").unwrap();
        assert_eq!(usdt.to_hex(), "41a614f803b6fd780986a42c78ec9c7f77e6ded13c");
        assert_eq!(usdt.to_string(), "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t");
        let again =
            Address::parse(Family::Tron, "41a614f803b6fd780986a42c78ec9c7f77e6ded13c").unwrap();
        assert_eq!(again, usdt);
        // The Tron "black hole" address T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb is 0x41 followed by zeros.
        let zero = Address::from_bytes(Family::Tron, [0; 20]);
        assert_eq!(zero.to_string(), "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb");
        // one character changed: checksum fails
        assert_eq!(
            Address::parse(Family::Tron, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u")
                .unwrap_err()
                .code(),
            ErrorCode::InvalidAddress
        );
        assert!(
            Address::parse(Family::Tron, "0xdAC17F958D2ee523a2206206994597C13D831ec7").is_err()
        );
    }
}
