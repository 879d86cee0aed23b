//! Client management: the operations catalog, blockchains, configuration, contract, API keys and child clients.

use super::*;

/// Routes of this module.
pub(crate) fn management_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .route("/v1/management/operations", get(operations))
        .route("/v1/management/blockchains", get(blockchains))
        .route(
            "/v1/management/configurations",
            get(get_config).put(put_config),
        )
        .route(
            "/v1/management/contracted-products",
            get(get_contract).put(put_contract),
        )
        .route("/v1/management/api-keys", get(list_keys).post(create_key))
        .route("/v1/management/api-keys/{id}", delete(revoke_key))
        .route(
            "/v1/management/clients",
            get(list_clients).post(create_client),
        )
}

pub(crate) async fn operations(State(s): State<Shared>, headers: HeaderMap) -> ApiResult {
    auth(&s, &headers, "management.operations.list").await?;
    Ok(Json(json!({"operations": access::OPERATIONS})).into_response())
}

pub(crate) async fn blockchains(State(s): State<Shared>, headers: HeaderMap) -> ApiResult {
    auth(&s, &headers, "management.blockchains.list").await?;
    Ok(Json(json!({"blockchains": s.store.registry().chains()})).into_response())
}

/// The client's settings, read inside an operation (under the client's lock).
pub(crate) async fn settings_in(w: &mut Work) -> Result<Settings, ApiError> {
    let row = sqlx::query("SELECT body FROM settings WHERE client_id = $1")
        .bind(&w.client_id)
        .fetch_optional(&mut *w.tx)
        .await?;
    Ok(match row {
        Some(r) => Settings::from_body(&col(&r, "body")?, w.sealer())?,
        None => Settings::default(),
    })
}

/// Writes the client's settings inside an operation.
pub(crate) async fn save_settings_in(w: &mut Work, st: &Settings) -> Result<(), ApiError> {
    sqlx::query("UPDATE settings SET body = $1 WHERE client_id = $2")
        .bind(st.to_body(w.sealer())?)
        .bind(&w.client_id)
        .execute(&mut *w.tx)
        .await?;
    if st.webhook_url.is_some() {
        // Events kept while the client had no endpoint are due again.
        sqlx::query("UPDATE outbox SET next_attempt_at = $1 WHERE client_id = $2 AND delivered_at IS NULL AND next_attempt_at = $3")
            .bind(now_ms())
            .bind(&w.client_id)
            .bind(crate::host::webhooks::PARKED)
            .execute(&mut *w.tx)
            .await?;
    }
    Ok(())
}

pub(crate) async fn load_settings(s: &AppState, client_id: &str) -> Result<Settings, ApiError> {
    let row = sqlx::query("SELECT body FROM settings WHERE client_id = $1")
        .bind(client_id)
        .fetch_optional(s.store.reader())
        .await?;
    Ok(match row {
        Some(r) => Settings::from_body(&col(&r, "body")?, s.store.sealer())?,
        None => Settings::default(),
    })
}

pub(crate) fn settings_json(st: &Settings, ledger: &Ledger) -> Value {
    let c = ledger.config();
    json!({
        "webhook_url": st.webhook_url,
        "webhook_key_set": st.webhook_key.is_some(),
        "webhook_secret_set": st.webhook_secret.is_some(),
        "webhook_events": st.webhook_events.clone().unwrap_or_else(|| vec![crate::host::webhooks::subscriptions::ALL.to_owned()]),
        "webhook_disabled": Value::Null,
        "payment_addresses": st.payment_addresses,
        "usd_prices": st.usd_prices,
        "withdrawal_fees": st.withdrawal_fees,
        "withdrawal_allowlist": c.withdrawal_allowlist.as_ref().map(waas_core::allowlist::Allowlist::lists),
        "min_reserve_ratio": num(c.min_reserve_ratio),
        "min_deposit_usd": {
            "virtual_wallet": num(c.min_deposit_usd.virtual_wallet),
            "treasury": num(c.min_deposit_usd.treasury),
            "card": num(c.min_deposit_usd.card),
        },
    })
}

