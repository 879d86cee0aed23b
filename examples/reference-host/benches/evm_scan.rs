//! The EVM scanner's matching with 1,000,000 watched addresses: blocks per second.
//!
//! Synthetic mainnet-sized blocks (200 transactions, 120 Transfer logs, about 1% of them paying
//! a watched address) matched against the scanner's own index (src/host/evm/index.rs, included
//! as is). `match` is the index lookup alone on parsed blocks; `parse_and_match` adds parsing the
//! node's JSON answers (eth_getBlockByNumber with full transactions and eth_getLogs) the way the
//! adapter extracts them. Network and database time are not in these figures.
//!
//! Run: `cargo bench -p waas-host --bench evm_scan`

#![allow(missing_docs, clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "../src/host/evm/index.rs"]
mod index;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use index::{AddressIndex, BlockTx, Hit, TransferLog, Watched};
use serde_json::{json, Value};

const WATCHED: usize = 1_000_000;
const TXS: usize = 200;
const LOGS: usize = 120;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn addr(&mut self) -> [u8; 20] {
        let mut a = [0u8; 20];
        for chunk in a.chunks_mut(8) {
            let bytes = self.next().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        a
    }

    fn word(&mut self) -> [u8; 32] {
        let mut w = [0u8; 32];
        w[24..].copy_from_slice(&self.next().to_be_bytes());
        w
    }
}

fn hex0x(b: &[u8]) -> String {
    let mut s = String::from("0x");
    for x in b {
        s.push_str(&format!("{x:02x}"));
    }
    s
}

struct Fixture {
    index: AddressIndex,
    tokens: Vec<[u8; 20]>,
    blocks: Vec<(Vec<BlockTx>, Vec<TransferLog>)>,
    json: Vec<(String, String)>,
}

fn fixture() -> Fixture {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (index, watched) = watched(&mut rng);
    let tokens: Vec<[u8; 20]> = (0..4).map(|_| rng.addr()).collect();
    let mut blocks = Vec::new();
    let mut json = Vec::new();
    for b in 0..64u64 {
        let (block_hash, txs, logs) = block(&mut rng, b, &watched, &tokens);
        json.push(block_json(b, &block_hash, &txs, &logs));
        blocks.push((txs, logs));
    }
    Fixture {
        index,
        tokens,
        blocks,
        json,
    }
}

/// [`WATCHED`] random addresses, indexed as the scanner indexes its clients' wallets.
fn watched(rng: &mut Rng) -> (AddressIndex, Vec<[u8; 20]>) {
    let mut index = AddressIndex::with_capacity(WATCHED);
    let mut watched = Vec::with_capacity(WATCHED);
    for i in 0..WATCHED {
        let a = rng.addr();
        watched.push(a);
        index.insert(
            a,
            Watched {
                client_id: format!("cli_{}", i % 1000),
                wallet_id: format!("vw_{i}"),
                kind: waas_core::ledger::WalletKind::Virtual,
            },
        );
    }
    (index, watched)
}

/// Block `b`: its hash, [`TXS`] transactions and [`LOGS`] Transfer logs (two in three of the
/// `tokens`), about 1% of them paying a `watched` address.
fn block(
    rng: &mut Rng,
    b: u64,
    watched: &[[u8; 20]],
    tokens: &[[u8; 20]],
) -> (String, Vec<BlockTx>, Vec<TransferLog>) {
    let pick = |rng: &mut Rng| {
        if rng.next() % 100 == 0 {
            watched[(rng.next() % WATCHED as u64) as usize]
        } else {
            rng.addr()
        }
    };
    let block_hash = hex0x(&rng.word());
    let txs: Vec<BlockTx> = (0..TXS)
        .map(|i| BlockTx {
            hash: format!("0x{b:032x}{i:032x}"),
            from: rng.addr(),
            to: Some(pick(rng)),
            value: rng.word(),
        })
        .collect();
    let logs: Vec<TransferLog> = (0..LOGS)
        .map(|i| TransferLog {
            contract: if i % 3 == 0 {
                rng.addr()
            } else {
                tokens[i % 4]
            },
            to: pick(rng),
            value: rng.word(),
            tx_hash: format!("0x{b:032x}{i:032x}"),
            log_index: i as u64,
            block_hash: block_hash.clone(),
        })
        .collect();
    (block_hash, txs, logs)
}

