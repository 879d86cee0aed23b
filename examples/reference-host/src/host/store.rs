//! Storage: the database is the source of truth. Each operation locks the client's ledger row,
//! restores the core ledger, asks the core, and writes the new state, transaction rows, settled
//! records and outbox events in one database transaction.
//!
//! Group commit: operations that queue behind the same lock share that transaction. Each runs in
//! its own savepoint (a failed or abandoned operation rolls back to it and nothing else), and the
//! transaction commits when no operation is waiting any more, or after [`MAX_BATCH`] operations.
//! No operation is answered before the commit that holds it: a batch that fails to commit fails
//! every operation in it, and none of them is answered as done. One commit (one fsync on SQLite,
//! one round trip on PostgreSQL) then serves the whole queue.

use super::books::{self, Books, Parts};
use super::durable::WalSync;
use super::error::ApiError;
use super::journal;
use serde_json::Value;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};
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

/// Operations one database transaction holds at most before it commits.
pub const MAX_BATCH: usize = 64;

/// Read connections of the SQLite reader pool (WAL lets them read while the writer writes).
const SQLITE_READERS: u32 = 4;

/// The connection pool and its backend.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// Reads of committed state outside an operation (SQLite: read-only connections beside the
    /// single writer; PostgreSQL: the same pool).
    reader: AnyPool,
    backend: Backend,
    /// One lane per lock domain (SQLite: the whole file; PostgreSQL: a client's ledger row).
    lanes: Arc<StdMutex<HashMap<String, Lane>>>,
    /// The blockchains and tokens every ledger of this host is restored over (the built-in
    /// registry plus what was registered at start, e.g. a local EVM chain and its tokens).
    registry: Arc<Registry>,
    /// Seals secrets at rest (set at start, before the host serves).
    sealer: Arc<super::seal::Sealer>,
    /// What `/metrics` shows (the batches committed here among them).
    metrics: Arc<super::metrics::Metrics>,
    /// SQLite file: batches commit without waiting for the disk and are answered once this
    /// syncer has synced the WAL after them ([`super::durable`]).
    wal: Option<Arc<WalSync>>,
    /// Set while the writer connection runs a batch at `synchronous = NORMAL`; the pool puts it
    /// back to FULL when the connection is released, for every other writer.
    relaxed: Arc<AtomicBool>,
}

/// The file of a SQLite URL, or `None` for an in-memory database.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    use std::str::FromStr;
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url).ok()?;
    let file = options.get_filename();
    let memory = url.contains("mode=memory")
        || file.as_os_str().is_empty()
        || file == std::path::Path::new(":memory:");
    (!memory).then(|| file.to_path_buf())
}

