//! Sandbox simulation of chain events (deposits, confirmations, reorgs), and the webhook events of rule outcomes.

use crate::host::api::extract::amount;
use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::finish;
use crate::host::api::extract::{ApiResult, Shared};
use crate::host::api::management::configuration::load_settings;
use crate::host::error::ApiError;
use crate::host::store::{col, opt_col, Work};
use crate::host::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::access::Operation;
use waas_core::automation::RuleOutcome;
use waas_core::ledger::WalletKind;
use waas_core::webhook::Event;
use waas_core::{Address, ErrorCode};

/// Routes of this module.
pub(crate) fn simulate_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(simulate_deposit))
        .routes(routes!(simulate_confirm))
        .routes(routes!(simulate_reorg))
}

/// An answer built elsewhere as JSON, read into its typed shape (and written back from it): the
/// answer is what the type declares, or the request fails loudly instead of drifting from it.
pub(crate) fn retype<T: DeserializeOwned>(v: impl Serialize, what: &str) -> Result<T, ApiError> {
    serde_json::to_value(v)
        .and_then(serde_json::from_value)
        .map_err(|e| ApiError::internal(format!("{what}: answer out of its schema: {e}")))
}

/// A simulated on-chain deposit to one of the client's addresses (sandbox).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SimDeposit {
    /// The receiving address (a virtual or treasury wallet's), EVM or Tron.
    #[schema(example = "0x8ba1f109551bD432803012645Ac136ddd64DBA72")]
    pub(crate) address: String,
    /// The token's symbol.
    #[schema(example = "USDT")]
    pub(crate) token: String,
    /// The amount, a decimal string.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128, example = "10.5")]
    pub(crate) amount: String,
    /// The blockchain, when the address is used on several.
    pub(crate) blockchain: Option<String>,
    /// The token's USD price for the minimum-deposit check (a stablecoin's is 1; else the
    /// configured `usd_prices`).
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128)]
    pub(crate) usd_price: Option<String>,
    /// The chain transaction id (default: a new `sim:...:0`).
    pub(crate) tx: Option<String>,
}

/// What an automation rule did on a deposit.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleResultOut {
    /// The rule's id.
    pub(crate) rule: String,
    /// Whether its action succeeded.
    pub(crate) ok: bool,
    /// The action (e.g. `forward`, `alert`).
    pub(crate) action: String,
    /// The amount it moved, a decimal string.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128)]
    pub(crate) amount: Option<String>,
    /// The error code when the action was refused.
    #[schema(value_type = Option<String>)]
    pub(crate) code: Option<waas_core::ErrorCode>,
    /// Why, when it was refused.
    pub(crate) message: Option<String>,
}

/// A deposit as credited (pending until its confirmations).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DepositOut {
    /// The chain transaction id.
    pub(crate) tx: String,
    /// The wallet credited.
    pub(crate) wallet_id: String,
    /// Its blockchain.
    pub(crate) blockchain: String,
    /// The token's symbol.
    pub(crate) token: String,
    /// The amount received, a decimal string.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128)]
    pub(crate) amount: String,
    /// Its USD value, a decimal string.
    pub(crate) usd_value: String,
    /// What the wallet was credited, a decimal string (`0` below the minimum).
    pub(crate) credited: String,
    /// Whether it was below the minimum deposit (then not credited).
    pub(crate) below_minimum: bool,
    /// `pending`, `confirmed` or `dropped`.
    pub(crate) status: String,
    /// Why the deposit was flagged, if it was.
    pub(crate) flagged: Option<String>,
    /// Confirmations the chain needs.
    pub(crate) confirmations: u32,
    /// What the wallet's automation rules did.
    pub(crate) automation: Vec<RuleResultOut>,
    /// `true` when the deposit had been reported before (nothing was done again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) replayed: Option<bool>,
}

/// Webhook events for the outcomes of automation rules (alerts, and each movement's result).
pub fn rule_events(
    w: &mut Work,
    wallet: &str,
    outcomes: &[RuleOutcome],
    tx: &str,
) -> Result<(), ApiError> {
    for o in outcomes {
        w.emit(Event::Rule(o.webhook(wallet, tx)?))?;
    }
    Ok(())
}

#[utoipa::path(post, path = "/v1/simulate/deposit", operation_id = "simulate.deposit", tag = "simulate",
    request_body(content = SimDeposit, example = json!({"address": "0x8ba1f109551bD432803012645Ac136ddd64DBA72", "token": "USDT", "amount": "100"})),
    responses((status = 201, description = "The deposit, credited and pending", body = DepositOut)))]
