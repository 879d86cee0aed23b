//! Storage: the database is the source of truth, the books in rows (`books.rs`). An operation
//! takes its turn on its lane, loads the parts of the client's books it names, asks the core, and
//! leaves its journal entries, balances, transaction rows and events to the batch it joined.
//!
//! Group commit (`batch.rs`): operations that queue on the same lane share one transaction and
//! commit together when no operation waits any more, or after [`MAX_BATCH`] operations. No
//! operation is answered before the commit that holds it is durable: a batch that fails to commit
//! fails every operation in it. An operation (`work.rs`) that writes a statement of its own takes a
//! savepoint first, so a failed or abandoned one rolls back to it and nothing else.

mod batch;
mod cache;
pub mod checkpoint;
mod schema;
pub mod statistics;
#[cfg(test)]
mod tests;
mod work;

pub use batch::Tx;
pub use work::{answer, answer_of, Committed, Work};

use super::books::{self, Books};
use super::durable::WalSync;
use super::error::ApiError;
use super::journal;
use batch::{update_wallets, Lane, Queued, Turn, WalletState};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{SystemTime, UNIX_EPOCH};
use waas_core::ledger::Ledger;
use waas_core::Registry;
use work::placeholder;

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

/// Lanes per client on PostgreSQL for the operations that hold only their wallets
/// ([`Store::begin_wallets`]): each is a batch of its own, run beside the others. Transfers take
/// the first unless it is stalled on a row held elsewhere; the second keeps the client's other
/// wallets moving meanwhile (measured in docs/BENCHMARKS.md, "lanes and wallets loaded ahead"
/// and "one lane first").
pub const WALLET_LANES: usize = 2;

/// What an operation holds of its client's books while it runs (PostgreSQL; on SQLite the one
/// writer holds everything).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// The whole client: the client's lock taken exclusively, then its `ledgers` row.
    Client,
    /// The client's lock shared with other such operations, and the rows of the wallets the
    /// operation loads. `first`: the first operation of its batch, which may wait for a row;
    /// a later one may not (it holds its batch's rows meanwhile), and meets
    /// [`ApiError::contended`] instead.
    Wallets {
        /// Whether it is the first operation of its batch.
        first: bool,
    },
}

/// Takes a client's lock for a new batch on PostgreSQL: exclusive for [`Hold::Client`],
/// shared for [`Hold::Wallets`]. A transaction-level advisory lock, released by the commit.
///
/// The same statement sets the batch's statements to generic plans (`plan_cache_mode`, for this
/// transaction only). A batch's statements look rows up by their keys, and a statement prepared
/// on a connection is otherwise planned anew for each of its first five runs; the texts differ
/// by the number of rows they name (a few hundred texts over a pool of connections), so at a
/// client's many wallets most runs were still being planned, and planning a lookup costs more
/// than running it (measured in docs/BENCHMARKS.md, "generic plans in a batch").
async fn lock_client(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    client_id: &str,
    hold: Hold,
) -> Result<(), ApiError> {
    let function = match hold {
        Hold::Client => "pg_advisory_xact_lock",
        Hold::Wallets { .. } => "pg_advisory_xact_lock_shared",
    };
    sqlx::query(&format!(
        "SELECT 1 AS locked FROM (SELECT {function}(hashtextextended($1, 0)), \
         set_config('plan_cache_mode', 'force_generic_plan', true)) AS l"
    ))
    .bind(format!("waas-books:{client_id}"))
    .fetch_one(&mut **tx)
    .await?;
    Ok(())
}

/// The named wallets of an operation that changes only those, as the working set holds them,
/// if it holds them all (see [`Work::undo`]); `None` otherwise, or for an operation that names
/// none (it may change anything).
fn wallets_before(
    books: &Books,
    wallets: &[&str],
) -> Option<Vec<(String, waas_core::ledger::Wallet)>> {
    if wallets.is_empty() {
        return None;
    }
    wallets
        .iter()
        .map(|id| Some(((*id).to_owned(), books.ledger.wallet(id).ok()?.clone())))
        .collect()
}

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
    /// Lanes per lock domain (SQLite: the whole file; PostgreSQL: a client, see [`Store::lane`]).
    lanes: Arc<StdMutex<HashMap<(String, usize), Lane>>>,
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
    /// Set once a batch left the writer connection at `synchronous = NORMAL`; the pool puts it
    /// back to FULL when any other writer acquires it (see [`IN_BATCH`]).
    relaxed: Arc<AtomicBool>,
    /// Wallets made in bulk since the planner's statistics were last refreshed for them (see
    /// [`Store::analyze_after_bulk`]).
    bulk: Arc<std::sync::atomic::AtomicU64>,
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

