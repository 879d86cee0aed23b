//! Deposit addresses per second from an xpub: waas single and batch (EVM and Tron), and the same
//! EVM derivation through libsecp256k1 (the `bitcoin` crate's bip32 plus keccak) as the peer.

#![allow(clippy::unwrap_used, missing_docs)]

use bitcoin::bip32::{ChildNumber, Xpub};
use bitcoin::secp256k1::Secp256k1;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sha3::{Digest, Keccak256};
use std::hint::black_box;
use std::str::FromStr;
use waas_core::keys::{account_xpub, ExtendedPublicKey, Mnemonic};
use waas_core::Family;

const PHRASE: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const BATCH: u32 = 1000;

fn xpub(family: Family) -> ExtendedPublicKey {
    account_xpub(&Mnemonic::parse(PHRASE).unwrap(), "", family, 0).unwrap()
}

fn derive(c: &mut Criterion) {
    let mut group = c.benchmark_group("derive");
    group.throughput(Throughput::Elements(u64::from(BATCH)));
    for (name, family) in [("evm", Family::Evm), ("tron", Family::Tron)] {
        let key = xpub(family);
        group.bench_function(BenchmarkId::new("waas_single", name), |b| {
            b.iter(|| {
                for i in 0..BATCH {
                    black_box(key.derive_address(family, black_box(i)).unwrap());
                }
            })
        });
        group.bench_function(BenchmarkId::new("waas_batch", name), |b| {
            b.iter(|| black_box(key.derive_addresses(family, black_box(0), BATCH).unwrap()))
        });
    }
    let secp = Secp256k1::new();
    let peer = Xpub::from_str(&xpub(Family::Evm).to_string()).unwrap();
    group.bench_function(BenchmarkId::new("libsecp256k1_peer", "evm"), |b| {
        b.iter(|| {
            for i in 0..BATCH {
                let child = peer
                    .ckd_pub(&secp, ChildNumber::from_normal_idx(black_box(i)).unwrap())
                    .unwrap();
                let hash = Keccak256::digest(&child.public_key.serialize_uncompressed()[1..]);
                black_box(&hash[12..]);
            }
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(4));
    targets = derive
}
criterion_main!(benches);
