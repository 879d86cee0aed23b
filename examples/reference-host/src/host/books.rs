//! A client's books in rows, as one operation needs them: the working set.
//!
//! An operation opens the client's terms (configuration, contract, counters), its holding
//! wallets and its system accounts (all bounded by the registry, not by the client's size), then
//! loads the wallets, accounts, rules and deposit records it names. The core decides over that
//! working set (`waas_core::ledger::parts`); at the batch's commit the parts that changed are
//! written back, and balances follow the journal entries into `balances`. Nothing read or written
//! grows with the number of the client's wallets or movements.

use super::error::ApiError;
use super::journal::{self, Head};
use super::sql::{Marks, Script};
use super::store::Hold;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use waas_core::automation::Rule;
use waas_core::ledger::parts::rule_target;
use waas_core::ledger::{Balance, ClientBooks, Config, Holding, Ledger, Wallet};
use waas_core::Registry;

/// `ledgers.rows_ready` once a client's books are in rows and its document is emptied.
pub const SPLIT: i64 = 2;

/// A client's terms: what `ledgers.terms` keeps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Terms {
    /// The ledger configuration (reserve ratio, minimum deposits, confirmations).
    pub config: Config,
    /// Contract and counters.
    pub client: ClientBooks,
}

impl Terms {
    /// The stored form.
    pub fn to_text(&self) -> Result<String, ApiError> {
        serde_json::to_string(self).map_err(|e| ApiError::internal(e.to_string()))
    }
}

/// A client's working set: the ledger over the parts loaded, and what they were when loaded.
#[derive(Clone)]
pub struct Books {
    /// The core ledger over the loaded parts.
    pub ledger: Ledger,
    /// What was loaded, and the client's row.
    pub parts: Parts,
}

/// What a working set loaded: the client's row, and each part's text as loaded.
#[derive(Clone)]
pub struct Parts {
    /// The row version of the client (orders transactions and events).
    pub version: i64,
    /// The client's row version this working set was opened (or last written) at: at the
    /// batch's end, the distance to the row's version then is how far its numbers move.
    pub opened_version: i64,
    /// The head of the client's journal.
    pub head: Head,
    /// Each part's stored text when loaded (`terms`, `holding:KEY`, `wallet:ID`).
    loaded: HashMap<String, String>,
    /// Ids of the rules loaded (or written) in this working set.
    rules: BTreeSet<String>,
    /// Whether the client had any rule when the working set opened (if not, and none is added,
    /// loading a wallet skips looking for its rules).
    any_rules: bool,
    /// The number of the last journal entry of each account of the wallets loaded (0: none), as
    /// their balance rows named it when loaded: the previous entry of the batch's first entry of
    /// the account ([`journal::insert`]). The batch holds those wallets until it commits, so no
    /// other batch adds entries to them meanwhile.
    pub last_entries: HashMap<String, i64>,
    /// Whether the client has a webhook endpoint: its events are written due, else parked
    /// ([`crate::host::webhooks::PARKED`]), as the dispatcher would park them. Read with the
    /// books (saving settings takes the whole client, so no other batch changes it meanwhile)
    /// and kept up by an operation of the batch that saves them.
    pub hooked: bool,
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(e.to_string())
}

/// A wallet's stored text: everything but its balances (those are rows of `balances`).
fn wallet_text(w: &Wallet) -> Result<String, ApiError> {
    let mut bare = w.clone();
    bare.balances.clear();
    bare.on_chain.clear();
    serde_json::to_string(&bare).map_err(internal)
}

/// A holding wallet's stored text: everything but its position (rows of `balances`).
fn holding_text(h: &Holding) -> Result<String, ApiError> {
    let mut bare = h.clone();
    bare.position.clear();
    serde_json::to_string(&bare).map_err(internal)
}

fn decimal(text: &str) -> Result<rust_decimal::Decimal, ApiError> {
    text.parse()
        .map_err(|e| internal(format!("bad stored amount {text:?}: {e}")))
}

