//! The simulated chain of the sandbox: deposits reported by `POST /v1/simulate/deposit`
//! confirmed after a block time, reorgs on request, and withdrawals that finish on their own.

use super::chain::{credit, settle_confirmed, Incoming};
use super::error::ApiError;
use super::store::{col, now_ms, Work};
use super::AppState;
use crate::host::chain::record_sweep;
use crate::host::chain::settle_dropped;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use waas_core::ledger::WalletKind;

/// Confirms due simulated deposits forever.
pub async fn run(state: Arc<AppState>) {
    let tick = Duration::from_millis((state.sim_block_ms / 2).clamp(10, 1000));
    loop {
        tokio::time::sleep(tick).await;
        if let Err(e) = confirm_due(&state).await {
            tracing::warn!(error = %e, "simulated chain");
        }
        let served = state.evm.as_ref().map(|a| a.chain_id().to_owned());
        if let Err(e) = super::withdrawals::simulate_due(&state, served.as_deref()).await {
            tracing::warn!(error = %e, "simulated withdrawals");
        }
    }
}

async fn confirm_due(state: &AppState) -> Result<(), ApiError> {
    let rows = sqlx::query("SELECT tx, client_id FROM sim_deposits WHERE status = 'pending' AND confirm_at <= $1 ORDER BY confirm_at LIMIT 100")
        .bind(now_ms())
        .fetch_all(state.store.pool())
        .await?;
    for r in rows {
        let (tx, client) = (col(&r, "tx")?, col(&r, "client_id")?);
        match confirm(state, &client, &tx).await {
            Ok(_) => {}
            Err(e) => tracing::warn!(%tx, error = %e, "confirmation failed"),
        }
    }
    Ok(())
}

/// Records a simulated deposit (`POST /v1/simulate/deposit`): the shared [`credit`] plus a
/// `sim_deposits` row that confirms after the chain's confirmations at the simulated block time.
pub async fn simulate_deposit(
    state: &AppState,
    client: &str,
    d: &Incoming,
) -> Result<(Work, Value), ApiError> {
    let mut w = state.store.begin(client).await?;
    let out = credit(&mut w, d).await?;
    let confirm_at =
        now_ms() + i64::from(d.confirmations) * i64::try_from(state.sim_block_ms).unwrap_or(1000);
    sqlx::query("INSERT INTO sim_deposits (tx, client_id, wallet_id, blockchain, token, amount, confirm_at, status) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending') ON CONFLICT (tx) DO NOTHING")
        .bind(&d.tx)
        .bind(client)
        .bind(&d.wallet)
        .bind(&d.chain)
        .bind(out["token"].as_str().unwrap_or(&d.token))
        .bind(out["amount"].as_str().unwrap_or_default())
        .bind(confirm_at)
        .execute(w.conn().await?)
        .await?;
    Ok((w, out))
}

async fn sim_row(w: &mut Work, tx: &str) -> Result<(String, String, String, String), ApiError> {
    let row = sqlx::query("SELECT wallet_id, token, amount, status FROM sim_deposits WHERE tx = $1 AND client_id = $2")
        .bind(tx)
        .bind(w.client_id.clone())
        .fetch_optional(w.conn().await?)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no simulated deposit {tx}")))?;
    Ok((
        col(&row, "wallet_id")?,
        col(&row, "token")?,
        col(&row, "amount")?,
        col(&row, "status")?,
    ))
}

/// Confirms a simulated deposit now and sweeps it to the holding wallet (idempotent).
pub async fn confirm(state: &AppState, client: &str, tx: &str) -> Result<Value, ApiError> {
    let mut w = state.store.begin(client).await?;
    let (wallet, token, amount, status) = sim_row(&mut w, tx).await?;
    if status == "dropped" {
        return Err(ApiError::bad_request(format!(
            "deposit {tx} was dropped by a reorg"
        )));
    }
    if status == "confirmed" {
        return Ok(json!({"tx": tx, "status": "confirmed"}));
    }
    let (_, kind) = settle_confirmed(&mut w, tx, &wallet, &token, &amount, &Value::Null).await?;
    let mut out = json!({"tx": tx, "status": "confirmed", "wallet_id": wallet});
    if kind == WalletKind::Virtual {
        // The funds sit at the deposit address: the simulated chain sweeps them at once.
        record_sweep(
            &mut w,
            &format!("sweep:{tx}"),
            &wallet,
            &token,
            &amount,
            &Value::Null,
        )
        .await?;
        out["swept"] = json!(true);
    }
    sqlx::query("UPDATE sim_deposits SET status = 'confirmed' WHERE tx = $1")
        .bind(tx)
        .execute(w.conn().await?)
        .await?;
    w.commit().await?;
    state.outbox_notify.notify_one();
    Ok(out)
}

/// Drops a pending simulated deposit (a reorg); the core decides what happens to its credit.
pub async fn reorg(state: &AppState, client: &str, tx: &str) -> Result<Value, ApiError> {
    let mut w = state.store.begin(client).await?;
    let (wallet, token, amount, _) = sim_row(&mut w, tx).await?;
    let body = settle_dropped(&mut w, tx, &wallet, &token, &amount, &Value::Null).await?;
    sqlx::query("UPDATE sim_deposits SET status = 'dropped' WHERE tx = $1")
        .bind(tx)
        .execute(w.conn().await?)
        .await?;
    w.commit().await?;
    state.outbox_notify.notify_one();
    Ok(body)
}
