//! Withdrawals after their debit: each step of the core's lifecycle (broadcast, confirm, fail,
//! cancel) moves the withdrawal's record, its transaction row and its webhook together, in the
//! caller's [`Work`]. Chain back-ends (the simulated chain below, the EVM adapter) call
//! [`advance`] when they sign, see a receipt or see a failure; the API calls it to cancel.
//!
//! Webhooks keep the seed's envelope (status `SUCCESS`, `CANCELLED` or `FAILED`):
//! `WITHDRAWAL_PENDING` when the debit is taken, `WITHDRAWAL_BROADCAST` with the transaction hash,
//! then `WITHDRAWAL` once, with `SUCCESS` on confirmation, `FAILED` (and the reason) when it
//! failed and its debit came back, or `CANCELLED`.

use super::error::ApiError;
use super::store::{col, now_ms, Work};
use super::AppState;
use crate::host::store::answer;
use serde_json::{json, Value};
use sqlx::Row;
use waas_core::access::Environment;
use waas_core::ledger::{AddressOwner, Book, Movement, WithdrawalStatus};
use waas_core::webhook::Event;
use waas_core::webhook::Subject;

/// The transaction types that are withdrawals (the `type` of their transaction rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithdrawalKind {
    /// From a virtual wallet.
    Withdrawal,
    /// From a holding wallet.
    HoldingWithdrawal,
    /// From a treasury wallet.
    TreasurySend,
    /// A deposit sent back to where it came from.
    DepositRefund,
}

impl WithdrawalKind {
    /// Every kind.
    pub const ALL: [WithdrawalKind; 4] = [
        WithdrawalKind::Withdrawal,
        WithdrawalKind::HoldingWithdrawal,
        WithdrawalKind::TreasurySend,
        WithdrawalKind::DepositRefund,
    ];

    /// The `type` of its transaction rows.
    pub const fn as_str(self) -> &'static str {
        match self {
            WithdrawalKind::Withdrawal => "withdrawal",
            WithdrawalKind::HoldingWithdrawal => "holding_withdrawal",
            WithdrawalKind::TreasurySend => "treasury_send",
            WithdrawalKind::DepositRefund => "deposit_refund",
        }
    }

    /// The kind of a transaction row's `type`; `None` when it is no withdrawal.
    pub fn parse(text: &str) -> Option<WithdrawalKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The webhook operation its events are sent under.
    pub fn subject(self) -> Subject {
        match self {
            WithdrawalKind::HoldingWithdrawal => Subject::HoldingWallet,
            WithdrawalKind::TreasurySend => Subject::Treasury,
            WithdrawalKind::Withdrawal | WithdrawalKind::DepositRefund => Subject::VirtualWallet,
        }
    }
}

/// A step of a withdrawal's life.
#[derive(Debug, Clone)]
pub enum Step {
    /// Signed and sent as this transaction hash.
    Broadcast(String),
    /// Final on chain.
    Confirm,
    /// Failed for this reason (its debit comes back).
    Fail(String),
    /// Cancelled while pending (its debit comes back).
    Cancel,
}