impl Books {
    /// Opens a client's working set: its row (locked on PostgreSQL), terms, holding wallets and
    /// system accounts.
    pub async fn open(
        conn: &mut sqlx::AnyConnection,
        registry: Arc<Registry>,
        client_id: &str,
        lock: bool,
    ) -> Result<Books, ApiError> {
        // A row to lock is read on its own (`FOR UPDATE` takes no `UNION`); otherwise it comes
        // with the rest in one statement.
        let locked = if lock {
            Some(client_row(conn, client_id).await?)
        } else {
            None
        };
        let shared = load_shared(conn, client_id, locked.is_none()).await?;
        let row = locked
            .or(shared.row)
            .ok_or_else(|| ApiError::not_found(format!("no client {client_id}")))?;
        if row.rows_ready < SPLIT {
            return Err(ApiError::internal(format!(
                "the books of {client_id} are not in rows yet (the host splits them at start)"
            )));
        }
        let terms: Terms = super::store::stored(&row.terms, "client terms")?;
        let mut ledger = Ledger::with_registry(terms.config.clone(), registry);
        ledger.record_journal(true);
        ledger.put_client(client_id, terms.client.clone());
        let mut loaded = HashMap::new();
        loaded.insert("terms".to_owned(), row.terms);
        for (key, text) in shared.holdings {
            let holding: Holding = super::store::stored(&text, "holding wallet")?;
            let parsed = key
                .parse()
                .map_err(|e| ApiError::corrupt("holding wallet's key", e))?;
            ledger.put_holding(parsed, holding);
            loaded.insert(format!("holding:{key}"), text);
        }
        for (account, token, balance) in shared.balances {
            ledger.put_balance(&account, &token, balance)?;
        }
        Ok(Books {
            ledger,
            parts: Parts {
                version: row.version,
                opened_version: row.version,
                head: row.head,
                loaded,
                rules: BTreeSet::new(),
                any_rules: shared.any_rules,
                last_entries: HashMap::new(),
                hooked: shared.hooked,
            },
        })
    }
}

/// A client's `ledgers` row.
struct ClientRow {
    terms: String,
    version: i64,
    head: Head,
    /// How far its books are split into rows ([`SPLIT`]: all the way).
    rows_ready: i64,
}

/// Reads and locks (PostgreSQL) a client's `ledgers` row.
async fn client_row(
    conn: &mut sqlx::AnyConnection,
    client_id: &str,
) -> Result<ClientRow, ApiError> {
    let row = sqlx::query(
        "SELECT terms, version, journal_seq, journal_hash, rows_ready FROM ledgers WHERE client_id = $1 FOR UPDATE",
    )
    .bind(client_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| ApiError::not_found(format!("no client {client_id}")))?;
    Ok(ClientRow {
        terms: row.try_get("terms")?,
        version: row.try_get("version")?,
        head: Head {
            seq: row.try_get("journal_seq")?,
            hash: row.try_get("journal_hash")?,
        },
        rows_ready: row.try_get("rows_ready")?,
    })
}

/// What every operation of a client may touch, as [`load_shared`] read it.
struct Shared {
    /// The client's row, if asked for and found.
    row: Option<ClientRow>,
    /// Holding wallets: key and stored text.
    holdings: Vec<(String, String)>,
    /// Balances of holding wallets and system accounts: account, token, balance.
    balances: Vec<(String, String, Balance)>,
    /// Whether the client has any rule.
    any_rules: bool,
    /// Whether the client has a webhook endpoint.
    hooked: bool,
}

