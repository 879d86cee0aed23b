//! Scanning the chain: the cursor, reorgs rolled back, blocks and token logs read, deposits
//! matched and credited.

use super::index::{self, Addr, Hit, Watched};
use super::rpc::Block;
use super::{rpc_err, to_i64, to_u64, EvmAdapter, Scan};
use crate::host::chain::{self, Incoming};
use crate::host::error::ApiError;
use crate::host::store::{col, now_ms};
use crate::host::AppState;
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::Row;
use std::collections::BTreeMap;
use waas_core::tx::U256;
use waas_core::{Amount, ErrorCode, Token};

impl EvmAdapter {
    /// The first block not yet scanned (created at the start block, or the head, on first use).
    pub(super) async fn cursor(&self, state: &AppState, head: u64) -> Result<u64, ApiError> {
        let row = sqlx::query("SELECT next_block FROM chain_cursors WHERE chain = $1")
            .bind(self.chain_id())
            .fetch_optional(state.store.pool())
            .await?;
        if let Some(r) = row {
            return Ok(to_u64(r.try_get("next_block")?));
        }
        let start = self.setup.start_block.unwrap_or(head);
        sqlx::query("INSERT INTO chain_cursors (chain, next_block, updated_at) VALUES ($1, $2, $3) ON CONFLICT (chain) DO NOTHING")
            .bind(self.chain_id())
            .bind(to_i64(start))
            .bind(now_ms())
            .execute(state.store.pool())
            .await?;
        tracing::info!(chain = %self.chain.id, start, "EVM scan starts");
        Ok(start)
    }

    pub(super) async fn stored_hash(
        &self,
        state: &AppState,
        n: u64,
    ) -> Result<Option<String>, ApiError> {
        let row = sqlx::query("SELECT hash FROM chain_blocks WHERE chain = $1 AND number = $2")
            .bind(self.chain_id())
            .bind(to_i64(n))
            .fetch_optional(state.store.pool())
            .await?;
        Ok(match row {
            Some(r) => Some(col(&r, "hash")?),
            None => None,
        })
    }

    /// Compares the last scanned block with the node's; on a mismatch, rolls back to the fork.
    /// True when it rolled back.
    pub(super) async fn check_reorg(&self, state: &AppState, next: u64) -> Result<bool, ApiError> {
        let Some(last) = next.checked_sub(1) else {
            return Ok(false);
        };
        let Some(stored) = self.stored_hash(state, last).await? else {
            return Ok(false);
        };
        let canonical = self.rpc.block(json!(format!("0x{last:x}")), false).await;
        if canonical
            .map_err(rpc_err)?
            .is_some_and(|b| b.hash == stored)
        {
            return Ok(false);
        }
        // Walk back the kept hashes to the last block the node still has.
        let rows = sqlx::query("SELECT number, hash FROM chain_blocks WHERE chain = $1 AND number < $2 ORDER BY number DESC")
            .bind(self.chain_id())
            .bind(to_i64(last))
            .fetch_all(state.store.pool())
            .await?;
        let mut fork = None;
        for r in rows {
            let n = to_u64(r.try_get("number")?);
            let b = self
                .rpc
                .block(json!(format!("0x{n:x}")), false)
                .await
                .map_err(rpc_err)?;
            if b.is_some_and(|b| b.hash == col(&r, "hash").unwrap_or_default()) {
                fork = Some(n);
                break;
            }
        }
        let Some(fork) = fork else {
            return Err(ApiError::internal(format!(
                "reorg on {} deeper than the kept block hashes (below block {last}): an operator must look",
                self.chain.id
            )));
        };
        tracing::warn!(chain = %self.chain.id, fork, last, "reorg: rolling back to the fork");
        self.rollback(state, fork).await?;
        Ok(true)
    }

