//! Virtual wallets: create, read, list, lifecycle, transfers and withdrawals.

use super::*;

/// Routes of this module.
pub(crate) fn virtual_wallets_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list_virtual, create_virtual))
        .routes(routes!(get_virtual))
        .routes(routes!(get_virtual_balance))
        .routes(routes!(deactivate))
        .routes(routes!(activate))
        .routes(routes!(reactivate))
        .routes(routes!(transfer))
        .routes(routes!(withdraw))
}

/// An answer as JSON (for events and stored transaction bodies).
pub(crate) fn value_of(out: &impl Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(out)
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("answer: {e}")))
}

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
            .bind(&w.client_id)
            .bind(chain)
            .fetch_optional(&mut *w.tx)
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
    .fetch_one(&mut *w.tx)
    .await?
    .try_get("value")?;
    let account =
        u32::try_from(n - 1).map_err(|_| ApiError::internal("account numbers exhausted"))?;
    let family = s.store.registry().chain(chain)?.family;
    let address = s.keys.holding_address(family, account)?;
    let id = new_id("hld");
    sqlx::query("INSERT INTO holdings (client_id, blockchain, id, account_number, address, alias, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&w.client_id)
        .bind(chain)
        .bind(&id)
        .bind(n - 1)
        .bind(address.to_string())
        .bind(format!("{chain} holding wallet"))
        .bind(now_ms())
        .execute(&mut *w.tx)
        .await?;
    w.event(
        "HOLDING_WALLET",
        "CREATED",
        &id,
        Status::Success,
        None,
        json!({"id": id, "blockchain": chain, "address": address.to_string()}),
    )?;
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
    let caller = auth(&s, &headers, "virtual_wallets.create").await?;
    let req: VirtualCreate = body(&bytes)?;
    let chain = s.store.registry().chain(&req.blockchain)?.clone();
    let idem = idem(&headers, "virtual_wallets.create", &bytes)?;
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
        .execute(&mut *w.tx)
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
    w.event(
        "VIRTUAL_WALLET",
        "CREATED",
        &id,
        Status::Success,
        None,
        value_of(&out)?,
    )?;
    let client_id = w.client_id.clone();
    let response = finish(w, &idem, StatusCode::CREATED, out, &s).await?;
    // Committed: the chain adapter watches the new address from now on.
    if let Some(evm) = s.evm.as_ref().filter(|e| e.chain_id() == chain.id.as_str()) {
        evm.watch(
            &address.to_string(),
            crate::host::evm::index::Watched {
                client_id,
                wallet_id: id,
                kind: "virtual".to_owned(),
            },
        );
    }
    Ok(response)
}

pub(crate) async fn wallet_row(
    s: &AppState,
    client_id: &str,
    id: &str,
    kind: &str,
) -> Result<sqlx::any::AnyRow, ApiError> {
    sqlx::query("SELECT id, account_id, blockchain, address, derivation_index, alias, status, flags, held FROM wallets WHERE id = $1 AND client_id = $2 AND kind = $3")
        .bind(id)
        .bind(client_id)
        .bind(kind)
        .fetch_optional(s.store.reader())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no {kind} wallet {id}")))
}

/// A virtual wallet with its balances.
#[derive(Serialize, ToSchema)]
pub(crate) struct VirtualWalletOut {
    /// Its id (`vw_...`).
    pub(crate) id: String,
    /// The account that owns it.
    pub(crate) account_id: Option<String>,
    /// Its blockchain.
    pub(crate) blockchain: Option<String>,
    /// Its deposit address.
    pub(crate) address: Option<String>,
    /// Its derivation index.
    pub(crate) index: Option<i64>,
    /// Its alias.
    pub(crate) alias: Option<String>,
    /// `active`, `inactive` or `frozen`.
    pub(crate) status: String,
    /// Notes an operator must look at (deposits while inactive, reorg after spending).
    pub(crate) flags: Vec<String>,
    /// Its balances per token, with what holds set aside.
    #[schema(value_type = BTreeMap<String, schema::BalanceOut>)]
    pub(crate) balances: schema::Balances,
}