/// Reads what every operation of a client may touch, in one statement: the holding wallets
/// ('a'), the balances of holding wallets and system accounts ('b'), a row if the client has any
/// rule ('c'), its settings ('d') and, `with_row`, its `ledgers` row ('e': terms, journal hash,
/// version, and the journal's length and `rows_ready` separated by a space).
async fn load_shared(
    conn: &mut sqlx::AnyConnection,
    client_id: &str,
    with_row: bool,
) -> Result<Shared, ApiError> {
    let row_part = if with_row {
        " UNION ALL SELECT 'e' AS part, terms AS a, journal_hash AS b, \
         CAST(version AS TEXT) AS c, \
         CAST(journal_seq AS TEXT) || ' ' || CAST(rows_ready AS TEXT) AS d \
         FROM ledgers WHERE client_id = $1"
    } else {
        ""
    };
    let rows = sqlx::query(&format!(
        "SELECT 'a' AS part, key AS a, body AS b, '' AS c, '' AS d FROM books \
         WHERE client_id = $1 AND kind = 'holding' \
         UNION ALL SELECT 'b' AS part, account AS a, token AS b, posted AS c, pending AS d \
         FROM balances WHERE client_id = $1 AND account >= 'holding:' AND account < 'holding;' \
         UNION ALL SELECT 'b' AS part, account AS a, token AS b, posted AS c, pending AS d \
         FROM balances WHERE client_id = $1 AND account >= 'system:' AND account < 'system;' \
         UNION ALL SELECT 'c' AS part, '' AS a, '' AS b, '' AS c, '' AS d \
         FROM (SELECT 1 AS one FROM rules WHERE client_id = $1 LIMIT 1) AS any_rule \
         UNION ALL SELECT 'd' AS part, '' AS a, body AS b, '' AS c, '' AS d \
         FROM settings WHERE client_id = $1{row_part} \
         ORDER BY part"
    ))
    .bind(client_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut shared = Shared {
        row: None,
        holdings: Vec::new(),
        balances: Vec::new(),
        any_rules: false,
        hooked: false,
    };
    for r in rows {
        let a: String = r.try_get("a")?;
        let b: String = r.try_get("b")?;
        let c: String = r.try_get("c")?;
        let d: String = r.try_get("d")?;
        match r.try_get::<String, _>("part")?.as_str() {
            "a" => shared.holdings.push((a, b)),
            "b" => {
                let balance = Balance {
                    posted: decimal(&c)?,
                    pending: decimal(&d)?,
                };
                shared.balances.push((a, b, balance));
            }
            "c" => shared.any_rules = true,
            "d" => {
                let settings: super::Settings = super::store::stored(&b, "settings")?;
                shared.hooked = settings.webhook_url.is_some();
            }
            _ => shared.row = Some(row_of(a, b, &c, &d)?),
        }
    }
    Ok(shared)
}

/// A client's row from [`load_shared`]'s 'e' part.
fn row_of(terms: String, hash: String, version: &str, rest: &str) -> Result<ClientRow, ApiError> {
    let number = |text: &str| {
        text.parse::<i64>()
            .map_err(|e| ApiError::corrupt("client row", e))
    };
    let (seq, ready) = rest
        .split_once(' ')
        .ok_or_else(|| ApiError::corrupt("client row", "no journal length"))?;
    Ok(ClientRow {
        terms,
        version: number(version)?,
        head: Head {
            seq: number(seq)?,
            hash,
        },
        rows_ready: number(ready)?,
    })
}

impl Parts {
    /// Loads the named wallets not loaded yet (unknown ids stay absent: the core answers
    /// NOT_FOUND), with their balances, rules and the wallets their rules forward to, and the
    /// wallets `ahead` with them; returns those of `ahead` it loaded. Under [`Hold::Wallets`] it
    /// locks their rows first and loads no rules (such an operation fires none), and only a later
    /// operation of a batch takes `ahead`, those whose rows are free.
    pub async fn load_wallets(
        &mut self,
        conn: &mut sqlx::AnyConnection,
        ledger: &mut Ledger,
        client_id: &str,
        ids: &[&str],
        ahead: &[String],
        hold: Hold,
    ) -> Result<Vec<String>, ApiError> {
        if let Hold::Wallets { first } = hold {
            let missing: Vec<&str> = ids
                .iter()
                .copied()
                .filter(|id| !ledger.has_wallet(id))
                .collect();
            let ahead: Vec<&str> = if first {
                Vec::new()
            } else {
                ahead.iter().map(String::as_str).collect()
            };
            let ahead = lock_wallets(conn, client_id, &missing, &ahead, first).await?;
            let mut load: Vec<&str> = ids.to_vec();
            load.extend(ahead.iter().map(String::as_str));
            self.load_bare(conn, ledger, client_id, &load).await?;
            return Ok(ahead);
        }
        let mut load: Vec<&str> = ids.to_vec();
        load.extend(ahead.iter().map(String::as_str));
        let fresh = self.load_bare(conn, ledger, client_id, &load).await?;
        let loaded_ahead: Vec<String> = fresh
            .iter()
            .filter(|id| ahead.contains(id))
            .cloned()
            .collect();
        let no_rules = !self.any_rules && ledger.rules().is_empty();
        if fresh.is_empty() || no_rules {
            return Ok(loaded_ahead);
        }
        let refs: Vec<&str> = fresh.iter().map(String::as_str).collect();
        let mut marks = Marks::on(conn);
        let sql = format!(
            "SELECT id, body FROM rules WHERE client_id = {} AND wallet_id IN ({}) ORDER BY seq",
            marks.list(1),
            marks.list(refs.len())
        );
        let mut q = sqlx::query(&sql).bind(client_id);
        for id in &refs {
            q = q.bind(*id);
        }
        let mut targets = Vec::new();
        for row in q.fetch_all(&mut *conn).await? {
            let id: String = row.try_get("id")?;
            let rule: Rule =
                super::store::stored(&row.try_get::<String, _>("body")?, "ledger record")?;
            if let Some(t) = rule_target(&rule) {
                targets.push(t.to_owned());
            }
            if self.rules.insert(id) {
                ledger.put_rule(rule);
            }
        }
        let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
        self.load_bare(conn, ledger, client_id, &targets).await?;
        Ok(loaded_ahead)
    }

    /// Loads wallets and their balances, without rules; returns the ids loaded now.
    async fn load_bare(
        &mut self,
        conn: &mut sqlx::AnyConnection,
        ledger: &mut Ledger,
        client_id: &str,
        ids: &[&str],
    ) -> Result<Vec<String>, ApiError> {
        let mut missing: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|id| !ledger.has_wallet(id))
            .collect();
        missing.sort_unstable();
        missing.dedup();
        if missing.is_empty() {
            return Ok(Vec::new());
        }
        let mut found = Vec::new();
        for chunk in missing.chunks(WALLETS_PER_LOAD) {
            self.load_chunk(conn, ledger, client_id, chunk, &mut found)
                .await?;
        }
        Ok(found)
    }

    /// Loads wallets (at most [`WALLETS_PER_LOAD`]) and their balances in one statement (each
    /// statement is a round trip to the database's thread): books rows first, then balance
    /// rows, told apart by `part`.
    async fn load_chunk(
        &mut self,
        conn: &mut sqlx::AnyConnection,
        ledger: &mut Ledger,
        client_id: &str,
        wallets: &[&str],
        found: &mut Vec<String>,
    ) -> Result<(), ApiError> {
        let accounts: Vec<String> = wallets
            .iter()
            .flat_map(|id| {
                [
                    waas_core::ledger::journal::wallet_account(id),
                    waas_core::ledger::journal::on_chain_account(id),
                ]
            })
            .collect();
        let branched = wallets.len() <= BRANCHED_WALLETS;
        let sql = wallet_load(Marks::on(conn), wallets.len(), accounts.len(), branched);
        let sql = super::sql::packed(conn, &sql, &LOAD_COLUMNS);
        let mut q = sqlx::query(&sql).bind(client_id);
        for id in wallets {
            q = q.bind(*id);
        }
        if !branched {
            q = q.bind(client_id);
        }
        for a in &accounts {
            if branched {
                q = q.bind(client_id);
            }
            q = q.bind(a.as_str());
        }
        let rows = super::sql::texts(conn, q, LOAD_COLUMNS).await?;
        // Wallets first: a balance goes into its wallet.
        for account in &accounts {
            self.last_entries.entry(account.clone()).or_insert(0);
        }
        for [_, a, b, _, _, _] in rows.iter().filter(|r| r[0] == "a") {
            let wallet: Wallet = super::store::stored(b, "wallet")?;
            ledger.put_wallet(a, wallet);
            self.loaded.insert(format!("wallet:{a}"), b.clone());
            found.push(a.clone());
        }
        for [_, a, b, c, d, e] in rows.iter().filter(|r| r[0] == "b") {
            let balance = Balance {
                posted: decimal(c)?,
                pending: decimal(d)?,
            };
            ledger.put_balance(a, b, balance)?;
            let seq = journal::entry_number(e)?;
            let last = self.last_entries.entry(a.clone()).or_insert(0);
            *last = (*last).max(seq);
        }
        Ok(())
    }

    /// Whether no automation rule of the client can be in play (none when the working set
    /// opened, none loaded or added since): a wallet then loads without rules.
    pub fn rules_free(&self, ledger: &Ledger) -> bool {
        !self.any_rules && self.rules.is_empty() && ledger.rules().is_empty()
    }

    /// A wallet's stored text as loaded (or last written).
    pub fn loaded_wallet(&self, id: &str) -> Option<&str> {
        self.loaded.get(&format!("wallet:{id}")).map(String::as_str)
    }

    /// Puts in a wallet known as committed (with its balances), its stored text and the last
    /// journal entry of its two accounts, as loading its rows would.
    pub fn adopt(
        &mut self,
        ledger: &mut Ledger,
        id: &str,
        wallet: Wallet,
        text: String,
        last: [i64; 2],
    ) {
        ledger.put_wallet(id, wallet);
        self.loaded.insert(format!("wallet:{id}"), text);
        let accounts = [
            waas_core::ledger::journal::wallet_account(id),
            waas_core::ledger::journal::on_chain_account(id),
        ];
        for (account, seq) in accounts.into_iter().zip(last) {
            self.last_entries.insert(account, seq);
        }
    }

    /// Whether a wallet is as it was loaded (status, flags, held amounts): its row in
    /// `wallets` needs no update then.
    pub fn wallet_unchanged(&self, id: &str, w: &Wallet) -> bool {
        self.loaded
            .get(&format!("wallet:{id}"))
            .is_some_and(|text| wallet_text(w).ok().as_ref() == Some(text))
    }

    /// Loads a rule by id (to tell a repeated rule from a reused id, or to remove it).
    pub async fn load_rule(
        &mut self,
        conn: &mut sqlx::AnyConnection,
        ledger: &mut Ledger,
        client_id: &str,
        id: &str,
    ) -> Result<(), ApiError> {
        if self.rules.contains(id) {
            return Ok(());
        }
        let row = sqlx::query("SELECT wallet_id FROM rules WHERE client_id = $1 AND id = $2")
            .bind(client_id)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(row) = row {
            let wallet: String = row.try_get("wallet_id")?;
            self.load_wallets(conn, ledger, client_id, &[&wallet], &[], Hold::Client)
                .await?;
        }
        Ok(())
    }

    /// Puts in an account of this client (an account of another client stays absent).
    pub async fn load_account(
        conn: &mut sqlx::AnyConnection,
        ledger: &mut Ledger,
        client_id: &str,
        id: &str,
    ) -> Result<(), ApiError> {
        let row = sqlx::query("SELECT client_id FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(row) = row {
            let owner: String = row.try_get("client_id")?;
            if owner == client_id {
                ledger.put_account(id, &owner);
            }
        }
        Ok(())
    }

    /// Adds to `script` the writes of the parts that changed since they were loaded (balances go
    /// with the journal).
    pub fn write(
        &mut self,
        script: &mut Script<'_>,
        ledger: &Ledger,
        client_id: &str,
    ) -> Result<(), ApiError> {
        let terms = terms_text(ledger, client_id)?;
        let mut marks = script.marks();
        script
            .push(format!(
                "UPDATE ledgers SET terms = {}, version = {}, journal_seq = {}, journal_hash = {} WHERE client_id = {}",
                marks.list(1),
                marks.list(1),
                marks.list(1),
                marks.list(1),
                marks.list(1)
            ))
            .bind(terms.clone())
            .bind(self.version)
            .bind(self.head.seq)
            .bind(self.head.hash.clone())
            .bind(client_id.to_owned());
        self.loaded.insert("terms".to_owned(), terms);
        let mut parts = parts_text(ledger)?;
        parts.retain(|(kind, key, text)| self.loaded.get(&format!("{kind}:{key}")) != Some(text));
        push_parts(script, client_id, &parts);
        for (kind, key, text) in parts {
            self.loaded.insert(format!("{kind}:{key}"), text);
        }
        self.write_rules(script, ledger, client_id)
    }

    /// Adds to `script` the inserts of the rules added and the deletes of the rules removed
    /// since the working set opened.
    fn write_rules(
        &mut self,
        script: &mut Script<'_>,
        ledger: &Ledger,
        client_id: &str,
    ) -> Result<(), ApiError> {
        let now: BTreeSet<String> = ledger.rules().iter().map(|r| r.id.to_string()).collect();
        for gone in self.rules.difference(&now) {
            let mut marks = script.marks();
            script
                .push(format!(
                    "DELETE FROM rules WHERE client_id = {} AND id = {}",
                    marks.list(1),
                    marks.list(1)
                ))
                .bind(client_id.to_owned())
                .bind(gone.clone());
        }
        for (at, rule) in ledger.rules().iter().enumerate() {
            if self.rules.contains(&*rule.id) {
                continue;
            }
            // Rules of one wallet fire in the order they were added: seq follows the version.
            let seq = self.version * 100_000 + i64::try_from(at).map_err(internal)?;
            let mut marks = script.marks();
            script
                .push(format!(
                    "INSERT INTO rules (client_id, id, wallet_id, seq, body) VALUES {}",
                    marks.row(5)
                ))
                .bind(client_id.to_owned())
                .bind(rule.id.to_string())
                .bind(rule.wallet.clone())
                .bind(seq)
                .bind(serde_json::to_string(rule).map_err(internal)?);
        }
        self.rules = now;
        Ok(())
    }
}

