//! The EVM JSON-RPC chain adapter: watches a real node for deposits to derived addresses, confirms
//! them, drops them on reorgs, sweeps them to the holding wallet and broadcasts withdrawals.
//!
//! One chain per host process (`waas serve --evm-rpc URL --evm-chain NAME ...`). Each tick, the
//! host holding the chain's lease (a `chain_leases` row with an expiry, so several hosts can share
//! one database) does, in order:
//! 1. reorg check: the stored hash of the last scanned block against the node's; on a mismatch
//!    it walks back the kept hashes to the fork, drops the pending deposits of the orphaned blocks
//!    through the ledger's `drop_deposit` (the core decides what happens to the credit) and moves
//!    the cursor back, so the new blocks are scanned;
//! 2. scan from the cursor: blocks with full transactions (native transfers to watched addresses,
//!    receipts checked) and `eth_getLogs` of the Transfer topic of the registered tokens, matched
//!    in the in-memory [`index::AddressIndex`]; each deposit is credited in its client's database
//!    transaction, then the block's hash and the cursor are stored together. A crash in between
//!    rescans the block: the deposit row (id = tx hash + log index) and the core's idempotency make
//!    the repeat a no-op;
//! 3. confirmations: pending deposits with the chain's confirmations are posted;
//! 4. withdrawals recorded by the API (`pending`; `submitted` before the lifecycle) are signed by
//!    the core and broadcast ([`sends`]): virtual-wallet and holding withdrawals from the holding
//!    wallet, treasury sends from the treasury wallet's own address, below-minimum refunds from
//!    where the core's refund legs take the money (deposit address, holding wallet or treasury
//!    address);
//! 5. our own transactions ([`sends`]): broadcast (again) until mined, then applied once
//!    confirmed (a sweep reaches the ledger only when its transaction is confirmed on chain; a
//!    reverted withdrawal fails with its debit back); one that another transaction of the same
//!    nonce replaced for good is `dropped`, one the node refused without ever accepting it is
//!    `rejected`, and either fails its withdrawal the same way;
//! 6. sweeps of confirmed deposits: native coin directly (value minus the gas), tokens after a gas
//!    top-up from the holding wallet when the deposit address lacks gas. A deposit whose refund
//!    claimed its funds at the deposit address (`sweep = 'refund'`) is not swept.
//!
//! `chain_txs.status`: `signed` (recorded, no node has accepted it yet), `sent`, then `confirmed`,
//! `failed` (reverted), `dropped` or `rejected`. `chain_deposits.sweep`: `none`, `due`, `topup`,
//! `sent`, `swept`, `dust`, `failed`, or `refund`.
//!
//! Nonces: the lowest nonce from `eth_getTransactionCount(address, "pending")` up that none of
//! our in-flight (`signed`/`sent`) transactions of the address holds: one past the last in
//! flight, or the nonce of one that was rejected before any node had it. Every transaction is
//! written to the database before it is broadcast, so a restart rebroadcasts the same bytes
//! instead of signing a second transaction for the same purpose (`chain_txs` is unique by chain,
//! purpose and ref).
//!
//! Limits (see docs/SCALING.md): gas is not in the core's ledger (the holding wallet's on-chain
//! native balance is its ledger position plus the operator's gas float minus the gas of sweeps,
//! top-ups and withdrawals; a treasury or deposit address pays the gas of its own sends and
//! refunds); native coin sent by contracts (internal transactions) is not seen; a reorg deeper
//! than the confirmations marks the deposit `orphaned` for an operator.

pub mod index;
pub mod rpc;
pub mod sends;

use super::chain::{self, Incoming};
use super::error::ApiError;
use super::store::{col, new_id, now_ms};
use super::AppState;
use index::{Addr, AddressIndex, Hit, Watched};
use rpc::{Block, Rpc, RpcError};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::Row;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use waas_core::tx::{erc20_transfer_data, signer_address, Fees, Transaction, U256};
use waas_core::{Address, Amount, Blockchain, ChainId, Family, Registry, Token};

/// Gas of a plain native transfer.
const NATIVE_GAS: u64 = 21_000;
/// A broadcast transaction not mined after this long is broadcast again.
const REBROADCAST_MS: i64 = 15_000;
/// Tip when the node has no eth_maxPriorityFeePerGas: 1 gwei.
const DEFAULT_TIP: u128 = 1_000_000_000;

/// A token given on the command line: `SYMBOL:0xCONTRACT:DECIMALS`.
#[derive(Debug, Clone)]
pub struct TokenSpec {
    /// Ticker.
    pub symbol: String,
    /// Contract address.
    pub contract: String,
    /// Decimals.
    pub decimals: u8,
}

impl TokenSpec {
    /// Parses `SYMBOL:0xCONTRACT:DECIMALS`.
    pub fn parse(text: &str) -> Result<TokenSpec, String> {
        let parts: Vec<&str> = text.trim().split(':').collect();
        let [symbol, contract, decimals] = parts.as_slice() else {
            return Err(format!(
                "token {text:?}: expected SYMBOL:0xCONTRACT:DECIMALS"
            ));
        };
        Ok(TokenSpec {
            symbol: symbol.to_ascii_uppercase(),
            contract: (*contract).to_owned(),
            decimals: decimals
                .parse()
                .map_err(|_| format!("token {text:?}: decimals must be a number"))?,
        })
    }
}

/// How the adapter is set up (`waas serve --evm-*` flags and their environment variables).
#[derive(Debug, Clone)]
pub struct EvmSetup {
    /// JSON-RPC URL of the node.
    pub rpc_url: String,
    /// Registry id of the chain (`ethereum`, `sepolia`, ... or a new one such as `local`).
    pub chain: String,
    /// EIP-155 id of a chain the registry does not know (registered at start).
    pub custom_chain_id: Option<u64>,
    /// Confirmations of that custom chain.
    pub custom_confirmations: Option<u32>,
    /// Native coin symbol of that custom chain.
    pub custom_native: String,
    /// ERC-20 tokens to register on the chain (beyond the built-in ones).
    pub tokens: Vec<TokenSpec>,
    /// Milliseconds between ticks when idle.
    pub poll_ms: u64,
    /// Blocks per scan step.
    pub batch: u64,
    /// First block of a first start (default: the node's head then).
    pub start_block: Option<u64>,
    /// Gas limit of token transfers (sweeps, withdrawals).
    pub token_gas: u64,
    /// Lease length, milliseconds.
    pub lease_ms: i64,
    /// This host's name in the lease (WAAS_HOST_ID; a random one by default).
    pub host_id: String,
    /// Test-only failure injection (WAAS_EVM_FAILPOINT=exit-after-deposit).
    pub failpoint: Option<String>,
}

