//! Holding wallets: reports, reserve, withdrawals and transfers.

use crate::host::api::extract::amount;
use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::idem;
use crate::host::api::extract::replay;
use crate::host::api::extract::{ApiResult, PageQ, Shared};
use crate::host::api::management::configuration::settings_in;
use crate::host::api::schema::num;
use crate::host::api::schema::{IdempotencyKey, Listed};
use crate::host::api::virtual_wallets::movements::movement_id;
use crate::host::api::virtual_wallets::movements::settle_movement;
use crate::host::api::virtual_wallets::movements::token_of;
use crate::host::api::virtual_wallets::movements::MovementRow;
use crate::host::api::virtual_wallets::movements::TransferReq;
use crate::host::api::virtual_wallets::wallet_row;
use crate::host::error::ApiError;
use crate::host::page::{self, Page, PageQuery};
use crate::host::store::col;
use crate::host::withdrawals::WithdrawalKind;
use crate::host::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::access::Operation;
use waas_core::ledger::Ledger;
use waas_core::ledger::WalletKind;
use waas_core::webhook::Moved;
use waas_core::webhook::Subject;

/// Routes of this module.
pub(crate) fn holding_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list_holdings))
        .routes(routes!(get_holding))
        .routes(routes!(get_holding_balance))
        .routes(routes!(get_reserve))
        .routes(routes!(holding_withdraw))
        .routes(routes!(holding_transfer))
}

pub(crate) async fn holding_row(
    s: &AppState,
    client_id: &str,
    chain: &str,
) -> Result<sqlx::any::AnyRow, ApiError> {
    let chain = s.store.registry().chain(chain)?.id.to_string();
    sqlx::query("SELECT id, blockchain, address, alias, account_number FROM holdings WHERE client_id = $1 AND blockchain = $2")
        .bind(client_id)
        .bind(&chain)
        .fetch_optional(s.store.reader())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no holding wallet on {chain} yet: it opens with the first virtual wallet")))
}

/// The reserve of one token of a holding wallet, as decimal strings.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReserveOut {
    /// What the holding wallet holds on chain.
    #[schema(example = "1000")]
    pub(crate) holding: String,
    /// Swept funds on their way to the holding wallet.
    pub(crate) in_transit: String,
    /// What the client owes its virtual wallets.
    pub(crate) liabilities: String,
    /// `holding` over `liabilities`; `null` without liabilities.
    pub(crate) ratio: Option<String>,
    /// `liabilities` over `holding`.
    pub(crate) leverage: String,
    /// What may leave the holding wallet within the minimum reserve ratio.
    pub(crate) withdrawable: String,
}

impl From<&waas_core::reserve::ReserveReport> for ReserveOut {
    fn from(r: &waas_core::reserve::ReserveReport) -> ReserveOut {
        ReserveOut {
            holding: num(r.holding),
            in_transit: num(r.in_transit),
            liabilities: num(r.liabilities),
            ratio: r.ratio.map(num),
            leverage: num(r.leverage),
            withdrawable: num(r.withdrawable),
        }
    }
}

/// Reserves by token symbol.
pub(crate) type Reserves = BTreeMap<String, ReserveOut>;

/// A holding wallet's balances (token -> held amount) and reserves (token -> reserve).
pub(crate) fn holding_reports(
    ledger: &Ledger,
    client: &str,
    chain: &str,
) -> Result<(BTreeMap<String, String>, Reserves), ApiError> {
    let holding = waas_core::ledger::HoldingKey::new(client, chain);
    let mut balances = BTreeMap::new();
    let mut reserve = BTreeMap::new();
    for (token, r) in ledger.reserves_of(&holding)? {
        balances.insert(token.clone(), num(r.holding));
        reserve.insert(token, ReserveOut::from(&r));
    }
    Ok((balances, reserve))
}

