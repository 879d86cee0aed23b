//! Storage: the database is the source of truth. Each operation is one database transaction that
//! locks the client's ledger row, restores the core ledger, asks the core, and writes the new
//! state, transaction rows, settled records and outbox events before it commits.

use super::error::ApiError;
use serde_json::Value;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use waas_core::ledger::{Ledger, Movement, Settled};
use waas_core::Registry;

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file (embedded default): one connection, writes serialize in process.
    Sqlite,
    /// PostgreSQL: row locks (`FOR UPDATE`) serialize the operations of one client across hosts.
    Postgres,
}

/// The connection pool and its backend.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The blockchains and tokens every ledger of this host is restored over (the built-in
    /// registry plus what was registered at start, e.g. a local EVM chain and its tokens).
    registry: Arc<Registry>,
}

/// Milliseconds since the Unix epoch (the host's clock; the core never reads one).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A new random id with a readable prefix.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

impl Store {
    /// Opens (creating if needed) the database and runs the migrations.
    pub async fn open(url: &str) -> Result<Store, ApiError> {
        sqlx::any::install_default_drivers();
        let (url, backend) = if url.starts_with("sqlite:") {
            let url = if url.contains("mode=") {
                url.to_owned()
            } else if url.contains('?') {
                format!("{url}&mode=rwc")
            } else {
                format!("{url}?mode=rwc")
            };
            (url, Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            (url.to_owned(), Backend::Postgres)
        } else {
            return Err(ApiError::config(format!(
                "database URL must start with sqlite:// or postgres:// (got {url:?})"
            )));
        };
        let options = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 1 } else { 16 })
            .acquire_timeout(std::time::Duration::from_secs(30));
        let options = if backend == Backend::Sqlite {
            options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    // WAL with FULL sync: every commit is on disk before the answer goes out.
                    for pragma in [
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA synchronous = FULL",
                        "PRAGMA busy_timeout = 10000",
                        "PRAGMA foreign_keys = ON",
                    ] {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
        } else {
            options
        };
        let pool = options
            .connect(&url)
            .await
            .map_err(|e| ApiError::config(format!("cannot open database: {e}")))?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| ApiError::config(format!("migration failed: {e}")))?;
        Ok(Store {
            pool,
            backend,
            registry: Arc::new(Registry::builtin()),
        })
    }

    /// The same store over another registry (set once at start, before the host serves).
    pub fn with_registry(mut self, registry: Registry) -> Store {
        self.registry = Arc::new(registry);
        self
    }

    /// The registry of blockchains and tokens of this host.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The pool, for reads outside an operation.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts an operation on a client's books: locks and restores its ledger.
    pub async fn begin(&self, client_id: &str) -> Result<Work, ApiError> {
        let mut tx = self.pool.begin().await?;
        let lock = if self.backend == Backend::Postgres {
            " FOR UPDATE"
        } else {
            ""
        };
        let row = sqlx::query(&format!(
            "SELECT state, version FROM ledgers WHERE client_id = $1{lock}"
        ))
        .bind(client_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no client {client_id}")))?;
        let state: String = row.try_get("state")?;
        let version: i64 = row.try_get("version")?;
        let ledger = Ledger::restore(&state, Registry::clone(&self.registry))?;
        Ok(Work {
            tx,
            client_id: client_id.to_owned(),
            ledger,
            version,
            events: Vec::new(),
            seq: 0,
        })
    }

    /// Reads a client's ledger without locking (for reports).
    pub async fn read_ledger(&self, client_id: &str) -> Result<Ledger, ApiError> {
        let row = sqlx::query("SELECT state FROM ledgers WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no client {client_id}")))?;
        let state: String = row.try_get("state")?;
        Ok(Ledger::restore(&state, Registry::clone(&self.registry))?)
    }
}

/// One operation in progress: a database transaction holding the client's ledger.
pub struct Work {
    /// The open database transaction.
    pub tx: sqlx::Transaction<'static, sqlx::Any>,
    /// The client whose books are locked.
    pub client_id: String,
    /// The client's ledger, as of the lock.
    pub ledger: Ledger,
    version: i64,
    events: Vec<Value>,
    seq: i64,
}

