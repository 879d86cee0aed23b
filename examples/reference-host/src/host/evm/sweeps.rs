//! Deposits after the scan: credited once priced, posted once confirmed, then swept to the
//! holding wallet (a gas top-up first where a token sweep needs it).

use super::broadcasts;
use super::prepare::eip1559;
use super::{rpc_err, to_i64, EvmAdapter, DEFAULT_TIP, NATIVE_GAS};
use crate::host::chain::{self, Incoming};
use crate::host::error::ApiError;
use crate::host::store::{col, now_ms};
use crate::host::AppState;
use serde_json::json;
use sqlx::Row;
use waas_core::ledger::WalletKind;
use waas_core::tx::{erc20_transfer_data, signer_address, Fees, U256};
use waas_core::{Address, Amount, Family, Token};

impl EvmAdapter {
    /// Credits deposits that waited for a price, and posts those with enough confirmations.
    pub(super) async fn settle(
        &self,
        state: &AppState,
        head: u64,
        next: u64,
    ) -> Result<(), ApiError> {
        self.credit_priced(state).await?;
        self.post_confirmed(state, head, next).await
    }

    /// Credits the deposits that waited for a USD price, once their token has one.
    async fn credit_priced(&self, state: &AppState) -> Result<(), ApiError> {
        let unpriced = sqlx::query("SELECT d.id, d.client_id, d.wallet_id, d.token, d.amount, d.tx_hash, d.log_index, d.block_number, d.block_hash, w.kind FROM chain_deposits d JOIN wallets w ON w.id = d.wallet_id WHERE d.chain = $1 AND d.status = 'unpriced' LIMIT 100")
            .bind(self.chain_id())
            .fetch_all(state.store.pool())
            .await?;
        for r in unpriced {
            let client = col(&r, "client_id")?;
            let token = col(&r, "token")?;
            let Some(price) = self.price(state, &client, &token).await? else {
                continue;
            };
            let id = col(&r, "id")?;
            let incoming = Incoming {
                tx: id.clone(),
                wallet: col(&r, "wallet_id")?,
                chain: self.chain_id().to_owned(),
                kind: WalletKind::parse(&col(&r, "kind")?)?,
                token,
                amount: Amount::parse(&col(&r, "amount")?, waas_core::amount::MAX_DECIMALS)?,
                usd_price: price,
                confirmations: self.chain.confirmations,
                extra: json!({"chain_tx": col(&r, "tx_hash")?, "log_index": r.try_get::<i64, _>("log_index")?, "block_number": r.try_get::<i64, _>("block_number")?, "block_hash": col(&r, "block_hash")?}),
            };
            let mut w = state.store.begin(&client).await?;
            chain::credit(&mut w, &incoming).await?;
            sqlx::query("UPDATE chain_deposits SET status = 'pending', updated_at = $1 WHERE id = $2 AND status = 'unpriced'")
                .bind(now_ms())
                .bind(&id)
                .execute(w.conn().await?)
                .await?;
            w.commit().await?;
            state.outbox_notify.notify_one();
        }
        Ok(())
    }

    /// Posts the pending deposits with the chain's confirmations: at least `confirmations`
    /// blocks on top of (and including) its block, and a block the scan has verified against
    /// the node this tick.
    async fn post_confirmed(&self, state: &AppState, head: u64, next: u64) -> Result<(), ApiError> {
        let deep = (to_i64(head) + 1).saturating_sub(i64::from(self.chain.confirmations));
        let bound = deep.min(to_i64(next) - 1);
        let due = sqlx::query("SELECT id, client_id, wallet_id, token, amount, tx_hash, block_number FROM chain_deposits WHERE chain = $1 AND status = 'pending' AND block_number <= $2 ORDER BY block_number LIMIT 200")
            .bind(self.chain_id())
            .bind(bound)
            .fetch_all(state.store.pool())
            .await?;
        for r in due {
            let id = col(&r, "id")?;
            let mut w = state.store.begin(&col(&r, "client_id")?).await?;
            let bn: i64 = r.try_get("block_number")?;
            let extra = json!({"chain_tx": col(&r, "tx_hash")?, "block_number": bn, "confirmations": to_i64(head) - bn + 1});
            let (_, kind) = chain::settle_confirmed(
                &mut w,
                &id,
                &col(&r, "wallet_id")?,
                &col(&r, "token")?,
                &col(&r, "amount")?,
                &extra,
            )
            .await?;
            let sweep = if kind == waas_core::ledger::WalletKind::Virtual {
                "due"
            } else {
                "none"
            };
            sqlx::query("UPDATE chain_deposits SET status = 'confirmed', sweep = $1, updated_at = $2 WHERE id = $3")
                .bind(sweep)
                .bind(now_ms())
                .bind(&id)
                .execute(w.conn().await?)
                .await?;
            w.commit().await?;
            state.outbox_notify.notify_one();
        }
        Ok(())
    }