/// A holding wallet: the client's omnibus wallet of a blockchain, with its balances and reserve.
#[derive(Serialize, ToSchema)]
pub(crate) struct HoldingDetail {
    /// Its id.
    pub(crate) id: String,
    /// Its alias.
    pub(crate) alias: String,
    /// Its on-chain address.
    pub(crate) address: String,
    /// Its blockchain.
    pub(crate) blockchain: String,
    /// What it holds, by token symbol (decimal strings).
    pub(crate) balances: BTreeMap<String, String>,
    /// Its reserve, by token symbol.
    pub(crate) reserve: BTreeMap<String, ReserveOut>,
    /// The account xpub the deposit addresses of the client's virtual wallets on this chain
    /// derive from (index = the wallet's `index`).
    pub(crate) xpub: String,
}

/// The holding wallet of a blockchain with its balances and reserve.
async fn holding_detail(
    s: &AppState,
    headers: &HeaderMap,
    op: Operation,
    chain: &str,
) -> ApiResult {
    let caller = auth(s, headers, op).await?;
    let row = holding_row(s, &caller.client_id, chain).await?;
    let chain = col(&row, "blockchain")?;
    let ledger = s.store.read_ledger(&caller.client_id).await?;
    let (balances, reserve) = holding_reports(&ledger, &caller.client_id, &chain)?;
    // The account xpub the deposit addresses of its virtual wallets derive from (index = the
    // wallet's `index`): anyone can check an address the API shows; it never reveals a key.
    let family = s.store.registry().chain(&chain)?.family;
    let account = u32::try_from(sqlx::Row::try_get::<i64, _>(&row, "account_number")?)
        .map_err(|_| ApiError::internal("account number out of range"))?;
    let xpub = s.keys.xpub(family, account)?.to_string();
    Ok(Json(HoldingDetail {
        id: col(&row, "id")?,
        alias: col(&row, "alias")?,
        address: col(&row, "address")?,
        blockchain: chain,
        balances,
        reserve,
        xpub,
    })
    .into_response())
}

#[utoipa::path(get, path = "/v1/wallets/holding/{blockchain}", operation_id = "holding_wallets.get", tag = "holding_wallets",
    params(("blockchain" = String, Path, description = "The blockchain (e.g. `ethereum`)")),
    responses((status = 200, description = "The holding wallet with its balances and reserve", body = HoldingDetail)))]
pub(crate) async fn get_holding(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(chain): Path<String>,
) -> ApiResult {
    holding_detail(&s, &headers, Operation::HoldingWalletsGet, &chain).await
}

#[utoipa::path(get, path = "/v1/wallets/holding/{blockchain}/balance", operation_id = "holding_wallets.balance", tag = "holding_wallets",
    params(("blockchain" = String, Path, description = "The blockchain (e.g. `ethereum`)")),
    responses((status = 200, description = "The holding wallet with its balances and reserve (as `holding_wallets.get`)", body = HoldingDetail)))]
pub(crate) async fn get_holding_balance(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(chain): Path<String>,
) -> ApiResult {
    // Authorized as `holding_wallets.get`, as this route always was (same permission).
    holding_detail(&s, &headers, Operation::HoldingWalletsGet, &chain).await
}

/// The reserve report of a holding wallet.
#[derive(Serialize, ToSchema)]
pub(crate) struct HoldingReserve {
    /// Its blockchain.
    pub(crate) blockchain: String,
    /// Its reserve, by token symbol.
    pub(crate) reserve: BTreeMap<String, ReserveOut>,
}

#[utoipa::path(get, path = "/v1/wallets/holding/{blockchain}/reserve", operation_id = "holding_wallets.reserve", tag = "holding_wallets",
    params(("blockchain" = String, Path, description = "The blockchain (e.g. `ethereum`)")),
    responses((status = 200, description = "Holding, liabilities, ratio and leverage per token", body = HoldingReserve)))]
pub(crate) async fn get_reserve(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(chain): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::HoldingWalletsReserve).await?;
    let row = holding_row(&s, &caller.client_id, &chain).await?;
    let chain = col(&row, "blockchain")?;
    let ledger = s.store.read_ledger(&caller.client_id).await?;
    let (_, reserve) = holding_reports(&ledger, &caller.client_id, &chain)?;
    Ok(Json(HoldingReserve {
        blockchain: chain,
        reserve,
    })
    .into_response())
}

