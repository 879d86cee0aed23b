//! The chain pipeline shared by every chain back-end, and the simulated chain (sandbox).
//!
//! A back-end only observes a chain; what an observation does to the books is here, once:
//! [`credit`] reports a deposit to the core's ledger, [`settle_confirmed`] posts it after the
//! chain's confirmations, [`record_sweep`] moves it to the holding wallet's position once the
//! funds moved on chain, [`settle_dropped`] voids it after a reorg (the core's rule decides what
//! happens to a credit that was spent). Each runs inside the caller's [`Work`], so a back-end adds
//! its own rows (a scan cursor, a deposit row) in the same database transaction.
//!
//! Back-ends: the simulated chain below (the default; deposits come from `POST /v1/simulate/...`
//! and confirm after the chain's confirmations at the simulated block time, swept at once), and
//! the EVM JSON-RPC adapter in [`super::evm`] (blocks scanned from a real node, sweeps and
//! withdrawals signed by the core and broadcast).

use super::api::schema::num;
use super::error::ApiError;
use super::store::Work;
use crate::host::store::answer;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use waas_core::ledger::{DepositRequest, WalletKind};
use waas_core::webhook::Event;
use waas_core::Amount;

/// A deposit seen on a chain, about to be reported to the ledger.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// The chain transaction id with its log index: the core's idempotency key.
    pub tx: String,
    /// The wallet whose address received it.
    pub wallet: String,
    /// The wallet's blockchain.
    pub chain: String,
    /// A virtual wallet's deposit address or a treasury wallet's own address.
    pub kind: WalletKind,
    /// Token symbol.
    pub token: String,
    /// Amount in token units.
    pub amount: Amount,
    /// USD per token (minimum-deposit rule).
    pub usd_price: Decimal,
    /// Confirmations the chain needs.
    pub confirmations: u32,
    /// What the back-end adds to the answer and the webhook (block, log index, ...).
    pub extra: Value,
}

/// Reports a deposit to the ledger (credited at once, pending), with its transaction row, webhook
/// and rule events. Idempotent by `tx` (the core answers a repeat with the first answer).
pub async fn credit(w: &mut Work, d: &Incoming) -> Result<Value, ApiError> {
    w.remember_deposit(&d.tx).await?;
    w.need_wallets(&[&d.wallet]).await?;
    // A deposit reported again: the core answers its first result (or DUPLICATE_OPERATION when
    // the contents differ); nothing is written or emitted again, and the answer carries the
    // deposit's current status (it may have been confirmed or dropped since).
    let known = w.ledger.deposit_record(&d.tx).map(|r| r.status);
    let r = w.ledger.deposit(DepositRequest {
        tx: d.tx.clone(),
        to: d.wallet.clone(),
        token: d.token.clone(),
        amount: d.amount,
        usd_price: d.usd_price,
    })?;
    let mut out = json!({
        "tx": d.tx, "wallet_id": d.wallet, "blockchain": d.chain, "token": r.token, "amount": num(r.amount),
        "usd_value": num(r.usd_value), "credited": num(r.credited), "below_minimum": r.below_minimum,
        "status": "pending", "flagged": r.flagged, "confirmations": d.confirmations,
        "automation": r.automation.iter().map(|o| json!({"rule": o.rule, "ok": o.ok(), "action": o.action.as_str(), "amount": o.amount.map(num), "code": o.code, "message": o.message})).collect::<Vec<_>>(),
    });
    merge(&mut out, &d.extra);
    if let Some(status) = known {
        out["status"] = serde_json::to_value(status).unwrap_or(Value::Null);
        out["replayed"] = Value::Bool(true);
        return Ok(out);
    }
    w.upsert_transaction(
        &d.tx,
        Some(&d.wallet),
        "deposit",
        "pending",
        Some(&r.token),
        Some(&num(r.amount)),
        &out,
    )
    .await?;
    w.emit(Event::Deposit {
        wallet: d.kind,
        tx: d.tx.clone(),
        below_minimum: r.below_minimum,
        answer: answer(&out),
    })?;
    super::api::simulate::rule_events(w, &d.wallet, &r.automation, &d.tx)?;
    Ok(out)
}

