//! `POST /v1/wallets/virtual/batch`: up to [`MAX_BATCH`] virtual wallets of one account and chain
//! in one request, all or none, within the contracted limit; their addresses derived as one batch.

use super::schema::IdempotencyKey;
use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::idem;
use crate::host::api::extract::stored;
use crate::host::api::extract::Idem;
use crate::host::api::virtual_wallets::create::ensure_holding;
use crate::host::error::ApiError;
use crate::host::store::answer_of;
use crate::host::store::{col, new_id, now_ms, stored_text, Work};
use crate::host::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row as _;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::access::Operation;
use waas_core::ledger::WalletKind;
use waas_core::webhook::Event;
use waas_core::Blockchain;

type Shared = Arc<AppState>;

/// Most wallets one batch creates.
pub const MAX_BATCH: u32 = 10_000;

/// Wallet rows written per statement (9 columns each).
const ROWS_PER_INSERT: usize = 100;

/// The batch route.
pub fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new().routes(routes!(create_batch))
}

/// Wallets made by one request from which the database's planner statistics are refreshed.
const ANALYZE_AFTER: usize = 1_000;
/// Virtual wallets to make at once.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct BatchCreate {
    /// The account that owns them.
    #[schema(example = "acc_01HZX3")]
    account_id: String,
    /// Their blockchain.
    #[schema(example = "ethereum")]
    blockchain: String,
    /// How many (1 to 10,000).
    #[schema(minimum = 1, maximum = 10000, example = 100)]
    count: u32,
}

/// A virtual wallet made by a batch.
#[derive(Serialize, ToSchema)]
struct BatchWallet {
    /// Its id.
    id: String,
    /// Its deposit address.
    address: String,
    /// Its derivation index (consecutive within a batch).
    index: i64,
    /// Its blockchain.
    blockchain: String,
    /// The account that owns it.
    account_id: String,
    /// Always `null` (a batch gives no alias).
    #[schema(value_type = Option<String>)]
    alias: Option<String>,
    /// Always `active`.
    status: String,
}

/// The wallets of a batch, in the order of their indices.
#[derive(Serialize, ToSchema)]
struct BatchCreated {
    /// The wallets made.
    data: Vec<BatchWallet>,
}

#[utoipa::path(post, path = "/v1/wallets/virtual/batch", operation_id = "virtual_wallets.batch_create", tag = "virtual_wallets",
    params(IdempotencyKey),
    request_body(content = BatchCreate, example = json!({"account_id": "acc_01HZX3", "blockchain": "ethereum", "count": 100})),
    responses((status = 201, description = "The wallets made (all or none)", body = BatchCreated)))]