/// A holding wallet as listed.
#[derive(Serialize, ToSchema)]
pub(crate) struct HoldingOut {
    /// Its id.
    pub(crate) id: String,
    /// Its blockchain.
    pub(crate) blockchain: String,
    /// Its on-chain address.
    pub(crate) address: String,
    /// Its alias.
    pub(crate) alias: String,
}

#[utoipa::path(get, path = "/v1/wallets/holding", operation_id = "holding_wallets.list", tag = "holding_wallets",
    params(PageQuery),
    responses((status = 200, description = "A page of holding wallets, oldest first", body = Listed<HoldingOut>)))]
pub(crate) async fn list_holdings(
    State(s): State<Shared>,
    headers: HeaderMap,
    q: PageQ,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::HoldingWalletsList).await?;
    let q = page::query(q)?;
    let (rows, next) = Page::new(q.limit, q.cursor.as_deref())?
        .fetch(
            s.store.reader(),
            "SELECT id, blockchain, address, alias, created_at FROM holdings WHERE client_id = $1",
            &[&caller.client_id],
        )
        .await?;
    let mut out = Vec::new();
    for r in rows {
        out.push(HoldingOut {
            id: col(&r, "id")?,
            blockchain: col(&r, "blockchain")?,
            address: col(&r, "address")?,
            alias: col(&r, "alias")?,
        });
    }
    Ok(Json(Listed::new(out, next)).into_response())
}

/// A withdrawal from the holding wallet, within the minimum reserve ratio.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HoldingWithdrawReq {
    /// The token's symbol.
    #[schema(example = "USDT")]
    pub(crate) token: String,
    /// The amount, a decimal string.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128, example = "10.5")]
    pub(crate) amount: String,
    /// Where to; without it, the client's payment destination for the chain.
    pub(crate) to_address: Option<String>,
}

/// A holding wallet withdrawal, as recorded (pending until the chain confirms it).
#[derive(Serialize, ToSchema)]
pub(crate) struct HoldingWithdrawalOut {
    /// The movement's id (the Idempotency-Key when given).
    pub(crate) id: String,
    /// Always `holding_withdrawal`.
    #[serde(rename = "type")]
    pub(crate) kind: String,
    /// The holding wallet's id.
    pub(crate) holding_id: String,
    /// Its blockchain.
    pub(crate) blockchain: String,
    /// The destination address.
    pub(crate) to_address: String,
    /// The token's symbol.
    pub(crate) token: String,
    /// The amount, a decimal string.
    pub(crate) amount: String,
    /// `pending`.
    pub(crate) status: String,
}

#[utoipa::path(post, path = "/v1/wallets/holding/{blockchain}/withdraw", operation_id = "holding_wallets.withdraw", tag = "holding_wallets",
    params(IdempotencyKey, ("blockchain" = String, Path, description = "The blockchain (e.g. `ethereum`)")),
    request_body(content = HoldingWithdrawReq, example = json!({"token": "USDT", "amount": "100", "to_address": "0x8ba1f109551bD432803012645Ac136ddd64DBA72"})),
    responses((status = 201, description = "The withdrawal, pending", body = HoldingWithdrawalOut)))]