/// The registry of this host: the built-in one plus the chain and tokens of the set-up.
pub fn registry(setup: &EvmSetup) -> Result<Registry, ApiError> {
    let mut reg = Registry::builtin();
    let known = reg.chain(&setup.chain).ok().map(|c| c.id.to_string());
    let chain_id = match known {
        Some(id) => {
            if setup.custom_chain_id.is_some() || setup.custom_confirmations.is_some() {
                return Err(ApiError::config(format!(
                    "--evm-chain-id and --evm-confirmations are for a new chain; {id} is built in"
                )));
            }
            id
        }
        None => {
            let Some(evm_id) = setup.custom_chain_id else {
                return Err(ApiError::config(format!(
                    "blockchain {:?} is not in the registry: give --evm-chain-id (and --evm-confirmations) to register it",
                    setup.chain
                )));
            };
            let id = ChainId::new(&setup.chain)?;
            let native = setup.custom_native.to_ascii_uppercase();
            reg.register_chain(Blockchain {
                id: id.clone(),
                name: setup.chain.clone(),
                family: Family::Evm,
                evm_chain_id: Some(evm_id),
                native_symbol: native.clone(),
                native_decimals: 18,
                confirmations: setup.custom_confirmations.unwrap_or(12).max(1),
                testnet: true,
            })?;
            reg.register_token(Token {
                symbol: native.clone(),
                name: format!("{} native coin", setup.chain),
                blockchain: id.clone(),
                contract: None,
                decimals: 18,
            })?;
            id.to_string()
        }
    };
    for t in &setup.tokens {
        reg.register_token(Token {
            symbol: t.symbol.clone(),
            name: t.symbol.clone(),
            blockchain: ChainId::new(&chain_id)?,
            contract: Some(Address::parse(Family::Evm, &t.contract)?),
            decimals: t.decimals,
        })?;
    }
    Ok(reg)
}

/// The adapter of one EVM chain.
pub struct EvmAdapter {
    setup: EvmSetup,
    rpc: Rpc,
    chain: Blockchain,
    evm_chain_id: u64,
    native: Token,
    tokens: Vec<(Addr, Token)>,
    contracts: Vec<Addr>,
    index: RwLock<AddressIndex>,
    loaded_until: Mutex<i64>,
}

/// A transaction signed and ready to be stored, then broadcast.
struct Prepared {
    id: String,
    from: String,
    nonce: u64,
    raw: String,
    hash: String,
}

/// What one scan step found.
enum Scan {
    /// Nothing new.
    Idle,
    /// Blocks scanned (more may follow at once).
    Progress,
    /// The chain moved under us; try again next tick.
    Retry,
}