/// The backend of a database URL, with SQLite's file created when missing (`mode=rwc`).
fn backend_of(url: &str) -> Result<(String, Backend), ApiError> {
    if url.starts_with("sqlite:") {
        let url = if url.contains("mode=") {
            url.to_owned()
        } else if url.contains('?') {
            format!("{url}&mode=rwc")
        } else {
            format!("{url}?mode=rwc")
        };
        Ok((url, Backend::Sqlite))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok((url.to_owned(), Backend::Postgres))
    } else {
        Err(ApiError::config(format!(
            "database URL must start with sqlite:// or postgres:// (got {url:?})"
        )))
    }
}

tokio::task_local! {
    /// Set in the task of a batch while it acquires SQLite's writer: the connection may stay at
    /// `synchronous = NORMAL`, which the batch sets anyway. Any other acquirer (keys, settings,
    /// the outbox dispatcher: writers whose commits must be on disk before they return) finds
    /// it unset and puts the connection back to FULL first. So a run of batches sends no pragma
    /// between them, and an acquirer that loses the mark (sqlx polls the acquire in the caller's
    /// task) only sends one pragma too many.
    static IN_BATCH: ();
}

/// The writers' pool: SQLite's one writer (WAL, FULL sync: every commit is on disk before the
/// answer goes out, unless a batch relaxed it, which `relaxed` undoes for any other writer), or
/// sixteen PostgreSQL connections.
fn writer_options(backend: Backend, relaxed: Arc<AtomicBool>) -> AnyPoolOptions {
    let options = AnyPoolOptions::new()
        .max_connections(if backend == Backend::Sqlite { 1 } else { 16 })
        .acquire_timeout(std::time::Duration::from_secs(30))
        .before_acquire(move |conn, _meta| {
            let reset = Arc::clone(&relaxed);
            Box::pin(async move {
                let batch = IN_BATCH.try_with(|_| ()).is_ok();
                if !batch && reset.swap(false, Ordering::SeqCst) {
                    sqlx::query("PRAGMA synchronous = FULL")
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(true)
            })
        });
    if backend != Backend::Sqlite {
        return options;
    }
    // A file's connection cannot drop as a server's can: no ping (a round trip to SQLite's
    // thread) before each batch.
    options
        .test_before_acquire(false)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                for pragma in [
                    "PRAGMA journal_mode = WAL",
                    "PRAGMA synchronous = FULL",
                    "PRAGMA busy_timeout = 10000",
                    "PRAGMA foreign_keys = ON",
                    "PRAGMA temp_store = MEMORY",
                    SQLITE_WRITER_CACHE,
                    "PRAGMA wal_autocheckpoint = 8000",
                ] {
                    sqlx::query(pragma).execute(&mut *conn).await?;
                }
                Ok(())
            })
        })
}

/// The page cache of SQLite's writer: 2 MiB, about SQLite's default (a negative `cache_size` is
/// in KiB).
///
/// Small on purpose: at the end of a write transaction SQLite drops cached pages past the
/// database's end, and after a B-tree split that reordered its new pages (which parks a page at
/// the number just past 1 GiB for a moment) it does so by walking every page the cache holds. A
/// client whose operations touch wallets spread over its books fills a large cache, and that walk
/// then ran at nearly every commit; pages the small cache does not hold come from the operating
/// system's file cache instead (measured in docs/BENCHMARKS.md, "twelfth stop").
const SQLITE_WRITER_CACHE: &str = "PRAGMA cache_size = -2048";

/// SQLite's read-only connections beside the writer.
fn sqlite_readers() -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(SQLITE_READERS)
        .acquire_timeout(std::time::Duration::from_secs(30))
        // See `writer_options`: no ping before each read.
        .test_before_acquire(false)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                for pragma in ["PRAGMA busy_timeout = 10000", "PRAGMA query_only = ON"] {
                    sqlx::query(pragma).execute(&mut *conn).await?;
                }
                Ok(())
            })
        })
}

