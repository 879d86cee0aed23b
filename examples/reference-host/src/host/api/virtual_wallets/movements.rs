//! Money out of a virtual wallet: transfers, withdrawals, and the helpers that settle them.

use crate::host::api::extract::amount;
use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::finish;
use crate::host::api::extract::idem;
use crate::host::api::extract::optional_amount;
use crate::host::api::extract::replay;
use crate::host::api::extract::Idem;
use crate::host::api::extract::{ApiResult, Shared};
use crate::host::api::schema::IdempotencyKey;
use crate::host::api::virtual_wallets::value_of;
use crate::host::api::virtual_wallets::wallet_row;
use crate::host::error::ApiError;
use crate::host::store::answer;
use crate::host::store::Work;
use crate::host::withdrawals::WithdrawalKind;
use crate::host::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde::Serialize;
use utoipa::ToSchema;
use waas_core::access::Operation;
use waas_core::ledger::Route;
use waas_core::ledger::WalletKind;
use waas_core::webhook::Subject;
use waas_core::webhook::{Event, Moved};
use waas_core::Amount;

/// A transfer to another virtual wallet of the client.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TransferReq {
    /// The receiving wallet.
    #[schema(example = "vw_01HZX4")]
    pub(crate) to_wallet_id: String,
    /// Token symbol.
    #[schema(example = "USDT")]
    pub(crate) token: String,
    /// Decimal amount.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128, example = "10.5")]
    pub(crate) amount: String,
}

/// A transfer between virtual wallets (off chain, done at once).
#[derive(Serialize, ToSchema)]
pub(crate) struct TransferOut {
    /// The movement's id (the Idempotency-Key when given).
    pub(crate) id: String,
    /// Always `transfer`.
    #[serde(rename = "type")]
    pub(crate) kind: String,
    /// The paying wallet.
    pub(crate) from_wallet_id: String,
    /// The receiving wallet.
    pub(crate) to_wallet_id: String,
    /// Token symbol.
    pub(crate) token: String,
    /// Decimal amount.
    pub(crate) amount: String,
    /// Always `completed`.
    pub(crate) status: String,
}

/// The movement id: the Idempotency-Key when given (reserved `rule:` prefix refused), else new.
pub(crate) fn movement_id(w: &mut Work, idem: &Option<Idem>) -> Result<String, ApiError> {
    match idem {
        Some(i) if i.key.starts_with("rule:") => Err(ApiError::bad_request(
            "Idempotency-Key may not start with 'rule:' (reserved for automation)",
        )),
        Some(i) => Ok(i.key.clone()),
        None => Ok(w.fresh_movement_id()),
    }
}

#[utoipa::path(post, path = "/v1/wallets/virtual/{id}/transfer", operation_id = "virtual_wallets.transfer", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The paying virtual wallet's id"), IdempotencyKey),
    request_body(content = TransferReq, example = json!({"to_wallet_id": "vw_01HZX4", "token": "USDT", "amount": "10.5"})),
    responses((status = 201, description = "The transfer, done", body = TransferOut)))]
pub(crate) async fn transfer(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::VirtualWalletsTransfer).await?;
    let req: TransferReq = body(&bytes)?;
    let amt = amount("amount", &req.amount)?;
    let idem = idem(&headers, &format!("transfer:{id}"), &bytes)?;
    // It changes two wallets and nothing else of the client: it holds only those (see
    // `Store::begin_wallets`), and is retried once on its own if another batch holds one.
    let mut alone = false;
    loop {
        let w = s
            .store
            .begin_wallets(&caller.client_id, &[&id, &req.to_wallet_id], alone)
            .await?;
        match transfer_in(&s, w, &idem, &id, &req, amt).await {
            Err(e) if e.is_contended() && !alone => {
                s.store.metrics().contended();
                alone = true;
            }
            answer => return answer,
        }
    }
}