    /// Starts the sweeps of confirmed deposits (gas top-up first where a token sweep needs it).
    pub(super) async fn sweeps(&self, state: &AppState) -> Result<(), ApiError> {
        let rows = sqlx::query("SELECT d.id, d.client_id, d.wallet_id, d.address, d.token, d.amount, d.sweep, w.derivation_index FROM chain_deposits d JOIN wallets w ON w.id = d.wallet_id WHERE d.chain = $1 AND d.sweep IN ('due', 'topup') ORDER BY d.block_number LIMIT 50")
            .bind(self.chain_id())
            .fetch_all(state.store.pool())
            .await?;
        for r in rows {
            let due = SweepDue {
                id: col(&r, "id")?,
                client: col(&r, "client_id")?,
                address: col(&r, "address")?,
                sweep: col(&r, "sweep")?,
                index: u32::try_from(r.try_get::<i64, _>("derivation_index")?)
                    .map_err(|_| ApiError::internal("derivation index"))?,
                token: self.token(&col(&r, "token")?)?,
                amount: Amount::parse(&col(&r, "amount")?, waas_core::amount::MAX_DECIMALS)?,
            };
            self.sweep_one(state, &due).await?;
        }
        Ok(())
    }

    /// Signs, records and broadcasts the sweep of one deposit, unless it has to wait (a gas
    /// top-up in flight), is dust, or a refund claimed it meanwhile.
    async fn sweep_one(&self, state: &AppState, due: &SweepDue) -> Result<(), ApiError> {
        let units = due.amount.to_base_units(due.token.decimals)?;
        let (account, holding) = self.holding(state, &due.client).await?;
        let key = state.keys.evm_deposit_key(account, due.index)?;
        let (fees, cap) = self.fees().await?;
        let call = match &due.token.contract {
            None => {
                let fee = cap.saturating_mul(u128::from(NATIVE_GAS));
                if units <= fee {
                    tracing::warn!(id = %due.id, "native deposit smaller than the gas of its sweep: left at the address (dust)");
                    self.set_sweep(state, &due.id, "due", "dust").await?;
                    return Ok(());
                }
                (holding, units - fee, Vec::new(), NATIVE_GAS, fees)
            }
            Some(contract) => {
                let Some(fees) = self
                    .token_sweep_fees(state, due, account, fees, cap)
                    .await?
                else {
                    return Ok(());
                };
                let data = erc20_transfer_data(&holding, &U256::from(units))?;
                (*contract, 0, data, self.setup.token_gas, fees)
            }
        };
        // Only from `due`/`topup`: a refund from the deposit address may have claimed it
        // (`refund`); then nothing is recorded.
        let moved = SweepStep {
            purpose: "sweep",
            from: "('due', 'topup')",
            to: "sent",
        };
        if let Some(hash) = self
            .send_for(state, &key, call, (&due.id, &due.client), moved)
            .await?
        {
            tracing::info!(id = %due.id, %hash, "sweep broadcast");
        }
        Ok(())
    }

    /// The fees of a token sweep paid by the deposit address, or `None` while it waits for its
    /// gas: a top-up is sent first when the address lacks it, and the sweep goes once the
    /// top-up is confirmed (a failed top-up fails the sweep). The fees are capped at what the
    /// address holds (they may have moved since the top-up).
    async fn token_sweep_fees(
        &self,
        state: &AppState,
        due: &SweepDue,
        account: u32,
        fees: Fees,
        cap: u128,
    ) -> Result<Option<Fees>, ApiError> {
        let need = cap.saturating_mul(u128::from(self.setup.token_gas));
        let balance = self.rpc.balance(&due.address).await.map_err(rpc_err)?;
        if due.sweep == "due" && balance < need {
            self.top_up(
                state,
                &due.id,
                &due.client,
                account,
                &due.address,
                need - balance,
            )
            .await?;
            return Ok(None);
        }
        if due.sweep == "topup" {
            let t = sqlx::query(
                "SELECT status FROM chain_txs WHERE chain = $1 AND purpose = 'topup' AND ref = $2",
            )
            .bind(self.chain_id())
            .bind(&due.id)
            .fetch_optional(state.store.pool())
            .await?;
            match t.map(|t| col(&t, "status")).transpose()?.as_deref() {
                Some("confirmed") => {}
                Some("failed") => {
                    self.set_sweep(state, &due.id, "topup", "failed").await?;
                    return Ok(None);
                }
                _ => return Ok(None),
            }
        }
        let affordable = balance / u128::from(self.setup.token_gas);
        Ok(Some(match fees {
            Fees::Eip1559 { .. } if affordable < cap => {
                let tip = DEFAULT_TIP.min(affordable / 2);
                eip1559(affordable, tip)
            }
            Fees::Legacy { .. } if affordable < cap => Fees::Legacy {
                gas_price: U256::from(affordable),
            },
            f => f,
        }))
    }

