//! Ledger throughput: internal transfers applied per second in memory, and scenario replay lines
//! per second including JSON parsing.

#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::fmt::Write;
use std::hint::black_box;
use waas_core::automation::{Action, Rule, Share, Trigger};
use waas_core::ledger::{Config, DepositRequest, Ledger};
use waas_core::scenario::replay;
use waas_core::Amount;

/// The allocator of the `waas` binary, which runs these books in `waas ledger replay`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

const DEPOSITS: usize = 20_000;

fn deposit(l: &mut Ledger, tx: &str) {
    l.deposit(DepositRequest {
        tx: tx.into(),
        to: "vw1".into(),
        token: "USDT".into(),
        amount: Amount::parse("100", 6).unwrap(),
        usd_price: rust_decimal::Decimal::ONE,
    })
    .unwrap();
}

fn with_rules(n: usize) -> Ledger {
    let mut l = funded_ledger();
    for i in 0..n {
        l.add_rule(Rule {
            id: format!("r{i}").into(),
            wallet: "vw1".into(),
            on: Trigger::Deposit,
            token: "USDT".into(),
            min_amount: None,
            action: Action::Forward {
                to: "vw2".into(),
                share: Share::Percent(rust_decimal::Decimal::ONE),
            },
        })
        .unwrap();
    }
    l
}

/// Deposits applied per second with 0, 1 and 16 forwarding rules, and, as the yardstick, a deposit
/// followed by the same forward made by hand.
fn automation(c: &mut Criterion) {
    let txs: Vec<String> = (0..DEPOSITS).map(|i| format!("0xd{i}:0")).collect();
    let mut group = c.benchmark_group("automation");
    group.throughput(Throughput::Elements(DEPOSITS as u64));
    for rules in [0usize, 1, 16] {
        group.bench_function(format!("deposits_with_{rules}_rules"), |b| {
            b.iter_batched(
                || with_rules(rules),
                |mut l| {
                    for tx in &txs {
                        deposit(&mut l, tx);
                    }
                    black_box(l)
                },
                BatchSize::LargeInput,
            )
        });
    }
    // The yardstick does by hand what a rule does: derive the movement's id from the deposit and
    // compute 1% of it, then transfer.
    let percent = rust_decimal::Decimal::ONE;
    for forwards in [1usize, 16] {
        group.bench_function(format!("deposits_then_{forwards}_manual_forwards"), |b| {
            b.iter_batched(
                funded_ledger,
                |mut l| {
                    for tx in &txs {
                        deposit(&mut l, tx);
                        for f in 0..forwards {
                            let id = format!("manual:{f}:{tx}");
                            let share = Amount::parse("100", 6).unwrap().as_decimal() * percent
                                / rust_decimal::Decimal::ONE_HUNDRED;
                            let amount = Amount::from_decimal(share).unwrap();
                            l.transfer(&id, "vw1", "vw2", "USDT", amount).unwrap();
                        }
                    }
                    black_box(l)
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

/// Wallets in the books of the large run.
const LARGE: usize = 1_000_000;
/// Funded senders of the large run (receivers are any of the LARGE wallets).
const SENDERS: usize = 1_000;

/// One client with LARGE virtual wallets, the first SENDERS of them funded.
fn large_ledger() -> Ledger {
    let mut l = Ledger::new(Config::default());
    l.create_account("c1", "a1").unwrap();
    for i in 0..LARGE {
        l.create_virtual_wallet("a1", &format!("vw{i}"), "ethereum")
            .unwrap();
    }
    for i in 0..SENDERS {
        let tx = format!("0x{i}:0");
        l.deposit(DepositRequest {
            tx: tx.clone(),
            to: format!("vw{i}"),
            token: "USDT".into(),
            amount: Amount::parse("1000000", 6).unwrap(),
            usd_price: rust_decimal::Decimal::ONE,
        })
        .unwrap();
        l.confirm(&tx).unwrap();
    }
    l
}

/// Transfers between random pairs in books of a million wallets (built once; each sample goes on
/// from the books the last one left, with fresh movement ids).
fn large_books(c: &mut Criterion) {
    let mut l = large_ledger();
    let one = Amount::parse("0.01", 6).unwrap();
    // A fixed xorshift sequence: the same pairs in every run.
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut n = 0u64;
    let mut group = c.benchmark_group("ledger");
    group.throughput(Throughput::Elements(TRANSFERS as u64));
    group.bench_function("internal_transfers_1m_wallets", |b| {
        b.iter_custom(|iters| {
            // Each transfer carries its wallets' ids, as a request does: finding a receiver's
            // name in a table of a million names is not the ledger's work.
            let transfers: Vec<(String, String, String)> = (0..iters as usize * TRANSFERS)
                .map(|_| {
                    n += 1;
                    let from = (next() % SENDERS as u64) as usize;
                    let to = (next() % LARGE as u64) as usize;
                    let to = if to == from { (to + 1) % LARGE } else { to };
                    (format!("vw{from}"), format!("vw{to}"), format!("t{n}"))
                })
                .collect();
            let start = std::time::Instant::now();
            for (from, to, id) in &transfers {
                l.transfer(id, from, to, "USDT", one).unwrap();
                // Settled records leave the books, as a host takes them after each operation.
                black_box(l.take_settled());
            }
            start.elapsed()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(5));
    targets = transfers, automation, large_books
}
criterion_main!(benches);
