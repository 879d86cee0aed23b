//! Card funding routes: a top-up debits a wallet of the same client (`from_wallet_id`) and credits
//! the card its USD value; a refund returns a card's USD to a wallet. Prices come from the
//! platform (the client's price list, set by its parent in live mode; stablecoins at 1 USD); a
//! price in the request is taken in sandbox only. Without `from_wallet_id`, a sandbox host still
//! funds a card from outside (a simulated external top-up); a live host refuses.

use super::api::{
    amount, auth, body, finish, idem, load_settings, movement_id, num, query_transactions, replay,
    settle_movement, MovementRow, TxQuery,
};
use super::api::{card_json, kind_label};
use super::error::ApiError;
use super::{AppState, Settings};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use waas_core::access::Environment;
use waas_core::ledger::rules::{deposit_decision, DepositDecision};
use waas_core::ledger::{DepositRequest, Movement};
use waas_core::webhook::Status;
use waas_core::ErrorCode;

type Shared = Arc<AppState>;
type ApiResult = Result<Response, ApiError>;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .route("/v1/cards/{id}/deposit", post(card_deposit))
        .route("/v1/cards/{id}/refund", post(card_refund))
        .route("/v1/virtual-cards/{id}/deposit", post(vcard_deposit))
        .route("/v1/virtual-cards/{id}/refund", post(vcard_refund))
        .route("/v1/cards/{id}/transactions", get(card_transactions))
        .route(
            "/v1/virtual-cards/{id}/transactions",
            get(vcard_transactions),
        )
}

type TxQ = Result<Query<TxQuery>, axum::extract::rejection::QueryRejection>;

/// A card's transactions (top-ups, refunds, payments), newest first, paginated and filtered as
/// `GET /v1/transactions` is.
async fn transactions(
    s: &AppState,
    headers: &HeaderMap,
    id: String,
    q: TxQ,
    kind: &str,
) -> ApiResult {
    let op = if kind == "virtual" {
        "virtual_cards.transactions"
    } else {
        "cards.transactions"
    };
    let caller = auth(s, headers, op).await?;
    card_json(s, &caller.client_id, &id, kind).await?;
    let Query(mut q) = q.map_err(|e| ApiError::bad_request(format!("query: {e}")))?;
    q.wallet_id = Some(id);
    Ok(Json(query_transactions(s, &caller.client_id, q).await?).into_response())
}

async fn card_transactions(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: TxQ,
) -> ApiResult {
    transactions(&s, &headers, id, q, "physical").await
}

async fn vcard_transactions(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: TxQ,
) -> ApiResult {
    transactions(&s, &headers, id, q, "virtual").await
}

