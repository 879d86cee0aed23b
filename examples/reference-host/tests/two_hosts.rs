//! Two host processes on one PostgreSQL database work on the same client at once: transfers lock
//! the rows of their wallets, not the client (docs/HOST.md, "Storage"). 50 concurrent transfers
//! over 50 different wallet pairs, sent half to each host, are all answered 201 and the balances
//! add up, read from either host; a transfer waits for a wallet whose row is held, and only for
//! it; transfers over a few wallets that collide all the time, some sent to both hosts at once
//! under one Idempotency-Key, each move their money once.

#![allow(clippy::unwrap_used)]

mod support;

use serde_json::json;
use sqlx::Connection;
use std::collections::HashMap;
use std::sync::mpsc;
use std::time::Duration;
use support::api::{d, setup, Api};
use support::{rt, Backend, Opts, Server};

/// A fresh PostgreSQL database with two host processes on it, and the first one's API key.
fn two_hosts(test: &str) -> Option<(support::Db, Server, Server, String)> {
    let (db, first) = setup(Backend::Postgres, test, &Opts::default())?;
    let key = first.key().to_owned();
    let second = Server::restart(&db, &Opts::default());
    Some((db, first, second, key))
}

/// Makes `n` funded (with `each` USDT) wallets of one account; returns their ids.
fn funded(api: Api<'_>, n: usize, each: &str) -> Vec<String> {
    let acc = api.account("funded");
    let made = api
        .post(
            "/v1/wallets/virtual/batch",
            json!({"account_id": acc, "blockchain": "ethereum", "count": n}),
        )
        .ok(201)
        .clone();
    let mut ids = Vec::new();
    for (i, w) in made["data"].as_array().unwrap().iter().enumerate() {
        let tx = format!("fund-{}-{i}", w["id"].as_str().unwrap());
        api.deposit(w["address"].as_str().unwrap(), "USDT", each, &tx);
        api.confirm(&tx);
        ids.push(w["id"].as_str().unwrap().to_owned());
    }
    ids
}

#[test]
fn a_transfer_waits_for_its_wallets_and_only_for_them() {
    let Some((db, host)) = setup(Backend::Postgres, "row_locks", &Opts::default()) else {
        return;
    };
    let key = host.key().to_owned();
    let api = Api {
        s: &host,
        key: &key,
    };
    let w = funded(api, 8, "10");
    // Another session holds the first wallet's row, as a transfer of another host would.
    let mut conn = rt().block_on(sqlx::PgConnection::connect(&db.url)).unwrap();
    rt().block_on(sqlx::query("BEGIN").execute(&mut conn))
        .unwrap();
    let held = rt()
        .block_on(
            sqlx::query("SELECT key FROM books WHERE kind = 'wallet' AND key = $1 FOR UPDATE")
                .bind(&w[0])
                .fetch_all(&mut conn),
        )
        .unwrap();
    assert_eq!(held.len(), 1);
    std::thread::scope(|scope| {
        let (done, waited) = mpsc::channel();
        let (from, to) = (&w[0], &w[1]);
        scope.spawn(move || {
            let status = api.transfer(from, to, "1").status;
            done.send(status).unwrap();
        });
        assert!(
            waited.recv_timeout(Duration::from_millis(800)).is_err(),
            "a transfer from a wallet whose row another session holds must wait"
        );
        // Other wallets of the same client move meanwhile, whichever lane they would take.
        for pair in [2, 4, 6] {
            api.transfer(&w[pair], &w[pair + 1], "2").ok(201);
            assert_eq!(api.total(&w[pair + 1]), d("12"));
        }
        rt().block_on(sqlx::query("ROLLBACK").execute(&mut conn))
            .unwrap();
        assert_eq!(waited.recv_timeout(Duration::from_secs(20)).unwrap(), 201);
    });
    assert_eq!(api.total(&w[0]), d("9"));
    assert_eq!(api.total(&w[1]), d("11"));
    assert_eq!(api.total(&w[2]), d("8"));
}

