//! Treasury wallets: the client's own on-chain wallets.

use crate::host::api::extract::amount;
use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::finish;
use crate::host::api::extract::idem;
use crate::host::api::extract::optional_amount;
use crate::host::api::extract::replay;
use crate::host::api::extract::{ApiResult, PageQ, Shared};
use crate::host::api::schema;
use crate::host::api::schema::{IdempotencyKey, Listed};
use crate::host::api::virtual_wallets::movements::movement_id;
use crate::host::api::virtual_wallets::movements::settle_movement;
use crate::host::api::virtual_wallets::movements::token_of;
use crate::host::api::virtual_wallets::movements::MovementRow;
use crate::host::api::virtual_wallets::wallet_balances;
use crate::host::error::ApiError;
use crate::host::page::{self, Page, PageQuery};
use crate::host::store::answer_of;
use crate::host::store::{col, new_id, now_ms, opt_col};
use crate::host::withdrawals::WithdrawalKind;
use crate::host::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::access::Operation;
use waas_core::webhook::Subject;
use waas_core::webhook::{Event, Moved};

/// Routes of this module.
pub(crate) fn treasury_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list_treasury, create_treasury))
        .routes(routes!(get_treasury))
        .routes(routes!(get_treasury_balance))
        .routes(routes!(treasury_send))
}

/// A new treasury wallet: an on-chain wallet of the client's own, with its own BIP-44 account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TreasuryCreate {
    /// The account that owns it.
    #[schema(example = "acc_0123456789abcdef")]
    pub(crate) account_id: String,
    /// Its blockchain (e.g. `ethereum`).
    #[schema(example = "ethereum")]
    pub(crate) blockchain: String,
    /// A name for it.
    pub(crate) alias: Option<String>,
}

/// A treasury wallet as created.
#[derive(Serialize, ToSchema)]
pub(crate) struct TreasuryCreated {
    /// Its id (`tr_...`).
    pub(crate) id: String,
    /// Its on-chain address.
    pub(crate) address: String,
    /// Its blockchain.
    pub(crate) blockchain: String,
    /// The account that owns it.
    pub(crate) account_id: String,
    /// Its alias, if given.
    pub(crate) alias: Option<String>,
}

#[utoipa::path(post, path = "/v1/treasury", operation_id = "treasury.create", tag = "treasury",
    params(IdempotencyKey),
    request_body(content = TreasuryCreate, example = json!({"account_id": "acc_0123456789abcdef", "blockchain": "ethereum", "alias": "operations"})),
    responses((status = 201, description = "The treasury wallet", body = TreasuryCreated)))]
pub(crate) async fn create_treasury(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::TreasuryCreate).await?;
    let req: TreasuryCreate = body(&bytes)?;
    let chain = s.store.registry().chain(&req.blockchain)?.clone();
    let idem = idem(&headers, Operation::TreasuryCreate.id(), &bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    if let Some(r) = replay(&mut w, &idem).await? {
        return Ok(r);
    }
    let id = new_id("tr");
    w.need_account(&req.account_id).await?;
    w.ledger
        .create_treasury(&req.account_id, &id, chain.id.as_str())?;
    // Each treasury wallet has a BIP-44 account of its own: m/44'/coin'/N'/0/0.
    let n: i64 = sqlx::Row::try_get(
        &sqlx::query(
            "UPDATE counters SET value = value + 1 WHERE name = 'account_number' RETURNING value",
        )
        .fetch_one(w.conn().await?)
        .await?,
        "value",
    )?;
    let account =
        u32::try_from(n - 1).map_err(|_| ApiError::internal("account numbers exhausted"))?;
    let address = s.keys.deposit_address(chain.family, account, 0)?;
    sqlx::query("INSERT INTO wallets (id, client_id, account_id, kind, blockchain, address, derivation_index, alias, created_at) VALUES ($1, $2, $3, 'treasury', $4, $5, $6, $7, $8)")
        .bind(&id)
        .bind(&caller.client_id)
        .bind(&req.account_id)
        .bind(chain.id.as_str())
        .bind(address.to_string())
        .bind(n - 1)
        .bind(&req.alias)
        .bind(now_ms())
        .execute(w.conn().await?)
        .await?;
    let out = TreasuryCreated {
        id: id.clone(),
        address: address.to_string(),
        blockchain: chain.id.to_string(),
        account_id: req.account_id,
        alias: req.alias,
    };
    w.emit(Event::TreasuryCreated {
        id: id.clone(),
        answer: answer_of(&out)?,
    })?;
    finish(w, &idem, StatusCode::CREATED, out, &s).await
}

