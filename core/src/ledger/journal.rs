//! The journal: one entry per account and movement, carrying the account's balance after it, each
//! entry chained to the previous one of its client by SHA-256, so a copy can be checked offline.
//!
//! The ledger records [`Posting`]s as it applies legs (when asked to, see
//! [`super::Ledger::record_journal`]); a host numbers them, stamps them with its clock and
//! chains them into [`Entry`]s with [`Entry::chain`]; anyone holding an export checks it with
//! [`verify`]. The hash rule is written out in `docs/LEDGER.md`.

use super::{Balance, Book};
use crate::error::{err, Result};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The `prev_hash` of a client's first entry: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Domain tag hashed before every entry, so a journal hash can never pass for another hash.
const HASH_TAG: &str = "waas-journal-v1";

/// One account's change in one movement, as the ledger applied it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    /// The movement (operation id, chain transaction, rule movement id) that made the change.
    pub movement_id: String,
    /// The account: `wallet:ID`, `onchain:ID`, `holding:CLIENT/CHAIN` or `system:KEY`.
    pub account: String,
    /// The unit: a token symbol, or `USD` for cards.
    pub token: String,
    /// Change of the posted (confirmed) part.
    pub posted: Decimal,
    /// Change of the pending part.
    pub pending: Decimal,
    /// The account's balance after the change.
    pub after: Balance,
}

/// The journal's name of a ledger account.
pub fn account_of(book: &Book) -> String {
    match book {
        Book::Wallet(w, _) => wallet_account(w),
        Book::OnChain(w, _) => on_chain_account(w),
        Book::Holding(h, _) => format!("{HOLDING}{h}"),
        Book::System(k) => format!("system:{k}"),
    }
}

const WALLET: &str = "wallet:";
const ON_CHAIN: &str = "onchain:";
const HOLDING: &str = "holding:";

/// The journal's name of a wallet's balances (virtual, treasury or card).
pub fn wallet_account(wallet: &str) -> String {
    format!("{WALLET}{wallet}")
}

/// The journal's name of the funds at a virtual wallet's deposit address, not yet swept.
pub fn on_chain_account(wallet: &str) -> String {
    format!("{ON_CHAIN}{wallet}")
}

/// The journal's name of a client's holding wallet on a blockchain.
pub fn holding_account(client: &str, chain: &str) -> String {
    format!("{HOLDING}{client}/{chain}")
}

/// Whether a journal account is a wallet's balances (see [`wallet_account`]).
pub fn is_wallet_account(account: &str) -> bool {
    account.starts_with(WALLET)
}

/// The unit an account of the ledger counts in.
pub fn unit_of(book: &Book) -> &str {
    match book {
        Book::Wallet(_, t) | Book::OnChain(_, t) | Book::Holding(_, t) => t,
        Book::System(a) => a.unit(),
    }
}

/// A journal entry as a host stores and exports it (one JSON object per line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Position in the client's chain, from 1, without gaps.
    pub seq: u64,
    /// The entry's id (its sequence number as text).
    pub id: String,
    /// The client whose books these are.
    pub client_id: String,
    /// The movement that made the change.
    pub movement_id: String,
    /// The account changed.
    pub account: String,
    /// The unit.
    pub token: String,
    /// The signed change of the balance (posted + pending).
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// The signed change of the posted part.
    #[serde(with = "rust_decimal::serde::str")]
    pub posted: Decimal,
    /// The signed change of the pending part.
    #[serde(with = "rust_decimal::serde::str")]
    pub pending: Decimal,
    /// The balance after the change (posted + pending).
    #[serde(with = "rust_decimal::serde::str")]
    pub balance_after: Decimal,
    /// The posted part after the change.
    #[serde(with = "rust_decimal::serde::str")]
    pub posted_after: Decimal,
    /// The pending part after the change.
    #[serde(with = "rust_decimal::serde::str")]
    pub pending_after: Decimal,
    /// When the host recorded it (RFC 3339, UTC), as hashed.
    pub created_at: String,
    /// Hash of the client's previous entry ([`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// SHA-256 (hex) over this entry's fields and `prev_hash`.
    pub hash: String,
}

impl Entry {
    /// Numbers a posting, stamps it and chains it after `prev_hash`.
    pub fn chain(
        client_id: &str,
        seq: u64,
        created_at: &str,
        prev_hash: &str,
        posting: &Posting,
    ) -> Entry {
        let mut entry = Entry {
            seq,
            id: seq.to_string(),
            client_id: client_id.to_owned(),
            movement_id: posting.movement_id.clone(),
            account: posting.account.clone(),
            token: posting.token.clone(),
            amount: (posting.posted + posting.pending).normalize(),
            posted: posting.posted.normalize(),
            pending: posting.pending.normalize(),
            balance_after: posting.after.total().normalize(),
            posted_after: posting.after.posted.normalize(),
            pending_after: posting.after.pending.normalize(),
            created_at: created_at.to_owned(),
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
        };
        entry.hash = entry.computed_hash();
        entry
    }

