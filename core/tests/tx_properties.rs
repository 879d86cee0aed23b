//! Property tests of EVM signing: any transaction signs, decodes back to itself, and recovers
//! its signer; RLP and U256 round-trip; the decoder never panics on junk.

#![allow(clippy::unwrap_used)] // tests unwrap known-good values

use k256::ecdsa::SigningKey;
use proptest::prelude::*;
use waas_core::tx::rlp::Item;
use waas_core::tx::{signer_address, Fees, SignedTransaction, Transaction, U256};
use waas_core::{Address, Family};

fn u256() -> impl Strategy<Value = U256> {
    prop_oneof![
        Just(U256::ZERO),
        Just(U256::MAX),
        any::<u64>().prop_map(U256::from),
        any::<[u8; 32]>().prop_map(U256::from_be_bytes),
        // a random number of significant bytes
        (any::<[u8; 32]>(), 0usize..=32).prop_map(|(mut b, zeros)| {
            b[..zeros].fill(0);
            U256::from_be_bytes(b)
        }),
    ]
}

fn key() -> impl Strategy<Value = SigningKey> {
    any::<[u8; 32]>().prop_filter_map("valid secp256k1 scalar", |b| {
        SigningKey::from_slice(&b).ok()
    })
}

prop_compose! {
    fn transaction()(
        chain_id in 1u64..,
        nonce in any::<u64>(),
        to in proptest::option::weighted(0.9, any::<[u8; 20]>()),
        value in u256(),
        gas_limit in any::<u64>(),
        data in proptest::collection::vec(any::<u8>(), 0..300),
        legacy in any::<bool>(),
        a in u256(),
        b in u256(),
    ) -> Transaction {
        let fees = if legacy {
            Fees::Legacy { gas_price: a }
        } else {
            Fees::Eip1559 { max_fee_per_gas: a.max(b), max_priority_fee_per_gas: a.min(b) }
        };
        Transaction {
            chain_id,
            nonce,
            to: to.map(|bytes| Address::from_bytes(Family::Evm, bytes)),
            value,
            gas_limit,
            data,
            fees,
        }
    }
}

fn item() -> impl Strategy<Value = Item> {
    let leaf = proptest::collection::vec(any::<u8>(), 0..80).prop_map(Item::Bytes);
    leaf.prop_recursive(4, 64, 8, |inner| {
        proptest::collection::vec(inner, 0..8).prop_map(Item::List)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sign_decode_round_trip_and_recover(tx in transaction(), key in key()) {
        let signed = tx.sign(&key).unwrap();
        let decoded = SignedTransaction::decode(signed.raw()).unwrap();
        prop_assert_eq!(&decoded, &signed);
        prop_assert_eq!(decoded.transaction(), &tx);
        prop_assert_eq!(signed.recover_signer().unwrap(), signer_address(&key));
        // low s, and the parity is expressed by v
        let half_n = U256::parse_decimal(
            "57896044618658097711785492504343953926418782139537452191302581570759080747168",
        ).unwrap();
        prop_assert!(U256::from_be_bytes(signed.signature().s) <= half_n);
        if tx.is_eip1559() {
            prop_assert_eq!(signed.raw()[0], 2);
            prop_assert!(signed.v() <= 1);
        } else {
            prop_assert_eq!(signed.v(), u128::from(tx.chain_id) * 2 + 35 + u128::from(signed.signature().y_parity));
        }
        // a different transaction does not recover the same signer with this signature
        let mut other = tx.clone();
        other.nonce = other.nonce.wrapping_add(1);
        let forged = SignedTransaction::decode(&reencode_with_nonce(&signed, other.nonce));
        if let Ok(forged) = forged {
            prop_assert_ne!(forged.recover_signer().ok(), Some(signer_address(&key)));
        }
    }

    #[test]
    fn rlp_round_trip(it in item()) {
        let enc = it.encode();
        prop_assert_eq!(enc.len(), it.encoded_len());
        prop_assert_eq!(Item::decode(&enc).unwrap(), it);
    }

    #[test]
    fn u256_decimal_round_trip(n in u256()) {
        prop_assert_eq!(U256::parse_decimal(&n.to_string()).unwrap(), n);
    }

    #[test]
    fn decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = SignedTransaction::decode(&bytes);
        let _ = Item::decode(&bytes);
    }
}

/// The raw bytes of `signed` with its nonce replaced (signature kept).
fn reencode_with_nonce(signed: &SignedTransaction, nonce: u64) -> Vec<u8> {
    let raw = signed.raw();
    let (prefix, body) = if raw[0] == 2 {
        (&raw[..1], &raw[1..])
    } else {
        (&raw[..0], raw)
    };
    let mut fields = Item::decode(body).unwrap().as_list().unwrap().to_vec();
    let at = usize::from(raw[0] == 2);
    fields[at] = Item::u64(nonce);
    let mut out = prefix.to_vec();
    out.extend(Item::List(fields).encode());
    out
}