/// A transfer in an operation begun on the client's books.
async fn transfer_in(
    s: &AppState,
    mut w: Work,
    idem: &Option<Idem>,
    id: &str,
    req: &TransferReq,
    amt: Amount,
) -> ApiResult {
    if let Some(i) = idem {
        w.claim_key(&i.key).await?;
    }
    if let Some(r) = replay(&mut w, idem).await? {
        return Ok(r);
    }
    let mid = movement_id(&mut w, idem)?;
    w.remember_movement(&mid).await?;
    w.need_wallets(&[id, &req.to_wallet_id]).await?;
    let m = w
        .ledger
        .transfer(&mid, id, &req.to_wallet_id, &req.token, amt)?;
    let out = TransferOut {
        id: mid.clone(),
        kind: "transfer".to_owned(),
        from_wallet_id: id.to_owned(),
        to_wallet_id: req.to_wallet_id.clone(),
        token: token_of(&m),
        amount: amt.to_string(),
        status: "completed".to_owned(),
    };
    let row = MovementRow {
        wallet: id,
        counterparty: Some(&req.to_wallet_id),
        kind: "transfer",
        status: "completed",
        of: Subject::VirtualWallet,
        moved: Moved::Transfer,
    };
    settle_movement(s, w, idem, &mid, &m, amt, row, out).await
}

/// Where a money movement is listed and announced.
pub(crate) struct MovementRow<'a> {
    /// The wallet the transaction row belongs to.
    pub wallet: &'a str,
    /// The receiving wallet, listed too.
    pub counterparty: Option<&'a str>,
    /// Transaction type.
    pub kind: &'a str,
    /// Transaction status.
    pub status: &'a str,
    /// The wallet its webhook event is about.
    pub of: Subject,
    /// What moved, as its event names it.
    pub moved: Moved,
}

/// Records a movement's transaction row and webhook event, then commits with the answer.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn settle_movement(
    s: &AppState,
    mut w: Work,
    idem: &Option<Idem>,
    mid: &str,
    m: &waas_core::ledger::Movement,
    amt: Amount,
    row: MovementRow<'_>,
    out: impl Serialize,
) -> ApiResult {
    let out = value_of(&out)?;
    let token = token_of(m);
    w.upsert_transaction_to(
        mid,
        Some(row.wallet),
        row.counterparty,
        row.kind,
        row.status,
        Some(&token),
        Some(&amt.to_string()),
        &out,
    )
    .await?;
    w.emit(Event::Movement {
        of: row.of,
        moved: row.moved,
        id: mid.to_owned(),
        answer: answer(&out),
    })?;
    finish(w, idem, StatusCode::CREATED, out, s).await
}

pub(crate) fn token_of(m: &waas_core::ledger::Movement) -> String {
    m.token().to_owned()
}

/// A withdrawal to an address.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WithdrawReq {
    /// The receiving address (an address of the client's own settles internally, without fee).
    #[schema(example = "0x52908400098527886E0F7030069857D2E4169EE7")]
    pub(crate) to_address: String,
    /// Token symbol.
    #[schema(example = "USDT")]
    pub(crate) token: String,
    /// Decimal amount that leaves the wallet before the fee.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128, example = "10.5")]
    pub(crate) amount: String,
    /// The network fee offered (decimal; a fee schedule set by the platform replaces it).
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128, example = "0.1")]
    pub(crate) fee: Option<String>,
}

/// A withdrawal: pending on chain, or settled internally at once (`internal`).
#[derive(Serialize, ToSchema)]
pub(crate) struct WithdrawalOut {
    /// The withdrawal's id (the Idempotency-Key when given).
    pub(crate) id: String,
    /// `withdrawal`, or `deposit_refund` for a refund of a deposit.
    #[serde(rename = "type")]
    pub(crate) kind: String,
    /// The refunded deposit's transaction (refunds only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) deposit_tx: Option<String>,
    /// The paying wallet.
    pub(crate) wallet_id: String,
    /// Its blockchain.
    pub(crate) blockchain: Option<String>,
    /// The receiving address.
    pub(crate) to_address: String,
    /// The receiving wallet of an internal withdrawal (`null` for the holding wallet); absent
    /// on chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub(crate) to_wallet_id: Option<Option<String>>,
    /// Whether an internal withdrawal went to the client's holding wallet (internal only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) to_holding: Option<bool>,
    /// Token symbol.
    pub(crate) token: String,
    /// Decimal amount.
    pub(crate) amount: String,
    /// The network fee, decimal (`0` internally).
    pub(crate) fee: String,
    /// `pending` on chain (then `broadcast`, `confirmed`...), `confirmed` internally.
    pub(crate) status: String,
    /// Always `true` when present: settled internally, no chain transaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) internal: Option<bool>,
}

