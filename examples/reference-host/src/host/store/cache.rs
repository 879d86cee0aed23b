//! Wallets as the last committed batch left them, kept by SQLite's one lane: a later batch takes
//! a wallet from here instead of reading its row and balance rows (a round trip to SQLite's
//! thread and a few pages read per wallet, the cost that grew with the client's size).
//!
//! Sound because every write of a client's wallets, balances and rules goes through a batch,
//! which also writes the client's `ledgers.version` in the same transaction: a batch reads that
//! version when it opens the client's books, and the client's kept wallets are dropped unless it
//! is the version the last batch here committed. So another process writing the same file (the
//! CLI, a second host) costs the cache, never the books. Clients with automation rules are not
//! kept (loading a wallet loads its rules too). PostgreSQL lanes keep nothing: several lanes and
//! hosts write one client's wallets at once. Bounded by [`MAX_WALLETS`]; see docs/HOST.md.

use super::super::books::{Books, Parts};
use super::super::journal;
use std::collections::HashMap;
use waas_core::ledger::journal::{on_chain_account, wallet_account};
use waas_core::ledger::{Ledger, Wallet};

/// Wallets kept at most, all clients together (about a kilobyte each); past it the lane starts
/// over empty.
pub const MAX_WALLETS: usize = 200_000;

/// One wallet as committed: its state with balances, its stored text, and the number of the last
/// journal entry of each of its two accounts (0: none).
struct Kept {
    wallet: Wallet,
    text: String,
    last: [i64; 2],
}

/// One client's kept wallets and the row version they are true at.
#[derive(Default)]
struct Client {
    version: i64,
    wallets: HashMap<String, Kept>,
}

/// The kept wallets of a lane's clients.
#[derive(Default)]
pub struct WalletCache {
    clients: HashMap<String, Client>,
    size: usize,
}

impl WalletCache {
    /// Drops a client's wallets unless its books are at `version`, the one kept at (a batch
    /// opening the client's books calls this with the version it read).
    pub fn check(&mut self, client_id: &str, version: i64) {
        if self
            .clients
            .get(client_id)
            .is_some_and(|c| c.version != version)
        {
            self.forget(client_id);
        }
    }

    /// Drops a client's wallets.
    pub fn forget(&mut self, client_id: &str) {
        if let Some(c) = self.clients.remove(client_id) {
            self.size -= c.wallets.len();
        }
    }

    /// Moves the kept wallets among `ids` that the working set lacks into it (they come back at
    /// the batch's commit); nothing for a client with rules.
    pub fn fill(&mut self, client_id: &str, ledger: &mut Ledger, parts: &mut Parts, ids: &[&str]) {
        if !parts.rules_free(ledger) {
            return;
        }
        let Some(client) = self.clients.get_mut(client_id) else {
            return;
        };
        for id in ids {
            if ledger.has_wallet(id) {
                continue;
            }
            if let Some(kept) = client.wallets.remove(*id) {
                self.size -= 1;
                parts.adopt(ledger, id, kept.wallet, kept.text, kept.last);
            }
        }
    }

    /// Keeps the wallets of a client's working set once its batch committed `rows` (the
    /// batch's journal entries, all clients').
    pub fn keep(&mut self, client_id: &str, books: &Books, rows: &[journal::Row]) {
        let parts = &books.parts;
        if !parts.rules_free(&books.ledger) {
            self.forget(client_id);
            return;
        }
        let written = journal::last_entries(rows, client_id);
        let wallets = books.ledger.wallets();
        if self.size + wallets.len() > MAX_WALLETS {
            self.clients.clear();
            self.size = 0;
        }
        let client = self.clients.entry(client_id.to_owned()).or_default();
        client.version = parts.version;
        for (id, wallet) in wallets {
            let accounts = [wallet_account(id), on_chain_account(id)];
            // A wallet enters a working set by loading its rows (or from here), which names the
            // last entry of both its accounts, or by being made in this batch: no entry before.
            let made = accounts.iter().all(|a| !parts.last_entries.contains_key(a));
            let last = accounts.map(|a| {
                written
                    .get(a.as_str())
                    .copied()
                    .or_else(|| parts.last_entries.get(&a).copied())
                    .or(made.then_some(0))
            });
            let (Some(text), [Some(own), Some(on_chain)]) = (parts.loaded_wallet(id), last) else {
                // Not written, or one account's last entry unknown: read again when needed.
                if client.wallets.remove(id).is_some() {
                    self.size -= 1;
                }
                continue;
            };
            let kept = Kept {
                wallet: wallet.clone(),
                text: text.to_owned(),
                last: [own, on_chain],
            };
            if client.wallets.insert(id.to_owned(), kept).is_none() {
                self.size += 1;
            }
        }
    }
}