#[test]
fn colliding_transfers_on_two_hosts_move_money_once() {
    let Some((_db, first, second, key)) = two_hosts("collisions") else {
        return;
    };
    let one = Api {
        s: &first,
        key: &key,
    };
    let two = Api {
        s: &second,
        key: &key,
    };
    let w = funded(one, 6, "1000");
    // 240 transfers over 6 wallets (every pair collides with others), each under its own
    // Idempotency-Key; every third key is sent to both hosts at the same moment.
    let plan: Vec<(usize, usize, u64)> = (0..240)
        .map(|i| (i % 6, (i * 7 + 1 + i / 6) % 6, 1 + (i as u64 % 4)))
        .filter(|(a, b, _)| a != b)
        .collect();
    std::thread::scope(|scope| {
        for worker in 0..8 {
            let (plan, w) = (&plan, &w);
            scope.spawn(move || send_colliding(worker, plan, w, (one, two)));
        }
    });
    let mut expected: HashMap<usize, i64> = (0..6).map(|i| (i, 1000)).collect();
    for (a, b, amount) in &plan {
        *expected.get_mut(a).unwrap() -= *amount as i64;
        *expected.get_mut(b).unwrap() += *amount as i64;
    }
    for (i, id) in w.iter().enumerate() {
        assert_eq!(two.total(id), d(&expected[&i].to_string()), "wallet {i}");
    }
    assert_statements_complete(one, &w, &plan, &expected);
    let export = one.get("/v1/journal/export");
    let legs = export
        .text
        .lines()
        .filter(|l| l.contains("collide-"))
        .count();
    assert_eq!(legs, plan.len() * 2, "each transfer is journaled once");
    // Their transaction rows page without a gap or an overlap, in the order they committed,
    // whichever host and batch wrote them (the batches renumber at their commit).
    let listed = listed_transactions(one);
    let transfers: Vec<&String> = listed
        .iter()
        .filter(|id| id.starts_with("collide-"))
        .collect();
    let distinct: std::collections::HashSet<&&String> = transfers.iter().collect();
    assert_eq!(transfers.len(), plan.len(), "every transfer listed once");
    assert_eq!(distinct.len(), plan.len());
    // The collisions did happen: some transfers met a row held by another batch of their host
    // and were run again on their own.
    let retried: u64 = [&first, &second].iter().map(|s| contended(s)).sum();
    println!("transfers run again after a collision: {retried}");
}

/// Each wallet's statement walks its entries back through each one's previous entry: it holds
/// every leg of the wallet's transfers in `plan` (from, to, amount), whichever host and batch
/// wrote it, and the funding deposit's two entries, and its newest running balance is `expected`.
fn assert_statements_complete(
    api: Api<'_>,
    w: &[String],
    plan: &[(usize, usize, u64)],
    expected: &HashMap<usize, i64>,
) {
    for (i, id) in w.iter().enumerate() {
        let legs = plan.iter().filter(|(a, b, _)| *a == i || *b == i).count();
        let page = api.get(&format!("/v1/wallets/virtual/{id}/statement?limit=500"));
        assert_eq!(page.status, 200, "{}", page.text);
        let entries = page.json["data"].as_array().unwrap();
        let collided = entries
            .iter()
            .filter(|e| e["movement_id"].as_str().unwrap().starts_with("collide-"))
            .count();
        assert_eq!(collided, legs, "wallet {i}: every leg of its transfers");
        // And the funding deposit's two entries (pending, then confirmed).
        assert_eq!(entries.len(), legs + 2, "wallet {i}");
        assert_eq!(
            d(entries[0]["balance_after"].as_str().unwrap()),
            d(&expected[&i].to_string()),
            "wallet {i}"
        );
    }
}

