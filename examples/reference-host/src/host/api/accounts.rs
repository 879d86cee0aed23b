//! Tokens and accounts.

use crate::host::api::clients::name_ok;
use crate::host::api::clients::NameUpdate;
use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::finish;
use crate::host::api::extract::idem;
use crate::host::api::extract::replay;
use crate::host::api::extract::{ApiResult, PageQ, Shared};
use crate::host::api::schema::{Deleted, IdempotencyKey, Listed};
use crate::host::error::ApiError;
use crate::host::page::{self, Page, PageQuery};
use crate::host::store::{col, new_id, now_ms, opt_col};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::access::Operation;
use waas_core::webhook::Event;

/// Routes of this module.
pub(crate) fn accounts_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(tokens))
        .routes(routes!(list_accounts, create_account))
        .routes(routes!(get_account, update_account, delete_account))
}

/// Which tokens to list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TokenQuery {
    /// Only the tokens of this blockchain (e.g. `ethereum`).
    pub(crate) blockchain: Option<String>,
}

/// A token listed on a blockchain.
#[derive(Serialize, ToSchema)]
pub(crate) struct TokenOut {
    /// Ticker, e.g. `USDT`.
    pub(crate) symbol: String,
    /// Human name.
    pub(crate) name: String,
    /// The blockchain it lives on.
    pub(crate) blockchain: String,
    /// Contract address; `null` for the chain's native coin.
    pub(crate) contract: Option<String>,
    /// Decimals of its base unit.
    pub(crate) decimals: u8,
}

impl From<&waas_core::chain::Token> for TokenOut {
    fn from(t: &waas_core::chain::Token) -> TokenOut {
        TokenOut {
            symbol: t.symbol.clone(),
            name: t.name.clone(),
            blockchain: t.blockchain.to_string(),
            contract: t.contract.as_ref().map(ToString::to_string),
            decimals: t.decimals,
        }
    }
}

/// The tokens of a blockchain, or of all.
#[derive(Serialize, ToSchema)]
pub(crate) struct Tokens {
    /// Tokens in the registry's order.
    pub(crate) tokens: Vec<TokenOut>,
}

#[utoipa::path(get, path = "/v1/tokens", operation_id = "tokens.list", tag = "tokens",
    params(TokenQuery),
    responses((status = 200, description = "The tokens", body = Tokens)))]
pub(crate) async fn tokens(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> ApiResult {
    auth(&s, &headers, Operation::TokensList).await?;
    let registry = s.store.registry();
    let tokens = registry.tokens(q.blockchain.as_deref())?;
    Ok(Json(Tokens {
        tokens: tokens.iter().map(|t| TokenOut::from(*t)).collect(),
    })
    .into_response())
}

/// A new account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AccountCreate {
    /// Its name (1 to 200 characters, not only spaces).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\t\n\x0B\f\r ]",
        example = "alice"
    )]
    pub(crate) name: String,
}

/// An account: the owner of wallets and cards, usually one of the platform's end users.
#[derive(Serialize, ToSchema)]
pub(crate) struct AccountOut {
    /// Its id (`acc_...`).
    pub(crate) id: String,
    /// Its name.
    pub(crate) name: String,
}

/// A wallet of an account.
#[derive(Serialize, ToSchema)]
pub(crate) struct AccountWallet {
    /// The wallet's id.
    pub(crate) id: String,
    /// `virtual` or `treasury`.
    pub(crate) kind: String,
    /// Its blockchain, if it has one.
    pub(crate) blockchain: Option<String>,
    /// Its deposit address, if it has one.
    pub(crate) address: Option<String>,
}

/// An account with its wallets.
#[derive(Serialize, ToSchema)]
pub(crate) struct AccountDetail {
    /// Its id.
    pub(crate) id: String,
    /// Its name.
    pub(crate) name: String,
    /// Its wallets, oldest first.
    pub(crate) wallets: Vec<AccountWallet>,
}

#[utoipa::path(post, path = "/v1/accounts", operation_id = "accounts.create", tag = "accounts",
    params(IdempotencyKey),
    request_body = AccountCreate,
    responses((status = 201, description = "The account", body = AccountOut)))]
pub(crate) async fn create_account(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::AccountsCreate).await?;
    let req: AccountCreate = body(&bytes)?;
    name_ok("name", &req.name)?;
    let idem = idem(&headers, Operation::AccountsCreate.id(), &bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    if let Some(r) = replay(&mut w, &idem).await? {
        return Ok(r);
    }
    let id = new_id("acc");
    w.ledger.create_account(&caller.client_id, &id)?;
    sqlx::query("INSERT INTO accounts (id, client_id, name, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(&caller.client_id)
        .bind(&req.name)
        .bind(now_ms())
        .execute(w.conn().await?)
        .await?;
    w.emit(Event::AccountCreated {
        account: id.clone(),
        name: req.name.clone(),
    })?;
    finish(
        w,
        &idem,
        StatusCode::CREATED,
        AccountOut { id, name: req.name },
        &s,
    )
    .await
}

#[utoipa::path(get, path = "/v1/accounts", operation_id = "accounts.list", tag = "accounts",
    params(PageQuery),
    responses((status = 200, description = "A page of accounts, oldest first", body = Listed<AccountOut>)))]
