//! HD keys: BIP-39 mnemonics, BIP-32 holding-wallet keys, and deposit addresses from an xpub.

use crate::address::Address;
use crate::chain::Family;
use crate::error::{err, Result};
use bip32::{ChildNumber, DerivationPath, Prefix, XPrv, XPub};
use hmac::{Hmac, Mac};
use k256::elliptic_curve::ops::MulByGenerator;
use k256::elliptic_curve::sec1::ToEncodedPoint;
use k256::elliptic_curve::{BatchNormalize, Group, PrimeField};
use k256::{ProjectivePoint, Scalar};
use sha2::Sha512;
use std::fmt;
use std::str::FromStr;
use zeroize::Zeroizing;

/// The first hardened index (2^31); non-hardened indices are below it.
pub const HARDENED: u32 = 1 << 31;

/// The most addresses one batch call derives.
pub const MAX_BATCH: u32 = 1_000_000;

/// The mnemonic lengths BIP-39 defines.
pub const MNEMONIC_WORDS: [usize; 5] = [12, 15, 18, 21, 24];

/// A BIP-39 mnemonic (English), checksum verified.
pub struct Mnemonic(bip39::Mnemonic);

impl Mnemonic {
    /// A new random mnemonic of 12, 15, 18, 21 or 24 words.
    pub fn generate(words: usize) -> Result<Mnemonic> {
        if !MNEMONIC_WORDS.contains(&words) {
            return Err(err::invalid_argument(format!(
                "a mnemonic has 12, 15, 18, 21 or 24 words, not {words}"
            )));
        }
        let mut entropy = Zeroizing::new([0u8; 32]);
        let len = words / 3 * 4;
        crate::random::fill(&mut entropy[..len])?;
        Mnemonic::from_entropy(&entropy[..len])
    }

    /// The mnemonic of given entropy (16 to 32 bytes, a multiple of 4).
    pub fn from_entropy(entropy: &[u8]) -> Result<Mnemonic> {
        bip39::Mnemonic::from_entropy(entropy)
            .map(Mnemonic)
            .map_err(|e| err::invalid_mnemonic(e.to_string()))
    }

    /// Parses an English phrase; case and extra whitespace are forgiven, words and checksum are not.
    pub fn parse(phrase: &str) -> Result<Mnemonic> {
        let normalized = Zeroizing::new(
            phrase
                .split_whitespace()
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
                .join(" "),
        );
        bip39::Mnemonic::parse_in(bip39::Language::English, normalized.as_str())
            .map(Mnemonic)
            .map_err(|e| err::invalid_mnemonic(format!("{e}")))
    }

    /// The phrase (secret).
    pub fn phrase(&self) -> Zeroizing<String> {
        Zeroizing::new(self.0.to_string())
    }

    /// Number of words.
    pub fn word_count(&self) -> usize {
        self.0.word_count()
    }

    /// The 64-byte BIP-39 seed for an optional passphrase.
    pub fn to_seed(&self, passphrase: &str) -> Zeroizing<[u8; 64]> {
        Zeroizing::new(self.0.to_seed(passphrase))
    }
}

impl fmt::Debug for Mnemonic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mnemonic({} words, redacted)", self.word_count())
    }
}

/// A BIP-32 extended private key (secret; never printed by Debug).
#[derive(Clone)]
pub struct ExtendedPrivateKey(XPrv);

impl ExtendedPrivateKey {
    /// The master key of a BIP-39 seed (64 bytes) or a raw seed of 16 or 32 bytes.
    pub fn from_seed(seed: &[u8]) -> Result<ExtendedPrivateKey> {
        if ![16, 32, 64].contains(&seed.len()) {
            return Err(err::invalid_key("a BIP-32 seed has 16, 32 or 64 bytes"));
        }
        XPrv::new(seed)
            .map(ExtendedPrivateKey)
            .map_err(|e| err::key_derivation(e.to_string()))
    }

    /// The master key of a mnemonic with an optional passphrase.
    pub fn from_mnemonic(mnemonic: &Mnemonic, passphrase: &str) -> Result<ExtendedPrivateKey> {
        ExtendedPrivateKey::from_seed(mnemonic.to_seed(passphrase).as_slice())
    }

    /// Parses an `xprv`/`tprv` string.
    pub fn parse(text: &str) -> Result<ExtendedPrivateKey> {
        XPrv::from_str(text)
            .map(ExtendedPrivateKey)
            .map_err(|_| err::invalid_key("not a valid extended private key"))
    }

    /// Derives a path relative to this key, such as `m/44'/60'/0'/0`.
    pub fn derive_path(&self, path: &str) -> Result<ExtendedPrivateKey> {
        let path = DerivationPath::from_str(path).map_err(|_| {
            err::invalid_argument(format!(
                "{path:?} is not a derivation path like m/44'/60'/0'/0"
            ))
        })?;
        let mut key = self.0.clone();
        for child in path.iter() {
            key = key
                .derive_child(child)
                .map_err(|e| err::key_derivation(e.to_string()))?;
        }
        Ok(ExtendedPrivateKey(key))
    }

