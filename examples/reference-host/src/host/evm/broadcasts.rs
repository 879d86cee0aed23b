//! Our own transactions after signing: broadcast (again) until mined, then settled from what
//! the chain did with them (withdrawals, sweeps and gas top-ups alike).
//!
//! **Outcomes.** Each round, for every `signed`/`sent` row of `chain_txs`, oldest nonce first per
//! sender: with a receipt and the chain's confirmations, `confirmed` (the withdrawal confirms, the
//! sweep reaches the ledger) or `failed` (reverted: the withdrawal fails and its debit comes
//! back). Without a receipt:
//! - **dropped**: the nonce the sender has used at the confirmation depth
//!   (`eth_getTransactionCount(sender, head + 1 - confirmations)`, read once per sender per round
//!   and *before* our receipt is asked for) is above ours. A transaction with our nonce is final
//!   there and it is not ours (ours has no receipt), so ours can never be mined: the row becomes
//!   `dropped` and the withdrawal fails with its debit back. The depth, rather than `latest`, keeps
//!   a replacement that a reorg could still undo from failing a withdrawal that might then be
//!   mined after all.
//! - **rejected**: see [`EvmAdapter::reject_if_unseen`].
//! - otherwise it is broadcast again (a `signed` row at once, a `sent` one every 15 s).
//!
//! A sweep or top-up that reverts, is dropped or is rejected marks the deposit's sweep `failed`
//! with an error log, for an operator.

use super::rpc::{Receipt, RpcError};
use super::{rpc_err, to_i64, EvmAdapter, Prepared, REBROADCAST_MS};
use crate::host::chain;
use crate::host::error::ApiError;
use crate::host::store::answer;
use crate::host::store::{col, now_ms, stored, Work};
use crate::host::withdrawals;
use crate::host::AppState;
use serde_json::{json, Value};
use sqlx::Row;
use std::collections::HashMap;
use waas_core::ledger::WithdrawalRecord;
use waas_core::ledger::WithdrawalStatus;
use waas_core::webhook::Event;

/// Longest part of a node's message kept in a failure reason.
const MAX_NODE_MESSAGE: usize = 200;

/// What the node said to a transaction we broadcast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Broadcast {
    /// It has it: accepted now, or already known.
    Accepted,
    /// Not this time: the node was unreachable or busy, or says the nonce is taken (a dropped
    /// transaction is settled from the chain, not from this answer). Sent again later.
    Later(String),
    /// The node refused the transaction itself (insufficient funds for gas, intrinsic gas too
    /// low, exceeds the block gas limit, ...), with its message.
    Refused(String),
}

/// JSON-RPC error codes that say nothing about the transaction: limit exceeded, internal error,
/// method not found or not supported, invalid request, resource unavailable.
const TRANSIENT_CODES: [i64; 6] = [-32005, -32603, -32601, -32004, -32600, -32002];

/// Words of a node's message that say it is busy rather than that the transaction is invalid.
const TRANSIENT_WORDS: [&str; 10] = [
    "rate limit",
    "too many requests",
    "limit exceeded",
    "timeout",
    "timed out",
    "try again",
    "busy",
    "unavailable",
    "pool is full",
    "overloaded",
];

/// Sorts a node's refusal of `eth_sendRawTransaction` (its JSON-RPC error code and message).
pub(super) fn classify(code: i64, message: &str) -> Broadcast {
    let m = message.to_ascii_lowercase();
    if m.contains("already known")
        || m.contains("known transaction")
        || m.contains("already imported")
    {
        return Broadcast::Accepted;
    }
    // "nonce too low", ganache's "doesn't have the correct nonce", "replacement transaction
    // underpriced": the nonce is taken, by ours (mined) or another; the receipt or the dropped
    // check settles it.
    let nonce_taken = m.contains("nonce") || m.contains("replacement transaction");
    if nonce_taken
        || TRANSIENT_CODES.contains(&code)
        || TRANSIENT_WORDS.iter().any(|w| m.contains(w))
    {
        return Broadcast::Later(message.to_owned());
    }
    Broadcast::Refused(message.to_owned())
}

