//! Client management: the operations catalog, blockchains, configuration, contract, API keys and child clients.

use super::*;

/// Routes of this module.
pub(crate) fn management_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(operations))
        .routes(routes!(blockchains))
        .routes(routes!(get_config, put_config))
        .routes(routes!(get_contract, put_contract))
        .routes(routes!(list_keys, create_key))
        .routes(routes!(revoke_key))
        .routes(routes!(list_clients, create_client))
}

/// A value of the core as its JSON text (e.g. an enum's serde name).
pub(crate) fn serde_text<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(t)) => t,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// Permissions as their names.
pub(crate) fn permission_names<'a>(p: impl IntoIterator<Item = &'a Permission>) -> Vec<String> {
    p.into_iter().map(|p| p.as_str().to_owned()).collect()
}

/// One operation of the API.
#[derive(Serialize, ToSchema)]
pub(crate) struct OperationOut {
    /// Its stable id, e.g. `virtual_wallets.create`.
    pub(crate) id: String,
    /// Its HTTP method.
    pub(crate) method: String,
    /// Its route, with `{placeholders}`.
    pub(crate) path: String,
    /// The permission a key needs, e.g. `WALLETS_WRITE`.
    pub(crate) permission: String,
    /// Whether only sandbox keys may call it (the simulator).
    pub(crate) sandbox_only: bool,
    /// What it does.
    pub(crate) description: String,
}

impl From<&access::ApiOperation> for OperationOut {
    fn from(o: &access::ApiOperation) -> OperationOut {
        OperationOut {
            id: o.id.to_owned(),
            method: o.method.to_owned(),
            path: o.path.to_owned(),
            permission: o.permission.as_str().to_owned(),
            sandbox_only: o.sandbox_only,
            description: o.description.to_owned(),
        }
    }
}

/// The catalog of operations.
#[derive(Serialize, ToSchema)]
pub(crate) struct Operations {
    /// Every operation of the API.
    pub(crate) operations: Vec<OperationOut>,
}

#[utoipa::path(get, path = "/v1/management/operations", operation_id = "management.operations.list", tag = "management",
    responses((status = 200, description = "The catalog of operations", body = Operations)))]
pub(crate) async fn operations(State(s): State<Shared>, headers: HeaderMap) -> ApiResult {
    auth(&s, &headers, "management.operations.list").await?;
    Ok(Json(Operations {
        operations: access::OPERATIONS.iter().map(OperationOut::from).collect(),
    })
    .into_response())
}

/// A blockchain the platform operates on.
#[derive(Serialize, ToSchema)]
pub(crate) struct BlockchainOut {
    /// Its registry key, e.g. `ethereum`.
    pub(crate) id: String,
    /// Its human name.
    pub(crate) name: String,
    /// Its address and key family: `evm` or `tron`.
    pub(crate) family: String,
    /// Its EIP-155 chain id (EVM chains).
    pub(crate) evm_chain_id: Option<u64>,
    /// The symbol of its native coin.
    pub(crate) native_symbol: String,
    /// The decimals of its native coin.
    pub(crate) native_decimals: u8,
    /// Blocks after which a deposit counts as final.
    pub(crate) confirmations: u32,
    /// Whether it is a test network.
    pub(crate) testnet: bool,
}

impl From<&waas_core::chain::Blockchain> for BlockchainOut {
    fn from(c: &waas_core::chain::Blockchain) -> BlockchainOut {
        BlockchainOut {
            id: c.id.to_string(),
            name: c.name.clone(),
            family: serde_text(&c.family),
            evm_chain_id: c.evm_chain_id,
            native_symbol: c.native_symbol.clone(),
            native_decimals: c.native_decimals,
            confirmations: c.confirmations,
            testnet: c.testnet,
        }
    }
}

/// The blockchains available.
#[derive(Serialize, ToSchema)]
pub(crate) struct Blockchains {
    /// In the registry's order.
    pub(crate) blockchains: Vec<BlockchainOut>,
}