    /// The holding-wallet key of a family and account: m/44'/coin'/account'/0 from a master key.
    pub fn account_key(&self, family: Family, account: u32) -> Result<ExtendedPrivateKey> {
        if account >= HARDENED {
            return Err(err::invalid_index(format!(
                "account {account} must be below 2^31"
            )));
        }
        self.derive_path(&account_path(family, account))
    }

    /// The serialized `xprv` (secret).
    pub fn to_xprv_string(&self) -> Zeroizing<String> {
        self.0.to_string(Prefix::XPRV)
    }

    /// The matching extended public key.
    pub fn xpub(&self) -> ExtendedPublicKey {
        ExtendedPublicKey(self.0.public_key())
    }

    /// The private key of non-hardened child `index` (used where funds move: sweeps).
    pub fn child_secret(&self, index: u32) -> Result<k256::ecdsa::SigningKey> {
        let child = self
            .0
            .derive_child(non_hardened(index)?)
            .map_err(|e| err::key_derivation(e.to_string()))?;
        Ok(child.private_key().clone())
    }

    /// The address of non-hardened child `index`, computed from the private side.
    pub fn child_address(&self, family: Family, index: u32) -> Result<Address> {
        let secret = self.child_secret(index)?;
        Ok(address_of_key(family, secret.verifying_key()))
    }
}

impl fmt::Debug for ExtendedPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExtendedPrivateKey(redacted)")
    }
}

/// A BIP-32 extended public key: derives deposit addresses without any private key.
#[derive(Clone, PartialEq, Eq)]
pub struct ExtendedPublicKey(XPub);

impl ExtendedPublicKey {
    /// Parses an `xpub`/`tpub` string (an `xprv` is refused).
    pub fn parse(text: &str) -> Result<ExtendedPublicKey> {
        let bad = || err::invalid_key("not a valid extended public key (xpub)");
        let key = bip32::ExtendedKey::from_str(text.trim()).map_err(|_| bad())?;
        if !key.prefix.is_public() {
            // bip32 would quietly turn an xprv into its xpub; a secret pasted here is refused.
            return Err(err::invalid_key(
                "this is a private extended key; give the xpub",
            ));
        }
        XPub::try_from(key)
            .map(ExtendedPublicKey)
            .map_err(|_| bad())
    }

    /// The address of non-hardened child `index`.
    pub fn derive_address(&self, family: Family, index: u32) -> Result<Address> {
        non_hardened(index)?;
        self.derive_addresses(family, index, 1)?
            .pop()
            .ok_or_else(|| err::key_derivation("no address derived"))
    }

    /// The addresses of children `start .. start + count`, equal to calling
    /// [`derive_address`](Self::derive_address) for each, but with one field inversion for the
    /// whole batch.
    pub fn derive_addresses(&self, family: Family, start: u32, count: u32) -> Result<Vec<Address>> {
        if count > MAX_BATCH {
            return Err(err::invalid_argument(format!(
                "at most {MAX_BATCH} addresses per batch"
            )));
        }
        if count == 0 {
            return Ok(Vec::new());
        }
        let last = start
            .checked_add(count - 1)
            .filter(|last| *last < HARDENED)
            .ok_or_else(|| {
                err::invalid_index(format!(
                    "indices {start}..{start}+{count} reach the hardened range (2^31 and up)"
                ))
            })?;
        let parent = self.0.public_key();
        let parent_point = ProjectivePoint::from(*parent.as_affine());
        let parent_sec1 = parent.to_encoded_point(true);
        let mac = Hmac::<Sha512>::new_from_slice(&self.0.attrs().chain_code)
            .map_err(|e| err::key_derivation(e.to_string()))?;
        let mut points = Vec::with_capacity(count as usize);
        for index in start..=last {
            let mut m = mac.clone();
            m.update(parent_sec1.as_bytes());
            m.update(&index.to_be_bytes());
            let out = m.finalize().into_bytes();
            let mut il = k256::FieldBytes::default();
            il.copy_from_slice(&out[..32]);
            let tweak = Option::<Scalar>::from(Scalar::from_repr(il)).ok_or_else(|| {
                err::key_derivation(format!("child {index} is invalid (I_L >= n)"))
            })?;
            let point = ProjectivePoint::mul_by_generator(&tweak) + parent_point;
            if bool::from(point.is_identity()) {
                return Err(err::key_derivation(format!(
                    "child {index} is the point at infinity"
                )));
            }
            points.push(point);
        }
        let affine =
            <ProjectivePoint as BatchNormalize<[ProjectivePoint]>>::batch_normalize(&points);
        Ok(affine
            .iter()
            .map(|a| {
                let enc = a.to_encoded_point(false);
                address_of_sec1_uncompressed(family, enc.as_bytes())
            })
            .collect())
    }

    /// The serialized form with the `xpub` version bytes.
    pub fn to_xpub_string(&self) -> String {
        self.0.to_string(Prefix::XPUB)
    }

    /// Depth of this key in its tree.
    pub fn depth(&self) -> u8 {
        self.0.attrs().depth
    }
}

impl fmt::Display for ExtendedPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_xpub_string())
    }
}

impl fmt::Debug for ExtendedPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExtendedPublicKey({self})")
    }
}

