//! The books recomputed from a journal export: every account's balance, each holding wallet's
//! reserve report and the history of its ratio, so an operator can check what a platform
//! reports without trusting it.
//!
//! A journal names accounts, not blockchains: the caller says which blockchain each virtual
//! wallet is on ([`WalletChains`]). Wallets it does not list (treasury wallets) count in no
//! reserve, as in the ledger. Reserves and history need an export that starts at the client's
//! first entry ([`journal::Verified::complete`]); a period export verifies, but has neither.

use super::journal::{self, Entry, Mismatch, Verified};
use super::SystemAccount;
use crate::amount::parse_decimal;
use crate::error::{err, Result};
use crate::reserve::{self, Figures, ReserveReport};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// The blockchain of each virtual wallet, by wallet id.
pub type WalletChains = BTreeMap<String, String>;

/// Which figure of which reserve an account's balance counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Figure {
    Holding,
    InTransit,
    Liability,
    Unresolved,
}

/// A reserve's key (`blockchain/token`) and the figure an account adds to, if any.
fn slot_of(
    entry_client: &str,
    account: &str,
    token: &str,
    wallets: &WalletChains,
) -> Option<(String, Figure)> {
    let (kind, name) = account.split_once(':')?;
    let chain_of_holding = |rest: &str| -> Option<String> {
        rest.strip_prefix(entry_client)?
            .strip_prefix('/')
            .map(str::to_owned)
    };
    match kind {
        "wallet" => Some((format!("{}/{token}", wallets.get(name)?), Figure::Liability)),
        "onchain" => Some((format!("{}/{token}", wallets.get(name)?), Figure::InTransit)),
        "holding" => Some((
            format!("{}/{token}", chain_of_holding(name)?),
            Figure::Holding,
        )),
        // Below-minimum deposits of this client waiting for a decision, read back by the
        // system accounts' own parser.
        "system" => match name.parse::<SystemAccount>().ok()? {
            SystemAccount::Suspense {
                client,
                chain,
                token: unit,
            } if client == entry_client && unit == token => {
                Some((format!("{chain}/{token}"), Figure::Unresolved))
            }
            _ => None,
        },
        _ => None,
    }
}

/// The running figures of every reserve.
#[derive(Default)]
struct Sums(BTreeMap<String, Figures>);

impl Sums {
    /// Adds an entry's change to the figure its account counts in (the holding wallet's
    /// position counts its posted part only, as the ledger's report does).
    fn add(&mut self, key: String, figure: Figure, entry: &Entry) -> Option<()> {
        let f = self.0.entry(key).or_default();
        let (sum, change) = match figure {
            Figure::Holding => (&mut f.holding, entry.posted),
            Figure::InTransit => (&mut f.in_transit, entry.amount),
            Figure::Liability => (&mut f.liabilities, entry.amount),
            Figure::Unresolved => (&mut f.unresolved, entry.amount),
        };
        *sum = sum.checked_add(change)?;
        Some(())
    }

    fn report(&self, key: &str, min_reserve_ratio: Decimal) -> Result<ReserveReport> {
        reserve::report_of(
            self.0.get(key).copied().unwrap_or_default(),
            min_reserve_ratio,
        )
    }
}

/// A reserve as it stood after one movement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReservePoint {
    /// Sequence number of the movement's last entry.
    pub seq: u64,
    /// When the movement was recorded (RFC 3339).
    pub created_at: String,
    /// `blockchain/token`.
    pub reserve: String,
    /// The report after the movement.
    pub report: ReserveReport,
}

/// What a journal export establishes about a client's books.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Audit {
    /// The verified journal: entry count, head hash, every account's balance.
    pub verified: Verified,
    /// Each reserve at the end of the export, by `blockchain/token` (empty unless complete).
    pub reserves: BTreeMap<String, ReserveReport>,
    /// Each reserve after every movement that changed it, oldest first (empty unless complete).
    pub history: Vec<ReservePoint>,
}

/// Verifies a journal export and recomputes the reserves and their history from it.
///
/// Fails with the first entry that does not verify ([`journal::verify`]); a reserve figure that
/// cannot be represented is reported as a mismatch of the entry that made it.
pub fn audit(
    jsonl: &str,
    wallets: &WalletChains,
    min_reserve_ratio: Decimal,
) -> std::result::Result<Audit, Mismatch> {
    let verified = journal::verify(jsonl)?;
    let mut audit = Audit {
        verified,
        reserves: BTreeMap::new(),
        history: Vec::new(),
    };
    if !audit.verified.complete {
        return Ok(audit);
    }
    let mut sums = Sums::default();
    // Reserves the current movement changed, reported once its last entry is read.
    let mut touched: Vec<String> = Vec::new();
    let mut entries = Vec::new();
    for (i, text) in jsonl
        .lines()
        .enumerate()
        .filter(|(_, t)| !t.trim().is_empty())
    {
        // Every line parsed in `verify`; a failure here would be a bug, reported as a mismatch.
        let entry: Entry = serde_json::from_str(text).map_err(|e| mismatch(i + 1, None, e))?;
        entries.push((i + 1, entry));
    }
    for (k, (line, entry)) in entries.iter().enumerate() {
        if let Some((key, figure)) =
            slot_of(&entry.client_id, &entry.account, &entry.token, wallets)
        {
            if !touched.contains(&key) {
                touched.push(key.clone());
            }
            sums.add(key, figure, entry)
                .ok_or_else(|| mismatch(*line, Some(entry.seq), "a reserve figure overflows"))?;
        }
        let movement_ends = entries
            .get(k + 1)
            .is_none_or(|(_, next)| next.movement_id != entry.movement_id);
        if movement_ends {
            close(
                &sums,
                &mut touched,
                *line,
                entry,
                min_reserve_ratio,
                &mut audit.history,
            )?;
        }
    }
    for key in sums.0.keys() {
        let report = sums
            .report(key, min_reserve_ratio)
            .map_err(|e| mismatch(0, None, e))?;
        audit.reserves.insert(key.clone(), report);
    }
    Ok(audit)
}

