//! Card funding routes: a top-up debits a wallet of the same client (`from_wallet_id`) and credits
//! the card its USD value; a refund returns a card's USD to a wallet. Prices come from the
//! platform (the client's price list, set by its parent in live mode; stablecoins at 1 USD); a
//! price in the request is taken in sandbox only. Without `from_wallet_id`, a sandbox host still
//! funds a card from outside (a simulated external top-up); a live host refuses.

use super::schema::{IdempotencyKey, Listed};
use crate::host::api::cards::card_out;
use crate::host::api::cards::CardKind;
use crate::host::api::extract::amount;
use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::finish;
use crate::host::api::extract::idem;
use crate::host::api::extract::replay;
use crate::host::api::management::configuration::load_settings;
use crate::host::api::schema::num;
use crate::host::api::transactions::query_transactions;
use crate::host::api::transactions::TxOut;
use crate::host::api::transactions::TxQuery;
use crate::host::api::virtual_wallets::movements::movement_id;
use crate::host::api::virtual_wallets::movements::settle_movement;
use crate::host::api::virtual_wallets::movements::MovementRow;
use crate::host::error::ApiError;
use crate::host::store::answer;
use crate::host::{AppState, Settings};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::access::Operation;
use waas_core::ledger::Movement;
use waas_core::webhook::{Event, Moved};

type Shared = Arc<AppState>;
type ApiResult = Result<Response, ApiError>;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(card_deposit))
        .routes(routes!(card_refund))
        .routes(routes!(vcard_deposit))
        .routes(routes!(vcard_refund))
        .routes(routes!(card_transactions))
        .routes(routes!(vcard_transactions))
}

type TxQ = Result<Query<TxQuery>, axum::extract::rejection::QueryRejection>;

/// A card's transactions (top-ups, refunds, payments), newest first, paginated and filtered as
/// `GET /v1/transactions` is.
async fn transactions(
    s: &AppState,
    headers: &HeaderMap,
    id: String,
    q: TxQ,
    kind: CardKind,
) -> ApiResult {
    let op = match kind {
        CardKind::Virtual => Operation::VirtualCardsTransactions,
        CardKind::Physical => Operation::CardsTransactions,
    };
    let caller = auth(s, headers, op).await?;
    card_out(s, &caller.client_id, &id, kind).await?;
    let Query(mut q) = q.map_err(|e| ApiError::bad_request(format!("query: {e}")))?;
    q.wallet_id = Some(id);
    Ok(Json(query_transactions(s, &caller.client_id, q).await?).into_response())
}

#[utoipa::path(get, path = "/v1/cards/{id}/transactions", operation_id = "cards.transactions", tag = "cards",
    params(("id" = String, Path, description = "The card's id"), TxQuery),
    responses((status = 200, description = "A page of the card's transactions, newest first", body = Listed<TxOut>)))]
async fn card_transactions(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: TxQ,
) -> ApiResult {
    transactions(&s, &headers, id, q, CardKind::Physical).await
}

#[utoipa::path(get, path = "/v1/virtual-cards/{id}/transactions", operation_id = "virtual_cards.transactions", tag = "virtual_cards",
    params(("id" = String, Path, description = "The virtual card's id"), TxQuery),
    responses((status = 200, description = "A page of the virtual card's transactions, newest first", body = Listed<TxOut>)))]
async fn vcard_transactions(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: TxQ,
) -> ApiResult {
    transactions(&s, &headers, id, q, CardKind::Virtual).await
}

/// The USD price of `symbol`: the platform's list, 1 for a USD stablecoin, or (sandbox only)
/// the price the caller gives.
fn price_of(
    s: &AppState,
    settings: &Settings,
    symbol: &str,
    given: Option<&str>,
) -> Result<Decimal, ApiError> {
    waas_core::pricing::check_given_price(s.environment, given.is_some())?;
    let parse = |p: &str| amount("usd_price", p).map(|a| a.as_decimal());
    let given = given.map(parse).transpose()?;
    Ok(waas_core::pricing::required_usd_price(
        symbol,
        given,
        settings.usd_price(symbol),
    )?)
}

