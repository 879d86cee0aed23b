#![allow(clippy::unwrap_used)]
//! End-to-end tests of the journal over real HTTP, on SQLite and PostgreSQL: statements with
//! running balances and cursors, balances at a past time, the JSON Lines export checked by
//! `waas ledger verify` (and caught when one digit changes), and books kept before the journal.

mod support;

use serde_json::{json, Value};
use std::collections::BTreeSet;
use support::api::{d, dec, setup, Api};
use support::{Backend, Opts};

/// Every entry of a statement, page by page (`limit` each); checks the cursors on the way.
fn statement_pages(api: Api<'_>, path: &str, limit: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
            None => format!("{path}{sep}limit={limit}"),
        };
        let page = api.get(&url).ok(200).clone();
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= limit, "{url}: page longer than its limit");
        out.extend(data.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => {
                assert_eq!(data.len(), limit, "{url}: a short page has a next cursor");
                cursor = Some(c.to_owned());
            }
            None => return out,
        }
    }
}

/// Runs `waas ledger verify` on a text: (exit code, stdout, stderr).
fn verify(text: &str) -> (i32, String, String) {
    support::verify_journal(text)
}

fn export(api: Api<'_>, query: &str) -> String {
    let r = api.get(&format!("/v1/journal/export{query}"));
    assert_eq!(r.status, 200, "{}", r.text);
    r.text.clone()
}

/// Changes one digit of the first line that has a `balance_after` of 1 to 9.
fn tamper(text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for line in &mut lines {
        let mut e: Value = serde_json::from_str(line).unwrap();
        let b = e["balance_after"].as_str().unwrap().to_owned();
        if let Some(pos) = b.find(|c: char| ('1'..='8').contains(&c)) {
            let mut changed = b.clone();
            let digit = changed.as_bytes()[pos] + 1;
            changed.replace_range(pos..=pos, &(digit as char).to_string());
            e["balance_after"] = json!(changed);
            *line = e.to_string();
            return lines.join("\n") + "\n";
        }
    }
    panic!("no entry to tamper with");
}