async fn create_batch(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let caller = auth(&s, &headers, Operation::VirtualWalletsBatchCreate).await?;
    let req: BatchCreate = body(&bytes)?;
    if !(1..=MAX_BATCH).contains(&req.count) {
        return Err(ApiError::bad_request(format!(
            "count must be 1 to {MAX_BATCH}"
        )));
    }
    let chain = s.store.registry().chain(&req.blockchain)?.clone();
    let idem = idem(&headers, Operation::VirtualWalletsBatchCreate.id(), &bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    if let Some((status, marker)) = stored(&mut w, &idem).await? {
        // The answer of a batch is its wallets, read back by the batch's id (the stored answer
        // would be too big for a row).
        let batch = stored_text(&marker, "batch_id", "batch answer")?.to_owned();
        drop(w);
        let data = listed(&s, &caller.client_id, &batch).await?;
        return Ok((status, Json(BatchCreated { data })).into_response());
    }
    let batch = new_id("batch");
    let wallets = make_wallets(&s, &mut w, &req, &chain).await?;
    insert(
        &mut w,
        &caller.client_id,
        &batch,
        &req.account_id,
        now_ms(),
        &wallets,
    )
    .await?;
    for wallet in &wallets {
        w.emit(Event::VirtualWalletCreated {
            id: wallet.id.clone(),
            answer: answer_of(wallet)?,
        })?;
    }
    finish(w, &idem, &batch).await?;
    if wallets.len() >= ANALYZE_AFTER {
        s.store.analyze_after_bulk(wallets.len()).await?;
    }
    s.outbox_notify.notify_one();
    if let Some(evm) = s.evm.as_ref().filter(|e| e.chain_id() == chain.id.as_str()) {
        for wallet in &wallets {
            evm.watch(
                &wallet.address,
                crate::host::evm::index::Watched {
                    client_id: caller.client_id.clone(),
                    wallet_id: wallet.id.clone(),
                    kind: WalletKind::Virtual,
                },
            );
        }
    }
    Ok((StatusCode::CREATED, Json(BatchCreated { data: wallets })).into_response())
}

/// The batch's wallets in the books, with consecutive derivation indices and their addresses
/// derived as one batch. The core checks the account, the chain and the contracted limit for
/// each wallet; the first refusal undoes the whole batch (the operation rolls back).
async fn make_wallets(
    s: &AppState,
    w: &mut Work,
    req: &BatchCreate,
    chain: &Blockchain,
) -> Result<Vec<BatchWallet>, ApiError> {
    // Ids share a random stem and end in the wallet's place in the batch, so that lists, which
    // order by (created_at, id), show a batch in the order it was made.
    let stem = new_id("vw");
    let stem = &stem[..stem.len() - 5];
    let mut ids = Vec::with_capacity(req.count as usize);
    w.need_account(&req.account_id).await?;
    for i in 0..req.count {
        let id = format!("{stem}{i:05x}");
        let created = w
            .ledger
            .create_virtual_wallet(&req.account_id, &id, chain.id.as_str())?;
        ids.push((id, created.index));
    }
    let (account, _) = ensure_holding(s, w, chain.id.as_str()).await?;
    let start = ids.first().map(|(_, index)| *index).unwrap_or_default();
    if ids.iter().enumerate().any(|(i, (_, index))| {
        u32::try_from(i).ok().and_then(|i| start.checked_add(i)) != Some(*index)
    }) {
        return Err(ApiError::internal(
            "the batch's derivation indices are not consecutive",
        ));
    }
    let addresses =
        s.keys
            .xpub(chain.family, account)?
            .derive_addresses(chain.family, start, req.count)?;
    Ok(ids
        .into_iter()
        .zip(&addresses)
        .map(|((id, index), address)| BatchWallet {
            id,
            address: address.to_string(),
            index: i64::from(index),
            blockchain: chain.id.as_str().to_owned(),
            account_id: req.account_id.clone(),
            alias: None,
            status: "active".to_owned(),
        })
        .collect())
}

/// Writes the batch's wallet rows, several per statement.
async fn insert(
    w: &mut Work,
    client: &str,
    batch: &str,
    account: &str,
    now: i64,
    wallets: &[BatchWallet],
) -> Result<(), ApiError> {
    for chunk in wallets.chunks(ROWS_PER_INSERT) {
        let or_fail = crate::host::sql::or_fail(w.conn().await?);
        let mut sql = format!("INSERT{or_fail} INTO wallets (id, client_id, account_id, kind, blockchain, address, derivation_index, created_at, batch_id) VALUES ");
        let mut marks = crate::host::sql::Marks::on(w.conn().await?);
        sql.push_str(&marks.rows_of(chunk.len(), |m| {
            format!("({}, 'virtual', {})", m.list(3), m.list(5))
        }));
        let mut q = sqlx::query(&sql);
        for wallet in chunk {
            q = q
                .bind(wallet.id.clone())
                .bind(client.to_owned())
                .bind(account.to_owned())
                .bind(wallet.blockchain.clone())
                .bind(wallet.address.clone())
                .bind(wallet.index)
                .bind(now)
                .bind(batch.to_owned());
        }
        q.execute(w.conn().await?).await?;
    }
    Ok(())
}

/// Commits, keeping under the Idempotency-Key only the batch's id.
async fn finish(mut w: Work, idem: &Option<Idem>, batch: &str) -> Result<(), ApiError> {
    if let Some(i) = idem {
        sqlx::query("INSERT INTO idempotency (client_id, key, request_hash, status, response, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(w.client_id.clone())
            .bind(i.key())
            .bind(i.hash())
            .bind(201_i64)
            .bind(json!({"batch_id": batch}).to_string())
            .bind(now_ms())
            .execute(w.conn().await?)
            .await?;
    }
    w.commit().await?;
    Ok(())
}

/// The wallets of a batch, as its answer listed them.
async fn listed(s: &AppState, client: &str, batch: &str) -> Result<Vec<BatchWallet>, ApiError> {
    let rows = sqlx::query("SELECT id, account_id, blockchain, address, derivation_index FROM wallets WHERE client_id = $1 AND batch_id = $2 ORDER BY derivation_index")
        .bind(client)
        .bind(batch)
        .fetch_all(s.store.reader())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(BatchWallet {
                id: col(r, "id")?,
                address: col(r, "address")?,
                index: r.try_get::<i64, _>("derivation_index")?,
                blockchain: col(r, "blockchain")?,
                account_id: col(r, "account_id")?,
                alias: None,
                status: "active".to_owned(),
            })
        })
        .collect()
}
