//! Cards of the platform's users: recorded (the number checked, never stored), read, updated,
//! deleted; what cards and virtual cards share (their rows, answers and deletion).

use crate::host::api::extract;
use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::finish;
use crate::host::api::extract::idem;
use crate::host::api::extract::replay;
use crate::host::api::extract::{ApiResult, PageQ, Shared};
use crate::host::api::schema::num;
use crate::host::api::schema::{Deleted, IdempotencyKey, Listed};
use crate::host::api::virtual_wallets::wallet_balances;
use crate::host::error::ApiError;
use crate::host::page::{self, Page, PageQuery};
use crate::host::store::answer_of;
use crate::host::store::{col, new_id, now_ms, opt_col};
use crate::host::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::access::Operation;
use waas_core::card;
use waas_core::ledger::USD;
use waas_core::webhook::Event;
use waas_core::webhook::Subject;

/// Routes of this module.
pub(crate) fn cards_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list_cards, create_card))
        .routes(routes!(get_card, update_card, delete_card))
}

/// A physical or a virtual card (the `kind` of its row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CardKind {
    /// A card of the client's end user (`/v1/cards`).
    Physical,
    /// A card issued by the platform (`/v1/virtual-cards`).
    Virtual,
}

impl CardKind {
    /// The `kind` of its rows.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            CardKind::Physical => "physical",
            CardKind::Virtual => "virtual",
        }
    }

    /// The kind of a stored row; CORRUPT_RECORD (logged) for any other text.
    pub(crate) fn of_row(text: &str) -> Result<CardKind, ApiError> {
        [CardKind::Physical, CardKind::Virtual]
            .into_iter()
            .find(|k| k.as_str() == text)
            .ok_or_else(|| ApiError::corrupt("card row", format_args!("kind {text:?}")))
    }

    /// The webhook operation of its events.
    pub(crate) const fn subject(self) -> Subject {
        match self {
            CardKind::Physical => Subject::Card,
            CardKind::Virtual => Subject::VirtualCard,
        }
    }

    /// How a message names it.
    pub(crate) const fn label(self) -> &'static str {
        match self {
            CardKind::Physical => "card",
            CardKind::Virtual => "virtual card",
        }
    }
}

/// A card or virtual card as it is read and listed.
#[derive(Serialize, ToSchema)]
pub(crate) struct CardOut {
    /// Its id (`card_...` or `vcard_...`).
    pub(crate) id: String,
    /// The account it belongs to.
    pub(crate) account_id: String,
    /// Its brand: `visa`, `mastercard`, `amex` or `other`.
    pub(crate) brand: String,
    /// The masked number (only the last four digits shown).
    #[schema(example = "**** **** **** 4242")]
    pub(crate) number: String,
    /// Its last four digits.
    #[schema(example = "4242")]
    pub(crate) last4: String,
    /// Its expiry, `MM/YY`.
    #[schema(example = "12/29")]
    pub(crate) expiry: String,
    /// The holder's name, if given.
    pub(crate) holder: Option<String>,
    /// Its label, if given.
    pub(crate) label: Option<String>,
    /// The same as `label` (the name virtual cards use).
    pub(crate) alias: Option<String>,
    /// `active` or `blocked`.
    pub(crate) status: String,
    /// Its spending limit in USD, if set.
    pub(crate) spending_limit: Option<String>,
    /// Its USD balance.
    #[schema(example = "25.5")]
    pub(crate) balance_usd: String,
}

/// A card or virtual card, NOT_FOUND when the client has no such one.
pub(crate) async fn card_out(
    s: &AppState,
    client: &str,
    id: &str,
    kind: CardKind,
) -> Result<CardOut, ApiError> {
    let row = sqlx::query("SELECT id, account_id, brand, last4, expiry, holder, label, status, spending_limit, created_at FROM cards WHERE id = $1 AND client_id = $2 AND kind = $3 AND deleted = 0")
        .bind(id)
        .bind(client)
        .bind(kind.as_str())
        .fetch_optional(s.store.reader())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no {} {id}", kind.label())))?;
    let balances = wallet_balances(s, client, &[id.to_owned()]).await?;
    card_view(&row, balances.get(id))
}

/// A card as its row and balance row hold it.
pub(crate) fn card_view(
    row: &sqlx::any::AnyRow,
    balances: Option<&std::collections::BTreeMap<String, waas_core::ledger::Balance>>,
) -> Result<CardOut, ApiError> {
    let usd = balances
        .and_then(|b| b.get(USD))
        .copied()
        .unwrap_or_default();
    Ok(CardOut {
        id: col(row, "id")?,
        account_id: col(row, "account_id")?,
        brand: col(row, "brand")?,
        number: card::mask(&col(row, "last4")?),
        last4: col(row, "last4")?,
        expiry: col(row, "expiry")?,
        holder: opt_col(row, "holder")?,
        label: opt_col(row, "label")?,
        alias: opt_col(row, "label")?,
        status: col(row, "status")?,
        spending_limit: opt_col(row, "spending_limit")?,
        balance_usd: num(usd.total()),
    })
}