/// One of our transactions, as `chain_txs` holds it.
pub(super) struct OurTx {
    /// Row id.
    pub id: String,
    /// `withdrawal`, `sweep` or `topup`.
    pub purpose: String,
    /// The withdrawal's transaction id, or the swept deposit's id.
    pub reference: String,
    /// The client.
    pub client: String,
    /// The sender's address.
    pub from: String,
    /// Its nonce.
    pub nonce: u64,
    /// The signed bytes, 0x + hex.
    pub raw: String,
    /// Its hash.
    pub hash: String,
    /// `signed` (never accepted by the node) or `sent`.
    pub status: String,
}

impl OurTx {
    /// A transaction just signed and recorded (`signed`).
    pub(super) fn new(p: Prepared, purpose: &str, reference: &str, client: &str) -> OurTx {
        OurTx {
            id: p.id,
            purpose: purpose.to_owned(),
            reference: reference.to_owned(),
            client: client.to_owned(),
            from: p.from,
            nonce: p.nonce,
            raw: p.raw,
            hash: p.hash,
            status: "signed".to_owned(),
        }
    }

    fn from_row(r: &sqlx::any::AnyRow) -> Result<OurTx, ApiError> {
        Ok(OurTx {
            id: col(r, "id")?,
            purpose: col(r, "purpose")?,
            reference: col(r, "ref")?,
            client: col(r, "client_id")?,
            from: col(r, "from_address")?,
            nonce: super::to_u64(r.try_get("nonce")?),
            raw: col(r, "raw")?,
            hash: col(r, "hash")?,
            status: col(r, "status")?,
        })
    }
}

/// What became of one of our transactions.
enum Outcome {
    /// Mined with the chain's confirmations (successful or reverted).
    Mined(Receipt),
    /// Never to be mined: the sender's nonce is used by another transaction, final on chain.
    Dropped,
    /// Refused by the node and unknown to it, with the node's message.
    Rejected(String),
}

impl Outcome {
    /// The `chain_txs` status it leads to.
    fn status(&self) -> &'static str {
        match self {
            Outcome::Mined(r) if r.success => "confirmed",
            Outcome::Mined(_) => "failed",
            Outcome::Dropped => "dropped",
            Outcome::Rejected(_) => "rejected",
        }
    }

    fn success(&self) -> bool {
        matches!(self, Outcome::Mined(r) if r.success)
    }

    /// Why a transaction of `purpose` did not happen.
    fn reason(&self, purpose: &str, tx: &OurTx) -> String {
        match self {
            Outcome::Mined(_) => format!("the {purpose} transaction reverted on chain"),
            Outcome::Dropped => format!(
                "the {purpose} transaction was dropped: another transaction with its nonce {} was mined from {}",
                tx.nonce, tx.from
            ),
            Outcome::Rejected(m) => format!(
                "the node rejected the {purpose} transaction: {}",
                m.chars().take(MAX_NODE_MESSAGE).collect::<String>()
            ),
        }
    }

    /// What the transaction row's body learns.
    fn extra(&self, tx: &OurTx) -> Value {
        match self {
            Outcome::Mined(r) => {
                json!({"chain_tx": tx.hash, "block_number": r.block_number, "gas_used": r.gas_used.to_string()})
            }
            Outcome::Dropped => json!({"chain_tx": tx.hash, "nonce": tx.nonce, "dropped": true}),
            Outcome::Rejected(m) => json!({"chain_tx": tx.hash, "rejected": m}),
        }
    }

    fn block_number(&self) -> Option<i64> {
        match self {
            Outcome::Mined(r) => Some(to_i64(r.block_number)),
            _ => None,
        }
    }
}

impl EvmAdapter {
    /// Broadcasts a recorded transaction and says what the node did; the row becomes `sent`
    /// once the node has it.
    pub(super) async fn broadcast(
        &self,
        state: &AppState,
        id: &str,
        raw: &str,
    ) -> Result<Broadcast, ApiError> {
        let answer = match self.rpc.send_raw(raw).await {
            Ok(_) => Broadcast::Accepted,
            Err(RpcError::Node { code, message }) => classify(code, &message),
            Err(e) => Broadcast::Later(e.to_string()),
        };
        if answer == Broadcast::Accepted {
            sqlx::query("UPDATE chain_txs SET status = 'sent', updated_at = $1 WHERE id = $2 AND status IN ('signed', 'sent')")
                .bind(now_ms())
                .bind(id)
                .execute(state.store.pool())
                .await?;
        }
        Ok(answer)
    }