/// Worker `worker` of 8: every 8th transfer of the plan (from, to, amount) over the wallets
/// `w`, under its own Idempotency-Key; every third key is sent to both hosts at the same moment,
/// the others to one host or the other. Each is answered 201.
fn send_colliding(worker: usize, plan: &[(usize, usize, u64)], w: &[String], hosts: (Api, Api)) {
    let (one, two) = hosts;
    for (i, (a, b, amount)) in plan.iter().enumerate().skip(worker).step_by(8) {
        let path = format!("/v1/wallets/virtual/{}/transfer", w[*a]);
        let body = json!({"to_wallet_id": w[*b], "token": "USDT", "amount": amount.to_string()});
        let idem = format!("collide-{i}");
        if i % 3 == 0 {
            std::thread::scope(|both| {
                let (path, body, idem) = (&path, &body, &idem);
                let other = both.spawn(move || two.post_idem(path, idem, body).status);
                assert_eq!(one.post_idem(path, idem, body).status, 201);
                assert_eq!(other.join().unwrap(), 201);
            });
        } else {
            let api = if i % 2 == 0 { one } else { two };
            let r = api.post_idem(&path, &idem, &body);
            assert_eq!(r.status, 201, "{}", r.text);
        }
    }
}

/// The ids of every transaction, paged 7 at a time.
fn listed_transactions(api: Api<'_>) -> Vec<String> {
    let mut listed = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = api.get(&format!("/v1/transactions?limit=7{cursor}"));
        assert_eq!(page.status, 200, "{}", page.text);
        for t in page.json["data"].as_array().unwrap() {
            listed.push(t["id"].as_str().unwrap().to_owned());
        }
        match page.json["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    listed
}

/// How many operations a host ran again after they met a row held by another batch.
fn contended(s: &Server) -> u64 {
    let text = s.call("GET", "/metrics", None, None).text;
    text.lines()
        .find_map(|l| l.strip_prefix("waas_contended_operations_total "))
        .map_or(0, |n| n.trim().parse().unwrap())
}

#[test]
fn two_hosts_share_one_client() {
    let Some((_db, first, second, key)) = two_hosts("two_hosts") else {
        return;
    };
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

/// Two host processes on one SQLite file, taking turns on the same wallets: each host keeps the
/// wallets its batches committed (docs/HOST.md, "Kept wallets"), and must drop them when the other
/// host wrote the client's books meanwhile. Every transfer lands on the balances as they are in
/// the file, and the exported journal (its running balances and hash chain) verifies.
#[test]
fn two_hosts_on_one_sqlite_file_take_turns_on_the_same_wallets() {
    let Some((db, first)) = setup(Backend::Sqlite, "kept_wallets", &Opts::default()) else {
        panic!("a SQLite database can always be made");
    };
    let second = Server::restart(&db, &Opts::default());
    let key = first.key().to_owned();
    let (a, b) = (
        Api {
            s: &first,
            key: &key,
        },
        Api {
            s: &second,
            key: &key,
        },
    );
    let w = funded(a, 2, "100");
    let mut expected = d("100");
    for (round, amount) in ["1", "2", "3", "4", "5", "6"].iter().enumerate() {
        // Two transfers on one host, so its second one starts from the wallets it kept.
        let (host, other) = if round % 2 == 0 { (a, b) } else { (b, a) };
        host.transfer(&w[0], &w[1], amount).ok(201);
        host.transfer(&w[0], &w[1], amount).ok(201);
        expected -= d(amount) * d("2");
        assert_eq!(
            other.total(&w[0]),
            expected,
            "round {round}, read on the other host"
        );
        assert_eq!(host.total(&w[0]), expected, "round {round}");
    }
    assert_eq!(a.total(&w[1]), d("200") - expected);
    let export = a.get("/v1/journal/export");
    assert_eq!(export.status, 200);
    let (code, out, err) = support::verify_journal(&export.text);
    assert_eq!(code, 0, "the journal verifies: {out} {err}");
}
