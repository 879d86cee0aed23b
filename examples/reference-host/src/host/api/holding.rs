//! Holding wallets: reports, reserve, withdrawals and transfers.

use super::*;

/// Routes of this module.
pub(crate) fn holding_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .route("/v1/wallets/holding", get(list_holdings))
        .route("/v1/wallets/holding/{blockchain}", get(get_holding))
        .route("/v1/wallets/holding/{blockchain}/balance", get(get_holding))
        .route("/v1/wallets/holding/{blockchain}/reserve", get(get_reserve))
        .route(
            "/v1/wallets/holding/{blockchain}/withdraw",
            post(holding_withdraw),
        )
        .route(
            "/v1/wallets/holding/{blockchain}/transfer",
            post(holding_transfer),
        )
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

pub(crate) fn reserve_json(r: &waas_core::reserve::ReserveReport) -> Value {
    json!({
        "holding": num(r.holding), "in_transit": num(r.in_transit), "liabilities": num(r.liabilities),
        "ratio": r.ratio.map(num), "leverage": num(r.leverage), "withdrawable": num(r.withdrawable),
    })
}

pub(crate) fn holding_reports(
    ledger: &Ledger,
    client: &str,
    chain: &str,
) -> Result<(Value, Value), ApiError> {
    let prefix = format!("{client}/{chain}/");
    let mut balances = serde_json::Map::new();
    let mut reserve = serde_json::Map::new();
    for (key, r) in ledger.reserves()? {
        if let Some(token) = key.strip_prefix(&prefix) {
            balances.insert(token.to_owned(), Value::String(num(r.holding)));
            reserve.insert(token.to_owned(), reserve_json(&r));
        }
    }
    Ok((balances.into(), reserve.into()))
}

pub(crate) async fn get_holding(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(chain): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "holding_wallets.get").await?;
    let row = holding_row(&s, &caller.client_id, &chain).await?;
    let chain = col(&row, "blockchain")?;
    let ledger = s.store.read_ledger(&caller.client_id).await?;
    let (balances, reserve) = holding_reports(&ledger, &caller.client_id, &chain)?;
    // The account xpub the deposit addresses of its virtual wallets derive from (index = the
    // wallet's `index`): anyone can check an address the API shows; it never reveals a key.
    let family = s.store.registry().chain(&chain)?.family;
    let account = u32::try_from(sqlx::Row::try_get::<i64, _>(&row, "account_number")?)
        .map_err(|_| ApiError::internal("account number out of range"))?;
    let xpub = s.keys.xpub(family, account)?.to_string();
    Ok(Json(json!({
        "id": col(&row, "id")?, "alias": col(&row, "alias")?, "address": col(&row, "address")?,
        "blockchain": chain, "balances": balances, "reserve": reserve, "xpub": xpub,
    }))
    .into_response())
}

pub(crate) async fn get_reserve(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(chain): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "holding_wallets.reserve").await?;
    let row = holding_row(&s, &caller.client_id, &chain).await?;
    let chain = col(&row, "blockchain")?;
    let ledger = s.store.read_ledger(&caller.client_id).await?;
    let (_, reserve) = holding_reports(&ledger, &caller.client_id, &chain)?;
    Ok(Json(json!({"blockchain": chain, "reserve": reserve})).into_response())
}

pub(crate) async fn list_holdings(
    State(s): State<Shared>,
    headers: HeaderMap,
    q: PageQ,
) -> ApiResult {
    let caller = auth(&s, &headers, "holding_wallets.list").await?;
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
        out.push(json!({"id": col(&r, "id")?, "blockchain": col(&r, "blockchain")?, "address": col(&r, "address")?, "alias": col(&r, "alias")?}));
    }
    Ok(Json(page::answer(out, next)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HoldingWithdrawReq {
    pub(crate) token: String,
    pub(crate) amount: String,
    /// Without it, the client's payment destination for the chain.
    pub(crate) to_address: Option<String>,
}

pub(crate) async fn holding_withdraw(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(chain): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "holding_wallets.withdraw").await?;
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
    let out = json!({"id": mid, "type": "holding_withdrawal", "holding_id": holding_id, "blockchain": chain, "to_address": to, "token": token_of(&m), "amount": amt.to_string(), "status": "pending"});
    let row = MovementRow {
        wallet: &holding_id,
        counterparty: None,
        kind: "holding_withdrawal",
        status: "pending",
        operation: "HOLDING_WALLET",
        sub_operation: "WITHDRAWAL_PENDING",
    };
    settle_movement(&s, w, &idem, &mid, &m, amt, row, out).await
}

pub(crate) async fn holding_transfer(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(chain): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "holding_wallets.transfer").await?;
    let req: TransferReq = body(&bytes)?;
    let amt = amount("amount", &req.amount)?;
    let row = holding_row(&s, &caller.client_id, &chain).await?;
    let chain = col(&row, "blockchain")?;
    let target = wallet_row(&s, &caller.client_id, &req.to_wallet_id, "virtual").await?;
    if opt_col(&target, "blockchain")?.as_deref() != Some(chain.as_str()) {
        return Err(ApiError::bad_request(format!(
            "wallet {} is not on {chain}",
            req.to_wallet_id
        )));
    }
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
        .holding_credit(&mid, &req.to_wallet_id, &req.token, amt)?;
    let out = json!({"id": mid, "type": "holding_transfer", "blockchain": chain, "to_wallet_id": req.to_wallet_id, "token": token_of(&m), "amount": amt.to_string(), "status": "completed"});
    let row = MovementRow {
        wallet: &req.to_wallet_id,
        counterparty: None,
        kind: "holding_transfer",
        status: "completed",
        operation: "HOLDING_WALLET",
        sub_operation: "TRANSFER",
    };
    settle_movement(&s, w, &idem, &mid, &m, amt, row, out).await
}