impl Store {
    /// Opens (creating if needed) the database and runs the migrations.
    pub async fn open(url: &str) -> Result<Store, ApiError> {
        sqlx::any::install_default_drivers();
        let (url, backend) = backend_of(url)?;
        let relaxed = Arc::new(AtomicBool::new(false));
        let wal = match backend {
            Backend::Sqlite => sqlite_file(&url).map(WalSync::start),
            Backend::Postgres => None,
        };
        let pool = writer_options(backend, Arc::clone(&relaxed))
            .connect(&url)
            .await
            .map_err(|e| ApiError::config(format!("cannot open database: {e}")))?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| ApiError::config(format!("migration failed: {e}")))?;
        if backend == Backend::Postgres {
            schema::byte_order_accounts(&pool).await?;
        } else {
            schema::clustered_books(&pool).await?;
        }
        let reader = if backend == Backend::Sqlite {
            sqlite_readers()
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
            bulk: Arc::default(),
        })
    }

    /// What `/metrics` shows.
    pub fn metrics(&self) -> &super::metrics::Metrics {
        &self.metrics
    }

    /// Brings the planner's statistics up to date after a bulk insert (PostgreSQL: a table
    /// that grew by thousands of rows since autovacuum last looked is planned as if it were
    /// tiny, with sequential scans, until it looks again; SQLite plans by its indexes).
    /// Only once the wallets made in bulk since the last such analysis are news to the planner
    /// (see [`statistics::bulk_is_news`]): analyzing tables of a million rows after every batch
    /// of 10,000 made creation slow down as the client grew.
    pub async fn analyze_after_bulk(&self, wallets: usize) -> Result<(), ApiError> {
        if self.backend != Backend::Postgres {
            return Ok(());
        }
        let made = u64::try_from(wallets).unwrap_or(u64::MAX);
        let since = self
            .bulk
            .fetch_add(made, Ordering::SeqCst)
            .saturating_add(made);
        if statistics::bulk_is_news(&self.pool, since).await? {
            self.bulk.store(0, Ordering::SeqCst);
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

    /// A lane of a client's operations: slot 0 takes the whole client, slots 1 to
    /// [`WALLET_LANES`] the operations that hold only their wallets (PostgreSQL; SQLite has one
    /// lane for the whole file).
    fn lane(&self, client_id: &str, slot: usize) -> Lane {
        let key = match self.backend {
            Backend::Sqlite => (String::new(), 0),
            Backend::Postgres => (client_id.to_owned(), slot),
        };
        let mut lanes = self
            .lanes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let keeping = self.backend == Backend::Sqlite;
        lanes
            .entry(key)
            .or_insert_with(|| Lane::new(keeping))
            .clone()
    }

    /// Starts an operation that may change anything in a client's books: it holds the whole
    /// client (PostgreSQL: the client's lock taken exclusively, then its `ledgers` row).
    pub async fn begin(&self, client_id: &str) -> Result<Work, ApiError> {
        self.begin_on(self.lane(client_id, 0), client_id, Hold::Client, false, &[])
            .await
    }

    /// Starts an operation that changes only wallets it names (an internal transfer): on
    /// PostgreSQL it shares the client's lock with other such operations and locks the rows of
    /// its wallets as it loads them, so operations on different wallets of one client run at
    /// once, on this host's lanes and on other hosts. `alone` starts it as the first operation
    /// of a batch of its own: the retry of one that met a row held by another batch
    /// ([`ApiError::is_contended`]).
    pub async fn begin_wallets(
        &self,
        client_id: &str,
        wallets: &[&str],
        alone: bool,
    ) -> Result<Work, ApiError> {
        if self.backend == Backend::Sqlite {
            // The one writer holds the whole file: the operation takes the one lane as any
            // other, naming its wallets so that the batch loads them ahead while it waits, and
            // only they are copied to be put back if it fails.
            return self
                .begin_on(
                    self.lane(client_id, 0),
                    client_id,
                    Hold::Client,
                    alone,
                    wallets,
                )
                .await;
        }
        // The lane whose open batch holds one of the wallets (it would be waited for anywhere
        // else), else the first lane: one batch carries as many transfers as wait, since every
        // batch takes its turn on the client's journal head at its end. The other lanes take
        // transfers only while the first one's first operation waits for a row held elsewhere
        // (the least busy lane then), so that one held row does not hold up the client's other
        // wallets.
        let lanes: Vec<Lane> = (1..=WALLET_LANES)
            .map(|slot| self.lane(client_id, slot))
            .collect();
        let holding = lanes.iter().position(|l| {
            let held = batch::held(&l.held);
            wallets.iter().any(|w| held.contains(*w))
        });
        let now = now_ms();
        let free = |i: &usize| lanes.get(*i).is_some_and(|l| !l.is_stalled(now));
        let pick = holding.or(Some(0).filter(free)).or_else(|| {
            (0..lanes.len()).min_by_key(|i| {
                let l = &lanes[*i];
                (l.is_stalled(now), l.load.load(Ordering::SeqCst))
            })
        });
        let lane = pick
            .and_then(|i| lanes.get(i))
            .cloned()
            .unwrap_or_else(|| self.lane(client_id, 1));
        self.begin_on(
            lane,
            client_id,
            Hold::Wallets { first: false },
            alone,
            wallets,
        )
        .await
    }

    /// Takes a turn on `lane` and opens the client's working set in its batch. While it waits,
    /// the lane's batch may lock and load `wallets` ahead.
    async fn begin_on(
        &self,
        lane: Lane,
        client_id: &str,
        mut hold: Hold,
        alone: bool,
        wallets: &[&str],
    ) -> Result<Work, ApiError> {
        let load = Queued::new(&lane.load);
        let queued = Queued::new(&lane.waiting);
        let wanting = (!alone && !wallets.is_empty())
            .then(|| batch::Wanting::new(&lane.wanted, client_id, wallets));
        let mut guard = lane.slot.clone().lock_owned().await;
        drop(wanting);
        drop(queued);
        let tx = self
            .batch_of(&mut guard, client_id, &mut hold, alone)
            .await?;
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
                _load: load,
            }),
            client_id: client_id.to_owned(),
            hold,
            ledger: placeholder(),
            parts: None,
            events: Vec::new(),
            seq: 0,
            fresh: Vec::new(),
            made: Vec::new(),
            keyed: Vec::new(),
            savepoint: false,
            snapshot: None,
            undo: None,
            sealer: Arc::clone(&self.sealer),
        };
        let books = self.books_for(&mut work, cached, wallets).await?;
        work.ledger = books.ledger;
        work.parts = Some(books.parts);
        Ok(work)
    }

    /// The operation's working set: the one its batch holds for the client (a copy of what it
    /// may change kept to put back if it fails), else the client's books opened; with the named
    /// wallets the lane kept put in.
    async fn books_for(
        &self,
        work: &mut Work,
        cached: Option<Books>,
        wallets: &[&str],
    ) -> Result<Books, ApiError> {
        let client_id = work.client_id.clone();
        let in_batch = cached.is_some();
        let mut books = match cached {
            Some(books) => books,
            None => {
                let books = Books::open(
                    &mut work.tx,
                    Arc::clone(&self.registry),
                    &client_id,
                    self.backend == Backend::Postgres && work.hold == Hold::Client,
                )
                .await?;
                if let Some(cache) = work.cache() {
                    cache.check(&client_id, books.parts.version);
                }
                books
            }
        };
        if let Some(cache) = work.cache() {
            cache.fill(&client_id, &mut books.ledger, &mut books.parts, wallets);
        }
        if in_batch {
            // The batch's transaction holds the row (and its lock) since that operation. A
            // copy goes back to the batch if this operation fails.
            work.undo = wallets_before(&books, wallets);
            if work.undo.is_none() {
                work.snapshot = Some(books.clone());
            }
        }
        Ok(books)
    }

    /// The transaction of the lane's batch: the one parked there, or a new batch's (with the
    /// client's lock on PostgreSQL; its first operation may wait for rows). `alone` commits a
    /// parked batch first.
    async fn batch_of(
        &self,
        guard: &mut tokio::sync::OwnedMutexGuard<batch::Parked>,
        client_id: &str,
        hold: &mut Hold,
        alone: bool,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, ApiError> {
        if alone {
            if let Some(tx) = guard.tx.take() {
                batch::commit_parked(guard, tx, &self.metrics, self.wal.clone()).await;
            }
        }
        if let Some(tx) = guard.tx.take() {
            return Ok(tx);
        }
        if let Hold::Wallets { first } = hold {
            *first = true;
        }
        let mut tx = self.begin_batch().await?;
        if self.backend == Backend::Postgres {
            lock_client(&mut tx, client_id, *hold).await?;
        }
        Ok(tx)
    }

    /// Opens a batch's transaction. On a SQLite file its commit does not wait for the disk
    /// (`synchronous = NORMAL`): its operations are answered after the WAL syncer's next sync.
    async fn begin_batch(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, ApiError> {
        let conn = IN_BATCH.scope((), self.pool.acquire()).await?;
        if self.wal.is_some() {
            self.relaxed.store(true, Ordering::SeqCst);
            // The pragma and the transaction's start in one call on SQLite's thread.
            let begin = std::borrow::Cow::Borrowed("PRAGMA synchronous = NORMAL; BEGIN");
            return Ok(sqlx::Transaction::begin(conn, Some(begin)).await?);
        }
        // What `Pool::begin` does.
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
                states.push(WalletState::of(&client, id.to_owned(), w)?);
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
                .load_wallets(
                    &mut conn,
                    &mut books.ledger,
                    client_id,
                    &chunk,
                    &[],
                    Hold::Client,
                )
                .await?;
        }
        Ok(books.ledger)
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

/// A text field of a JSON value the host stored; CORRUPT_RECORD (and an error log naming `what`)
/// when it is missing or not text.
pub fn stored_text<'v>(
    value: &'v serde_json::Value,
    field: &str,
    what: &str,
) -> Result<&'v str, ApiError> {
    value[field]
        .as_str()
        .ok_or_else(|| ApiError::corrupt(what, format_args!("no text field `{field}`")))
}
