//! The life of a withdrawal after its debit: `pending` (debited, not yet signed) -> `broadcast`
//! (signed and sent, with its transaction hash) -> `confirmed` (final), or `failed` (reverted,
//! dropped, rejected) / `cancelled` (while still pending). A failed or cancelled withdrawal is
//! given back by a correcting movement, `ID:reversal`, whose legs are the debit's legs turned
//! around (its fee and the holding wallet's position included): nothing posted is ever removed.

use super::*;

/// Where a withdrawal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawalStatus {
    /// Debited, not yet signed and sent.
    Pending,
    /// Signed and sent, with a transaction hash; not yet final.
    Broadcast,
    /// Final on chain.
    Confirmed,
    /// Reverted, dropped or rejected; the debit was given back.
    Failed,
    /// Cancelled while pending; the debit was given back.
    Cancelled,
}

impl WithdrawalStatus {
    /// The stable text form (`pending`, `broadcast`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Broadcast => "broadcast",
            Self::Confirmed => "confirmed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Whether nothing can happen to it any more.
    pub const fn is_final(self) -> bool {
        matches!(self, Self::Confirmed | Self::Failed | Self::Cancelled)
    }
}

/// A withdrawal and what its debit posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalRecord {
    /// The operation id of the withdrawal.
    pub id: String,
    /// The withdrawal as requested (a `Withdraw` or a `HoldingWithdraw`).
    pub movement: Movement,
    /// The legs its debit posted, to be turned around if it fails.
    pub legs: Vec<Leg>,
    /// Where it stands.
    pub status: WithdrawalStatus,
    /// The chain transaction, once broadcast.
    pub tx_hash: Option<String>,
    /// Why it failed.
    pub reason: Option<String>,
}

/// Longest transaction hash or failure reason kept.
pub const MAX_REASON_LEN: usize = 512;

impl Ledger {
    /// Records a debit just posted as a pending withdrawal.
    pub(super) fn open_withdrawal(&mut self, id: &str, movement: Movement, legs: Vec<Leg>) {
        self.withdrawals.insert(
            id.to_owned(),
            WithdrawalRecord {
                id: id.to_owned(),
                movement,
                legs,
                status: WithdrawalStatus::Pending,
                tx_hash: None,
                reason: None,
            },
        );
    }

    /// A withdrawal by id.
    pub fn withdrawal(&self, id: &str) -> Result<&WithdrawalRecord> {
        self.withdrawals
            .get(id)
            .ok_or_else(|| err::not_found(format!("no withdrawal {id}")))
    }

    /// A pending withdrawal was signed and sent as `tx_hash`. Repeating it with the same hash
    /// changes nothing.
    pub fn withdrawal_broadcast(&mut self, id: &str, tx_hash: &str) -> Result<&WithdrawalRecord> {
        check_text("tx_hash", tx_hash)?;
        let w = self.withdrawal(id)?;
        match (w.status, w.tx_hash.as_deref()) {
            (WithdrawalStatus::Pending, _) => {}
            (WithdrawalStatus::Broadcast, Some(h)) if h == tx_hash => return self.withdrawal(id),
            (s, _) => {
                return Err(err::invalid_argument(format!(
                    "withdrawal {id} is {}, not pending",
                    s.as_str()
                )))
            }
        }
        let w = self.withdrawal_mut(id)?;
        w.status = WithdrawalStatus::Broadcast;
        w.tx_hash = Some(tx_hash.to_owned());
        self.withdrawal(id)
    }

    /// A withdrawal is final on chain. Confirming a confirmed one changes nothing.
    pub fn withdrawal_confirm(&mut self, id: &str) -> Result<&WithdrawalRecord> {
        let w = self.withdrawal(id)?;
        match w.status {
            WithdrawalStatus::Pending | WithdrawalStatus::Broadcast => {}
            WithdrawalStatus::Confirmed => return self.withdrawal(id),
            s => {
                return Err(err::invalid_argument(format!(
                    "withdrawal {id} is {}; it cannot confirm",
                    s.as_str()
                )))
            }
        }
        self.withdrawal_mut(id)?.status = WithdrawalStatus::Confirmed;
        self.withdrawal(id)
    }