    /// The hash this entry's contents give (see `docs/LEDGER.md` for the exact rule).
    pub fn computed_hash(&self) -> String {
        let numbers = [
            self.seq.to_string(),
            self.posted.normalize().to_string(),
            self.pending.normalize().to_string(),
            self.posted_after.normalize().to_string(),
            self.pending_after.normalize().to_string(),
        ];
        let fields: [&str; 12] = [
            HASH_TAG,
            &self.client_id,
            &numbers[0],
            &self.movement_id,
            &self.account,
            &self.token,
            &numbers[1],
            &numbers[2],
            &numbers[3],
            &numbers[4],
            &self.created_at,
            &self.prev_hash,
        ];
        let mut h = Sha256::new();
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                h.update(b"\n");
            }
            h.update(field.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// What a journal that verifies adds up to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    /// Entries checked.
    pub entries: usize,
    /// Hash of the last entry (the chain's head), when there was one.
    pub last_hash: Option<String>,
    /// True when the export starts at the client's first entry, so every opening balance is zero.
    pub complete: bool,
    /// Each account's balance after its last entry, by account and unit.
    pub balances: BTreeMap<String, BTreeMap<String, Balance>>,
}

/// The first entry of a journal that does not verify, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// Line of the export (from 1).
    pub line: usize,
    /// The entry's sequence number, when the line could be read.
    pub seq: Option<u64>,
    /// What is wrong.
    pub reason: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.seq {
            Some(seq) => write!(f, "line {}: entry {seq}: {}", self.line, self.reason),
            None => write!(f, "line {}: {}", self.line, self.reason),
        }
    }
}

/// Checks a journal export (JSON Lines, one [`Entry`] a line, in order): every hash, the chain,
/// the sequence, every running balance, and that each movement's changes sum to zero per unit.
///
/// An export that starts at entry 1 must start from [`GENESIS_HASH`] and zero balances; one that
/// starts later (a period) takes each account's opening balance from its first entry.
pub fn verify(jsonl: &str) -> std::result::Result<Verified, Mismatch> {
    let mut verifier = Verifier::default();
    for (i, text) in jsonl.lines().enumerate() {
        if !text.trim().is_empty() {
            verifier.take(i + 1, text)?;
        }
    }
    verifier.finish()
}

/// What the entries read so far establish.
#[derive(Default)]
struct Verifier {
    /// Running balances by account and unit.
    balances: BTreeMap<String, BTreeMap<String, Balance>>,
    prev: Option<Entry>,
    /// The export starts at entry 1 (from zero balances).
    complete: bool,
    count: usize,
    /// The changes of the current run of one movement, per unit: (posted, pending).
    run: BTreeMap<String, (Decimal, Decimal)>,
    /// Line and sequence number where the current run started.
    run_start: (usize, u64),
}

impl Verifier {
    /// Checks the entry on `line` against itself, the chain and the running balances.
    fn take(&mut self, line: usize, text: &str) -> std::result::Result<(), Mismatch> {
        let entry: Entry = serde_json::from_str(text).map_err(|e| Mismatch {
            line,
            seq: None,
            reason: format!("not a journal entry: {e}"),
        })?;
        let seq = Some(entry.seq);
        let bad = move |reason: String| Mismatch { line, seq, reason };
        self_consistent(&entry).map_err(bad)?;
        self.link(&entry).map_err(bad)?;
        if self
            .prev
            .as_ref()
            .is_some_and(|p| p.movement_id != entry.movement_id)
        {
            self.close_run()?;
        }
        if self.run.is_empty() {
            self.run_start = (line, entry.seq);
        }
        let sums = self.run.entry(entry.token.clone()).or_default();
        sums.0 += entry.posted;
        sums.1 += entry.pending;
        self.follow(&entry).map_err(bad)?;
        self.count += 1;
        self.prev = Some(entry);
        Ok(())
    }