fn rpc_err(e: RpcError) -> ApiError {
    ApiError::internal(e.to_string())
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl EvmAdapter {
    /// Connects to the node (its chain id must match the registry's) and loads the watched
    /// addresses of the chain from the wallets table.
    pub async fn connect(
        setup: EvmSetup,
        state_store: &super::store::Store,
    ) -> Result<EvmAdapter, ApiError> {
        let registry = state_store.registry();
        let chain = registry.chain(&setup.chain)?.clone();
        let evm_chain_id = waas_core::tx::evm_chain_id(&chain)?;
        let rpc = Rpc::new(&setup.rpc_url).map_err(rpc_err)?;
        let node_id = rpc.chain_id().await.map_err(|e| {
            ApiError::config(format!(
                "cannot reach the EVM node at {}: {e}",
                setup.rpc_url
            ))
        })?;
        if node_id != evm_chain_id {
            return Err(ApiError::config(format!(
                "the node at {} is chain {node_id}, but {} is chain {evm_chain_id}",
                setup.rpc_url, chain.id
            )));
        }
        let native = registry
            .token(chain.id.as_str(), &chain.native_symbol)?
            .clone();
        let mut tokens = Vec::new();
        for t in registry.tokens(Some(chain.id.as_str()))? {
            if let Some(c) = &t.contract {
                tokens.push((*c.as_bytes(), t.clone()));
            }
        }
        let contracts = tokens.iter().map(|(a, _)| *a).collect();
        let adapter = EvmAdapter {
            setup,
            rpc,
            chain,
            evm_chain_id,
            native,
            tokens,
            contracts,
            index: RwLock::new(AddressIndex::default()),
            loaded_until: Mutex::new(0),
        };
        let n = adapter.refresh_index(state_store).await?;
        tracing::info!(chain = %adapter.chain.id, watched = n, "EVM adapter connected");
        Ok(adapter)
    }

    /// The registry id of the chain.
    pub fn chain_id(&self) -> &str {
        self.chain.id.as_str()
    }

    /// Starts watching an address (called when a wallet is created on this host; wallets made
    /// by other hosts are picked up from the database each tick).
    pub fn watch(&self, address: &str, who: Watched) {
        if let Some(a) = index::parse_addr(address) {
            if let Ok(mut idx) = self.index.write() {
                idx.insert(a, who);
            }
        }
    }

    /// Loads wallets created since the last load (with a minute of slack for other hosts'
    /// clocks and transactions in flight); the number of addresses now watched.
    async fn refresh_index(&self, store: &super::store::Store) -> Result<usize, ApiError> {
        let since = self.loaded_until.lock().map(|g| *g).unwrap_or(0);
        let rows = sqlx::query("SELECT id, client_id, kind, address, created_at FROM wallets WHERE blockchain = $1 AND address IS NOT NULL AND created_at >= $2")
            .bind(self.chain_id())
            .bind(since.saturating_sub(60_000))
            .fetch_all(store.pool())
            .await?;
        let mut newest = since;
        let mut found = Vec::with_capacity(rows.len());
        for r in &rows {
            newest = newest.max(r.try_get::<i64, _>("created_at")?);
            if let Some(a) = index::parse_addr(&col(r, "address")?) {
                found.push((
                    a,
                    Watched {
                        client_id: col(r, "client_id")?,
                        wallet_id: col(r, "id")?,
                        kind: col(r, "kind")?,
                    },
                ));
            }
        }
        let len = match self.index.write() {
            Ok(mut idx) => {
                for (a, w) in found {
                    idx.insert(a, w);
                }
                idx.len()
            }
            Err(_) => 0,
        };
        if let Ok(mut g) = self.loaded_until.lock() {
            *g = newest;
        }
        Ok(len)
    }

    /// Runs the adapter forever.
    pub async fn run(self: Arc<Self>, state: Arc<AppState>) {
        loop {
            let busy = match self.tick(&state).await {
                Ok(busy) => busy,
                Err(e) => {
                    tracing::warn!(chain = %self.chain.id, error = %e, "EVM adapter");
                    false
                }
            };
            if !busy {
                tokio::time::sleep(Duration::from_millis(self.setup.poll_ms)).await;
            }
        }
    }

    /// One round; true when it scanned blocks (and more may be waiting).
    async fn tick(&self, state: &AppState) -> Result<bool, ApiError> {
        if !self.lease(state).await? {
            return Ok(false);
        }
        self.refresh_index(&state.store).await?;
        let head = self.rpc.block_number().await.map_err(rpc_err)?;
        let next = self.cursor(state, head).await?;
        let scanned = match self.check_reorg(state, next).await? {
            true => Scan::Progress,
            false => self.scan(state, next, head).await?,
        };
        let next = self.cursor(state, head).await?;
        state
            .store
            .metrics()
            .chain(self.chain_id(), head, next.saturating_sub(1));
        self.settle(state, head, next).await?;
        self.sign_withdrawals(state).await?;
        self.advance_txs(state, head).await?;
        self.sweeps(state).await?;
        Ok(matches!(scanned, Scan::Progress))
    }

    /// Takes or renews the chain's lease; false when another host holds it.
    async fn lease(&self, state: &AppState) -> Result<bool, ApiError> {
        let name = format!("evm:{}", self.chain.id);
        let now = now_ms();
        sqlx::query("INSERT INTO chain_leases (name, holder, expires_at) VALUES ($1, $2, 0) ON CONFLICT (name) DO NOTHING")
            .bind(&name)
            .bind(&self.setup.host_id)
            .execute(state.store.pool())
            .await?;
        let done = sqlx::query("UPDATE chain_leases SET holder = $1, expires_at = $2 WHERE name = $3 AND (holder = $4 OR expires_at < $5)")
            .bind(&self.setup.host_id)
            .bind(now + self.setup.lease_ms)
            .bind(&name)
            .bind(&self.setup.host_id)
            .bind(now)
            .execute(state.store.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The first block not yet scanned (created at the start block, or the head, on first use).
    async fn cursor(&self, state: &AppState, head: u64) -> Result<u64, ApiError> {
        let row = sqlx::query("SELECT next_block FROM chain_cursors WHERE chain = $1")
            .bind(self.chain_id())
            .fetch_optional(state.store.pool())
            .await?;
        if let Some(r) = row {
            return Ok(to_u64(r.try_get("next_block")?));
        }
        let start = self.setup.start_block.unwrap_or(head);
        sqlx::query("INSERT INTO chain_cursors (chain, next_block, updated_at) VALUES ($1, $2, $3) ON CONFLICT (chain) DO NOTHING")
            .bind(self.chain_id())
            .bind(to_i64(start))
            .bind(now_ms())
            .execute(state.store.pool())
            .await?;
        tracing::info!(chain = %self.chain.id, start, "EVM scan starts");
        Ok(start)
    }

    async fn stored_hash(&self, state: &AppState, n: u64) -> Result<Option<String>, ApiError> {
        let row = sqlx::query("SELECT hash FROM chain_blocks WHERE chain = $1 AND number = $2")
            .bind(self.chain_id())
            .bind(to_i64(n))
            .fetch_optional(state.store.pool())
            .await?;
        Ok(match row {
            Some(r) => Some(col(&r, "hash")?),
            None => None,
        })
    }

    /// Compares the last scanned block with the node's; on a mismatch, rolls back to the fork.
    /// True when it rolled back.
    async fn check_reorg(&self, state: &AppState, next: u64) -> Result<bool, ApiError> {
        let Some(last) = next.checked_sub(1) else {
            return Ok(false);
        };
        let Some(stored) = self.stored_hash(state, last).await? else {
            return Ok(false);
        };
        let canonical = self.rpc.block(json!(format!("0x{last:x}")), false).await;
        if canonical
            .map_err(rpc_err)?
            .is_some_and(|b| b.hash == stored)
        {
            return Ok(false);
        }
        // Walk back the kept hashes to the last block the node still has.
        let rows = sqlx::query("SELECT number, hash FROM chain_blocks WHERE chain = $1 AND number < $2 ORDER BY number DESC")
            .bind(self.chain_id())
            .bind(to_i64(last))
            .fetch_all(state.store.pool())
            .await?;
        let mut fork = None;
        for r in rows {
            let n = to_u64(r.try_get("number")?);
            let b = self
                .rpc
                .block(json!(format!("0x{n:x}")), false)
                .await
                .map_err(rpc_err)?;
            if b.is_some_and(|b| b.hash == col(&r, "hash").unwrap_or_default()) {
                fork = Some(n);
                break;
            }
        }
        let Some(fork) = fork else {
            return Err(ApiError::internal(format!(
                "reorg on {} deeper than the kept block hashes (below block {last}): an operator must look",
                self.chain.id
            )));
        };
        tracing::warn!(chain = %self.chain.id, fork, last, "reorg: rolling back to the fork");
        self.rollback(state, fork).await?;
        Ok(true)
    }

    /// Drops the deposits of blocks above `fork` and moves the cursor to `fork + 1`.
    async fn rollback(&self, state: &AppState, fork: u64) -> Result<(), ApiError> {
        let rows = sqlx::query("SELECT id, client_id, wallet_id, token, amount, status, block_number, block_hash FROM chain_deposits WHERE chain = $1 AND block_number > $2 AND status IN ('pending', 'unpriced', 'confirmed')")
            .bind(self.chain_id())
            .bind(to_i64(fork))
            .fetch_all(state.store.pool())
            .await?;
        for r in rows {
            let id = col(&r, "id")?;
            let status = col(&r, "status")?;
            let new_status = match status.as_str() {
                "pending" => {
                    let mut w = state.store.begin(&col(&r, "client_id")?).await?;
                    let extra = json!({"reason": "reorg", "block_number": r.try_get::<i64, _>("block_number")?, "block_hash": col(&r, "block_hash")?});
                    chain::settle_dropped(
                        &mut w,
                        &id,
                        &col(&r, "wallet_id")?,
                        &col(&r, "token")?,
                        &col(&r, "amount")?,
                        &extra,
                    )
                    .await?;
                    sqlx::query("UPDATE chain_deposits SET status = 'dropped', updated_at = $1 WHERE id = $2")
                        .bind(now_ms())
                        .bind(&id)
                        .execute(w.conn().await?)
                        .await?;
                    w.commit().await?;
                    state.outbox_notify.notify_one();
                    continue;
                }
                "unpriced" => "dropped",
                _ => {
                    tracing::error!(%id, "a confirmed deposit left the canonical chain (reorg deeper than the confirmations): marked orphaned for an operator");
                    "orphaned"
                }
            };
            sqlx::query("UPDATE chain_deposits SET status = $1, updated_at = $2 WHERE id = $3")
                .bind(new_status)
                .bind(now_ms())
                .bind(&id)
                .execute(state.store.pool())
                .await?;
        }
        let mut tx = state.store.pool().begin().await?;
        sqlx::query("DELETE FROM chain_blocks WHERE chain = $1 AND number > $2")
            .bind(self.chain_id())
            .bind(to_i64(fork))
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE chain_cursors SET next_block = $1, updated_at = $2 WHERE chain = $3")
            .bind(to_i64(fork + 1))
            .bind(now_ms())
            .bind(self.chain_id())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Scans blocks `next..` up to the head (one batch).
    async fn scan(&self, state: &AppState, next: u64, head: u64) -> Result<Scan, ApiError> {
        if next > head {
            return Ok(Scan::Idle);
        }
        let end = head.min(next + self.setup.batch.max(1) - 1);
        let mut blocks: Vec<Block> = Vec::new();
        let mut parent = match next.checked_sub(1) {
            Some(p) => self.stored_hash(state, p).await?,
            None => None,
        };
        for n in next..=end {
            let Some(b) = self
                .rpc
                .block(json!(format!("0x{n:x}")), true)
                .await
                .map_err(rpc_err)?
            else {
                break;
            };
            if parent.as_ref().is_some_and(|p| *p != b.parent_hash) {
                // Block n is not on top of what we stored: the next tick's check finds the fork.
                if blocks.is_empty() {
                    return Ok(Scan::Retry);
                }
                break;
            }
            parent = Some(b.hash.clone());
            blocks.push(b);
        }
        let (Some(first), Some(last)) = (blocks.first(), blocks.last()) else {
            return Ok(Scan::Idle);
        };
        let mut logs: BTreeMap<u64, Vec<index::TransferLog>> = BTreeMap::new();
        for (n, l) in self
            .rpc
            .transfer_logs(first.number, last.number, &self.contracts)
            .await
            .map_err(rpc_err)?
        {
            logs.entry(n).or_default().push(l);
        }
        // The logs must come from the blocks we hold, and the last block must still be there.
        let still = self
            .rpc
            .block(json!(format!("0x{:x}", last.number)), false)
            .await
            .map_err(rpc_err)?;
        if still.is_none_or(|b| b.hash != last.hash) {
            return Ok(Scan::Retry);
        }
        for b in &blocks {
            let block_logs = logs.remove(&b.number).unwrap_or_default();
            if block_logs.iter().any(|l| l.block_hash != b.hash) {
                return Ok(Scan::Retry);
            }
            let mut hits = Vec::new();
            if let Ok(idx) = self.index.read() {
                index::match_block(&idx, &self.contracts, &b.txs, &block_logs, &mut hits);
            }
            for hit in hits {
                let credited = self.report(state, b, &block_logs, hit).await?;
                if credited && self.setup.failpoint.as_deref() == Some("exit-after-deposit") {
                    eprintln!("failpoint exit-after-deposit: exiting after a deposit of block {} before its cursor", b.number);
                    std::process::exit(86);
                }
            }
            let mut tx = state.store.pool().begin().await?;
            sqlx::query(
                "DELETE FROM chain_blocks WHERE chain = $1 AND (number = $2 OR number < $3)",
            )
            .bind(self.chain_id())
            .bind(to_i64(b.number))
            .bind(to_i64(b.number.saturating_sub(self.keep_blocks())))
            .execute(&mut *tx)
            .await?;
            sqlx::query("INSERT INTO chain_blocks (chain, number, hash, parent_hash) VALUES ($1, $2, $3, $4)")
                .bind(self.chain_id())
                .bind(to_i64(b.number))
                .bind(&b.hash)
                .bind(&b.parent_hash)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE chain_cursors SET next_block = $1, updated_at = $2 WHERE chain = $3",
            )
            .bind(to_i64(b.number + 1))
            .bind(now_ms())
            .bind(self.chain_id())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        Ok(Scan::Progress)
    }

    /// Block hashes kept for reorg detection: well beyond the confirmations.
    fn keep_blocks(&self) -> u64 {
        u64::from(self.chain.confirmations) * 2 + 64
    }

    /// USD price of a token for the minimum-deposit rule: the client's configured price, 1 for
    /// the USD stablecoins, else none (the deposit waits, `unpriced`, until one is configured).
    async fn price(
        &self,
        state: &AppState,
        client: &str,
        symbol: &str,
    ) -> Result<Option<Decimal>, ApiError> {
        let row = sqlx::query("SELECT body FROM settings WHERE client_id = $1")
            .bind(client)
            .fetch_optional(state.store.pool())
            .await?;
        let settings: super::Settings = match row {
            Some(r) => super::Settings::from_body(&col(&r, "body")?, state.store.sealer())?,
            None => super::Settings::default(),
        };
        let configured = settings
            .usd_prices
            .get(&symbol.to_ascii_uppercase())
            .map(|p| waas_core::amount::parse_decimal(p))
            .transpose()?;
        Ok(waas_core::pricing::usd_price(symbol, None, configured))
    }

    /// Records one matched transfer; true when it credited a new deposit.
    async fn report(
        &self,
        state: &AppState,
        block: &Block,
        logs: &[index::TransferLog],
        hit: Hit,
    ) -> Result<bool, ApiError> {
        let (tx_hash, log_index, to, value, token) = match hit {
            Hit::Native(i) => {
                let Some(t) = block.txs.get(i) else {
                    return Ok(false);
                };
                (
                    t.hash.clone(),
                    -1i64,
                    t.to.unwrap_or_default(),
                    t.value,
                    self.native.clone(),
                )
            }
            Hit::Token(i) => {
                let Some(l) = logs.get(i) else {
                    return Ok(false);
                };
                let Some((_, token)) = self.tokens.iter().find(|(a, _)| *a == l.contract) else {
                    return Ok(false);
                };
                (
                    l.tx_hash.clone(),
                    to_i64(l.log_index),
                    l.to,
                    l.value,
                    token.clone(),
                )
            }
        };
        let Some(who) = self.index.read().ok().and_then(|i| i.get(&to).cloned()) else {
            return Ok(false);
        };
        // Our own transactions (gas top-ups from the holding wallet) are not deposits.
        let ours = sqlx::query("SELECT id FROM chain_txs WHERE hash = $1")
            .bind(&tx_hash)
            .fetch_optional(state.store.pool())
            .await?;
        if ours.is_some() {
            return Ok(false);
        }
        let base = if log_index < 0 {
            format!("{tx_hash}:native")
        } else {
            format!("{tx_hash}:{log_index}")
        };
        // Idempotent by tx hash + log index; a transaction re-included in another block after
        // its first block was dropped by a reorg is a new deposit (its first id is spent).
        let mut id = base.clone();
        for _ in 0..2 {
            let row = sqlx::query("SELECT status, block_hash FROM chain_deposits WHERE id = $1")
                .bind(&id)
                .fetch_optional(state.store.pool())
                .await?;
            match row {
                None => break,
                Some(r) if col(&r, "block_hash")? == block.hash => return Ok(false),
                Some(r) if col(&r, "status")? == "dropped" => {
                    id = format!("{base}@{}", &block.hash[..block.hash.len().min(12)]);
                }
                Some(_) => {
                    tracing::warn!(%id, block = block.number, "deposit seen in another block while its first block is still current; waiting for the reorg check");
                    return Ok(false);
                }
            }
        }
        if log_index < 0 {
            // A reverted transaction moves no value.
            match self.rpc.receipt(&tx_hash).await.map_err(rpc_err)? {
                Some(r) if r.success => {}
                _ => return Ok(false),
            }
        }
        let units = U256::from_be_bytes(value).to_string();
        let amount = match Amount::from_base_units(&units, token.decimals) {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(%id, error = %e, "deposit amount out of range: recorded as rejected");
                self.insert_deposit(
                    state,
                    None,
                    &id,
                    &who,
                    &token.symbol,
                    &units,
                    &tx_hash,
                    log_index,
                    block,
                    "rejected",
                )
                .await?;
                return Ok(false);
            }
        };
        let price = self.price(state, &who.client_id, &token.symbol).await?;
        let incoming = Incoming {
            tx: id.clone(),
            wallet: who.wallet_id.clone(),
            chain: self.chain_id().to_owned(),
            kind: who.kind.clone(),
            token: token.symbol.clone(),
            amount,
            usd_price: price.unwrap_or_default(),
            confirmations: self.chain.confirmations,
            extra: json!({"chain_tx": tx_hash, "log_index": log_index, "block_number": block.number, "block_hash": block.hash, "address": format!("0x{}", hex::encode(to))}),
        };
        let mut w = state.store.begin(&who.client_id).await?;
        let status = if price.is_some() {
            match chain::credit(&mut w, &incoming).await {
                Ok(_) => "pending",
                Err(e)
                    if !matches!(
                        e.code(),
                        waas_core::ErrorCode::Internal | waas_core::ErrorCode::Unavailable
                    ) =>
                {
                    drop(w);
                    tracing::warn!(%id, error = %e, "the ledger refused a deposit: recorded as rejected");
                    self.insert_deposit(
                        state,
                        None,
                        &id,
                        &who,
                        &token.symbol,
                        &amount.to_string(),
                        &tx_hash,
                        log_index,
                        block,
                        "rejected",
                    )
                    .await?;
                    return Ok(false);
                }
                Err(e) => return Err(e),
            }
        } else {
            tracing::warn!(%id, token = %token.symbol, "no USD price for the token: the deposit waits until one is configured");
            "unpriced"
        };
        self.insert_deposit(
            state,
            Some(w.conn().await?),
            &id,
            &who,
            &token.symbol,
            &amount.to_string(),
            &tx_hash,
            log_index,
            block,
            status,
        )
        .await?;
        w.commit().await?;
        state.outbox_notify.notify_one();
        Ok(status == "pending")
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_deposit(
        &self,
        state: &AppState,
        tx: Option<&mut sqlx::AnyConnection>,
        id: &str,
        who: &Watched,
        token: &str,
        amount: &str,
        tx_hash: &str,
        log_index: i64,
        block: &Block,
        status: &str,
    ) -> Result<(), ApiError> {
        let q = sqlx::query("INSERT INTO chain_deposits (id, chain, client_id, wallet_id, address, token, amount, tx_hash, log_index, block_number, block_hash, status, sweep, created_at, updated_at) VALUES ($1, $2, $3, $4, (SELECT address FROM wallets WHERE id = $5), $6, $7, $8, $9, $10, $11, $12, 'none', $13, $14)")
            .bind(id)
            .bind(self.chain_id())
            .bind(&who.client_id)
            .bind(&who.wallet_id)
            .bind(&who.wallet_id)
            .bind(token)
            .bind(amount)
            .bind(tx_hash)
            .bind(log_index)
            .bind(to_i64(block.number))
            .bind(&block.hash)
            .bind(status)
            .bind(now_ms())
            .bind(now_ms());
        match tx {
            Some(tx) => q.execute(tx).await?,
            None => q.execute(state.store.pool()).await?,
        };
        Ok(())
    }

    /// Credits deposits that waited for a price, and posts those with enough confirmations.
    async fn settle(&self, state: &AppState, head: u64, next: u64) -> Result<(), ApiError> {
        let unpriced = sqlx::query("SELECT d.id, d.client_id, d.wallet_id, d.token, d.amount, d.tx_hash, d.log_index, d.block_number, d.block_hash, w.kind FROM chain_deposits d JOIN wallets w ON w.id = d.wallet_id WHERE d.chain = $1 AND d.status = 'unpriced' LIMIT 100")
            .bind(self.chain_id())
            .fetch_all(state.store.pool())
            .await?;
        for r in unpriced {
            let client = col(&r, "client_id")?;
            let token = col(&r, "token")?;
            let Some(price) = self.price(state, &client, &token).await? else {
                continue;
            };
            let id = col(&r, "id")?;
            let incoming = Incoming {
                tx: id.clone(),
                wallet: col(&r, "wallet_id")?,
                chain: self.chain_id().to_owned(),
                kind: col(&r, "kind")?,
                token,
                amount: Amount::parse(&col(&r, "amount")?, waas_core::amount::MAX_DECIMALS)?,
                usd_price: price,
                confirmations: self.chain.confirmations,
                extra: json!({"chain_tx": col(&r, "tx_hash")?, "log_index": r.try_get::<i64, _>("log_index")?, "block_number": r.try_get::<i64, _>("block_number")?, "block_hash": col(&r, "block_hash")?}),
            };
            let mut w = state.store.begin(&client).await?;
            chain::credit(&mut w, &incoming).await?;
            sqlx::query("UPDATE chain_deposits SET status = 'pending', updated_at = $1 WHERE id = $2 AND status = 'unpriced'")
                .bind(now_ms())
                .bind(&id)
                .execute(w.conn().await?)
                .await?;
            w.commit().await?;
            state.outbox_notify.notify_one();
        }
        // Confirmed: at least `confirmations` blocks on top of (and including) its block, and a
        // block the scan has verified against the node this tick.
        let deep = (to_i64(head) + 1).saturating_sub(i64::from(self.chain.confirmations));
        let bound = deep.min(to_i64(next) - 1);
        let due = sqlx::query("SELECT id, client_id, wallet_id, token, amount, tx_hash, block_number FROM chain_deposits WHERE chain = $1 AND status = 'pending' AND block_number <= $2 ORDER BY block_number LIMIT 200")
            .bind(self.chain_id())
            .bind(bound)
            .fetch_all(state.store.pool())
            .await?;
        for r in due {
            let id = col(&r, "id")?;
            let mut w = state.store.begin(&col(&r, "client_id")?).await?;
            let bn: i64 = r.try_get("block_number")?;
            let extra = json!({"chain_tx": col(&r, "tx_hash")?, "block_number": bn, "confirmations": to_i64(head) - bn + 1});
            let (_, kind) = chain::settle_confirmed(
                &mut w,
                &id,
                &col(&r, "wallet_id")?,
                &col(&r, "token")?,
                &col(&r, "amount")?,
                &extra,
            )
            .await?;
            let sweep = if kind == waas_core::ledger::WalletKind::Virtual {
                "due"
            } else {
                "none"
            };
            sqlx::query("UPDATE chain_deposits SET status = 'confirmed', sweep = $1, updated_at = $2 WHERE id = $3")
                .bind(sweep)
                .bind(now_ms())
                .bind(&id)
                .execute(w.conn().await?)
                .await?;
            w.commit().await?;
            state.outbox_notify.notify_one();
        }
        Ok(())
    }

    /// Gas pricing now: EIP-1559 when the chain has a base fee (cap = 2 x base + tip), else the
    /// node's legacy gas price. Also the most paid per gas unit.
    async fn fees(&self) -> Result<(Fees, u128), ApiError> {
        let latest = self
            .rpc
            .block(json!("latest"), false)
            .await
            .map_err(rpc_err)?
            .ok_or_else(|| ApiError::internal("the node has no latest block"))?;
        match latest.base_fee {
            Some(base) => {
                let tip = self.rpc.max_priority_fee().await.unwrap_or(DEFAULT_TIP);
                let cap = base.saturating_mul(2).saturating_add(tip);
                Ok((eip1559(cap, tip), cap))
            }
            None => {
                let price = self.rpc.gas_price().await.map_err(rpc_err)?;
                Ok((
                    Fees::Legacy {
                        gas_price: U256::from(price),
                    },
                    price,
                ))
            }
        }
    }

    /// Signs a transaction with the next nonce of its sender. `tx` is the open database
    /// transaction that will also record it (so the nonce choice and the record are one step).
    #[allow(clippy::too_many_arguments)]
    async fn prepare(
        &self,
        tx: &mut sqlx::AnyConnection,
        key: &k256::ecdsa::SigningKey,
        pending_nonce: u64,
        to: Address,
        value: u128,
        data: Vec<u8>,
        gas: u64,
        fees: Fees,
    ) -> Result<Prepared, ApiError> {
        let from = signer_address(key).to_string();
        let rows = sqlx::query("SELECT nonce FROM chain_txs WHERE chain = $1 AND from_address = $2 AND status IN ('signed', 'sent') AND nonce >= $3 ORDER BY nonce")
            .bind(self.chain_id())
            .bind(&from)
            .bind(to_i64(pending_nonce))
            .fetch_all(&mut *tx)
            .await?;
        let taken = rows
            .iter()
            .map(|r| r.try_get::<i64, _>("nonce").map(to_u64))
            .collect::<Result<Vec<u64>, _>>()?;
        let nonce = lowest_free_nonce(pending_nonce, &taken);
        let signed = Transaction {
            chain_id: self.evm_chain_id,
            nonce,
            to: Some(to),
            value: U256::from(value),
            gas_limit: gas,
            data,
            fees,
        }
        .sign(key)?;
        Ok(Prepared {
            id: new_id("ctx"),
            from,
            nonce,
            raw: signed.raw_hex(),
            hash: signed.hash_hex(),
        })
    }

    async fn record_tx(
        &self,
        tx: &mut sqlx::AnyConnection,
        p: &Prepared,
        purpose: &str,
        reference: &str,
        client: &str,
    ) -> Result<(), ApiError> {
        sqlx::query("INSERT INTO chain_txs (id, chain, purpose, ref, client_id, from_address, nonce, raw, hash, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'signed', $10, $11)")
            .bind(&p.id)
            .bind(self.chain_id())
            .bind(purpose)
            .bind(reference)
            .bind(client)
            .bind(&p.from)
            .bind(to_i64(p.nonce))
            .bind(&p.raw)
            .bind(&p.hash)
            .bind(now_ms())
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    /// The holding wallet (account number, address) of a client on this chain.
    async fn holding(&self, state: &AppState, client: &str) -> Result<(u32, Address), ApiError> {
        let row = sqlx::query(
            "SELECT account_number, address FROM holdings WHERE client_id = $1 AND blockchain = $2",
        )
        .bind(client)
        .bind(self.chain_id())
        .fetch_optional(state.store.pool())
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "client {client} has no holding wallet on {}",
                self.chain.id
            ))
        })?;
        let n: i64 = row.try_get("account_number")?;
        Ok((
            u32::try_from(n).map_err(|_| ApiError::internal("account number"))?,
            Address::parse(Family::Evm, &col(&row, "address")?)?,
        ))
    }

    fn token(&self, symbol: &str) -> Result<Token, ApiError> {
        if symbol.eq_ignore_ascii_case(&self.native.symbol) {
            return Ok(self.native.clone());
        }
        self.tokens
            .iter()
            .find(|(_, t)| t.symbol.eq_ignore_ascii_case(symbol))
            .map(|(_, t)| t.clone())
            .ok_or_else(|| ApiError::not_found(format!("no token {symbol} on {}", self.chain.id)))
    }

    /// Starts the sweeps of confirmed deposits (gas top-up first where a token sweep needs it).
    async fn sweeps(&self, state: &AppState) -> Result<(), ApiError> {
        let rows = sqlx::query("SELECT d.id, d.client_id, d.wallet_id, d.address, d.token, d.amount, d.sweep, w.derivation_index FROM chain_deposits d JOIN wallets w ON w.id = d.wallet_id WHERE d.chain = $1 AND d.sweep IN ('due', 'topup') ORDER BY d.block_number LIMIT 50")
            .bind(self.chain_id())
            .fetch_all(state.store.pool())
            .await?;
        for r in rows {
            let id = col(&r, "id")?;
            let client = col(&r, "client_id")?;
            let address = col(&r, "address")?;
            let sweep = col(&r, "sweep")?;
            let index = u32::try_from(r.try_get::<i64, _>("derivation_index")?)
                .map_err(|_| ApiError::internal("derivation index"))?;
            let token = self.token(&col(&r, "token")?)?;
            let amount = Amount::parse(&col(&r, "amount")?, waas_core::amount::MAX_DECIMALS)?;
            let units = amount.to_base_units(token.decimals)?;
            let (account, holding) = self.holding(state, &client).await?;
            let key = state.keys.evm_deposit_key(account, index)?;
            let (fees, cap) = self.fees().await?;
            let (to, value, data, gas, fees) = match &token.contract {
                None => {
                    let fee = cap.saturating_mul(u128::from(NATIVE_GAS));
                    if units <= fee {
                        tracing::warn!(%id, "native deposit smaller than the gas of its sweep: left at the address (dust)");
                        self.set_sweep(state, &id, "due", "dust").await?;
                        continue;
                    }
                    (holding, units - fee, Vec::new(), NATIVE_GAS, fees)
                }
                Some(contract) => {
                    let need = cap.saturating_mul(u128::from(self.setup.token_gas));
                    let balance = self.rpc.balance(&address).await.map_err(rpc_err)?;
                    if sweep == "due" && balance < need {
                        self.top_up(state, &id, &client, account, &address, need - balance)
                            .await?;
                        continue;
                    }
                    if sweep == "topup" {
                        let t = sqlx::query("SELECT status FROM chain_txs WHERE chain = $1 AND purpose = 'topup' AND ref = $2")
                            .bind(self.chain_id())
                            .bind(&id)
                            .fetch_optional(state.store.pool())
                            .await?;
                        match t.map(|t| col(&t, "status")).transpose()?.as_deref() {
                            Some("confirmed") => {}
                            Some("failed") => {
                                self.set_sweep(state, &id, "topup", "failed").await?;
                                continue;
                            }
                            _ => continue,
                        }
                    }
                    // Pay at most what the address holds (fees may have moved since the top-up).
                    let affordable = balance / u128::from(self.setup.token_gas);
                    let fees = match fees {
                        Fees::Eip1559 { .. } if affordable < cap => {
                            let tip = DEFAULT_TIP.min(affordable / 2);
                            eip1559(affordable, tip)
                        }
                        Fees::Legacy { .. } if affordable < cap => Fees::Legacy {
                            gas_price: U256::from(affordable),
                        },
                        f => f,
                    };
                    (
                        *contract,
                        0,
                        erc20_transfer_data(&holding, &U256::from(units))?,
                        self.setup.token_gas,
                        fees,
                    )
                }
            };
            let from = signer_address(&key).to_string();
            let pending = self.rpc.nonce(&from, "pending").await.map_err(rpc_err)?;
            let mut tx = state.store.pool().begin().await?;
            let p = self
                .prepare(&mut tx, &key, pending, to, value, data, gas, fees)
                .await?;
            self.record_tx(&mut tx, &p, "sweep", &id, &client).await?;
            // Only from `due`/`topup`: a refund from the deposit address may have claimed it
            // (`refund`); then nothing is recorded (the transaction rolls back).
            let moved = sqlx::query("UPDATE chain_deposits SET sweep = 'sent', updated_at = $1 WHERE id = $2 AND sweep IN ('due', 'topup')")
                .bind(now_ms())
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            if moved.rows_affected() == 0 {
                continue;
            }
            tx.commit().await?;
            tracing::info!(%id, hash = %p.hash, "sweep broadcast");
            self.send(state, &sends::OurTx::new(p, "sweep", &id, &client))
                .await?;
        }
        Ok(())
    }

    /// Moves a deposit's sweep from state `from` to `to` (not when a refund claimed it meanwhile).
    async fn set_sweep(
        &self,
        state: &AppState,
        id: &str,
        from: &str,
        to: &str,
    ) -> Result<(), ApiError> {
        sqlx::query(
            "UPDATE chain_deposits SET sweep = $1, updated_at = $2 WHERE id = $3 AND sweep = $4",
        )
        .bind(to)
        .bind(now_ms())
        .bind(id)
        .bind(from)
        .execute(state.store.pool())
        .await?;
        Ok(())
    }

    /// Sends the gas a token sweep needs from the holding wallet to the deposit address.
    async fn top_up(
        &self,
        state: &AppState,
        id: &str,
        client: &str,
        account: u32,
        address: &str,
        wei: u128,
    ) -> Result<(), ApiError> {
        let key = state.keys.evm_holding_key(account)?;
        let from = signer_address(&key).to_string();
        let pending = self.rpc.nonce(&from, "pending").await.map_err(rpc_err)?;
        let (fees, _) = self.fees().await?;
        let to = Address::parse(Family::Evm, address)?;
        let mut tx = state.store.pool().begin().await?;
        let p = self
            .prepare(
                &mut tx,
                &key,
                pending,
                to,
                wei,
                Vec::new(),
                NATIVE_GAS,
                fees,
            )
            .await?;
        self.record_tx(&mut tx, &p, "topup", id, client).await?;
        // Only from `due`: a refund from the deposit address may have claimed it meanwhile.
        let moved = sqlx::query("UPDATE chain_deposits SET sweep = 'topup', updated_at = $1 WHERE id = $2 AND sweep = 'due'")
            .bind(now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() == 0 {
            return Ok(());
        }
        tx.commit().await?;
        tracing::info!(%id, hash = %p.hash, wei, "gas top-up broadcast");
        self.send(state, &sends::OurTx::new(p, "topup", id, client))
            .await
    }
}

/// The lowest nonce from the node's pending count up that no transaction in flight holds
/// (`taken`, ascending): one past the last in flight, or the nonce of a transaction that was
/// rejected before any node had it (its gap is filled, so the ones after it can be mined).
fn lowest_free_nonce(pending: u64, taken: &[u64]) -> u64 {
    let mut nonce = pending;
    for t in taken {
        if *t == nonce {
            nonce += 1;
        } else if *t > nonce {
            break;
        }
    }
    nonce
}

fn eip1559(cap: u128, tip: u128) -> Fees {
    Fees::Eip1559 {
        max_fee_per_gas: U256::from(cap),
        max_priority_fee_per_gas: U256::from(tip.min(cap)),
    }
}

#[cfg(test)]
mod tests {
    use super::index::*;

    #[test]
    fn picks_the_lowest_free_nonce() {
        use super::lowest_free_nonce;
        assert_eq!(lowest_free_nonce(5, &[]), 5);
        assert_eq!(lowest_free_nonce(5, &[5, 6, 7]), 8);
        assert_eq!(lowest_free_nonce(5, &[6, 7]), 5);
        assert_eq!(lowest_free_nonce(5, &[5, 7]), 6);
        assert_eq!(lowest_free_nonce(5, &[5, 5, 6]), 7);
    }

    #[test]
    fn parses_and_matches() {
        let a = parse_addr("0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf").unwrap_or_default();
        assert_eq!(a[0], 0x7e);
        assert_eq!(a[19], 0xdf);
        let w = parse_word("0x0de0b6b3a7640000").unwrap_or_default();
        assert_eq!(&w[24..], &[0x0d, 0xe0, 0xb6, 0xb3, 0xa7, 0x64, 0x00, 0x00]);
        assert_eq!(parse_word("0x0"), Some([0u8; 32]));
        assert_eq!(parse_word("0x1").map(|w| w[31]), Some(1));
        let t = topic_addr("0x0000000000000000000000007e5f4552091a69125d5dfcb7b8c2659029395bdf");
        assert_eq!(t, Some(a));
        assert_eq!(
            topic_addr("0x0100000000000000000000007e5f4552091a69125d5dfcb7b8c2659029395bdf"),
            None
        );
        let mut index = AddressIndex::with_capacity(4);
        let who = Watched {
            client_id: "c".into(),
            wallet_id: "w".into(),
            kind: "virtual".into(),
        };
        index.insert(a, who.clone());
        assert_eq!(index.get(&a), Some(&who));
        assert_eq!(index.len(), 1);
        let token = [9u8; 20];
        let txs = vec![
            BlockTx {
                hash: "0x1".into(),
                from: [1; 20],
                to: Some(a),
                value: w,
            },
            BlockTx {
                hash: "0x2".into(),
                from: [1; 20],
                to: Some(a),
                value: [0; 32],
            },
            BlockTx {
                hash: "0x3".into(),
                from: [1; 20],
                to: Some([2; 20]),
                value: w,
            },
        ];
        let logs = vec![
            TransferLog {
                contract: token,
                to: a,
                value: w,
                tx_hash: "0x4".into(),
                log_index: 0,
                block_hash: "0xb".into(),
            },
            TransferLog {
                contract: [8; 20],
                to: a,
                value: w,
                tx_hash: "0x5".into(),
                log_index: 1,
                block_hash: "0xb".into(),
            },
        ];
        let mut hits = Vec::new();
        match_block(&index, &[token], &txs, &logs, &mut hits);
        assert_eq!(hits, vec![Hit::Native(0), Hit::Token(0)]);
    }
}
