//! A database written by the previous version opens under this one and is migrated to rows.
//!
//! The fixtures in `tests/fixtures/v1/` were written by the host at commit ee13af9, which kept
//! each client's books as one JSON document (`ledgers.state`): a SQLite file, and a PostgreSQL
//! dump (`pg_dump --inserts`), each with what that version answered for every wallet, the holding
//! wallet, its reserve report, the transactions, the rules and the contract (`*.json`). The test
//! opens a copy under this version, compares every answer, checks that the document is gone and no
//! stored value exceeds 64 KiB, verifies the journal, and goes on working on the migrated books.
//!
//! `write_fixture` (ignored) is the generator, not a test: with `WAAS_OLD_BIN` pointing at a
//! binary of that commit it writes the fixtures again.

#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Command;
use support::api::{d, Api};
use support::{rt, Backend, Db, Opts, Server};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1")
}

/// The options both versions run with: the test mnemonic from a key file (so that addresses
/// and sealed secrets do not depend on a sandbox key file), deposits pending until confirmed.
fn opts(release_bin: Option<PathBuf>) -> Opts {
    Opts {
        release_bin,
        extra_args: vec![
            "--key-file".into(),
            fixtures().join("mnemonic.txt").display().to_string(),
        ],
        ..Opts::default()
    }
}

/// What the test compares: every answer that shows the books.
fn observe(api: Api<'_>, ids: &Value) -> Value {
    let mut wallets = serde_json::Map::new();
    for id in ["w1", "w2", "w3", "w4"] {
        let w = ids[id].as_str().unwrap();
        wallets.insert(
            id.into(),
            api.get(&format!("/v1/wallets/virtual/{w}")).ok(200).clone(),
        );
    }
    let w2 = ids["w2"].as_str().unwrap();
    json!({
        "wallets": wallets,
        "virtual": api.get("/v1/wallets/virtual?limit=500").ok(200)["data"].clone(),
        "holding": api.get("/v1/wallets/holding/ethereum").ok(200).clone(),
        "reserve": api.get("/v1/wallets/holding/ethereum/reserve").ok(200).clone(),
        "transactions": api.get("/v1/transactions?limit=500").ok(200)["data"].clone(),
        "rules": api.get(&format!("/v1/wallets/virtual/{w2}/rules")).ok(200).clone(),
        "contract": api.get("/v1/management/contracted-products").ok(200).clone(),
    })
}

/// The activity the fixture holds (run on the previous version).
fn activity(api: Api<'_>) -> Value {
    let acc = api.account("a");
    let acc2 = api.account("b");
    let (w1, a1) = api.funded(&acc, "ethereum", "30");
    let (w2, a2) = api.wallet(&acc, "ethereum");
    let (w3, _) = api.wallet(&acc2, "ethereum");
    let (w4, _) = api.wallet(&acc2, "ethereum");
    api.transfer(&w1, &w2, "4.5").ok(201);
    // A pending deposit, confirmed only after the migration.
    api.deposit(&a1, "USDT", "2", "pending-1");
    // A rule that forwards half of w2's deposits to w3.
    api.post(
        &format!("/v1/wallets/virtual/{w2}/rules"),
        json!({"rule": "half", "on": "deposit", "token": "USDT", "action": {"type": "forward", "to": w3, "percent": "50"}}),
    )
    .ok(201);
    api.post(&format!("/v1/wallets/virtual/{w4}/deactivate"), json!({}))
        .ok(200);
    json!({"w1": w1, "w2": w2, "w3": w3, "w4": w4, "a1": a1, "a2": a2})
}