    /// The entry's place in the chain: the first starts it (at entry 1, from the genesis hash),
    /// each next one follows the previous entry of the same client.
    fn link(&mut self, entry: &Entry) -> std::result::Result<(), String> {
        let Some(p) = &self.prev else {
            self.complete = entry.seq == 1;
            if self.complete && entry.prev_hash != GENESIS_HASH {
                return Err("the first entry does not start the chain".into());
            }
            return Ok(());
        };
        if entry.client_id != p.client_id {
            return Err("entry of another client".into());
        }
        if entry.seq != p.seq + 1 {
            return Err(format!("expected entry {}", p.seq + 1));
        }
        if entry.prev_hash != p.hash {
            return Err("prev_hash is not the previous entry's hash".into());
        }
        Ok(())
    }

    /// The entry's balance after follows the account's balance before (its first entry in a
    /// period export opens it).
    fn follow(&mut self, entry: &Entry) -> std::result::Result<(), String> {
        let account = self.balances.entry(entry.account.clone()).or_default();
        let before = match account.get(&entry.token) {
            Some(b) => *b,
            None if self.complete => Balance::default(),
            None => Balance {
                posted: entry.posted_after - entry.posted,
                pending: entry.pending_after - entry.pending,
            },
        };
        if before.posted + entry.posted != entry.posted_after
            || before.pending + entry.pending != entry.pending_after
        {
            return Err(format!(
                "balance after does not follow: {} {} was {} and changed by {}",
                entry.account,
                entry.token,
                before.total().normalize(),
                entry.amount
            ));
        }
        account.insert(
            entry.token.clone(),
            Balance {
                posted: entry.posted_after,
                pending: entry.pending_after,
            },
        );
        Ok(())
    }

    /// Ends the current movement's run: its changes must sum to zero in every unit.
    fn close_run(&mut self) -> std::result::Result<(), Mismatch> {
        let unbalanced = self
            .run
            .iter()
            .find(|(_, (p, q))| !p.is_zero() || !q.is_zero());
        if let Some((unit, (p, q))) = unbalanced {
            return Err(Mismatch {
                line: self.run_start.0,
                seq: Some(self.run_start.1),
                reason: format!(
                    "the movement's changes in {unit} do not sum to zero (posted {p}, pending {q})"
                ),
            });
        }
        self.run.clear();
        Ok(())
    }

    /// The result once every line is read.
    fn finish(mut self) -> std::result::Result<Verified, Mismatch> {
        self.close_run()?;
        Ok(Verified {
            entries: self.count,
            last_hash: self.prev.map(|p| p.hash),
            complete: self.complete,
            balances: self.balances,
        })
    }
}

/// The checks an entry makes of itself: its hash, its id, and its sums.
fn self_consistent(entry: &Entry) -> std::result::Result<(), String> {
    if entry.hash != entry.computed_hash() {
        return Err("hash does not match the entry's contents".into());
    }
    if entry.id != entry.seq.to_string() {
        return Err("id is not the entry's sequence number".into());
    }
    if entry.amount != entry.posted + entry.pending {
        return Err("amount is not posted + pending".into());
    }
    if entry.balance_after != entry.posted_after + entry.pending_after {
        return Err("balance_after is not posted_after + pending_after".into());
    }
    Ok(())
}

/// [`verify`] as the bindings and the CLI use it: `ok N entries`, or an error naming the first
/// entry that does not match.
pub fn verify_report(jsonl: &str) -> Result<String> {
    match verify(jsonl) {
        Ok(v) => Ok(format!("ok {} entries", v.entries)),
        Err(m) => Err(err::journal_mismatch(m.to_string())),
    }
}

/// The movement id of the entries that open a journal over books kept before it.
pub const OPENING: &str = "opening";

impl super::Ledger {
    /// Postings that open a journal over books that already hold balances (each non-zero balance
    /// as one change from zero, under the movement id [`OPENING`]), in a stable order; they sum
    /// to zero per unit like the books do.
    pub fn opening_journal(&self) -> Vec<Posting> {
        self.account_balances()
            .into_iter()
            .filter(|(_, _, b)| !b.posted.is_zero() || !b.pending.is_zero())
            .map(|(account, token, b)| Posting {
                movement_id: OPENING.to_owned(),
                account,
                token,
                posted: b.posted,
                pending: b.pending,
                after: b,
            })
            .collect()
    }