    /// Drops the deposits of blocks above `fork` and moves the cursor to `fork + 1`.
    pub(super) async fn rollback(&self, state: &AppState, fork: u64) -> Result<(), ApiError> {
        let rows = sqlx::query("SELECT id, client_id, wallet_id, token, amount, status, block_number, block_hash FROM chain_deposits WHERE chain = $1 AND block_number > $2 AND status IN ('pending', 'unpriced', 'confirmed')")
            .bind(self.chain_id())
            .bind(to_i64(fork))
            .fetch_all(state.store.pool())
            .await?;
        for r in rows {
            let id = col(&r, "id")?;
            let status = col(&r, "status")?;
            let new_status = match status.as_str() {
                "pending" => {
                    let mut w = state.store.begin(&col(&r, "client_id")?).await?;
                    let extra = json!({"reason": "reorg", "block_number": r.try_get::<i64, _>("block_number")?, "block_hash": col(&r, "block_hash")?});
                    chain::settle_dropped(
                        &mut w,
                        &id,
                        &col(&r, "wallet_id")?,
                        &col(&r, "token")?,
                        &col(&r, "amount")?,
                        &extra,
                    )
                    .await?;
                    sqlx::query("UPDATE chain_deposits SET status = 'dropped', updated_at = $1 WHERE id = $2")
                        .bind(now_ms())
                        .bind(&id)
                        .execute(w.conn().await?)
                        .await?;
                    w.commit().await?;
                    state.outbox_notify.notify_one();
                    continue;
                }
                "unpriced" => "dropped",
                _ => {
                    tracing::error!(%id, "a confirmed deposit left the canonical chain (reorg deeper than the confirmations): marked orphaned for an operator");
                    "orphaned"
                }
            };
            sqlx::query("UPDATE chain_deposits SET status = $1, updated_at = $2 WHERE id = $3")
                .bind(new_status)
                .bind(now_ms())
                .bind(&id)
                .execute(state.store.pool())
                .await?;
        }
        let mut tx = state.store.pool().begin().await?;
        sqlx::query("DELETE FROM chain_blocks WHERE chain = $1 AND number > $2")
            .bind(self.chain_id())
            .bind(to_i64(fork))
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE chain_cursors SET next_block = $1, updated_at = $2 WHERE chain = $3")
            .bind(to_i64(fork + 1))
            .bind(now_ms())
            .bind(self.chain_id())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Scans blocks `next..` up to the head (one batch).
    pub(super) async fn scan(
        &self,
        state: &AppState,
        next: u64,
        head: u64,
    ) -> Result<Scan, ApiError> {
        if next > head {
            return Ok(Scan::Idle);
        }
        let blocks = match self.fetch_blocks(state, next, head).await? {
            Some(blocks) => blocks,
            None => return Ok(Scan::Retry),
        };
        let (Some(first), Some(last)) = (blocks.first(), blocks.last()) else {
            return Ok(Scan::Idle);
        };
        let mut logs: BTreeMap<u64, Vec<index::TransferLog>> = BTreeMap::new();
        for (n, l) in self
            .rpc
            .transfer_logs(first.number, last.number, &self.contracts)
            .await
            .map_err(rpc_err)?
        {
            logs.entry(n).or_default().push(l);
        }
        // The logs must come from the blocks we hold, and the last block must still be there.
        let still = self
            .rpc
            .block(json!(format!("0x{:x}", last.number)), false)
            .await
            .map_err(rpc_err)?;
        if still.is_none_or(|b| b.hash != last.hash) {
            return Ok(Scan::Retry);
        }
        for b in &blocks {
            let block_logs = logs.remove(&b.number).unwrap_or_default();
            if block_logs.iter().any(|l| l.block_hash != b.hash) {
                return Ok(Scan::Retry);
            }
            let mut hits = Vec::new();
            if let Ok(idx) = self.index.read() {
                index::match_block(&idx, &self.contracts, &b.txs, &block_logs, &mut hits);
            }
            for hit in hits {
                let credited = self.report(state, b, &block_logs, hit).await?;
                if credited && self.setup.failpoint.as_deref() == Some("exit-after-deposit") {
                    eprintln!("failpoint exit-after-deposit: exiting after a deposit of block {} before its cursor", b.number);
                    std::process::exit(86);
                }
            }
            self.advance_cursor(state, b).await?;
        }
        Ok(Scan::Progress)
    }

    /// Blocks `next..` (one batch, up to the head) with their transactions, each on top of the
    /// one before (the first on top of the stored block `next - 1`); `None` when the first is
    /// not (the next tick's reorg check finds the fork).
    async fn fetch_blocks(
        &self,
        state: &AppState,
        next: u64,
        head: u64,
    ) -> Result<Option<Vec<Block>>, ApiError> {
        let end = head.min(next + self.setup.batch.max(1) - 1);
        let mut blocks: Vec<Block> = Vec::new();
        let mut parent = match next.checked_sub(1) {
            Some(p) => self.stored_hash(state, p).await?,
            None => None,
        };
        for n in next..=end {
            let Some(b) = self
                .rpc
                .block(json!(format!("0x{n:x}")), true)
                .await
                .map_err(rpc_err)?
            else {
                break;
            };
            if parent.as_ref().is_some_and(|p| *p != b.parent_hash) {
                // Block n is not on top of what we stored: the next tick's check finds the fork.
                if blocks.is_empty() {
                    return Ok(None);
                }
                break;
            }
            parent = Some(b.hash.clone());
            blocks.push(b);
        }
        Ok(Some(blocks))
    }

    /// Stores a scanned block's hash (dropping those beyond the reorg window) and moves the
    /// cursor past it, in one transaction.
    async fn advance_cursor(&self, state: &AppState, b: &Block) -> Result<(), ApiError> {
        let mut tx = state.store.pool().begin().await?;
        sqlx::query("DELETE FROM chain_blocks WHERE chain = $1 AND (number = $2 OR number < $3)")
            .bind(self.chain_id())
            .bind(to_i64(b.number))
            .bind(to_i64(b.number.saturating_sub(self.keep_blocks())))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO chain_blocks (chain, number, hash, parent_hash) VALUES ($1, $2, $3, $4)",
        )
        .bind(self.chain_id())
        .bind(to_i64(b.number))
        .bind(&b.hash)
        .bind(&b.parent_hash)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE chain_cursors SET next_block = $1, updated_at = $2 WHERE chain = $3")
            .bind(to_i64(b.number + 1))
            .bind(now_ms())
            .bind(self.chain_id())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Block hashes kept for reorg detection: well beyond the confirmations.
    pub(super) fn keep_blocks(&self) -> u64 {
        u64::from(self.chain.confirmations) * 2 + 64
    }

    /// USD price of a token for the minimum-deposit rule: the client's configured price, 1 for
    /// the USD stablecoins, else none (the deposit waits, `unpriced`, until one is configured).
    pub(super) async fn price(
        &self,
        state: &AppState,
        client: &str,
        symbol: &str,
    ) -> Result<Option<Decimal>, ApiError> {
        let row = sqlx::query("SELECT body FROM settings WHERE client_id = $1")
            .bind(client)
            .fetch_optional(state.store.pool())
            .await?;
        let settings: crate::host::Settings = match row {
            Some(r) => crate::host::Settings::from_body(&col(&r, "body")?, state.store.sealer())?,
            None => crate::host::Settings::default(),
        };
        Ok(waas_core::pricing::usd_price(
            symbol,
            None,
            settings.usd_price(symbol),
        ))
    }

    /// Records one matched transfer; true when it credited a new deposit.
    pub(super) async fn report(
        &self,
        state: &AppState,
        block: &Block,
        logs: &[index::TransferLog],
        hit: Hit,
    ) -> Result<bool, ApiError> {
        let Some(seen) = self.transfer_of(block, logs, hit) else {
            return Ok(false);
        };
        let Some(who) = self
            .index
            .read()
            .ok()
            .and_then(|i| i.get(&seen.to).cloned())
        else {
            return Ok(false);
        };
        let Some(id) = self.deposit_id(state, &seen, block).await? else {
            return Ok(false);
        };
        if seen.log_index < 0 {
            // A reverted transaction moves no value.
            match self.rpc.receipt(&seen.tx_hash).await.map_err(rpc_err)? {
                Some(r) if r.success => {}
                _ => return Ok(false),
            }
        }
        let row = SeenDeposit {
            id: &id,
            who: &who,
            seen: &seen,
            block,
        };
        let units = U256::from_be_bytes(seen.value).to_string();
        match Amount::from_base_units(&units, seen.token.decimals) {
            Ok(amount) => self.credit_seen(state, &row, amount).await,
            Err(e) => {
                tracing::warn!(%id, error = %e, "deposit amount out of range: recorded as rejected");
                self.insert_deposit(state, None, &row, &units, "rejected")
                    .await?;
                Ok(false)
            }
        }
    }

    /// The transfer a hit points at: a native transfer of the block or a token log.
    fn transfer_of(&self, block: &Block, logs: &[index::TransferLog], hit: Hit) -> Option<Seen> {
        match hit {
            Hit::Native(i) => block.txs.get(i).map(|t| Seen {
                tx_hash: t.hash.clone(),
                log_index: -1,
                to: t.to.unwrap_or_default(),
                value: t.value,
                token: self.native.clone(),
            }),
            Hit::Token(i) => {
                let l = logs.get(i)?;
                let (_, token) = self.tokens.iter().find(|(a, _)| *a == l.contract)?;
                Some(Seen {
                    tx_hash: l.tx_hash.clone(),
                    log_index: to_i64(l.log_index),
                    to: l.to,
                    value: l.value,
                    token: token.clone(),
                })
            }
        }
    }

    /// The id of a new deposit for this transfer (tx hash + log index), or `None` when it is not
    /// one: our own transaction (a gas top-up), or already recorded for this block. A transaction
    /// re-included in another block after its first block was dropped by a reorg is a new deposit
    /// (its first id is spent).
    async fn deposit_id(
        &self,
        state: &AppState,
        seen: &Seen,
        block: &Block,
    ) -> Result<Option<String>, ApiError> {
        let ours = sqlx::query("SELECT id FROM chain_txs WHERE hash = $1")
            .bind(&seen.tx_hash)
            .fetch_optional(state.store.pool())
            .await?;
        if ours.is_some() {
            return Ok(None);
        }
        let base = if seen.log_index < 0 {
            format!("{}:native", seen.tx_hash)
        } else {
            format!("{}:{}", seen.tx_hash, seen.log_index)
        };
        let mut id = base.clone();
        for _ in 0..2 {
            let row = sqlx::query("SELECT status, block_hash FROM chain_deposits WHERE id = $1")
                .bind(&id)
                .fetch_optional(state.store.pool())
                .await?;
            match row {
                None => break,
                Some(r) if col(&r, "block_hash")? == block.hash => return Ok(None),
                Some(r) if col(&r, "status")? == "dropped" => {
                    id = format!("{base}@{}", &block.hash[..block.hash.len().min(12)]);
                }
                Some(_) => {
                    tracing::warn!(%id, block = block.number, "deposit seen in another block while its first block is still current; waiting for the reorg check");
                    return Ok(None);
                }
            }
        }
        Ok(Some(id))
    }

    /// Credits a seen deposit in its client's books (`pending`), or records it `unpriced` when
    /// the token has no USD price yet, or `rejected` when the ledger refuses it.
    async fn credit_seen(
        &self,
        state: &AppState,
        row: &SeenDeposit<'_>,
        amount: Amount,
    ) -> Result<bool, ApiError> {
        let (id, who, seen) = (row.id, row.who, row.seen);
        let price = self
            .price(state, &who.client_id, &seen.token.symbol)
            .await?;
        let incoming = Incoming {
            tx: id.to_owned(),
            wallet: who.wallet_id.clone(),
            chain: self.chain_id().to_owned(),
            kind: who.kind,
            token: seen.token.symbol.clone(),
            amount,
            usd_price: price.unwrap_or_default(),
            confirmations: self.chain.confirmations,
            extra: json!({"chain_tx": seen.tx_hash, "log_index": seen.log_index, "block_number": row.block.number, "block_hash": row.block.hash, "address": format!("0x{}", hex::encode(seen.to))}),
        };
        let mut w = state.store.begin(&who.client_id).await?;
        let status = if price.is_none() {
            tracing::warn!(%id, token = %seen.token.symbol, "no USD price for the token: the deposit waits until one is configured");
            "unpriced"
        } else {
            match chain::credit(&mut w, &incoming).await {
                Ok(_) => "pending",
                Err(e) if matches!(e.code(), ErrorCode::Internal | ErrorCode::Unavailable) => {
                    return Err(e)
                }
                Err(e) => {
                    drop(w);
                    tracing::warn!(%id, error = %e, "the ledger refused a deposit: recorded as rejected");
                    self.insert_deposit(state, None, row, &amount.to_string(), "rejected")
                        .await?;
                    return Ok(false);
                }
            }
        };
        let conn = w.conn().await?;
        self.insert_deposit(state, Some(conn), row, &amount.to_string(), status)
            .await?;
        w.commit().await?;
        state.outbox_notify.notify_one();
        Ok(status == "pending")
    }

    /// Writes the `chain_deposits` row of a seen deposit (in the crediting transaction when given).
    pub(super) async fn insert_deposit(
        &self,
        state: &AppState,
        tx: Option<&mut sqlx::AnyConnection>,
        row: &SeenDeposit<'_>,
        amount: &str,
        status: &str,
    ) -> Result<(), ApiError> {
        let q = sqlx::query("INSERT INTO chain_deposits (id, chain, client_id, wallet_id, address, token, amount, tx_hash, log_index, block_number, block_hash, status, sweep, created_at, updated_at) VALUES ($1, $2, $3, $4, (SELECT address FROM wallets WHERE id = $5), $6, $7, $8, $9, $10, $11, $12, 'none', $13, $14)")
            .bind(row.id)
            .bind(self.chain_id())
            .bind(&row.who.client_id)
            .bind(&row.who.wallet_id)
            .bind(&row.who.wallet_id)
            .bind(&row.seen.token.symbol)
            .bind(amount)
            .bind(&row.seen.tx_hash)
            .bind(row.seen.log_index)
            .bind(to_i64(row.block.number))
            .bind(&row.block.hash)
            .bind(status)
            .bind(now_ms())
            .bind(now_ms());
        match tx {
            Some(tx) => q.execute(tx).await?,
            None => q.execute(state.store.pool()).await?,
        };
        Ok(())
    }
}

/// A transfer to a watched address, as the block or its logs show it.
struct Seen {
    tx_hash: String,
    /// -1 for a native transfer.
    log_index: i64,
    to: Addr,
    value: [u8; 32],
    token: Token,
}

/// A seen transfer as a deposit: its id, its wallet and block.
pub(super) struct SeenDeposit<'a> {
    id: &'a str,
    who: &'a Watched,
    seen: &'a Seen,
    block: &'a Block,
}
