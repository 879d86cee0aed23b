//! Virtual cards: issued with a number shown once, read, blocked and unblocked, cancelled, and
//! their simulated payments at a point of sale (sandbox).

use crate::host::api::cards::card_out;
use crate::host::api::cards::insert_card;
use crate::host::api::cards::list_of;
use crate::host::api::cards::remove;
use crate::host::api::cards::CardCreated;
use crate::host::api::cards::CardKind;
use crate::host::api::cards::CardOut;
use crate::host::api::extract::amount;
use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::finish;
use crate::host::api::extract::idem;
use crate::host::api::extract::EmptyBody;
use crate::host::api::extract::NoBody;
use crate::host::api::extract::{ApiResult, PageQ, Shared};
use crate::host::api::schema::{Deleted, IdempotencyKey, Listed};
use crate::host::error::ApiError;
use crate::host::page::{self, PageQuery};
use crate::host::store::answer;
use crate::host::store::{col, new_id, now_ms, Work};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::access::Operation;
use waas_core::card;
use waas_core::ledger::USD;
use waas_core::webhook::Event;
use waas_core::webhook::Subject;

/// The sandbox BIN of issued virtual cards (a test range: such numbers never reach a real network).
pub const VIRTUAL_CARD_BIN: &str = "400000";

/// Routes of this module.
pub(crate) fn virtual_cards_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list_vcards, issue_vcard))
        .routes(routes!(get_vcard, delete_vcard))
        .routes(routes!(block_vcard))
        .routes(routes!(unblock_vcard))
        .routes(routes!(simulate_card_payment))
}

/// A new virtual card to issue.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VirtualCardCreate {
    /// The account it belongs to.
    #[schema(example = "acc_01")]
    pub(crate) account_id: String,
    /// The holder's name.
    pub(crate) holder: Option<String>,
    /// A label.
    pub(crate) label: Option<String>,
}

#[utoipa::path(post, path = "/v1/virtual-cards", operation_id = "virtual_cards.create", tag = "virtual_cards",
    params(IdempotencyKey),
    request_body(content = VirtualCardCreate, example = json!({"account_id": "acc_01", "holder": "Alice Doe", "label": "ads"})),
    responses((status = 201, description = "The virtual card, with its full number shown this once", body = CardCreated)))]
pub(crate) async fn issue_vcard(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::VirtualCardsCreate).await?;
    let req: VirtualCardCreate = body(&bytes)?;
    let full = card::issue_number(VIRTUAL_CARD_BIN)?;
    let number = card::check_number(&full)?;
    let (year, month) = card::year_month(now_ms() / 1000);
    let expiry = format!("{month:02}/{:02}", (year + 3) % 100);
    let idem = idem(&headers, Operation::VirtualCardsCreate.id(), &bytes)?;
    // The full number is shown once, in this answer, and never stored.
    insert_card(
        &s,
        &caller.client_id,
        idem,
        &new_id("vcard"),
        &req.account_id,
        CardKind::Virtual,
        &number,
        &expiry,
        req.holder.as_deref(),
        req.label.as_deref(),
        Some(full),
    )
    .await
}

#[utoipa::path(get, path = "/v1/virtual-cards/{id}", operation_id = "virtual_cards.get", tag = "virtual_cards",
    params(("id" = String, Path, description = "The virtual card's id")),
    responses((status = 200, description = "The virtual card (its number masked)", body = CardOut)))]
pub(crate) async fn get_vcard(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::VirtualCardsGet).await?;
    Ok(Json(card_out(&s, &caller.client_id, &id, CardKind::Virtual).await?).into_response())
}

#[utoipa::path(get, path = "/v1/virtual-cards", operation_id = "virtual_cards.list", tag = "virtual_cards",
    params(PageQuery),
    responses((status = 200, description = "A page of virtual cards, oldest first", body = Listed<CardOut>)))]
pub(crate) async fn list_vcards(
    State(s): State<Shared>,
    headers: HeaderMap,
    q: PageQ,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::VirtualCardsList).await?;
    let q = page::query(q)?;
    Ok(Json(list_of(&s, &caller.client_id, CardKind::Virtual, q).await?).into_response())
}

#[utoipa::path(delete, path = "/v1/virtual-cards/{id}", operation_id = "virtual_cards.delete", tag = "virtual_cards",
    params(("id" = String, Path, description = "The virtual card's id")),
    responses((status = 200, description = "The virtual card is cancelled", body = Deleted)))]
pub(crate) async fn delete_vcard(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::VirtualCardsDelete).await?;
    remove(&s, &caller.client_id, &id, CardKind::Virtual).await
}

/// A virtual card's status after a block or unblock.
#[derive(Serialize, ToSchema)]
pub(crate) struct CardStatus {
    /// The virtual card's id.
    pub(crate) id: String,
    /// `blocked` or `active`.
    pub(crate) status: String,
}