pub(crate) async fn get_config(State(s): State<Shared>, headers: HeaderMap) -> ApiResult {
    let caller = auth(&s, &headers, "management.configurations.get").await?;
    let st = load_settings(&s, &caller.client_id).await?;
    let ledger = s.store.read_ledger(&caller.client_id).await?;
    let mut out = settings_json(&st, &ledger);
    out["webhook_disabled"] = crate::host::webhooks::disabled_notice(&s, &caller.client_id).await?;
    Ok(Json(out).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MinDeposits {
    pub(crate) virtual_wallet: Option<String>,
    pub(crate) treasury: Option<String>,
    pub(crate) card: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigUpdate {
    pub(crate) webhook_url: Option<String>,
    pub(crate) webhook_key: Option<String>,
    pub(crate) webhook_secret: Option<String>,
    pub(crate) webhook_events: Option<Vec<String>>,
    pub(crate) payment_addresses: Option<BTreeMap<String, String>>,
    pub(crate) usd_prices: Option<BTreeMap<String, String>>,
    pub(crate) min_reserve_ratio: Option<String>,
    pub(crate) min_deposit_usd: Option<MinDeposits>,
    /// `{"blockchain": ["address", ...]}` turns the allowlist on (and replaces it); `null` turns
    /// it off.
    #[serde(default, with = "crate::host::edits::double_option")]
    pub(crate) withdrawal_allowlist: Option<Option<BTreeMap<String, Vec<String>>>>,
}

pub(crate) async fn put_config(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "management.configurations.update").await?;
    let u: ConfigUpdate = body(&bytes)?;
    let has_parent = !crate::host::api::ancestors(&s, &caller.client_id)
        .await?
        .unwrap_or_default()
        .is_empty();
    if has_parent && u.usd_prices.is_some() && caller.environment == Environment::Live {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "live prices are set by the parent client",
        ));
    }
    // Read, change and write the settings under the client's lock: concurrent updates of
    // different fields both land.
    let mut w = s.store.begin(&caller.client_id).await?;
    let mut st = settings_in(&mut w).await?;
    let registry = s.store.registry();
    if let Some(url) = u.webhook_url {
        crate::host::endpoint::check(&url, &s.endpoint_policy)?;
        st.webhook_url = Some(url);
    }
    if let Some(key) = u.webhook_key {
        if key.is_empty() {
            return Err(ApiError::bad_request("webhook_key cannot be empty"));
        }
        st.webhook_key = Some(key);
    }
    if let Some(secret) = u.webhook_secret {
        waas_core::webhook::WebhookSecret::parse(&secret)?;
        st.webhook_secret = Some(secret);
    }
    if let Some(events) = u.webhook_events {
        st.webhook_events = crate::host::webhooks::subscriptions::parse(&events)?;
    }
    if let Some(addresses) = u.payment_addresses {
        for (chain, address) in addresses {
            let c = registry.chain(&chain)?;
            let a = Address::parse(c.family, &address)?;
            st.payment_addresses.insert(c.id.to_string(), a.to_string());
        }
    }
    if let Some(prices) = u.usd_prices {
        for (token, price) in prices {
            let p = amount("usd_prices", &price)?;
            st.usd_prices
                .insert(token.to_ascii_uppercase(), p.to_string());
        }
    }
    let mut config = w.ledger.config().clone();
    if let Some(r) = u.min_reserve_ratio {
        let r = amount("min_reserve_ratio", &r)?.as_decimal();
        access::check_reserve_ratio(r, st.floor(has_parent))?;
        config.min_reserve_ratio = r;
    }
    if let Some(m) = u.min_deposit_usd {
        if let Some(v) = m.virtual_wallet {
            config.min_deposit_usd.virtual_wallet =
                amount("min_deposit_usd.virtual_wallet", &v)?.as_decimal();
        }
        if let Some(v) = m.treasury {
            config.min_deposit_usd.treasury = amount("min_deposit_usd.treasury", &v)?.as_decimal();
        }
        if let Some(v) = m.card {
            config.min_deposit_usd.card = amount("min_deposit_usd.card", &v)?.as_decimal();
        }
    }
    if let Some(list) = u.withdrawal_allowlist {
        config.withdrawal_allowlist = list
            .map(|l| waas_core::allowlist::Allowlist::new(registry, &l))
            .transpose()?;
    }
    w.ledger.set_config(config)?;
    // Saving the configuration re-enables a disabled webhook endpoint (its parked events are
    // due again).
    crate::host::webhooks::enable_in(&mut w.tx, &caller.client_id).await?;
    save_settings_in(&mut w, &st).await?;
    let out = settings_json(&st, &w.ledger);
    finish(w, &None, StatusCode::OK, out, &s).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContractUpdate {
    pub(crate) max_virtual_wallets: Option<u32>,
    pub(crate) max_cards: Option<u32>,
    pub(crate) max_treasury_wallets: Option<u32>,
}

/// A client's contract and its usage: the counters kept with its terms, and its virtual wallets
/// counted by their rows (`virtual_wallets`, inactive ones included).
pub(crate) fn contract_json(ledger: &Ledger, client: &str, virtual_wallets: i64) -> Value {
    let c = ledger.contract_of(client);
    let books = ledger.client_books(client).cloned().unwrap_or_default();
    let active = i64::from(books.active_virtual_wallets);
    json!({
        "max_virtual_wallets": c.max_virtual_wallets,
        "max_cards": c.max_cards,
        "max_treasury_wallets": c.max_treasury_wallets,
        "usage": {"active_virtual_wallets": active, "inactive_virtual_wallets": (virtual_wallets - active).max(0), "cards": books.cards, "treasury_wallets": books.treasuries},
    })
}

/// How many virtual wallets a client has (active or not).
pub(crate) async fn virtual_count(
    conn: &mut sqlx::AnyConnection,
    client: &str,
) -> Result<i64, ApiError> {
    let row =
        sqlx::query("SELECT COUNT(*) AS n FROM wallets WHERE client_id = $1 AND kind = 'virtual'")
            .bind(client)
            .fetch_one(conn)
            .await?;
    Ok(row.try_get::<i64, _>("n")?)
}

pub(crate) async fn get_contract(State(s): State<Shared>, headers: HeaderMap) -> ApiResult {
    let caller = auth(&s, &headers, "management.contracted_products.get").await?;
    let ledger = s.store.read_ledger(&caller.client_id).await?;
    let mut conn = s.store.reader().acquire().await?;
    let n = virtual_count(&mut conn, &caller.client_id).await?;
    Ok(Json(contract_json(&ledger, &caller.client_id, n)).into_response())
}

pub(crate) async fn put_contract(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "management.contracted_products.update").await?;
    let u: ContractUpdate = body(&bytes)?;
    // Only the root client sets its own; others' are set by the clients above them
    // (`PUT /v1/management/clients/{id}/contracted-products`).
    let up = crate::host::api::ancestors(&s, &caller.client_id)
        .await?
        .unwrap_or_default();
    access::check_policy_setter(&caller.client_id, &caller.client_id, &up)?;
    set_contract(&s, &caller.client_id, u).await
}