/// Records the reserves a movement touched, as they stand after its last entry.
fn close(
    sums: &Sums,
    touched: &mut Vec<String>,
    line: usize,
    last: &Entry,
    min_reserve_ratio: Decimal,
    history: &mut Vec<ReservePoint>,
) -> std::result::Result<(), Mismatch> {
    for key in touched.drain(..) {
        let report = sums
            .report(&key, min_reserve_ratio)
            .map_err(|e| mismatch(line, Some(last.seq), e))?;
        history.push(ReservePoint {
            seq: last.seq,
            created_at: last.created_at.clone(),
            reserve: key,
            report,
        });
    }
    Ok(())
}

/// [`audit`] as the bindings use it: the wallets as a JSON object (wallet id -> blockchain) and
/// the minimum reserve ratio as a decimal string in; the [`Audit`] as JSON out (amounts as
/// decimal strings), or `JOURNAL_MISMATCH` naming the first entry that does not verify.
pub fn audit_json(jsonl: &str, wallets_json: &str, min_reserve_ratio: &str) -> Result<String> {
    let wallets: WalletChains = serde_json::from_str(wallets_json).map_err(|e| {
        err::invalid_command(format!(
            "wallets must be an object of wallet id -> blockchain: {e}"
        ))
    })?;
    let ratio = parse_decimal(min_reserve_ratio)?;
    let audit = audit(jsonl, &wallets, ratio).map_err(|m| err::journal_mismatch(m.to_string()))?;
    serde_json::to_string(&audit).map_err(|e| err::invalid_command(e.to_string()))
}

fn mismatch(line: usize, seq: Option<u64>, e: impl std::fmt::Display) -> Mismatch {
    Mismatch {
        line,
        seq,
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chains() -> WalletChains {
        [("vw1".to_owned(), "ethereum".to_owned())].into()
    }

    #[test]
    fn accounts_count_in_their_reserve() {
        let w = chains();
        let slot = |a: &str| slot_of("c1", a, "USDT", &w);
        assert_eq!(
            slot("wallet:vw1"),
            Some(("ethereum/USDT".into(), Figure::Liability))
        );
        assert_eq!(
            slot("onchain:vw1"),
            Some(("ethereum/USDT".into(), Figure::InTransit))
        );
        assert_eq!(
            slot("holding:c1/ethereum"),
            Some(("ethereum/USDT".into(), Figure::Holding))
        );
        assert_eq!(
            slot("system:suspense/c1/ethereum/USDT"),
            Some(("ethereum/USDT".into(), Figure::Unresolved))
        );
        // a treasury wallet (not listed), another client's holding, other system accounts
        assert_eq!(slot("wallet:tr1"), None);
        assert_eq!(slot("holding:c2/ethereum"), None);
        assert_eq!(slot("system:external/ethereum/USDT"), None);
        assert_eq!(slot("no-colon"), None);
    }

    #[test]
    fn a_period_export_verifies_without_reserves() {
        use super::super::journal::{Posting, GENESIS_HASH};
        use super::super::Balance;
        let posting = |movement: &str, account: &str, posted: i64, after: i64| Posting {
            movement_id: movement.into(),
            account: account.into(),
            token: "USDT".into(),
            posted: Decimal::new(posted, 0),
            pending: Decimal::ZERO,
            after: Balance {
                posted: Decimal::new(after, 0),
                pending: Decimal::ZERO,
            },
        };
        let postings = [
            posting("m1", "holding:c1/ethereum", -5, -5),
            posting("m1", "wallet:vw1", 5, 5),
            posting("m2", "wallet:vw1", -2, 3),
            posting("m2", "system:x/USDT", 2, 2),
        ];
        let mut prev = GENESIS_HASH.to_owned();
        let lines: Vec<String> = postings
            .iter()
            .zip(1..)
            .map(|(p, seq)| {
                let e = Entry::chain("c1", seq, "t", &prev, p);
                prev = e.hash.clone();
                serde_json::to_string(&e).expect("json")
            })
            .collect();
        let whole = audit(&lines.join("\n"), &chains(), Decimal::ONE).expect("verifies");
        let r = &whole.reserves["ethereum/USDT"];
        let n = |v: i64| Decimal::new(v, 0);
        assert_eq!((r.holding, r.liabilities, r.leverage), (n(-5), n(3), n(8)));
        let seqs: Vec<u64> = whole.history.iter().map(|p| p.seq).collect();
        assert_eq!(seqs, [2, 4]);
        assert_eq!(whole.history[0].report.liabilities, n(5));
        let period = audit(&lines[2..].join("\n"), &chains(), Decimal::ONE).expect("verifies");
        assert!(!period.verified.complete);
        assert!(period.reserves.is_empty() && period.history.is_empty());
    }
}
