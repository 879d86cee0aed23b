//! Treasury wallets, cards, virtual cards, webhook configuration and simulated card payments.

use super::api::{
    amount, auth, balances_json, body, finish, idem, load_settings, movement_id, num, replay,
    settle_movement, token_of, wallet_balances, MovementRow, NoBody,
};
use super::error::ApiError;
use super::page::{self, Page, PageQuery};
use super::store::{col, new_id, now_ms, opt_col};
use super::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use waas_core::ledger::USD;
use waas_core::webhook::Status;
use waas_core::{card, Amount, ErrorCode};

type Shared = Arc<AppState>;
/// The query of a list without filters.
type PageQ = Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>;
type ApiResult = Result<Response, ApiError>;

/// The sandbox BIN of issued virtual cards (a test range: such numbers never reach a real network).
pub const VIRTUAL_CARD_BIN: &str = "400000";

/// Routes of this module.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/v1/treasury", get(list_treasury).post(create_treasury))
        .route("/v1/treasury/{id}", get(get_treasury))
        .route("/v1/treasury/{id}/balance", get(get_treasury))
        .route("/v1/treasury/{id}/send", post(treasury_send))
        .route("/v1/cards", get(list_cards).post(create_card))
        .route(
            "/v1/cards/{id}",
            get(get_card).patch(update_card).delete(delete_card),
        )
        .route("/v1/virtual-cards", get(list_vcards).post(issue_vcard))
        .route(
            "/v1/virtual-cards/{id}",
            get(get_vcard).delete(delete_vcard),
        )
        .route("/v1/virtual-cards/{id}/block", post(block_vcard))
        .route("/v1/virtual-cards/{id}/unblock", post(unblock_vcard))
        .route(
            "/v1/webhooks/configuration",
            get(get_webhooks).put(put_webhooks),
        )
        .route("/v1/simulate/card-transaction", post(simulate_card_payment))
}

// ---------- treasury ----------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TreasuryCreate {
    account_id: String,
    blockchain: String,
    alias: Option<String>,
}

