//! Treasury wallets: the client's own on-chain wallets.

use super::*;
use waas_core::Amount;

/// Routes of this module.
pub(crate) fn treasury_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .route("/v1/treasury", get(list_treasury).post(create_treasury))
        .route("/v1/treasury/{id}", get(get_treasury))
        .route("/v1/treasury/{id}/balance", get(get_treasury))
        .route("/v1/treasury/{id}/send", post(treasury_send))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TreasuryCreate {
    pub(crate) account_id: String,
    pub(crate) blockchain: String,
    pub(crate) alias: Option<String>,
}

pub(crate) async fn create_treasury(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "treasury.create").await?;
    let req: TreasuryCreate = body(&bytes)?;
    let chain = s.store.registry().chain(&req.blockchain)?.clone();
    let idem = idem(&headers, "treasury.create", &bytes)?;
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
        .fetch_one(&mut *w.tx)
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
        .execute(&mut *w.tx)
        .await?;
    let out = json!({"id": id, "address": address.to_string(), "blockchain": chain.id.as_str(), "account_id": req.account_id, "alias": req.alias});
    w.event(
        "TREASURY",
        "CREATED",
        &id,
        Status::Success,
        None,
        out.clone(),
    )?;
    finish(w, &idem, StatusCode::CREATED, out, &s).await
}

pub(crate) async fn treasury_json(s: &AppState, client: &str, id: &str) -> Result<Value, ApiError> {
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
) -> Result<Value, ApiError> {
    let empty = std::collections::BTreeMap::new();
    Ok(json!({
        "id": col(row, "id")?, "account_id": opt_col(row, "account_id")?, "blockchain": opt_col(row, "blockchain")?,
        "address": opt_col(row, "address")?, "alias": opt_col(row, "alias")?, "status": col(row, "status")?,
        "balances": balances_json(balances.unwrap_or(&empty)),
    }))
}

pub(crate) async fn get_treasury(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "treasury.get").await?;
    Ok(Json(treasury_json(&s, &caller.client_id, &id).await?).into_response())
}

pub(crate) async fn list_treasury(
    State(s): State<Shared>,
    headers: HeaderMap,
    q: PageQ,
) -> ApiResult {
    let caller = auth(&s, &headers, "treasury.list").await?;
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
    Ok(Json(page::answer(out, next)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SendReq {
    pub(crate) to_address: String,
    pub(crate) token: String,
    pub(crate) amount: String,
    pub(crate) fee: Option<String>,
}

pub(crate) async fn treasury_send(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "treasury.send").await?;
    let req: SendReq = body(&bytes)?;
    let amt = amount("amount", &req.amount)?;
    let fee = match &req.fee {
        Some(f) => amount("fee", f)?,
        None => Amount::ZERO,
    };
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
    let out = json!({"id": mid, "type": "treasury_send", "wallet_id": id, "blockchain": chain, "to_address": to, "token": token_of(&m), "amount": amt.to_string(), "fee": fee.to_string(), "status": "pending"});
    let row = MovementRow {
        wallet: &id,
        counterparty: None,
        kind: "treasury_send",
        status: "pending",
        operation: "TREASURY",
        sub_operation: "WITHDRAWAL_PENDING",
    };
    settle_movement(&s, w, &idem, &mid, &m, amt, row, out).await
}