#[utoipa::path(get, path = "/v1/management/blockchains", operation_id = "management.blockchains.list", tag = "management",
    responses((status = 200, description = "The blockchains available", body = Blockchains)))]
pub(crate) async fn blockchains(State(s): State<Shared>, headers: HeaderMap) -> ApiResult {
    auth(&s, &headers, "management.blockchains.list").await?;
    Ok(Json(Blockchains {
        blockchains: s
            .store
            .registry()
            .chains()
            .iter()
            .map(BlockchainOut::from)
            .collect(),
    })
    .into_response())
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

/// A withdrawal fee schedule: `fixed` token units plus `percent` of the amount.
#[derive(Serialize, ToSchema)]
pub(crate) struct FeeOut {
    /// Fixed part, in token units.
    #[schema(example = "1")]
    pub(crate) fixed: String,
    /// Percentage of the amount (0 to 100).
    #[schema(example = "0.5")]
    pub(crate) percent: String,
}

impl From<&waas_core::fees::FeeSchedule> for FeeOut {
    fn from(f: &waas_core::fees::FeeSchedule) -> FeeOut {
        FeeOut {
            fixed: f.fixed.to_string(),
            percent: f.percent.to_string(),
        }
    }
}

/// The least USD value of a deposit, by kind of destination.
#[derive(Serialize, ToSchema)]
pub(crate) struct MinDepositsOut {
    /// Into a virtual wallet.
    pub(crate) virtual_wallet: String,
    /// Into a treasury wallet.
    pub(crate) treasury: String,
    /// Onto a card.
    pub(crate) card: String,
}

/// Why and when the webhook endpoint was disabled (after failing deliveries).
#[derive(Serialize, Deserialize, ToSchema)]
pub(crate) struct WebhookDisabled {
    /// When (milliseconds since the epoch).
    pub(crate) at: i64,
    /// Why.
    pub(crate) reason: String,
}

/// The company configuration. Secrets are never shown: only whether they are set.
#[derive(Serialize, ToSchema)]
pub(crate) struct ConfigOut {
    /// Where webhooks are sent.
    pub(crate) webhook_url: Option<String>,
    /// Whether a webhook key (sent with each delivery) is set.
    pub(crate) webhook_key_set: bool,
    /// Whether a webhook signing secret is set.
    pub(crate) webhook_secret_set: bool,
    /// The events subscribed to (`*` for all).
    pub(crate) webhook_events: Vec<String>,
    /// Set when the endpoint was disabled after failing deliveries (saving the configuration
    /// enables it again); `null` otherwise (and always in the answer of an update).
    pub(crate) webhook_disabled: Option<WebhookDisabled>,
    /// Payment addresses by blockchain.
    pub(crate) payment_addresses: BTreeMap<String, String>,
    /// USD prices by token symbol, as decimal strings.
    pub(crate) usd_prices: BTreeMap<String, String>,
    /// Withdrawal fee schedules by `blockchain/TOKEN`.
    pub(crate) withdrawal_fees: BTreeMap<String, FeeOut>,
    /// The withdrawal allowlist (addresses by blockchain); `null` when withdrawals may go
    /// anywhere.
    pub(crate) withdrawal_allowlist: Option<BTreeMap<String, Vec<String>>>,
    /// The least ratio of reserves to liabilities.
    #[schema(example = "1")]
    pub(crate) min_reserve_ratio: String,
    /// The least USD value of a deposit.
    pub(crate) min_deposit_usd: MinDepositsOut,
}

/// The configuration the settings and the ledger's configuration make.
pub(crate) fn config_out(st: &Settings, ledger: &Ledger) -> ConfigOut {
    let c = ledger.config();
    ConfigOut {
        webhook_url: st.webhook_url.clone(),
        webhook_key_set: st.webhook_key.is_some(),
        webhook_secret_set: st.webhook_secret.is_some(),
        webhook_events: st
            .webhook_events
            .clone()
            .unwrap_or_else(|| vec![crate::host::webhooks::subscriptions::ALL.to_owned()]),
        webhook_disabled: None,
        payment_addresses: st.payment_addresses.clone(),
        usd_prices: st.usd_prices.clone(),
        withdrawal_fees: st
            .withdrawal_fees
            .iter()
            .map(|(k, f)| (k.clone(), FeeOut::from(f)))
            .collect(),
        withdrawal_allowlist: c.withdrawal_allowlist.as_ref().map(|a| {
            a.lists()
                .iter()
                .map(|(k, v)| (k.clone(), v.iter().cloned().collect()))
                .collect()
        }),
        min_reserve_ratio: num(c.min_reserve_ratio),
        min_deposit_usd: MinDepositsOut {
            virtual_wallet: num(c.min_deposit_usd.virtual_wallet),
            treasury: num(c.min_deposit_usd.treasury),
            card: num(c.min_deposit_usd.card),
        },
    }
}

/// [`config_out`] as JSON.
pub(crate) fn settings_json(st: &Settings, ledger: &Ledger) -> Value {
    json!(config_out(st, ledger))
}

#[utoipa::path(get, path = "/v1/management/configurations", operation_id = "management.configurations.get", tag = "management",
    responses((status = 200, description = "The company configuration", body = ConfigOut)))]
