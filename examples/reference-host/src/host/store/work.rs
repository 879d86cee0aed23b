//! One operation in progress: the client's working set, and what it writes with the batch.

use super::super::books::{Books, Parts};
use super::super::error::ApiError;
use super::super::sql::Script;
use super::batch::{
    Keyed, OutboxRow, Postings, TransactionRow, Turn, Tx, WalletState, TRANSACTION_COLUMNS,
};
use super::Hold;
use super::{new_id, now_ms, stored};
use serde_json::Value;
use sqlx::Row;
use std::sync::Arc;
use tokio::sync::oneshot;
use waas_core::ledger::{Ledger, Movement, Settled};
use waas_core::Registry;

/// Sequence numbers an operation may use: the numbers of a client's transactions and events are
/// `(version + 1) * SEQ_PER_VERSION + n`, in the order of the client's row versions.
pub(super) const SEQ_PER_VERSION: i64 = 1000;

/// At most how many wallets of waiting operations an operation locks and loads ahead with its
/// own (see [`Work::need_wallets`]).
const WALLETS_AHEAD: usize = 32;

/// Whether `id` is one of the movement ids an operation made up itself.
pub(super) fn made_up(fresh: &[String], id: &str) -> bool {
    fresh.iter().any(|f| f == id)
}

/// An empty ledger that holds the place of one taken out or not yet restored (no registry copy).
pub(super) fn placeholder() -> Ledger {
    Ledger::with_registry(waas_core::ledger::Config::default(), Registry::empty())
}

/// One operation in progress in the lane's transaction, holding the client's ledger.
pub struct Work {
    /// The open database transaction: reads of the store's own; statements of the handlers go
    /// through [`Work::conn`].
    pub(super) tx: Tx,
    /// Whether the operation has taken its savepoint (before its first statement through
    /// [`Work::conn`]): an operation that wrote nothing needs none to be undone.
    pub(super) savepoint: bool,
    /// Transaction rows under ids this operation made up, written with the batch.
    pub(super) made: Vec<TransactionRow>,
    pub(super) turn: Option<Turn>,
    /// The client whose books are locked.
    pub client_id: String,
    /// What the operation holds of the client's books.
    pub(super) hold: Hold,
    /// Transaction rows written under callers' ids, with their sequence numbers.
    pub(super) keyed: Vec<Keyed>,
    /// The client's working set: the core ledger over the parts loaded so far. Load what the
    /// operation names first ([`Work::need_wallets`], [`Work::need_account`], ...).
    pub ledger: Ledger,
    /// What the working set loaded (its row version and journal head among it).
    pub(super) parts: Option<Parts>,
    pub(super) events: Vec<Value>,
    pub(super) seq: i64,
    /// Movement ids this operation made up itself: no earlier record can carry them and no
    /// retry can name them, so they are neither looked up nor kept as records.
    pub(super) fresh: Vec<String>,
    /// The ledger as the batch held it before this operation, restored there if it fails.
    pub(super) snapshot: Option<Books>,
    /// Instead of [`Work::snapshot`], for an operation that may change only the wallets it
    /// names, all in the working set when it began: those wallets as they were, put back if it
    /// fails (a copy of two wallets instead of the batch's whole working set).
    pub(super) undo: Option<Vec<(String, waas_core::ledger::Wallet)>>,
    /// Seals secrets the operation writes.
    pub(super) sealer: Arc<super::super::seal::Sealer>,
}

/// An answer the host built as JSON, as an event's data (a value that is no object is kept
/// under `value`).
pub fn answer(value: &Value) -> waas_core::webhook::Answer {
    match value {
        Value::Object(map) => map.clone(),
        other => serde_json::Map::from_iter([("value".to_owned(), other.clone())]),
    }
}

