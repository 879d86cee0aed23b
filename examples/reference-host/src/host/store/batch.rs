//! Group commit: the lane of operations that share one database transaction, what a batch keeps
//! for its end, and the commit that answers them all.

use super::super::books::Books;
use super::super::durable::WalSync;
use super::super::error::ApiError;
use super::super::journal;
use super::super::sql::Script;
use super::cache::WalletCache;
use super::MAX_BATCH;
use sqlx::Row;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};

/// Ids of the wallets whose rows a lane's open batch holds.
pub(super) type Held = Arc<std::sync::Mutex<std::collections::HashSet<String>>>;

/// Locks a lane's held wallets (a poisoned lock still holds a usable set).
pub(super) fn held(set: &Held) -> std::sync::MutexGuard<'_, std::collections::HashSet<String>> {
    set.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The wallets named by operations waiting for a lane's turn, by client (a PostgreSQL lane is one
/// client's, SQLite's one lane serves them all) and wallet id, each with the number of such
/// operations: the batch running meanwhile loads them ahead with its own (one round trip for
/// several operations instead of one or two for each; see [`Wanting`]).
pub(super) type Wanted = Arc<std::sync::Mutex<HashMap<(String, String), usize>>>;

/// Wallets of `client` that a lane's waiting operations name, to load ahead: at most `limit` of
/// them, leaving out those `skip` names.
pub(super) fn wanted_ahead(
    set: &Wanted,
    client: &str,
    skip: impl Fn(&str) -> bool,
    limit: usize,
) -> Vec<String> {
    let wanted = set
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut ahead: Vec<String> = wanted
        .keys()
        .filter(|(c, id)| c == client && !skip(id))
        .take(limit)
        .map(|(_, id)| id.clone())
        .collect();
    ahead.sort_unstable();
    ahead
}

/// An operation's wallets in its lane's [`Wanted`] while it waits for its turn.
pub(super) struct Wanting {
    set: Wanted,
    ids: Vec<(String, String)>,
}

impl Wanting {
    /// Adds the wallets `ids` of `client` to the lane's wanted wallets until the returned guard
    /// drops.
    pub(super) fn new(set: &Wanted, client: &str, ids: &[&str]) -> Wanting {
        let ids: Vec<(String, String)> = ids
            .iter()
            .map(|id| (client.to_owned(), (*id).to_owned()))
            .collect();
        let mut wanted = set
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for id in &ids {
            *wanted.entry(id.clone()).or_insert(0) += 1;
        }
        Wanting {
            set: Arc::clone(set),
            ids,
        }
    }
}

impl Drop for Wanting {
    fn drop(&mut self) {
        let mut wanted = self
            .set
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for id in &self.ids {
            if let Some(n) = wanted.get_mut(id) {
                *n -= 1;
                if *n == 0 {
                    wanted.remove(id);
                }
            }
        }
    }
}

/// The operations queued behind one lock, and the transaction they share.
#[derive(Clone)]
pub(super) struct Lane {
    pub(super) slot: Arc<Mutex<Parked>>,
    /// Operations waiting for their turn.
    pub(super) waiting: Arc<AtomicUsize>,
    /// Operations waiting, running, or waiting for their batch's commit (picks the least busy
    /// of a client's wallet lanes).
    pub(super) load: Arc<AtomicUsize>,
    /// The wallets whose rows its open batch holds: a transfer of one of them joins this lane
    /// rather than waiting for its commit in another.
    pub(super) held: Held,
    /// When (ms since the epoch; 0: not) the first operation of its batch began to lock its
    /// wallets: one still at it after [`STALLED_MS`] waits for a row another batch holds, and
    /// transfers look for another lane meanwhile.
    pub(super) stalled: Arc<AtomicI64>,
    /// The wallets its waiting operations name.
    pub(super) wanted: Wanted,
}