pub(crate) async fn holding_withdraw(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(chain): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::HoldingWalletsWithdraw).await?;
    let req: HoldingWithdrawReq = body(&bytes)?;
    let amt = amount("amount", &req.amount)?;
    let row = holding_row(&s, &caller.client_id, &chain).await?;
    let chain = col(&row, "blockchain")?;
    let holding_id = col(&row, "id")?;
    let idem = idem(&headers, &format!("holding_withdraw:{chain}"), &bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    if let Some(r) = replay(&mut w, &idem).await? {
        return Ok(r);
    }
    let mid = movement_id(&mut w, &idem)?;
    w.remember_movement(&mid).await?;
    let client = w.client_id.clone();
    let settings = settings_in(&mut w).await?;
    let to_address = waas_core::ledger::holding_destination(
        req.to_address.as_deref(),
        settings.payment_addresses.get(&chain).map(String::as_str),
    )?;
    let registry = s.store.registry();
    let owner = crate::host::withdrawals::owner_of(&mut w, registry, &chain, &to_address).await?;
    waas_core::ledger::check_holding_route(&chain, &owner)?;
    let m = w
        .ledger
        .holding_withdraw(&mid, &client, &chain, &req.token, amt, &to_address)?;
    let to = match &m {
        waas_core::ledger::Movement::HoldingWithdraw { to_address, .. } => to_address.clone(),
        _ => to_address.clone(),
    };
    let out = json!(HoldingWithdrawalOut {
        id: mid.clone(),
        kind: WithdrawalKind::HoldingWithdrawal.as_str().into(),
        holding_id: holding_id.clone(),
        blockchain: chain,
        to_address: to,
        token: token_of(&m),
        amount: amt.to_string(),
        status: "pending".into(),
    });
    let row = MovementRow {
        wallet: &holding_id,
        counterparty: None,
        kind: WithdrawalKind::HoldingWithdrawal.as_str(),
        status: "pending",
        of: Subject::HoldingWallet,
        moved: Moved::WithdrawalPending,
    };
    settle_movement(&s, w, &idem, &mid, &m, amt, row, out).await
}

/// A transfer from the holding wallet, as recorded.
#[derive(Serialize, ToSchema)]
pub(crate) struct HoldingTransferOut {
    /// The movement's id (the Idempotency-Key when given).
    pub(crate) id: String,
    /// Always `holding_transfer`.
    #[serde(rename = "type")]
    pub(crate) kind: String,
    /// The holding wallet's blockchain.
    pub(crate) blockchain: String,
    /// The virtual wallet credited.
    pub(crate) to_wallet_id: String,
    /// The token's symbol.
    pub(crate) token: String,
    /// The amount, a decimal string.
    pub(crate) amount: String,
    /// `completed`.
    pub(crate) status: String,
}

#[utoipa::path(post, path = "/v1/wallets/holding/{blockchain}/transfer", operation_id = "holding_wallets.transfer", tag = "holding_wallets",
    params(IdempotencyKey, ("blockchain" = String, Path, description = "The blockchain (e.g. `ethereum`)")),
    request_body(content = TransferReq, example = json!({"to_wallet_id": "vw_0123456789abcdef", "token": "USDT", "amount": "25"})),
    responses((status = 201, description = "The transfer, completed", body = HoldingTransferOut)))]
pub(crate) async fn holding_transfer(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(chain): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::HoldingWalletsTransfer).await?;
    let req: TransferReq = body(&bytes)?;
    let amt = amount("amount", &req.amount)?;
    let row = holding_row(&s, &caller.client_id, &chain).await?;
    let chain = col(&row, "blockchain")?;
    wallet_row(
        &s,
        &caller.client_id,
        &req.to_wallet_id,
        WalletKind::Virtual,
    )
    .await?;
    let idem = idem(&headers, &format!("holding_transfer:{chain}"), &bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    if let Some(r) = replay(&mut w, &idem).await? {
        return Ok(r);
    }
    let mid = movement_id(&mut w, &idem)?;
    w.remember_movement(&mid).await?;
    w.need_wallets(&[&req.to_wallet_id]).await?;
    let m = w
        .ledger
        .holding_transfer(&chain, &mid, &req.to_wallet_id, &req.token, amt)?;
    let out = json!(HoldingTransferOut {
        id: mid.clone(),
        kind: "holding_transfer".into(),
        blockchain: chain,
        to_wallet_id: req.to_wallet_id.clone(),
        token: token_of(&m),
        amount: amt.to_string(),
        status: "completed".into(),
    });
    let row = MovementRow {
        wallet: &req.to_wallet_id,
        counterparty: None,
        kind: "holding_transfer",
        status: "completed",
        of: Subject::HoldingWallet,
        moved: Moved::Transfer,
    };
    settle_movement(&s, w, &idem, &mid, &m, amt, row, out).await
}
