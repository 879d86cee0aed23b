//! The books in parts, for a host that keeps them in rows: it builds a working set of the parts
//! one operation touches (the client's terms and system accounts, the named wallets with their
//! rules, their holding wallets, the named deposit records), lets the ledger decide, and writes
//! back the parts that changed. The rules are the same whichever store the parts come from.
//!
//! A part the host did not put in is absent: a wallet or account answers NOT_FOUND, so a host
//! puts every part an operation names, and the balances of every account it may move.

use super::{
    Balance, ClientBooks, DepositRecord, Holding, HoldingKey, Ledger, SystemAccount, Wallet,
};
use crate::automation::{Action, Rule};
use crate::error::{err, Result};
use std::collections::BTreeMap;

impl Ledger {
    /// A client's contract and counters, if the client is in these books.
    pub fn client_books(&self, client: &str) -> Option<&ClientBooks> {
        self.clients.get(client)
    }

    /// Puts a client's contract and counters in.
    pub fn put_client(&mut self, client: &str, books: ClientBooks) {
        self.clients.insert(client.to_owned(), books);
    }

    /// Puts in an account and the client it belongs to.
    pub fn put_account(&mut self, account: &str, client: &str) {
        self.accounts.insert(account.to_owned(), client.to_owned());
    }

    /// Whether a wallet is in these books.
    pub fn has_wallet(&self, wallet: &str) -> bool {
        self.wallets.contains_key(wallet)
    }

    /// Puts a wallet in (its balances as given; more may follow with [`Ledger::put_balance`]).
    pub fn put_wallet(&mut self, id: &str, wallet: Wallet) {
        self.wallets.insert(id.into(), wallet);
    }

    /// The holding wallets in these books.
    pub fn holdings(&self) -> &BTreeMap<HoldingKey, Holding> {
        &self.holdings
    }

    /// Puts a holding wallet in.
    pub fn put_holding(&mut self, key: HoldingKey, holding: Holding) {
        self.holdings.insert(key, holding);
    }

    /// The system accounts in these books.
    pub fn system(&self) -> &BTreeMap<SystemAccount, Balance> {
        &self.system
    }

    /// Puts a rule in, after those already in (rules of one wallet fire in the order put).
    pub fn put_rule(&mut self, rule: Rule) {
        if !self.rules.iter().any(|r| r.id == rule.id) {
            self.rules.push(rule);
        }
    }

    /// Puts in the balance of a journal account (`wallet:ID`, `onchain:ID`, `holding:KEY`,
    /// `system:KEY`) in a unit; a wallet must be put in before its balances.
    pub fn put_balance(&mut self, account: &str, token: &str, balance: Balance) -> Result<()> {
        let unknown = || err::invalid_argument(format!("no account {account} in these books"));
        let (kind, key) = account.split_once(':').ok_or_else(unknown)?;
        match kind {
            "wallet" => {
                let w = self.wallets.get_mut(key).ok_or_else(unknown)?;
                w.balances.insert(token, balance);
            }
            "onchain" => {
                let w = self.wallets.get_mut(key).ok_or_else(unknown)?;
                w.on_chain.insert(token, balance);
            }
            "holding" => {
                self.holdings
                    .entry(key.parse()?)
                    .or_default()
                    .position
                    .insert(token.to_owned(), balance);
            }
            "system" => {
                // Only keys of real system accounts enter the books.
                let account: SystemAccount = key.parse()?;
                self.system.insert(account, balance);
            }
            _ => return Err(unknown()),
        }
        Ok(())
    }

    /// Takes out every deposit record, pending ones included (a host keeping each as a row).
    pub fn take_deposits(&mut self) -> Vec<DepositRecord> {
        self.below_minimum.clear();
        let mut out: Vec<DepositRecord> = self.deposits.drain().map(|(_, d)| d).collect();
        out.sort_by(|a, b| a.request.tx.cmp(&b.request.tx));
        out
    }
}

/// The wallet a rule moves funds to, if it forwards.
pub fn rule_target(rule: &Rule) -> Option<&str> {
    match &rule.action {
        Action::Forward { to, .. } | Action::ForwardExcess { to, .. } => Some(to),
        Action::Withdraw { .. } | Action::Alert => None,
    }
}
