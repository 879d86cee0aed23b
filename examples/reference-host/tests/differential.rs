//! Differential property test: random command sequences run through the in-memory core ledger
//! and through the host's row store (the host's router in this process, on a fresh SQLite file,
//! through its HTTP API) give
//! the same answers (success, or the same error code) and leave the same balances, held amounts
//! and statuses, through deposits, reorgs, transfers, rules, withdrawals with their cancels and
//! failures, and holds with their releases and captures.
//!
//! The host keeps the books in rows and loads only what each operation names; the in-memory
//! ledger holds everything. A part the host failed to load, a part written back wrong, or a
//! pending deposit or rule lost between operations shows up as a difference.

#![allow(clippy::unwrap_used)]

#[path = "api/app.rs"]
#[allow(dead_code)]
mod app;

use app::{Answer, Blocking};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;
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
    Withdraw { from: usize, amount: u32 },
    Cancel { pick: usize },
    Fail { pick: usize },
    Hold { w: usize, amount: u32 },
    Release { pick: usize },
    Capture { pick: usize, to: usize },
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
        1 => (w.clone(), w.clone(), 10u32..90).prop_map(|(w, to, percent)| Cmd::Rule { w, to, percent }),
        2 => (w.clone(), 1u32..40).prop_map(|(from, amount)| Cmd::Withdraw { from, amount }),
        1 => (0usize..8).prop_map(|pick| Cmd::Cancel { pick }),
        1 => (0usize..8).prop_map(|pick| Cmd::Fail { pick }),
        2 => (w.clone(), 1u32..40).prop_map(|(w, amount)| Cmd::Hold { w, amount }),
        1 => (0usize..8).prop_map(|pick| Cmd::Release { pick }),
        1 => (0usize..8, w).prop_map(|(pick, to)| Cmd::Capture { pick, to }),
    ]
}

/// The host in this process, called from the synchronous property test.
struct Host(Blocking);

impl Host {
    /// A fresh host on its own SQLite file.
    fn new() -> Host {
        Host(Blocking::sqlite())
    }

    fn post(&self, path: &str, body: Value) -> Answer {
        self.0.run(self.0.app.post(path, body))
    }

    fn get(&self, path: &str) -> Answer {
        self.0.run(self.0.app.get(path))
    }
}

/// Both sides of one run.
struct Run<'a> {
    api: &'a Host,
    ledger: Ledger,
    /// Host wallet ids and addresses, by index (the ledger names them `w0`, `w1`, ...).
    host: Vec<(String, String)>,
    /// Deposits reported and not settled yet (tx ids), in order.
    pending: Vec<String>,
    /// Withdrawals made: (in-memory id, host id).
    withdrawals: Vec<(String, String)>,
    /// Holds placed: (in-memory id, host id, wallet index).
    holds: Vec<(String, String, usize)>,
    n: usize,
}

/// The error codes of one command: (in-memory, host); `None` for a success.
type Codes = (Option<String>, Option<String>);

/// An amount of USDT (6 decimals).
fn usdt(n: u32) -> Amount {
    Amount::parse(&n.to_string(), 6).unwrap()
}

/// An outside address the withdrawals go to.
const OUT: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

fn code(r: &waas_core::Result<impl Sized>) -> Option<String> {
    r.as_ref().err().map(|e| e.code().as_str().to_owned())
}