/// How long (ms) the first operation of a batch may take to lock and load its wallets before its
/// lane counts as stalled (they take about a millisecond when no other batch holds them).
pub(super) const STALLED_MS: i64 = 20;

impl Lane {
    /// Whether the lane's first operation has been waiting for a row for a while.
    pub(super) fn is_stalled(&self, now_ms: i64) -> bool {
        let since = self.stalled.load(Ordering::SeqCst);
        since != 0 && now_ms - since > STALLED_MS
    }
}

impl Lane {
    /// A lane; `keeping` keeps committed wallets for later batches (SQLite's one lane).
    pub(super) fn new(keeping: bool) -> Lane {
        let held = Held::default();
        let stalled = Arc::<AtomicI64>::default();
        let wanted = Wanted::default();
        Lane {
            slot: Arc::new(Mutex::new(Parked {
                held: Arc::clone(&held),
                stalled: Arc::clone(&stalled),
                wanted: Arc::clone(&wanted),
                cache: keeping.then(WalletCache::default),
                ..Parked::default()
            })),
            waiting: Arc::default(),
            load: Arc::default(),
            held,
            stalled,
            wanted,
        }
    }
}

/// A batch between two operations: its open transaction and the operations waiting for its commit.
#[derive(Default)]
pub(super) struct Parked {
    pub(super) tx: Option<sqlx::Transaction<'static, sqlx::Any>>,
    pub(super) members: Vec<oneshot::Sender<Result<(), String>>>,
    /// Each client's ledger as the last successful operation of the client in this batch left
    /// it, with its version: the client's next operation in the batch starts from it instead of
    /// reading and restoring the row, and the row is written once, just before the commit.
    pub(super) ledgers: HashMap<String, Books>,
    /// The webhook events of the batch's operations, written just before it commits.
    pub(super) outbox: Vec<OutboxRow>,
    /// The journal postings of the batch's operations, chained after the client's head and
    /// written just before it commits (on PostgreSQL the head is locked and read again then).
    pub(super) journal: Vec<Postings>,
    /// Transaction rows the batch's operations wrote under a caller's id, with the sequence
    /// number they got: renumbered at the commit if another batch of the client committed
    /// between this batch's start and its end.
    pub(super) keyed: Vec<Keyed>,
    /// Transaction rows under ids the batch's operations made up, written just before it commits.
    pub(super) transactions: Vec<TransactionRow>,
    /// Wallet rows to bring up to the books: (client, wallet, status, flags as JSON).
    pub(super) wallets: Vec<WalletState>,
    /// The lane's held wallets (see [`Lane::held`]), emptied when the batch ends.
    pub(super) held: Held,
    /// See [`Lane::stalled`].
    pub(super) stalled: Arc<AtomicI64>,
    /// See [`Lane::wanted`].
    pub(super) wanted: Wanted,
    /// Operations (savepoints) in the transaction, failed ones included: PostgreSQL keeps 64
    /// subtransactions per transaction in memory, so a batch stops at [`MAX_BATCH`].
    pub(super) operations: usize,
    /// Wallets as the lane's last batches committed them (SQLite's lane only).
    pub(super) cache: Option<WalletCache>,
}

impl Parked {
    /// Drops what the batch kept for its end (its operations rolled back or failed).
    fn clear_batch(&mut self) {
        held(&self.held).clear();
        self.ledgers.clear();
        self.outbox.clear();
        self.journal.clear();
        self.keyed.clear();
        self.wallets.clear();
        self.transactions.clear();
    }
}

/// One operation's journal postings, not yet chained.
pub(super) struct Postings {
    pub(super) client_id: String,
    pub(super) at_ms: i64,
    pub(super) postings: Vec<waas_core::ledger::journal::Posting>,
}

/// A transaction row written under a caller's id, and its sequence number.
pub(super) struct Keyed {
    pub(super) client_id: String,
    pub(super) id: String,
    pub(super) seq: i64,
}

