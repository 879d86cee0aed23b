//! The journal: statements with running balances and cursors, balances at a past time, the JSON
//! Lines export checked by `waas ledger verify` (and caught when one digit changes).

use crate::app::App;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

/// A wallet funded with 25 USDT (deposited, confirmed) that sent five transfers (`t-0` to
/// `t-4`, 15 ms apart) to a sibling: (wallet, sibling, the wallet's whole statement).
async fn five_transfers(app: &App) -> (String, String, Vec<Value>) {
    let acc = app.account("a").await;
    let (w1, addr1) = app.wallet(&acc, "ethereum").await;
    let (w2, _) = app.wallet(&acc, "ethereum").await;
    app.deposit(&addr1, "USDT", "25", "dep-1").await;
    app.confirm("dep-1").await;
    for (i, amount) in ["2", "3", "1.5", "0.25", "4"].iter().enumerate() {
        tokio::time::sleep(Duration::from_millis(15)).await;
        let body = json!({"to_wallet_id": w2, "token": "USDT", "amount": amount});
        app.post_idem(
            &format!("/v1/wallets/virtual/{w1}/transfer"),
            &format!("t-{i}"),
            body,
        )
        .await
        .ok(201);
    }
    let all = app
        .all_pages(&format!("/v1/wallets/virtual/{w1}/statement"), 500)
        .await;
    (w1, w2, all)
}

fn field<'a>(entries: &'a [Value], name: &str) -> Vec<&'a str> {
    entries.iter().map(|e| e[name].as_str().unwrap()).collect()
}

/// A decimal string's value, normalized (no trailing zeros).
fn dec(v: &Value) -> rust_decimal::Decimal {
    let d: rust_decimal::Decimal = v.as_str().unwrap().parse().unwrap();
    d.normalize()
}

async fn a_statement_lists_entries_newest_first_with_running_balances(app: App) {
    let (w1, _, all) = five_transfers(&app).await;
    let movements = field(&all, "movement_id");
    assert_eq!(
        movements,
        ["t-4", "t-3", "t-2", "t-1", "t-0", "dep-1", "dep-1"]
    );
    let amounts: Vec<_> = all.iter().map(|e| dec(&e["amount"]).to_string()).collect();
    assert_eq!(amounts, ["-4", "-0.25", "-1.5", "-3", "-2", "0", "25"]);
    // Each balance is the one before it (older) plus its amount.
    for pair in all.windows(2) {
        let (newer, older) = (&pair[0], &pair[1]);
        let running = dec(&older["balance_after"]) + dec(&newer["amount"]);
        assert_eq!(running, dec(&newer["balance_after"]));
        assert!(newer["seq"].as_u64() > older["seq"].as_u64());
    }
    assert_eq!(dec(&all[0]["balance_after"]).to_string(), "14.25");
    assert_eq!(dec(&json!(app.total(&w1).await)).to_string(), "14.25");
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
}

async fn statement_pages_are_complete_and_a_cursor_survives_a_new_entry(app: App) {
    let (w1, w2, all) = five_transfers(&app).await;
    let path = format!("/v1/wallets/virtual/{w1}/statement");
    for limit in [1, 2, 3] {
        let paged = app.all_pages(&path, limit).await;
        assert_eq!(paged, all, "pages of {limit}");
        let ids: BTreeSet<String> = paged.iter().map(|e| e["id"].to_string()).collect();
        assert_eq!(ids.len(), all.len());
    }
    let first = app.get(&format!("{path}?limit=3")).await;
    let cursor = first.ok(200)["next_cursor"].as_str().unwrap().to_owned();
    app.transfer(&w1, &w2, "1").await.ok(201);
    let rest = app.get(&format!("{path}?limit=500&cursor={cursor}")).await;
    assert_eq!(rest.ok(200)["data"].as_array().unwrap()[..], all[3..]);
}

async fn the_receiver_has_its_statement_and_a_token_filter_narrows_it(app: App) {
    let (w1, w2, _) = five_transfers(&app).await;
    let path = format!("/v1/wallets/virtual/{w2}/statement?token=usdt");
    let w2s = app.all_pages(&path, 500).await;
    assert_eq!(w2s.len(), 5);
    assert_eq!(dec(&w2s[0]["balance_after"]).to_string(), "10.75");
    let none = app
        .get(&format!("/v1/wallets/virtual/{w1}/statement?token=ETH"))
        .await;
    assert_eq!(none.ok(200)["data"], json!([]));
}