fn statements_and_balances_at(backend: Backend) {
    let Some((_db, s)) = setup(backend, "journal_statements", &Opts::default()) else {
        return;
    };
    let api = Api {
        s: &s,
        key: s.key(),
    };
    let acc = api.account("a");
    let (w1, addr1) = api.wallet(&acc, "ethereum");
    let (w2, _) = api.wallet(&acc, "ethereum");
    api.deposit(&addr1, "USDT", "25", "dep-1");
    api.confirm("dep-1");
    for (i, amount) in ["2", "3", "1.5", "0.25", "4"].iter().enumerate() {
        std::thread::sleep(std::time::Duration::from_millis(15));
        let r = api.post_idem(
            &format!("/v1/wallets/virtual/{w1}/transfer"),
            &format!("t-{i}"),
            &json!({"to_wallet_id": w2, "token": "USDT", "amount": amount}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
    }
    // The whole statement, newest first: 5 transfers, the confirmation, the deposit.
    let all = statement_pages(api, &format!("/v1/wallets/virtual/{w1}/statement"), 500);
    let movements: Vec<&str> = all
        .iter()
        .map(|e| e["movement_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        movements,
        ["t-4", "t-3", "t-2", "t-1", "t-0", "dep-1", "dep-1"]
    );
    let amounts: Vec<_> = all.iter().map(|e| dec(&e["amount"])).collect();
    assert_eq!(
        amounts,
        [
            d("-4"),
            d("-0.25"),
            d("-1.5"),
            d("-3"),
            d("-2"),
            d("0"),
            d("25")
        ]
    );
    // Running balances: each is the one before it (older) plus its amount.
    for pair in all.windows(2) {
        let (newer, older) = (&pair[0], &pair[1]);
        assert_eq!(
            dec(&older["balance_after"]) + dec(&newer["amount"]),
            dec(&newer["balance_after"])
        );
        assert!(newer["seq"].as_u64() > older["seq"].as_u64());
    }
    assert_eq!(dec(&all[0]["balance_after"]), d("14.25"));
    assert_eq!(dec(&all[0]["balance_after"]), api.balance(&w1, "USDT").2);
    for key in [
        "id",
        "token",
        "amount",
        "balance_after",
        "movement_id",
        "created_at",
    ] {
        assert!(all[0].get(key).is_some(), "statement entry without {key}");
    }
    // Pages of 2 and of 3 give the same entries, complete and without overlap.
    for limit in [1, 2, 3] {
        let paged = statement_pages(api, &format!("/v1/wallets/virtual/{w1}/statement"), limit);
        assert_eq!(paged, all, "pages of {limit}");
        let ids: BTreeSet<_> = paged.iter().map(|e| e["id"].clone().to_string()).collect();
        assert_eq!(ids.len(), all.len());
    }
    // Stable under inserts: a cursor taken before a new transfer continues where it was.
    let first = api
        .get(&format!("/v1/wallets/virtual/{w1}/statement?limit=3"))
        .ok(200)
        .clone();
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    api.transfer(&w1, &w2, "1").ok(201);
    let rest = api
        .get(&format!(
            "/v1/wallets/virtual/{w1}/statement?limit=500&cursor={cursor}"
        ))
        .ok(200)
        .clone();
    assert_eq!(rest["data"].as_array().unwrap()[..], all[3..]);
    // The receiving wallet's statement, and a token filter.
    let w2s = statement_pages(
        api,
        &format!("/v1/wallets/virtual/{w2}/statement?token=usdt"),
        500,
    );
    assert_eq!(w2s.len(), 6);
    assert_eq!(dec(&w2s[0]["balance_after"]), d("11.75"));
    let none = api
        .get(&format!("/v1/wallets/virtual/{w1}/statement?token=ETH"))
        .ok(200)
        .clone();
    assert_eq!(none["data"], json!([]));
    // Balances at the time of each entry (15 ms apart): what they were then.
    for e in &all[..6] {
        let at = e["created_at"].as_str().unwrap();
        let then = api
            .get(&format!("/v1/wallets/virtual/{w1}/balance?at={at}"))
            .ok(200)
            .clone();
        assert_eq!(
            dec(&then["balances"]["USDT"]["total"]),
            dec(&e["balance_after"]),
            "at {at}"
        );
    }
    let before = api
        .get(&format!(
            "/v1/wallets/virtual/{w1}/balance?at=2000-01-01T00:00:00Z"
        ))
        .ok(200)
        .clone();
    assert_eq!(before["balances"], json!({}));
    // Bad queries: a clear 400 with a code, never ignored.
    api.get(&format!("/v1/wallets/virtual/{w1}/balance?at=yesterday"))
        .err(400, "INVALID_ARGUMENT");
    api.get(&format!("/v1/wallets/virtual/{w1}/statement?colour=red"))
        .err(400, "INVALID_ARGUMENT");
    api.get(&format!("/v1/wallets/virtual/{w1}/statement?limit=501"))
        .err(400, "INVALID_ARGUMENT");
    api.get(&format!("/v1/wallets/virtual/{w1}/statement?cursor=x"))
        .err(400, "INVALID_ARGUMENT");
    api.get("/v1/wallets/virtual/vw_nope/statement")
        .err(404, "NOT_FOUND");
    // Holding statement: the sweep of the deposit moved 25 into the holding position.
    let h = statement_pages(api, "/v1/wallets/holding/ethereum/statement", 500);
    let holding = api.get("/v1/wallets/holding/ethereum").ok(200).clone();
    let last = h
        .first()
        .map(|e| dec(&e["balance_after"]))
        .unwrap_or_default();
    assert_eq!(last, dec(&holding["reserve"]["USDT"]["holding"]));
    // Another client sees none of it.
    let other = api
        .post("/v1/management/clients", json!({"name": "other"}))
        .ok(201)
        .clone();
    let other = Api {
        s: &s,
        key: other["api_key"].as_str().unwrap(),
    };
    other
        .get(&format!("/v1/wallets/virtual/{w1}/statement"))
        .err(404, "NOT_FOUND");
    assert_eq!(export(other, ""), "");
}

fn export_verifies_and_tampering_is_caught(backend: Backend) {
    let Some((db, s)) = setup(backend, "journal_export", &Opts::default()) else {
        return;
    };
    let api = Api {
        s: &s,
        key: s.key(),
    };
    let acc = api.account("a");
    let (w1, a1) = api.funded(&acc, "ethereum", "40");
    let (w2, _) = api.wallet(&acc, "ethereum");
    api.transfer(&w1, &w2, "7.5").ok(201);
    api.deposit(&a1, "USDT", "0.5", "small-1"); // below the minimum: suspense
    api.deposit(&a1, "USDT", "3", "reorged");
    api.post("/v1/simulate/reorg", json!({"tx": "reorged"}))
        .ok(200);
    let text = export(api, "");
    let lines = text.lines().count();
    assert!(lines >= 8, "{text}");
    let (code, out, err) = verify(&text);
    assert_eq!(
        (code, out.trim()),
        (0, format!("ok {lines} entries").as_str()),
        "{err}"
    );
    // One digit changed: exit 2, the first bad entry named.
    let (code, out, err) = verify(&tamper(&text));
    assert_eq!(code, 2, "{out}");
    assert!(err.starts_with("error: JOURNAL_MISMATCH: line "), "{err}");
    // A line dropped: the chain breaks.
    let dropped: Vec<&str> = text
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 2)
        .map(|(_, l)| l)
        .collect();
    assert_eq!(verify(&dropped.join("\n")).0, 2);
    // A period: from the time of the transfer on, it verifies as a part of the chain.
    let entries: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let from = entries[entries.len() / 2]["created_at"].as_str().unwrap();
    let part = export(api, &format!("?from={from}"));
    assert!(part.lines().count() < lines && !part.is_empty());
    assert_eq!(verify(&part).0, 0);
    let empty = export(api, "?to=2000-01-01T00:00:00Z");
    assert_eq!(empty, "");
    api.get("/v1/journal/export?since=x")
        .err(400, "INVALID_ARGUMENT");
    // Every wallet's balance is what the journal says.
    for w in [&w1, &w2] {
        let last = entries
            .iter()
            .rev()
            .find(|e| e["account"] == json!(format!("wallet:{w}")))
            .unwrap();
        assert_eq!(dec(&last["balance_after"]), api.balance(w, "USDT").2);
    }
    drop(s);
    drop(db);
}

macro_rules! suite {
    ($backend:ident, $variant:expr) => {
        mod $backend {
            use super::*;
            #[test]
            fn statements_and_balances_at() {
                super::statements_and_balances_at($variant);
            }
            #[test]
            fn export_verifies_and_tampering_is_caught() {
                super::export_verifies_and_tampering_is_caught($variant);
            }
        }
    };
}

suite!(sqlite, Backend::Sqlite);
suite!(postgres, Backend::Postgres);