/// Moves a withdrawal one step: the core's record, the transaction row (status, `tx_hash`,
/// `reason`) and the webhook. Repeating a step already taken changes nothing and sends nothing.
pub async fn advance(w: &mut Work, id: &str, step: Step) -> Result<Value, ApiError> {
    let row =
        sqlx::query("SELECT type, status, body FROM transactions WHERE id = $1 AND client_id = $2")
            .bind(id)
            .bind(w.client_id.clone())
            .fetch_optional(w.conn().await?)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no withdrawal {id}")))?;
    let Some(kind) = WithdrawalKind::parse(&col(&row, "type")?) else {
        return Err(ApiError::not_found(format!("no withdrawal {id}")));
    };
    let before = col(&row, "status")?;
    let mut body: Value = super::store::stored(&col(&row, "body")?, "transaction body")?;
    remember(w, id).await?;
    let record = match &step {
        Step::Broadcast(hash) => w.ledger.withdrawal_broadcast(id, hash)?,
        Step::Confirm => w.ledger.withdrawal_confirm(id)?,
        Step::Fail(reason) => w.ledger.withdrawal_fail(id, reason)?,
        Step::Cancel => w.ledger.withdrawal_cancel(id)?,
    }
    .clone();
    let status = record.status.as_str();
    body["status"] = json!(status);
    if let Some(h) = &record.tx_hash {
        body["tx_hash"] = json!(h);
    }
    if let Some(r) = &record.reason {
        body["reason"] = json!(r);
    }
    if before == status {
        return Ok(body);
    }
    w.upsert_transaction(id, None, kind.as_str(), status, None, None, &body)
        .await?;
    if let (
        WithdrawalStatus::Failed | WithdrawalStatus::Cancelled,
        Movement::DepositRefund { tx, .. },
    ) = (record.status, &record.movement)
    {
        // A refund from the deposit address that did not happen: its sweep may start again
        // (docs in evm/sends.rs; deposits of other chains have no such row).
        sqlx::query("UPDATE chain_deposits SET sweep = 'due', updated_at = $1 WHERE id = $2 AND client_id = $3 AND sweep = 'refund'")
            .bind(now_ms())
            .bind(tx)
            .bind(w.client_id.clone())
            .execute(w.conn().await?)
            .await?;
    }
    let event = Event::withdrawal(
        kind.subject(),
        id,
        record.status,
        record.reason.as_deref(),
        answer(&body),
    );
    if let Some(event) = event {
        w.emit(event)?;
    }
    Ok(body)
}

/// Who owns `address` among the client's wallets on `chain`: one of its wallets, its holding
/// wallet, or nobody (an outside address). The address is compared in its canonical form; an
/// owning wallet joins the working set.
pub async fn owner_of(
    w: &mut Work,
    registry: &waas_core::Registry,
    chain: &str,
    address: &str,
) -> Result<AddressOwner, ApiError> {
    let family = registry.chain(chain)?.family;
    let canonical = waas_core::Address::parse(family, address)?.to_string();
    let wallet = sqlx::query(
        "SELECT id FROM wallets WHERE client_id = $1 AND address = $2 AND blockchain = $3",
    )
    .bind(w.client_id.clone())
    .bind(&canonical)
    .bind(chain)
    .fetch_optional(w.conn().await?)
    .await?;
    if let Some(r) = wallet {
        // The core decides with the owner in the working set.
        let id = col(&r, "id")?;
        w.need_wallets(&[&id]).await?;
        return Ok(AddressOwner::Wallet(id));
    }
    let holding = sqlx::query(
        "SELECT blockchain FROM holdings WHERE client_id = $1 AND address = $2 AND blockchain = $3",
    )
    .bind(w.client_id.clone())
    .bind(&canonical)
    .bind(chain)
    .fetch_optional(w.conn().await?)
    .await?;
    Ok(match holding {
        Some(r) => AddressOwner::Holding(col(&r, "blockchain")?),
        None => AddressOwner::Outside,
    })
}

/// The fee of a withdrawal of `amount` of `token` on `chain`: the schedule the platform set for
/// the client (it replaces the caller's offer), else the offer.
pub async fn fee_for(
    w: &mut Work,
    registry: &waas_core::Registry,
    chain: &str,
    token: &str,
    offered: Option<waas_core::Amount>,
    amount: waas_core::Amount,
) -> Result<waas_core::fees::Quote, ApiError> {
    let t = registry.token(chain, token)?;
    let settings = super::api::management::configuration::settings_in(w).await?;
    let schedule = settings
        .withdrawal_fees
        .get(&format!("{chain}/{}", t.symbol));
    Ok(waas_core::fees::quote(
        schedule, offered, amount, t.decimals,
    )?)
}