/// Posts a deposit after its confirmations (transaction row, DEPOSIT_CONFIRMED, `confirm` rules).
/// Returns the answer and the wallet's kind (a virtual wallet's funds are then swept).
pub async fn settle_confirmed(
    w: &mut Work,
    tx: &str,
    wallet: &str,
    token: &str,
    amount: &str,
    extra: &Value,
) -> Result<(Value, WalletKind), ApiError> {
    w.remember_deposit(tx).await?;
    w.need_wallets(&[wallet]).await?;
    let settled = w.ledger.confirm(tx)?;
    let kind = w.ledger.wallet(wallet)?.kind;
    let below = w
        .ledger
        .deposit_record(tx)
        .is_some_and(|r| r.result.below_minimum);
    let mut body = json!({"tx": tx, "wallet_id": wallet, "token": token, "amount": amount, "status": "confirmed", "below_minimum": below});
    merge(&mut body, extra);
    w.upsert_transaction(
        tx,
        Some(wallet),
        "deposit",
        "confirmed",
        Some(token),
        Some(amount),
        &body,
    )
    .await?;
    w.emit(Event::DepositConfirmed {
        wallet: kind,
        tx: tx.to_owned(),
        answer: answer(&body),
    })?;
    super::api::simulate::rule_events(w, wallet, &settled.automation, tx)?;
    Ok((body, kind))
}

/// The funds of a deposit reached the holding wallet: the ledger's sweep (virtual balances do not
/// change, the holding position grows), a `sweep` transaction row and a SWEEP webhook.
pub async fn record_sweep(
    w: &mut Work,
    sweep_tx: &str,
    wallet: &str,
    token: &str,
    amount: &str,
    extra: &Value,
) -> Result<Value, ApiError> {
    let amt = Amount::parse(amount, waas_core::amount::MAX_DECIMALS)?;
    w.remember_sweep(sweep_tx).await?;
    w.need_wallets(&[wallet]).await?;
    w.ledger.sweep(sweep_tx, wallet, token, amt)?;
    let mut body = json!({"tx": sweep_tx, "wallet_id": wallet, "token": token, "amount": amount, "status": "confirmed"});
    merge(&mut body, extra);
    w.upsert_transaction(
        sweep_tx,
        Some(wallet),
        "sweep",
        "confirmed",
        Some(token),
        Some(amount),
        &body,
    )
    .await?;
    w.emit(Event::Sweep {
        tx: sweep_tx.to_owned(),
        answer: answer(&body),
    })?;
    Ok(body)
}

/// A reorg removed a pending deposit: the core voids its credit (and freezes a wallet that had
/// spent it); transaction row, DEPOSIT_REVERSED and FROZEN webhooks.
pub async fn settle_dropped(
    w: &mut Work,
    tx: &str,
    wallet: &str,
    token: &str,
    amount: &str,
    extra: &Value,
) -> Result<Value, ApiError> {
    w.remember_deposit(tx).await?;
    let r = w.ledger.drop_deposit(tx)?;
    let mut body = json!({"tx": tx, "wallet_id": wallet, "token": token, "amount": amount, "status": "dropped", "frozen": r.frozen});
    merge(&mut body, extra);
    w.upsert_transaction(
        tx,
        Some(wallet),
        "deposit",
        "dropped",
        Some(token),
        Some(amount),
        &body,
    )
    .await?;
    let kind = w.ledger.wallet(wallet)?.kind;
    w.emit(Event::DepositReversed {
        wallet: kind,
        tx: tx.to_owned(),
        answer: answer(&body),
    })?;
    if let Some(frozen) = &r.frozen {
        w.emit(Event::FrozenByReorg {
            wallet: frozen.clone(),
            tx: tx.to_owned(),
        })?;
    }
    Ok(body)
}

/// Adds the fields of `extra` (an object) to `out`.
pub fn merge(out: &mut Value, extra: &Value) {
    if let (Some(o), Some(e)) = (out.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            o.insert(k.clone(), v.clone());
        }
    }
}