/// A treasury wallet with its balances.
#[derive(Serialize, ToSchema)]
pub(crate) struct TreasuryOut {
    /// Its id.
    pub(crate) id: String,
    /// The account that owns it.
    pub(crate) account_id: Option<String>,
    /// Its blockchain.
    pub(crate) blockchain: Option<String>,
    /// Its on-chain address.
    pub(crate) address: Option<String>,
    /// Its alias.
    pub(crate) alias: Option<String>,
    /// Its status (e.g. `active`).
    pub(crate) status: String,
    /// Its balances by token symbol.
    pub(crate) balances: schema::Balances,
}

pub(crate) async fn treasury_json(
    s: &AppState,
    client: &str,
    id: &str,
) -> Result<TreasuryOut, ApiError> {
    let row = sqlx::query("SELECT id, account_id, blockchain, address, alias, status FROM wallets WHERE id = $1 AND client_id = $2 AND kind = 'treasury'")
        .bind(id)
        .bind(client)
        .fetch_optional(s.store.reader())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no treasury wallet {id}")))?;
    let balances = wallet_balances(s, client, &[id.to_owned()]).await?;
    treasury_view(&row, balances.get(id))
}

/// A treasury wallet as its row and balance rows hold it.
pub(crate) fn treasury_view(
    row: &sqlx::any::AnyRow,
    balances: Option<&std::collections::BTreeMap<String, waas_core::ledger::Balance>>,
) -> Result<TreasuryOut, ApiError> {
    let empty = std::collections::BTreeMap::new();
    Ok(TreasuryOut {
        id: col(row, "id")?,
        account_id: opt_col(row, "account_id")?,
        blockchain: opt_col(row, "blockchain")?,
        address: opt_col(row, "address")?,
        alias: opt_col(row, "alias")?,
        status: col(row, "status")?,
        balances: schema::balances(balances.unwrap_or(&empty)),
    })
}

#[utoipa::path(get, path = "/v1/treasury/{id}", operation_id = "treasury.get", tag = "treasury",
    params(("id" = String, Path, description = "The treasury wallet's id")),
    responses((status = 200, description = "The treasury wallet with its balances", body = TreasuryOut)))]
pub(crate) async fn get_treasury(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::TreasuryGet).await?;
    Ok(Json(treasury_json(&s, &caller.client_id, &id).await?).into_response())
}

#[utoipa::path(get, path = "/v1/treasury/{id}/balance", operation_id = "treasury.balance", tag = "treasury",
    params(("id" = String, Path, description = "The treasury wallet's id")),
    responses((status = 200, description = "The treasury wallet with its balances (as `treasury.get`)", body = TreasuryOut)))]
pub(crate) async fn get_treasury_balance(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    // Authorized as `treasury.get`, as this route always was (same permission).
    let caller = auth(&s, &headers, Operation::TreasuryGet).await?;
    Ok(Json(treasury_json(&s, &caller.client_id, &id).await?).into_response())
}

#[utoipa::path(get, path = "/v1/treasury", operation_id = "treasury.list", tag = "treasury",
    params(PageQuery),
    responses((status = 200, description = "A page of treasury wallets, oldest first", body = Listed<TreasuryOut>)))]

