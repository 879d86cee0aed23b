//! Our own transactions on an EVM chain: withdrawals signed and broadcast, and every transaction
//! we sent (withdrawals, sweeps, gas top-ups) settled from what the chain did with it.
//!
//! **Who signs.** A withdrawal from a virtual wallet (`withdrawal`, also a hold captured to an
//! address) and a holding withdrawal (`holding_withdrawal`) leave from the holding wallet
//! (`evm_holding_key`). A treasury send (`treasury_send`) leaves from the treasury wallet's own
//! address, child 0 of its own account (`evm_deposit_key(derivation_index, 0)`, the key of
//! `deposit_address(family, account, 0)` that made its address). A below-minimum refund
//! (`deposit_refund`) leaves from where the core's refund legs take it: `Book::OnChain(wallet,
//! token)` is the deposit address (`evm_deposit_key(holding account, derivation_index)`, as a
//! sweep signs), `Book::Holding` the holding wallet, and neither (a treasury wallet's deposit) the
//! treasury wallet's address. The signer's address is checked against the wallet's stored address
//! before anything is signed. Gas comes from the sending address: a treasury or deposit address
//! without native coin for gas is refused by the node, and the refusal fails the withdrawal
//! cleanly (below).
//!
//! **A refund and the sweep of the same deposit.** Both would spend the same funds from the
//! deposit address, so they are kept apart when the refund is made ([`refund_vs_sweep`], in the
//! API's database transaction): a refund leaves from the deposit address only if the deposit's
//! sweep has not started (`due`, then marked `refund` so the sweeper never starts it; the sweeper
//! marks a sweep `sent` or `topup` only from `due`/`topup`, so one of the two wins), or will never
//! start (`dust`, `failed`). While the sweep is in flight (`topup`, `sent`), or when this deposit
//! was swept but the address still holds other deposits waiting for their sweeps, the refund is
//! refused with a message to retry once the sweeps are confirmed: then the core takes it from the
//! holding wallet. A refund that fails or is cancelled puts a `refund` sweep back to `due`
//! (`withdrawals::advance`), so the funds reach the holding wallet after all.

use super::broadcasts::{withdrawal_record, OurTx};
use super::{rpc_err, EvmAdapter, NATIVE_GAS};
use crate::host::error::ApiError;
use crate::host::store::{col, now_ms, opt_col, stored, Work};
use crate::host::withdrawals;
use crate::host::AppState;
use serde_json::{json, Value};
use sqlx::Row;
use waas_core::ledger::{Book, Leg};
use waas_core::tx::{erc20_transfer_data, signer_address, U256};
use waas_core::{Address, Amount, Family, Token};

/// Where a refund's money leaves on chain, as the core's legs say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundFrom {
    /// The deposit address of this virtual wallet (not swept yet).
    Address(String),
    /// The holding wallet (swept there).
    Holding,
    /// The wallet's own address (a treasury wallet's deposit, never swept).
    Own,
}

/// The source of a refund from its legs: a leg out of `OnChain` or `Holding`, else the wallet's
/// own address.
pub fn refund_source(legs: &[Leg]) -> RefundFrom {
    for l in legs {
        match &l.from {
            Book::OnChain(wallet, _) => return RefundFrom::Address(wallet.clone()),
            Book::Holding(..) => return RefundFrom::Holding,
            _ => {}
        }
    }
    RefundFrom::Own
}