pub(crate) async fn list_accounts(
    State(s): State<Shared>,
    headers: HeaderMap,
    q: PageQ,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::AccountsList).await?;
    let q = page::query(q)?;
    let (rows, next) = Page::new(q.limit, q.cursor.as_deref())?
        .fetch(
            s.store.reader(),
            "SELECT id, name, created_at FROM accounts WHERE client_id = $1",
            &[&caller.client_id],
        )
        .await?;
    let mut out = Vec::new();
    for r in rows {
        out.push(AccountOut {
            id: col(&r, "id")?,
            name: col(&r, "name")?,
        });
    }
    Ok(Json(Listed::new(out, next)).into_response())
}

/// The wallets of an account, oldest first (read through the index by account, migration 0018).
pub(crate) const ACCOUNT_WALLETS: &str = "SELECT id, kind, blockchain, address FROM wallets \
     WHERE client_id = $1 AND account_id = $2 ORDER BY created_at, id";

#[utoipa::path(get, path = "/v1/accounts/{id}", operation_id = "accounts.get", tag = "accounts",
    params(("id" = String, Path, description = "The account's id")),
    responses((status = 200, description = "The account and its wallets", body = AccountDetail)))]
pub(crate) async fn get_account(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::AccountsGet).await?;
    let row = sqlx::query("SELECT id, name FROM accounts WHERE id = $1 AND client_id = $2")
        .bind(&id)
        .bind(&caller.client_id)
        .fetch_optional(s.store.reader())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no account {id}")))?;
    let wallets = sqlx::query(ACCOUNT_WALLETS)
        .bind(&caller.client_id)
        .bind(&id)
        .fetch_all(s.store.reader())
        .await?;
    let mut ws = Vec::new();
    for r in wallets {
        ws.push(AccountWallet {
            id: col(&r, "id")?,
            kind: col(&r, "kind")?,
            blockchain: opt_col(&r, "blockchain")?,
            address: opt_col(&r, "address")?,
        });
    }
    Ok(Json(AccountDetail {
        id: col(&row, "id")?,
        name: col(&row, "name")?,
        wallets: ws,
    })
    .into_response())
}

#[utoipa::path(patch, path = "/v1/accounts/{id}", operation_id = "accounts.update", tag = "accounts",
    params(("id" = String, Path, description = "The account's id")),
    request_body = NameUpdate,
    responses((status = 200, description = "The account as it is now", body = AccountOut)))]
pub(crate) async fn update_account(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::AccountsUpdate).await?;
    let req: NameUpdate = body(&bytes)?;
    name_ok("name", &req.name)?;
    let done = sqlx::query("UPDATE accounts SET name = $1 WHERE id = $2 AND client_id = $3")
        .bind(&req.name)
        .bind(&id)
        .bind(&caller.client_id)
        .execute(s.store.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::not_found(format!("no account {id}")));
    }
    Ok(Json(AccountOut { id, name: req.name }).into_response())
}

#[utoipa::path(delete, path = "/v1/accounts/{id}", operation_id = "accounts.delete", tag = "accounts",
    params(("id" = String, Path, description = "The account's id")),
    responses((status = 200, description = "The account is gone", body = Deleted)))]
/// Deletes an account that has no wallet (wallets keep their history, so an account with wallets stays).
pub(crate) async fn delete_account(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::AccountsDelete).await?;
    let exists = sqlx::query("SELECT id FROM accounts WHERE id = $1 AND client_id = $2")
        .bind(&id)
        .bind(&caller.client_id)
        .fetch_optional(s.store.reader())
        .await?;
    if exists.is_none() {
        return Err(ApiError::not_found(format!("no account {id}")));
    }
    // The account's wallets and cards (the core judges whether it may go).
    s.store
        .read_with_wallets(
            &caller.client_id,
            "SELECT id FROM wallets WHERE client_id = $1 AND account_id = $2 \
             UNION SELECT id FROM cards WHERE client_id = $1 AND account_id = $2",
            &[&id],
        )
        .await?
        .check_delete_account(&id)?;
    sqlx::query("DELETE FROM accounts WHERE id = $1")
        .bind(&id)
        .execute(s.store.pool())
        .await?;
    Ok(Json(Deleted::of(id)).into_response())
}
