//! Two host processes on one PostgreSQL database work on the same client: 50 concurrent transfers
//! over 50 different wallet pairs, sent half to each host, are all answered 201 and the balances add
//! up, read from either host. Today the client's row lock makes the two hosts' batches alternate
//! (docs/HOST.md, "Storage"); the test holds whatever the locking becomes.

#![allow(clippy::unwrap_used)]

mod support;

use serde_json::json;
use support::api::{d, setup, Api};
use support::{Backend, Opts, Server};

#[test]
fn two_hosts_share_one_client() {
    let Some((db, first)) = setup(Backend::Postgres, "two_hosts", &Opts::default()) else {
        return;
    };
    let key = first.key().to_owned();
    let second = Server::restart(&db, &Opts::default());
    let one = Api {
        s: &first,
        key: &key,
    };
    let two = Api {
        s: &second,
        key: &key,
    };
    let acc = one.account("a");
    let made = one
        .post(
            "/v1/wallets/virtual/batch",
            json!({"account_id": acc, "blockchain": "ethereum", "count": 100}),
        )
        .ok(201)
        .clone();
    let wallets: Vec<(String, String)> = made["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["id"].as_str().unwrap().to_owned(),
                w["address"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (i, (_, address)) in wallets.iter().take(50).enumerate() {
        let tx = format!("fund-{i}");
        one.deposit(address, "USDT", "10", &tx);
        one.confirm(&tx);
    }
    let amount = |i: usize| 1 + i % 5;
    std::thread::scope(|scope| {
        for i in 0..50 {
            let api = if i % 2 == 0 { one } else { two };
            let (from, to) = (&wallets[i].0, &wallets[50 + i].0);
            scope.spawn(move || {
                api.transfer(from, to, &amount(i).to_string()).ok(201);
            });
        }
    });
    for i in 0..50 {
        let (from, to) = (&wallets[i].0, &wallets[50 + i].0);
        let moved = d(&amount(i).to_string());
        assert_eq!(two.total(from), d("10") - moved, "sender {i}");
        assert_eq!(one.total(to), moved, "receiver {i}");
    }
    // The client's journal is one chain, whichever host wrote each entry.
    let export = two.get("/v1/journal/export");
    assert_eq!(export.status, 200, "{}", export.text);
    let seqs: Vec<u64> = export
        .text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    drop(second);
    drop(first);
}