    /// A withdrawal failed (reverted, dropped, rejected): its debit is given back. Failing a
    /// failed one changes nothing.
    pub fn withdrawal_fail(&mut self, id: &str, reason: &str) -> Result<&WithdrawalRecord> {
        check_text("reason", reason)?;
        let w = self.withdrawal(id)?;
        match w.status {
            WithdrawalStatus::Pending | WithdrawalStatus::Broadcast => {}
            WithdrawalStatus::Failed => return self.withdrawal(id),
            s => {
                return Err(err::invalid_argument(format!(
                    "withdrawal {id} is {}; it cannot fail",
                    s.as_str()
                )))
            }
        }
        self.reverse(id, WithdrawalStatus::Failed, Some(reason))
    }

    /// Cancels a withdrawal that is still pending (not yet sent): its debit is given back.
    /// Cancelling a cancelled one changes nothing.
    pub fn withdrawal_cancel(&mut self, id: &str) -> Result<&WithdrawalRecord> {
        let w = self.withdrawal(id)?;
        match w.status {
            WithdrawalStatus::Pending => {}
            WithdrawalStatus::Cancelled => return self.withdrawal(id),
            s => {
                return Err(err::invalid_argument(format!(
                    "withdrawal {id} is {}; only a pending withdrawal can be cancelled",
                    s.as_str()
                )))
            }
        }
        self.reverse(id, WithdrawalStatus::Cancelled, None)
    }

    /// Posts the debit's legs turned around as `ID:reversal` and closes the withdrawal.
    fn reverse(
        &mut self,
        id: &str,
        status: WithdrawalStatus,
        reason: Option<&str>,
    ) -> Result<&WithdrawalRecord> {
        let legs: Vec<Leg> = self
            .withdrawal(id)?
            .legs
            .iter()
            .map(|l| Leg {
                from: l.to.clone(),
                to: l.from.clone(),
                amount: l.amount,
            })
            .collect();
        self.apply(&legs, Phase::Post, &format!("{id}:reversal"))?;
        let w = self.withdrawal_mut(id)?;
        w.status = status;
        w.reason = reason.map(str::to_owned);
        // A refund that did not happen leaves its deposit waiting for a decision again.
        if let Movement::DepositRefund { tx, .. } = &w.movement {
            let tx = tx.clone();
            if let Some(d) = self.deposits.get_mut(&tx) {
                d.refunded_by = None;
            }
        }
        self.withdrawal(id)
    }

    fn withdrawal_mut(&mut self, id: &str) -> Result<&mut WithdrawalRecord> {
        self.withdrawals
            .get_mut(id)
            .ok_or_else(|| err::not_found(format!("no withdrawal {id}")))
    }

    /// Every withdrawal record, pending or final, for a host that keeps them as rows (it gives
    /// a record back with [`Ledger::remember_withdrawal`] before naming it again).
    pub fn take_withdrawals(&mut self) -> Vec<WithdrawalRecord> {
        let mut out: Vec<WithdrawalRecord> = self.withdrawals.drain().map(|(_, w)| w).collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// Gives back a withdrawal record taken by [`Ledger::take_withdrawals`].
    pub fn remember_withdrawal(&mut self, record: WithdrawalRecord) {
        self.withdrawals.insert(record.id.clone(), record);
    }
}

/// A reason or a transaction hash: 1 to [`MAX_REASON_LEN`] characters, not only spaces, tabs and
/// line breaks (the rule an API schema states exactly: `minLength`, `maxLength`, a pattern).
pub(crate) fn check_text(what: &str, text: &str) -> Result<()> {
    let blank = |c: char| matches!(c, '\t' | '\n' | '\x0b' | '\x0c' | '\r' | ' ');
    if text.chars().all(blank) || text.chars().count() > MAX_REASON_LEN {
        return Err(err::invalid_argument(format!(
            "{what} must be 1 to {MAX_REASON_LEN} characters"
        )));
    }
    Ok(())
}