async fn a_balance_at_a_past_time_is_what_it_was_then(app: App) {
    let (w1, _, all) = five_transfers(&app).await;
    for e in &all[..6] {
        let at = e["created_at"].as_str().unwrap();
        let then = app
            .get(&format!("/v1/wallets/virtual/{w1}/balance?at={at}"))
            .await;
        let total = dec(&then.ok(200)["balances"]["USDT"]["total"]);
        assert_eq!(total, dec(&e["balance_after"]), "at {at}");
    }
    let at = "2000-01-01T00:00:00Z";
    let before = app
        .get(&format!("/v1/wallets/virtual/{w1}/balance?at={at}"))
        .await;
    assert_eq!(before.ok(200)["balances"], json!({}));
}

async fn bad_statement_and_balance_queries_are_refused(app: App) {
    let acc = app.account("a").await;
    let (w1, _) = app.wallet(&acc, "ethereum").await;
    for query in [
        "balance?at=yesterday",
        "statement?colour=red",
        "statement?limit=501",
        "statement?cursor=x",
    ] {
        app.get(&format!("/v1/wallets/virtual/{w1}/{query}"))
            .await
            .err(400, "INVALID_ARGUMENT");
    }
    app.get("/v1/wallets/virtual/vw_nope/statement")
        .await
        .err(404, "NOT_FOUND");
}

async fn the_holding_statement_ends_at_the_holding_position(app: App) {
    five_transfers(&app).await;
    let h = app
        .all_pages("/v1/wallets/holding/ethereum/statement", 500)
        .await;
    let holding = app.get("/v1/wallets/holding/ethereum").await;
    let position = dec(&holding.ok(200)["reserve"]["USDT"]["holding"]);
    assert_eq!(dec(&h[0]["balance_after"]), position);
    assert_eq!(position.to_string(), "25");
}

async fn another_client_sees_no_statement_and_an_empty_export(app: App) {
    let (w1, _, _) = five_transfers(&app).await;
    let other = app
        .post("/v1/management/clients", json!({"name": "other"}))
        .await;
    let key = other.ok(201)["api_key"].as_str().unwrap().to_owned();
    let path = format!("/v1/wallets/virtual/{w1}/statement");
    app.send(Some(&key), "GET", &path, &[], None)
        .await
        .err(404, "NOT_FOUND");
    assert_eq!(
        app.get_text(&key, "/v1/journal/export").await,
        (200, String::new())
    );
}