fn host_code(r: &Answer) -> Option<String> {
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
    fn step(&mut self, c: &Cmd) -> Codes {
        self.n += 1;
        match *c {
            Cmd::Deposit { to, amount } => self.deposit(to, amount),
            Cmd::Confirm { pick } => self.settle_deposit(pick, true),
            Cmd::Reorg { pick } => self.settle_deposit(pick, false),
            Cmd::Transfer { from, to, amount } => self.transfer(from, to, amount),
            Cmd::HoldingCredit { to, amount } => self.holding_credit(to, amount),
            Cmd::Deactivate { w } => self.lifecycle(w, false),
            Cmd::Activate { w } => self.lifecycle(w, true),
            Cmd::Rule { w, to, percent } => self.rule(w, to, percent),
            Cmd::Withdraw { from, amount } => self.withdraw(from, amount),
            Cmd::Cancel { pick } => self.settle_withdrawal(pick, true),
            Cmd::Fail { pick } => self.settle_withdrawal(pick, false),
            Cmd::Hold { w, amount } => self.hold(w, amount),
            Cmd::Release { pick } => self.settle_hold(pick, None),
            Cmd::Capture { pick, to } => self.settle_hold(pick, Some(to)),
        }
    }

    /// A deposit reported to wallet `to` (pending until settled).
    fn deposit(&mut self, to: usize, amount: u32) -> Codes {
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

    /// A pending deposit confirmed (and swept), or dropped by a reorg.
    fn settle_deposit(&mut self, pick: usize, confirm: bool) -> Codes {
        if self.pending.is_empty() {
            return (None, None);
        }
        let tx = self.pending.remove(pick % self.pending.len());
        let (mine, path) = if confirm {
            let confirmed = self.ledger.confirm(&tx);
            if confirmed.is_ok() {
                // The simulated chain sweeps a confirmed deposit to the holding wallet.
                let d = self.ledger.deposit_record(&tx).unwrap().request.clone();
                self.ledger
                    .sweep(&format!("sweep:{tx}"), &d.to, "USDT", d.amount)
                    .unwrap();
            }
            (code(&confirmed), "/v1/simulate/confirm")
        } else {
            (code(&self.ledger.drop_deposit(&tx)), "/v1/simulate/reorg")
        };
        let r = self.api.post(path, json!({"tx": tx}));
        (mine, host_code(&r))
    }

    fn transfer(&mut self, from: usize, to: usize, amount: u32) -> Codes {
        let id = format!("t{}", self.n);
        let mine = self
            .ledger
            .transfer(&id, &Self::lw(from), &Self::lw(to), "USDT", usdt(amount));
        let r = self.api.post(
            &format!("/v1/wallets/virtual/{}/transfer", self.host[from].0),
            json!({"to_wallet_id": self.host[to].0, "token": "USDT", "amount": amount.to_string()}),
        );
        (code(&mine), host_code(&r))
    }

    fn holding_credit(&mut self, to: usize, amount: u32) -> Codes {
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

    /// Wallet `w` activated (`on`) or deactivated.
    fn lifecycle(&mut self, w: usize, on: bool) -> Codes {
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

    /// A rule forwarding `percent` of each deposit to wallet `w` on to wallet `to`.
    fn rule(&mut self, w: usize, to: usize, percent: u32) -> Codes {
        let id = format!("r{}", self.n);
        let action =
            |target: &str| json!({"type": "forward", "to": target, "percent": percent.to_string()});
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

    fn withdraw(&mut self, from: usize, amount: u32) -> Codes {
        let id = format!("x{}", self.n);
        let mine = self.ledger.withdraw(
            &id,
            &Self::lw(from),
            OUT,
            "USDT",
            usdt(amount),
            Amount::ZERO,
        );
        let r = self.api.post(
            &format!("/v1/wallets/virtual/{}/withdraw", self.host[from].0),
            json!({"to_address": OUT, "token": "USDT", "amount": amount.to_string()}),
        );
        if mine.is_ok() && r.status < 300 {
            self.withdrawals
                .push((id, r.json["id"].as_str().unwrap().to_owned()));
        }
        (code(&mine), host_code(&r))
    }

    /// A withdrawal made cancelled, or failed by the chain.
    fn settle_withdrawal(&mut self, pick: usize, cancel: bool) -> Codes {
        if self.withdrawals.is_empty() {
            return (None, None);
        }
        let (mine_id, host_id) = self.withdrawals[pick % self.withdrawals.len()].clone();
        let (mine, r) = if cancel {
            (
                code(&self.ledger.withdrawal_cancel(&mine_id)),
                self.api
                    .post(&format!("/v1/withdrawals/{host_id}/cancel"), json!({})),
            )
        } else {
            (
                code(&self.ledger.withdrawal_fail(&mine_id, "rejected")),
                self.api.post(
                    "/v1/simulate/withdrawal-failure",
                    json!({"id": host_id, "reason": "rejected"}),
                ),
            )
        };
        (mine, host_code(&r))
    }

    fn hold(&mut self, w: usize, amount: u32) -> Codes {
        let id = format!("hd{}", self.n);
        let mine = self
            .ledger
            .place_hold(&id, &Self::lw(w), "USDT", usdt(amount), "r", None, 0)
            .map(|_| ());
        let r = self.api.post(
            &format!("/v1/wallets/virtual/{}/holds", self.host[w].0),
            json!({"token": "USDT", "amount": amount.to_string(), "reason": "r"}),
        );
        if mine.is_ok() && r.status < 300 {
            self.holds
                .push((id, r.json["id"].as_str().unwrap().to_owned(), w));
        }
        (code(&mine), host_code(&r))
    }

    /// A hold placed captured to wallet `to`, or (without one) released.
    fn settle_hold(&mut self, pick: usize, to: Option<usize>) -> Codes {
        if self.holds.is_empty() {
            return (None, None);
        }
        let (mine_id, host_id, w) = self.holds[pick % self.holds.len()].clone();
        let path = |what: &str| {
            format!(
                "/v1/wallets/virtual/{}/holds/{host_id}/{what}",
                self.host[w].0
            )
        };
        let (mine, r) = match to {
            Some(to) => (
                code(&self.ledger.capture_hold(&mine_id, &Self::lw(to))),
                self.api
                    .post(&path("capture"), json!({"to_wallet_id": self.host[to].0})),
            ),
            None => (
                code(&self.ledger.release_hold(&mine_id)),
                self.api.post(&path("release"), json!({})),
            ),
        };
        (mine, host_code(&r))
    }

    /// Each wallet's (confirmed, unconfirmed, total) and status on both sides.
    fn books(&self) -> (Vec<Value>, Vec<Value>) {
        let mut mine = Vec::new();
        let mut theirs = Vec::new();
        for i in 0..WALLETS {
            let w = self.ledger.wallet(&Self::lw(i)).unwrap();
            let b = w.balances.get("USDT").copied().unwrap_or_default();
            let held = w.held.get("USDT").copied().unwrap_or_default();
            mine.push(json!([
                b.confirmed().normalize().to_string(),
                b.unconfirmed().normalize().to_string(),
                b.total().normalize().to_string(),
                held.normalize().to_string(),
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
                part("held"),
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
        let api = &Host::new();
        let acc = api.0.run(api.0.app.account("a"));
        let mut ledger = Ledger::new(Config::default());
        ledger.create_account("c", "a").unwrap();
        let mut host = Vec::new();
        for i in 0..WALLETS {
            ledger.create_virtual_wallet("a", &format!("w{i}"), "ethereum").unwrap();
            host.push(api.0.run(api.0.app.wallet(&acc, "ethereum")));
        }
        let mut run = Run { api, ledger, host, pending: Vec::new(), withdrawals: Vec::new(), holds: Vec::new(), n: 0 };
        for (i, c) in cmds.iter().enumerate() {
            let (mine, theirs) = run.step(c);
            prop_assert_eq!(mine, theirs, "command {} {:?}", i, c);
            let (mine, theirs) = run.books();
            prop_assert_eq!(mine, theirs, "after command {} {:?}", i, c);
        }
    }
}