/// Books rows written per upsert (four values each). An upsert takes a statement journal on
/// SQLite, and releasing it inside an operation's savepoint walks that savepoint's journal (see
/// [`super::sql::or_fail`]): the wallets a bulk operation made go in few statements.
const PARTS_PER_UPSERT: usize = 1_000;

/// Wallets loaded by one statement at most (three bound values each: SQLite takes 32,766).
const WALLETS_PER_LOAD: usize = 1_000;

/// The columns of [`wallet_load`]'s rows.
const LOAD_COLUMNS: [&str; 6] = ["part", "a", "b", "c", "d", "e"];

/// Wallets whose balances are read one account per branch (an operation's own wallets).
const BRANCHED_WALLETS: usize = 2;

/// The statement that loads `wallets` wallet rows (`part` 'a') and `accounts` balance
/// accounts (`part` 'b'); binds: the client and the wallet ids, then, `branched`, the client and
/// the account of each balance, else the client and the accounts. An operation's own wallets
/// are `branched`: with `account IN (...)` PostgreSQL may plan a scan of every balance row of
/// the client when its statistics are older than the client's rows (seen at 100,000 wallets:
/// 250 pages read per transfer), while one account per branch can only be an index lookup.
/// Many wallets at once (an account's) take the list: SQLite allows 500 branches at most.
fn wallet_load(mut marks: Marks, wallets: usize, accounts: usize, branched: bool) -> String {
    let mut sql = format!(
        "SELECT 'a' AS part, key AS a, body AS b, '' AS c, '' AS d, '' AS e FROM books \
         WHERE client_id = {} AND kind = 'wallet' AND key IN ({})",
        marks.list(1),
        marks.list(wallets),
    );
    let balances = " UNION ALL SELECT 'b' AS part, account AS a, token AS b, posted AS c, \
                    pending AS d, CAST(seq AS TEXT) AS e FROM balances WHERE client_id = ";
    if branched {
        for _ in 0..accounts {
            sql.push_str(&format!(
                "{balances}{} AND account = {}",
                marks.list(1),
                marks.list(1)
            ));
        }
    } else {
        sql.push_str(&format!(
            "{balances}{} AND account IN ({})",
            marks.list(1),
            marks.list(accounts)
        ));
    }
    sql
}

