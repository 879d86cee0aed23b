//! The journal in rows: the entries an operation made, chained after the client's head, written
//! with the batch, and the balances they leave (`balances`). Its routes are in `api/journal.rs`.

use super::error::ApiError;
use super::sql::Script;
use rust_decimal::Decimal;
use sqlx::any::AnyRow;
use sqlx::Row as _;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;
use waas_core::ledger::journal::{Entry, Posting, GENESIS_HASH};
use waas_core::ledger::Balance;

/// Rows of the journal written per statement.
const ROWS_PER_INSERT: usize = 64;

/// The head of a client's chain: its last entry's number and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Number of the last entry (0 before the first).
    pub seq: i64,
    /// Hash of the last entry ([`GENESIS_HASH`] before the first).
    pub hash: String,
}

impl Default for Head {
    fn default() -> Self {
        Head {
            seq: 0,
            hash: GENESIS_HASH.to_owned(),
        }
    }
}

/// One entry to write, with its time in milliseconds.
pub struct Row {
    entry: Entry,
    at_ms: i64,
}

/// Chains an operation's postings after `head` (which moves to the last of them).
pub fn chain(client_id: &str, head: &mut Head, at_ms: i64, postings: &[Posting]) -> Vec<Row> {
    let created_at = rfc3339(at_ms);
    postings
        .iter()
        .map(|p| {
            head.seq += 1;
            let seq = u64::try_from(head.seq).unwrap_or_default();
            let entry = Entry::chain(client_id, seq, &created_at, &head.hash, p);
            head.hash.clone_from(&entry.hash);
            Row { entry, at_ms }
        })
        .collect()
}

/// The number of the last of `rows` of each account of `client_id`.
pub fn last_entries<'r>(rows: &'r [Row], client_id: &str) -> HashMap<&'r str, i64> {
    let mut last = HashMap::new();
    for r in rows.iter().filter(|r| r.entry.client_id == client_id) {
        let seq = i64::try_from(r.entry.seq).unwrap_or(i64::MAX);
        let at = last.entry(r.entry.account.as_str()).or_insert(seq);
        *at = (*at).max(seq);
    }
    last
}

/// Writes entries, several rows per statement. Each names the previous entry of its account
/// (`prev_seq`): an earlier one among `rows`, else the last one of the account as the working set
/// loaded it (`known`: client -> account -> last entry's number, 0 for none), else the last one
/// its balance rows name (their `seq`, read here before this batch's balances are written, while
/// the batch holds the client's journal head), else none.
pub async fn insert<'q>(
    conn: &mut sqlx::AnyConnection,
    script: &mut Script<'q>,
    rows: &'q [Row],
    known: &HashMap<&str, &HashMap<String, i64>>,
) -> Result<(), ApiError> {
    let previous = previous_of_account(conn, rows, known).await?;
    for (chunk, previous) in rows
        .chunks(ROWS_PER_INSERT)
        .zip(previous.chunks(ROWS_PER_INSERT))
    {
        let mut sql = format!("INSERT{} INTO journal (client_id, seq, movement_id, account, token, posted, pending, posted_after, pending_after, created_at, prev_hash, hash, prev_seq) VALUES ", script.or_fail());
        sql.push_str(&script.marks().rows(chunk.len(), 13));
        script.push(sql);
        for (r, prev) in chunk.iter().zip(previous) {
            let e = &r.entry;
            script
                .bind(e.client_id.as_str())
                .bind(i64::try_from(e.seq).unwrap_or(i64::MAX))
                .bind(e.movement_id.as_str())
                .bind(e.account.as_str())
                .bind(e.token.as_str())
                .bind(e.posted.to_string())
                .bind(e.pending.to_string())
                .bind(e.posted_after.to_string())
                .bind(e.pending_after.to_string())
                .bind(r.at_ms)
                .bind(e.prev_hash.as_str())
                .bind(e.hash.as_str())
                .bind(*prev);
        }
    }
    Ok(())
}

/// A balance row's last entry number, as a load reads it (text).
pub fn entry_number(text: &str) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|e| ApiError::corrupt("balance row's entry number", e))
}