pub(crate) async fn list_of(
    s: &AppState,
    client: &str,
    kind: CardKind,
    q: PageQuery,
) -> Result<Listed<CardOut>, ApiError> {
    let (rows, next) = Page::new(q.limit, q.cursor.as_deref())?
        .fetch(
            s.store.reader(),
            "SELECT id, account_id, brand, last4, expiry, holder, label, status, spending_limit, created_at FROM cards WHERE client_id = $1 AND kind = $2 AND deleted = 0",
            &[client, kind.as_str()],
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
    Ok(Listed::new(out, next))
}

/// A card of the platform's users to record (the full number is checked, never stored).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CardCreate {
    /// The account it belongs to.
    #[schema(example = "acc_01")]
    pub(crate) account_id: String,
    /// The card's full number (Luhn-checked); only its brand and last four digits are kept.
    #[schema(example = "4242424242424242")]
    pub(crate) number: String,
    /// Its expiry, `MM/YY` (not in the past).
    #[schema(example = "12/29")]
    pub(crate) expiry: String,
    /// The holder's name.
    pub(crate) holder: Option<String>,
    /// A label.
    pub(crate) label: Option<String>,
}

/// A card just added or issued.
#[derive(Serialize, ToSchema)]
pub(crate) struct CardCreated {
    /// Its id (`card_...` or `vcard_...`).
    pub(crate) id: String,
    /// The account it belongs to.
    pub(crate) account_id: String,
    /// Its brand: `visa`, `mastercard`, `amex` or `other`.
    pub(crate) brand: String,
    /// The masked number.
    pub(crate) number: String,
    /// Its last four digits.
    pub(crate) last4: String,
    /// Its expiry, `MM/YY`.
    pub(crate) expiry: String,
    /// The holder's name, if given.
    pub(crate) holder: Option<String>,
    /// Its label, if given.
    pub(crate) label: Option<String>,
    /// `active`.
    pub(crate) status: String,
    /// Its USD balance: `0`.
    pub(crate) balance_usd: String,
    /// Virtual cards only: the full card number, shown in this answer only (never stored, never
    /// sent in a webhook).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) full_number: Option<String>,
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_card(
    s: &AppState,
    client: &str,
    idem_key: Option<extract::Idem>,
    id: &str,
    account: &str,
    kind: CardKind,
    number: &card::CardNumber,
    expiry: &str,
    holder: Option<&str>,
    label: Option<&str>,
    full_number: Option<String>,
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
        .bind(kind.as_str())
        .bind(number.brand)
        .bind(&number.last4)
        .bind(expiry)
        .bind(holder)
        .bind(label)
        .bind(now_ms())
        .execute(w.conn().await?)
        .await?;
    let mut out = CardCreated {
        id: id.to_owned(),
        account_id: account.to_owned(),
        brand: number.brand.to_string(),
        number: card::mask(&number.last4),
        last4: number.last4.clone(),
        expiry: expiry.to_owned(),
        holder: holder.map(str::to_owned),
        label: label.map(str::to_owned),
        status: "active".to_owned(),
        balance_usd: "0".to_owned(),
        full_number: None,
    };
    // The webhook event never carries the full number.
    w.emit(Event::CardCreated {
        card: kind.subject(),
        id: id.to_owned(),
        answer: answer_of(&out)?,
    })?;
    out.full_number = full_number;
    finish(w, &idem_key, StatusCode::CREATED, out, s).await
}

#[utoipa::path(post, path = "/v1/cards", operation_id = "cards.create", tag = "cards",
    params(IdempotencyKey),
    request_body(content = CardCreate, example = json!({"account_id": "acc_01", "number": "4242424242424242", "expiry": "12/29", "holder": "Alice Doe", "label": "travel"})),
    responses((status = 201, description = "The card (its number masked)", body = CardCreated)))]
pub(crate) async fn create_card(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::CardsCreate).await?;
    let req: CardCreate = body(&bytes)?;
    let number = card::check_number(&req.number)?;
    let (year, month) = card::check_expiry(&req.expiry, now_ms() / 1000)?;
    let expiry = format!("{month:02}/{:02}", year % 100);
    let idem = idem(&headers, Operation::CardsCreate.id(), &bytes)?;
    insert_card(
        &s,
        &caller.client_id,
        idem,
        &new_id("card"),
        &req.account_id,
        CardKind::Physical,
        &number,
        &expiry,
        req.holder.as_deref(),
        req.label.as_deref(),
        None,
    )
    .await
}