/// Funds for a card: `amount` of `token` from a wallet of the client, credited at its USD value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CardDeposit {
    /// The wallet debited. Without it, a sandbox host funds the card from outside (a simulated
    /// external top-up, at least the card minimum); a live host refuses.
    #[schema(example = "vw_01")]
    from_wallet_id: Option<String>,
    /// The token paid, e.g. `USDT`.
    #[schema(example = "USDT")]
    token: String,
    /// How much of the token.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128, example = "25")]
    amount: String,
    /// Sandbox only: the token's USD price (else the platform's list; 1 for a USD stablecoin).
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128, example = "1")]
    usd_price: Option<String>,
}

/// A card funded from a wallet of the client.
#[derive(Serialize, ToSchema)]
struct CardTopUp {
    /// The movement's id.
    id: String,
    /// `card_top_up`.
    #[serde(rename = "type")]
    kind: String,
    /// The card credited.
    card_id: String,
    /// The wallet debited.
    from_wallet_id: String,
    /// The token paid.
    token: String,
    /// How much of the token.
    amount: String,
    /// The token's USD price used.
    usd_price: String,
    /// The USD value of `amount`.
    usd_value: String,
    /// USD credited to the card.
    credited_usd: String,
    /// `completed`.
    status: String,
}

/// Sandbox: a card funded from outside the books' wallets.
#[derive(Serialize, ToSchema)]
struct CardExternalDeposit {
    /// The deposit's id.
    id: String,
    /// The card credited.
    card_id: String,
    /// The token paid.
    token: String,
    /// How much of the token.
    amount: String,
    /// The USD value of `amount`.
    usd_value: String,
    /// USD credited to the card.
    credited_usd: String,
    /// `completed`.
    status: String,
    /// Set when the deposit needs an operator's look (e.g. `WALLET_INACTIVE`); `null` otherwise.
    flagged: Option<String>,
}

/// A card funding: from a wallet (`type` is `card_top_up`), or in sandbox from outside.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
enum CardDepositOut {
    /// From a wallet of the client.
    FromWallet(CardTopUp),
    /// Sandbox: from outside.
    FromOutside(CardExternalDeposit),
}

