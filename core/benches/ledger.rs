//! Ledger throughput: internal transfers applied per second in memory, and scenario replay lines
//! per second including JSON parsing.

#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::fmt::Write;
use std::hint::black_box;
use waas_core::ledger::{Config, DepositRequest, Ledger};
use waas_core::scenario::replay;
use waas_core::Amount;

const TRANSFERS: usize = 100_000;

fn funded_ledger() -> Ledger {
    let mut l = Ledger::new(Config::default());
    l.create_account("c1", "a1").unwrap();
    l.create_virtual_wallet("a1", "vw1", "ethereum").unwrap();
    l.create_virtual_wallet("a1", "vw2", "ethereum").unwrap();
    for (tx, to) in [("0x1:0", "vw1"), ("0x2:0", "vw2")] {
        l.deposit(DepositRequest {
            tx: tx.into(),
            to: to.into(),
            token: "USDT".into(),
            amount: Amount::parse("1000000", 6).unwrap(),
            usd_price: rust_decimal::Decimal::ONE,
        })
        .unwrap();
        l.confirm(tx).unwrap();
    }
    l
}

fn transfers(c: &mut Criterion) {
    let ids: Vec<String> = (0..TRANSFERS).map(|i| format!("t{i}")).collect();
    let one = Amount::parse("1.5", 6).unwrap();
    let mut group = c.benchmark_group("ledger");
    group.throughput(Throughput::Elements(TRANSFERS as u64));
    group.bench_function("internal_transfers", |b| {
        b.iter_batched(
            funded_ledger,
            |mut l| {
                for (i, id) in ids.iter().enumerate() {
                    let (from, to) = if i % 2 == 0 {
                        ("vw1", "vw2")
                    } else {
                        ("vw2", "vw1")
                    };
                    l.transfer(id, from, to, "USDT", one).unwrap();
                }
                black_box(l)
            },
            BatchSize::LargeInput,
        )
    });
    let mut scenario = String::new();
    scenario.push_str("{\"op\":\"create_account\",\"client\":\"c1\",\"account\":\"a1\"}\n");
    for w in ["vw1", "vw2"] {
        let _ = writeln!(scenario, "{{\"op\":\"create_virtual_wallet\",\"account\":\"a1\",\"wallet\":\"{w}\",\"blockchain\":\"ethereum\"}}");
    }
    let lines = 20_000;
    for i in 0..lines {
        match i % 4 {
            0 => {
                let _ = writeln!(scenario, "{{\"op\":\"deposit\",\"tx\":\"0x{i}:0\",\"to\":\"vw1\",\"token\":\"USDT\",\"amount\":\"10\"}}");
            }
            1 => {
                let _ = writeln!(scenario, "{{\"op\":\"confirm\",\"tx\":\"0x{}:0\"}}", i - 1);
            }
            _ => {
                let _ = writeln!(scenario, "{{\"op\":\"transfer\",\"id\":\"t{i}\",\"from\":\"vw1\",\"to\":\"vw2\",\"token\":\"USDT\",\"amount\":\"1\"}}");
            }
        }
    }
    group.throughput(Throughput::Elements(lines + 3));
    group.bench_function("scenario_replay_lines", |b| {
        b.iter(|| black_box(replay(black_box(&scenario))))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(5));
    targets = transfers
}
criterion_main!(benches);