pub(crate) async fn set_blocked(
    s: Shared,
    headers: HeaderMap,
    id: String,
    bytes: EmptyBody,
    op: Operation,
    blocked: bool,
) -> ApiResult {
    let caller = auth(&s, &headers, op).await?;
    let NoBody {} = body(&bytes)?;
    card_out(&s, &caller.client_id, &id, CardKind::Virtual).await?;
    let mut w = s.store.begin(&caller.client_id).await?;
    w.need_wallets(&[&id]).await?;
    w.ledger.set_card_blocked(&id, blocked)?;
    w.emit(Event::CardBlocked {
        id: id.clone(),
        blocked,
        operation_id: new_id("op"),
    })?;
    let status = if blocked { "blocked" } else { "active" };
    finish(
        w,
        &None,
        StatusCode::OK,
        CardStatus {
            id,
            status: status.to_owned(),
        },
        &s,
    )
    .await
}

#[utoipa::path(post, path = "/v1/virtual-cards/{id}/block", operation_id = "virtual_cards.block", tag = "virtual_cards",
    params(("id" = String, Path, description = "The virtual card's id")),
    responses((status = 200, description = "The virtual card is blocked (no body, or `{}`)", body = CardStatus)))]
pub(crate) async fn block_vcard(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: EmptyBody,
) -> ApiResult {
    set_blocked(s, headers, id, bytes, Operation::VirtualCardsBlock, true).await
}

#[utoipa::path(post, path = "/v1/virtual-cards/{id}/unblock", operation_id = "virtual_cards.unblock", tag = "virtual_cards",
    params(("id" = String, Path, description = "The virtual card's id")),
    responses((status = 200, description = "The virtual card is active again (no body, or `{}`)", body = CardStatus)))]
pub(crate) async fn unblock_vcard(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: EmptyBody,
) -> ApiResult {
    set_blocked(s, headers, id, bytes, Operation::VirtualCardsUnblock, false).await
}

/// A simulated card payment at a point of sale.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CardPayment {
    /// The card or virtual card that pays.
    #[schema(example = "vcard_01")]
    pub(crate) card_id: String,
    /// USD to pay.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128, example = "12.5")]
    pub(crate) amount: String,
    /// The merchant's name.
    #[schema(example = "Coffee shop")]
    pub(crate) merchant: Option<String>,
}

/// A card payment as it is recorded.
#[derive(Serialize, ToSchema)]
pub(crate) struct CardPaymentOut {
    /// The payment's id (`pay_...`).
    pub(crate) id: String,
    /// The card that paid.
    pub(crate) card_id: String,
    /// USD paid.
    pub(crate) amount_usd: String,
    /// The merchant, if given.
    pub(crate) merchant: Option<String>,
}

/// An approved card payment.
#[derive(Serialize, ToSchema)]
pub(crate) struct CardPaymentResult {
    /// `approved` (a declined payment answers an error, and is reported by webhook).
    pub(crate) status: String,
    /// The payment.
    pub(crate) payment: CardPaymentOut,
}

#[utoipa::path(post, path = "/v1/simulate/card-transaction", operation_id = "simulate.card_transaction", tag = "simulate",
    request_body(content = CardPayment, example = json!({"card_id": "vcard_01", "amount": "12.5", "merchant": "Coffee shop"})),
    responses((status = 201, description = "The payment is approved", body = CardPaymentResult)))]
pub(crate) async fn simulate_card_payment(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::SimulateCardTransaction).await?;
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
    let op = CardKind::of_row(&kind)?.subject();
    let mut w = s.store.begin(&caller.client_id).await?;
    let id = new_id("pay");
    w.need_wallets(&[&req.card_id]).await?;
    let result = w.ledger.card_payment(&id, &req.card_id, amt);
    let payment = CardPaymentOut {
        id: id.clone(),
        card_id: req.card_id.clone(),
        amount_usd: amt.to_string(),
        merchant: req.merchant.clone(),
    };
    let data = json!(payment);
    match result {
        Ok(_) => {
            record_payment(&mut w, &payment, "completed", op, None, data).await?;
            let out = CardPaymentResult {
                status: "approved".to_owned(),
                payment,
            };
            finish(w, &None, StatusCode::CREATED, out, &s).await
        }
        // Malformed input is not a payment attempt: nothing is recorded.
        Err(e) if !waas_core::card::is_decline(e.code()) => Err(e.into()),
        Err(e) => {
            // A declined payment changes no balance but is reported, as a card network would.
            let reason = format!("{}: {}", e.code(), e.message());
            record_payment(&mut w, &payment, "declined", op, Some(&reason), data).await?;
            w.commit().await?;
            s.outbox_notify.notify_one();
            Err(e.into())
        }
    }
}

/// A card payment's transaction row and its event.
async fn record_payment(
    w: &mut Work,
    payment: &CardPaymentOut,
    status: &str,
    op: Subject,
    reason: Option<&str>,
    data: serde_json::Value,
) -> Result<(), ApiError> {
    w.upsert_transaction(
        &payment.id,
        Some(&payment.card_id),
        "card_payment",
        status,
        Some(USD),
        Some(&payment.amount_usd),
        &data,
    )
    .await?;
    w.emit(Event::CardPayment {
        card: op,
        id: payment.id.clone(),
        declined: reason.map(str::to_owned),
        answer: answer(&data),
    })?;
    Ok(())
}
