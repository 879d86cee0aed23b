//! Sandbox simulation of chain events (deposits, confirmations, reorgs), and the webhook events of rule outcomes.

use super::*;

/// Routes of this module.
pub(crate) fn simulate_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .route("/v1/simulate/deposit", post(simulate_deposit))
        .route("/v1/simulate/confirm", post(simulate_confirm))
        .route("/v1/simulate/reorg", post(simulate_reorg))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SimDeposit {
    pub(crate) address: String,
    pub(crate) token: String,
    pub(crate) amount: String,
    pub(crate) blockchain: Option<String>,
    pub(crate) usd_price: Option<String>,
    pub(crate) tx: Option<String>,
}

/// Webhook events for the outcomes of automation rules (alerts, and each movement's result).
pub fn rule_events(
    w: &mut Work,
    wallet: &str,
    outcomes: &[RuleOutcome],
    tx: &str,
) -> Result<(), ApiError> {
    for o in outcomes {
        if let Some(event) = &o.event {
            let data = event.get("data").cloned().unwrap_or(Value::Null);
            w.event(
                "VIRTUAL_WALLET",
                o.sub_operation(),
                &waas_core::automation::movement_id(&o.rule, tx),
                Status::Success,
                None,
                data,
            )?;
            continue;
        }
        let sub = o.sub_operation();
        let id = waas_core::automation::movement_id(&o.rule, tx);
        let data = json!({"wallet_id": wallet, "rule": o.rule, "action": o.action.as_str(), "deposit_tx": tx, "amount": o.amount.map(num), "code": o.code});
        let status = if o.ok() {
            Status::Success
        } else {
            Status::Failed
        };
        w.event(
            "VIRTUAL_WALLET",
            sub,
            &id,
            status,
            o.message.as_deref(),
            data,
        )?;
    }
    Ok(())
}

pub(crate) async fn simulate_deposit(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "simulate.deposit").await?;
    let req: SimDeposit = body(&bytes)?;
    let amt = amount("amount", &req.amount)?;
    let registry = s.store.registry();
    // Find the wallet by its (canonical) address.
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
        .bind(&caller.client_id)
        .fetch_all(s.store.reader())
        .await?;
        for r in rows {
            let chain = opt_col(&r, "blockchain")?.unwrap_or_default();
            if req.blockchain.as_deref().is_none_or(|b| {
                registry.chain(b).map(|c| c.id.to_string()).ok().as_deref() == Some(chain.as_str())
            }) {
                found = Some((col(&r, "id")?, chain, col(&r, "kind")?));
            }
        }
    }
    let (wallet, chain, kind) = found.ok_or_else(|| {
        ApiError::not_found(format!("no wallet of yours has address {}", req.address))
    })?;
    let settings = load_settings(&s, &caller.client_id).await?;
    let symbol = req.token.to_ascii_uppercase();
    let parse = |p: &String| amount("usd_price", p).map(|a| a.as_decimal());
    let given = req.usd_price.as_ref().map(parse).transpose()?;
    let configured = settings.usd_prices.get(&symbol).map(parse).transpose()?;
    let price = waas_core::pricing::usd_price(&symbol, given, configured).ok_or_else(|| {
        ApiError::bad_request(format!("usd_price: no USD price for {symbol}; give usd_price or set usd_prices in the configuration"))
    })?;
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
    let (w, out) = crate::host::chain::simulate_deposit(&s, &caller.client_id, &incoming).await?;
    finish(w, &None, StatusCode::CREATED, out, &s).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SimTx {
    pub(crate) tx: String,
}

pub(crate) async fn simulate_confirm(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "simulate.confirm").await?;
    let req: SimTx = body(&bytes)?;
    let out = crate::host::chain::confirm(&s, &caller.client_id, &req.tx).await?;
    Ok(Json(out).into_response())
}

pub(crate) async fn simulate_reorg(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "simulate.reorg").await?;
    let req: SimTx = body(&bytes)?;
    let out = crate::host::chain::reorg(&s, &caller.client_id, &req.tx).await?;
    Ok(Json(out).into_response())
}