/// The USD price of `symbol`: the platform's list, 1 for a USD stablecoin, or (sandbox only)
/// the price the caller gives.
fn price_of(
    s: &AppState,
    settings: &Settings,
    symbol: &str,
    given: Option<&str>,
) -> Result<Decimal, ApiError> {
    if given.is_some() && s.environment == Environment::Live {
        return Err(ApiError::bad_request(
            "usd_price: a live host values cards at the platform's prices, not the caller's",
        ));
    }
    let parse = |p: &str| amount("usd_price", p).map(|a| a.as_decimal());
    let given = given.map(parse).transpose()?;
    let configured = settings
        .usd_prices
        .get(symbol)
        .map(|p| parse(p))
        .transpose()?;
    waas_core::pricing::usd_price(symbol, given, configured).ok_or_else(|| {
        ApiError::bad_request(format!(
            "no USD price for {symbol}: the platform's price list has none"
        ))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CardDeposit {
    from_wallet_id: Option<String>,
    token: String,
    amount: String,
    usd_price: Option<String>,
}

/// Funds a card: from a wallet of the client (a movement), or in sandbox from outside.
async fn fund(s: &AppState, headers: &HeaderMap, bytes: &Bytes, id: &str, kind: &str) -> ApiResult {
    let op = if kind == "virtual" {
        "virtual_cards.deposit"
    } else {
        "cards.deposit"
    };
    let caller = auth(s, headers, op).await?;
    let req: CardDeposit = body(bytes)?;
    let amt = amount("amount", &req.amount)?;
    card_json(s, &caller.client_id, id, kind).await?;
    let settings = load_settings(s, &caller.client_id).await?;
    let symbol = req.token.to_ascii_uppercase();
    let price = price_of(s, &settings, &symbol, req.usd_price.as_deref())?;
    let Some(from) = req.from_wallet_id else {
        if s.environment == Environment::Live {
            return Err(ApiError::bad_request(
                "from_wallet_id: a live card is funded from a wallet of the client",
            ));
        }
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
    let out = json!({
        "id": mid, "type": "card_top_up", "card_id": id, "from_wallet_id": from, "token": token,
        "amount": amt.to_string(), "usd_price": num(price), "usd_value": num(usd),
        "credited_usd": num(usd), "status": "completed",
    });
    let row = MovementRow {
        wallet: &from,
        counterparty: Some(id),
        kind: "card_top_up",
        status: "completed",
        operation: kind_label(kind).0,
        sub_operation: "DEPOSIT",
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
    kind: &str,
    symbol: &str,
    amt: waas_core::Amount,
    price: Decimal,
) -> ApiResult {
    let idem = idem(headers, &format!("card_deposit:{id}"), bytes)?;
    let mut w = s.store.begin(client).await?;
    if let Some(r) = replay(&mut w, &idem).await? {
        return Ok(r);
    }
    let usd = waas_core::ledger::rules::usd_value(amt, price)?;
    let minimum = w.ledger.config().min_deposit_usd.card;
    if deposit_decision(usd, minimum) == DepositDecision::BelowMinimum {
        return Err(ApiError::new(
            ErrorCode::BelowMinimumDeposit,
            format!(
                "a card deposit must be worth at least {} USD; this one is worth {}",
                num(minimum),
                num(usd)
            ),
        ));
    }
    let tx = movement_id(&mut w, &idem)?;
    w.remember_deposit(&tx).await?;
    w.need_wallets(&[id]).await?;
    let r = w.ledger.deposit(DepositRequest {
        tx: tx.clone(),
        to: id.to_owned(),
        token: symbol.to_owned(),
        amount: amt,
        usd_price: price,
    })?;
    w.ledger.confirm(&tx)?;
    let out = json!({"id": tx, "card_id": id, "token": symbol, "amount": amt.to_string(), "usd_value": num(r.usd_value), "credited_usd": num(r.credited), "status": "completed", "flagged": r.flagged});
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
    w.event(
        kind_label(kind).0,
        "DEPOSIT",
        &tx,
        Status::Success,
        None,
        out.clone(),
    )?;
    finish(w, &idem, StatusCode::CREATED, out, s).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CardRefund {
    to_wallet_id: String,
    token: String,
    /// USD to return; the whole balance when absent.
    amount: Option<String>,
    usd_price: Option<String>,
}

/// Returns USD from a card to a wallet of the client, as a token at the platform's price.
async fn refund(
    s: &AppState,
    headers: &HeaderMap,
    bytes: &Bytes,
    id: &str,
    kind: &str,
) -> ApiResult {
    let op = if kind == "virtual" {
        "virtual_cards.refund"
    } else {
        "cards.refund"
    };
    let caller = auth(s, headers, op).await?;
    let req: CardRefund = body(bytes)?;
    let usd = req
        .amount
        .as_deref()
        .map(|a| amount("amount", a))
        .transpose()?;
    card_json(s, &caller.client_id, id, kind).await?;
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
    let out = json!({
        "id": mid, "type": "card_refund", "card_id": id, "to_wallet_id": req.to_wallet_id,
        "token": token, "amount": tokens.to_string(), "usd_price": num(price),
        "refunded_usd": usd.to_string(), "status": "completed",
    });
    let tokens = *tokens;
    let row = MovementRow {
        wallet: id,
        counterparty: Some(&req.to_wallet_id),
        kind: "card_refund",
        status: "completed",
        operation: kind_label(kind).0,
        sub_operation: "REFUND",
    };
    settle_movement(s, w, &idem, &mid, &m, tokens, row, out).await
}

async fn card_deposit(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    fund(&s, &headers, &bytes, &id, "physical").await
}

async fn vcard_deposit(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    fund(&s, &headers, &bytes, &id, "virtual").await
}

async fn card_refund(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    refund(&s, &headers, &bytes, &id, "physical").await
}

async fn vcard_refund(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    refund(&s, &headers, &bytes, &id, "virtual").await
}
