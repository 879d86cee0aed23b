//! EVM transaction signing against tests/vectors/transactions.json, produced by an independent
//! implementation (eth-account, see tests/vectors/gen_tx_vectors.py), and the EIP-155 example.

#![allow(clippy::unwrap_used)] // tests unwrap known-good values

use serde_json::Value;
use waas_core::tx::{
    erc20_transfer_data, evm_chain_id, parse_hex_data, signer_address, signing_key_from_hex, Fees,
    SignedTransaction, Transaction, U256,
};
use waas_core::{Address, Family, Registry};

fn load(name: &str) -> Value {
    let path = format!("{}/../tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("vector file is JSON")
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {v}"))
}

fn u256(v: &Value, key: &str) -> U256 {
    U256::parse_decimal(text(v, key)).unwrap()
}

fn u64_of(v: &Value, key: &str) -> u64 {
    text(v, key).parse().unwrap()
}

fn transaction_of(v: &Value) -> Transaction {
    let fees = match text(v, "type") {
        "legacy" => Fees::Legacy {
            gas_price: u256(v, "gas_price"),
        },
        "eip1559" => Fees::Eip1559 {
            max_fee_per_gas: u256(v, "max_fee_per_gas"),
            max_priority_fee_per_gas: u256(v, "max_priority_fee_per_gas"),
        },
        other => panic!("unknown type {other}"),
    };
    Transaction {
        chain_id: u64_of(v, "chain_id"),
        nonce: u64_of(v, "nonce"),
        to: v["to"]
            .as_str()
            .map(|a| Address::parse(Family::Evm, a).unwrap()),
        value: u256(v, "value"),
        gas_limit: u64_of(v, "gas_limit"),
        data: parse_hex_data(text(v, "data")).unwrap(),
        fees,
    }
}

#[test]
fn every_transaction_vector_signs_byte_for_byte() {
    let file = load("transactions.json");
    let registry = Registry::builtin();
    let vectors = file["transactions"].as_array().unwrap();
    assert!(vectors.len() >= 80, "only {} vectors", vectors.len());
    let (mut legacy, mut eip1559) = (0, 0);
    for v in vectors {
        let name = text(v, "name");
        let tx = transaction_of(v);
        let key = signing_key_from_hex(text(v, "private_key")).unwrap();
        let expected = &v["expected"];
        let sender = Address::parse(Family::Evm, text(v, "sender")).unwrap();
        assert_eq!(signer_address(&key), sender, "{name}: key address");
        if let Some(chain) = v["chain"].as_str() {
            let id = evm_chain_id(registry.chain(chain).unwrap()).unwrap();
            assert_eq!(id, tx.chain_id, "{name}: registry chain id of {chain}");
        }
        assert_eq!(
            format!("0x{}", hex::encode(tx.signing_hash())),
            text(expected, "signing_hash"),
            "{name}: signing hash"
        );
        let signed = tx.sign(&key).unwrap();
        assert_eq!(signed.raw_hex(), text(expected, "raw"), "{name}: raw");
        assert_eq!(signed.hash_hex(), text(expected, "hash"), "{name}: hash");
        assert_eq!(signed.v().to_string(), text(expected, "v"), "{name}: v");
        assert_eq!(
            U256::from_be_bytes(signed.signature().r),
            u256(expected, "r"),
            "{name}: r"
        );
        assert_eq!(
            U256::from_be_bytes(signed.signature().s),
            u256(expected, "s"),
            "{name}: s"
        );
        assert_eq!(signed.recover_signer().unwrap(), sender, "{name}: recovery");
        let raw = hex::decode(&text(expected, "raw")[2..]).unwrap();
        let decoded = SignedTransaction::decode(&raw).unwrap();
        assert_eq!(decoded, signed, "{name}: decode");
        assert_eq!(decoded.transaction(), &tx, "{name}: decoded fields");
        match tx.fees {
            Fees::Legacy { .. } => legacy += 1,
            Fees::Eip1559 { .. } => eip1559 += 1,
        }
    }
    assert!(
        legacy >= 30 && eip1559 >= 30,
        "{legacy} legacy, {eip1559} eip1559"
    );
}

#[test]
fn erc20_transfer_vectors() {
    let file = load("transactions.json");
    let vectors = file["erc20_transfers"].as_array().unwrap();
    assert!(vectors.len() >= 5);
    for v in vectors {
        let to = Address::parse(Family::Evm, text(v, "to")).unwrap();
        let data = erc20_transfer_data(&to, &u256(v, "amount")).unwrap();
        assert_eq!(format!("0x{}", hex::encode(data)), text(v, "expected"));
        let padded = (
            format!(" {} ", text(v, "to")),
            format!("{}\n", text(v, "amount")),
        );
        let from_text = waas_core::tx::erc20_transfer_data_hex(&padded.0, &padded.1).unwrap();
        assert_eq!(from_text, text(v, "expected"), "as the bindings take it");
    }
}

/// EIP-155's own example (EIPS/eip-155.md): nonce 9, 20 gwei, 21000 gas, to 0x3535...35, 1 ether,
/// chain id 1, key 0x4646...46.
#[test]
fn eip155_published_example() {
    let key = signing_key_from_hex(&format!("0x{}", "46".repeat(32))).unwrap();
    let registry = Registry::builtin();
    let tx = Transaction {
        chain_id: evm_chain_id(registry.chain("ethereum").unwrap()).unwrap(),
        nonce: 9,
        to: Some(
            Address::parse(Family::Evm, "0x3535353535353535353535353535353535353535").unwrap(),
        ),
        value: U256::parse_decimal("1000000000000000000").unwrap(),
        gas_limit: 21000,
        data: Vec::new(),
        fees: Fees::Legacy {
            gas_price: U256::parse_decimal("20000000000").unwrap(),
        },
    };
    assert_eq!(
        hex::encode(tx.signing_hash()),
        "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53"
    );
    let signed = tx.sign(&key).unwrap();
    assert_eq!(
        signed.raw_hex(),
        "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83"
    );
    assert_eq!(signed.v(), 37);
    assert_eq!(signed.recover_signer().unwrap(), signer_address(&key));
    assert!(evm_chain_id(registry.chain("tron").unwrap()).is_err());
}