/// Runs `waas ledger verify` on a text: (exit code, stdout, stderr).
fn verify(text: &str) -> (i32, String, String) {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path =
        std::env::temp_dir().join(format!("waas_api_journal_{}_{n}.jsonl", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_waas"))
        .args(["ledger", "verify"])
        .arg(&path)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// Changes one digit (1 to 8, made one higher) of the first `balance_after` that has one.
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

/// A transfer, a deposit under the minimum and a reorged deposit: the export's text.
async fn an_eventful_export(app: &App) -> (String, String, String) {
    let acc = app.account("a").await;
    let (w1, a1) = app.funded(&acc, "ethereum", "40").await;
    let (w2, _) = app.wallet(&acc, "ethereum").await;
    app.transfer(&w1, &w2, "7.5").await.ok(201);
    app.deposit(&a1, "USDT", "0.5", "small-1").await; // below the minimum: suspense
    app.deposit(&a1, "USDT", "3", "reorged").await;
    app.post("/v1/simulate/reorg", json!({"tx": "reorged"}))
        .await
        .ok(200);
    let (status, text) = app.get_text(app.key(), "/v1/journal/export").await;
    assert_eq!(status, 200, "{text}");
    (w1, w2, text)
}

async fn an_export_verifies_and_a_changed_digit_or_a_dropped_line_is_caught(app: App) {
    let (_, _, text) = an_eventful_export(&app).await;
    let lines = text.lines().count();
    assert!(lines >= 8, "{text}");
    let (code, out, err) = verify(&text);
    assert_eq!(
        (code, out.trim()),
        (0, format!("ok {lines} entries").as_str()),
        "{err}"
    );
    let (code, out, err) = verify(&tamper(&text));
    assert_eq!(code, 2, "{out}");
    assert!(err.starts_with("error: JOURNAL_MISMATCH: line "), "{err}");
    let dropped: Vec<&str> = text
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 2)
        .map(|(_, l)| l)
        .collect();
    assert_eq!(verify(&dropped.join("\n")).0, 2);
}

async fn an_export_of_a_period_verifies_as_part_of_the_chain(app: App) {
    let (_, _, text) = an_eventful_export(&app).await;
    let entries: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let from = entries[entries.len() / 2]["created_at"].as_str().unwrap();
    let (_, part) = app
        .get_text(app.key(), &format!("/v1/journal/export?from={from}"))
        .await;
    assert!(part.lines().count() < entries.len() && !part.is_empty());
    assert_eq!(verify(&part).0, 0);
    let empty = app
        .get_text(app.key(), "/v1/journal/export?to=2000-01-01T00:00:00Z")
        .await;
    assert_eq!(empty, (200, String::new()));
    app.get("/v1/journal/export?since=x")
        .await
        .err(400, "INVALID_ARGUMENT");
}

async fn each_wallet_balance_is_what_the_journal_says(app: App) {
    let (w1, w2, text) = an_eventful_export(&app).await;
    let entries: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for w in [&w1, &w2] {
        let account = json!(format!("wallet:{w}"));
        let last = entries
            .iter()
            .rev()
            .find(|e| e["account"] == account)
            .unwrap();
        let total = dec(&json!(app.total(w).await));
        assert_eq!(dec(&last["balance_after"]), total);
    }
}

/// Every entry names its account's previous entry (`prev_seq`), as the index by account finds
/// it: across operations, batches, deposits, reversals and two wallets sending to each other.
async fn each_entry_names_its_accounts_previous_entry(app: App) {
    let (w1, w2, _) = an_eventful_export(&app).await;
    let moves = (0..6).map(|i| {
        let (from, to) = if i % 2 == 0 { (&w1, &w2) } else { (&w2, &w1) };
        app.transfer(from, to, "0.5")
    });
    for answer in futures_util::future::join_all(moves).await {
        answer.ok(201);
    }
    let row = sqlx::query(
        "SELECT COUNT(*) AS broken, (SELECT COUNT(*) FROM journal) AS entries FROM journal AS j \
         WHERE j.prev_seq IS DISTINCT FROM (SELECT MAX(e.seq) FROM journal AS e \
         WHERE e.client_id = j.client_id AND e.account = j.account AND e.seq < j.seq)",
    )
    .fetch_one(app.state().store.pool())
    .await
    .unwrap();
    use sqlx::Row;
    assert_eq!(row.try_get::<i64, _>("broken").unwrap(), 0);
    assert!(row.try_get::<i64, _>("entries").unwrap() > 20);
}

/// A wallet whose one ETH entry lies behind more USDT entries than a walk reads at a time: the
/// ETH statement, the pages of the USDT one and its balance before the ETH deposit are found
/// all the same.
async fn a_long_account_history_is_walked_past_other_tokens(app: App) {
    let acc = app.account("a").await;
    let (w1, a1) = app.wallet(&acc, "ethereum").await;
    let (w2, _) = app.wallet(&acc, "ethereum").await;
    let prices = json!({"usd_prices": {"ETH": "3000"}});
    app.put("/v1/management/configurations", prices)
        .await
        .ok(200);
    app.deposit(&a1, "ETH", "1", "eth-1").await;
    app.confirm("eth-1").await;
    let before_usdt = app
        .get(&format!("/v1/wallets/virtual/{w1}/statement"))
        .await;
    let eth_at = before_usdt.ok(200)["data"][0]["created_at"].clone();
    app.deposit(&a1, "USDT", "1000", "usdt-1").await;
    app.confirm("usdt-1").await;
    for _ in 0..6 {
        let moves = (0..100).map(|_| app.transfer(&w1, &w2, "0.01"));
        for answer in futures_util::future::join_all(moves).await {
            answer.ok(201);
        }
    }
    let eth = app
        .all_pages(&format!("/v1/wallets/virtual/{w1}/statement?token=ETH"), 2)
        .await;
    assert_eq!(
        field(&eth, "token"),
        ["ETH", "ETH"],
        "deposited, then confirmed"
    );
    let usdt = app
        .all_pages(
            &format!("/v1/wallets/virtual/{w1}/statement?token=USDT"),
            250,
        )
        .await;
    assert_eq!(usdt.len(), 602);
    let seqs: Vec<u64> = usdt.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|p| p[0] > p[1]),
        "newest first, no repeats"
    );
    assert_eq!(dec(&usdt[0]["balance_after"]).to_string(), "994");
    let at = eth_at.as_str().unwrap();
    let then = app
        .get(&format!("/v1/wallets/virtual/{w1}/balance?at={at}"))
        .await;
    let then = then.ok(200);
    assert_eq!(dec(&then["balances"]["ETH"]["total"]).to_string(), "1");
    assert!(then["balances"].get("USDT").is_none(), "{then}");
}

crate::on_both!(
    a_statement_lists_entries_newest_first_with_running_balances,
    statement_pages_are_complete_and_a_cursor_survives_a_new_entry,
    the_receiver_has_its_statement_and_a_token_filter_narrows_it,
    a_balance_at_a_past_time_is_what_it_was_then,
    bad_statement_and_balance_queries_are_refused,
    the_holding_statement_ends_at_the_holding_position,
    another_client_sees_no_statement_and_an_empty_export,
    an_export_verifies_and_a_changed_digit_or_a_dropped_line_is_caught,
    an_export_of_a_period_verifies_as_part_of_the_chain,
    each_wallet_balance_is_what_the_journal_says,
    each_entry_names_its_accounts_previous_entry,
    a_long_account_history_is_walked_past_other_tokens,
);