/// Locks the rows of wallets in one statement, in the order of their ids (so that two operations
/// never wait for each other in a circle). The first operation of a batch waits for a row
/// another batch holds; a later one holds its batch's rows meanwhile and may not wait: it
/// skips rows held elsewhere and meets [`ApiError::contended`] when one of its own is. Such an
/// operation also locks the free rows of the wallets `ahead`; returns those it locked.
async fn lock_wallets(
    conn: &mut sqlx::AnyConnection,
    client_id: &str,
    ids: &[&str],
    ahead: &[&str],
    first: bool,
) -> Result<Vec<String>, ApiError> {
    let mut own = ids.to_vec();
    own.sort_unstable();
    own.dedup();
    if own.is_empty() {
        return Ok(Vec::new());
    }
    let mut all = own.clone();
    all.extend(ahead.iter().copied().filter(|id| !own.contains(id)));
    all.sort_unstable();
    all.dedup();
    let skip = if first { "" } else { " SKIP LOCKED" };
    let sql = wallet_rows(conn, "key", all.len());
    let sql = format!("{sql} ORDER BY key FOR UPDATE{skip}");
    let mut q = sqlx::query(&sql).bind(client_id);
    for id in &all {
        q = q.bind(*id);
    }
    let mut locked: Vec<String> = Vec::with_capacity(all.len());
    for row in q.fetch_all(&mut *conn).await? {
        locked.push(row.try_get("key")?);
    }
    let own_locked = own
        .iter()
        .filter(|id| locked.iter().any(|l| l == *id))
        .count();
    locked.retain(|l| !own.contains(&l.as_str()));
    if own_locked == own.len() || first {
        return Ok(locked);
    }
    // Fewer of its own rows than ids: either some ids name no wallet (the core answers
    // NOT_FOUND), or another batch holds a row.
    let sql = wallet_rows(conn, "COUNT(*) AS n", own.len());
    let mut q = sqlx::query(&sql).bind(client_id);
    for id in &own {
        q = q.bind(*id);
    }
    let existing: i64 = q.fetch_one(&mut *conn).await?.try_get("n")?;
    if usize::try_from(existing).unwrap_or(usize::MAX) > own_locked {
        return Err(ApiError::contended("a wallet"));
    }
    Ok(locked)
}