/// A wallet's status and flags as its row keeps them.
pub(super) struct WalletState {
    pub(super) client_id: String,
    pub(super) id: String,
    pub(super) status: &'static str,
    /// A card's status: `blocked` while blocked, else the wallet status.
    pub(super) card_status: &'static str,
    pub(super) flags: String,
    /// Held amounts per token (JSON).
    pub(super) held: String,
}

impl WalletState {
    pub(super) fn of(
        client_id: &str,
        id: String,
        w: &waas_core::ledger::Wallet,
    ) -> Result<Self, ApiError> {
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
pub(super) struct TransactionRow {
    pub(super) id: String,
    pub(super) client_id: String,
    pub(super) seq: i64,
    pub(super) wallet_id: Option<String>,
    pub(super) counterparty_id: Option<String>,
    pub(super) kind: String,
    pub(super) status: String,
    pub(super) token: Option<String>,
    pub(super) amount: Option<String>,
    pub(super) created_at: i64,
    pub(super) body: String,
}

/// The columns of a transaction row, in the order [`TransactionRow::bind`] binds them.
pub(super) const TRANSACTION_COLUMNS: &str = "id, client_id, seq, wallet_id, counterparty_id, type, status, token, amount, created_at, updated_at, body";

impl TransactionRow {
    /// Binds the row's values in the order of [`TRANSACTION_COLUMNS`] (a new row: updated when
    /// created) to the last statement of `script`.
    pub(super) fn bind<'q>(&'q self, script: &mut Script<'q>) {
        script
            .bind(self.id.as_str())
            .bind(self.client_id.as_str())
            .bind(self.seq)
            .bind(self.wallet_id.as_deref())
            .bind(self.counterparty_id.as_deref())
            .bind(self.kind.as_str())
            .bind(self.status.as_str())
            .bind(self.token.as_deref())
            .bind(self.amount.as_deref())
            .bind(self.created_at)
            .bind(self.created_at)
            .bind(self.body.as_str());
    }
}

/// Adds to `script` the inserts of transaction rows made up by a batch's operations, several
/// per statement.
fn insert_transactions<'q>(script: &mut Script<'q>, rows: &'q [TransactionRow]) {
    for chunk in rows.chunks(OUTBOX_ROWS_PER_INSERT) {
        let mut sql = format!(
            "INSERT{} INTO transactions ({TRANSACTION_COLUMNS}) VALUES ",
            script.or_fail()
        );
        sql.push_str(&script.marks().rows(chunk.len(), 12));
        script.push(sql);
        for r in chunk {
            r.bind(script);
        }
    }
}

/// One webhook event for the outbox table.
pub(super) struct OutboxRow {
    pub(super) id: String,
    pub(super) client_id: String,
    pub(super) seq: i64,
    pub(super) event: String,
    pub(super) created_at: i64,
    /// When it is first due (`created_at`, or parked).
    pub(super) due: i64,
}

/// Rows of the outbox written per statement.
pub(super) const OUTBOX_ROWS_PER_INSERT: usize = 64;

/// What a batch kept for its end, taken out of the lane when it commits.
pub(super) struct Ending {
    ledgers: HashMap<String, Books>,
    journal: Vec<Postings>,
    keyed: Vec<Keyed>,
    wallets: Vec<WalletState>,
    transactions: Vec<TransactionRow>,
    outbox: Vec<OutboxRow>,
}

impl Parked {
    /// Takes what the batch kept for its end.
    fn take_ending(&mut self) -> Ending {
        Ending {
            ledgers: std::mem::take(&mut self.ledgers),
            journal: std::mem::take(&mut self.journal),
            keyed: std::mem::take(&mut self.keyed),
            wallets: std::mem::take(&mut self.wallets),
            transactions: std::mem::take(&mut self.transactions),
            outbox: std::mem::take(&mut self.outbox),
        }
    }
}