pub(crate) async fn simulate_deposit(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::SimulateDeposit).await?;
    let req: SimDeposit = body(&bytes)?;
    let amt = amount("amount", &req.amount)?;
    let registry = s.store.registry();
    let (wallet, chain, kind) = wallet_at(&s, &caller.client_id, &req).await?;
    let settings = load_settings(&s, &caller.client_id).await?;
    let symbol = req.token.to_ascii_uppercase();
    let given = req
        .usd_price
        .as_deref()
        .map(|p| amount("usd_price", p))
        .transpose()?;
    let configured = settings.usd_price(&symbol);
    let price =
        waas_core::pricing::required_usd_price(&symbol, given.map(|p| p.as_decimal()), configured)?;
    let tx = req
        .tx
        .clone()
        .unwrap_or_else(|| format!("sim:{}:0", uuid::Uuid::new_v4().simple()));
    let confirmations = registry.chain(&chain)?.confirmations;
    let incoming = crate::host::chain::Incoming {
        tx,
        wallet,
        chain,
        kind,
        token: req.token.clone(),
        amount: amt,
        usd_price: price,
        confirmations,
        extra: Value::Null,
    };
    let (w, out) =
        crate::host::simchain::simulate_deposit(&s, &caller.client_id, &incoming).await?;
    let out: DepositOut = retype(out, "simulate.deposit")?;
    finish(w, &None, StatusCode::CREATED, out, &s).await
}

/// The caller's wallet at a deposit's address (EVM or Tron, canonical form), on the blockchain
/// the request names if it names one: (id, blockchain, kind).
async fn wallet_at(
    s: &AppState,
    client_id: &str,
    req: &SimDeposit,
) -> Result<(String, String, WalletKind), ApiError> {
    let registry = s.store.registry();
    let mut candidates = Vec::new();
    for family in [waas_core::Family::Evm, waas_core::Family::Tron] {
        if let Ok(a) = Address::parse(family, &req.address) {
            candidates.push(a.to_string());
        }
    }
    if candidates.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidAddress,
            format!(
                "address: {:?} is neither an EVM nor a Tron address",
                req.address
            ),
        ));
    }
    let mut found = None;
    for a in &candidates {
        let rows = sqlx::query(
            "SELECT id, blockchain, kind FROM wallets WHERE address = $1 AND client_id = $2",
        )
        .bind(a)
        .bind(client_id)
        .fetch_all(s.store.reader())
        .await?;
        for r in rows {
            let chain = opt_col(&r, "blockchain")?.unwrap_or_default();
            if req.blockchain.as_deref().is_none_or(|b| {
                registry.chain(b).map(|c| c.id.to_string()).ok().as_deref() == Some(chain.as_str())
            }) {
                found = Some((col(&r, "id")?, chain, WalletKind::parse(&col(&r, "kind")?)?));
            }
        }
    }
    found.ok_or_else(|| {
        ApiError::not_found(format!("no wallet of yours has address {}", req.address))
    })
}

/// A simulated deposit, by its chain transaction id.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SimTx {
    /// The deposit's `tx`.
    #[schema(example = "sim:4f1c0e0a9b6d4c2e8a7f3b5d1e9c0a2b:0")]
    pub(crate) tx: String,
}

/// A simulated deposit, confirmed.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfirmOut {
    /// The chain transaction id.
    pub(crate) tx: String,
    /// `confirmed`.
    pub(crate) status: String,
    /// The wallet credited (absent when it was confirmed already).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) wallet_id: Option<String>,
    /// `true` when the funds were swept to the holding wallet (virtual wallets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) swept: Option<bool>,
}

/// A simulated deposit dropped by a reorg.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReorgOut {
    /// The chain transaction id.
    pub(crate) tx: String,
    /// The wallet it had credited.
    pub(crate) wallet_id: String,
    /// The token's symbol.
    pub(crate) token: String,
    /// The amount, a decimal string.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128)]
    pub(crate) amount: String,
    /// `dropped`.
    pub(crate) status: String,
    /// The wallet frozen because it had spent the credit, if any.
    pub(crate) frozen: Option<String>,
}

#[utoipa::path(post, path = "/v1/simulate/confirm", operation_id = "simulate.confirm", tag = "simulate",
    request_body = SimTx,
    responses((status = 200, description = "The deposit, confirmed", body = ConfirmOut)))]

pub(crate) async fn simulate_confirm(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::SimulateConfirm).await?;
    let req: SimTx = body(&bytes)?;
    let out = crate::host::simchain::confirm(&s, &caller.client_id, &req.tx).await?;
    Ok(Json(retype::<ConfirmOut>(out, "simulate.confirm")?).into_response())
}

#[utoipa::path(post, path = "/v1/simulate/reorg", operation_id = "simulate.reorg", tag = "simulate",
    request_body = SimTx,
    responses((status = 200, description = "The deposit, dropped", body = ReorgOut)))]

pub(crate) async fn simulate_reorg(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::SimulateReorg).await?;
    let req: SimTx = body(&bytes)?;
    let out = crate::host::simchain::reorg(&s, &caller.client_id, &req.tx).await?;
    Ok(Json(retype::<ReorgOut>(out, "simulate.reorg")?).into_response())
}