/// `SELECT columns` from the `books` rows of a client's wallets named by `n` binds (after the
/// client's).
fn wallet_rows(conn: &sqlx::AnyConnection, columns: &str, n: usize) -> String {
    let mut marks = Marks::on(conn);
    format!(
        "SELECT {columns} FROM books WHERE client_id = {} AND kind = 'wallet' AND key IN ({})",
        marks.list(1),
        marks.list(n)
    )
}

/// Adds to `script` the upserts of rows of `books`, several per statement.
fn push_parts(script: &mut Script<'_>, client_id: &str, parts: &[(&'static str, String, String)]) {
    for chunk in parts.chunks(PARTS_PER_UPSERT) {
        let mut sql = String::from("INSERT INTO books (client_id, kind, key, body) VALUES ");
        sql.push_str(&script.marks().rows(chunk.len(), 4));
        sql.push_str(" ON CONFLICT (client_id, kind, key) DO UPDATE SET body = excluded.body");
        script.push(sql);
        for (kind, key, text) in chunk {
            script
                .bind(client_id.to_owned())
                .bind(*kind)
                .bind(key.clone())
                .bind(text.clone());
        }
    }
}

/// Splits a client's books kept as one document into rows: terms, holding wallets, wallets,
/// rules, pending deposits, every balance (and, for books kept before the journal, the entries
/// that open it), then empties the document. Returns the opening entries written.
/// The stored text of a client's terms (configuration, contract and counters).
fn terms_text(ledger: &Ledger, client_id: &str) -> Result<String, ApiError> {
    Terms {
        config: ledger.config().clone(),
        client: ledger.client_books(client_id).cloned().unwrap_or_default(),
    }
    .to_text()
}

