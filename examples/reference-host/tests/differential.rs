//! Differential property test: random command sequences run through the in-memory core ledger
//! and through the host's row store (a real `waas serve` on a fresh SQLite file, over HTTP) give
//! the same answers (success, or the same error code) and leave the same balances and statuses.
//!
//! The host keeps the books in rows and loads only what each operation names; the in-memory
//! ledger holds everything. A part the host failed to load, a part written back wrong, or a
//! pending deposit or rule lost between operations shows up as a difference.

#![allow(clippy::unwrap_used)]

mod support;

use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;
use support::api::Api;
use support::{Backend, Db, Opts, Server};
use waas_core::ledger::{Config, DepositRequest, Ledger};
use waas_core::Amount;

/// Wallets in each run.
const WALLETS: usize = 4;

#[derive(Debug, Clone)]
enum Cmd {
    Deposit { to: usize, amount: u32 },
    Confirm { pick: usize },
    Reorg { pick: usize },
    Transfer { from: usize, to: usize, amount: u32 },
    HoldingCredit { to: usize, amount: u32 },
    Deactivate { w: usize },
    Activate { w: usize },
    Rule { w: usize, to: usize, percent: u32 },
}

fn cmd() -> impl Strategy<Value = Cmd> {
    let w = 0..WALLETS;
    prop_oneof![
        3 => (w.clone(), 1u32..80).prop_map(|(to, amount)| Cmd::Deposit { to, amount }),
        2 => (0usize..8).prop_map(|pick| Cmd::Confirm { pick }),
        1 => (0usize..8).prop_map(|pick| Cmd::Reorg { pick }),
        4 => (w.clone(), w.clone(), 1u32..60)
            .prop_map(|(from, to, amount)| Cmd::Transfer { from, to, amount }),
        1 => (w.clone(), 1u32..30).prop_map(|(to, amount)| Cmd::HoldingCredit { to, amount }),
        1 => w.clone().prop_map(|w| Cmd::Deactivate { w }),
        1 => w.clone().prop_map(|w| Cmd::Activate { w }),
        1 => (w.clone(), w, 10u32..90).prop_map(|(w, to, percent)| Cmd::Rule { w, to, percent }),
    ]
}

/// Both sides of one run.
struct Run<'a> {
    api: Api<'a>,
    ledger: Ledger,
    /// Host wallet ids and addresses, by index (the ledger names them `w0`, `w1`, ...).
    host: Vec<(String, String)>,
    /// Deposits reported and not settled yet (tx ids), in order.
    pending: Vec<String>,
    n: usize,
}

fn code(r: &waas_core::Result<impl Sized>) -> Option<String> {
    r.as_ref().err().map(|e| e.code().as_str().to_owned())
}

fn host_code(r: &support::Resp) -> Option<String> {
    if r.status < 300 {
        None
    } else {
        Some(
            r.json["error"]["code"]
                .as_str()
                .unwrap_or("no code")
                .to_owned(),
        )
    }
}

