//! Automation rules of virtual wallets.

use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::finish;
use crate::host::api::extract::{ApiResult, Shared};
use crate::host::api::virtual_wallets::wallet_row;
use crate::host::error::ApiError;
use crate::host::store::{col, new_id};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::access::Operation;
use waas_core::ledger::WalletKind;
use waas_core::ErrorCode;

/// Routes of this module.
pub(crate) fn rules_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list_rules, add_rule))
        .routes(routes!(remove_rule))
}

/// A new automation rule of the wallet in the path (which it may not name).
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct RuleCreate {
    /// Its id (absent: one is made, `rule_...`).
    rule: Option<String>,
    /// When it acts: `deposit` (a deposit credited, pending) or `confirm` (confirmed).
    #[schema(example = "confirm")]
    on: String,
    /// The token whose deposits it watches.
    #[schema(example = "USDT")]
    token: String,
    /// Deposits under this decimal amount do not trigger it.
    min_amount: Option<String>,
    /// What it does.
    action: RuleActionSpec,
}

/// What a rule does: `forward` (`to` and one of `percent`, `amount`), `forward_excess` (`to`,
/// `keep`), `withdraw` (`to_address`, one of `percent`, `amount`, and `fee`) or `alert`.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleActionSpec {
    /// `forward`, `forward_excess`, `withdraw` or `alert`.
    #[serde(rename = "type")]
    #[schema(example = "forward")]
    kind: String,
    /// The receiving virtual wallet (`forward`, `forward_excess`).
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<String>,
    /// The share of the deposit, a decimal percent (`forward`, `withdraw`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "100")]
    percent: Option<String>,
    /// A fixed decimal amount instead of a percent (`forward`, `withdraw`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128)]
    amount: Option<String>,
    /// What stays in the wallet; the excess is forwarded (`forward_excess`).
    #[serde(skip_serializing_if = "Option::is_none")]
    keep: Option<String>,
    /// The receiving address (`withdraw`).
    #[serde(skip_serializing_if = "Option::is_none")]
    to_address: Option<String>,
    /// The network fee, decimal (`withdraw`; default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128)]
    fee: Option<String>,
}

/// An automation rule of a virtual wallet.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleOut {
    /// Its id.
    rule: String,
    /// The wallet it watches.
    wallet: String,
    /// `deposit` or `confirm`.
    on: String,
    /// The token whose deposits it watches.
    token: String,
    /// Deposits under this decimal amount do not trigger it.
    #[serde(skip_serializing_if = "Option::is_none")]
    min_amount: Option<String>,
    /// What it does.
    action: RuleActionSpec,
}

impl RuleOut {
    /// A rule as the core shows it (the core's `rule_json` is the one definition of its shape;
    /// a field it would add and this type lacks is an internal error, not a silent loss).
    fn of(rule: &waas_core::automation::Rule) -> Result<RuleOut, ApiError> {
        serde_json::from_value(waas_core::scenario::rule_json(rule))
            .map_err(|e| ApiError::internal(format!("rule answer: {e}")))
    }
}

/// The rules of a wallet.
#[derive(Serialize, ToSchema)]
pub(crate) struct RuleList {
    /// In the order they were added (the order they act in).
    rules: Vec<RuleOut>,
}

/// A rule removed.
#[derive(Serialize, ToSchema)]
pub(crate) struct RuleRemoved {
    /// The rule as it was.
    removed: RuleOut,
}

#[utoipa::path(get, path = "/v1/wallets/virtual/{id}/rules", operation_id = "virtual_wallets.rules.list", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The virtual wallet's id")),
    responses((status = 200, description = "The wallet's rules", body = RuleList)))]
pub(crate) async fn list_rules(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::VirtualWalletsRulesList).await?;
    wallet_row(&s, &caller.client_id, &id, WalletKind::Virtual).await?;
    let rows =
        sqlx::query("SELECT body FROM rules WHERE client_id = $1 AND wallet_id = $2 ORDER BY seq")
            .bind(&caller.client_id)
            .bind(&id)
            .fetch_all(s.store.reader())
            .await?;
    let mut rules = Vec::with_capacity(rows.len());
    for r in rows {
        let rule: waas_core::automation::Rule =
            crate::host::store::stored(&col(&r, "body")?, "ledger record")?;
        rules.push(RuleOut::of(&rule)?);
    }
    Ok(Json(RuleList { rules }).into_response())
}

#[utoipa::path(post, path = "/v1/wallets/virtual/{id}/rules", operation_id = "virtual_wallets.rules.create", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The virtual wallet's id")),
    request_body(content = RuleCreate, example = json!({"on": "confirm", "token": "USDT", "action": {"type": "forward", "to": "vw_01HZX4", "percent": "100"}})),
    responses((status = 201, description = "The rule", body = RuleOut)))]
pub(crate) async fn add_rule(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::VirtualWalletsRulesCreate).await?;
    wallet_row(&s, &caller.client_id, &id, WalletKind::Virtual).await?;
    let mut v: Value = body(&bytes)?;
    let obj = v
        .as_object_mut()
        .ok_or_else(|| ApiError::bad_request("body: a rule is a JSON object"))?;
    if obj.contains_key("wallet") {
        return Err(ApiError::new(
            ErrorCode::InvalidRule,
            "the wallet is the one in the path",
        ));
    }
    if !obj.contains_key("rule") {
        obj.insert("rule".into(), Value::String(new_id("rule")));
    }
    obj.insert("wallet".into(), Value::String(id.clone()));
    let rule = waas_core::scenario::parse_rule(v)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    let target = waas_core::ledger::parts::rule_target(&rule).map(str::to_owned);
    w.need_wallets(&[&id, target.as_deref().unwrap_or(&id)])
        .await?;
    w.need_rule(&rule.id).await?;
    let rule = w.ledger.add_rule(rule)?;
    let out = RuleOut::of(&rule)?;
    finish(w, &None, StatusCode::CREATED, out, &s).await
}

#[utoipa::path(delete, path = "/v1/wallets/virtual/{id}/rules/{rule_id}", operation_id = "virtual_wallets.rules.delete", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The virtual wallet's id"),
        ("rule_id" = String, Path, description = "The rule's id")),
    responses((status = 200, description = "The rule removed", body = RuleRemoved)))]
pub(crate) async fn remove_rule(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((id, rule_id)): Path<(String, String)>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::VirtualWalletsRulesDelete).await?;
    wallet_row(&s, &caller.client_id, &id, WalletKind::Virtual).await?;
    let mut w = s.store.begin(&caller.client_id).await?;
    w.need_rule(&rule_id).await?;
    let rule = w.ledger.remove_wallet_rule(&id, &rule_id)?;
    finish(
        w,
        &None,
        StatusCode::OK,
        RuleRemoved {
            removed: RuleOut::of(&rule)?,
        },
        &s,
    )
    .await
}
