//! Cards and virtual cards: issue, read, block, delete, and simulated card payments.

use super::*;
use waas_core::card;
use waas_core::ledger::USD;

/// The sandbox BIN of issued virtual cards (a test range: such numbers never reach a real network).
pub const VIRTUAL_CARD_BIN: &str = "400000";

/// Routes of this module.
pub(crate) fn cards_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
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
        .route("/v1/simulate/card-transaction", post(simulate_card_payment))
}

pub(crate) fn kind_label(kind: &str) -> (&'static str, &'static str) {
    if kind == "virtual" {
        ("VIRTUAL_CARD", "virtual card")
    } else {
        ("CARD", "card")
    }
}

pub(crate) async fn card_json(
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
pub(crate) fn card_view(
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

pub(crate) async fn list_of(
    s: &AppState,
    client: &str,
    kind: &str,
    q: PageQuery,
) -> Result<Value, ApiError> {
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
pub(crate) struct CardCreate {
    pub(crate) account_id: String,
    pub(crate) number: String,
    pub(crate) expiry: String,
    pub(crate) holder: Option<String>,
    pub(crate) label: Option<String>,
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_card(
    s: &AppState,
    client: &str,
    idem_key: Option<crate::host::api::Idem>,
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

pub(crate) async fn create_card(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
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

pub(crate) async fn issue_vcard(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
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

pub(crate) async fn get_card(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "cards.get").await?;
    Ok(Json(card_json(&s, &caller.client_id, &id, "physical").await?).into_response())
}

pub(crate) async fn get_vcard(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "virtual_cards.get").await?;
    Ok(Json(card_json(&s, &caller.client_id, &id, "virtual").await?).into_response())
}

pub(crate) async fn list_cards(State(s): State<Shared>, headers: HeaderMap, q: PageQ) -> ApiResult {
    let caller = auth(&s, &headers, "cards.list").await?;
    let q = page::query(q)?;
    Ok(Json(list_of(&s, &caller.client_id, "physical", q).await?).into_response())
}

pub(crate) async fn list_vcards(
    State(s): State<Shared>,
    headers: HeaderMap,
    q: PageQ,
) -> ApiResult {
    let caller = auth(&s, &headers, "virtual_cards.list").await?;
    let q = page::query(q)?;
    Ok(Json(list_of(&s, &caller.client_id, "virtual", q).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CardUpdate {
    pub(crate) expiry: Option<String>,
    pub(crate) holder: Option<String>,
    pub(crate) label: Option<String>,
}

pub(crate) async fn update_card(
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

pub(crate) async fn remove(s: &AppState, client: &str, id: &str, kind: &str) -> ApiResult {
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

pub(crate) async fn delete_card(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "cards.delete").await?;
    remove(&s, &caller.client_id, &id, "physical").await
}

pub(crate) async fn delete_vcard(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "virtual_cards.delete").await?;
    remove(&s, &caller.client_id, &id, "virtual").await
}

pub(crate) async fn set_blocked(
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

pub(crate) async fn block_vcard(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    set_blocked(s, headers, id, bytes, "virtual_cards.block", true).await
}

pub(crate) async fn unblock_vcard(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    set_blocked(s, headers, id, bytes, "virtual_cards.unblock", false).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CardPayment {
    pub(crate) card_id: String,
    pub(crate) amount: String,
    pub(crate) merchant: Option<String>,
}

pub(crate) async fn simulate_card_payment(
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