#[utoipa::path(get, path = "/v1/cards/{id}", operation_id = "cards.get", tag = "cards",
    params(("id" = String, Path, description = "The card's id")),
    responses((status = 200, description = "The card", body = CardOut)))]
pub(crate) async fn get_card(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::CardsGet).await?;
    Ok(Json(card_out(&s, &caller.client_id, &id, CardKind::Physical).await?).into_response())
}

#[utoipa::path(get, path = "/v1/cards", operation_id = "cards.list", tag = "cards",
    params(PageQuery),
    responses((status = 200, description = "A page of cards, oldest first", body = Listed<CardOut>)))]
pub(crate) async fn list_cards(State(s): State<Shared>, headers: HeaderMap, q: PageQ) -> ApiResult {
    let caller = auth(&s, &headers, Operation::CardsList).await?;
    let q = page::query(q)?;
    Ok(Json(list_of(&s, &caller.client_id, CardKind::Physical, q).await?).into_response())
}

/// What to change on a card (each field optional).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CardUpdate {
    /// A new expiry, `MM/YY` (not in the past).
    #[schema(example = "12/30")]
    pub(crate) expiry: Option<String>,
    /// A new holder's name.
    pub(crate) holder: Option<String>,
    /// A new label.
    pub(crate) label: Option<String>,
}

#[utoipa::path(patch, path = "/v1/cards/{id}", operation_id = "cards.update", tag = "cards",
    params(("id" = String, Path, description = "The card's id")),
    request_body = CardUpdate,
    responses((status = 200, description = "The card as it is now", body = CardOut)))]
pub(crate) async fn update_card(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::CardsUpdate).await?;
    let req: CardUpdate = body(&bytes)?;
    card_out(&s, &caller.client_id, &id, CardKind::Physical).await?;
    let mut w = s.store.begin(&caller.client_id).await?;
    if let Some(e) = &req.expiry {
        let (year, month) = card::check_expiry(e, now_ms() / 1000)?;
        sqlx::query("UPDATE cards SET expiry = $1 WHERE id = $2")
            .bind(format!("{month:02}/{:02}", year % 100))
            .bind(&id)
            .execute(w.conn().await?)
            .await?;
    }
    if let Some(h) = &req.holder {
        sqlx::query("UPDATE cards SET holder = $1 WHERE id = $2")
            .bind(h)
            .bind(&id)
            .execute(w.conn().await?)
            .await?;
    }
    if let Some(l) = &req.label {
        sqlx::query("UPDATE cards SET label = $1 WHERE id = $2")
            .bind(l)
            .bind(&id)
            .execute(w.conn().await?)
            .await?;
    }
    w.commit().await?;
    Ok(Json(card_out(&s, &caller.client_id, &id, CardKind::Physical).await?).into_response())
}

pub(crate) async fn remove(s: &AppState, client: &str, id: &str, kind: CardKind) -> ApiResult {
    card_out(s, client, id, kind).await?;
    let mut w = s.store.begin(client).await?;
    w.need_wallets(&[id]).await?;
    w.ledger.remove_card(id)?;
    sqlx::query("UPDATE cards SET deleted = 1 WHERE id = $1")
        .bind(id)
        .execute(w.conn().await?)
        .await?;
    w.emit(Event::CardDeleted {
        card: kind.subject(),
        id: id.to_owned(),
        operation_id: new_id("op"),
    })?;
    finish(w, &None, StatusCode::OK, Deleted::of(id), s).await
}

#[utoipa::path(delete, path = "/v1/cards/{id}", operation_id = "cards.delete", tag = "cards",
    params(("id" = String, Path, description = "The card's id")),
    responses((status = 200, description = "The card is gone", body = Deleted)))]
pub(crate) async fn delete_card(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::CardsDelete).await?;
    remove(&s, &caller.client_id, &id, CardKind::Physical).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_reads_back_from_its_row_and_nothing_else_is_a_card_kind() {
        for kind in [CardKind::Physical, CardKind::Virtual] {
            assert_eq!(CardKind::of_row(kind.as_str()).ok(), Some(kind));
        }
        let e = CardKind::of_row("Virtual").err().map(|e| e.code());
        assert_eq!(e, Some(waas_core::ErrorCode::CorruptRecord));
        assert_eq!(
            [CardKind::Physical.subject(), CardKind::Virtual.subject()],
            [Subject::Card, Subject::VirtualCard]
        );
    }
}