pub(crate) async fn get_config(State(s): State<Shared>, headers: HeaderMap) -> ApiResult {
    let caller = auth(&s, &headers, "management.configurations.get").await?;
    let st = load_settings(&s, &caller.client_id).await?;
    let ledger = s.store.read_ledger(&caller.client_id).await?;
    let mut out = config_out(&st, &ledger);
    let notice = crate::host::webhooks::disabled_notice(&s, &caller.client_id).await?;
    out.webhook_disabled =
        serde_json::from_value(notice).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Json(out).into_response())
}

/// New least USD values of deposits (each optional), as decimal strings.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MinDeposits {
    /// Into a virtual wallet.
    #[schema(example = "10")]
    pub(crate) virtual_wallet: Option<String>,
    /// Into a treasury wallet.
    pub(crate) treasury: Option<String>,
    /// Onto a card.
    pub(crate) card: Option<String>,
}

/// What to change in the company configuration; absent fields keep their value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigUpdate {
    /// Where webhooks are sent (an https URL the host's endpoint policy accepts).
    #[schema(example = "https://example.com/hooks")]
    pub(crate) webhook_url: Option<String>,
    /// A key sent with each delivery (not empty).
    pub(crate) webhook_key: Option<String>,
    /// The signing secret of webhooks.
    pub(crate) webhook_secret: Option<String>,
    /// The events to subscribe to (`*` for all).
    pub(crate) webhook_events: Option<Vec<String>>,
    /// Payment addresses by blockchain (merged into the present ones).
    pub(crate) payment_addresses: Option<BTreeMap<String, String>>,
    /// USD prices by token symbol, as decimal strings (merged; a live client with a parent
    /// cannot set them).
    pub(crate) usd_prices: Option<BTreeMap<String, String>>,
    /// The least ratio of reserves to liabilities (not under the floor a parent set).
    #[schema(example = "1.1")]
    pub(crate) min_reserve_ratio: Option<String>,
    /// The least USD values of deposits.
    pub(crate) min_deposit_usd: Option<MinDeposits>,
    /// `{"blockchain": ["address", ...]}` turns the allowlist on (and replaces it); `null` turns
    /// it off.
    #[serde(default, with = "crate::host::edits::double_option")]
    #[schema(value_type = Option<BTreeMap<String, Vec<String>>>)]
    pub(crate) withdrawal_allowlist: Option<Option<BTreeMap<String, Vec<String>>>>,
}

#[utoipa::path(put, path = "/v1/management/configurations", operation_id = "management.configurations.update", tag = "management",
    request_body(content = ConfigUpdate, example = json!({"webhook_url": "https://example.com/hooks", "usd_prices": {"ETH": "3000"}, "min_deposit_usd": {"virtual_wallet": "10"}})),
    responses((status = 200, description = "The company configuration as it is now", body = ConfigOut)))]
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
    let out = config_out(&st, &w.ledger);
    finish(w, &None, StatusCode::OK, out, &s).await
}