async fn create_treasury(State(s): State<Shared>, headers: HeaderMap, bytes: Bytes) -> ApiResult {
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

pub(super) async fn treasury_json(s: &AppState, client: &str, id: &str) -> Result<Value, ApiError> {
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
fn treasury_view(
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

async fn get_treasury(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "treasury.get").await?;
    Ok(Json(treasury_json(&s, &caller.client_id, &id).await?).into_response())
}

async fn list_treasury(State(s): State<Shared>, headers: HeaderMap, q: PageQ) -> ApiResult {
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
struct SendReq {
    to_address: String,
    token: String,
    amount: String,
    fee: Option<String>,
}

async fn treasury_send(
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
    let owner = super::withdrawals::owner_of(&mut w, registry, &chain, &req.to_address).await?;
    // A treasury wallet holds its own funds on chain: only its own address is refused here.
    w.ledger.withdrawal_route(&id, &owner)?;
    let fee = super::withdrawals::fee_for(&mut w, registry, &chain, &req.token, Some(fee), amt)
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

// ---------- cards and virtual cards ----------

pub(super) fn kind_label(kind: &str) -> (&'static str, &'static str) {
    if kind == "virtual" {
        ("VIRTUAL_CARD", "virtual card")
    } else {
        ("CARD", "card")
    }
}

pub(super) async fn card_json(
    s: &AppState,
    client: &str,
    id: &str,
    kind: &str,
) -> Result<Value, ApiError> {
    let row = sqlx::query("SELECT id, account_id, brand, last4, expiry, holder, label, status, spending_limit, created_at FROM cards WHERE id = $1 AND client_id = $2 AND kind = $3 AND deleted = 0")
        .bind(id)
        .bind(client)
        .bind(kind)
        .fetch_optional(s.store.reader())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no {} {id}", kind_label(kind).1)))?;
    let balances = wallet_balances(s, client, &[id.to_owned()]).await?;
    card_view(&row, balances.get(id))
}

/// A card as its row and balance row hold it.
fn card_view(
    row: &sqlx::any::AnyRow,
    balances: Option<&std::collections::BTreeMap<String, waas_core::ledger::Balance>>,
) -> Result<Value, ApiError> {
    let usd = balances
        .and_then(|b| b.get(USD))
        .copied()
        .unwrap_or_default();
    Ok(json!({
        "id": col(row, "id")?, "account_id": col(row, "account_id")?, "brand": col(row, "brand")?,
        "number": card::mask(&col(row, "last4")?), "last4": col(row, "last4")?, "expiry": col(row, "expiry")?,
        "holder": opt_col(row, "holder")?, "label": opt_col(row, "label")?, "alias": opt_col(row, "label")?,
        "status": col(row, "status")?, "spending_limit": opt_col(row, "spending_limit")?,
        "balance_usd": num(usd.total()),
    }))
}

async fn list_of(s: &AppState, client: &str, kind: &str, q: PageQuery) -> Result<Value, ApiError> {
    let (rows, next) = Page::new(q.limit, q.cursor.as_deref())?
        .fetch(
            s.store.reader(),
            "SELECT id, account_id, brand, last4, expiry, holder, label, status, spending_limit, created_at FROM cards WHERE client_id = $1 AND kind = $2 AND deleted = 0",
            &[client, kind],
        )
        .await?;
    let ids = rows
        .iter()
        .map(|r| col(r, "id"))
        .collect::<Result<Vec<_>, _>>()?;
    let balances = wallet_balances(s, client, &ids).await?;
    let mut out = Vec::new();
    for (r, id) in rows.iter().zip(&ids) {
        out.push(card_view(r, balances.get(id))?);
    }
    Ok(page::answer(out, next))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CardCreate {
    account_id: String,
    number: String,
    expiry: String,
    holder: Option<String>,
    label: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn insert_card(
    s: &AppState,
    client: &str,
    idem_key: Option<super::api::Idem>,
    id: &str,
    account: &str,
    kind: &str,
    number: &card::CardNumber,
    expiry: &str,
    holder: Option<&str>,
    label: Option<&str>,
    extra: Value,
) -> ApiResult {
    let mut w = s.store.begin(client).await?;
    if let Some(r) = replay(&mut w, &idem_key).await? {
        return Ok(r);
    }
    w.need_account(account).await?;
    w.ledger.create_card(account, id)?;
    sqlx::query("INSERT INTO cards (id, client_id, account_id, kind, brand, last4, expiry, holder, label, deleted, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10)")
        .bind(id)
        .bind(client)
        .bind(account)
        .bind(kind)
        .bind(number.brand)
        .bind(&number.last4)
        .bind(expiry)
        .bind(holder)
        .bind(label)
        .bind(now_ms())
        .execute(&mut *w.tx)
        .await?;
    let mut out = json!({"id": id, "account_id": account, "brand": number.brand, "number": card::mask(&number.last4), "last4": number.last4, "expiry": expiry, "holder": holder, "label": label, "status": "active", "balance_usd": "0"});
    if let (Value::Object(o), Value::Object(e)) = (&mut out, extra) {
        o.extend(e);
    }
    let (op, _) = kind_label(kind);
    let mut event = out.clone();
    if let Value::Object(o) = &mut event {
        o.remove("full_number");
    }
    w.event(op, "CREATED", id, Status::Success, None, event)?;
    finish(w, &idem_key, StatusCode::CREATED, out, s).await
}

async fn create_card(State(s): State<Shared>, headers: HeaderMap, bytes: Bytes) -> ApiResult {
    let caller = auth(&s, &headers, "cards.create").await?;
    let req: CardCreate = body(&bytes)?;
    let number = card::check_number(&req.number)?;
    let (year, month) = card::check_expiry(&req.expiry, now_ms() / 1000)?;
    let expiry = format!("{month:02}/{:02}", year % 100);
    let idem = idem(&headers, "cards.create", &bytes)?;
    insert_card(
        &s,
        &caller.client_id,
        idem,
        &new_id("card"),
        &req.account_id,
        "physical",
        &number,
        &expiry,
        req.holder.as_deref(),
        req.label.as_deref(),
        json!({}),
    )
    .await
}

async fn issue_vcard(State(s): State<Shared>, headers: HeaderMap, bytes: Bytes) -> ApiResult {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Issue {
        account_id: String,
        holder: Option<String>,
        label: Option<String>,
    }
    let caller = auth(&s, &headers, "virtual_cards.create").await?;
    let req: Issue = body(&bytes)?;
    let full = card::issue_number(VIRTUAL_CARD_BIN)?;
    let number = card::check_number(&full)?;
    let (year, month) = card::year_month(now_ms() / 1000);
    let expiry = format!("{month:02}/{:02}", (year + 3) % 100);
    let idem = idem(&headers, "virtual_cards.create", &bytes)?;
    // The full number is shown once, in this answer, and never stored.
    insert_card(
        &s,
        &caller.client_id,
        idem,
        &new_id("vcard"),
        &req.account_id,
        "virtual",
        &number,
        &expiry,
        req.holder.as_deref(),
        req.label.as_deref(),
        json!({"full_number": full}),
    )
    .await
}

async fn get_card(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "cards.get").await?;
    Ok(Json(card_json(&s, &caller.client_id, &id, "physical").await?).into_response())
}

async fn get_vcard(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "virtual_cards.get").await?;
    Ok(Json(card_json(&s, &caller.client_id, &id, "virtual").await?).into_response())
}

async fn list_cards(State(s): State<Shared>, headers: HeaderMap, q: PageQ) -> ApiResult {
    let caller = auth(&s, &headers, "cards.list").await?;
    let q = page::query(q)?;
    Ok(Json(list_of(&s, &caller.client_id, "physical", q).await?).into_response())
}

async fn list_vcards(State(s): State<Shared>, headers: HeaderMap, q: PageQ) -> ApiResult {
    let caller = auth(&s, &headers, "virtual_cards.list").await?;
    let q = page::query(q)?;
    Ok(Json(list_of(&s, &caller.client_id, "virtual", q).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CardUpdate {
    expiry: Option<String>,
    holder: Option<String>,
    label: Option<String>,
}

async fn update_card(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "cards.update").await?;
    let req: CardUpdate = body(&bytes)?;
    card_json(&s, &caller.client_id, &id, "physical").await?;
    let mut w = s.store.begin(&caller.client_id).await?;
    if let Some(e) = &req.expiry {
        let (year, month) = card::check_expiry(e, now_ms() / 1000)?;
        sqlx::query("UPDATE cards SET expiry = $1 WHERE id = $2")
            .bind(format!("{month:02}/{:02}", year % 100))
            .bind(&id)
            .execute(&mut *w.tx)
            .await?;
    }
    if let Some(h) = &req.holder {
        sqlx::query("UPDATE cards SET holder = $1 WHERE id = $2")
            .bind(h)
            .bind(&id)
            .execute(&mut *w.tx)
            .await?;
    }
    if let Some(l) = &req.label {
        sqlx::query("UPDATE cards SET label = $1 WHERE id = $2")
            .bind(l)
            .bind(&id)
            .execute(&mut *w.tx)
            .await?;
    }
    w.commit().await?;
    Ok(Json(card_json(&s, &caller.client_id, &id, "physical").await?).into_response())
}

async fn remove(s: &AppState, client: &str, id: &str, kind: &str) -> ApiResult {
    card_json(s, client, id, kind).await?;
    let mut w = s.store.begin(client).await?;
    w.need_wallets(&[id]).await?;
    w.ledger.remove_card(id)?;
    sqlx::query("UPDATE cards SET deleted = 1 WHERE id = $1")
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
    let (op, _) = kind_label(kind);
    w.event(
        op,
        "DELETED",
        &new_id("op"),
        Status::Success,
        None,
        json!({"card_id": id}),
    )?;
    finish(
        w,
        &None,
        StatusCode::OK,
        json!({"id": id, "deleted": true}),
        s,
    )
    .await
}

async fn delete_card(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "cards.delete").await?;
    remove(&s, &caller.client_id, &id, "physical").await
}

async fn delete_vcard(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "virtual_cards.delete").await?;
    remove(&s, &caller.client_id, &id, "virtual").await
}

async fn set_blocked(
    s: Shared,
    headers: HeaderMap,
    id: String,
    bytes: Bytes,
    op: &str,
    blocked: bool,
) -> ApiResult {
    let caller = auth(&s, &headers, op).await?;
    let NoBody {} = body(&bytes)?;
    card_json(&s, &caller.client_id, &id, "virtual").await?;
    let mut w = s.store.begin(&caller.client_id).await?;
    w.need_wallets(&[&id]).await?;
    w.ledger.set_card_blocked(&id, blocked)?;
    let sub = if blocked { "BLOCKED" } else { "UNBLOCKED" };
    w.event(
        "VIRTUAL_CARD",
        sub,
        &new_id("op"),
        Status::Success,
        None,
        json!({"card_id": id}),
    )?;
    finish(
        w,
        &None,
        StatusCode::OK,
        json!({"id": id, "status": if blocked { "blocked" } else { "active" }}),
        &s,
    )
    .await
}

async fn block_vcard(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    set_blocked(s, headers, id, bytes, "virtual_cards.block", true).await
}

async fn unblock_vcard(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    set_blocked(s, headers, id, bytes, "virtual_cards.unblock", false).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CardPayment {
    card_id: String,
    amount: String,
    merchant: Option<String>,
}

async fn simulate_card_payment(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "simulate.card_transaction").await?;
    let req: CardPayment = body(&bytes)?;
    let amt = amount("amount", &req.amount)?;
    let kind =
        sqlx::query("SELECT kind FROM cards WHERE id = $1 AND client_id = $2 AND deleted = 0")
            .bind(&req.card_id)
            .bind(&caller.client_id)
            .fetch_optional(s.store.reader())
            .await?
            .map(|r| col(&r, "kind"))
            .transpose()?
            .ok_or_else(|| ApiError::not_found(format!("no card {}", req.card_id)))?;
    let (op, _) = kind_label(&kind);
    let mut w = s.store.begin(&caller.client_id).await?;
    let id = new_id("pay");
    w.need_wallets(&[&req.card_id]).await?;
    let result = w.ledger.card_payment(&id, &req.card_id, amt);
    let data = json!({"id": id, "card_id": req.card_id, "amount_usd": amt.to_string(), "merchant": req.merchant});
    match result {
        Ok(_) => {
            w.upsert_transaction(
                &id,
                Some(&req.card_id),
                "card_payment",
                "completed",
                Some(USD),
                Some(&amt.to_string()),
                &data,
            )
            .await?;
            w.event(op, "TRANSACTION", &id, Status::Success, None, data.clone())?;
            finish(
                w,
                &None,
                StatusCode::CREATED,
                json!({"status": "approved", "payment": data}),
                &s,
            )
            .await
        }
        Err(e)
            if !matches!(
                e.code(),
                ErrorCode::InsufficientFunds
                    | ErrorCode::WalletInactive
                    | ErrorCode::WalletFrozen
                    | ErrorCode::SpendingLimitExceeded
            ) =>
        {
            // Malformed input is not a payment attempt: nothing is recorded.
            Err(e.into())
        }
        Err(e) => {
            // A declined payment changes no balance but is reported, as a card network would.
            let reason = format!("{}: {}", e.code(), e.message());
            w.upsert_transaction(
                &id,
                Some(&req.card_id),
                "card_payment",
                "declined",
                Some(USD),
                Some(&amt.to_string()),
                &data,
            )
            .await?;
            w.event(op, "TRANSACTION", &id, Status::Failed, Some(&reason), data)?;
            w.commit().await?;
            s.outbox_notify.notify_one();
            Err(e.into())
        }
    }
}

// ---------- webhook configuration ----------

/// The webhook configuration as shown: URL, whether a key and secret are set, the subscribed
/// events and the notice of a disabled endpoint (null while it is enabled).
fn webhooks_json(st: &super::Settings, disabled: Value) -> Value {
    json!({
        "url": st.webhook_url,
        "key_set": st.webhook_key.is_some(),
        "secret_set": st.webhook_secret.is_some(),
        "events": st.webhook_events.clone().unwrap_or_else(|| vec![super::webhooks::subscriptions::ALL.to_owned()]),
        "disabled": disabled,
    })
}

async fn get_webhooks(State(s): State<Shared>, headers: HeaderMap) -> ApiResult {
    let caller = auth(&s, &headers, "webhooks.configuration.get").await?;
    let st = load_settings(&s, &caller.client_id).await?;
    let disabled = super::webhooks::disabled_notice(&s, &caller.client_id).await?;
    Ok(Json(webhooks_json(&st, disabled)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookConfig {
    url: Option<String>,
    key: Option<String>,
    secret: Option<String>,
    events: Option<Vec<String>>,
}

async fn put_webhooks(State(s): State<Shared>, headers: HeaderMap, bytes: Bytes) -> ApiResult {
    let caller = auth(&s, &headers, "webhooks.configuration.update").await?;
    let req: WebhookConfig = body(&bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    let mut st = super::api::settings_in(&mut w).await?;
    if let Some(url) = req.url {
        super::endpoint::check(&url, &s.endpoint_policy)?;
        st.webhook_url = Some(url);
    }
    if let Some(key) = req.key {
        if key.is_empty() {
            return Err(ApiError::bad_request("key cannot be empty"));
        }
        st.webhook_key = Some(key);
    }
    if let Some(secret) = req.secret {
        waas_core::webhook::WebhookSecret::parse(&secret)?;
        st.webhook_secret = Some(secret);
    }
    if let Some(events) = req.events {
        st.webhook_events = super::webhooks::subscriptions::parse(&events)?;
    }
    // Saving the configuration re-enables a disabled endpoint (its parked events are due again).
    super::webhooks::enable_in(&mut w.tx, &caller.client_id).await?;
    super::api::save_settings_in(&mut w, &st).await?;
    w.commit().await?;
    s.outbox_notify.notify_one();
    Ok(Json(webhooks_json(&st, Value::Null)).into_response())
}