    /// Broadcasts one of our transactions and acts on the answer: a refusal of a transaction
    /// the node never had may reject it ([`EvmAdapter::reject_if_unseen`]).
    pub(super) async fn send(&self, state: &AppState, tx: &OurTx) -> Result<(), ApiError> {
        match self.broadcast(state, &tx.id, &tx.raw).await? {
            Broadcast::Accepted => Ok(()),
            Broadcast::Later(why) => {
                tracing::warn!(id = %tx.id, hash = %tx.hash, error = %why, "broadcast not done; retried next round");
                Ok(())
            }
            Broadcast::Refused(message) => self.reject_if_unseen(state, tx, &message).await,
        }
    }

    /// A transaction the node refuses (`Broadcast::Refused`: an error about the transaction
    /// itself, not "already known", not a taken nonce, not a transport or busy-node error) while
    /// our row is still `signed`, and that `eth_getTransactionByHash` does not know, is
    /// `rejected`, and its withdrawal fails with the node's message (its debit comes back).
    ///
    /// Why this is safe: a row is `signed` until a node has accepted its bytes, so a signed
    /// transaction that the node now refuses and does not hold (pool or chain) was accepted
    /// nowhere: only we know it, and nobody can mine what nobody has. Once it is `rejected` it is
    /// no longer in flight, so the next transaction of its sender takes the same nonce
    /// (`prepare` picks the lowest free nonce from the node's pending count up) and the signed
    /// bytes can never become valid on chain. The one gap: a broadcast whose answer was lost in
    /// transport after the node accepted and forwarded it, then the node forgot it; that
    /// transaction could still be mined elsewhere, and the next one with its nonce would then
    /// be dropped and fail in turn. A row once `sent` is never rejected: only a receipt or the
    /// dropped check settles it.
    async fn reject_if_unseen(
        &self,
        state: &AppState,
        tx: &OurTx,
        message: &str,
    ) -> Result<(), ApiError> {
        if tx.status != "signed" {
            tracing::warn!(id = %tx.id, hash = %tx.hash, error = %message, "a transaction the node had accepted is refused now; retried next round");
            return Ok(());
        }
        if self
            .rpc
            .transaction_known(&tx.hash)
            .await
            .map_err(rpc_err)?
        {
            return Ok(());
        }
        tracing::warn!(id = %tx.id, hash = %tx.hash, purpose = %tx.purpose, reference = %tx.reference, error = %message, "the node rejected a transaction it never accepted: rejected");
        self.apply_outcome(state, tx, Outcome::Rejected(message.to_owned()))
            .await
    }