/// Milliseconds since the Unix epoch (the host's clock; the core never reads one).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A new id with a readable prefix: a UUIDv7 (milliseconds since the epoch, then 74 random
/// bits), so rows keyed by ids made one after another land side by side in the tables' B-trees
/// instead of on a random page each.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
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
        let relaxed = Arc::new(AtomicBool::new(false));
        let wal = match backend {
            Backend::Sqlite => sqlite_file(&url).map(WalSync::start),
            Backend::Postgres => None,
        };
        let options = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 1 } else { 16 })
            .acquire_timeout(std::time::Duration::from_secs(30));
        let reset = Arc::clone(&relaxed);
        let options = options.after_release(move |conn, _meta| {
            let reset = Arc::clone(&reset);
            Box::pin(async move {
                if reset.swap(false, Ordering::SeqCst) {
                    sqlx::query("PRAGMA synchronous = FULL")
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(true)
            })
        });
        let options = if backend == Backend::Sqlite {
            options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    // WAL with FULL sync: every commit is on disk before the answer goes out.
                    for pragma in [
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA synchronous = FULL",
                        "PRAGMA busy_timeout = 10000",
                        "PRAGMA foreign_keys = ON",
                        "PRAGMA temp_store = MEMORY",
                        "PRAGMA cache_size = -65536",
                        "PRAGMA wal_autocheckpoint = 8000",
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
        if backend == Backend::Postgres {
            byte_order_accounts(&pool).await?;
        } else {
            clustered_books(&pool).await?;
        }
        let reader = if backend == Backend::Sqlite {
            AnyPoolOptions::new()
                .max_connections(SQLITE_READERS)
                .acquire_timeout(std::time::Duration::from_secs(30))
                .after_connect(|conn, _meta| {
                    Box::pin(async move {
                        for pragma in ["PRAGMA busy_timeout = 10000", "PRAGMA query_only = ON"] {
                            sqlx::query(pragma).execute(&mut *conn).await?;
                        }
                        Ok(())
                    })
                })
                .connect(&url)
                .await
                .map_err(|e| ApiError::config(format!("cannot open database: {e}")))?
        } else {
            pool.clone()
        };
        Ok(Store {
            pool,
            reader,
            backend,
            lanes: Arc::default(),
            registry: Arc::new(Registry::builtin()),
            // Replaced at start (`with_sealer`) by the deployment's key before anything is sealed.
            sealer: Arc::new(super::seal::Sealer::from_material(url.as_bytes())),
            metrics: Arc::default(),
            wal,
            relaxed,
        })
    }

    /// What `/metrics` shows.
    pub fn metrics(&self) -> &super::metrics::Metrics {
        &self.metrics
    }

    /// Brings the planner's statistics up to date after a bulk insert (PostgreSQL: a table
    /// that grew by thousands of rows since autovacuum last looked is planned as if it were
    /// tiny, with sequential scans, until it looks again; SQLite plans by its indexes).
    pub async fn analyze_after_bulk(&self) -> Result<(), ApiError> {
        if self.backend == Backend::Postgres {
            sqlx::query("ANALYZE books, wallets, balances, outbox")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// The same store over another registry (set once at start, before the host serves).
    pub fn with_registry(mut self, registry: Registry) -> Store {
        self.registry = Arc::new(registry);
        self
    }

    /// The same store sealing secrets with another sealer (set once at start).
    pub fn with_sealer(mut self, sealer: super::seal::Sealer) -> Store {
        self.sealer = Arc::new(sealer);
        self
    }

    /// The sealer of secrets at rest.
    pub fn sealer(&self) -> &super::seal::Sealer {
        &self.sealer
    }

    /// The registry of blockchains and tokens of this host.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The pool, for writes and reads outside an operation. On SQLite it has one connection,
    /// which an open operation holds: never use it while holding a [`Work`].
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A pool for reads of committed state (API keys, lists), which never waits for writers.
    pub fn reader(&self) -> &AnyPool {
        &self.reader
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The lane of a client's operations.
    fn lane(&self, client_id: &str) -> Lane {
        let key = match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => client_id,
        };
        let mut lanes = self
            .lanes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        lanes.entry(key.to_owned()).or_default().clone()
    }

    /// Starts an operation on a client's books: locks and restores its ledger.
    pub async fn begin(&self, client_id: &str) -> Result<Work, ApiError> {
        let lane = self.lane(client_id);
        let queued = Queued::new(&lane.waiting);
        let mut guard = lane.slot.clone().lock_owned().await;
        drop(queued);
        let tx = match guard.tx.take() {
            Some(tx) => tx,
            None => self.begin_batch().await?,
        };
        // The working set as the last operation of this client in the batch left it, if one did.
        let cached = guard.ledgers.remove(client_id);
        guard.operations += 1;
        let mut work = Work {
            tx: Tx(Some(tx)),
            turn: Some(Turn {
                guard,
                waiting: lane.waiting,
                metrics: self.metrics.clone(),
                wal: self.wal.clone(),
            }),
            client_id: client_id.to_owned(),
            ledger: placeholder(),
            parts: None,
            events: Vec::new(),
            seq: 0,
            fresh: Vec::new(),
            made: Vec::new(),
            savepoint: false,
            snapshot: None,
            sealer: Arc::clone(&self.sealer),
        };
        let books = match cached {
            Some(books) => {
                // The batch's transaction holds the row (and its lock) since that operation. A
                // copy goes back to the batch if this operation fails.
                work.snapshot = Some(books.clone());
                books
            }
            None => {
                Books::open(
                    &mut work.tx,
                    Arc::clone(&self.registry),
                    client_id,
                    self.backend == Backend::Postgres,
                )
                .await?
            }
        };
        work.ledger = books.ledger;
        work.parts = Some(books.parts);
        Ok(work)
    }

    /// Opens a batch's transaction. On a SQLite file its commit does not wait for the disk
    /// (`synchronous = NORMAL`): its operations are answered after the WAL syncer's next sync.
    async fn begin_batch(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, ApiError> {
        let mut conn = self.pool.acquire().await?;
        if self.wal.is_some() {
            self.relaxed.store(true, Ordering::SeqCst);
            sqlx::query("PRAGMA synchronous = NORMAL")
                .execute(&mut *conn)
                .await?;
        }
        // What `Pool::begin` does, on the connection the pragma was set on.
        Ok(sqlx::Transaction::begin(conn, None).await?)
    }

    /// Splits the books of clients still kept as one document (written by an earlier version)
    /// into rows, once per client, at start: see [`books::split`].
    pub async fn fill_rows(&self) -> Result<(), ApiError> {
        let clients = sqlx::query("SELECT client_id FROM ledgers WHERE rows_ready < $1")
            .bind(books::SPLIT)
            .fetch_all(&self.pool)
            .await?;
        for row in clients {
            let client: String = row.try_get("client_id")?;
            let mut tx = self.pool.begin().await?;
            let lock = if self.backend == Backend::Postgres {
                " FOR UPDATE"
            } else {
                ""
            };
            let doc = sqlx::query(&format!(
                "SELECT state, journal_seq, journal_hash, rows_ready FROM ledgers WHERE client_id = $1{lock}"
            ))
            .bind(&client)
            .fetch_one(&mut *tx)
            .await?;
            if doc.try_get::<i64, _>("rows_ready")? >= books::SPLIT {
                continue;
            }
            let ledger = Ledger::restore(
                &doc.try_get::<String, _>("state")?,
                Arc::clone(&self.registry),
            )?;
            let mut states = Vec::new();
            for (id, w) in ledger.wallets() {
                states.push(WalletState::of(&client, id.clone(), w)?);
            }
            update_wallets(&mut tx, &states).await?;
            let mut head = journal::Head {
                seq: doc.try_get("journal_seq")?,
                hash: doc.try_get("journal_hash")?,
            };
            books::split(&mut tx, &client, ledger, &mut head).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// A client's terms, holding wallets and system accounts as committed, without locking (for
    /// reports); wallets are not loaded.
    pub async fn read_ledger(&self, client_id: &str) -> Result<Ledger, ApiError> {
        let mut conn = self.reader.acquire().await?;
        Ok(
            Books::open(&mut conn, Arc::clone(&self.registry), client_id, false)
                .await?
                .ledger,
        )
    }

    /// The same, with the wallets a query selects (column `id`; bound: the client id, then
    /// `binds`), loaded with their balances and rules: the core answers about them (reports).
    pub async fn read_with_wallets(
        &self,
        client_id: &str,
        sql: &str,
        binds: &[&str],
    ) -> Result<Ledger, ApiError> {
        let mut conn = self.reader.acquire().await?;
        let mut q = sqlx::query(sql).bind(client_id);
        for b in binds {
            q = q.bind(*b);
        }
        let ids: Vec<String> = q
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("id"))
            .collect::<Result<_, _>>()?;
        let mut books =
            Books::open(&mut conn, Arc::clone(&self.registry), client_id, false).await?;
        for chunk in ids.chunks(500) {
            let chunk: Vec<&str> = chunk.iter().map(String::as_str).collect();
            books
                .parts
                .load_wallets(&mut conn, &mut books.ledger, client_id, &chunk)
                .await?;
        }
        Ok(books.ledger)
    }
}

/// Makes PostgreSQL compare balance accounts byte by byte, as SQLite does: a working set reads
/// the accounts of a kind as a range (`'system:' <= account < 'system;'`), which a locale's
/// collation (one that skips punctuation) would get wrong. Done once; the index is rebuilt.
async fn byte_order_accounts(pool: &AnyPool) -> Result<(), ApiError> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(collation_name, '') AS TEXT) AS c FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = 'balances' AND column_name = 'account'",
    )
    .fetch_one(pool)
    .await?;
    if row.try_get::<String, _>("c")? != "C" {
        sqlx::query("ALTER TABLE balances ALTER COLUMN account TYPE TEXT COLLATE \"C\"")
            .execute(pool)
            .await?;
    }
    Ok(())
}

/// SQLite tables whose rows live in their primary key's B-tree (`WITHOUT ROWID`): a row written
/// touches one B-tree instead of two. These tables are written with every operation, at keys spread
/// over the whole client when its operations touch many wallets, so the pages an operation dirties
/// (and the WAL writes) nearly halve. Rebuilt once from the tables the migrations made, which stay
/// portable SQL; PostgreSQL keeps its heap tables.
const CLUSTERED: &[(&str, &str, &str, &[&str])] = &[
    (
        "balances",
        "client_id TEXT NOT NULL, account TEXT NOT NULL, token TEXT NOT NULL, posted TEXT NOT NULL, pending TEXT NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (client_id, account, token)",
        "client_id, account, token, posted, pending, seq",
        &[],
    ),
    (
        "books",
        "client_id TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (client_id, kind, key)",
        "client_id, kind, key, body",
        &[],
    ),
    (
        "journal",
        "client_id TEXT NOT NULL, seq BIGINT NOT NULL, movement_id TEXT NOT NULL, account TEXT NOT NULL, token TEXT NOT NULL, posted TEXT NOT NULL, pending TEXT NOT NULL, posted_after TEXT NOT NULL, pending_after TEXT NOT NULL, created_at BIGINT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (client_id, seq)",
        "client_id, seq, movement_id, account, token, posted, pending, posted_after, pending_after, created_at, prev_hash, hash",
        &[
            "CREATE INDEX journal_by_account ON journal (client_id, account, seq)",
            "CREATE INDEX journal_by_time ON journal (client_id, created_at)",
        ],
    ),
];

/// Rebuilds the [`CLUSTERED`] tables as `WITHOUT ROWID` tables on SQLite, once.
async fn clustered_books(pool: &AnyPool) -> Result<(), ApiError> {
    for (table, columns, names, indexes) in CLUSTERED {
        let row = sqlx::query("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = $1")
            .bind(*table)
            .fetch_one(pool)
            .await?;
        let sql: String = row.try_get("sql")?;
        if sql.to_ascii_uppercase().contains("WITHOUT ROWID") {
            continue;
        }
        let mut tx = pool.begin().await?;
        let mut statements = vec![
            format!("CREATE TABLE {table}_clustered ({columns}) WITHOUT ROWID"),
            format!("INSERT INTO {table}_clustered ({names}) SELECT {names} FROM {table}"),
            format!("DROP TABLE {table}"),
            format!("ALTER TABLE {table}_clustered RENAME TO {table}"),
        ];
        statements.extend(indexes.iter().map(|i| (*i).to_owned()));
        for statement in statements {
            sqlx::query(&statement).execute(&mut *tx).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// The operations queued behind one lock, and the transaction they share.
#[derive(Clone, Default)]
struct Lane {
    slot: Arc<Mutex<Parked>>,
    waiting: Arc<AtomicUsize>,
}

/// A batch between two operations: its open transaction and the operations waiting for its commit.
#[derive(Default)]
struct Parked {
    tx: Option<sqlx::Transaction<'static, sqlx::Any>>,
    members: Vec<oneshot::Sender<Result<(), String>>>,
    /// Each client's ledger as the last successful operation of the client in this batch left
    /// it, with its version: the client's next operation in the batch starts from it instead of
    /// reading and restoring the row, and the row is written once, just before the commit.
    ledgers: HashMap<String, Books>,
    /// The webhook events of the batch's operations, written just before it commits.
    outbox: Vec<OutboxRow>,
    /// The journal entries of the batch's operations, written just before it commits.
    journal: Vec<journal::Row>,
    /// Transaction rows under ids the batch's operations made up, written just before it commits.
    transactions: Vec<TransactionRow>,
    /// Wallet rows to bring up to the books: (client, wallet, status, flags as JSON).
    wallets: Vec<WalletState>,
    /// Operations (savepoints) in the transaction, failed ones included: PostgreSQL keeps 64
    /// subtransactions per transaction in memory, so a batch stops at [`MAX_BATCH`].
    operations: usize,
}

/// A wallet's status and flags as its row keeps them.
struct WalletState {
    client_id: String,
    id: String,
    status: &'static str,
    /// A card's status: `blocked` while blocked, else the wallet status.
    card_status: &'static str,
    flags: String,
    /// Held amounts per token (JSON).
    held: String,
}

impl WalletState {
    fn of(client_id: &str, id: String, w: &waas_core::ledger::Wallet) -> Result<Self, ApiError> {
        Ok(WalletState {
            client_id: client_id.to_owned(),
            status: w.status.as_str(),
            card_status: if w.inactive {
                "blocked"
            } else {
                w.status.as_str()
            },
            flags: serde_json::to_string(&w.flags)
                .map_err(|e| ApiError::internal(e.to_string()))?,
            held: serde_json::to_string(&w.held).map_err(|e| ApiError::internal(e.to_string()))?,
            id,
        })
    }
}

/// A transaction row under an id the host made up (so no row has it yet).
struct TransactionRow {
    id: String,
    client_id: String,
    seq: i64,
    wallet_id: Option<String>,
    counterparty_id: Option<String>,
    kind: String,
    status: String,
    token: Option<String>,
    amount: Option<String>,
    created_at: i64,
    body: String,
}

/// Writes transaction rows made up by a batch's operations, several per statement.
async fn insert_transactions(
    conn: &mut sqlx::AnyConnection,
    rows: &[TransactionRow],
) -> sqlx::Result<()> {
    for chunk in rows.chunks(OUTBOX_ROWS_PER_INSERT) {
        let mut sql = String::from("INSERT INTO transactions (id, client_id, seq, wallet_id, counterparty_id, type, status, token, amount, created_at, updated_at, body) VALUES ");
        sql.push_str(&super::sql::Marks::on(conn, 1).rows(chunk.len(), 12));
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(&r.id)
                .bind(&r.client_id)
                .bind(r.seq)
                .bind(r.wallet_id.as_deref())
                .bind(r.counterparty_id.as_deref())
                .bind(&r.kind)
                .bind(&r.status)
                .bind(r.token.as_deref())
                .bind(r.amount.as_deref())
                .bind(r.created_at)
                .bind(r.created_at)
                .bind(&r.body);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// One webhook event for the outbox table.
struct OutboxRow {
    id: String,
    client_id: String,
    seq: i64,
    event: String,
    created_at: i64,
}

/// Rows of the outbox written per statement.
const OUTBOX_ROWS_PER_INSERT: usize = 64;

/// Writes what a batch kept for its end: each client's ledger row (with its journal head), the
/// journal entries, then the events.
async fn flush(
    conn: &mut sqlx::AnyConnection,
    ledgers: &mut HashMap<String, Books>,
    entries: &[journal::Row],
    wallets: &[WalletState],
    transactions: &[TransactionRow],
    outbox: &[OutboxRow],
) -> Result<(), String> {
    for (client_id, books) in ledgers.iter_mut() {
        books
            .parts
            .write(conn, &books.ledger, client_id)
            .await
            .map_err(|e| e.message().to_owned())?;
    }
    journal::insert(conn, entries)
        .await
        .map_err(|e| e.to_string())?;
    journal::project_balances(conn, entries)
        .await
        .map_err(|e| e.to_string())?;
    update_wallets(conn, wallets)
        .await
        .map_err(|e| e.to_string())?;
    insert_transactions(conn, transactions)
        .await
        .map_err(|e| e.to_string())?;
    insert_outbox(conn, outbox).await.map_err(|e| e.to_string())
}

/// Brings wallet rows up to the books (status, flags), several rows per statement.
async fn update_wallets(conn: &mut sqlx::AnyConnection, rows: &[WalletState]) -> sqlx::Result<()> {
    // The last state of each wallet in the batch.
    let mut last: HashMap<(&str, &str), &WalletState> = HashMap::new();
    for r in rows {
        last.insert((&r.client_id, &r.id), r);
    }
    let rows: Vec<&WalletState> = last.into_values().collect();
    for chunk in rows.chunks(OUTBOX_ROWS_PER_INSERT) {
        // VALUES columns are named column1, column2, ... on SQLite and PostgreSQL alike.
        let values = super::sql::Marks::on(conn, 1).rows(chunk.len(), 6);
        for sql in [
            format!("UPDATE wallets SET status = v.column3, flags = v.column5, held = v.column6 FROM (VALUES {values}) AS v WHERE wallets.client_id = v.column1 AND wallets.id = v.column2"),
            format!("UPDATE cards SET status = v.column4 FROM (VALUES {values}) AS v WHERE cards.client_id = v.column1 AND cards.id = v.column2"),
        ] {
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(&r.client_id)
                    .bind(&r.id)
                    .bind(r.status)
                    .bind(r.card_status)
                    .bind(&r.flags)
                    .bind(&r.held);
            }
            q.execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// Writes a batch's events, several rows per statement.
async fn insert_outbox(conn: &mut sqlx::AnyConnection, rows: &[OutboxRow]) -> sqlx::Result<()> {
    for chunk in rows.chunks(OUTBOX_ROWS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO outbox (id, client_id, seq, event, created_at, attempts, next_attempt_at) VALUES ",
        );
        let mut marks = super::sql::Marks::on(conn, 1);
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("({}, 0, {})", marks.list(5), marks.list(1)));
        }
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(&r.id)
                .bind(&r.client_id)
                .bind(r.seq)
                .bind(&r.event)
                .bind(r.created_at)
                .bind(r.created_at);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Counts an operation as waiting for its lane until it gets its turn (or is cancelled).
struct Queued(Arc<AtomicUsize>);

impl Queued {
    fn new(waiting: &Arc<AtomicUsize>) -> Queued {
        waiting.fetch_add(1, Ordering::SeqCst);
        Queued(Arc::clone(waiting))
    }
}

impl Drop for Queued {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// An operation's turn on its lane.
struct Turn {
    guard: OwnedMutexGuard<Parked>,
    waiting: Arc<AtomicUsize>,
    metrics: Arc<super::metrics::Metrics>,
    /// Syncs the WAL after a commit made without waiting for the disk (SQLite file).
    wal: Option<Arc<WalSync>>,
}

impl Turn {
    /// Ends the turn with the batch's transaction: commits it when nobody waits (or the batch is
    /// full), otherwise parks it for the next operation. Runs to the end even if the caller is
    /// cancelled, so one dropped request never abandons the others' commit.
    async fn pass(mut self, tx: sqlx::Transaction<'static, sqlx::Any>) {
        if self.guard.members.is_empty() {
            self.guard.ledgers.clear();
            self.guard.outbox.clear();
            self.guard.journal.clear();
            self.guard.wallets.clear();
            self.guard.transactions.clear();
            // Nothing of anyone's is in it (the operation rolled back): no commit needed.
            if self.waiting.load(Ordering::SeqCst) == 0 || self.guard.operations >= MAX_BATCH {
                self.guard.operations = 0;
                drop(tx);
            } else {
                self.guard.tx = Some(tx);
            }
            return;
        }
        if self.waiting.load(Ordering::SeqCst) > 0 && self.guard.operations < MAX_BATCH {
            self.guard.tx = Some(tx);
            return;
        }
        let members = std::mem::take(&mut self.guard.members);
        self.metrics.batch(members.len());
        self.guard.operations = 0;
        let mut ledgers = std::mem::take(&mut self.guard.ledgers);
        let outbox = std::mem::take(&mut self.guard.outbox);
        let entries = std::mem::take(&mut self.guard.journal);
        let wallets = std::mem::take(&mut self.guard.wallets);
        let transactions = std::mem::take(&mut self.guard.transactions);
        let mut tx = tx;
        let result = match flush(
            &mut tx,
            &mut ledgers,
            &entries,
            &wallets,
            &transactions,
            &outbox,
        )
        .await
        {
            Ok(()) => tx.commit().await.map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        // The next batch may start while this one's commit reaches the disk.
        let Turn { guard, wal, .. } = self;
        drop(guard);
        let result = match (result, wal) {
            (Ok(()), Some(wal)) => wal.durable().await,
            (result, _) => result,
        };
        for member in members {
            let _ = member.send(result.clone());
        }
    }

    /// Ends the turn after a failure that may have broken the transaction: every operation in the
    /// batch fails, and the transaction rolls back.
    fn fail(mut self, tx: sqlx::Transaction<'static, sqlx::Any>, why: &str) {
        self.guard.ledgers.clear();
        self.guard.operations = 0;
        self.guard.outbox.clear();
        self.guard.journal.clear();
        self.guard.wallets.clear();
        self.guard.transactions.clear();
        for member in std::mem::take(&mut self.guard.members) {
            let _ = member.send(Err(why.to_owned()));
        }
        drop(tx);
    }
}

/// The shared transaction, as an operation sees it while it holds its turn.
pub struct Tx(Option<sqlx::Transaction<'static, sqlx::Any>>);

impl std::ops::Deref for Tx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &sqlx::AnyConnection {
        // Taken only by `Work::commit` and `Drop for Work`, which consume the operation.
        self.0
            .as_deref()
            .expect("the transaction is held until the operation ends")
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        self.0
            .as_deref_mut()
            .expect("the transaction is held until the operation ends")
    }
}

/// Whether `id` is one of the movement ids an operation made up itself.
fn made_up(fresh: &[String], id: &str) -> bool {
    fresh.iter().any(|f| f == id)
}

/// An empty ledger that holds the place of one taken out or not yet restored (no registry copy).
fn placeholder() -> Ledger {
    Ledger::with_registry(waas_core::ledger::Config::default(), Registry::empty())
}

/// One operation in progress in the lane's transaction, holding the client's ledger.
pub struct Work {
    /// The open database transaction: reads of the store's own; statements of the handlers go
    /// through [`Work::conn`].
    tx: Tx,
    /// Whether the operation has taken its savepoint (before its first statement through
    /// [`Work::conn`]): an operation that wrote nothing needs none to be undone.
    savepoint: bool,
    /// Transaction rows under ids this operation made up, written with the batch.
    made: Vec<TransactionRow>,
    turn: Option<Turn>,
    /// The client whose books are locked.
    pub client_id: String,
    /// The client's working set: the core ledger over the parts loaded so far. Load what the
    /// operation names first ([`Work::need_wallets`], [`Work::need_account`], ...).
    pub ledger: Ledger,
    /// What the working set loaded (its row version and journal head among it).
    parts: Option<Parts>,
    events: Vec<Value>,
    seq: i64,
    /// Movement ids this operation made up itself: no earlier record can carry them and no
    /// retry can name them, so they are neither looked up nor kept as records.
    fresh: Vec<String>,
    /// The ledger as the batch held it before this operation, restored there if it fails.
    snapshot: Option<Books>,
    /// Seals secrets the operation writes.
    sealer: Arc<super::seal::Sealer>,
}

impl Work {
    /// The operation's connection for a statement: takes the operation's savepoint first, so
    /// that a failed operation leaves nothing of its writes in the batch.
    pub async fn conn(&mut self) -> Result<&mut sqlx::AnyConnection, ApiError> {
        if !self.savepoint {
            sqlx::query("SAVEPOINT operation")
                .execute(&mut *self.tx)
                .await?;
            self.savepoint = true;
        }
        Ok(&mut self.tx)
    }

    /// The sealer of secrets at rest.
    pub fn sealer(&self) -> &super::seal::Sealer {
        &self.sealer
    }

    /// The next sequence number of this operation (orders transactions and events per client).
    pub fn next_seq(&mut self) -> i64 {
        self.seq += 1;
        (self.version() + 1) * 1000 + self.seq
    }

    fn version(&self) -> i64 {
        self.parts.as_ref().map_or(0, |p| p.version)
    }

    /// Loads the named wallets (with their balances and rules) into the working set.
    pub async fn need_wallets(&mut self, ids: &[&str]) -> Result<(), ApiError> {
        match self.parts.as_mut() {
            Some(p) => {
                p.load_wallets(&mut self.tx, &mut self.ledger, &self.client_id, ids)
                    .await
            }
            None => Err(ApiError::internal("the operation has already ended")),
        }
    }

    /// Loads an account of this client into the working set.
    pub async fn need_account(&mut self, id: &str) -> Result<(), ApiError> {
        Parts::load_account(&mut self.tx, &mut self.ledger, &self.client_id, id).await
    }

    /// Loads a rule (and its wallet) into the working set.
    pub async fn need_rule(&mut self, id: &str) -> Result<(), ApiError> {
        match self.parts.as_mut() {
            Some(p) => {
                p.load_rule(&mut self.tx, &mut self.ledger, &self.client_id, id)
                    .await
            }
            None => Err(ApiError::internal("the operation has already ended")),
        }
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

    /// A new movement id for an operation that got no Idempotency-Key.
    pub fn fresh_movement_id(&mut self) -> String {
        let id = new_id("mv");
        self.fresh.push(id.clone());
        id
    }

    fn is_fresh(&self, id: &str) -> bool {
        made_up(&self.fresh, id)
    }

    /// Gives a settled movement back to the core before a retry of `id` (if the id is known).
    pub async fn remember_movement(&mut self, id: &str) -> Result<(), ApiError> {
        if self.is_fresh(id) {
            return Ok(());
        }
        if let Some(body) = self.record("movement", id).await? {
            let m: Movement = stored(&body, "ledger record")?;
            self.ledger.remember_movement(id.to_owned(), m);
        }
        Ok(())
    }

    /// Gives a settled sweep back to the core before a retry.
    pub async fn remember_sweep(&mut self, tx: &str) -> Result<(), ApiError> {
        if let Some(body) = self.record("sweep", tx).await? {
            let m: Movement = stored(&body, "ledger record")?;
            self.ledger.remember_sweep(tx.to_owned(), m);
        }
        Ok(())
    }

    /// Loads a deposit record (pending or settled) and its wallet before a retry, a confirmation
    /// or a drop.
    pub async fn remember_deposit(&mut self, tx: &str) -> Result<(), ApiError> {
        if self.is_fresh(tx) {
            return Ok(());
        }
        if self.ledger.deposit_record(tx).is_some() {
            return Ok(());
        }
        if let Some(body) = self.record("deposit", tx).await? {
            let d: waas_core::ledger::DepositRecord = stored(&body, "ledger record")?;
            let wallet = d.request.to.clone();
            self.ledger.remember_deposit(d);
            self.need_wallets(&[&wallet]).await?;
        }
        Ok(())
    }

    /// Gives the working set a hold's record and its wallet; false when there is none.
    pub async fn remember_hold(&mut self, id: &str) -> Result<bool, ApiError> {
        if self.ledger.hold(id).is_ok() {
            return Ok(true);
        }
        let row = sqlx::query("SELECT body FROM holds WHERE client_id = $1 AND id = $2")
            .bind(&self.client_id)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        let Some(row) = row else {
            return Ok(false);
        };
        let h: waas_core::ledger::Hold =
            stored(&row.try_get::<String, _>("body")?, "ledger record")?;
        let wallet = h.wallet.clone();
        self.ledger.remember_hold(h);
        self.need_wallets(&[&wallet]).await?;
        Ok(true)
    }

    /// Gives the working set a withdrawal's lifecycle record; false when there is none.
    pub async fn remember_withdrawal(&mut self, id: &str) -> Result<bool, ApiError> {
        if self.ledger.withdrawal(id).is_ok() {
            return Ok(true);
        }
        match self.record("withdrawal", id).await? {
            Some(body) => {
                let r: waas_core::ledger::WithdrawalRecord = stored(&body, "ledger record")?;
                self.ledger.remember_withdrawal(r);
                Ok(true)
            }
            None => Ok(false),
        }
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
        self.upsert_transaction_to(id, wallet_id, None, kind, status, token, amount, body)
            .await
    }

    /// The same, with the receiving wallet, so that the row lists under both wallets: one
    /// statement whether the row is new or not.
    #[allow(clippy::too_many_arguments)]
    pub async fn upsert_transaction_to(
        &mut self,
        id: &str,
        wallet_id: Option<&str>,
        counterparty: Option<&str>,
        kind: &str,
        status: &str,
        token: Option<&str>,
        amount: Option<&str>,
        body: &Value,
    ) -> Result<(), ApiError> {
        let now = now_ms();
        let seq = self.next_seq();
        if self.is_fresh(id) {
            // No earlier row can carry an id made up here: the row joins the batch's insert.
            let row = TransactionRow {
                id: id.to_owned(),
                client_id: self.client_id.clone(),
                seq,
                wallet_id: wallet_id.map(str::to_owned),
                counterparty_id: counterparty.map(str::to_owned),
                kind: kind.to_owned(),
                status: status.to_owned(),
                token: token.map(str::to_owned),
                amount: amount.map(str::to_owned),
                created_at: now,
                body: body.to_string(),
            };
            match self.made.iter_mut().find(|r| r.id == id) {
                Some(earlier) if earlier.kind != row.kind => {
                    return Err(ApiError::internal(format!(
                        "transaction {id} written twice with different types"
                    )))
                }
                Some(earlier) => {
                    earlier.status = row.status;
                    earlier.body = row.body;
                    if row.counterparty_id.is_some() {
                        earlier.counterparty_id = row.counterparty_id;
                    }
                }
                None => self.made.push(row),
            }
            return Ok(());
        }
        let written = sqlx::query("INSERT INTO transactions (id, client_id, seq, wallet_id, counterparty_id, type, status, token, amount, created_at, updated_at, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (client_id, id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, body = excluded.body, counterparty_id = COALESCE(excluded.counterparty_id, transactions.counterparty_id) WHERE transactions.type = excluded.type")
            .bind(id)
            .bind(self.client_id.clone())
            .bind(seq)
            .bind(wallet_id)
            .bind(counterparty)
            .bind(kind)
            .bind(status)
            .bind(token)
            .bind(amount)
            .bind(now)
            .bind(now)
            .bind(body.to_string())
            .execute(self.conn().await?)
            .await?;
        if written.rows_affected() == 0 {
            return Err(ApiError::new(
                waas_core::ErrorCode::DuplicateOperation,
                format!(
                    "transaction id {id} already names a transaction of another type; use another Idempotency-Key"
                ),
            ));
        }
        Ok(())
    }

    /// Writes the ledger, settled records and events, then commits.
    pub async fn commit(mut self) -> Result<(), ApiError> {
        let Settled {
            movements,
            sweeps,
            deposits,
        } = self.ledger.take_settled();
        // Pending deposits are rows too: the next operation that names one loads it.
        let pending = self.ledger.take_deposits();
        // Withdrawals, pending or final, are rows too: a lifecycle step loads the one it names.
        let withdrawals = self.ledger.take_withdrawals();
        // Holds are rows of their own (the expiry sweep finds the due ones by index).
        for h in self.ledger.take_holds() {
            let body = serde_json::to_string(&h).map_err(|e| ApiError::internal(e.to_string()))?;
            let client = self.client_id.clone();
            sqlx::query("INSERT INTO holds (client_id, id, wallet_id, status, expires_at, created_at, body) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (client_id, id) DO UPDATE SET status = excluded.status, body = excluded.body")
                .bind(client)
                .bind(&h.id)
                .bind(&h.wallet)
                .bind(h.status.as_str())
                .bind(h.expires_at)
                .bind(now_ms())
                .bind(body)
                .execute(self.conn().await?)
                .await?;
        }
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
                    "pending",
                    token,
                    amount,
                    serde_json::json!({"id": id, "type": "withdrawal", "wallet_id": from, "blockchain": self.ledger.wallet(from).ok().and_then(|w| w.blockchain.clone()), "to_address": to_address, "token": token, "amount": amount.to_string(), "fee": fee.to_string(), "status": "pending", "automation": true}),
                ),
                _ => continue,
            };
            let amount = amount.to_string();
            let counterparty = match m {
                Movement::Transfer { to, .. } => Some(to.as_str()),
                _ => None,
            };
            self.upsert_transaction_to(
                id,
                Some(wallet),
                counterparty,
                kind,
                status,
                Some(token),
                Some(&amount),
                &body,
            )
            .await?;
        }
        let fresh = std::mem::take(&mut self.fresh);
        for (kind, key, body) in movements
            .iter()
            .filter(|(id, _)| !made_up(&fresh, id))
            .map(|(id, m)| ("movement", id.clone(), serde_json::to_string(m)))
            .chain(
                sweeps
                    .iter()
                    .map(|(tx, m)| ("sweep", tx.clone(), serde_json::to_string(m))),
            )
            .chain(
                deposits
                    .iter()
                    .chain(pending.iter())
                    .map(|d| ("deposit", d.request.tx.clone(), serde_json::to_string(d))),
            )
            .chain(
                withdrawals
                    .iter()
                    .map(|w| ("withdrawal", w.id.clone(), serde_json::to_string(w))),
            )
        {
            let body = body.map_err(|e| ApiError::internal(e.to_string()))?;
            let client = self.client_id.clone();
            sqlx::query("INSERT INTO records (client_id, kind, key, body) VALUES ($1, $2, $3, $4) ON CONFLICT (client_id, kind, key) DO UPDATE SET body = excluded.body")
                .bind(client)
                .bind(kind)
                .bind(&key)
                .bind(body)
                .execute(self.conn().await?)
                .await?;
        }
        let now = now_ms();
        let events = std::mem::take(&mut self.events);
        let mut outbox = Vec::with_capacity(events.len());
        for event in events {
            outbox.push(OutboxRow {
                id: new_id("evt"),
                client_id: self.client_id.clone(),
                seq: self.next_seq(),
                event: event.to_string(),
                created_at: now,
            });
        }
        // The ledger row is written once per batch, just before the commit (see `flush`).
        // The savepoint stays until the batch commits (savepoints of one name stack, and a
        // rollback goes to the newest): one statement fewer per operation.
        let postings = self.ledger.take_journal();
        let mut wallets = Vec::new();
        for id in self.ledger.take_touched_wallets() {
            if let Ok(w) = self.ledger.wallet(&id) {
                wallets.push(WalletState::of(&self.client_id, id, w)?);
            }
        }
        let (Some(tx), Some(mut turn), Some(mut parts)) =
            (self.tx.0.take(), self.turn.take(), self.parts.take())
        else {
            return Err(ApiError::internal("the operation has already ended"));
        };
        let mut entries = journal::chain(&self.client_id, &mut parts.head, now, &postings);
        parts.version += 1;
        let ledger = std::mem::replace(&mut self.ledger, placeholder());
        turn.guard
            .ledgers
            .insert(self.client_id.clone(), Books { ledger, parts });
        turn.guard.outbox.append(&mut outbox);
        turn.guard.journal.append(&mut entries);
        turn.guard.wallets.append(&mut wallets);
        turn.guard.transactions.append(&mut self.made);
        let (member, committed) = oneshot::channel();
        turn.guard.members.push(member);
        tokio::spawn(turn.pass(tx));
        match committed.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(ApiError::internal(format!("commit failed: {e}"))),
            Err(_) => Err(ApiError::internal(
                "the batch holding this operation was abandoned",
            )),
        }
    }
}

impl Drop for Work {
    /// An operation that ends without `commit` (an error, an early answer, a cancelled request)
    /// rolls back to its savepoint; the batch it was part of goes on.
    fn drop(&mut self) {
        let (Some(mut tx), Some(mut turn)) = (self.tx.0.take(), self.turn.take()) else {
            return;
        };
        if let Some(before) = self.snapshot.take() {
            turn.guard.ledgers.insert(self.client_id.clone(), before);
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            turn.fail(tx, "the runtime stopped");
            return;
        };
        if !self.savepoint {
            // Nothing written: the batch goes on as it was.
            runtime.spawn(turn.pass(tx));
            return;
        }
        runtime.spawn(async move {
            let undone = sqlx::query("ROLLBACK TO SAVEPOINT operation")
                .execute(&mut *tx)
                .await;
            match undone {
                Ok(_) => turn.pass(tx).await,
                Err(e) => turn.fail(tx, &format!("rollback to savepoint failed: {e}")),
            }
        });
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

/// Reads a JSON text the host stored; CORRUPT_RECORD (and an error log naming `what`) when it
/// cannot be read: stored data is never silently replaced by a default.
pub fn stored<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, ApiError> {
    serde_json::from_str(text).map_err(|e| ApiError::corrupt(what, e))
}
