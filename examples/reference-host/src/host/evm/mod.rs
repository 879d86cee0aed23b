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

mod broadcasts;
pub mod index;
mod prepare;
pub mod rpc;
mod scan;
pub mod sends;
mod sweeps;

use super::error::ApiError;
use super::store::{col, now_ms};
use super::AppState;
use index::{Addr, AddressIndex, Watched};
use rpc::{Rpc, RpcError};
use sqlx::Row;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use waas_core::ledger::WalletKind;
use waas_core::{Address, Blockchain, ChainId, Family, Registry, Token};

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
                        kind: WalletKind::parse(&col(r, "kind")?)?,
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
}

#[cfg(test)]
mod tests {
    use super::index::*;

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
            kind: waas_core::ledger::WalletKind::Virtual,
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