    /// Our transactions in flight, oldest nonce first per sender: settled once mined with the
    /// chain's confirmations, dropped once another transaction took their nonce for good, else
    /// broadcast again (see the module doc).
    pub(super) async fn advance_txs(&self, state: &AppState, head: u64) -> Result<(), ApiError> {
        let rows = sqlx::query("SELECT id, purpose, ref, client_id, from_address, nonce, raw, hash, status, updated_at FROM chain_txs WHERE chain = $1 AND status IN ('signed', 'sent') ORDER BY from_address, nonce")
            .bind(self.chain_id())
            .fetch_all(state.store.pool())
            .await?;
        let confirmations = u64::from(self.chain.confirmations);
        let depth = (head + 1).checked_sub(confirmations);
        let mut used: HashMap<String, u64> = HashMap::new();
        for r in rows {
            let tx = OurTx::from_row(&r)?;
            let updated: i64 = r.try_get("updated_at")?;
            // The sender's used nonces, read before our receipt (see the module doc).
            let settled = self.used_nonce(&mut used, &tx.from, depth).await;
            match self.rpc.receipt(&tx.hash).await.map_err(rpc_err)? {
                Some(receipt) => {
                    if head + 1 >= receipt.block_number + confirmations {
                        self.apply_outcome(state, &tx, Outcome::Mined(receipt))
                            .await?;
                    }
                }
                None if settled > tx.nonce => {
                    tracing::warn!(id = %tx.id, hash = %tx.hash, nonce = tx.nonce, from = %tx.from, "another transaction took the nonce for good: dropped");
                    self.apply_outcome(state, &tx, Outcome::Dropped).await?;
                }
                None => {
                    if tx.status == "signed" || now_ms() - updated > REBROADCAST_MS {
                        self.send(state, &tx).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The number of transactions `from` has mined at block `depth` (its next nonce there),
    /// asked once per sender per round; 0 (nothing is dropped) while the chain is shorter than
    /// the confirmations or when the node cannot answer (a pruned node without that block's
    /// state): receipts are still applied.
    async fn used_nonce(
        &self,
        cache: &mut HashMap<String, u64>,
        from: &str,
        depth: Option<u64>,
    ) -> u64 {
        let Some(depth) = depth else {
            return 0;
        };
        if let Some(n) = cache.get(from) {
            return *n;
        }
        let n = match self.rpc.nonce(from, &format!("0x{depth:x}")).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(%from, depth, error = %e, "no nonce at the confirmation depth: dropped transactions are not detected this round");
                0
            }
        };
        cache.insert(from.to_owned(), n);
        n
    }

    /// Applies what became of a transaction, in one database transaction with its row's new
    /// status; nothing when the row is no longer in flight (settled by an earlier round).
    async fn apply_outcome(
        &self,
        state: &AppState,
        tx: &OurTx,
        outcome: Outcome,
    ) -> Result<(), ApiError> {
        let mut w = state.store.begin(&tx.client).await?;
        // A rejected transaction must still be `signed`; the others `signed` or `sent`.
        let also = if matches!(outcome, Outcome::Rejected(_)) {
            "signed"
        } else {
            "sent"
        };
        let moved = sqlx::query("UPDATE chain_txs SET status = $1, block_number = $2, updated_at = $3 WHERE id = $4 AND (status = 'signed' OR status = $5)")
            .bind(outcome.status())
            .bind(outcome.block_number())
            .bind(now_ms())
            .bind(&tx.id)
            .bind(also)
            .execute(w.conn().await?)
            .await?;
        if moved.rows_affected() == 0 {
            return Ok(());
        }
        match tx.purpose.as_str() {
            "sweep" | "topup" => sweep_outcome(&mut w, tx, &outcome).await?,
            _ => withdrawal_outcome(&mut w, tx, &outcome).await?,
        }
        w.commit().await?;
        state.outbox_notify.notify_one();
        Ok(())
    }
}

/// A sweep or top-up settled: a confirmed sweep reaches the ledger; anything that did not happen
/// marks the deposit's sweep `failed` for an operator.
async fn sweep_outcome(w: &mut Work, tx: &OurTx, outcome: &Outcome) -> Result<(), ApiError> {
    let reference = &tx.reference;
    let sweep = match (tx.purpose.as_str(), outcome.success()) {
        ("sweep", true) => {
            let d =
                sqlx::query("SELECT wallet_id, token, amount FROM chain_deposits WHERE id = $1")
                    .bind(reference)
                    .fetch_one(w.conn().await?)
                    .await?;
            chain::record_sweep(
                w,
                &format!("sweep:{reference}"),
                &col(&d, "wallet_id")?,
                &col(&d, "token")?,
                &col(&d, "amount")?,
                &outcome.extra(tx),
            )
            .await?;
            Some("swept")
        }
        (_, true) => None,
        _ => {
            let reason = outcome.reason(&tx.purpose, tx);
            tracing::error!(%reference, hash = %tx.hash, %reason, "the sweep needs an operator");
            Some("failed")
        }
    };
    if let Some(s) = sweep {
        sqlx::query("UPDATE chain_deposits SET sweep = $1, updated_at = $2 WHERE id = $3")
            .bind(s)
            .bind(now_ms())
            .bind(reference)
            .execute(w.conn().await?)
            .await?;
    }
    Ok(())
}

/// A withdrawal's transaction settled: the core's lifecycle confirms it, or fails it with its
/// debit given back.
async fn withdrawal_outcome(w: &mut Work, tx: &OurTx, outcome: &Outcome) -> Result<(), ApiError> {
    let reference = &tx.reference;
    let t =
        sqlx::query("SELECT type, status, body FROM transactions WHERE id = $1 AND client_id = $2")
            .bind(reference)
            .bind(w.client_id.clone())
            .fetch_one(w.conn().await?)
            .await?;
    let kind = col(&t, "type")?;
    let mut body: Value = stored(&col(&t, "body")?, "transaction body")?;
    chain::merge(&mut body, &outcome.extra(tx));
    let reason = outcome.reason("withdrawal", tx);
    if !w.remember_withdrawal(reference).await? {
        // Written by a version before the lifecycle (no record): as it was then.
        return legacy_withdrawal_outcome(w, reference, &kind, outcome.success(), &reason, body)
            .await;
    }
    w.upsert_transaction(
        reference,
        None,
        &kind,
        &col(&t, "status")?,
        None,
        None,
        &body,
    )
    .await?;
    let step = if outcome.success() {
        withdrawals::Step::Confirm
    } else {
        tracing::warn!(%reference, hash = %tx.hash, %reason, "withdrawal failed: its debit is given back");
        withdrawals::Step::Fail(reason)
    };
    withdrawals::advance(w, reference, step).await?;
    Ok(())
}

/// The outcome of a withdrawal written before the lifecycle (no record): its row's status and
/// the WITHDRAWAL event; a failed one keeps its debit until an operator decides.
async fn legacy_withdrawal_outcome(
    w: &mut Work,
    reference: &str,
    kind: &str,
    success: bool,
    reason: &str,
    mut body: Value,
) -> Result<(), ApiError> {
    let status = if success {
        WithdrawalStatus::Confirmed
    } else {
        tracing::error!(%reference, %reason, "withdrawal failed: the ledger keeps its debit until an operator decides");
        WithdrawalStatus::Failed
    };
    body["status"] = json!(status.as_str());
    w.upsert_transaction(reference, None, kind, status.as_str(), None, None, &body)
        .await?;
    let subject = withdrawals::WithdrawalKind::parse(kind)
        .ok_or_else(|| {
            ApiError::corrupt("transaction row", format_args!("{kind} is no withdrawal"))
        })?
        .subject();
    match Event::withdrawal(subject, reference, status, Some(reason), answer(&body)) {
        Some(event) => w.emit(event),
        None => Ok(()),
    }
}

/// A withdrawal's lifecycle record, read from its row without locking the client's books.
pub(super) async fn withdrawal_record(
    state: &AppState,
    client: &str,
    id: &str,
) -> Result<Option<WithdrawalRecord>, ApiError> {
    let row = sqlx::query(
        "SELECT body FROM records WHERE client_id = $1 AND kind = 'withdrawal' AND key = $2",
    )
    .bind(client)
    .bind(id)
    .fetch_optional(state.store.pool())
    .await?;
    match row {
        Some(r) => Ok(Some(stored(&col(&r, "body")?, "ledger record")?)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_refusals() {
        assert_eq!(classify(-32000, "already known"), Broadcast::Accepted);
        for later in [
            (-32000, "nonce too low"),
            (
                -32000,
                "the tx doesn't have the correct nonce. account has nonce of: 1 tx has nonce of: 0",
            ),
            (-32000, "replacement transaction underpriced"),
            (-32005, "whatever"),
            (-32603, "internal error"),
            (-32000, "txpool is full"),
            (429, "Too Many Requests"),
        ] {
            assert!(
                matches!(classify(later.0, later.1), Broadcast::Later(_)),
                "{later:?}"
            );
        }
        for refused in [
            (-32003, "insufficient funds for gas * price + value"),
            (-32000, "intrinsic gas too low"),
            (-32000, "exceeds block gas limit"),
            (-32000, "transaction underpriced"),
        ] {
            assert_eq!(
                classify(refused.0, refused.1),
                Broadcast::Refused(refused.1.to_owned())
            );
        }
    }
}