/// The holding-wallet path of a family: m/44'/60'/account'/0 (EVM) or m/44'/195'/account'/0 (Tron).
pub fn account_path(family: Family, account: u32) -> String {
    format!("m/44'/{}'/{account}'/0", family.coin_type())
}

/// The xpub of the holding-wallet key for `family` and `account` of a mnemonic.
pub fn account_xpub(
    mnemonic: &Mnemonic,
    passphrase: &str,
    family: Family,
    account: u32,
) -> Result<ExtendedPublicKey> {
    let master = ExtendedPrivateKey::from_mnemonic(mnemonic, passphrase)?;
    Ok(master.account_key(family, account)?.xpub())
}

/// The address of a secp256k1 public key in a family.
pub fn address_of_key(family: Family, key: &k256::ecdsa::VerifyingKey) -> Address {
    let enc = key.to_encoded_point(false);
    address_of_sec1_uncompressed(family, enc.as_bytes())
}

fn address_of_sec1_uncompressed(family: Family, sec1: &[u8]) -> Address {
    let mut xy = [0u8; 64];
    xy.copy_from_slice(&sec1[1..65]);
    Address::from_public_key_xy(family, &xy)
}

fn non_hardened(index: u32) -> Result<ChildNumber> {
    if index >= HARDENED {
        return Err(err::invalid_index(format!(
            "index {index} is hardened (2^31 and up); an xpub derives only indices below 2147483648"
        )));
    }
    ChildNumber::new(index, false).map_err(|e| err::invalid_index(e.to_string()))
}

/// An account xpub bound to a blockchain's family: derives deposit addresses as text, what the
/// bindings' `DepositKey` wraps (they only translate numbers and errors).
#[derive(Debug, Clone)]
pub struct DepositKey {
    family: Family,
    key: ExtendedPublicKey,
}

impl DepositKey {
    /// Parses `xpub` for the blockchain `chain` (id or alias) of `registry`.
    pub fn parse(registry: &crate::chain::Registry, chain: &str, xpub: &str) -> Result<DepositKey> {
        Ok(DepositKey {
            family: registry.chain(chain)?.family,
            key: ExtendedPublicKey::parse(xpub)?,
        })
    }

    /// The family of the bound blockchain.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The canonical xpub text.
    pub fn xpub(&self) -> String {
        self.key.to_string()
    }

    /// The deposit address of virtual wallet `index`.
    pub fn address(&self, index: u32) -> Result<String> {
        Ok(self.key.derive_address(self.family, index)?.to_string())
    }

    /// The deposit addresses of virtual wallets `start .. start + count`.
    pub fn addresses(&self, start: u32, count: u32) -> Result<Vec<String>> {
        Ok(self
            .key
            .derive_addresses(self.family, start, count)?
            .iter()
            .map(ToString::to_string)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    #[test]
    fn known_first_ethereum_address_of_the_abandon_mnemonic() {
        // Widely published: m/44'/60'/0'/0/0 of "abandon ... about" (no passphrase).
        let m = Mnemonic::parse(ABANDON).unwrap();
        let xpub = account_xpub(&m, "", Family::Evm, 0).unwrap();
        let a = xpub.derive_address(Family::Evm, 0).unwrap();
        assert_eq!(a.to_string(), "0x9858EfFD232B4033E47d90003D41EC34EcaEda94");
    }

    #[test]
    fn hardened_index_is_refused() {
        let m = Mnemonic::parse(ABANDON).unwrap();
        let xpub = account_xpub(&m, "", Family::Evm, 0).unwrap();
        assert_eq!(
            xpub.derive_address(Family::Evm, HARDENED)
                .unwrap_err()
                .code(),
            crate::error::ErrorCode::InvalidIndex
        );
        assert!(xpub.derive_address(Family::Evm, HARDENED - 1).is_ok());
        assert!(xpub.derive_addresses(Family::Evm, HARDENED - 2, 3).is_err());
        assert_eq!(
            xpub.derive_addresses(Family::Evm, HARDENED - 2, 2)
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn bad_mnemonics() {
        assert!(Mnemonic::parse("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon").is_err());
        assert!(Mnemonic::parse("abandon abandon").is_err());
        assert!(Mnemonic::parse("").is_err());
        assert!(Mnemonic::parse(&ABANDON.replace("about", "aboot")).is_err());
        assert!(Mnemonic::parse(&format!("  {}  ", ABANDON.to_uppercase())).is_ok());
        assert!(Mnemonic::generate(13).is_err());
        for words in MNEMONIC_WORDS {
            let m = Mnemonic::generate(words).unwrap();
            assert_eq!(m.word_count(), words);
            assert!(Mnemonic::parse(&m.phrase()).is_ok());
        }
    }

    #[test]
    fn secrets_do_not_debug_print() {
        let m = Mnemonic::parse(ABANDON).unwrap();
        assert!(!format!("{m:?}").contains("abandon"));
        let k = ExtendedPrivateKey::from_mnemonic(&m, "").unwrap();
        assert_eq!(format!("{k:?}"), "ExtendedPrivateKey(redacted)");
    }
}