impl Work {
    /// The next sequence number of this operation (orders transactions and events per client).
    pub fn next_seq(&mut self) -> i64 {
        self.seq += 1;
        (self.version + 1) * 1000 + self.seq
    }

    /// Queues a webhook event (an envelope built and checked by the core) for the outbox.
    pub fn event(
        &mut self,
        operation: &str,
        sub_operation: &str,
        operation_id: &str,
        status: waas_core::webhook::Status,
        reason: Option<&str>,
        data: Value,
    ) -> Result<(), ApiError> {
        let data = match data {
            Value::Object(map) => map,
            other => {
                let mut map = serde_json::Map::new();
                map.insert("value".into(), other);
                map
            }
        };
        let envelope = waas_core::webhook::Envelope::new(
            operation,
            sub_operation,
            operation_id,
            status,
            reason,
            data,
        )?;
        self.events
            .push(serde_json::to_value(&envelope).map_err(|e| ApiError::internal(e.to_string()))?);
        Ok(())
    }

    /// Gives a settled movement back to the core before a retry of `id` (if the id is known).
    pub async fn remember_movement(&mut self, id: &str) -> Result<(), ApiError> {
        if let Some(body) = self.record("movement", id).await? {
            let m: Movement =
                serde_json::from_str(&body).map_err(|e| ApiError::internal(e.to_string()))?;
            self.ledger.remember_movement(id.to_owned(), m);
        }
        Ok(())
    }

    /// Gives a settled sweep back to the core before a retry.
    pub async fn remember_sweep(&mut self, tx: &str) -> Result<(), ApiError> {
        if let Some(body) = self.record("sweep", tx).await? {
            let m: Movement =
                serde_json::from_str(&body).map_err(|e| ApiError::internal(e.to_string()))?;
            self.ledger.remember_sweep(tx.to_owned(), m);
        }
        Ok(())
    }

    /// Gives a settled deposit back to the core before a retry or a late confirm/drop.
    pub async fn remember_deposit(&mut self, tx: &str) -> Result<(), ApiError> {
        if let Some(body) = self.record("deposit", tx).await? {
            let d = serde_json::from_str(&body).map_err(|e| ApiError::internal(e.to_string()))?;
            self.ledger.remember_deposit(d);
        }
        Ok(())
    }

    async fn record(&mut self, kind: &str, key: &str) -> Result<Option<String>, ApiError> {
        let row =
            sqlx::query("SELECT body FROM records WHERE client_id = $1 AND kind = $2 AND key = $3")
                .bind(&self.client_id)
                .bind(kind)
                .bind(key)
                .fetch_optional(&mut *self.tx)
                .await?;
        Ok(match row {
            Some(r) => Some(r.try_get("body")?),
            None => None,
        })
    }