#[test]
#[ignore = "generator of tests/fixtures/v1 (needs WAAS_OLD_BIN, a binary of commit ee13af9)"]
fn write_fixture() {
    let old = PathBuf::from(std::env::var("WAAS_OLD_BIN").expect("WAAS_OLD_BIN"));
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let db = Db::fresh(backend, "fixture").unwrap();
        let s = Server::start(&db, &opts(Some(old.clone())));
        let api = Api {
            s: &s,
            key: s.key(),
        };
        let ids = activity(api);
        let seen = observe(api, &ids);
        let key = s.key().to_owned();
        drop(s);
        let name = match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        let out = json!({"api_key": key, "ids": ids, "observed": seen});
        std::fs::write(
            fixtures().join(format!("{name}.json")),
            serde_json::to_string_pretty(&out).unwrap(),
        )
        .unwrap();
        match backend {
            Backend::Sqlite => {
                let path = db.url.trim_start_matches("sqlite://").to_owned();
                rt().block_on(async {
                    sqlx::any::install_default_drivers();
                    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
                    for sql in ["PRAGMA wal_checkpoint(TRUNCATE)", "VACUUM"] {
                        sqlx::query(sql).execute(&pool).await.unwrap();
                    }
                    pool.close().await;
                });
                std::fs::copy(&path, fixtures().join("sqlite.db")).unwrap();
            }
            Backend::Postgres => {
                let dump = Command::new("pg_dump")
                    .args(["--inserts", "--no-owner", "--no-privileges", &db.url])
                    .output()
                    .unwrap();
                assert!(dump.status.success());
                // psql's meta-commands (`\restrict`) are not SQL: the test runs the dump itself.
                let sql: String = String::from_utf8(dump.stdout)
                    .unwrap()
                    .lines()
                    .filter(|l| !l.starts_with('\\'))
                    .map(|l| format!("{l}\n"))
                    .collect();
                std::fs::write(fixtures().join("postgres.sql"), sql).unwrap();
            }
        }
    }
}

/// Opens a copy of the fixture of `backend` (its database, its expectations).
fn open_fixture(backend: Backend, test: &str) -> Option<(Db, Value)> {
    let name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join(format!("{name}.json"))).unwrap(),
    )
    .unwrap();
    let db = match backend {
        Backend::Sqlite => {
            let fresh = Db::fresh(Backend::Sqlite, test)?;
            let path = PathBuf::from(fresh.url.trim_start_matches("sqlite://"));
            drop(fresh);
            std::fs::copy(fixtures().join("sqlite.db"), &path).unwrap();
            Db::sqlite_at(path)
        }
        Backend::Postgres => {
            let db = Db::fresh(Backend::Postgres, test)?;
            let dump = std::fs::read_to_string(fixtures().join("postgres.sql")).unwrap();
            rt().block_on(async {
                sqlx::any::install_default_drivers();
                let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
                sqlx::raw_sql(&dump).execute(&pool).await.unwrap();
                pool.close().await;
            });
            db
        }
    };
    Some((db, expected))
}

/// Runs SQL on a database the host is not running on.
fn run_sql(db: &Db, statements: &[&str]) -> Vec<Vec<String>> {
    rt().block_on(async {
        use sqlx::Row;
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
        let mut out = Vec::new();
        for sql in statements {
            let rows = sqlx::query(sql).fetch_all(&pool).await.unwrap();
            out.push(
                rows.iter()
                    .map(|r| r.try_get::<String, _>(0).unwrap_or_default())
                    .collect(),
            );
        }
        pool.close().await;
        out
    })
}

/// Every field the previous version answered is answered the same; fields added since (such as
/// `available` and `held` in balances) are allowed.
fn assert_answers_kept(now: &Value, before: &Value, path: &str) {
    match (now, before) {
        (Value::Object(n), Value::Object(b)) => {
            for (k, v) in b {
                let here = format!("{path}.{k}");
                let got = n
                    .get(k)
                    .unwrap_or_else(|| panic!("{here} is gone: was {v}"));
                assert_answers_kept(got, v, &here);
            }
        }
        (Value::Array(n), Value::Array(b)) => {
            assert_eq!(n.len(), b.len(), "{path}: {now} vs {before}");
            for (i, (x, y)) in n.iter().zip(b).enumerate() {
                assert_answers_kept(x, y, &format!("{path}[{i}]"));
            }
        }
        _ => assert_eq!(now, before, "{path}"),
    }
}

fn verify(text: &str) -> (i32, String) {
    let (code, out, _) = support::verify_journal(text);
    (code, out)
}

