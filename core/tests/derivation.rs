//! Deposit-address derivation: xprv side, xpub side and batch agree, and match an independent
//! implementation (libsecp256k1 through the `bitcoin` crate's bip32).

#![allow(clippy::unwrap_used)] // tests unwrap known-good values

use bitcoin::bip32::{ChildNumber, DerivationPath, Xpriv, Xpub};
use bitcoin::secp256k1::Secp256k1;
use bitcoin::NetworkKind;
use proptest::prelude::*;
use sha3::{Digest, Keccak256};
use std::str::FromStr;
use waas_core::keys::{account_path, ExtendedPrivateKey, Mnemonic};
use waas_core::{Address, Family};

const ABANDON: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

/// The EVM address of child `index` computed by the peer library.
fn peer_address(seed: &[u8], family: Family, account: u32, index: u32) -> ([u8; 20], String) {
    let secp = Secp256k1::new();
    let master = Xpriv::new_master(NetworkKind::Main, seed).unwrap();
    let path = DerivationPath::from_str(&account_path(family, account)).unwrap();
    let xpub = Xpub::from_priv(&secp, &master.derive_priv(&secp, &path).unwrap());
    let child = xpub
        .ckd_pub(&secp, ChildNumber::from_normal_idx(index).unwrap())
        .unwrap();
    let uncompressed = child.public_key.serialize_uncompressed();
    let hash = Keccak256::digest(&uncompressed[1..]);
    let mut out = [0u8; 20];
    out.copy_from_slice(&hash[12..]);
    (out, xpub.to_string())
}

#[test]
fn known_addresses_of_the_abandon_mnemonic() {
    let m = Mnemonic::parse(ABANDON).unwrap();
    let master = ExtendedPrivateKey::from_mnemonic(&m, "").unwrap();
    let evm = master.account_key(Family::Evm, 0).unwrap().xpub();
    // Published by many wallets' test suites (MetaMask, ethers): m/44'/60'/0'/0/{0,1}.
    assert_eq!(
        evm.derive_address(Family::Evm, 0).unwrap().to_string(),
        "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
    );
    assert_eq!(
        evm.derive_address(Family::Evm, 1).unwrap().to_string(),
        "0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0"
    );
    let tron = master.account_key(Family::Tron, 0).unwrap().xpub();
    // TronWeb's fromMnemonic default path m/44'/195'/0'/0/0.
    assert_eq!(
        tron.derive_address(Family::Tron, 0).unwrap().to_string(),
        "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH"
    );
}

#[test]
fn largest_non_hardened_index_matches_peer() {
    let m = Mnemonic::parse(ABANDON).unwrap();
    let seed = m.to_seed("");
    let master = ExtendedPrivateKey::from_seed(seed.as_slice()).unwrap();
    for family in [Family::Evm, Family::Tron] {
        let xpub = master.account_key(family, 7).unwrap().xpub();
        let (peer, peer_xpub) = peer_address(seed.as_slice(), family, 7, 0x7fff_ffff);
        assert_eq!(xpub.to_string(), peer_xpub);
        let ours = xpub.derive_address(family, 0x7fff_ffff).unwrap();
        assert_eq!(ours, Address::from_bytes(family, peer));
        let batch = xpub.derive_addresses(family, 0x7fff_fffe, 2).unwrap();
        assert_eq!(batch[1], ours);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// xprv-side, xpub-side (single and batch) and the peer library all agree.
    #[test]
    fn all_derivations_agree(seed in prop_oneof![Just(16usize), Just(32), Just(64)].prop_flat_map(|n| proptest::collection::vec(any::<u8>(), n)),
                             account in 0u32..1000,
                             start in prop_oneof![0u32..1000, 0x7fff_ff00u32..0x7fff_fff0],
                             evm in any::<bool>()) {
        let family = if evm { Family::Evm } else { Family::Tron };
        let master = ExtendedPrivateKey::from_seed(&seed).unwrap();
        let account_key = master.account_key(family, account).unwrap();
        let xpub = account_key.xpub();
        let batch = xpub.derive_addresses(family, start, 4).unwrap();
        for (offset, batch_address) in batch.iter().enumerate() {
            let index = start + offset as u32;
            let single = xpub.derive_address(family, index).unwrap();
            let private = account_key.child_address(family, index).unwrap();
            let (peer, peer_xpub) = peer_address(&seed, family, account, index);
            prop_assert_eq!(&single, batch_address);
            prop_assert_eq!(&single, &private);
            prop_assert_eq!(single, Address::from_bytes(family, peer));
            prop_assert_eq!(xpub.to_string(), peer_xpub);
        }
    }
}