impl Run<'_> {
    fn lw(i: usize) -> String {
        format!("w{i}")
    }

    /// Runs one command on both sides; returns (in-memory error code, host error code).
    fn step(&mut self, c: &Cmd) -> (Option<String>, Option<String>) {
        self.n += 1;
        let usdt = |n: u32| Amount::parse(&n.to_string(), 6).unwrap();
        match *c {
            Cmd::Deposit { to, amount } => {
                let tx = format!("d{}", self.n);
                let mine = self.ledger.deposit(DepositRequest {
                    tx: tx.clone(),
                    to: Self::lw(to),
                    token: "USDT".into(),
                    amount: usdt(amount),
                    usd_price: Decimal::ONE,
                });
                let r = self.api.post(
                    "/v1/simulate/deposit",
                    json!({"address": self.host[to].1, "token": "USDT", "amount": amount.to_string(), "tx": tx}),
                );
                if mine.is_ok() {
                    self.pending.push(tx);
                }
                (code(&mine), host_code(&r))
            }
            Cmd::Confirm { pick } | Cmd::Reorg { pick } => {
                if self.pending.is_empty() {
                    return (None, None);
                }
                let tx = self.pending.remove(pick % self.pending.len());
                let (mine, path) = if matches!(c, Cmd::Confirm { .. }) {
                    (code(&self.ledger.confirm(&tx)), "/v1/simulate/confirm")
                } else {
                    (code(&self.ledger.drop_deposit(&tx)), "/v1/simulate/reorg")
                };
                let r = self.api.post(path, json!({"tx": tx}));
                (mine, host_code(&r))
            }
            Cmd::Transfer { from, to, amount } => {
                let id = format!("t{}", self.n);
                let mine =
                    self.ledger
                        .transfer(&id, &Self::lw(from), &Self::lw(to), "USDT", usdt(amount));
                let r = self.api.post(
                    &format!("/v1/wallets/virtual/{}/transfer", self.host[from].0),
                    json!({"to_wallet_id": self.host[to].0, "token": "USDT", "amount": amount.to_string()}),
                );
                (code(&mine), host_code(&r))
            }
            Cmd::HoldingCredit { to, amount } => {
                let id = format!("h{}", self.n);
                let mine = self
                    .ledger
                    .holding_credit(&id, &Self::lw(to), "USDT", usdt(amount));
                let r = self.api.post(
                    "/v1/wallets/holding/ethereum/transfer",
                    json!({"to_wallet_id": self.host[to].0, "token": "USDT", "amount": amount.to_string()}),
                );
                (code(&mine), host_code(&r))
            }
            Cmd::Deactivate { w } | Cmd::Activate { w } => {
                let on = matches!(c, Cmd::Activate { .. });
                let mine = if on {
                    code(&self.ledger.activate(&Self::lw(w)))
                } else {
                    code(&self.ledger.deactivate(&Self::lw(w)))
                };
                let verb = if on { "activate" } else { "deactivate" };
                let r = self.api.post(
                    &format!("/v1/wallets/virtual/{}/{verb}", self.host[w].0),
                    json!({}),
                );
                (mine, host_code(&r))
            }
            Cmd::Rule { w, to, percent } => {
                let id = format!("r{}", self.n);
                let action = |target: &str| json!({"type": "forward", "to": target, "percent": percent.to_string()});
                let rule = waas_core::scenario::parse_rule(json!({
                    "rule": id, "wallet": Self::lw(w), "on": "deposit", "token": "USDT",
                    "action": action(&Self::lw(to)),
                }))
                .unwrap();
                let mine = self.ledger.add_rule(rule);
                let r = self.api.post(
                    &format!("/v1/wallets/virtual/{}/rules", self.host[w].0),
                    json!({"rule": id, "on": "deposit", "token": "USDT", "action": action(&self.host[to].0)}),
                );
                (code(&mine), host_code(&r))
            }
        }
    }

    /// Each wallet's (confirmed, unconfirmed, total) and status on both sides.
    fn books(&self) -> (Vec<Value>, Vec<Value>) {
        let mut mine = Vec::new();
        let mut theirs = Vec::new();
        for i in 0..WALLETS {
            let w = self.ledger.wallet(&Self::lw(i)).unwrap();
            let b = w.balances.get("USDT").copied().unwrap_or_default();
            mine.push(json!([
                b.confirmed().normalize().to_string(),
                b.unconfirmed().normalize().to_string(),
                b.total().normalize().to_string(),
                w.status.as_str(),
            ]));
            let v = self
                .api
                .get(&format!("/v1/wallets/virtual/{}", self.host[i].0))
                .ok(200)
                .clone();
            let part = |k: &str| {
                v["balances"]["USDT"][k]
                    .as_str()
                    .map(|s| Decimal::from_str(s).unwrap().normalize().to_string())
                    .unwrap_or_else(|| "0".to_owned())
            };
            theirs.push(json!([
                part("confirmed"),
                part("unconfirmed"),
                part("total"),
                v["status"]
            ]));
        }
        (mine, theirs)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, max_shrink_iters: 20, ..ProptestConfig::default() })]

    #[test]
    fn host_rows_agree_with_the_ledger(cmds in prop::collection::vec(cmd(), 10..40)) {
        let db = Db::fresh(Backend::Sqlite, "differential").unwrap();
        let s = Server::start(&db, &Opts::default());
        let api = Api { s: &s, key: s.key() };
        let acc = api.account("a");
        let mut ledger = Ledger::new(Config::default());
        ledger.create_account("c", "a").unwrap();
        let mut host = Vec::new();
        for i in 0..WALLETS {
            ledger.create_virtual_wallet("a", &format!("w{i}"), "ethereum").unwrap();
            host.push(api.wallet(&acc, "ethereum"));
        }
        let mut run = Run { api, ledger, host, pending: Vec::new(), n: 0 };
        for (i, c) in cmds.iter().enumerate() {
            let (mine, theirs) = run.step(c);
            prop_assert_eq!(mine, theirs, "command {} {:?}", i, c);
            let (mine, theirs) = run.books();
            prop_assert_eq!(mine, theirs, "after command {} {:?}", i, c);
        }
    }
}