/// Contracted limits; an absent (or `null`) limit is no limit.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContractUpdate {
    /// Active virtual wallets.
    #[schema(value_type = Option<u64>, maximum = 4294967295_u64, example = 1000)]
    pub(crate) max_virtual_wallets: Option<u32>,
    /// Cards and virtual cards.
    #[schema(value_type = Option<u64>, maximum = 4294967295_u64, example = 100)]
    pub(crate) max_cards: Option<u32>,
    /// Treasury wallets.
    #[schema(value_type = Option<u64>, maximum = 4294967295_u64, example = 5)]
    pub(crate) max_treasury_wallets: Option<u32>,
}

/// What a client uses of its contract.
#[derive(Serialize, ToSchema)]
pub(crate) struct ContractUsage {
    /// Active virtual wallets.
    pub(crate) active_virtual_wallets: i64,
    /// Inactive virtual wallets.
    pub(crate) inactive_virtual_wallets: i64,
    /// Cards and virtual cards.
    pub(crate) cards: u32,
    /// Treasury wallets.
    pub(crate) treasury_wallets: u32,
}

/// A client's contracted limits (`null`: no limit) and its usage.
#[derive(Serialize, ToSchema)]
pub(crate) struct ContractOut {
    /// Active virtual wallets.
    pub(crate) max_virtual_wallets: Option<u32>,
    /// Cards and virtual cards.
    pub(crate) max_cards: Option<u32>,
    /// Treasury wallets.
    pub(crate) max_treasury_wallets: Option<u32>,
    /// What it uses.
    pub(crate) usage: ContractUsage,
}

/// A client's contract and its usage: the counters kept with its terms, and its virtual wallets
/// counted by their rows (`virtual_wallets`, inactive ones included).
pub(crate) fn contract_out(ledger: &Ledger, client: &str, virtual_wallets: i64) -> ContractOut {
    let c = ledger.contract_of(client);
    let books = ledger.client_books(client).cloned().unwrap_or_default();
    let active = i64::from(books.active_virtual_wallets);
    ContractOut {
        max_virtual_wallets: c.max_virtual_wallets,
        max_cards: c.max_cards,
        max_treasury_wallets: c.max_treasury_wallets,
        usage: ContractUsage {
            active_virtual_wallets: active,
            inactive_virtual_wallets: (virtual_wallets - active).max(0),
            cards: books.cards,
            treasury_wallets: books.treasuries,
        },
    }
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

#[utoipa::path(get, path = "/v1/management/contracted-products", operation_id = "management.contracted_products.get", tag = "management",
    responses((status = 200, description = "The contracted limits and their usage", body = ContractOut)))]
pub(crate) async fn get_contract(State(s): State<Shared>, headers: HeaderMap) -> ApiResult {
    let caller = auth(&s, &headers, "management.contracted_products.get").await?;
    let ledger = s.store.read_ledger(&caller.client_id).await?;
    let mut conn = s.store.reader().acquire().await?;
    let n = virtual_count(&mut conn, &caller.client_id).await?;
    Ok(Json(contract_out(&ledger, &caller.client_id, n)).into_response())
}

#[utoipa::path(put, path = "/v1/management/contracted-products", operation_id = "management.contracted_products.update", tag = "management",
    request_body(content = ContractUpdate, example = json!({"max_virtual_wallets": 1000, "max_cards": 100, "max_treasury_wallets": 5})),
    responses((status = 200, description = "The contracted limits as they are now, with their usage", body = ContractOut)))]
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
    let out = contract_out(&w.ledger, client, n);
    finish(w, &None, StatusCode::OK, out, s).await
}

/// A new API key: give exactly one of `permissions`, `user_id`, `access_level_id` (its schema,
/// a `oneOf` of the three, is [`KeyCreate::schema`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeyCreate {
    /// A client key with these permissions (each held by the calling key).
    pub(crate) permissions: Option<Vec<String>>,
    /// A key of this user, acting with the user's access level.
    pub(crate) user_id: Option<String>,
    /// A key following this access level.
    pub(crate) access_level_id: Option<String>,
}