/// For each row, the number of the previous entry of its client's account: the last row before
/// it among `rows`, else the last entry `known` or its balance rows name (none: the account's
/// first).
async fn previous_of_account(
    conn: &mut sqlx::AnyConnection,
    rows: &[Row],
    known: &HashMap<&str, &HashMap<String, i64>>,
) -> Result<Vec<Option<i64>>, ApiError> {
    let mut last: HashMap<(&str, &str), i64> = HashMap::new();
    let mut previous: Vec<Option<i64>> = rows
        .iter()
        .map(|r| {
            let seq = i64::try_from(r.entry.seq).unwrap_or(i64::MAX);
            last.insert((&r.entry.client_id, &r.entry.account), seq)
        })
        .collect();
    // The accounts whose first row here needs its balance rows (the working set did not load
    // them), by client.
    let mut first: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (r, prev) in rows.iter().zip(previous.iter_mut()) {
        if prev.is_some() {
            continue;
        }
        let loaded = known
            .get(r.entry.client_id.as_str())
            .and_then(|accounts| accounts.get(&r.entry.account));
        if let Some(seq) = loaded {
            *prev = Some(*seq).filter(|s| *s > 0);
        } else {
            first
                .entry(&r.entry.client_id)
                .or_default()
                .insert(&r.entry.account);
        }
    }
    let mut heads: HashMap<(String, String), i64> = HashMap::new();
    for (client, accounts) in first {
        let accounts: Vec<&str> = accounts.into_iter().collect();
        for chunk in accounts.chunks(ROWS_PER_INSERT * 4) {
            let mut marks = super::sql::Marks::on(conn);
            let sql = format!(
                "SELECT account, CAST(COALESCE(MAX(seq), 0) AS TEXT) AS s FROM balances WHERE client_id = {} AND account IN ({}) GROUP BY account",
                marks.list(1),
                marks.list(chunk.len())
            );
            let sql = super::sql::packed(conn, &sql, &["account", "s"]);
            let mut q = sqlx::query(&sql).bind(client);
            for a in chunk {
                q = q.bind(*a);
            }
            for [account, seq] in super::sql::texts(conn, q, ["account", "s"]).await? {
                heads.insert((client.to_owned(), account), entry_number(&seq)?);
            }
        }
    }
    for (r, prev) in rows.iter().zip(previous.iter_mut()) {
        if prev.is_none() {
            let key = (r.entry.client_id.clone(), r.entry.account.clone());
            *prev = heads.get(&key).copied().filter(|s| *s > 0);
        }
    }
    Ok(previous)
}

/// Brings the balance rows up to the entries written: each (client, account, token) gets the
/// balance after its last entry among them.
pub fn project_balances<'q>(script: &mut Script<'q>, rows: &'q [Row]) {
    let mut last: BTreeMap<(&str, &str, &str), &Entry> = BTreeMap::new();
    for r in rows {
        let e = &r.entry;
        last.insert((&e.client_id, &e.account, &e.token), e);
    }
    let latest: Vec<BalanceRow<'_>> = last
        .into_values()
        .map(|e| BalanceRow {
            client_id: &e.client_id,
            account: &e.account,
            token: &e.token,
            balance: Balance {
                posted: e.posted_after,
                pending: e.pending_after,
            },
            seq: i64::try_from(e.seq).unwrap_or(i64::MAX),
        })
        .collect();
    push_balances(script, &latest);
}

/// Writes a client's balances as the books hold them (filling the rows of books kept before),
/// each with the number of its last entry in the journal (0: none).
pub async fn upsert_balances(
    conn: &mut sqlx::AnyConnection,
    client_id: &str,
    balances: &[(String, String, Balance)],
) -> sqlx::Result<()> {
    let mut last: BTreeMap<(String, String), i64> = BTreeMap::new();
    let rows = sqlx::query(
        "SELECT account, token, MAX(seq) AS s FROM journal WHERE client_id = $1 GROUP BY account, token",
    )
    .bind(client_id)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        last.insert(
            (row.try_get("account")?, row.try_get("token")?),
            row.try_get("s")?,
        );
    }
    let rows: Vec<BalanceRow<'_>> = balances
        .iter()
        .map(|(account, token, balance)| BalanceRow {
            client_id,
            account,
            token,
            balance: *balance,
            seq: last
                .get(&(account.clone(), token.clone()))
                .copied()
                .unwrap_or(0),
        })
        .collect();
    let mut script = Script::on(conn);
    push_balances(&mut script, &rows);
    script.run(conn).await.map(|_| ())
}