/// Block `b` and its logs as the node answers them: (eth_getBlockByNumber with full
/// transactions, eth_getLogs).
fn block_json(b: u64, block_hash: &str, txs: &[BlockTx], logs: &[TransferLog]) -> (String, String) {
    let block_json = json!({
        "number": format!("0x{b:x}"), "hash": block_hash, "parentHash": block_hash,
        "transactions": txs.iter().map(|t| json!({
            "hash": t.hash, "from": hex0x(&t.from), "to": hex0x(&t.to.unwrap()),
            "value": format!("0x{}", hex0x(&t.value)[2..].trim_start_matches('0')),
            "gas": "0x5208", "input": "0x", "nonce": "0x1",
        })).collect::<Vec<_>>(),
    })
    .to_string();
    let logs_json = Value::Array(
        logs.iter()
            .map(|l| {
                json!({
                    "address": hex0x(&l.contract), "blockHash": l.block_hash, "blockNumber": format!("0x{b:x}"),
                    "data": hex0x(&l.value), "logIndex": format!("0x{:x}", l.log_index), "removed": false,
                    "topics": [index::TRANSFER_TOPIC, format!("0x{:0>64}", "ab"), format!("0x000000000000000000000000{}", &hex0x(&l.to)[2..])],
                    "transactionHash": l.tx_hash,
                })
            })
            .collect(),
    )
    .to_string();
    (block_json, logs_json)
}

/// Parses a block and its logs as the adapter does (hex fields into bytes), then matches.
fn parse_and_match(f: &Fixture, block: &str, logs: &str, hits: &mut Vec<Hit>) -> usize {
    let b: Value = serde_json::from_str(block).unwrap();
    let txs: Vec<BlockTx> = b["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| BlockTx {
            hash: t["hash"].as_str().unwrap().to_ascii_lowercase(),
            from: index::parse_addr(t["from"].as_str().unwrap()).unwrap(),
            to: t["to"].as_str().and_then(index::parse_addr),
            value: index::parse_word(t["value"].as_str().unwrap()).unwrap(),
        })
        .collect();
    let l: Value = serde_json::from_str(logs).unwrap();
    let logs: Vec<TransferLog> = l
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| {
            let topics = l["topics"].as_array()?;
            Some(TransferLog {
                contract: index::parse_addr(l["address"].as_str()?)?,
                to: index::topic_addr(topics.get(2)?.as_str()?)?,
                value: index::parse_word(l["data"].as_str()?)?,
                tx_hash: l["transactionHash"].as_str()?.to_ascii_lowercase(),
                log_index: u64::from_str_radix(
                    l["logIndex"].as_str()?.trim_start_matches("0x"),
                    16,
                )
                .ok()?,
                block_hash: l["blockHash"].as_str()?.to_ascii_lowercase(),
            })
        })
        .collect();
    hits.clear();
    index::match_block(&f.index, &f.tokens, &txs, &logs, hits);
    hits.len()
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    assert_eq!(f.index.len(), WATCHED);
    let mut group = c.benchmark_group("evm_scan_1m_addresses");
    group.throughput(Throughput::Elements(1));
    let mut hits = Vec::new();
    let mut i = 0usize;
    group.bench_function("match", |bench| {
        bench.iter(|| {
            let (txs, logs) = &f.blocks[i % f.blocks.len()];
            i += 1;
            hits.clear();
            index::match_block(
                &f.index,
                &f.tokens,
                black_box(txs),
                black_box(logs),
                &mut hits,
            );
            hits.len()
        })
    });
    group.bench_function("parse_and_match", |bench| {
        bench.iter(|| {
            let (block, logs) = &f.json[i % f.json.len()];
            i += 1;
            parse_and_match(&f, black_box(block), black_box(logs), &mut hits)
        })
    });
    group.finish();
    let hits: usize = f
        .blocks
        .iter()
        .map(|(t, l)| {
            let mut h = Vec::new();
            index::match_block(&f.index, &f.tokens, t, l, &mut h);
            h.len()
        })
        .sum();
    eprintln!(
        "{} blocks of {TXS} txs + {LOGS} logs against {WATCHED} watched addresses: {hits} hits",
        f.blocks.len()
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