/// Keeps a refund of deposit `tx` from the deposit address apart from the sweep of the same
/// funds (see the module doc), in the refund's own database transaction. Deposits of chains no
/// EVM adapter serves have no `chain_deposits` row and pass.
pub async fn refund_vs_sweep(w: &mut Work, tx: &str, from: &RefundFrom) -> Result<(), ApiError> {
    if !matches!(from, RefundFrom::Address(_)) {
        return Ok(());
    }
    let row = sqlx::query(
        "SELECT sweep, wallet_id, token FROM chain_deposits WHERE id = $1 AND client_id = $2",
    )
    .bind(tx)
    .bind(w.client_id.clone())
    .fetch_optional(w.conn().await?)
    .await?;
    let Some(row) = row else {
        return Ok(());
    };
    let busy = || {
        ApiError::bad_request(format!(
            "deposit {tx} is being swept to the holding wallet: refund it once the sweep is confirmed (it then leaves from the holding wallet)"
        ))
    };
    match col(&row, "sweep")?.as_str() {
        "topup" | "sent" => Err(busy()),
        "due" => {
            let claimed = sqlx::query("UPDATE chain_deposits SET sweep = 'refund', updated_at = $1 WHERE id = $2 AND sweep = 'due'")
                .bind(now_ms())
                .bind(tx)
                .execute(w.conn().await?)
                .await?;
            if claimed.rows_affected() == 1 {
                Ok(())
            } else {
                Err(busy())
            }
        }
        "swept" => {
            let waiting = sqlx::query("SELECT id FROM chain_deposits WHERE wallet_id = $1 AND token = $2 AND id <> $3 AND sweep IN ('due', 'topup', 'sent') LIMIT 1")
                .bind(col(&row, "wallet_id")?)
                .bind(col(&row, "token")?)
                .bind(tx)
                .fetch_optional(w.conn().await?)
                .await?;
            match waiting {
                Some(_) => Err(ApiError::bad_request(format!(
                    "the address of deposit {tx} holds other deposits waiting for their sweeps: refund it once they are swept (it then leaves from the holding wallet)"
                ))),
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// A withdrawal waiting to be signed, as its transaction row holds it.
struct Waiting {
    id: String,
    client: String,
    kind: String,
    wallet: Option<String>,
    token: String,
    amount: String,
    body: Value,
}

/// Whose key signs a withdrawal.
enum Signer {
    /// The client's holding wallet on the chain.
    Holding,
    /// A treasury wallet's own address.
    Treasury(String),
    /// A virtual wallet's deposit address.
    DepositAddress(String),
}

impl EvmAdapter {
    /// Signs and broadcasts the withdrawals the API recorded (`pending`; `submitted` before the
    /// lifecycle) on this chain: virtual-wallet and holding withdrawals, treasury sends and
    /// below-minimum refunds. A withdrawal that cannot be signed is logged and tried again next
    /// round; the others go on.
    pub(super) async fn sign_withdrawals(&self, state: &AppState) -> Result<(), ApiError> {
        let rows = sqlx::query("SELECT t.id, t.client_id, t.type, t.wallet_id, t.token, t.amount, t.body FROM transactions t WHERE t.status IN ('submitted', 'pending') AND t.type IN ('withdrawal', 'holding_withdrawal', 'treasury_send', 'deposit_refund') ORDER BY t.created_at LIMIT 50")
            .fetch_all(state.store.pool())
            .await?;
        for r in rows {
            // A row that cannot be read is logged (CORRUPT_RECORD) and left for an operator.
            let Ok(body) = stored::<Value>(&col(&r, "body")?, "transaction body") else {
                continue;
            };
            let waiting = Waiting {
                id: col(&r, "id")?,
                client: col(&r, "client_id")?,
                kind: col(&r, "type")?,
                wallet: opt_col(&r, "wallet_id")?,
                token: opt_col(&r, "token")?.unwrap_or_default(),
                amount: opt_col(&r, "amount")?.unwrap_or_default(),
                body,
            };
            if self.chain_of(state, &waiting).await? != self.chain_id() {
                continue;
            }
            if let Err(e) = self.sign_one(state, waiting).await {
                tracing::warn!(chain = %self.chain.id, error = %e, "withdrawal: signing or sending failed; retried next round");
            }
        }
        Ok(())
    }

    /// The chain of a withdrawal: its body's `blockchain`, else its wallet's (rows written
    /// before bodies carried it).
    async fn chain_of(&self, state: &AppState, w: &Waiting) -> Result<String, ApiError> {
        if let Some(c) = w.body["blockchain"].as_str() {
            return Ok(c.to_owned());
        }
        let row = sqlx::query("SELECT blockchain FROM wallets WHERE id = $1")
            .bind(w.wallet.as_deref().unwrap_or_default())
            .fetch_optional(state.store.pool())
            .await?;
        Ok(match row {
            Some(r) => opt_col(&r, "blockchain")?.unwrap_or_default(),
            None => String::new(),
        })
    }

    /// Signs one withdrawal, records it with its lifecycle step (broadcast) in one database
    /// transaction, then broadcasts it.
    async fn sign_one(&self, state: &AppState, waiting: Waiting) -> Result<(), ApiError> {
        let key = self.signing_key(state, &waiting).await?;
        let Waiting {
            id,
            client,
            kind,
            token,
            amount,
            mut body,
            ..
        } = waiting;
        let (id, client, kind) = (id.as_str(), client.as_str(), kind.as_str());
        let token = self.token(&token)?;
        let units = Amount::parse(&amount, waas_core::amount::MAX_DECIMALS)?
            .to_base_units(token.decimals)?;
        let to = Address::parse(
            Family::Evm,
            crate::host::store::stored_text(&body, "to_address", "withdrawal body")?,
        )?;
        let from = signer_address(&key).to_string();
        let pending = self.rpc.nonce(&from, "pending").await.map_err(rpc_err)?;
        let (fees, _) = self.fees().await?;
        let (call_to, value, data, gas) = self.call(&token, to, units)?;
        let mut w = state.store.begin(client).await?;
        let exists = sqlx::query(
            "SELECT id FROM chain_txs WHERE chain = $1 AND purpose = 'withdrawal' AND ref = $2 AND client_id = $3",
        )
        .bind(self.chain_id())
        .bind(id)
        .bind(client)
        .fetch_optional(w.conn().await?)
        .await?;
        if exists.is_some() {
            return Ok(());
        }
        let p = self
            .prepare(
                w.conn().await?,
                &key,
                pending,
                call_to,
                value,
                data,
                gas,
                fees,
            )
            .await?;
        self.record_tx(w.conn().await?, &p, "withdrawal", id, client)
            .await?;
        body["chain_tx"] = json!(p.hash);
        body["nonce"] = json!(p.nonce);
        body["from_address"] = json!(p.from);
        if w.remember_withdrawal(id).await? {
            w.upsert_transaction(id, None, kind, "pending", None, None, &body)
                .await?;
            withdrawals::advance(&mut w, id, withdrawals::Step::Broadcast(p.hash.clone())).await?;
        } else {
            // Written by a version before the lifecycle (no record): as it was then.
            body["status"] = json!("broadcast");
            w.upsert_transaction(id, None, kind, "broadcast", None, None, &body)
                .await?;
        }
        w.commit().await?;
        state.outbox_notify.notify_one();
        tracing::info!(%id, %kind, hash = %p.hash, from = %p.from, "withdrawal broadcast");
        self.send(state, &OurTx::new(p, "withdrawal", id, client))
            .await
    }

    /// The call that moves `units` of `token` to `to`: (contract or recipient, value, data, gas).
    fn call(
        &self,
        token: &Token,
        to: Address,
        units: u128,
    ) -> Result<(Address, u128, Vec<u8>, u64), ApiError> {
        Ok(match &token.contract {
            None => (to, units, Vec::new(), NATIVE_GAS),
            Some(c) => (
                *c,
                0,
                erc20_transfer_data(&to, &U256::from(units))?,
                self.setup.token_gas,
            ),
        })
    }

    /// Whose key signs a withdrawal (see the module doc).
    async fn signer(&self, state: &AppState, w: &Waiting) -> Result<Signer, ApiError> {
        let wallet = || {
            w.wallet
                .clone()
                .ok_or_else(|| ApiError::internal(format!("{} {} names no wallet", w.kind, w.id)))
        };
        let kind = withdrawals::WithdrawalKind::parse(&w.kind).ok_or_else(|| {
            ApiError::corrupt(
                "transaction row",
                format_args!("{} is no withdrawal", w.kind),
            )
        })?;
        Ok(match kind {
            withdrawals::WithdrawalKind::TreasurySend => Signer::Treasury(wallet()?),
            withdrawals::WithdrawalKind::DepositRefund => {
                let record = withdrawal_record(state, &w.client, &w.id)
                    .await?
                    .ok_or_else(|| ApiError::internal(format!("refund {} has no record", w.id)))?;
                match refund_source(&record.legs) {
                    RefundFrom::Address(v) => Signer::DepositAddress(v),
                    RefundFrom::Holding => Signer::Holding,
                    RefundFrom::Own => Signer::Treasury(wallet()?),
                }
            }
            withdrawals::WithdrawalKind::Withdrawal
            | withdrawals::WithdrawalKind::HoldingWithdrawal => Signer::Holding,
        })
    }

    /// The private key that signs a withdrawal, checked against the address it must have.
    async fn signing_key(
        &self,
        state: &AppState,
        w: &Waiting,
    ) -> Result<k256::ecdsa::SigningKey, ApiError> {
        let (key, expected) = match self.signer(state, w).await? {
            Signer::Holding => {
                let (account, address) = self.holding(state, &w.client).await?;
                (state.keys.evm_holding_key(account)?, address)
            }
            Signer::Treasury(wallet) => {
                // A treasury wallet's account is its derivation index; its address is child 0.
                let (account, address) = self.wallet_key(state, w, &wallet, "treasury").await?;
                (state.keys.evm_deposit_key(account, 0)?, address)
            }
            Signer::DepositAddress(wallet) => {
                let (index, address) = self.wallet_key(state, w, &wallet, "virtual").await?;
                let (account, _) = self.holding(state, &w.client).await?;
                (state.keys.evm_deposit_key(account, index)?, address)
            }
        };
        if signer_address(&key) != expected {
            return Err(ApiError::internal(format!(
                "the key derived for {} {} is not the key of {expected}: not signed",
                w.kind, w.id
            )));
        }
        Ok(key)
    }

    /// A wallet's derivation index and address (its kind checked).
    async fn wallet_key(
        &self,
        state: &AppState,
        w: &Waiting,
        wallet: &str,
        kind: &str,
    ) -> Result<(u32, Address), ApiError> {
        let row = sqlx::query("SELECT derivation_index, address FROM wallets WHERE id = $1 AND client_id = $2 AND kind = $3 AND blockchain = $4")
            .bind(wallet)
            .bind(&w.client)
            .bind(kind)
            .bind(self.chain_id())
            .fetch_optional(state.store.pool())
            .await?
            .ok_or_else(|| {
                ApiError::internal(format!("{} {}: no {kind} wallet {wallet} on {}", w.kind, w.id, self.chain.id))
            })?;
        let index: Option<i64> = row.try_get("derivation_index")?;
        let index = index.and_then(|i| u32::try_from(i).ok()).ok_or_else(|| {
            ApiError::internal(format!("wallet {wallet} has no derivation index"))
        })?;
        let address = opt_col(&row, "address")?.unwrap_or_default();
        Ok((index, Address::parse(Family::Evm, &address)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use waas_core::ledger::{HoldingKey, SystemAccount};

    #[test]
    fn refund_leaves_where_the_legs_say() {
        let leg = |from: Book| Leg {
            from,
            to: Book::System(SystemAccount::Chain {
                chain: "local".into(),
                token: "ETH".into(),
            }),
            amount: Decimal::ONE,
        };
        let suspense = leg(Book::System(SystemAccount::Suspense {
            client: "c".into(),
            chain: "local".into(),
            token: "ETH".into(),
        }));
        assert_eq!(
            refund_source(&[
                suspense.clone(),
                leg(Book::OnChain("w1".into(), "ETH".into()))
            ]),
            RefundFrom::Address("w1".into())
        );
        assert_eq!(
            refund_source(&[
                suspense.clone(),
                leg(Book::Holding(
                    HoldingKey::new("c1", "ethereum"),
                    "ETH".into()
                ))
            ]),
            RefundFrom::Holding
        );
        assert_eq!(refund_source(&[suspense]), RefundFrom::Own);
    }
}