/// One row of `balances`.
struct BalanceRow<'a> {
    client_id: &'a str,
    account: &'a str,
    token: &'a str,
    balance: Balance,
    seq: i64,
}

/// Adds to `script` the upserts of balance rows (each key at most once), several per statement.
fn push_balances<'q>(script: &mut Script<'q>, rows: &[BalanceRow<'q>]) {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO balances (client_id, account, token, posted, pending, seq) VALUES ",
        );
        sql.push_str(&script.marks().rows(chunk.len(), 6));
        sql.push_str(" ON CONFLICT (client_id, account, token) DO UPDATE SET posted = excluded.posted, pending = excluded.pending, seq = excluded.seq");
        script.push(sql);
        for r in chunk {
            script
                .bind(r.client_id)
                .bind(r.account)
                .bind(r.token)
                .bind(r.balance.posted.normalize().to_string())
                .bind(r.balance.pending.normalize().to_string())
                .bind(r.seq);
        }
    }
}

/// The balances of accounts as their rows hold them: account -> token -> balance.
pub async fn balances_of(
    pool: &sqlx::AnyPool,
    client: &str,
    accounts: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, Balance>>, ApiError> {
    let mut out: BTreeMap<String, BTreeMap<String, Balance>> = BTreeMap::new();
    for chunk in accounts.chunks(ROWS_PER_INSERT * 4) {
        let mut sql = String::from(
            "SELECT account, token, posted, pending FROM balances WHERE client_id = $1 AND account IN (",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", i + 2));
        }
        sql.push(')');
        let mut q = sqlx::query(&sql).bind(client);
        for a in chunk {
            q = q.bind(a);
        }
        for row in q.fetch_all(pool).await? {
            let account: String = row.try_get("account")?;
            let token: String = row.try_get("token")?;
            let b = Balance {
                posted: decimal(&row, "posted")?,
                pending: decimal(&row, "pending")?,
            };
            out.entry(account).or_default().insert(token, b);
        }
    }
    Ok(out)
}

/// A time in milliseconds as the journal writes it: RFC 3339, UTC, milliseconds, `Z`.
pub fn rfc3339(ms: i64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    match time::OffsetDateTime::from_unix_timestamp_nanos(nanos) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond()
        ),
        Err(_) => "1970-01-01T00:00:00.000Z".to_owned(),
    }
}

/// Reads an RFC 3339 time given in a query (e.g. `2026-12-01T10:00:00Z`) as milliseconds.
pub fn parse_time(name: &str, text: &str) -> Result<i64, ApiError> {
    let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|e| {
            ApiError::bad_request(format!("{name} must be an RFC 3339 time ({text:?}: {e})"))
        })?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| ApiError::bad_request(format!("{name} is out of range")))
}

fn decimal(row: &AnyRow, name: &str) -> Result<Decimal, ApiError> {
    let text: String = row.try_get(name)?;
    Decimal::from_str(&text)
        .map_err(|e| ApiError::internal(format!("journal column {name} holds {text:?}: {e}")))
}

/// An entry as its row stores it.
pub fn entry_of(row: &AnyRow) -> Result<Entry, ApiError> {
    let seq: i64 = row.try_get("seq")?;
    let posted = decimal(row, "posted")?;
    let pending = decimal(row, "pending")?;
    let posted_after = decimal(row, "posted_after")?;
    let pending_after = decimal(row, "pending_after")?;
    Ok(Entry {
        seq: u64::try_from(seq).unwrap_or_default(),
        id: seq.to_string(),
        client_id: row.try_get("client_id")?,
        movement_id: row.try_get("movement_id")?,
        account: row.try_get("account")?,
        token: row.try_get("token")?,
        amount: posted + pending,
        posted,
        pending,
        balance_after: posted_after + pending_after,
        posted_after,
        pending_after,
        created_at: rfc3339(row.try_get("created_at")?),
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// The columns of a journal row, in the order [`entry_of`] reads them.
pub const COLUMNS: &str = "client_id, seq, movement_id, account, token, posted, pending, posted_after, pending_after, created_at, prev_hash, hash";