/// An answer struct as an event's data.
pub fn answer_of(out: &impl serde::Serialize) -> Result<waas_core::webhook::Answer, ApiError> {
    serde_json::to_value(out)
        .map(|v| answer(&v))
        .map_err(|e| ApiError::internal(format!("answer: {e}")))
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
    pub fn sealer(&self) -> &super::super::seal::Sealer {
        &self.sealer
    }

    /// Records whether the client has a webhook endpoint after this operation saved its
    /// settings (its batch's events are written due or parked by it).
    pub fn set_hooked(&mut self, hooked: bool) {
        if let Some(parts) = self.parts.as_mut() {
            parts.hooked = hooked;
        }
    }

    /// The next sequence number of this operation (orders transactions and events per client).
    pub fn next_seq(&mut self) -> i64 {
        self.seq += 1;
        (self.version() + 1) * SEQ_PER_VERSION + self.seq
    }

    fn version(&self) -> i64 {
        self.parts.as_ref().map_or(0, |p| p.version)
    }

    /// The lane's kept wallets, if it keeps them.
    pub(super) fn cache(&mut self) -> Option<&mut super::cache::WalletCache> {
        self.turn.as_mut().and_then(|t| t.guard.cache.as_mut())
    }

    /// Loads the named wallets (with their balances and rules) into the working set.
    pub async fn need_wallets(&mut self, ids: &[&str]) -> Result<(), ApiError> {
        let Some(p) = self.parts.as_mut() else {
            return Err(ApiError::internal("the operation has already ended"));
        };
        let stalled = match (self.hold, self.turn.as_ref()) {
            (Hold::Wallets { first: true }, Some(turn)) => Some(Arc::clone(&turn.guard.stalled)),
            _ => None,
        };
        // The first operation of a batch may wait for its rows: its lane is marked meanwhile.
        let mark = |since: i64| {
            if let Some(flag) = &stalled {
                flag.store(since, std::sync::atomic::Ordering::SeqCst);
            }
        };
        // An operation loads, with its own, the wallets of the operations waiting for the lane
        // (on PostgreSQL a later operation of a batch, which skips rows held elsewhere and so
        // never waits; the first may wait for its own rows, and loads only those).
        let ahead = match (self.hold, self.turn.as_ref()) {
            (Hold::Wallets { first: true }, _) | (_, None) => Vec::new(),
            (_, Some(turn)) => {
                let ledger = &self.ledger;
                super::batch::wanted_ahead(
                    &turn.guard.wanted,
                    &self.client_id,
                    |id| ids.contains(&id) || ledger.has_wallet(id),
                    WALLETS_AHEAD,
                )
            }
        };
        if let Some(cache) = self.turn.as_mut().and_then(|t| t.guard.cache.as_mut()) {
            let ahead: Vec<&str> = ahead.iter().map(String::as_str).collect();
            cache.fill(&self.client_id, &mut self.ledger, p, ids);
            cache.fill(&self.client_id, &mut self.ledger, p, &ahead);
        }
        mark(now_ms());
        let loaded = p
            .load_wallets(
                &mut self.tx,
                &mut self.ledger,
                &self.client_id,
                ids,
                &ahead,
                self.hold,
            )
            .await;
        mark(0);
        let ahead = loaded?;
        if let (false, Some(turn)) = (ahead.is_empty(), self.turn.as_ref()) {
            turn.metrics.loaded_ahead(ahead.len());
        }
        if let (Hold::Wallets { .. }, Some(turn)) = (self.hold, self.turn.as_ref()) {
            let mut held = super::batch::held(&turn.guard.held);
            held.extend(ids.iter().map(|id| (*id).to_owned()));
            held.extend(ahead);
        }
        Ok(())
    }

    /// Claims a caller's Idempotency-Key for the rest of the batch, so that an operation
    /// holding only its wallets never runs beside a retry of itself in another batch
    /// (PostgreSQL; an operation holding the whole client needs no claim).
    pub async fn claim_key(&mut self, key: &str) -> Result<(), ApiError> {
        let Hold::Wallets { first } = self.hold else {
            return Ok(());
        };
        let name = format!("waas-key:{}:{key}", self.client_id);
        if first {
            sqlx::query("SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(hashtextextended($1, 0))) AS l")
                .bind(name)
                .fetch_one(&mut *self.tx)
                .await?;
            return Ok(());
        }
        let row =
            sqlx::query("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked")
                .bind(name)
                .fetch_one(&mut *self.tx)
                .await?;
        if row.try_get::<bool, _>("locked")? {
            Ok(())
        } else {
            Err(ApiError::contended("the Idempotency-Key"))
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

    /// Queues a webhook event for the outbox (its envelope is built and checked by the core).
    pub fn emit(&mut self, event: waas_core::webhook::Event) -> Result<(), ApiError> {
        let envelope = event.envelope()?;
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
        if self.is_fresh(id) {
            // No earlier row can carry an id made up here: the row joins the batch's insert.
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
        let conn = self.conn().await?;
        let mut script = Script::on(conn);
        let sql = format!("INSERT INTO transactions ({TRANSACTION_COLUMNS}) VALUES {} ON CONFLICT (client_id, id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, body = excluded.body, counterparty_id = COALESCE(excluded.counterparty_id, transactions.counterparty_id) WHERE transactions.type = excluded.type", script.marks().row(12));
        script.push(sql);
        row.bind(&mut script);
        let written = script.run(conn).await?;
        if written > 0 {
            self.keyed.push(Keyed {
                client_id: self.client_id.clone(),
                id: id.to_owned(),
                seq,
            });
        }
        if written == 0 {
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
    pub async fn commit(mut self) -> Result<Committed, ApiError> {
        let settled = self.ledger.take_settled();
        self.write_holds().await?;
        self.record_rule_movements(&settled.movements).await?;
        self.write_records(settled).await?;
        self.hand_to_batch().await
    }

    /// Holds are rows of their own (the expiry sweep finds the due ones by index).
    async fn write_holds(&mut self) -> Result<(), ApiError> {
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
        Ok(())
    }

    /// Movements made by automation rules (ids `rule:RULE:TX`) have no handler of their own to
    /// list them: their transaction rows are recorded here, like the handlers do for theirs.
    async fn record_rule_movements(
        &mut self,
        movements: &[(String, Movement)],
    ) -> Result<(), ApiError> {
        for (id, m) in movements.iter().filter(|(id, _)| id.starts_with("rule:")) {
            let (wallet, counterparty, kind, status, token, amount, body) = match m {
                Movement::Transfer {
                    from,
                    to,
                    token,
                    amount,
                } => (
                    from,
                    Some(to.as_str()),
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
                    None,
                    crate::host::withdrawals::WithdrawalKind::Withdrawal.as_str(),
                    "pending",
                    token,
                    amount,
                    serde_json::json!({"id": id, "type": "withdrawal", "wallet_id": from, "blockchain": self.ledger.wallet(from).ok().and_then(|w| w.blockchain.clone()), "to_address": to_address, "token": token, "amount": amount.to_string(), "fee": fee.to_string(), "status": "pending", "automation": true}),
                ),
                _ => continue,
            };
            let amount = amount.to_string();
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
        Ok(())
    }

    /// Movement, sweep, deposit and withdrawal records as rows: the next operation that names
    /// one loads it (pending deposits and withdrawals, pending or final, included).
    async fn write_records(&mut self, settled: Settled) -> Result<(), ApiError> {
        let Settled {
            movements,
            sweeps,
            deposits,
        } = settled;
        let pending = self.ledger.take_deposits();
        let withdrawals = self.ledger.take_withdrawals();
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
        Ok(())
    }

    /// The operation's events as outbox rows, numbered after its transactions.
    fn outbox_rows(&mut self, now: i64) -> Vec<OutboxRow> {
        let events = std::mem::take(&mut self.events);
        let mut outbox = Vec::with_capacity(events.len());
        for event in events {
            outbox.push(OutboxRow {
                id: new_id("evt"),
                client_id: self.client_id.clone(),
                seq: self.next_seq(),
                event: event.to_string(),
                created_at: now,
                due: now,
            });
        }
        outbox
    }

    /// Hands the operation's events, journal entries, wallet rows and transaction rows to its
    /// batch with the books, then waits for the batch's commit. The ledger row is written once
    /// per batch, just before the commit (see `flush`); the savepoint stays until the batch
    /// commits (savepoints of one name stack, and a rollback goes to the newest): one statement
    /// fewer per operation.
    async fn hand_to_batch(&mut self) -> Result<Committed, ApiError> {
        let now = now_ms();
        let mut outbox = self.outbox_rows(now);
        let committed = Committed {
            announces: !outbox.is_empty() && self.parts.as_ref().is_some_and(|p| p.hooked),
        };
        let postings = self.ledger.take_journal();
        let mut wallets: Vec<(bool, WalletState)> = Vec::new();
        for id in self.ledger.take_touched_wallets() {
            let Ok(w) = self.ledger.wallet(&id) else {
                continue;
            };
            let unchanged = self
                .parts
                .as_ref()
                .is_some_and(|p| p.wallet_unchanged(&id, w));
            wallets.push((unchanged, WalletState::of(&self.client_id, id, w)?));
        }
        let (Some(tx), Some(mut turn), Some(mut parts)) =
            (self.tx.0.take(), self.turn.take(), self.parts.take())
        else {
            return Err(ApiError::internal("the operation has already ended"));
        };
        // An operation that names its wallets may change only those (its failure puts back only
        // those): if it changed anything else, the whole batch fails and nothing is written.
        if matches!(self.hold, Hold::Wallets { .. }) || self.undo.is_some() {
            if let Err(e) = check_wallets_only(&postings) {
                turn.fail(tx, e.message());
                return Err(e);
            }
        }
        let mut entries = vec![Postings {
            client_id: self.client_id.clone(),
            at_ms: now,
            postings,
        }];
        parts.version += 1;
        let ledger = std::mem::replace(&mut self.ledger, placeholder());
        turn.guard
            .ledgers
            .insert(self.client_id.clone(), Books { ledger, parts });
        turn.guard.outbox.append(&mut outbox);
        turn.guard.journal.append(&mut entries);
        turn.guard.keyed.append(&mut self.keyed);
        // A wallet whose balances alone changed (a transfer) keeps its row as it is, unless an
        // earlier operation of the batch changed it (its row is written at the end).
        for (unchanged, state) in wallets {
            if !unchanged || turn.guard.wallets.iter().any(|w| w.id == state.id) {
                turn.guard.wallets.push(state);
            }
        }
        turn.guard.transactions.append(&mut self.made);
        let (member, answer) = oneshot::channel();
        turn.guard.members.push(member);
        tokio::spawn(turn.pass(tx));
        match answer.await {
            Ok(Ok(())) => Ok(committed),
            Ok(Err(e)) => Err(ApiError::internal(format!("commit failed: {e}"))),
            Err(_) => Err(ApiError::internal(
                "the batch holding this operation was abandoned",
            )),
        }
    }
}

/// What a committed operation left for others to do.
#[derive(Debug, Clone, Copy)]
pub struct Committed {
    /// Whether it wrote events due for delivery (its client has a webhook endpoint): the
    /// dispatcher has something new to send. Events of a client without one are parked.
    pub announces: bool,
}

/// An operation that holds only its wallets may change nothing else: the books it shares with
/// the client's other such operations (holding positions, system accounts) are not locked.
fn check_wallets_only(postings: &[waas_core::ledger::journal::Posting]) -> Result<(), ApiError> {
    match postings
        .iter()
        .find(|p| !waas_core::ledger::journal::is_wallet_account(&p.account))
    {
        Some(p) => Err(ApiError::internal(format!(
            "an operation holding only its wallets changed {}",
            p.account
        ))),
        None => Ok(()),
    }
}

/// The working set of a failed operation that held only its wallets, as it was before: its
/// wallets put back, and what it recorded for its commit (records, journal postings, touched
/// wallets) dropped. Wallets it loaded for the operations behind it stay: it did not change them.
fn undone(
    mut ledger: Ledger,
    parts: Parts,
    undo: Vec<(String, waas_core::ledger::Wallet)>,
) -> Books {
    for (id, wallet) in undo {
        ledger.put_wallet(&id, wallet);
    }
    ledger.take_settled();
    ledger.take_deposits();
    ledger.take_withdrawals();
    ledger.take_holds();
    ledger.take_journal();
    ledger.take_touched_wallets();
    Books { ledger, parts }
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
        } else if let (Some(undo), Some(parts)) = (self.undo.take(), self.parts.take()) {
            let ledger = std::mem::replace(&mut self.ledger, placeholder());
            turn.guard
                .ledgers
                .insert(self.client_id.clone(), undone(ledger, parts, undo));
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