    /// Every balance of the books by journal account and unit (zero ones included), sorted.
    pub fn account_balances(&self) -> Vec<(String, String, Balance)> {
        let mut books: Vec<(Book, Balance)> = Vec::new();
        for (id, w) in &self.wallets {
            for (token, b) in &w.balances {
                books.push((Book::Wallet(id.to_string(), token.to_owned()), *b));
            }
            for (token, b) in &w.on_chain {
                books.push((Book::OnChain(id.to_string(), token.to_owned()), *b));
            }
        }
        for (key, h) in &self.holdings {
            for (token, b) in &h.position {
                books.push((Book::Holding(key.clone(), token.clone()), *b));
            }
        }
        let mut out: Vec<(String, String, Balance)> = books
            .into_iter()
            .map(|(book, b)| (account_of(&book), unit_of(&book).to_owned(), b))
            .collect();
        for (account, b) in &self.system {
            out.push((format!("system:{account}"), account.unit().to_owned(), *b));
        }
        out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::HoldingKey;

    #[test]
    fn account_names_are_the_books_names() {
        let t = || "USDT".to_owned();
        assert_eq!(
            account_of(&Book::Wallet("w1".into(), t())),
            wallet_account("w1")
        );
        assert_eq!(
            account_of(&Book::OnChain("w1".into(), t())),
            on_chain_account("w1")
        );
        assert_eq!(
            account_of(&Book::Holding(HoldingKey::new("c1", "ethereum"), t())),
            holding_account("c1", "ethereum")
        );
        assert!(is_wallet_account(&wallet_account("w1")));
        assert!(!is_wallet_account(&on_chain_account("w1")));
        assert!(!is_wallet_account(&holding_account("c1", "ethereum")));
    }

    fn posting(account: &str, posted: i64) -> Posting {
        Posting {
            movement_id: "m1".into(),
            account: account.into(),
            token: "USDT".into(),
            posted: Decimal::new(posted, 0),
            pending: Decimal::ZERO,
            after: Balance {
                posted: Decimal::new(posted, 0),
                pending: Decimal::ZERO,
            },
        }
    }

    fn chained(postings: &[Posting]) -> Vec<String> {
        let mut prev = GENESIS_HASH.to_owned();
        postings
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let e = Entry::chain("c1", i as u64 + 1, "2026-12-01T10:00:00.000Z", &prev, p);
                prev = e.hash.clone();
                serde_json::to_string(&e).expect("json")
            })
            .collect()
    }

    #[test]
    fn the_hash_is_the_documented_rule() {
        let e = Entry::chain(
            "c1",
            1,
            "2026-12-01T10:00:00.000Z",
            GENESIS_HASH,
            &posting("wallet:vw1", 5),
        );
        let text = format!(
            "waas-journal-v1\nc1\n1\nm1\nwallet:vw1\nUSDT\n5\n0\n5\n0\n2026-12-01T10:00:00.000Z\n{GENESIS_HASH}"
        );
        assert_eq!(e.hash, hex::encode(Sha256::digest(text.as_bytes())));
    }

    #[test]
    fn a_balanced_chain_verifies_and_breaks_are_named() {
        let lines = chained(&[posting("system:x/USDT", -5), posting("wallet:vw1", 5)]);
        let v = verify(&lines.join("\n")).expect("verifies");
        assert_eq!((v.entries, v.complete), (2, true));
        assert_eq!(
            verify_report(&lines.join("\n")).expect("ok"),
            "ok 2 entries"
        );
        // reordered: the chain breaks at line 1 (not the first entry)
        let swapped = format!("{}\n{}", lines[1], lines[0]);
        assert!(verify(&swapped).is_err());
        // one entry dropped: the sequence breaks
        let lines3 = chained(&[
            posting("system:x/USDT", -5),
            posting("wallet:vw1", 5),
            posting("wallet:vw2", 0),
        ]);
        let gap = format!("{}\n{}", lines3[0], lines3[2]);
        let m = verify(&gap).expect_err("gap");
        assert_eq!((m.line, m.seq), (2, Some(3)));
        // an unbalanced movement
        let lone = chained(&[posting("wallet:vw1", 5)]);
        let m = verify(&lone.join("\n")).expect_err("unbalanced");
        assert!(m.reason.contains("sum to zero"), "{m}");
        // junk
        let m = verify("{\"seq\":1}").expect_err("junk");
        assert_eq!(m.seq, None);
        let e = verify_report("nope").expect_err("junk");
        assert_eq!(e.code(), crate::ErrorCode::JournalMismatch);
    }

    #[test]
    fn a_changed_digit_is_caught_even_with_a_recomputed_hash() {
        let lines = chained(&[posting("system:x/USDT", -5), posting("wallet:vw1", 5)]);
        let mut e: Entry = serde_json::from_str(&lines[1]).expect("entry");
        e.posted_after = Decimal::new(6, 0);
        e.balance_after = Decimal::new(6, 0);
        e.hash = e.computed_hash();
        let m = verify(&format!(
            "{}\n{}",
            lines[0],
            serde_json::to_string(&e).expect("json")
        ))
        .expect_err("balance");
        assert_eq!(m.seq, Some(2));
    }
}