/// Every holding and wallet of a working set as (kind, key, stored text).
fn parts_text(ledger: &Ledger) -> Result<Vec<(&'static str, String, String)>, ApiError> {
    let mut parts = Vec::new();
    for (key, h) in ledger.holdings() {
        parts.push(("holding", key.to_string(), holding_text(h)?));
    }
    for (id, w) in ledger.wallets() {
        parts.push(("wallet", id.to_owned(), wallet_text(w)?));
    }
    Ok(parts)
}

/// Splits a client's books kept as one document (a database of the first version) into rows.
pub async fn split(
    conn: &mut sqlx::AnyConnection,
    client_id: &str,
    mut ledger: Ledger,
    head: &mut Head,
) -> Result<usize, ApiError> {
    let opening = if head.seq == 0 {
        ledger.opening_journal()
    } else {
        Vec::new()
    };
    let entries = journal::chain(client_id, head, super::store::now_ms(), &opening);
    let mut script = Script::on(conn);
    journal::insert(conn, &mut script, &entries, &HashMap::new()).await?;
    script.run(conn).await?;
    journal::upsert_balances(conn, client_id, &ledger.account_balances()).await?;
    let terms = terms_text(&ledger, client_id)?;
    let mut script = Script::on(conn);
    push_parts(&mut script, client_id, &parts_text(&ledger)?);
    script.run(conn).await?;
    for (at, rule) in ledger.rules().iter().enumerate() {
        sqlx::query("INSERT INTO rules (client_id, id, wallet_id, seq, body) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (client_id, id) DO NOTHING")
            .bind(client_id)
            .bind(&*rule.id)
            .bind(&rule.wallet)
            .bind(i64::try_from(at).map_err(internal)?)
            .bind(serde_json::to_string(rule).map_err(internal)?)
            .execute(&mut *conn)
            .await?;
    }
    for d in ledger.take_deposits() {
        sqlx::query("INSERT INTO records (client_id, kind, key, body) VALUES ($1, 'deposit', $2, $3) ON CONFLICT (client_id, kind, key) DO UPDATE SET body = excluded.body")
            .bind(client_id)
            .bind(&d.request.tx)
            .bind(serde_json::to_string(&d).map_err(internal)?)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("UPDATE ledgers SET terms = $1, state = '', journal_seq = $2, journal_hash = $3, rows_ready = $4 WHERE client_id = $5")
        .bind(terms)
        .bind(head.seq)
        .bind(&head.hash)
        .bind(SPLIT)
        .bind(client_id)
        .execute(&mut *conn)
        .await?;
    Ok(entries.len())
}