/// Loads a withdrawal's record and the wallets its debit touched into the working set.
async fn remember(w: &mut Work, id: &str) -> Result<(), ApiError> {
    if !w.remember_withdrawal(id).await? {
        return Err(ApiError::not_found(format!(
            "withdrawal {id} has no lifecycle record (made by an older version; it stays as it is)"
        )));
    }
    // A refund that fails leaves its deposit waiting again: the deposit joins the working set.
    if let Movement::DepositRefund { tx, .. } = &w.ledger.withdrawal(id)?.movement {
        let tx = tx.clone();
        w.remember_deposit(&tx).await?;
    }
    let wallets: Vec<String> = w
        .ledger
        .withdrawal(id)?
        .legs
        .iter()
        .flat_map(|l| [&l.from, &l.to])
        .filter_map(|b| match b {
            Book::Wallet(wallet, _) => Some(wallet.clone()),
            _ => None,
        })
        .collect();
    let names: Vec<&str> = wallets.iter().map(String::as_str).collect();
    w.need_wallets(&names).await
}

/// Sandbox: signs pending withdrawals of chains no real back-end serves one block after their
/// debit (a hash made from the id) and confirms them after the chain's confirmations at the
/// simulated block time.
pub async fn simulate_due(state: &AppState, served: Option<&str>) -> Result<(), ApiError> {
    if state.environment != Environment::Sandbox {
        return Ok(());
    }
    let rows = sqlx::query("SELECT id, client_id, type, status, updated_at, body FROM transactions WHERE status IN ('pending', 'broadcast') AND type IN ('withdrawal', 'holding_withdrawal', 'treasury_send', 'deposit_refund') ORDER BY updated_at LIMIT 100")
        .fetch_all(state.store.pool())
        .await?;
    let block_ms = i64::try_from(state.sim_block_ms).unwrap_or(1000);
    for r in rows {
        let (id, client, status) = (col(&r, "id")?, col(&r, "client_id")?, col(&r, "status")?);
        // A row that cannot be read is logged (CORRUPT_RECORD) and left for an operator; the
        // others go on.
        let Ok(body) = super::store::stored::<Value>(&col(&r, "body")?, "transaction body") else {
            continue;
        };
        let Ok(chain) = super::store::stored_text(&body, "blockchain", "transaction body") else {
            continue;
        };
        if served.is_some_and(|c| c == chain) {
            continue;
        }
        // Sent one block after the debit; final after the chain's confirmations.
        let blocks = if status == "pending" {
            1
        } else {
            state
                .store
                .registry()
                .chain(chain)
                .map_or(1, |c| i64::from(c.confirmations))
        };
        if now_ms() < r.try_get::<i64, _>("updated_at")? + blocks * block_ms {
            continue;
        }
        let step = if status == "pending" {
            Step::Broadcast(sim_hash(&id))
        } else {
            Step::Confirm
        };
        let mut w = state.store.begin(&client).await?;
        match advance(&mut w, &id, step).await {
            Ok(_) => {
                w.commit().await?;
                state.outbox_notify.notify_one();
            }
            Err(e) => tracing::warn!(%id, error = %e, "simulated withdrawal"),
        }
    }
    Ok(())
}

/// The simulated chain's transaction hash of a withdrawal: SHA-256 of its id, as 0x + hex.
fn sim_hash(id: &str) -> String {
    use sha2::Digest;
    format!("0x{}", hex::encode(sha2::Sha256::digest(id.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_row_type_and_nothing_else_is_a_withdrawal() {
        for kind in WithdrawalKind::ALL {
            assert_eq!(WithdrawalKind::parse(kind.as_str()), Some(kind));
        }
        for other in ["deposit", "transfer", "", "WITHDRAWAL"] {
            assert_eq!(WithdrawalKind::parse(other), None, "{other}");
        }
    }

    #[test]
    fn each_kind_is_announced_under_its_wallet_s_operation() {
        let subjects = WithdrawalKind::ALL.map(WithdrawalKind::subject);
        assert_eq!(
            subjects,
            [
                Subject::VirtualWallet,
                Subject::HoldingWallet,
                Subject::Treasury,
                Subject::VirtualWallet
            ]
        );
    }
}