pub(crate) async fn list_treasury(
    State(s): State<Shared>,
    headers: HeaderMap,
    q: PageQ,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::TreasuryList).await?;
    let q = page::query(q)?;
    let (rows, next) = Page::new(q.limit, q.cursor.as_deref())?
        .fetch(
            s.store.reader(),
            "SELECT id, account_id, blockchain, address, alias, status, created_at FROM wallets WHERE client_id = $1 AND kind = 'treasury'",
            &[&caller.client_id],
        )
        .await?;
    let ids = rows
        .iter()
        .map(|r| col(r, "id"))
        .collect::<Result<Vec<_>, _>>()?;
    let balances = wallet_balances(&s, &caller.client_id, &ids).await?;
    let mut out = Vec::new();
    for (r, id) in rows.iter().zip(&ids) {
        out.push(treasury_view(r, balances.get(id))?);
    }
    Ok(Json(Listed::new(out, next)).into_response())
}

/// A withdrawal from a treasury wallet to an address.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SendReq {
    /// The destination address.
    #[schema(example = "0x8ba1f109551bD432803012645Ac136ddd64DBA72")]
    pub(crate) to_address: String,
    /// The token's symbol.
    #[schema(example = "USDT")]
    pub(crate) token: String,
    /// The amount, a decimal string.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128, example = "10.5")]
    pub(crate) amount: String,
    /// The network fee offered, a decimal string (a fee schedule set by the parent replaces it).
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128)]
    pub(crate) fee: Option<String>,
}

/// A treasury send, as recorded (pending until the chain confirms it).
#[derive(Serialize, ToSchema)]
pub(crate) struct TreasurySendOut {
    /// The movement's id (the Idempotency-Key when given).
    pub(crate) id: String,
    /// Always `treasury_send`.
    #[serde(rename = "type")]
    pub(crate) kind: String,
    /// The treasury wallet's id.
    pub(crate) wallet_id: String,
    /// Its blockchain.
    pub(crate) blockchain: Option<String>,
    /// The destination address.
    pub(crate) to_address: String,
    /// The token's symbol.
    pub(crate) token: String,
    /// The amount, a decimal string.
    pub(crate) amount: String,
    /// The fee charged, a decimal string.
    pub(crate) fee: String,
    /// `pending`.
    pub(crate) status: String,
}

#[utoipa::path(post, path = "/v1/treasury/{id}/send", operation_id = "treasury.send", tag = "treasury",
    params(IdempotencyKey, ("id" = String, Path, description = "The treasury wallet's id")),
    request_body(content = SendReq, example = json!({"to_address": "0x8ba1f109551bD432803012645Ac136ddd64DBA72", "token": "USDT", "amount": "100"})),
    responses((status = 201, description = "The send, pending", body = TreasurySendOut)))]
pub(crate) async fn treasury_send(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::TreasurySend).await?;
    let req: SendReq = body(&bytes)?;
    let amt = amount("amount", &req.amount)?;
    let fee = optional_amount("fee", req.fee.as_deref())?;
    treasury_json(&s, &caller.client_id, &id).await?;
    let idem = idem(&headers, &format!("treasury_send:{id}"), &bytes)?;
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
    // A treasury wallet holds its own funds on chain: only its own address is refused here.
    w.ledger.withdrawal_route(&id, &owner)?;
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
    let chain = w.ledger.wallet(&id)?.blockchain.clone();
    let out = json!(TreasurySendOut {
        id: mid.clone(),
        kind: WithdrawalKind::TreasurySend.as_str().into(),
        wallet_id: id.clone(),
        blockchain: chain,
        to_address: to,
        token: token_of(&m),
        amount: amt.to_string(),
        fee: fee.to_string(),
        status: "pending".into(),
    });
    let row = MovementRow {
        wallet: &id,
        counterparty: None,
        kind: WithdrawalKind::TreasurySend.as_str(),
        status: "pending",
        of: Subject::Treasury,
        moved: Moved::WithdrawalPending,
    };
    settle_movement(&s, w, &idem, &mid, &m, amt, row, out).await
}