/// Writes what a batch kept for its end: for each client, its head (locked on PostgreSQL),
/// its operations' journal entries chained after it and their sequence numbers moved past any
/// batch of the client that committed meanwhile, its ledger row; then the entries, balances,
/// wallet rows, transaction rows and events. The writes that follow the heads go as one
/// [`Script`]: on SQLite one call on the database's thread for all of them.
pub(super) async fn flush(
    conn: &mut sqlx::AnyConnection,
    end: &mut Ending,
) -> Result<Vec<journal::Row>, String> {
    // What needs no head is done before any head is taken: a head is held until the commit.
    update_wallets(conn, &end.wallets)
        .await
        .map_err(|e| e.to_string())?;
    park_unannounced(end);
    let mut entries = Vec::new();
    let mut ledger_rows = Script::on(conn);
    for (client_id, books) in end.ledgers.iter_mut() {
        let shift = take_head(conn, client_id, books)
            .await
            .map_err(|e| e.message().to_owned())?;
        for p in end.journal.iter().filter(|p| &p.client_id == client_id) {
            entries.extend(journal::chain(
                client_id,
                &mut books.parts.head,
                p.at_ms,
                &p.postings,
            ));
        }
        if shift != 0 {
            for r in end.outbox.iter_mut().filter(|r| &r.client_id == client_id) {
                r.seq += shift;
            }
            for r in end
                .transactions
                .iter_mut()
                .filter(|r| &r.client_id == client_id)
            {
                r.seq += shift;
            }
            let keyed: Vec<&Keyed> = end
                .keyed
                .iter()
                .filter(|k| &k.client_id == client_id)
                .collect();
            renumber(conn, &keyed, shift)
                .await
                .map_err(|e| e.to_string())?;
        }
        books
            .parts
            .write(&mut ledger_rows, &books.ledger, client_id)
            .map_err(|e| e.message().to_owned())?;
    }
    write_rows(conn, ledger_rows, end, &entries)
        .await
        .map_err(|e| e.message().to_owned())?;
    Ok(entries)
}

/// Writes a batch's rows after its heads: the ledger rows in `script`, then the journal entries,
/// balances, transaction rows and events, all in one [`Script`].
async fn write_rows<'q>(
    conn: &mut sqlx::AnyConnection,
    mut script: Script<'q>,
    end: &'q Ending,
    entries: &'q [journal::Row],
) -> Result<(), ApiError> {
    let known: HashMap<&str, &HashMap<String, i64>> = end
        .ledgers
        .iter()
        .map(|(client, books)| (client.as_str(), &books.parts.last_entries))
        .collect();
    journal::insert(conn, &mut script, entries, &known).await?;
    journal::project_balances(&mut script, entries);
    insert_transactions(&mut script, &end.transactions);
    insert_outbox(&mut script, &end.outbox);
    script.run(conn).await?;
    Ok(())
}

/// Writes the events of a client without a webhook endpoint parked (saving an endpoint makes
/// them due).
fn park_unannounced(end: &mut Ending) {
    for (client_id, books) in &end.ledgers {
        if books.parts.hooked {
            continue;
        }
        for r in end.outbox.iter_mut() {
            if &r.client_id == client_id {
                r.due = crate::host::webhooks::PARKED;
            }
        }
    }
}

/// Locks (PostgreSQL) a client's journal head and row version at a batch's end, moves the working
/// set onto them, and returns by how much the batch's sequence numbers move: other batches of the
/// client may have committed since this one opened its books (operations that hold only their
/// wallets run beside each other). On SQLite nothing can have moved (0).
async fn take_head(
    conn: &mut sqlx::AnyConnection,
    client_id: &str,
    books: &mut Books,
) -> Result<i64, ApiError> {
    if conn.backend_name() == "SQLite" {
        // SQLite's one writer holds the file from the batch's first write on, and the batch's
        // transaction read the head when it opened the books: nothing has moved it since.
        return Ok(0);
    }
    let row = sqlx::query(
        "SELECT version, journal_seq, journal_hash FROM ledgers WHERE client_id = $1 FOR UPDATE",
    )
    .bind(client_id)
    .fetch_one(&mut *conn)
    .await?;
    let version: i64 = row.try_get("version")?;
    let parts = &mut books.parts;
    let moved = version - parts.opened_version;
    parts.opened_version = version;
    parts.version += moved;
    parts.head = journal::Head {
        seq: row.try_get("journal_seq")?,
        hash: row.try_get("journal_hash")?,
    };
    Ok(moved * super::work::SEQ_PER_VERSION)
}

