//! Automation rules of virtual wallets.

use super::*;

/// Routes of this module.
pub(crate) fn rules_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .route(
            "/v1/wallets/virtual/{id}/rules",
            get(list_rules).post(add_rule),
        )
        .route(
            "/v1/wallets/virtual/{id}/rules/{rule_id}",
            delete(remove_rule),
        )
}

pub(crate) async fn list_rules(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "virtual_wallets.rules.list").await?;
    wallet_row(&s, &caller.client_id, &id, "virtual").await?;
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
        rules.push(waas_core::scenario::rule_json(&rule));
    }
    Ok(Json(json!({"rules": rules})).into_response())
}

pub(crate) async fn add_rule(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "virtual_wallets.rules.create").await?;
    wallet_row(&s, &caller.client_id, &id, "virtual").await?;
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
    let out = waas_core::scenario::rule_json(&rule);
    finish(w, &None, StatusCode::CREATED, out, &s).await
}

pub(crate) async fn remove_rule(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((id, rule_id)): Path<(String, String)>,
) -> ApiResult {
    let caller = auth(&s, &headers, "virtual_wallets.rules.delete").await?;
    wallet_row(&s, &caller.client_id, &id, "virtual").await?;
    let mut w = s.store.begin(&caller.client_id).await?;
    w.need_rule(&rule_id).await?;
    if !w
        .ledger
        .rules()
        .iter()
        .any(|r| *r.id == *rule_id && r.wallet == id)
    {
        return Err(ApiError::not_found(format!(
            "no rule {rule_id} on wallet {id}"
        )));
    }
    let rule = w.ledger.remove_rule(&rule_id)?;
    finish(
        w,
        &None,
        StatusCode::OK,
        json!({"removed": waas_core::scenario::rule_json(&rule)}),
        &s,
    )
    .await
}