/// The previous version's database opens, answers exactly as before, and works on.
fn migrates(backend: Backend, before_journal: bool) {
    let Some((db, expected)) = open_fixture(backend, "migration") else {
        return;
    };
    // The fixture's pending deposit was due on its simulated chain days ago: keep the chain from
    // confirming it on its own before the answers are compared (the test confirms it itself).
    run_sql(
        &db,
        &["UPDATE sim_deposits SET confirm_at = 9000000000000 WHERE status = 'pending'"],
    );
    if before_journal {
        // Books kept before the journal and the balance rows existed: the document is all
        // there is, and the balances must come out of it.
        run_sql(
            &db,
            &[
                "DELETE FROM journal",
                "DELETE FROM balances",
                "UPDATE ledgers SET journal_seq = 0, journal_hash = '0000000000000000000000000000000000000000000000000000000000000000', rows_ready = 0",
                "UPDATE wallets SET status = 'active', flags = '[]'",
            ],
        );
    }
    let s = Server::restart(&db, &opts(None));
    let api = Api {
        s: &s,
        key: expected["api_key"].as_str().unwrap(),
    };
    let ids = &expected["ids"];
    assert_answers_kept(&observe(api, ids), &expected["observed"], "observed");
    // The journal verifies; books from before it open with their balances.
    let r = api.get("/v1/journal/export");
    assert_eq!(r.status, 200, "{}", r.text);
    let (code, out) = verify(&r.text);
    assert_eq!(code, 0, "{out}");
    if before_journal {
        let first: Value = serde_json::from_str(r.text.lines().next().unwrap()).unwrap();
        assert_eq!(first["movement_id"], "opening");
    }
    // The books go on: the pending deposit confirms, the rule fires, a transfer moves.
    let w = |k: &str| ids[k].as_str().unwrap().to_owned();
    api.confirm("pending-1");
    assert_eq!(
        api.balance(&w("w1"), "USDT"),
        (d("27.5"), d("0"), d("27.5"))
    );
    api.deposit(ids["a2"].as_str().unwrap(), "USDT", "10", "after-1");
    assert_eq!(api.total(&w("w2")), d("9.5"));
    assert_eq!(api.total(&w("w3")), d("5"));
    api.transfer(&w("w1"), &w("w4"), "1").ok(201);
    api.transfer(&w("w4"), &w("w1"), "1")
        .err(422, "WALLET_INACTIVE");
    let r = api.get("/v1/journal/export");
    assert_eq!(verify(&r.text).0, 0);
    drop(s);
    // The document is gone and nothing stored is big.
    let rows = run_sql(
        &db,
        &[
            "SELECT state FROM ledgers",
            "SELECT CAST(MAX(LENGTH(body)) AS TEXT) FROM books",
            "SELECT terms FROM ledgers",
            CHAIN_BROKEN,
        ],
    );
    assert!(rows[0].iter().all(String::is_empty), "{:?}", rows[0]);
    assert!(rows[2].iter().all(|t| t.len() < 64 * 1024));
    // Entries written before and after the migration name their account's previous entry.
    assert_eq!(rows[3], vec!["0".to_owned()]);
}

/// How many journal entries do not name their account's previous entry (`prev_seq`), counted
/// against the index by account.
const CHAIN_BROKEN: &str = "SELECT CAST(COUNT(*) AS TEXT) FROM journal AS j WHERE j.prev_seq IS DISTINCT FROM (SELECT MAX(e.seq) FROM journal AS e WHERE e.client_id = j.client_id AND e.account = j.account AND e.seq < j.seq)";

#[test]
fn sqlite_database_of_previous_version_migrates() {
    migrates(Backend::Sqlite, false);
}

#[test]
fn sqlite_books_from_before_the_journal_migrate() {
    migrates(Backend::Sqlite, true);
}

#[test]
fn postgres_database_of_previous_version_migrates() {
    migrates(Backend::Postgres, false);
}

#[test]
fn postgres_books_from_before_the_journal_migrate() {
    migrates(Backend::Postgres, true);
}
