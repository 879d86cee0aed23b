//! Creating a virtual wallet, and the chain's holding wallet made with the first one.

use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::finish;
use crate::host::api::extract::idem;
use crate::host::api::extract::replay;
use crate::host::api::extract::{ApiResult, Shared};
use crate::host::api::schema::IdempotencyKey;
use crate::host::error::ApiError;
use crate::host::store::answer_of;
use crate::host::store::{new_id, now_ms, Work};
use crate::host::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;
use waas_core::access::Operation;
use waas_core::ledger::WalletKind;
use waas_core::webhook::Event;

/// A new virtual wallet.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VirtualCreate {
    /// The account that owns it (`acc_...`).
    #[schema(example = "acc_01HZX3")]
    pub(crate) account_id: String,
    /// Its blockchain (e.g. `ethereum`).
    #[schema(example = "ethereum")]
    pub(crate) blockchain: String,
    /// A name for people.
    pub(crate) alias: Option<String>,
}

/// A virtual wallet just made, with its deposit address.
#[derive(Serialize, ToSchema)]
pub(crate) struct VirtualCreated {
    /// Its id (`vw_...`).
    pub(crate) id: String,
    /// Its deposit address.
    pub(crate) address: String,
    /// Its derivation index under the client's holding account.
    pub(crate) index: u32,
    /// Its blockchain.
    pub(crate) blockchain: String,
    /// The account that owns it.
    pub(crate) account_id: String,
    /// Its alias, if given.
    pub(crate) alias: Option<String>,
    /// Always `active`.
    pub(crate) status: String,
    /// Whether the chain's holding wallet was made with it (the first wallet of the chain).
    pub(crate) holding_created: bool,
}

/// The holding wallet of a client on a chain, created on first use: (account number, created).
pub(crate) async fn ensure_holding(
    s: &AppState,
    w: &mut Work,
    chain: &str,
) -> Result<(u32, bool), ApiError> {
    let row =
        sqlx::query("SELECT account_number FROM holdings WHERE client_id = $1 AND blockchain = $2")
            .bind(w.client_id.clone())
            .bind(chain)
            .fetch_optional(w.conn().await?)
            .await?;
    if let Some(r) = row {
        let n: i64 = r.try_get("account_number")?;
        return Ok((
            u32::try_from(n).map_err(|_| ApiError::internal("account number"))?,
            false,
        ));
    }
    let n: i64 = sqlx::query(
        "UPDATE counters SET value = value + 1 WHERE name = 'account_number' RETURNING value",
    )
    .fetch_one(w.conn().await?)
    .await?
    .try_get("value")?;
    let account =
        u32::try_from(n - 1).map_err(|_| ApiError::internal("account numbers exhausted"))?;
    let family = s.store.registry().chain(chain)?.family;
    let address = s.keys.holding_address(family, account)?;
    let id = new_id("hld");
    sqlx::query("INSERT INTO holdings (client_id, blockchain, id, account_number, address, alias, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(w.client_id.clone())
        .bind(chain)
        .bind(&id)
        .bind(n - 1)
        .bind(address.to_string())
        .bind(format!("{chain} holding wallet"))
        .bind(now_ms())
        .execute(w.conn().await?)
        .await?;
    w.emit(Event::HoldingWalletCreated {
        id: id.clone(),
        blockchain: chain.to_string(),
        address: address.to_string(),
    })?;
    Ok((account, true))
}

#[utoipa::path(post, path = "/v1/wallets/virtual", operation_id = "virtual_wallets.create", tag = "virtual_wallets",
    params(IdempotencyKey),
    request_body(content = VirtualCreate, example = json!({"account_id": "acc_01HZX3", "blockchain": "ethereum", "alias": "savings"})),
    responses((status = 201, description = "The wallet and its deposit address", body = VirtualCreated)))]
pub(crate) async fn create_virtual(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::VirtualWalletsCreate).await?;
    let req: VirtualCreate = body(&bytes)?;
    let chain = s.store.registry().chain(&req.blockchain)?.clone();
    let idem = idem(&headers, Operation::VirtualWalletsCreate.id(), &bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    if let Some(r) = replay(&mut w, &idem).await? {
        return Ok(r);
    }
    let id = new_id("vw");
    w.need_account(&req.account_id).await?;
    let created = w
        .ledger
        .create_virtual_wallet(&req.account_id, &id, chain.id.as_str())?;
    let (account, _) = ensure_holding(&s, &mut w, chain.id.as_str()).await?;
    let address = s
        .keys
        .deposit_address(chain.family, account, created.index)?;
    sqlx::query("INSERT INTO wallets (id, client_id, account_id, kind, blockchain, address, derivation_index, alias, created_at) VALUES ($1, $2, $3, 'virtual', $4, $5, $6, $7, $8)")
        .bind(&id)
        .bind(&caller.client_id)
        .bind(&req.account_id)
        .bind(chain.id.as_str())
        .bind(address.to_string())
        .bind(i64::from(created.index))
        .bind(&req.alias)
        .bind(now_ms())
        .execute(w.conn().await?)
        .await?;
    let out = VirtualCreated {
        id: id.clone(),
        address: address.to_string(),
        index: created.index,
        blockchain: chain.id.as_str().to_owned(),
        account_id: req.account_id,
        alias: req.alias,
        status: "active".to_owned(),
        holding_created: created.holding_created,
    };
    w.emit(Event::VirtualWalletCreated {
        id: id.clone(),
        answer: answer_of(&out)?,
    })?;
    let client_id = w.client_id.clone();
    let response = finish(w, &idem, StatusCode::CREATED, out, &s).await?;
    // Committed: the chain adapter watches the new address from now on.
    if let Some(evm) = s.evm.as_ref().filter(|e| e.chain_id() == chain.id.as_str()) {
        evm.watch(
            &address.to_string(),
            crate::host::evm::index::Watched {
                client_id,
                wallet_id: id,
                kind: WalletKind::Virtual,
            },
        );
    }
    Ok(response)
}