/// The amounts holds set aside, per token, from a wallet row.
fn held_of(row: &sqlx::any::AnyRow) -> Result<BTreeMap<String, rust_decimal::Decimal>, ApiError> {
    Ok(opt_col(row, "held")?
        .map(|h| crate::host::store::stored(&h, "held amounts"))
        .transpose()?
        .unwrap_or_default())
}

/// A wallet as its row and balance rows hold it.
pub(crate) fn wallet_out(
    row: &sqlx::any::AnyRow,
    balances: Option<&BTreeMap<String, Balance>>,
) -> Result<VirtualWalletOut, ApiError> {
    let empty = BTreeMap::new();
    let flags: Vec<String> = crate::host::store::stored(&col(row, "flags")?, "wallet flags")?;
    let held = held_of(row)?;
    Ok(VirtualWalletOut {
        id: col(row, "id")?,
        account_id: opt_col(row, "account_id")?,
        blockchain: opt_col(row, "blockchain")?,
        address: opt_col(row, "address")?,
        index: row.try_get::<Option<i64>, _>("derivation_index")?,
        alias: opt_col(row, "alias")?,
        status: col(row, "status")?,
        flags,
        balances: schema::held_balances(balances.unwrap_or(&empty), &held),
    })
}

/// The balances (token -> balance) of wallets, from their balance rows.
pub(crate) async fn wallet_balances(
    s: &AppState,
    client: &str,
    ids: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, Balance>>, ApiError> {
    let accounts: Vec<String> = ids.iter().map(|id| format!("wallet:{id}")).collect();
    let mut rows = crate::host::journal::balances_of(s.store.reader(), client, &accounts).await?;
    Ok(ids
        .iter()
        .filter_map(|id| {
            rows.remove(&format!("wallet:{id}"))
                .map(|b| (id.clone(), b))
        })
        .collect())
}

#[utoipa::path(get, path = "/v1/wallets/virtual/{id}", operation_id = "virtual_wallets.get", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The virtual wallet's id")),
    responses((status = 200, description = "The wallet and its balances", body = VirtualWalletOut)))]
pub(crate) async fn get_virtual(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "virtual_wallets.get").await?;
    let row = wallet_row(&s, &caller.client_id, &id, "virtual").await?;
    let balances = wallet_balances(&s, &caller.client_id, std::slice::from_ref(&id)).await?;
    Ok(Json(wallet_out(&row, balances.get(&id))?).into_response())
}

/// A wallet's balances, now or at a time.
#[derive(Serialize, ToSchema)]
pub(crate) struct WalletBalance {
    /// The wallet's id.
    pub(crate) id: String,
    /// Its status (answers for now only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) status: Option<String>,
    /// The time asked for, RFC 3339 (answers for `at` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) at: Option<String>,
    /// Balances per token (for now, with what holds set aside).
    #[schema(value_type = BTreeMap<String, schema::BalanceOut>)]
    pub(crate) balances: schema::Balances,
}

#[utoipa::path(get, path = "/v1/wallets/virtual/{id}/balance", operation_id = "virtual_wallets.balance", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The virtual wallet's id"),
        ("at" = Option<String>, Query, format = DateTime, description = "RFC 3339 time the balances are asked for (absent: now)")),
    responses((status = 200, description = "The wallet's balances per token", body = WalletBalance)))]
pub(crate) async fn get_virtual_balance(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Result<Query<crate::host::journal::AtQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let caller = auth(&s, &headers, "virtual_wallets.balance").await?;
    let at = crate::host::journal::at_query(q)?;
    let row = wallet_row(&s, &caller.client_id, &id, "virtual").await?;
    if let Some(at) = at {
        let account = format!("wallet:{id}");
        let balances =
            crate::host::journal::balances_at(&s, &caller.client_id, &account, at).await?;
        let at = crate::host::journal::rfc3339(at);
        return Ok(Json(WalletBalance {
            id,
            status: None,
            at: Some(at),
            balances,
        })
        .into_response());
    }
    let balances = wallet_balances(&s, &caller.client_id, std::slice::from_ref(&id)).await?;
    let empty = BTreeMap::new();
    let held = held_of(&row)?;
    let balances = schema::held_balances(balances.get(&id).unwrap_or(&empty), &held);
    Ok(Json(WalletBalance {
        status: Some(col(&row, "status")?),
        id,
        at: None,
        balances,
    })
    .into_response())
}