    /// Records a transaction row (deposits, movements), or updates its status when it exists.
    #[allow(clippy::too_many_arguments)]
    pub async fn upsert_transaction(
        &mut self,
        id: &str,
        wallet_id: Option<&str>,
        kind: &str,
        status: &str,
        token: Option<&str>,
        amount: Option<&str>,
        body: &Value,
    ) -> Result<(), ApiError> {
        let now = now_ms();
        let updated = sqlx::query("UPDATE transactions SET status = $1, updated_at = $2, body = $3 WHERE id = $4 AND client_id = $5")
            .bind(status)
            .bind(now)
            .bind(body.to_string())
            .bind(id)
            .bind(&self.client_id)
            .execute(&mut *self.tx)
            .await?;
        if updated.rows_affected() == 0 {
            let seq = self.next_seq();
            sqlx::query("INSERT INTO transactions (id, client_id, seq, wallet_id, type, status, token, amount, created_at, updated_at, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
                .bind(id)
                .bind(&self.client_id)
                .bind(seq)
                .bind(wallet_id)
                .bind(kind)
                .bind(status)
                .bind(token)
                .bind(amount)
                .bind(now)
                .bind(now)
                .bind(body.to_string())
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    /// Records the receiving wallet of a transaction, so that it lists under both wallets.
    pub async fn set_counterparty(&mut self, id: &str, wallet: &str) -> Result<(), ApiError> {
        sqlx::query(
            "UPDATE transactions SET counterparty_id = $1 WHERE id = $2 AND client_id = $3",
        )
        .bind(wallet)
        .bind(id)
        .bind(&self.client_id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Writes the ledger, settled records and events, then commits.
    pub async fn commit(mut self) -> Result<(), ApiError> {
        let Settled {
            movements,
            sweeps,
            deposits,
        } = self.ledger.take_settled();
        // Movements made by automation rules (ids `rule:RULE:TX`) have no handler of their own to
        // list them: record their transaction rows here, like the handlers do for theirs.
        for (id, m) in movements.iter().filter(|(id, _)| id.starts_with("rule:")) {
            let (wallet, kind, status, token, amount, body) = match m {
                Movement::Transfer {
                    from,
                    to,
                    token,
                    amount,
                } => (
                    from,
                    "transfer",
                    "completed",
                    token,
                    amount,
                    serde_json::json!({"id": id, "type": "transfer", "from_wallet_id": from, "to_wallet_id": to, "token": token, "amount": amount.to_string(), "status": "completed", "automation": true}),
                ),
                Movement::Withdraw {
                    from,
                    to_address,
                    token,
                    amount,
                    fee,
                } => (
                    from,
                    "withdrawal",
                    "submitted",
                    token,
                    amount,
                    serde_json::json!({"id": id, "type": "withdrawal", "wallet_id": from, "to_address": to_address, "token": token, "amount": amount.to_string(), "fee": fee.to_string(), "status": "submitted", "automation": true}),
                ),
                _ => continue,
            };
            let amount = amount.to_string();
            self.upsert_transaction(
                id,
                Some(wallet),
                kind,
                status,
                Some(token),
                Some(&amount),
                &body,
            )
            .await?;
            if let Movement::Transfer { to, .. } = m {
                self.set_counterparty(id, to).await?;
            }
        }
        for (kind, key, body) in movements
            .iter()
            .map(|(id, m)| ("movement", id.clone(), serde_json::to_string(m)))
            .chain(
                sweeps
                    .iter()
                    .map(|(tx, m)| ("sweep", tx.clone(), serde_json::to_string(m))),
            )
            .chain(
                deposits
                    .iter()
                    .map(|d| ("deposit", d.request.tx.clone(), serde_json::to_string(d))),
            )
        {
            let body = body.map_err(|e| ApiError::internal(e.to_string()))?;
            sqlx::query("DELETE FROM records WHERE client_id = $1 AND kind = $2 AND key = $3")
                .bind(&self.client_id)
                .bind(kind)
                .bind(&key)
                .execute(&mut *self.tx)
                .await?;
            sqlx::query("INSERT INTO records (client_id, kind, key, body) VALUES ($1, $2, $3, $4)")
                .bind(&self.client_id)
                .bind(kind)
                .bind(&key)
                .bind(body)
                .execute(&mut *self.tx)
                .await?;
        }
        let now = now_ms();
        let events = std::mem::take(&mut self.events);
        for event in events {
            let seq = self.next_seq();
            sqlx::query("INSERT INTO outbox (id, client_id, seq, event, created_at, attempts, next_attempt_at) VALUES ($1, $2, $3, $4, $5, 0, $6)")
                .bind(new_id("evt"))
                .bind(&self.client_id)
                .bind(seq)
                .bind(event.to_string())
                .bind(now)
                .bind(now)
                .execute(&mut *self.tx)
                .await?;
        }
        let state = self.ledger.save()?;
        sqlx::query("UPDATE ledgers SET state = $1, version = $2 WHERE client_id = $3")
            .bind(state)
            .bind(self.version + 1)
            .bind(&self.client_id)
            .execute(&mut *self.tx)
            .await?;
        self.tx.commit().await?;
        Ok(())
    }
}

/// Reads one string column of an optional row.
pub fn col(row: &AnyRow, name: &str) -> Result<String, ApiError> {
    Ok(row.try_get::<String, _>(name)?)
}

/// Reads one optional string column.
pub fn opt_col(row: &AnyRow, name: &str) -> Result<Option<String>, ApiError> {
    Ok(row.try_get::<Option<String>, _>(name)?)
}