impl utoipa::PartialSchema for KeyCreate {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::AdditionalProperties;
        use utoipa::openapi::{ObjectBuilder, OneOfBuilder, Type};
        let null = || ObjectBuilder::new().schema_type(Type::Null);
        let id = |what: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(what.to_owned()))
        };
        let permissions = || {
            utoipa::openapi::ArrayBuilder::new()
                .items(PermissionName::schema())
                .min_items(Some(1))
                .description(Some(
                    "A client key with these permissions (each held by the calling key)",
                ))
        };
        let variant = |field: &str| {
            let mut o = ObjectBuilder::new()
                .schema_type(Type::Object)
                .additional_properties(Some(AdditionalProperties::FreeForm(false)))
                .required(field);
            for other in ["permissions", "user_id", "access_level_id"] {
                o = match (other == field, other) {
                    (true, "permissions") => o.property(other, permissions()),
                    (true, "user_id") => o.property(
                        other,
                        id("A key of this user, acting with the user's access level"),
                    ),
                    (true, _) => o.property(other, id("A key following this access level")),
                    (false, _) => o.property(other, null()),
                };
            }
            o
        };
        OneOfBuilder::new()
            .item(variant("permissions"))
            .item(variant("user_id"))
            .item(variant("access_level_id"))
            .description(Some(
                "A new API key: exactly one of permissions, user_id, access_level_id",
            ))
            .into()
    }
}

impl ToSchema for KeyCreate {}

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

/// An API key (never its secret): its binding, its ceiling and what it acts with now.
#[derive(Serialize, ToSchema)]
pub(crate) struct KeyOut {
    /// Its id.
    pub(crate) id: String,
    /// A non-secret hint: the prefix and the first 8 characters, e.g. `waas_live_1a2b3c4d`.
    #[schema(example = "waas_live_1a2b3c4d")]
    pub(crate) hint: String,
    /// `sandbox` or `live`.
    pub(crate) environment: String,
    /// Whether it is revoked.
    pub(crate) revoked: bool,
    /// The user it belongs to, if any (it acts with the user's access level).
    pub(crate) user_id: Option<String>,
    /// The access level it follows, if any.
    pub(crate) access_level_id: Option<String>,
    /// What it acts with now.
    pub(crate) permissions: Vec<String>,
    /// The most it may act with.
    pub(crate) ceiling: Vec<String>,
}

/// A key as listed and created.
pub(crate) fn key_out(id: &str, rec: &StoredKey, acting: &BTreeSet<Permission>) -> KeyOut {
    KeyOut {
        id: id.to_owned(),
        hint: rec.hint.clone(),
        environment: rec.environment.as_str().to_owned(),
        revoked: rec.revoked,
        user_id: rec.binding.user_id().map(str::to_owned),
        access_level_id: rec.binding.access_level_id().map(str::to_owned),
        permissions: permission_names(acting),
        ceiling: permission_names(&rec.permissions),
    }
}

/// A new API key, with its secret shown this once.
#[derive(Serialize, ToSchema)]
pub(crate) struct KeyCreated {
    /// The key.
    #[serde(flatten)]
    pub(crate) key: KeyOut,
    /// The API key itself (send it as `X-API-Key`): shown in this answer only, never again.
    #[serde(rename = "key")]
    #[schema(rename = "key")]
    pub(crate) secret: String,
}

/// `POST /v1/management/api-keys` with exactly one of `permissions` (a client key with those),
/// `user_id` (a key of a user, following the user's level) or `access_level_id` (a key following
/// that level); a bound key's ceiling is what the calling key holds.
#[utoipa::path(post, path = "/v1/management/api-keys", operation_id = "management.api_keys.create", tag = "management",
    request_body(content = KeyCreate, example = json!({"permissions": ["WALLETS_READ", "ACCOUNTS_READ"]})),
    responses((status = 201, description = "The key, with its secret shown this once", body = KeyCreated)))]
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
    let out = KeyCreated {
        key: key_out(&id, &record, &acting),
        secret: key.expose().to_owned(),
    };
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