/// Funds a card: from a wallet of the client (a movement), or in sandbox from outside.
async fn fund(
    s: &AppState,
    headers: &HeaderMap,
    bytes: &Bytes,
    id: &str,
    kind: CardKind,
) -> ApiResult {
    let op = match kind {
        CardKind::Virtual => Operation::VirtualCardsDeposit,
        CardKind::Physical => Operation::CardsDeposit,
    };
    let caller = auth(s, headers, op).await?;
    let req: CardDeposit = body(bytes)?;
    let amt = amount("amount", &req.amount)?;
    card_out(s, &caller.client_id, id, kind).await?;
    let settings = load_settings(s, &caller.client_id).await?;
    let symbol = req.token.to_ascii_uppercase();
    let price = price_of(s, &settings, &symbol, req.usd_price.as_deref())?;
    waas_core::card::check_funding_source(s.environment, req.from_wallet_id.is_some())?;
    let Some(from) = req.from_wallet_id else {
        return fund_from_outside(
            s,
            headers,
            bytes,
            &caller.client_id,
            id,
            kind,
            &symbol,
            amt,
            price,
        )
        .await;
    };
    let idem = idem(headers, &format!("card_deposit:{id}"), bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    if let Some(r) = replay(&mut w, &idem).await? {
        return Ok(r);
    }
    let mid = movement_id(&mut w, &idem)?;
    w.need_wallets(&[id, &from]).await?;
    let (m, usd) = w.ledger.card_top_up(&mid, id, &from, &symbol, amt, price)?;
    let token = m.token().to_owned();
    let out = json!(CardDepositOut::FromWallet(CardTopUp {
        id: mid.clone(),
        kind: "card_top_up".to_owned(),
        card_id: id.to_owned(),
        from_wallet_id: from.clone(),
        token,
        amount: amt.to_string(),
        usd_price: num(price),
        usd_value: num(usd),
        credited_usd: num(usd),
        status: "completed".to_owned(),
    }));
    let row = MovementRow {
        wallet: &from,
        counterparty: Some(id),
        kind: "card_top_up",
        status: "completed",
        of: kind.subject(),
        moved: Moved::Deposit,
    };
    settle_movement(s, w, &idem, &mid, &m, amt, row, out).await
}

/// Sandbox: credits a card from outside the books' wallets (a simulated external top-up),
/// refused under the card minimum (10 USD by default).
#[allow(clippy::too_many_arguments)]
async fn fund_from_outside(
    s: &AppState,
    headers: &HeaderMap,
    bytes: &Bytes,
    client: &str,
    id: &str,
    kind: CardKind,
    symbol: &str,
    amt: waas_core::Amount,
    price: Decimal,
) -> ApiResult {
    let idem = idem(headers, &format!("card_deposit:{id}"), bytes)?;
    let mut w = s.store.begin(client).await?;
    if let Some(r) = replay(&mut w, &idem).await? {
        return Ok(r);
    }
    let tx = movement_id(&mut w, &idem)?;
    w.remember_deposit(&tx).await?;
    w.need_wallets(&[id]).await?;
    let r = w
        .ledger
        .card_external_deposit(&tx, id, symbol, amt, price)?;
    let out = json!(CardDepositOut::FromOutside(CardExternalDeposit {
        id: tx.clone(),
        card_id: id.to_owned(),
        token: symbol.to_owned(),
        amount: amt.to_string(),
        usd_value: num(r.usd_value),
        credited_usd: num(r.credited),
        status: "completed".to_owned(),
        flagged: r.flagged,
    }));
    w.upsert_transaction(
        &tx,
        Some(id),
        "card_deposit",
        "completed",
        Some(waas_core::ledger::USD),
        Some(&num(r.credited)),
        &out,
    )
    .await?;
    w.emit(Event::Movement {
        of: kind.subject(),
        moved: Moved::Deposit,
        id: tx.clone(),
        answer: answer(&out),
    })?;
    finish(w, &idem, StatusCode::CREATED, out, s).await
}

/// USD to return from a card to a wallet of the client, as a token.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CardRefund {
    /// The wallet credited.
    #[schema(example = "vw_01")]
    to_wallet_id: String,
    /// The token credited, e.g. `USDT`.
    #[schema(example = "USDT")]
    token: String,
    /// USD to return; the whole balance when absent.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128, example = "10")]
    amount: Option<String>,
    /// Sandbox only: the token's USD price (else the platform's list; 1 for a USD stablecoin).
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128)]
    usd_price: Option<String>,
}

/// A card's USD returned to a wallet.
#[derive(Serialize, ToSchema)]
struct CardRefundOut {
    /// The movement's id.
    id: String,
    /// `card_refund`.
    #[serde(rename = "type")]
    kind: String,
    /// The card debited.
    card_id: String,
    /// The wallet credited.
    to_wallet_id: String,
    /// The token credited.
    token: String,
    /// How much of the token.
    amount: String,
    /// The token's USD price used.
    usd_price: String,
    /// USD taken from the card.
    refunded_usd: String,
    /// `completed`.
    status: String,
}

