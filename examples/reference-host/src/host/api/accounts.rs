//! Tokens and accounts.

use super::*;

/// Routes of this module.
pub(crate) fn accounts_routes() -> Router<Shared> {
    Router::new()
        .route("/v1/tokens", get(tokens))
        .route("/v1/accounts", get(list_accounts).post(create_account))
        .route(
            "/v1/accounts/{id}",
            get(get_account)
                .patch(update_account)
                .delete(delete_account),
        )
}

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    pub(crate) blockchain: Option<String>,
}

pub(crate) async fn tokens(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> ApiResult {
    auth(&s, &headers, "tokens.list").await?;
    let registry = s.store.registry();
    let tokens = registry.tokens(q.blockchain.as_deref())?;
    Ok(Json(json!({"tokens": tokens})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AccountCreate {
    pub(crate) name: String,
}

pub(crate) async fn create_account(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "accounts.create").await?;
    let req: AccountCreate = body(&bytes)?;
    if req.name.trim().is_empty() || req.name.len() > 200 {
        return Err(ApiError::bad_request("name must be 1 to 200 characters"));
    }
    let idem = idem(&headers, "accounts.create", &bytes)?;
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
        .execute(&mut *w.tx)
        .await?;
    w.event(
        "ACCOUNT",
        "CREATED",
        &id,
        Status::Success,
        None,
        json!({"account_id": id, "name": req.name}),
    )?;
    finish(
        w,
        &idem,
        StatusCode::CREATED,
        json!({"id": id, "name": req.name}),
        &s,
    )
    .await
}

pub(crate) async fn list_accounts(
    State(s): State<Shared>,
    headers: HeaderMap,
    q: PageQ,
) -> ApiResult {
    let caller = auth(&s, &headers, "accounts.list").await?;
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
        out.push(json!({"id": col(&r, "id")?, "name": col(&r, "name")?}));
    }
    Ok(Json(page::answer(out, next)).into_response())
}

pub(crate) async fn get_account(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "accounts.get").await?;
    let row = sqlx::query("SELECT id, name FROM accounts WHERE id = $1 AND client_id = $2")
        .bind(&id)
        .bind(&caller.client_id)
        .fetch_optional(s.store.reader())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no account {id}")))?;
    let wallets = sqlx::query("SELECT id, kind, blockchain, address FROM wallets WHERE account_id = $1 ORDER BY created_at")
        .bind(&id)
        .fetch_all(s.store.reader())
        .await?;
    let mut ws = Vec::new();
    for r in wallets {
        ws.push(json!({"id": col(&r, "id")?, "kind": col(&r, "kind")?, "blockchain": opt_col(&r, "blockchain")?, "address": opt_col(&r, "address")?}));
    }
    Ok(
        Json(json!({"id": col(&row, "id")?, "name": col(&row, "name")?, "wallets": ws}))
            .into_response(),
    )
}

pub(crate) async fn update_account(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "accounts.update").await?;
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
    Ok(Json(json!({"id": id, "name": req.name})).into_response())
}

/// Deletes an account that has no wallet (wallets keep their history, so an account with wallets stays).
pub(crate) async fn delete_account(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "accounts.delete").await?;
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
    Ok(Json(json!({"id": id, "deleted": true})).into_response())
}