/// `GET /v1/wallets/virtual` query: a page, and the filters of virtual wallets.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct VirtualListQuery {
    /// Rows wanted (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub(crate) limit: Option<i64>,
    /// `next_cursor` of the page before (a position in the list: every string of this form is one;
    /// empty: the first page).
    #[param(pattern = r"^(?:[0-9]{1,18}-(?:[0-9a-f]{2}){0,200})?$")]
    pub(crate) cursor: Option<String>,
    /// Only the wallets of this blockchain.
    pub(crate) blockchain: Option<String>,
    /// Only the wallets in this status: `active`, `inactive` or `frozen` (empty: every status).
    #[param(pattern = r"^(?:active|inactive|frozen)?$", example = "active")]
    pub(crate) status: Option<String>,
    /// Only the wallets of this account.
    pub(crate) account_id: Option<String>,
}

#[utoipa::path(get, path = "/v1/wallets/virtual", operation_id = "virtual_wallets.list", tag = "virtual_wallets",
    params(VirtualListQuery),
    responses((status = 200, description = "A page of virtual wallets, oldest first", body = Listed<VirtualWalletOut>)))]
pub(crate) async fn list_virtual(
    State(s): State<Shared>,
    headers: HeaderMap,
    q: Result<Query<VirtualListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let caller = auth(&s, &headers, "virtual_wallets.list").await?;
    let q = page::query(q)?;
    let page = Page::new(q.limit, q.cursor.as_deref())?;
    let chain = match &q.blockchain {
        Some(c) => s.store.registry().chain(c)?.id.to_string(),
        None => String::new(),
    };
    let status = q.status.clone().unwrap_or_default();
    if !matches!(status.as_str(), "" | "active" | "inactive" | "frozen") {
        return Err(ApiError::bad_request(
            "status must be active, inactive or frozen",
        ));
    }
    let account = q.account_id.clone().unwrap_or_default();
    let (rows, next) = page
        .fetch(
            s.store.reader(),
            "SELECT id, account_id, blockchain, address, derivation_index, alias, status, flags, held, created_at FROM wallets \
             WHERE client_id = $1 AND kind = 'virtual' AND ($2 = '' OR blockchain = $2) AND ($3 = '' OR status = $3) AND ($4 = '' OR account_id = $4)",
            &[&caller.client_id, &chain, &status, &account],
        )
        .await?;
    let ids = rows
        .iter()
        .map(|r| col(r, "id"))
        .collect::<Result<Vec<_>, _>>()?;
    let balances = wallet_balances(&s, &caller.client_id, &ids).await?;
    let mut out = Vec::new();
    for (r, id) in rows.iter().zip(&ids) {
        out.push(wallet_out(r, balances.get(id))?);
    }
    Ok(Json(Listed::new(out, next)).into_response())
}

pub(crate) async fn lifecycle(
    s: Shared,
    headers: HeaderMap,
    id: String,
    bytes: Bytes,
    op: &str,
    activate: bool,
) -> ApiResult {
    let caller = auth(&s, &headers, op).await?;
    let NoBody {} = body(&bytes)?;
    wallet_row(&s, &caller.client_id, &id, "virtual").await?;
    let mut w = s.store.begin(&caller.client_id).await?;
    w.need_wallets(&[&id]).await?;
    if activate {
        w.ledger.activate(&id)?;
    } else {
        w.ledger.deactivate(&id)?;
    }
    let status = w.ledger.wallet(&id)?.status.as_str();
    let sub = if activate {
        "REACTIVATED"
    } else {
        "DEACTIVATED"
    };
    w.event(
        "VIRTUAL_WALLET",
        sub,
        &new_id("op"),
        Status::Success,
        None,
        json!({"wallet_id": id, "status": status}),
    )?;
    finish(
        w,
        &None,
        StatusCode::OK,
        WalletStatus {
            id,
            status: status.to_owned(),
            reason: None,
        },
        &s,
    )
    .await
}