/// Returns USD from a card to a wallet of the client, as a token at the platform's price.
async fn refund(
    s: &AppState,
    headers: &HeaderMap,
    bytes: &Bytes,
    id: &str,
    kind: CardKind,
) -> ApiResult {
    let op = match kind {
        CardKind::Virtual => Operation::VirtualCardsRefund,
        CardKind::Physical => Operation::CardsRefund,
    };
    let caller = auth(s, headers, op).await?;
    let req: CardRefund = body(bytes)?;
    let usd = req
        .amount
        .as_deref()
        .map(|a| amount("amount", a))
        .transpose()?;
    card_out(s, &caller.client_id, id, kind).await?;
    let settings = load_settings(s, &caller.client_id).await?;
    let symbol = req.token.to_ascii_uppercase();
    let price = price_of(s, &settings, &symbol, req.usd_price.as_deref())?;
    let idem = idem(headers, &format!("card_refund:{id}"), bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    if let Some(r) = replay(&mut w, &idem).await? {
        return Ok(r);
    }
    let mid = movement_id(&mut w, &idem)?;
    w.need_wallets(&[id, &req.to_wallet_id]).await?;
    let m = w
        .ledger
        .card_refund(&mid, id, &req.to_wallet_id, &symbol, usd, price)?;
    let Movement::CardRefund {
        token,
        amount: tokens,
        usd,
        ..
    } = &m
    else {
        return Err(ApiError::internal("a refund made another movement"));
    };
    let out = json!(CardRefundOut {
        id: mid.clone(),
        kind: "card_refund".to_owned(),
        card_id: id.to_owned(),
        to_wallet_id: req.to_wallet_id.clone(),
        token: token.to_string(),
        amount: tokens.to_string(),
        usd_price: num(price),
        refunded_usd: usd.to_string(),
        status: "completed".to_owned(),
    });
    let tokens = *tokens;
    let row = MovementRow {
        wallet: id,
        counterparty: Some(&req.to_wallet_id),
        kind: "card_refund",
        status: "completed",
        of: kind.subject(),
        moved: Moved::Refund,
    };
    settle_movement(s, w, &idem, &mid, &m, tokens, row, out).await
}

#[utoipa::path(post, path = "/v1/cards/{id}/deposit", operation_id = "cards.deposit", tag = "cards",
    params(IdempotencyKey, ("id" = String, Path, description = "The card's id")),
    request_body(content = CardDeposit, example = json!({"from_wallet_id": "vw_01", "token": "USDT", "amount": "25"})),
    responses((status = 201, description = "The card is funded", body = CardDepositOut)))]
async fn card_deposit(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    fund(&s, &headers, &bytes, &id, CardKind::Physical).await
}

#[utoipa::path(post, path = "/v1/virtual-cards/{id}/deposit", operation_id = "virtual_cards.deposit", tag = "virtual_cards",
    params(IdempotencyKey, ("id" = String, Path, description = "The virtual card's id")),
    request_body(content = CardDeposit, example = json!({"from_wallet_id": "vw_01", "token": "USDT", "amount": "25"})),
    responses((status = 201, description = "The virtual card is funded", body = CardDepositOut)))]
async fn vcard_deposit(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    fund(&s, &headers, &bytes, &id, CardKind::Virtual).await
}

#[utoipa::path(post, path = "/v1/cards/{id}/refund", operation_id = "cards.refund", tag = "cards",
    params(IdempotencyKey, ("id" = String, Path, description = "The card's id")),
    request_body(content = CardRefund, example = json!({"to_wallet_id": "vw_01", "token": "USDT", "amount": "10"})),
    responses((status = 201, description = "The USD is returned", body = CardRefundOut)))]
async fn card_refund(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    refund(&s, &headers, &bytes, &id, CardKind::Physical).await
}

#[utoipa::path(post, path = "/v1/virtual-cards/{id}/refund", operation_id = "virtual_cards.refund", tag = "virtual_cards",
    params(IdempotencyKey, ("id" = String, Path, description = "The virtual card's id")),
    request_body(content = CardRefund, example = json!({"to_wallet_id": "vw_01", "token": "USDT", "amount": "10"})),
    responses((status = 201, description = "The USD is returned", body = CardRefundOut)))]
async fn vcard_refund(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    refund(&s, &headers, &bytes, &id, CardKind::Virtual).await
}