#[utoipa::path(get, path = "/v1/management/api-keys", operation_id = "management.api_keys.list", tag = "management",
    params(PageQuery),
    responses((status = 200, description = "A page of API keys (hints only), oldest first", body = Listed<KeyOut>)))]
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
        keys.push(key_out(&col(&r, "id")?, &rec, &acting));
    }
    Ok(Json(Listed::new(keys, next)).into_response())
}

/// A revoked API key.
#[derive(Serialize, ToSchema)]
pub(crate) struct Revoked {
    /// The key's id.
    pub(crate) id: String,
    /// Always `true`.
    pub(crate) revoked: bool,
}

#[utoipa::path(delete, path = "/v1/management/api-keys/{id}", operation_id = "management.api_keys.revoke", tag = "management",
    params(("id" = String, Path, description = "The API key's id")),
    responses((status = 200, description = "The key is revoked", body = Revoked)))]
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
    Ok(Json(Revoked { id, revoked: true }).into_response())
}

/// A new client below the caller's.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClientCreate {
    /// Its name (1 to 200 characters).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\t\n\x0B\f\r ]",
        example = "Shop Ltd"
    )]
    pub(crate) name: String,
    /// The permissions of its first API key (each held by the calling key); the caller's when
    /// absent.
    #[schema(value_type = Option<Vec<PermissionName>>, min_items = 1, example = json!(["WALLETS_READ", "WALLETS_WRITE"]))]
    pub(crate) permissions: Option<Vec<String>>,
}

/// A new client, with its first API key shown this once.
#[derive(Serialize, ToSchema)]
pub(crate) struct ClientCreated {
    /// Its id (`cli_...`).
    pub(crate) id: String,
    /// Its name.
    pub(crate) name: String,
    /// The client above it (the caller's).
    pub(crate) parent_id: String,
    /// Its first API key: shown in this answer only, never again.
    pub(crate) api_key: String,
    /// The permissions of that key.
    pub(crate) permissions: Vec<String>,
}

/// A client.
#[derive(Serialize, ToSchema)]
pub(crate) struct ClientOut {
    /// Its id (`cli_...`).
    pub(crate) id: String,
    /// Its name.
    pub(crate) name: String,
    /// The client above it; `null` for a root client.
    pub(crate) parent_id: Option<String>,
    /// Created at (milliseconds since the epoch).
    pub(crate) created_at: i64,
}

impl ClientOut {
    /// A client from its row (`id`, `name`, `parent_id`, `created_at`).
    pub(crate) fn of(r: &sqlx::any::AnyRow) -> Result<ClientOut, ApiError> {
        Ok(ClientOut {
            id: col(r, "id")?,
            name: col(r, "name")?,
            parent_id: opt_col(r, "parent_id")?,
            created_at: r.try_get::<i64, _>("created_at")?,
        })
    }
}

#[utoipa::path(post, path = "/v1/management/clients", operation_id = "management.clients.create", tag = "management",
    request_body(content = ClientCreate, example = json!({"name": "Shop Ltd", "permissions": ["WALLETS_READ", "WALLETS_WRITE"]})),
    responses((status = 201, description = "The client, with its first API key shown this once", body = ClientCreated)))]
pub(crate) async fn create_client(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "management.clients.create").await?;
    let req: ClientCreate = body(&bytes)?;
    name_ok("name", &req.name)?;
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
    let out = ClientCreated {
        id,
        name: req.name,
        parent_id: caller.client_id,
        api_key: key.expose().to_owned(),
        permissions: permission_names(&perms),
    };
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

#[utoipa::path(get, path = "/v1/management/clients", operation_id = "management.clients.list", tag = "management",
    params(PageQuery),
    responses((status = 200, description = "A page of clients: the caller's and those below it, oldest first", body = Listed<ClientOut>)))]
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
        out.push(ClientOut::of(&r)?);
    }
    Ok(Json(Listed::new(out, next)).into_response())
}