#[utoipa::path(post, path = "/v1/wallets/virtual/{id}/withdraw", operation_id = "virtual_wallets.withdraw", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The paying virtual wallet's id"), IdempotencyKey),
    request_body(content = WithdrawReq, example = json!({"to_address": "0x52908400098527886E0F7030069857D2E4169EE7", "token": "USDT", "amount": "10.5"})),
    responses((status = 201, description = "The withdrawal, pending (or settled internally)", body = WithdrawalOut)))]
pub(crate) async fn withdraw(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::VirtualWalletsWithdraw).await?;
    let req: WithdrawReq = body(&bytes)?;
    let amt = amount("amount", &req.amount)?;
    let fee = optional_amount("fee", req.fee.as_deref())?;
    wallet_row(&s, &caller.client_id, &id, WalletKind::Virtual).await?;
    let idem = idem(&headers, &format!("withdraw:{id}"), &bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    if let Some(r) = replay(&mut w, &idem).await? {
        return Ok(r);
    }
    let mid = movement_id(&mut w, &idem)?;
    w.remember_movement(&mid).await?;
    w.need_wallets(&[&id]).await?;
    let chain = w.ledger.wallet(&id)?.blockchain.clone().unwrap_or_default();
    let registry = s.store.registry();
    let owner =
        crate::host::withdrawals::owner_of(&mut w, registry, &chain, &req.to_address).await?;
    match w.ledger.withdrawal_route(&id, &owner)? {
        Route::Chain => {}
        route => {
            return settle_internally(&s, w, &idem, &mid, &id, &req, amt, route).await;
        }
    }
    let fee =
        crate::host::withdrawals::fee_for(&mut w, registry, &chain, &req.token, Some(fee), amt)
            .await?
            .fee;
    let m = w
        .ledger
        .withdraw(&mid, &id, &req.to_address, &req.token, amt, fee)?;
    let to = match &m {
        waas_core::ledger::Movement::Withdraw { to_address, .. } => to_address.clone(),
        _ => req.to_address.clone(),
    };
    let out = WithdrawalOut {
        id: mid.clone(),
        kind: WithdrawalKind::Withdrawal.as_str().to_owned(),
        deposit_tx: None,
        wallet_id: id.clone(),
        blockchain: Some(chain),
        to_address: to,
        to_wallet_id: None,
        to_holding: None,
        token: token_of(&m),
        amount: amt.to_string(),
        fee: fee.to_string(),
        status: "pending".to_owned(),
        internal: None,
    };
    let row = MovementRow {
        wallet: &id,
        counterparty: None,
        kind: WithdrawalKind::Withdrawal.as_str(),
        status: "pending",
        of: Subject::VirtualWallet,
        moved: Moved::WithdrawalPending,
    };
    settle_movement(&s, w, &idem, &mid, &m, amt, row, out).await
}

/// A withdrawal to an address of the client's own (another virtual wallet, its holding wallet)
/// settled at once without a chain transaction or network fee, marked `internal`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn settle_internally(
    s: &AppState,
    mut w: Work,
    idem: &Option<Idem>,
    mid: &str,
    id: &str,
    req: &WithdrawReq,
    amt: Amount,
    route: Route,
) -> ApiResult {
    let (m, to_wallet) = match &route {
        Route::Transfer(to) => {
            w.need_wallets(&[to]).await?;
            (
                w.ledger.transfer(mid, id, to, &req.token, amt)?,
                Some(to.clone()),
            )
        }
        _ => (w.ledger.return_to_holding(mid, id, &req.token, amt)?, None),
    };
    let chain = w.ledger.wallet(id)?.blockchain.clone();
    let out = WithdrawalOut {
        id: mid.to_owned(),
        kind: WithdrawalKind::Withdrawal.as_str().to_owned(),
        deposit_tx: None,
        wallet_id: id.to_owned(),
        blockchain: chain,
        to_address: req.to_address.clone(),
        to_wallet_id: Some(to_wallet.clone()),
        to_holding: Some(matches!(route, Route::Holding)),
        token: token_of(&m),
        amount: amt.to_string(),
        fee: "0".to_owned(),
        status: "confirmed".to_owned(),
        internal: Some(true),
    };
    let row = MovementRow {
        wallet: id,
        counterparty: to_wallet.as_deref(),
        kind: WithdrawalKind::Withdrawal.as_str(),
        status: "confirmed",
        of: Subject::VirtualWallet,
        moved: Moved::Withdrawal,
    };
    settle_movement(s, w, idem, mid, &m, amt, row, out).await
}