/// A wallet's status after a change of it.
#[derive(Serialize, ToSchema)]
pub(crate) struct WalletStatus {
    /// The wallet's id.
    pub(crate) id: String,
    /// `active`, `inactive` or `frozen`.
    pub(crate) status: String,
    /// Why it was frozen (answers of a freeze only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reason: Option<String>,
}

#[utoipa::path(post, path = "/v1/wallets/virtual/{id}/deactivate", operation_id = "virtual_wallets.deactivate", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The virtual wallet's id")),
    responses((status = 200, description = "The wallet's status now", body = WalletStatus)))]
pub(crate) async fn deactivate(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: EmptyBody,
) -> ApiResult {
    lifecycle(s, headers, id, bytes, "virtual_wallets.deactivate", false).await
}

#[utoipa::path(post, path = "/v1/wallets/virtual/{id}/activate", operation_id = "virtual_wallets.activate", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The virtual wallet's id")),
    responses((status = 200, description = "The wallet's status now", body = WalletStatus)))]
pub(crate) async fn activate(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: EmptyBody,
) -> ApiResult {
    lifecycle(s, headers, id, bytes, "virtual_wallets.activate", true).await
}

#[utoipa::path(post, path = "/v1/wallets/virtual/{id}/reactivate", operation_id = "virtual_wallets.reactivate", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The virtual wallet's id")),
    responses((status = 200, description = "The wallet's status now", body = WalletStatus)))]
pub(crate) async fn reactivate(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: EmptyBody,
) -> ApiResult {
    lifecycle(s, headers, id, bytes, "virtual_wallets.reactivate", true).await
}

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
    let caller = auth(&s, &headers, "virtual_wallets.transfer").await?;
    let req: TransferReq = body(&bytes)?;
    let amt = amount("amount", &req.amount)?;
    let idem = idem(&headers, &format!("transfer:{id}"), &bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    if let Some(r) = replay(&mut w, &idem).await? {
        return Ok(r);
    }
    let mid = movement_id(&mut w, &idem)?;
    w.remember_movement(&mid).await?;
    w.need_wallets(&[&id, &req.to_wallet_id]).await?;
    let m = w
        .ledger
        .transfer(&mid, &id, &req.to_wallet_id, &req.token, amt)?;
    let out = TransferOut {
        id: mid.clone(),
        kind: "transfer".to_owned(),
        from_wallet_id: id.clone(),
        to_wallet_id: req.to_wallet_id.clone(),
        token: token_of(&m),
        amount: amt.to_string(),
        status: "completed".to_owned(),
    };
    let row = MovementRow {
        wallet: &id,
        counterparty: Some(&req.to_wallet_id),
        kind: "transfer",
        status: "completed",
        operation: "VIRTUAL_WALLET",
        sub_operation: "TRANSFER",
    };
    settle_movement(&s, w, &idem, &mid, &m, amt, row, out).await
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
    /// Webhook operation.
    pub operation: &'a str,
    /// Webhook sub-operation.
    pub sub_operation: &'a str,
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
    w.event(
        row.operation,
        row.sub_operation,
        mid,
        Status::Success,
        None,
        out.clone(),
    )?;
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
    let caller = auth(&s, &headers, "virtual_wallets.withdraw").await?;
    let req: WithdrawReq = body(&bytes)?;
    let amt = amount("amount", &req.amount)?;
    let fee = match &req.fee {
        Some(f) => amount("fee", f)?,
        None => Amount::ZERO,
    };
    wallet_row(&s, &caller.client_id, &id, "virtual").await?;
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
        kind: "withdrawal".to_owned(),
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
        kind: "withdrawal",
        status: "pending",
        operation: "VIRTUAL_WALLET",
        sub_operation: "WITHDRAWAL_PENDING",
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
        kind: "withdrawal".to_owned(),
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
        kind: "withdrawal",
        status: "confirmed",
        operation: "VIRTUAL_WALLET",
        sub_operation: "WITHDRAWAL",
    };
    settle_movement(s, w, idem, mid, &m, amt, row, out).await
}