/// Moves the sequence numbers of transaction rows written under callers' ids by `shift`
/// (each still at the number it was written with), several rows per statement.
async fn renumber(conn: &mut sqlx::AnyConnection, rows: &[&Keyed], shift: i64) -> sqlx::Result<()> {
    for chunk in rows.chunks(OUTBOX_ROWS_PER_INSERT) {
        let values = super::super::sql::Marks::on(conn).rows(chunk.len(), 4);
        let or_fail = super::super::sql::or_fail(conn);
        let sql = format!("UPDATE{or_fail} transactions SET seq = v.column3 FROM (VALUES {values}) AS v WHERE transactions.client_id = v.column1 AND transactions.id = v.column2 AND transactions.seq = v.column4");
        let mut q = sqlx::query(&sql);
        for k in chunk {
            q = q
                .bind(&k.client_id)
                .bind(&k.id)
                .bind(k.seq + shift)
                .bind(k.seq);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Brings wallet rows up to the books (status, flags), several rows per statement.
pub(super) async fn update_wallets(
    conn: &mut sqlx::AnyConnection,
    rows: &[WalletState],
) -> sqlx::Result<()> {
    // The last state of each wallet in the batch.
    let mut last: HashMap<(&str, &str), &WalletState> = HashMap::new();
    for r in rows {
        last.insert((&r.client_id, &r.id), r);
    }
    let rows: Vec<&WalletState> = last.into_values().collect();
    for chunk in rows.chunks(OUTBOX_ROWS_PER_INSERT) {
        // VALUES columns are named column1, column2, ... on SQLite and PostgreSQL alike.
        let values = super::super::sql::Marks::on(conn).rows(chunk.len(), 6);
        let or_fail = super::super::sql::or_fail(conn);
        for sql in [
            format!("UPDATE{or_fail} wallets SET status = v.column3, flags = v.column5, held = v.column6 FROM (VALUES {values}) AS v WHERE wallets.client_id = v.column1 AND wallets.id = v.column2"),
            format!("UPDATE{or_fail} cards SET status = v.column4 FROM (VALUES {values}) AS v WHERE cards.client_id = v.column1 AND cards.id = v.column2"),
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

/// Adds to `script` the inserts of a batch's events, several rows per statement.
fn insert_outbox<'q>(script: &mut Script<'q>, rows: &'q [OutboxRow]) {
    for chunk in rows.chunks(OUTBOX_ROWS_PER_INSERT) {
        let mut sql = format!(
            "INSERT{} INTO outbox (id, client_id, seq, event, created_at, attempts, next_attempt_at) VALUES ",
            script.or_fail()
        );
        sql.push_str(&script.marks().rows_of(chunk.len(), |m| {
            format!("({}, 0, {})", m.list(5), m.list(1))
        }));
        script.push(sql);
        for r in chunk {
            script
                .bind(r.id.as_str())
                .bind(r.client_id.as_str())
                .bind(r.seq)
                .bind(r.event.as_str())
                .bind(r.created_at)
                .bind(r.due);
        }
    }
}

/// Counts an operation as waiting for its lane until it gets its turn (or is cancelled).
pub(super) struct Queued(Arc<AtomicUsize>);

impl Queued {
    pub(super) fn new(waiting: &Arc<AtomicUsize>) -> Queued {
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
pub(super) struct Turn {
    pub(super) guard: OwnedMutexGuard<Parked>,
    pub(super) waiting: Arc<AtomicUsize>,
    pub(super) metrics: Arc<super::super::metrics::Metrics>,
    /// Syncs the WAL after a commit made without waiting for the disk (SQLite file).
    pub(super) wal: Option<Arc<WalSync>>,
    /// Counts the operation in its lane's load until the turn ends.
    pub(super) _load: Queued,
}

impl Turn {
    /// Ends the turn with the batch's transaction: commits it when nobody waits (or the batch is
    /// full), otherwise parks it for the next operation. Runs to the end even if the caller is
    /// cancelled, so one dropped request never abandons the others' commit.
    pub(super) async fn pass(mut self, tx: sqlx::Transaction<'static, sqlx::Any>) {
        if self.guard.members.is_empty() {
            self.guard.clear_batch();
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
        let Turn {
            mut guard,
            metrics,
            wal,
            ..
        } = self;
        let (members, result) = end_batch(&mut guard, tx, &metrics).await;
        // The next batch may start while this one's commit reaches the disk.
        drop(guard);
        answer(members, result, wal).await;
    }

    /// Ends the turn after a failure that may have broken the transaction: every operation in the
    /// batch fails, and the transaction rolls back.
    pub(super) fn fail(mut self, tx: sqlx::Transaction<'static, sqlx::Any>, why: &str) {
        self.guard.clear_batch();
        self.guard.operations = 0;
        for member in std::mem::take(&mut self.guard.members) {
            let _ = member.send(Err(why.to_owned()));
        }
        drop(tx);
    }
}

/// Flushes and commits a batch; returns its members and the outcome.
async fn end_batch(
    guard: &mut Parked,
    mut tx: sqlx::Transaction<'static, sqlx::Any>,
    metrics: &super::super::metrics::Metrics,
) -> (Vec<oneshot::Sender<Result<(), String>>>, Result<(), String>) {
    let members = std::mem::take(&mut guard.members);
    metrics.batch(members.len());
    guard.operations = 0;
    let mut ending = guard.take_ending();
    let result = match flush(&mut tx, &mut ending).await {
        Ok(rows) => {
            let committed = tx.commit().await.map_err(|e| e.to_string());
            if let (Ok(()), Some(cache)) = (&committed, guard.cache.as_mut()) {
                for (client_id, books) in &ending.ledgers {
                    cache.keep(client_id, books, &rows);
                }
            }
            committed
        }
        Err(e) => Err(e),
    };
    if let (Err(_), Some(cache)) = (&result, guard.cache.as_mut()) {
        for client_id in ending.ledgers.keys() {
            cache.forget(client_id);
        }
    }
    held(&guard.held).clear();
    (members, result)
}

/// Answers a batch's members once its commit is durable.
async fn answer(
    members: Vec<oneshot::Sender<Result<(), String>>>,
    result: Result<(), String>,
    wal: Option<Arc<WalSync>>,
) {
    let result = match (result, wal) {
        (Ok(()), Some(wal)) => wal.durable().await,
        (result, _) => result,
    };
    for member in members {
        let _ = member.send(result.clone());
    }
}

/// Commits the batch parked on a lane now, for an operation that must start a batch of its own
/// ([`super::Store::begin_wallets`] with `alone`). Its members are answered as usual.
pub(super) async fn commit_parked(
    guard: &mut OwnedMutexGuard<Parked>,
    tx: sqlx::Transaction<'static, sqlx::Any>,
    metrics: &super::super::metrics::Metrics,
    wal: Option<Arc<WalSync>>,
) {
    if guard.members.is_empty() {
        guard.clear_batch();
        guard.operations = 0;
        drop(tx);
        return;
    }
    let (members, result) = end_batch(guard, tx, metrics).await;
    tokio::spawn(answer(members, result, wal));
}

/// The shared transaction, as an operation sees it while it holds its turn.
pub struct Tx(pub(super) Option<sqlx::Transaction<'static, sqlx::Any>>);

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
