//! Transactions we make: gas pricing, the nonce, signing and the row written before a
//! broadcast.

use super::{rpc_err, to_i64, to_u64, EvmAdapter, Prepared, DEFAULT_TIP};
use crate::host::error::ApiError;
use crate::host::store::{col, new_id, now_ms};
use crate::host::AppState;
use serde_json::json;
use sqlx::Row;
use waas_core::tx::{signer_address, Fees, Transaction, U256};
use waas_core::{Address, Family, Token};

impl EvmAdapter {
    /// Gas pricing now: EIP-1559 when the chain has a base fee (cap = 2 x base + tip), else the
    /// node's legacy gas price. Also the most paid per gas unit.
    pub(super) async fn fees(&self) -> Result<(Fees, u128), ApiError> {
        let latest = self
            .rpc
            .block(json!("latest"), false)
            .await
            .map_err(rpc_err)?
            .ok_or_else(|| ApiError::internal("the node has no latest block"))?;
        match latest.base_fee {
            Some(base) => {
                let tip = self.rpc.max_priority_fee().await.unwrap_or(DEFAULT_TIP);
                let cap = base.saturating_mul(2).saturating_add(tip);
                Ok((eip1559(cap, tip), cap))
            }
            None => {
                let price = self.rpc.gas_price().await.map_err(rpc_err)?;
                Ok((
                    Fees::Legacy {
                        gas_price: U256::from(price),
                    },
                    price,
                ))
            }
        }
    }

    /// Signs a transaction with the next nonce of its sender. `tx` is the open database
    /// transaction that will also record it (so the nonce choice and the record are one step).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn prepare(
        &self,
        tx: &mut sqlx::AnyConnection,
        key: &k256::ecdsa::SigningKey,
        pending_nonce: u64,
        to: Address,
        value: u128,
        data: Vec<u8>,
        gas: u64,
        fees: Fees,
    ) -> Result<Prepared, ApiError> {
        let from = signer_address(key).to_string();
        let rows = sqlx::query("SELECT nonce FROM chain_txs WHERE chain = $1 AND from_address = $2 AND status IN ('signed', 'sent') AND nonce >= $3 ORDER BY nonce")
            .bind(self.chain_id())
            .bind(&from)
            .bind(to_i64(pending_nonce))
            .fetch_all(&mut *tx)
            .await?;
        let taken = rows
            .iter()
            .map(|r| r.try_get::<i64, _>("nonce").map(to_u64))
            .collect::<Result<Vec<u64>, _>>()?;
        let nonce = lowest_free_nonce(pending_nonce, &taken);
        let signed = Transaction {
            chain_id: self.evm_chain_id,
            nonce,
            to: Some(to),
            value: U256::from(value),
            gas_limit: gas,
            data,
            fees,
        }
        .sign(key)?;
        Ok(Prepared {
            id: new_id("ctx"),
            from,
            nonce,
            raw: signed.raw_hex(),
            hash: signed.hash_hex(),
        })
    }

    pub(super) async fn record_tx(
        &self,
        tx: &mut sqlx::AnyConnection,
        p: &Prepared,
        purpose: &str,
        reference: &str,
        client: &str,
    ) -> Result<(), ApiError> {
        sqlx::query("INSERT INTO chain_txs (id, chain, purpose, ref, client_id, from_address, nonce, raw, hash, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'signed', $10, $11)")
            .bind(&p.id)
            .bind(self.chain_id())
            .bind(purpose)
            .bind(reference)
            .bind(client)
            .bind(&p.from)
            .bind(to_i64(p.nonce))
            .bind(&p.raw)
            .bind(&p.hash)
            .bind(now_ms())
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    /// The holding wallet (account number, address) of a client on this chain.
    pub(super) async fn holding(
        &self,
        state: &AppState,
        client: &str,
    ) -> Result<(u32, Address), ApiError> {
        let row = sqlx::query(
            "SELECT account_number, address FROM holdings WHERE client_id = $1 AND blockchain = $2",
        )
        .bind(client)
        .bind(self.chain_id())
        .fetch_optional(state.store.pool())
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "client {client} has no holding wallet on {}",
                self.chain.id
            ))
        })?;
        let n: i64 = row.try_get("account_number")?;
        Ok((
            u32::try_from(n).map_err(|_| ApiError::internal("account number"))?,
            Address::parse(Family::Evm, &col(&row, "address")?)?,
        ))
    }

    pub(super) fn token(&self, symbol: &str) -> Result<Token, ApiError> {
        if symbol.eq_ignore_ascii_case(&self.native.symbol) {
            return Ok(self.native.clone());
        }
        self.tokens
            .iter()
            .find(|(_, t)| t.symbol.eq_ignore_ascii_case(symbol))
            .map(|(_, t)| t.clone())
            .ok_or_else(|| ApiError::not_found(format!("no token {symbol} on {}", self.chain.id)))
    }
}

/// The lowest nonce from the node's pending count up that no transaction in flight holds
/// (`taken`, ascending): one past the last in flight, or the nonce of a transaction that was
/// rejected before any node had it (its gap is filled, so the ones after it can be mined).
fn lowest_free_nonce(pending: u64, taken: &[u64]) -> u64 {
    let mut nonce = pending;
    for t in taken {
        if *t == nonce {
            nonce += 1;
        } else if *t > nonce {
            break;
        }
    }
    nonce
}

pub(super) fn eip1559(cap: u128, tip: u128) -> Fees {
    Fees::Eip1559 {
        max_fee_per_gas: U256::from(cap),
        max_priority_fee_per_gas: U256::from(tip.min(cap)),
    }
}

#[cfg(test)]
mod tests {
    use super::lowest_free_nonce;

    #[test]
    fn picks_the_lowest_free_nonce() {
        assert_eq!(lowest_free_nonce(5, &[]), 5);
        assert_eq!(lowest_free_nonce(5, &[5, 6, 7]), 8);
        assert_eq!(lowest_free_nonce(5, &[6, 7]), 5);
        assert_eq!(lowest_free_nonce(5, &[5, 7]), 6);
        assert_eq!(lowest_free_nonce(5, &[5, 5, 6]), 7);
    }
}