/// Sets a client's contracted products (the caller has been checked).
pub(crate) async fn set_contract(s: &AppState, client: &str, u: ContractUpdate) -> ApiResult {
    let mut w = s.store.begin(client).await?;
    let contract = Contract {
        max_virtual_wallets: u.max_virtual_wallets,
        max_cards: u.max_cards,
        max_treasury_wallets: u.max_treasury_wallets,
    };
    w.ledger.set_contract(client, contract)?;
    let n = virtual_count(&mut w.tx, client).await?;
    let out = contract_json(&w.ledger, client, n);
    finish(w, &None, StatusCode::OK, out, s).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeyCreate {
    pub(crate) permissions: Option<Vec<String>>,
    pub(crate) user_id: Option<String>,
    pub(crate) access_level_id: Option<String>,
}

/// The permissions of the access level of a user of `client` (`None`: the user has none);
/// NOT_FOUND when the client has no such user.
pub(crate) async fn user_level(
    s: &AppState,
    client: &str,
    user: &str,
) -> Result<Option<BTreeSet<Permission>>, ApiError> {
    let row = sqlx::query(
        "SELECT u.id, l.permissions AS level_permissions FROM users u \
         LEFT JOIN access_levels l ON l.id = u.access_level_id AND l.client_id = u.client_id \
         WHERE u.id = $1 AND u.client_id = $2",
    )
    .bind(user)
    .bind(client)
    .fetch_optional(s.store.reader())
    .await?
    .ok_or_else(|| ApiError::not_found(format!("no user {user}")))?;
    opt_col(&row, "level_permissions")?
        .map(|t| level_set(&t))
        .transpose()
}

/// The permissions of an access level of `client`; NOT_FOUND when the client has no such level.
pub(crate) async fn level_permissions(
    s: &AppState,
    client: &str,
    level: &str,
) -> Result<BTreeSet<Permission>, ApiError> {
    let row = sqlx::query("SELECT permissions FROM access_levels WHERE id = $1 AND client_id = $2")
        .bind(level)
        .bind(client)
        .fetch_optional(s.store.reader())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no access level {level}")))?;
    level_set(&col(&row, "permissions")?)
}

/// A key as listed and created: its binding, its ceiling and what it acts with now.
pub(crate) fn key_json(id: &str, rec: &StoredKey, acting: &BTreeSet<Permission>) -> Value {
    json!({
        "id": id,
        "hint": rec.hint,
        "environment": rec.environment,
        "revoked": rec.revoked,
        "user_id": rec.binding.user_id(),
        "access_level_id": rec.binding.access_level_id(),
        "permissions": acting,
        "ceiling": rec.permissions,
    })
}

/// `POST /v1/management/api-keys` with exactly one of `permissions` (a client key with those),
/// `user_id` (a key of a user, following the user's level) or `access_level_id` (a key following
/// that level); a bound key's ceiling is what the calling key holds.
pub(crate) async fn create_key(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "management.api_keys.create").await?;
    let req: KeyCreate = body(&bytes)?;
    let given = [
        req.permissions.is_some(),
        req.user_id.is_some(),
        req.access_level_id.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(ApiError::bad_request(
            "give exactly one of permissions, user_id, access_level_id",
        ));
    }
    let (ceiling, binding, level) = if let Some(user_id) = req.user_id {
        let level = user_level(&s, &caller.client_id, &user_id).await?;
        access::levels::check_bound_key(&caller.permissions, level.as_ref())?;
        (
            caller.permissions.clone(),
            KeyBinding::User { user_id },
            level,
        )
    } else if let Some(access_level_id) = req.access_level_id {
        let level = level_permissions(&s, &caller.client_id, &access_level_id).await?;
        access::levels::check_bound_key(&caller.permissions, Some(&level))?;
        (
            caller.permissions.clone(),
            KeyBinding::Level { access_level_id },
            Some(level),
        )
    } else {
        let asked = req.permissions.unwrap_or_default();
        if asked.is_empty() {
            return Err(ApiError::bad_request("permissions: give at least one"));
        }
        let perms = asked
            .iter()
            .map(|p| Permission::parse(p))
            .collect::<Result<Vec<_>, _>>()?;
        access::check_grantable(&caller.permissions, &perms)?;
        (perms.into_iter().collect(), KeyBinding::Client, None)
    };
    let (key, mut record) = access::new_key(caller.environment, ceiling)?;
    record.binding = binding;
    let mut tx = s.store.pool().begin().await?;
    let id = crate::host::insert_key(&mut tx, &caller.client_id, &record).await?;
    tx.commit().await?;
    let acting = access::effective_permissions(&record, level.as_ref());
    let mut out = key_json(&id, &record, &acting);
    out["key"] = json!(key.expose());
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

pub(crate) async fn list_keys(State(s): State<Shared>, headers: HeaderMap, q: PageQ) -> ApiResult {
    let caller = auth(&s, &headers, "management.api_keys.list").await?;
    let q = page::query(q)?;
    let (rows, next) = Page::new(q.limit, q.cursor.as_deref())?
        .fetch(
            s.store.reader(),
            &format!("SELECT * FROM ({KEYS_WITH_LEVELS}) keys WHERE client_id = $1"),
            &[&caller.client_id],
        )
        .await?;
    let mut keys = Vec::new();
    for r in rows {
        let rec: StoredKey = crate::host::store::stored(&col(&r, "record")?, "API key record")?;
        let level = opt_col(&r, "level_permissions")?
            .map(|t| level_set(&t))
            .transpose()?;
        let acting = access::effective_permissions(&rec, level.as_ref());
        keys.push(key_json(&col(&r, "id")?, &rec, &acting));
    }
    Ok(Json(page::answer(keys, next)).into_response())
}

pub(crate) async fn revoke_key(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "management.api_keys.revoke").await?;
    let row = sqlx::query("SELECT record FROM api_keys WHERE id = $1 AND client_id = $2")
        .bind(&id)
        .bind(&caller.client_id)
        .fetch_optional(s.store.reader())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no API key {id}")))?;
    let mut rec: StoredKey = crate::host::store::stored(&col(&row, "record")?, "API key record")?;
    rec.revoked = true;
    sqlx::query("UPDATE api_keys SET record = $1 WHERE id = $2")
        .bind(serde_json::to_string(&rec).map_err(|e| ApiError::internal(e.to_string()))?)
        .bind(&id)
        .execute(s.store.pool())
        .await?;
    s.key_cache.clear();
    Ok(Json(json!({"id": id, "revoked": true})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClientCreate {
    pub(crate) name: String,
    pub(crate) permissions: Option<Vec<String>>,
}

pub(crate) async fn create_client(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "management.clients.create").await?;
    let req: ClientCreate = body(&bytes)?;
    if req.name.trim().is_empty() || req.name.len() > 200 {
        return Err(ApiError::bad_request("name must be 1 to 200 characters"));
    }
    let asked = match req.permissions {
        Some(p) => Some(
            p.iter()
                .map(|p| Permission::parse(p))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    let perms = access::new_client_permissions(&caller.permissions, asked.as_deref())?;
    let (id, key) = crate::host::create_client(
        &s.store,
        Some(&caller.client_id),
        &req.name,
        caller.environment,
        perms.clone(),
        Settings::default(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "name": req.name, "parent_id": caller.client_id, "api_key": key.expose(), "permissions": perms})),
    )
        .into_response())
}

/// The caller's client and every client below it, in order of creation.
pub(crate) async fn list_clients(
    State(s): State<Shared>,
    headers: HeaderMap,
    q: PageQ,
) -> ApiResult {
    let caller = auth(&s, &headers, "management.clients.list").await?;
    let q = page::query(q)?;
    let (rows, next) = Page::new(q.limit, q.cursor.as_deref())?
        .fetch(
            s.store.reader(),
            "WITH RECURSIVE tree(id) AS (SELECT id FROM clients WHERE id = $1 \
             UNION ALL SELECT c.id FROM clients c JOIN tree t ON c.parent_id = t.id) \
             SELECT id, name, parent_id, created_at FROM clients WHERE id IN (SELECT id FROM tree)",
            &[&caller.client_id],
        )
        .await?;
    let mut out = Vec::new();
    for r in rows {
        out.push(json!({"id": col(&r, "id")?, "name": col(&r, "name")?, "parent_id": opt_col(&r, "parent_id")?, "created_at": r.try_get::<i64, _>("created_at")?}));
    }
    Ok(Json(page::answer(out, next)).into_response())
}
