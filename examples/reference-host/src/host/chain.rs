//! The simulated chain (sandbox): deposits confirm after the chain's confirmations at the
//! simulated block time, are swept to the holding wallet, and can be dropped by a simulated reorg.

use super::error::ApiError;
use super::store::{col, now_ms};
use super::AppState;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use waas_core::ledger::WalletKind;
use waas_core::webhook::Status;
use waas_core::Amount;

/// Confirms due deposits forever.
pub async fn run(state: Arc<AppState>) {
    let tick = Duration::from_millis((state.sim_block_ms / 2).clamp(10, 1000));
    loop {
        tokio::time::sleep(tick).await;
        if let Err(e) = confirm_due(&state).await {
            tracing::warn!(error = %e, "simulated chain");
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

/// Confirms a simulated deposit now and sweeps it to the holding wallet (idempotent).
pub async fn confirm(state: &AppState, client: &str, tx: &str) -> Result<Value, ApiError> {
    let mut w = state.store.begin(client).await?;
    let row = sqlx::query("SELECT wallet_id, token, amount, status FROM sim_deposits WHERE tx = $1 AND client_id = $2")
        .bind(tx)
        .bind(client)
        .fetch_optional(&mut *w.tx)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no simulated deposit {tx}")))?;
    let (wallet, token, amount, status) = (
        col(&row, "wallet_id")?,
        col(&row, "token")?,
        col(&row, "amount")?,
        col(&row, "status")?,
    );
    if status == "dropped" {
        return Err(ApiError::bad_request(format!(
            "deposit {tx} was dropped by a reorg"
        )));
    }
    if status == "confirmed" {
        return Ok(json!({"tx": tx, "status": "confirmed"}));
    }
    w.remember_deposit(tx).await?;
    let settled = w.ledger.confirm(tx)?;
    let kind = w.ledger.wallet(&wallet)?.kind;
    let record = w.ledger.deposit_record(tx).cloned();
    let mut out = json!({"tx": tx, "status": "confirmed", "wallet_id": wallet});
    let operation = if kind == WalletKind::Treasury {
        "TREASURY"
    } else {
        "VIRTUAL_WALLET"
    };
    let below = record.as_ref().is_some_and(|r| r.result.below_minimum);
    let body = json!({"tx": tx, "wallet_id": wallet, "token": token, "amount": amount, "status": "confirmed", "below_minimum": below});
    w.upsert_transaction(
        tx,
        Some(&wallet),
        "deposit",
        "confirmed",
        Some(&token),
        Some(&amount),
        &body,
    )
    .await?;
    w.event(
        operation,
        "DEPOSIT_CONFIRMED",
        &format!("{tx}:confirmed"),
        Status::Success,
        None,
        body,
    )?;
    super::api::rule_events(&mut w, &wallet, &settled.automation, tx)?;
    if kind == WalletKind::Virtual {
        // The funds sit at the deposit address: sweep them to the holding wallet.
        let sweep_tx = format!("sweep:{tx}");
        let amt = Amount::parse(&amount, waas_core::amount::MAX_DECIMALS)?;
        w.remember_sweep(&sweep_tx).await?;
        w.ledger.sweep(&sweep_tx, &wallet, &token, amt)?;
        let body = json!({"tx": sweep_tx, "wallet_id": wallet, "token": token, "amount": amount, "status": "confirmed"});
        w.upsert_transaction(
            &sweep_tx,
            Some(&wallet),
            "sweep",
            "confirmed",
            Some(&token),
            Some(&amount),
            &body,
        )
        .await?;
        w.event(
            "VIRTUAL_WALLET",
            "SWEEP",
            &sweep_tx,
            Status::Success,
            None,
            body,
        )?;
        out["swept"] = json!(true);
    }
    sqlx::query("UPDATE sim_deposits SET status = 'confirmed' WHERE tx = $1")
        .bind(tx)
        .execute(&mut *w.tx)
        .await?;
    w.commit().await?;
    state.outbox_notify.notify_one();
    Ok(out)
}

/// Drops a pending simulated deposit (a reorg); the core decides what happens to its credit.
pub async fn reorg(state: &AppState, client: &str, tx: &str) -> Result<Value, ApiError> {
    let mut w = state.store.begin(client).await?;
    let row = sqlx::query("SELECT wallet_id, token, amount, status FROM sim_deposits WHERE tx = $1 AND client_id = $2")
        .bind(tx)
        .bind(client)
        .fetch_optional(&mut *w.tx)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no simulated deposit {tx}")))?;
    let (wallet, token, amount) = (
        col(&row, "wallet_id")?,
        col(&row, "token")?,
        col(&row, "amount")?,
    );
    w.remember_deposit(tx).await?;
    let r = w.ledger.drop_deposit(tx)?;
    let body = json!({"tx": tx, "wallet_id": wallet, "token": token, "amount": amount, "status": "dropped", "frozen": r.frozen});
    w.upsert_transaction(
        tx,
        Some(&wallet),
        "deposit",
        "dropped",
        Some(&token),
        Some(&amount),
        &body,
    )
    .await?;
    let kind = w.ledger.wallet(&wallet)?.kind;
    let operation = if kind == WalletKind::Treasury {
        "TREASURY"
    } else {
        "VIRTUAL_WALLET"
    };
    w.event(
        operation,
        "DEPOSIT_REVERSED",
        &format!("{tx}:dropped"),
        Status::Cancelled,
        None,
        body.clone(),
    )?;
    if let Some(frozen) = &r.frozen {
        w.event(
            "VIRTUAL_WALLET",
            "FROZEN",
            &format!("{tx}:frozen"),
            Status::Success,
            None,
            json!({"wallet_id": frozen, "tx": tx}),
        )?;
    }
    sqlx::query("UPDATE sim_deposits SET status = 'dropped' WHERE tx = $1")
        .bind(tx)
        .execute(&mut *w.tx)
        .await?;
    w.commit().await?;
    state.outbox_notify.notify_one();
    Ok(body)
}