    /// Moves a deposit's sweep from state `from` to `to` (not when a refund claimed it meanwhile).
    pub(super) async fn set_sweep(
        &self,
        state: &AppState,
        id: &str,
        from: &str,
        to: &str,
    ) -> Result<(), ApiError> {
        sqlx::query(
            "UPDATE chain_deposits SET sweep = $1, updated_at = $2 WHERE id = $3 AND sweep = $4",
        )
        .bind(to)
        .bind(now_ms())
        .bind(id)
        .bind(from)
        .execute(state.store.pool())
        .await?;
        Ok(())
    }

    /// Sends the gas a token sweep needs from the holding wallet to the deposit address.
    pub(super) async fn top_up(
        &self,
        state: &AppState,
        id: &str,
        client: &str,
        account: u32,
        address: &str,
        wei: u128,
    ) -> Result<(), ApiError> {
        let key = state.keys.evm_holding_key(account)?;
        let (fees, _) = self.fees().await?;
        let to = Address::parse(Family::Evm, address)?;
        let call = (to, wei, Vec::new(), NATIVE_GAS, fees);
        // Only from `due`: a refund from the deposit address may have claimed it meanwhile.
        let moved = SweepStep {
            purpose: "topup",
            from: "('due')",
            to: "topup",
        };
        if let Some(hash) = self
            .send_for(state, &key, call, (id, client), moved)
            .await?
        {
            tracing::info!(%id, %hash, wei, "gas top-up broadcast");
        }
        Ok(())
    }

    /// Signs our transaction for a deposit's sweep or gas top-up, records it and moves the
    /// deposit's sweep state in one database transaction, then broadcasts it. Nothing is
    /// recorded when the deposit's sweep is no longer in the step's `from` states (a refund
    /// claimed it meanwhile): `None`; else the transaction's hash.
    async fn send_for(
        &self,
        state: &AppState,
        key: &k256::ecdsa::SigningKey,
        (to, value, data, gas, fees): (Address, u128, Vec<u8>, u64, Fees),
        (id, client): (&str, &str),
        step: SweepStep,
    ) -> Result<Option<String>, ApiError> {
        let from = signer_address(key).to_string();
        let pending = self.rpc.nonce(&from, "pending").await.map_err(rpc_err)?;
        let mut tx = state.store.pool().begin().await?;
        let p = self
            .prepare(&mut tx, key, pending, to, value, data, gas, fees)
            .await?;
        self.record_tx(&mut tx, &p, step.purpose, id, client)
            .await?;
        let moved = sqlx::query(&format!(
            "UPDATE chain_deposits SET sweep = $1, updated_at = $2 WHERE id = $3 AND sweep IN {}",
            step.from
        ))
        .bind(step.to)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() == 0 {
            return Ok(None);
        }
        tx.commit().await?;
        let hash = p.hash.clone();
        self.send(state, &broadcasts::OurTx::new(p, step.purpose, id, client))
            .await?;
        Ok(Some(hash))
    }
}

/// A confirmed deposit whose sweep is due (or waits for its gas top-up).
struct SweepDue {
    id: String,
    client: String,
    /// The deposit address.
    address: String,
    /// `due` or `topup`.
    sweep: String,
    /// The deposit address's derivation index.
    index: u32,
    token: Token,
    amount: Amount,
}

/// What a transaction made for a deposit moves its sweep through: the transaction's purpose,
/// the sweep states it may start from (an SQL list of constants) and the state it leaves.
struct SweepStep {
    purpose: &'static str,
    from: &'static str,
    to: &'static str,
}
