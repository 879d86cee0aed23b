//! Double-entry ledger: wallets, holding wallets, two-phase deposits and idempotent movements.
//!
//! Every movement is a set of legs, each moving an amount from one account to another in one
//! unit (a token on a blockchain, or USD for cards), so the sum over all accounts of every unit is
//! always zero. Balances have a posted and a pending part: a deposit is credited pending at once,
//! posted when the chain confirms it, voided if a reorg drops it. Every decision comes from
//! [`rules`]; this type only keeps the books.

pub mod journal;
pub mod parts;
pub mod rules;

use crate::amount::Amount;
use crate::automation::{self, Action, Rule, RuleOutcome, Trigger};
use crate::chain::Registry;
use crate::error::{err, ErrorCode, Result};
use crate::reserve::{self, ReserveReport};
use rules::{DepositDecision, MinimumDeposits, WalletStatus};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Longest id accepted for clients, accounts, wallets, transactions and operations.
pub const MAX_ID_LEN: usize = 128;

/// The unit of card balances.
pub const USD: &str = "USD";

/// Ledger configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// Holding must keep at least this ratio of liabilities after a partial withdrawal.
    pub min_reserve_ratio: Decimal,
    /// Minimum deposits in USD.
    pub min_deposit_usd: MinimumDeposits,
    /// Confirmations per blockchain that override the registry's defaults.
    pub confirmations: BTreeMap<String, u32>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            min_reserve_ratio: Decimal::ONE,
            min_deposit_usd: MinimumDeposits::default(),
            confirmations: BTreeMap::new(),
        }
    }
}

/// Contracted product limits of a client; `None` is unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    /// Active virtual wallets.
    pub max_virtual_wallets: Option<u32>,
    /// Cards and virtual cards.
    pub max_cards: Option<u32>,
    /// Treasury wallets.
    pub max_treasury_wallets: Option<u32>,
}

/// A posted and a pending amount (credits minus debits).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    /// Final part.
    pub posted: Decimal,
    /// Part that may still be posted or voided.
    pub pending: Decimal,
}

impl Balance {
    /// posted + pending.
    pub fn total(&self) -> Decimal {
        self.posted + self.pending
    }

    /// The part of the total still waiting for confirmations (spent first from confirmed funds).
    pub fn unconfirmed(&self) -> Decimal {
        self.pending
            .max(Decimal::ZERO)
            .min(self.total().max(Decimal::ZERO))
    }

    /// The part of the total that is final.
    pub fn confirmed(&self) -> Decimal {
        self.total() - self.unconfirmed()
    }
}

/// The kinds of wallet the ledger keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WalletKind {
    /// A deposit address with a virtual balance over the holding wallet.
    Virtual,
    /// A self-standing on-chain wallet of the client.
    Treasury,
    /// A card (USD balance).
    Card,
}

/// A wallet and its balances per token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wallet {
    /// Kind of wallet.
    pub kind: WalletKind,
    /// Owning client.
    pub client: String,
    /// Owning account.
    pub account: String,
    /// Blockchain (none for cards).
    pub blockchain: Option<String>,
    /// Key of the holding wallet behind the wallet (`client/blockchain`).
    pub holding: String,
    /// Derivation index of a virtual wallet.
    pub index: Option<u32>,
    /// Whether it may send.
    pub status: WalletStatus,
    /// Set while deactivated and frozen at once: the status to return to.
    pub inactive: bool,
    /// Notes an operator must look at (deposits while inactive, reorg after spending).
    pub flags: Vec<String>,
    /// Balance per token symbol (USD for cards).
    pub balances: BTreeMap<String, Balance>,
    /// Virtual wallets: funds at the deposit address on chain, not yet swept.
    pub on_chain: BTreeMap<String, Balance>,
}

/// A holding wallet: one per client and blockchain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holding {
    /// Next derivation index for a virtual wallet (never reused).
    pub next_index: u32,
    /// On-chain position per token.
    pub position: BTreeMap<String, Balance>,
    /// Cached sum of virtual balances per token.
    pub liabilities: BTreeMap<String, Decimal>,
    /// Cached sum of unswept funds at virtual addresses per token.
    pub in_transit: BTreeMap<String, Decimal>,
}

/// A client's contract and the counters its limits are checked against.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientBooks {
    /// Contracted limits (none: unlimited).
    pub contract: Option<Contract>,
    /// Virtual wallets counted against the contract (created and not deactivated).
    pub active_virtual_wallets: u32,
    /// Cards created.
    pub cards: u32,
    /// Treasury wallets created.
    pub treasuries: u32,
}

/// One side of a leg.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Book {
    /// A wallet's balance of a token.
    Wallet(String, String),
    /// Funds at a virtual wallet's address on chain, per token.
    OnChain(String, String),
    /// A holding wallet's position: holding key, token.
    Holding(String, String),
    /// A system account, by key (`external/...`, `fees/...`, `issuance/...`, `suspense/...`).
    System(String),
}

/// A movement of `amount` from `from` to `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leg {
    /// Debited side.
    pub from: Book,
    /// Credited side.
    pub to: Book,
    /// Amount moved.
    pub amount: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Post,
    Pending,
    PostPending,
    VoidPending,
}

/// Which idempotency records a movement goes to.
#[derive(Debug, Clone, Copy)]
enum Records {
    /// Movements keyed by operation id.
    Movements,
    /// Sweeps keyed by chain transaction.
    Sweeps,
}

/// Life cycle of an on-chain deposit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DepositStatus {
    /// Credited, waiting for confirmations.
    Pending,
    /// Final.
    Confirmed,
    /// Removed by a reorg; its credit is voided.
    Dropped,
}

/// A deposit as first reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositRequest {
    /// Chain transaction id (with log index), the idempotency key.
    pub tx: String,
    /// Destination wallet id.
    pub to: String,
    /// Token symbol.
    pub token: String,
    /// Amount in token units.
    pub amount: Amount,
    /// USD per token, for minimums and card credits.
    pub usd_price: Decimal,
}

/// The answer to a deposit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositResult {
    /// Transaction id.
    pub tx: String,
    /// Destination wallet.
    pub to: String,
    /// Token symbol.
    pub token: String,
    /// Amount received.
    pub amount: Decimal,
    /// USD value at the given price.
    pub usd_value: Decimal,
    /// Amount credited (in USD for cards; zero when below the minimum).
    pub credited: Decimal,
    /// True when under the minimum: recorded, refundable, not credited.
    pub below_minimum: bool,
    /// Set when the deposit needs an operator's look (e.g. `WALLET_INACTIVE`).
    pub flagged: Option<String>,
    /// Status at the time of the answer.
    pub status: DepositStatus,
    /// One entry per rule that fired, in the order the rules were added.
    pub automation: Vec<RuleOutcome>,
}

/// The deposit a trigger fires rules for.
struct Deposited<'a> {
    tx: &'a str,
    wallet: &'a str,
    token: &'a str,
    amount: Amount,
    decimals: u8,
}

/// A deposit the ledger keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositRecord {
    /// As reported.
    pub request: DepositRequest,
    /// First answer.
    pub result: DepositResult,
    /// Current status.
    pub status: DepositStatus,
    /// Its pending legs.
    legs: Vec<Leg>,
    /// The answer to its confirmation, returned again on retries.
    confirm_result: Option<SettleResult>,
}

/// The answer to a confirmation or a drop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettleResult {
    /// Transaction id.
    pub tx: String,
    /// New status.
    pub status: DepositStatus,
    /// The wallet frozen by this drop, if any.
    pub frozen: Option<String>,
    /// One entry per `confirm` rule that fired.
    pub automation: Vec<RuleOutcome>,
}

/// What a movement asked for, kept to tell a retry from a conflicting reuse of its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Movement {
    /// Virtual to virtual, off chain.
    Transfer {
        /// Source wallet.
        from: String,
        /// Destination wallet.
        to: String,
        /// Token.
        token: String,
        /// Amount.
        amount: Amount,
    },
    /// Holding wallet to a virtual wallet (may create leverage).
    HoldingCredit {
        /// Destination wallet.
        to: String,
        /// Token.
        token: String,
        /// Amount.
        amount: Amount,
    },
    /// Wallet to an outside address.
    Withdraw {
        /// Source wallet.
        from: String,
        /// Destination address.
        to_address: String,
        /// Token.
        token: String,
        /// Amount.
        amount: Amount,
        /// Fee charged to the wallet.
        fee: Amount,
    },
    /// Holding wallet to an outside address.
    HoldingWithdraw {
        /// Client.
        client: String,
        /// Blockchain.
        blockchain: String,
        /// Token.
        token: String,
        /// Amount.
        amount: Amount,
        /// Destination address.
        to_address: String,
    },
    /// A card payment in USD at a point of sale.
    CardPayment {
        /// The card.
        card: String,
        /// USD amount.
        amount: Amount,
    },
    /// Sweep from a virtual address to the holding wallet (keyed by chain tx).
    Sweep {
        /// Source wallet.
        from: String,
        /// Token.
        token: String,
        /// Amount.
        amount: Amount,
    },
}

/// Settled records taken out of a ledger for storage elsewhere.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settled {
    /// Movement records by id.
    pub movements: Vec<(String, Movement)>,
    /// Sweep records by chain transaction.
    pub sweeps: Vec<(String, Movement)>,
    /// Deposits that are confirmed or dropped.
    pub deposits: Vec<DepositRecord>,
}

impl Movement {
    /// The token moved (`USD` for card payments).
    pub fn token(&self) -> &str {
        match self {
            Movement::Transfer { token, .. }
            | Movement::HoldingCredit { token, .. }
            | Movement::Withdraw { token, .. }
            | Movement::HoldingWithdraw { token, .. }
            | Movement::Sweep { token, .. } => token,
            Movement::CardPayment { .. } => USD,
        }
    }
}

/// Result of a virtual wallet's creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VirtualWalletCreated {
    /// Derivation index of its address.
    pub index: u32,
    /// True when this opened the client's holding wallet on the blockchain.
    pub holding_created: bool,
}

/// The registry a deserialized ledger holds until `restore` gives it the real one.
fn empty_registry() -> Arc<Registry> {
    Arc::new(Registry::empty())
}

/// The in-memory ledger.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ledger {
    config: Config,
    /// Shared, so that a copy of the ledger (a snapshot) does not copy the registry.
    #[serde(skip, default = "empty_registry")]
    registry: Arc<Registry>,
    clients: BTreeMap<String, ClientBooks>,
    accounts: BTreeMap<String, String>,
    wallets: HashMap<String, Wallet>,
    holdings: BTreeMap<String, Holding>,
    system: BTreeMap<String, Balance>,
    deposits: HashMap<String, DepositRecord>,
    below_minimum: Vec<String>,
    movements: HashMap<String, Movement>,
    sweeps: HashMap<String, Movement>,
    rules: Vec<Rule>,
    /// The postings applied since the host last took them, when the journal is recorded.
    #[serde(skip)]
    journal: Option<Vec<journal::Posting>>,
    /// Wallets whose status or flags changed (or that were created) since the host last took
    /// them, when the journal is recorded.
    #[serde(skip)]
    touched: Option<Vec<String>>,
}

impl Default for Ledger {
    fn default() -> Self {
        Ledger::new(Config::default())
    }
}

impl PartialEq for Ledger {
    fn eq(&self, other: &Self) -> bool {
        self.config == other.config
            && self.clients == other.clients
            && self.accounts == other.accounts
            && self.wallets == other.wallets
            && self.holdings == other.holdings
            && self.system == other.system
            && self.deposits == other.deposits
            && self.below_minimum == other.below_minimum
            && self.movements == other.movements
            && self.sweeps == other.sweeps
            && self.rules == other.rules
    }
}

fn check_id(kind: &str, id: &str) -> Result<()> {
    if id.is_empty() || id.len() > MAX_ID_LEN || id.chars().any(char::is_control) {
        return Err(err::invalid_argument(format!(
            "{kind} id must be 1 to {MAX_ID_LEN} printable characters"
        )));
    }
    if kind == "client" && id.contains('/') {
        return Err(err::invalid_argument("a client id cannot contain '/'"));
    }
    Ok(())
}

/// The value under `key`, inserted as default when missing (no key clone on the hot path).
fn entry<'m, V: Default>(map: &'m mut BTreeMap<String, V>, key: &str) -> &'m mut V {
    if !map.contains_key(key) {
        map.insert(key.to_owned(), V::default());
    }
    map.get_mut(key)
        .unwrap_or_else(|| unreachable!("inserted above"))
}

fn holding_key(client: &str, chain: &str) -> String {
    format!("{client}/{chain}")
}

impl Ledger {
    /// An empty ledger over the built-in registry.
    pub fn new(config: Config) -> Ledger {
        Ledger::with_registry(config, Registry::builtin())
    }

    /// An empty ledger over a given registry.
    pub fn with_registry(config: Config, registry: impl Into<Arc<Registry>>) -> Ledger {
        Ledger {
            config,
            registry: registry.into(),
            clients: BTreeMap::new(),
            accounts: BTreeMap::new(),
            wallets: HashMap::new(),
            holdings: BTreeMap::new(),
            system: BTreeMap::new(),
            deposits: HashMap::new(),
            below_minimum: Vec::new(),
            movements: HashMap::new(),
            sweeps: HashMap::new(),
            rules: Vec::new(),
            journal: None,
            touched: None,
        }
    }

    /// Starts (or stops) recording a [`journal::Posting`] for every balance a movement changes.
    pub fn record_journal(&mut self, on: bool) {
        self.journal = if on { Some(Vec::new()) } else { None };
        self.touched = if on { Some(Vec::new()) } else { None };
    }

    /// The wallets created, or whose status or flags changed, since the last call (each once).
    pub fn take_touched_wallets(&mut self) -> Vec<String> {
        let mut ids = self
            .touched
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Notes a wallet whose row outside the ledger (status, flags) must follow.
    fn touch(&mut self, wallet: &str) {
        if let Some(t) = self.touched.as_mut() {
            t.push(wallet.to_owned());
        }
    }

    /// The postings recorded since the last call, in the order they were applied.
    pub fn take_journal(&mut self) -> Vec<journal::Posting> {
        self.journal
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Restores a ledger from its serialized state, over a given registry.
    pub fn restore(state: &str, registry: impl Into<Arc<Registry>>) -> Result<Ledger> {
        let mut ledger: Ledger = serde_json::from_str(state)
            .map_err(|e| err::invalid_argument(format!("bad ledger state: {e}")))?;
        ledger.registry = registry.into();
        Ok(ledger)
    }

    /// The serialized state (JSON), restorable with [`Ledger::restore`].
    pub fn save(&self) -> Result<String> {
        serde_json::to_string(self)
            .map_err(|e| err::invalid_argument(format!("cannot serialize: {e}")))
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Replaces the configuration.
    pub fn set_config(&mut self, config: Config) -> Result<()> {
        if config.min_reserve_ratio.is_sign_negative() {
            return Err(err::invalid_amount("min_reserve_ratio cannot be negative"));
        }
        self.config = config;
        Ok(())
    }

    /// The registry of blockchains and tokens.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Sets a client's contracted limits (creating the client if new).
    pub fn set_contract(&mut self, client: &str, contract: Contract) -> Result<()> {
        check_id("client", client)?;
        self.clients.entry(client.to_owned()).or_default().contract = Some(contract);
        Ok(())
    }

    /// Creates an account of a client (creating the client if new).
    pub fn create_account(&mut self, client: &str, account: &str) -> Result<()> {
        check_id("client", client)?;
        check_id("account", account)?;
        if let Some(owner) = self.accounts.get(account) {
            if owner == client {
                return Ok(());
            }
            return Err(err::already_exists(format!(
                "account {account} exists for another client"
            )));
        }
        self.clients.entry(client.to_owned()).or_default();
        self.accounts.insert(account.to_owned(), client.to_owned());
        Ok(())
    }

    fn client_of(&self, account: &str) -> Result<String> {
        self.accounts
            .get(account)
            .cloned()
            .ok_or_else(|| err::not_found(format!("no account {account}")))
    }

    /// The contracted limits of a client (unlimited without a contract).
    pub fn contract_of(&self, client: &str) -> Contract {
        self.contract(client)
    }

    fn contract(&self, client: &str) -> Contract {
        self.clients
            .get(client)
            .and_then(|c| c.contract)
            .unwrap_or_default()
    }

    fn new_wallet(&mut self, wallet: &str, w: Wallet) -> Result<()> {
        check_id("wallet", wallet)?;
        if self.wallets.contains_key(wallet) {
            return Err(err::already_exists(format!(
                "wallet {wallet} already exists"
            )));
        }
        self.wallets.insert(wallet.to_owned(), w);
        self.touch(wallet);
        Ok(())
    }

    fn blank_wallet(
        kind: WalletKind,
        client: String,
        account: &str,
        blockchain: Option<String>,
    ) -> Wallet {
        Wallet {
            holding: holding_key(&client, blockchain.as_deref().unwrap_or("card")),
            kind,
            client,
            account: account.to_owned(),
            blockchain,
            index: None,
            status: WalletStatus::Active,
            inactive: false,
            flags: Vec::new(),
            balances: BTreeMap::new(),
            on_chain: BTreeMap::new(),
        }
    }

    /// Creates a virtual wallet; the first on a blockchain opens the client's holding wallet there.
    pub fn create_virtual_wallet(
        &mut self,
        account: &str,
        wallet: &str,
        blockchain: &str,
    ) -> Result<VirtualWalletCreated> {
        let client = self.client_of(account)?;
        let chain = self.registry.chain(blockchain)?.id.as_str().to_owned();
        check_id("wallet", wallet)?;
        if self.wallets.contains_key(wallet) {
            return Err(err::already_exists(format!(
                "wallet {wallet} already exists"
            )));
        }
        let active = self
            .clients
            .get(&client)
            .map_or(0, |c| c.active_virtual_wallets);
        rules::check_slot(
            active,
            self.contract(&client).max_virtual_wallets,
            "active virtual wallets",
        )?;
        let key = holding_key(&client, &chain);
        let holding_created = !self.holdings.contains_key(&key);
        let holding = self.holdings.entry(key).or_default();
        let index = holding.next_index;
        if index >= crate::keys::HARDENED {
            return Err(err::invalid_index(
                "this holding wallet has used every non-hardened index",
            ));
        }
        holding.next_index += 1;
        let mut w = Self::blank_wallet(WalletKind::Virtual, client.clone(), account, Some(chain));
        w.index = Some(index);
        self.new_wallet(wallet, w)?;
        self.clients
            .entry(client)
            .or_default()
            .active_virtual_wallets += 1;
        Ok(VirtualWalletCreated {
            index,
            holding_created,
        })
    }

    /// Creates a treasury wallet on a blockchain.
    pub fn create_treasury(&mut self, account: &str, wallet: &str, blockchain: &str) -> Result<()> {
        let client = self.client_of(account)?;
        let chain = self.registry.chain(blockchain)?.id.as_str().to_owned();
        let used = self.clients.get(&client).map_or(0, |c| c.treasuries);
        rules::check_slot(
            used,
            self.contract(&client).max_treasury_wallets,
            "treasury wallets",
        )?;
        self.new_wallet(
            wallet,
            Self::blank_wallet(WalletKind::Treasury, client.clone(), account, Some(chain)),
        )?;
        self.clients.entry(client).or_default().treasuries += 1;
        Ok(())
    }

    /// Creates a card with a USD balance.
    pub fn create_card(&mut self, account: &str, card: &str) -> Result<()> {
        let client = self.client_of(account)?;
        let used = self.clients.get(&client).map_or(0, |c| c.cards);
        rules::check_slot(used, self.contract(&client).max_cards, "cards")?;
        self.new_wallet(
            card,
            Self::blank_wallet(WalletKind::Card, client.clone(), account, None),
        )?;
        self.clients.entry(client).or_default().cards += 1;
        Ok(())
    }

    /// A wallet by id.
    pub fn wallet(&self, wallet: &str) -> Result<&Wallet> {
        self.wallets
            .get(wallet)
            .ok_or_else(|| err::not_found(format!("no wallet {wallet}")))
    }

    fn wallet_mut(&mut self, wallet: &str) -> Result<&mut Wallet> {
        self.wallets
            .get_mut(wallet)
            .ok_or_else(|| err::not_found(format!("no wallet {wallet}")))
    }

    fn virtual_wallet(&self, wallet: &str) -> Result<&Wallet> {
        let w = self.wallet(wallet)?;
        if w.kind != WalletKind::Virtual {
            return Err(err::invalid_argument(format!(
                "wallet {wallet} is not a virtual wallet"
            )));
        }
        Ok(w)
    }

    /// Deactivates a virtual wallet: it leaves the contracted pool and refuses outgoing movements.
    pub fn deactivate(&mut self, wallet: &str) -> Result<()> {
        let w = self.virtual_wallet(wallet)?;
        if w.inactive || w.status == WalletStatus::Inactive {
            return Ok(());
        }
        let client = w.client.clone();
        if let Some(w) = self.wallets.get_mut(wallet) {
            w.inactive = true;
            if w.status == WalletStatus::Active {
                w.status = WalletStatus::Inactive;
            }
        }
        self.touch(wallet);
        if let Some(c) = self.clients.get_mut(&client) {
            c.active_virtual_wallets = c.active_virtual_wallets.saturating_sub(1);
        }
        Ok(())
    }

    /// Reactivates a virtual wallet; needs a free slot in the contracted pool.
    pub fn activate(&mut self, wallet: &str) -> Result<()> {
        let w = self.virtual_wallet(wallet)?;
        if !w.inactive {
            return Ok(());
        }
        let client = w.client.clone();
        let active = self
            .clients
            .get(&client)
            .map_or(0, |c| c.active_virtual_wallets);
        rules::check_slot(
            active,
            self.contract(&client).max_virtual_wallets,
            "active virtual wallets",
        )?;
        if let Some(w) = self.wallets.get_mut(wallet) {
            w.inactive = false;
            if w.status == WalletStatus::Inactive {
                w.status = WalletStatus::Active;
            }
        }
        self.touch(wallet);
        self.clients
            .entry(client)
            .or_default()
            .active_virtual_wallets += 1;
        Ok(())
    }

    /// Whether this client's books may be retired: refused while any wallet holds funds.
    pub fn check_retire(&self) -> Result<()> {
        let holding = self
            .wallets
            .values()
            .filter(|w| w.balances.values().any(|b| !b.total().is_zero()))
            .count();
        if holding > 0 {
            return Err(err::invalid_argument(format!(
                "the client still holds funds in {holding} wallet(s); move or withdraw them first"
            )));
        }
        Ok(())
    }

    /// Whether an account may be deleted: only while no wallet or card belongs to it.
    pub fn check_delete_account(&self, account: &str) -> Result<()> {
        if self.wallets.values().any(|w| w.account == account) {
            return Err(err::invalid_argument(format!(
                "account {account} has wallets or cards; deactivate them instead"
            )));
        }
        Ok(())
    }

    /// Removes a card for good: refused while it holds a balance; a removed card is blocked.
    pub fn remove_card(&mut self, card: &str) -> Result<()> {
        let balance = self
            .wallet(card)?
            .balances
            .get(USD)
            .map(Balance::total)
            .unwrap_or_default();
        if !balance.is_zero() {
            return Err(err::invalid_argument(format!(
                "{card} still holds {} USD; spend or refund it first",
                balance.normalize()
            )));
        }
        self.set_card_blocked(card, true)
    }

    /// Blocks or unblocks a card: a blocked card keeps its balance, still receives deposits
    /// (flagged) and refuses payments (WALLET_INACTIVE).
    pub fn set_card_blocked(&mut self, card: &str, blocked: bool) -> Result<()> {
        let w = self.wallet(card)?;
        if w.kind != WalletKind::Card {
            return Err(err::invalid_argument(format!("{card} is not a card")));
        }
        if let Some(w) = self.wallets.get_mut(card) {
            w.inactive = blocked;
            if w.status != WalletStatus::Frozen {
                w.status = if blocked {
                    WalletStatus::Inactive
                } else {
                    WalletStatus::Active
                };
            }
        }
        self.touch(card);
        Ok(())
    }

    /// A card payment (point of sale) of `amount` USD: needs an active card and the balance.
    pub fn card_payment(&mut self, id: &str, card: &str, amount: Amount) -> Result<Movement> {
        check_id("operation", id)?;
        let w = self.wallet(card)?;
        if w.kind != WalletKind::Card {
            return Err(err::invalid_argument(format!("{card} is not a card")));
        }
        let movement = Movement::CardPayment {
            card: card.to_owned(),
            amount,
        };
        if Self::seen(&self.movements, id, &movement)? {
            return Ok(movement);
        }
        rules::check_positive(amount.check_scale(2)?)?;
        rules::check_can_send(w.status, card)?;
        let total = w.balances.get(USD).map(Balance::total).unwrap_or_default();
        rules::check_internal_transfer(total, amount)?;
        let leg = Leg {
            from: Book::Wallet(card.to_owned(), USD.to_owned()),
            to: Book::System(format!("external/{USD}")),
            amount: amount.as_decimal(),
        };
        self.post_movement(&[leg], Records::Movements, id, movement)
    }

    /// Lifts a freeze once the wallet's balances are back at or above zero.
    pub fn unfreeze(&mut self, wallet: &str) -> Result<()> {
        let w = self.wallet(wallet)?;
        if w.status != WalletStatus::Frozen {
            return Ok(());
        }
        if w.balances.values().any(|b| b.total() < Decimal::ZERO) {
            return Err(err::wallet_frozen(format!(
                "wallet {wallet} still has a negative balance"
            )));
        }
        if let Some(w) = self.wallets.get_mut(wallet) {
            w.status = if w.inactive {
                WalletStatus::Inactive
            } else {
                WalletStatus::Active
            };
        }
        self.touch(wallet);
        Ok(())
    }

    /// The token's canonical symbol and decimals on a wallet's blockchain.
    fn token_of(&self, chain: &str, token: &str) -> Result<(String, u8)> {
        let t = self.registry.token(chain, token)?;
        Ok((t.symbol.clone(), t.decimals))
    }

    fn balance_mut(&mut self, book: &Book) -> Result<&mut Balance> {
        Ok(match book {
            Book::Wallet(w, t) => entry(&mut self.wallet_mut(w)?.balances, t),
            Book::OnChain(w, t) => entry(&mut self.wallet_mut(w)?.on_chain, t),
            Book::Holding(h, t) => self
                .holdings
                .entry(h.clone())
                .or_default()
                .position
                .entry(t.clone())
                .or_default(),
            Book::System(k) => self.system.entry(k.clone()).or_default(),
        })
    }

    fn balance_of(&self, book: &Book) -> Balance {
        match book {
            Book::Wallet(w, t) => self.wallets.get(w).and_then(|w| w.balances.get(t)).copied(),
            Book::OnChain(w, t) => self.wallets.get(w).and_then(|w| w.on_chain.get(t)).copied(),
            Book::Holding(h, t) => self
                .holdings
                .get(h)
                .and_then(|h| h.position.get(t))
                .copied(),
            Book::System(k) => self.system.get(k).copied(),
        }
        .unwrap_or_default()
    }

    /// Applies legs atomically: every new balance is computed (checked) before any is written.
    fn apply(&mut self, legs: &[Leg], phase: Phase, movement_id: &str) -> Result<()> {
        let overflow = || err::invalid_amount("balance overflow");
        // (book, balance before, balance after); at most a handful of entries.
        let mut changes: Vec<(&Book, Balance, Balance)> = Vec::with_capacity(legs.len() * 2);
        for leg in legs {
            for (book, sign) in [(&leg.from, Decimal::NEGATIVE_ONE), (&leg.to, Decimal::ONE)] {
                let delta = leg.amount * sign;
                let slot = changes.iter().position(|(b, _, _)| *b == book);
                let current = match slot {
                    Some(i) => changes[i].2,
                    None => self.balance_of(book),
                };
                let (posted, pending) = match phase {
                    Phase::Post => (current.posted.checked_add(delta), Some(current.pending)),
                    Phase::Pending => (Some(current.posted), current.pending.checked_add(delta)),
                    Phase::PostPending => (
                        current.posted.checked_add(delta),
                        current.pending.checked_sub(delta),
                    ),
                    Phase::VoidPending => {
                        (Some(current.posted), current.pending.checked_sub(delta))
                    }
                };
                let next = Balance {
                    posted: posted.ok_or_else(overflow)?,
                    pending: pending.ok_or_else(overflow)?,
                };
                match slot {
                    Some(i) => changes[i].2 = next,
                    None => changes.push((book, current, next)),
                }
            }
        }
        self.check_representable(&changes)?;
        for (book, before, next) in changes {
            *self.balance_mut(book)? = next;
            self.update_caches(book, next.total() - before.total());
            if let Some(postings) = self.journal.as_mut() {
                postings.push(journal::Posting {
                    movement_id: movement_id.to_owned(),
                    account: journal::account_of(book),
                    token: journal::unit_of(book).to_owned(),
                    posted: next.posted - before.posted,
                    pending: next.pending - before.pending,
                    after: next,
                });
            }
        }
        Ok(())
    }

    /// Checks that the balances a movement leaves, their totals and the per-holding sums they
    /// change all stay within `Decimal`'s range (INVALID_AMOUNT otherwise), before any is written.
    fn check_representable(&self, changes: &[(&Book, Balance, Balance)]) -> Result<()> {
        let overflow = || err::invalid_amount("amount too large: a balance would overflow");
        // (holding, token, liability?) -> change of its sum
        let mut sums: Vec<((&str, &str, bool), Decimal)> = Vec::new();
        for (book, before, next) in changes {
            let next_total = next.posted.checked_add(next.pending).ok_or_else(overflow)?;
            let delta = next_total
                .checked_sub(before.total())
                .ok_or_else(overflow)?;
            if let Some(slot) = self.cache_slot(book) {
                match sums.iter_mut().find(|(s, _)| *s == slot) {
                    Some((_, d)) => *d = d.checked_add(delta).ok_or_else(overflow)?,
                    None => sums.push((slot, delta)),
                }
            }
        }
        for ((holding, token, liability), delta) in sums {
            let current = self
                .holdings
                .get(holding)
                .and_then(|h| {
                    if liability {
                        h.liabilities.get(token)
                    } else {
                        h.in_transit.get(token)
                    }
                })
                .copied()
                .unwrap_or_default();
            current.checked_add(delta).ok_or_else(overflow)?;
        }
        Ok(())
    }

    /// The per-holding sum a book counts in: (holding, token, liability or in transit).
    fn cache_slot<'b>(&'b self, book: &'b Book) -> Option<(&'b str, &'b str, bool)> {
        let (wallet, token, liability) = match book {
            Book::Wallet(w, t) => (w, t, true),
            Book::OnChain(w, t) => (w, t, false),
            _ => return None,
        };
        let w = self.wallets.get(wallet)?;
        (w.kind == WalletKind::Virtual).then_some((w.holding.as_str(), token.as_str(), liability))
    }

    /// Keeps the per-holding liabilities and in-transit sums in step with virtual balances
    /// (checked beforehand by [`Ledger::check_representable`]).
    fn update_caches(&mut self, book: &Book, delta_total: Decimal) {
        if delta_total.is_zero() {
            return;
        }
        let (wallet, token, liability) = match book {
            Book::Wallet(w, t) => (w, t, true),
            Book::OnChain(w, t) => (w, t, false),
            _ => return,
        };
        let Some(w) = self.wallets.get(wallet) else {
            return;
        };
        if w.kind != WalletKind::Virtual {
            return;
        }
        let holding = match self.holdings.get_mut(&w.holding) {
            Some(h) => h,
            None => self.holdings.entry(w.holding.clone()).or_default(),
        };
        let map = if liability {
            &mut holding.liabilities
        } else {
            &mut holding.in_transit
        };
        let sum = entry(map, token);
        *sum = sum.checked_add(delta_total).unwrap_or(*sum).normalize();
    }

    /// Rule 1 and 2: an on-chain deposit to a virtual wallet, treasury wallet or card.
    pub fn deposit(&mut self, req: DepositRequest) -> Result<DepositResult> {
        check_id("transaction", &req.tx)?;
        if let Some(existing) = self.deposits.get(&req.tx) {
            if existing.request == req {
                return Ok(existing.result.clone());
            }
            return Err(err::duplicate_operation(format!(
                "transaction {} was already reported with other contents",
                req.tx
            )));
        }
        rules::check_positive(req.amount)?;
        let w = self.wallet(&req.to)?.clone();
        let (token, chain, decimals) = match &w.blockchain {
            Some(chain) => {
                let (symbol, decimals) = self.token_of(chain, &req.token)?;
                req.amount.check_scale(decimals)?;
                (symbol, chain.clone(), decimals)
            }
            None => (req.token.to_ascii_uppercase(), "card".to_owned(), 0),
        };
        let usd_value = rules::usd_value(req.amount, req.usd_price)?;
        let minimum = match w.kind {
            WalletKind::Virtual => self.config.min_deposit_usd.virtual_wallet,
            WalletKind::Treasury => self.config.min_deposit_usd.treasury,
            WalletKind::Card => self.config.min_deposit_usd.card,
        };
        let decision = rules::deposit_decision(usd_value, minimum);
        let amount = req.amount.as_decimal();
        let (credit_unit, credited) = match w.kind {
            WalletKind::Card => (USD.to_owned(), usd_value),
            _ => (token.clone(), amount),
        };
        let external = |unit: &str| match w.kind {
            WalletKind::Card => Book::System(format!("external/{USD}")),
            _ => Book::System(format!("external/{chain}/{unit}")),
        };
        let mut legs = Vec::with_capacity(2);
        match decision {
            DepositDecision::Credit => legs.push(Leg {
                from: external(&credit_unit),
                to: Book::Wallet(req.to.clone(), credit_unit.clone()),
                amount: credited,
            }),
            DepositDecision::BelowMinimum => legs.push(Leg {
                from: external(&credit_unit),
                to: Book::System(format!("suspense/{}/{chain}/{credit_unit}", w.client)),
                amount: credited,
            }),
        }
        if w.kind == WalletKind::Virtual {
            legs.push(Leg {
                from: Book::System(format!("chain/{chain}/{token}")),
                to: Book::OnChain(req.to.clone(), token.clone()),
                amount,
            });
        }
        let flagged = match (w.kind, w.status, w.inactive) {
            (WalletKind::Virtual, _, true) => Some(ErrorCode::WalletInactive.as_str().to_owned()),
            (_, WalletStatus::Frozen, _) => Some(ErrorCode::WalletFrozen.as_str().to_owned()),
            _ => None,
        };
        self.apply(&legs, Phase::Pending, &req.tx)?;
        let below_minimum = decision == DepositDecision::BelowMinimum;
        if let Some(flag) = &flagged {
            if let Some(wallet) = self.wallets.get_mut(&req.to) {
                wallet.flags.push(format!("{flag}: deposit {}", req.tx));
            }
            self.touch(&req.to);
        }
        if below_minimum {
            self.below_minimum.push(req.tx.clone());
        }
        let result = DepositResult {
            tx: req.tx.clone(),
            to: req.to.clone(),
            token,
            amount: amount.normalize(),
            usd_value,
            credited: if below_minimum {
                Decimal::ZERO
            } else {
                credited.normalize()
            },
            below_minimum,
            flagged,
            status: DepositStatus::Pending,
            automation: Vec::new(),
        };
        // Rules act before the record is kept (movements never read deposit records), so the
        // answer is built once and copied once.
        let mut result = result;
        if !below_minimum {
            result.automation = self.fire(
                Trigger::Deposit,
                &Deposited {
                    tx: &req.tx,
                    wallet: &req.to,
                    token: &result.token,
                    amount: req.amount,
                    decimals,
                },
            );
        }
        self.deposits.insert(
            req.tx.clone(),
            DepositRecord {
                request: req,
                result: result.clone(),
                status: DepositStatus::Pending,
                legs,
                confirm_result: None,
            },
        );
        Ok(result)
    }

    /// The chain confirmed a deposit: its pending credit is posted.
    pub fn confirm(&mut self, tx: &str) -> Result<SettleResult> {
        let record = self
            .deposits
            .get(tx)
            .ok_or_else(|| err::not_found(format!("no deposit {tx}")))?;
        match record.status {
            DepositStatus::Confirmed => {
                return Ok(record.confirm_result.clone().unwrap_or(SettleResult {
                    tx: tx.to_owned(),
                    status: DepositStatus::Confirmed,
                    frozen: None,
                    automation: Vec::new(),
                }))
            }
            DepositStatus::Dropped => {
                return Err(err::invalid_argument(format!(
                    "deposit {tx} was dropped by a reorg"
                )))
            }
            DepositStatus::Pending => {}
        }
        let legs = record.legs.clone();
        let fires = !record.result.below_minimum;
        let (wallet, token, amount) = (
            record.request.to.clone(),
            record.result.token.clone(),
            record.request.amount,
        );
        self.apply(&legs, Phase::PostPending, tx)?;
        if let Some(r) = self.deposits.get_mut(tx) {
            r.status = DepositStatus::Confirmed;
        }
        let automation = if fires {
            let decimals = self
                .wallets
                .get(&wallet)
                .and_then(|w| w.blockchain.as_deref())
                .and_then(|chain| self.registry.token(chain, &token).ok())
                .map_or(0, |t| t.decimals);
            self.fire(
                Trigger::Confirm,
                &Deposited {
                    tx,
                    wallet: &wallet,
                    token: &token,
                    amount,
                    decimals,
                },
            )
        } else {
            Vec::new()
        };
        let result = SettleResult {
            tx: tx.to_owned(),
            status: DepositStatus::Confirmed,
            frozen: None,
            automation,
        };
        if let Some(r) = self.deposits.get_mut(tx) {
            r.confirm_result = Some(result.clone());
        }
        Ok(result)
    }

    /// A reorg removed a pending deposit: its credit is voided; a wallet that had spent it is
    /// frozen and flagged, never silently negative.
    pub fn drop_deposit(&mut self, tx: &str) -> Result<SettleResult> {
        let record = self
            .deposits
            .get(tx)
            .ok_or_else(|| err::not_found(format!("no deposit {tx}")))?;
        match record.status {
            DepositStatus::Dropped => {
                return Ok(SettleResult {
                    tx: tx.to_owned(),
                    status: DepositStatus::Dropped,
                    frozen: None,
                    automation: Vec::new(),
                })
            }
            DepositStatus::Confirmed => {
                return Err(err::invalid_argument(format!(
                    "deposit {tx} is already confirmed; a reorg deeper than the confirmations needs an operator"
                )))
            }
            DepositStatus::Pending => {}
        }
        let legs = record.legs.clone();
        let wallet = record.request.to.clone();
        self.apply(&legs, Phase::VoidPending, tx)?;
        if let Some(r) = self.deposits.get_mut(tx) {
            r.status = DepositStatus::Dropped;
        }
        let mut frozen = None;
        if let Some(w) = self.wallets.get_mut(&wallet) {
            let lowest = w
                .balances
                .values()
                .map(Balance::total)
                .min()
                .unwrap_or_default();
            let status = rules::status_after_reorg(w.status, lowest);
            if status == WalletStatus::Frozen && w.status != WalletStatus::Frozen {
                w.status = WalletStatus::Frozen;
                w.flags.push(format!(
                    "WALLET_FROZEN: deposit {tx} was dropped after its funds were spent"
                ));
                frozen = Some(wallet);
            }
        }
        if let Some(w) = &frozen {
            let w = w.clone();
            self.touch(&w);
        }
        Ok(SettleResult {
            tx: tx.to_owned(),
            status: DepositStatus::Dropped,
            frozen,
            automation: Vec::new(),
        })
    }

    /// Adds a rule to a virtual wallet (the same rule again changes nothing).
    pub fn add_rule(&mut self, rule: Rule) -> Result<Rule> {
        let bad = |m: String| err::invalid_rule(m);
        check_id("rule", &rule.id).map_err(|e| bad(e.message().to_owned()))?;
        if let Some(existing) = self.rules.iter().find(|r| r.id == rule.id) {
            if *existing == rule {
                return Ok(rule);
            }
            return Err(bad(format!(
                "rule id {} is already used with other contents",
                rule.id
            )));
        }
        let w = self.wallet(&rule.wallet)?;
        if w.kind != WalletKind::Virtual {
            return Err(bad(format!(
                "rules belong to virtual wallets; {} is not one",
                rule.wallet
            )));
        }
        let chain = w.blockchain.clone().unwrap_or_default();
        let client = w.client.clone();
        let (token, decimals) = self
            .token_of(&chain, &rule.token)
            .map_err(|e| bad(e.message().to_owned()))?;
        let mut rule = rule;
        rule.token = token;
        automation::check_shape(&rule, decimals)?;
        match &mut rule.action {
            Action::Forward { to, .. } | Action::ForwardExcess { to, .. } => {
                let target = self
                    .wallet(to)
                    .map_err(|_| bad(format!("target wallet {to} does not exist")))?;
                if target.kind != WalletKind::Virtual
                    || target.blockchain.as_deref() != Some(chain.as_str())
                    || target.client != client
                {
                    return Err(bad(format!(
                        "target {to} must be a virtual wallet of the same client on {chain}"
                    )));
                }
                if *to == rule.wallet {
                    return Err(bad("a rule cannot forward to its own wallet".into()));
                }
            }
            Action::Withdraw { to_address, .. } => {
                let family = self.registry.chain(&chain)?.family;
                let address = crate::address::Address::parse(family, to_address)
                    .map_err(|e| bad(e.message().to_owned()))?;
                *to_address = address.to_string();
            }
            Action::Alert => {}
        }
        let count = self
            .rules
            .iter()
            .filter(|r| r.wallet == rule.wallet)
            .count();
        if count >= automation::MAX_RULES_PER_WALLET {
            return Err(bad(format!(
                "wallet {} already holds {} rules, the most allowed",
                rule.wallet,
                automation::MAX_RULES_PER_WALLET
            )));
        }
        self.rules.push(rule.clone());
        Ok(rule)
    }

    /// Removes a rule; NOT_FOUND when unknown.
    pub fn remove_rule(&mut self, id: &str) -> Result<Rule> {
        let at = self
            .rules
            .iter()
            .position(|r| &*r.id == id)
            .ok_or_else(|| err::not_found(format!("no rule {id}")))?;
        Ok(self.rules.remove(at))
    }

    /// Rules in the order they were added.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Fires the rules of a deposit's wallet for a trigger; failures are reported, not raised.
    fn fire(&mut self, on: Trigger, deposit: &Deposited<'_>) -> Vec<RuleOutcome> {
        // The rules that fire, by position; `add_rule` keeps a wallet at MAX_RULES_PER_WALLET,
        // so a fixed array holds them and nothing is allocated when no rule matches.
        let mut matching = [0usize; automation::MAX_RULES_PER_WALLET];
        let mut count = 0;
        for (at, rule) in self.rules.iter().enumerate() {
            if rule.wallet == deposit.wallet
                && automation::fires(rule, on, deposit.token, deposit.amount)
            {
                debug_assert!(count < matching.len(), "a wallet holds too many rules");
                if let Some(slot) = matching.get_mut(count) {
                    *slot = at;
                    count += 1;
                }
            }
        }
        if count == 0 {
            return Vec::new();
        }
        // Movements never touch the rules, so they are lent out while the matching ones act
        // (no copy of each rule per deposit).
        let rules = std::mem::take(&mut self.rules);
        let mut outcomes = Vec::with_capacity(count);
        for &at in &matching[..count] {
            if let Some(rule) = rules.get(at) {
                outcomes.push(self.act(rule, deposit.tx, on, deposit.amount, deposit.decimals));
            }
        }
        self.rules = rules;
        outcomes
    }

    fn act(
        &mut self,
        rule: &Rule,
        tx: &str,
        on: Trigger,
        deposit: Amount,
        decimals: u8,
    ) -> RuleOutcome {
        let id = automation::movement_id(&rule.id, tx);
        let mut outcome = RuleOutcome {
            rule: rule.id.clone(),
            action: rule.action.kind(),
            amount: None,
            code: None,
            message: None,
            event: None,
        };
        let wallet = rule.wallet.as_str();
        let token = rule.token.as_str();
        let result = match &rule.action {
            Action::Forward { to, share } => automation::share_of(*share, deposit, decimals)
                .and_then(|a| {
                    self.move_if_any(&mut outcome, a, |l| l.transfer(&id, wallet, to, token, a))
                }),
            Action::ForwardExcess { to, keep } => {
                let total = self
                    .wallets
                    .get(wallet)
                    .and_then(|w| w.balances.get(token))
                    .map(Balance::total)
                    .unwrap_or_default();
                automation::excess(total, *keep).and_then(|a| {
                    self.move_if_any(&mut outcome, a, |l| l.transfer(&id, wallet, to, token, a))
                })
            }
            Action::Withdraw {
                to_address,
                share,
                fee,
            } => automation::share_of(*share, deposit, decimals).and_then(|a| {
                self.move_if_any(&mut outcome, a, |l| {
                    l.withdraw(&id, wallet, to_address, token, a, *fee)
                })
            }),
            Action::Alert => {
                outcome.event = Some(automation::alert_event(rule, tx, deposit, on));
                Ok(())
            }
        };
        if let Err(e) = result {
            outcome.code = Some(e.code().as_str().to_owned());
            outcome.message = Some(e.message().to_owned());
        }
        outcome
    }

    /// Runs a movement unless the amount is zero (then nothing moves and the outcome says 0).
    fn move_if_any(
        &mut self,
        outcome: &mut RuleOutcome,
        amount: Amount,
        movement: impl FnOnce(&mut Ledger) -> Result<Movement>,
    ) -> Result<()> {
        outcome.amount = Some(amount.as_decimal());
        if amount.is_zero() {
            return Ok(());
        }
        movement(self).map(|_| ())
    }

    /// Posts a movement's legs and records it under its id, so a retry answers it again.
    fn post_movement(
        &mut self,
        legs: &[Leg],
        records: Records,
        id: &str,
        movement: Movement,
    ) -> Result<Movement> {
        self.apply(legs, Phase::Post, id)?;
        let map = match records {
            Records::Movements => &mut self.movements,
            Records::Sweeps => &mut self.sweeps,
        };
        map.insert(id.to_owned(), movement.clone());
        Ok(movement)
    }

    /// Looks up a movement id: `Some(())` when it is a retry of the same movement.
    fn seen(map: &HashMap<String, Movement>, id: &str, movement: &Movement) -> Result<bool> {
        match map.get(id) {
            Some(previous) if previous == movement => Ok(true),
            Some(_) => Err(err::duplicate_operation(format!(
                "operation {id} was already used with other contents"
            ))),
            None => Ok(false),
        }
    }

    /// Rule 3: a sweep moves funds from a virtual address to the holding wallet on chain;
    /// virtual balances do not change. Only confirmed funds at the address can be swept.
    pub fn sweep(&mut self, tx: &str, from: &str, token: &str, amount: Amount) -> Result<Movement> {
        check_id("transaction", tx)?;
        let w = self.virtual_wallet(from)?;
        let chain = w.blockchain.clone().unwrap_or_default();
        let (token, decimals) = self.token_of(&chain, token)?;
        let movement = Movement::Sweep {
            from: from.to_owned(),
            token: token.clone(),
            amount,
        };
        if Self::seen(&self.sweeps, tx, &movement)? {
            return Ok(movement);
        }
        rules::check_positive(amount.check_scale(decimals)?)?;
        let at_address = self
            .balance_of(&Book::OnChain(from.to_owned(), token.clone()))
            .posted;
        if at_address < amount.as_decimal() {
            return Err(err::insufficient_funds(format!(
                "the address of {from} holds {} confirmed {token}, less than {amount}",
                at_address.normalize()
            )));
        }
        let client = self.virtual_wallet(from)?.client.clone();
        let leg = Leg {
            from: Book::OnChain(from.to_owned(), token.clone()),
            to: Book::Holding(holding_key(&client, &chain), token),
            amount: amount.as_decimal(),
        };
        self.post_movement(&[leg], Records::Sweeps, tx, movement)
    }

    /// Rule 8: an instant, off-chain transfer between two virtual wallets of one client and chain.
    pub fn transfer(
        &mut self,
        id: &str,
        from: &str,
        to: &str,
        token: &str,
        amount: Amount,
    ) -> Result<Movement> {
        check_id("operation", id)?;
        let src = self.virtual_wallet(from)?;
        let dst = self.virtual_wallet(to)?;
        let chain = src.blockchain.clone().unwrap_or_default();
        let (token, decimals) = self.token_of(&chain, token)?;
        let movement = Movement::Transfer {
            from: from.to_owned(),
            to: to.to_owned(),
            token: token.clone(),
            amount,
        };
        if Self::seen(&self.movements, id, &movement)? {
            return Ok(movement);
        }
        if src.client != dst.client || src.blockchain != dst.blockchain {
            return Err(err::invalid_argument(
                "virtual transfers stay within one client's holding wallet: same client and blockchain",
            ));
        }
        if from == to {
            return Err(err::invalid_argument(
                "source and destination are the same wallet",
            ));
        }
        rules::check_positive(amount.check_scale(decimals)?)?;
        rules::check_can_send(src.status, from)?;
        let total = src
            .balances
            .get(&token)
            .map(Balance::total)
            .unwrap_or_default();
        rules::check_internal_transfer(total, amount)?;
        let leg = Leg {
            from: Book::Wallet(from.to_owned(), token.clone()),
            to: Book::Wallet(to.to_owned(), token),
            amount: amount.as_decimal(),
        };
        self.post_movement(&[leg], Records::Movements, id, movement)
    }

    /// Rule 7: the holding wallet credits a virtual wallet, even beyond what it holds (leverage).
    pub fn holding_credit(
        &mut self,
        id: &str,
        to: &str,
        token: &str,
        amount: Amount,
    ) -> Result<Movement> {
        check_id("operation", id)?;
        let dst = self.virtual_wallet(to)?;
        let chain = dst.blockchain.clone().unwrap_or_default();
        let client = dst.client.clone();
        let (token, decimals) = self.token_of(&chain, token)?;
        let movement = Movement::HoldingCredit {
            to: to.to_owned(),
            token: token.clone(),
            amount,
        };
        if Self::seen(&self.movements, id, &movement)? {
            return Ok(movement);
        }
        rules::check_positive(amount.check_scale(decimals)?)?;
        let leg = Leg {
            from: Book::System(format!("issuance/{client}/{chain}/{token}")),
            to: Book::Wallet(to.to_owned(), token),
            amount: amount.as_decimal(),
        };
        self.post_movement(&[leg], Records::Movements, id, movement)
    }

    /// Rule 6: a withdrawal from a virtual or treasury wallet to an outside address.
    pub fn withdraw(
        &mut self,
        id: &str,
        from: &str,
        to_address: &str,
        token: &str,
        amount: Amount,
        fee: Amount,
    ) -> Result<Movement> {
        check_id("operation", id)?;
        let src = self.wallet(from)?.clone();
        let Some(chain) = src.blockchain.clone() else {
            return Err(err::invalid_argument(format!(
                "wallet {from} is a card; cards do not withdraw on chain"
            )));
        };
        let (token, decimals) = self.token_of(&chain, token)?;
        let family = self.registry.chain(&chain)?.family;
        let address = crate::address::Address::parse(family, to_address)?;
        let movement = Movement::Withdraw {
            from: from.to_owned(),
            to_address: address.to_string(),
            token: token.clone(),
            amount,
            fee,
        };
        if Self::seen(&self.movements, id, &movement)? {
            return Ok(movement);
        }
        rules::check_positive(amount.check_scale(decimals)?)?;
        fee.check_scale(decimals)?;
        rules::check_can_send(src.status, from)?;
        let confirmed = src
            .balances
            .get(&token)
            .map(Balance::confirmed)
            .unwrap_or_default();
        let hkey = holding_key(&src.client, &chain);
        let mut legs = vec![Leg {
            from: Book::Wallet(from.to_owned(), token.clone()),
            to: Book::System(format!("external/{chain}/{token}")),
            amount: amount.as_decimal(),
        }];
        if !fee.is_zero() {
            legs.push(Leg {
                from: Book::Wallet(from.to_owned(), token.clone()),
                to: Book::System(format!("fees/{}/{chain}/{token}", src.client)),
                amount: fee.as_decimal(),
            });
        }
        let holding = if src.kind == WalletKind::Virtual {
            legs.push(Leg {
                from: Book::Holding(hkey.clone(), token.clone()),
                to: Book::System(format!("chain/{chain}/{token}")),
                amount: amount.as_decimal(),
            });
            Some(self.balance_of(&Book::Holding(hkey, token.clone())).posted)
        } else {
            None
        };
        rules::check_withdrawal(confirmed, amount, fee, holding)?;
        self.post_movement(&legs, Records::Movements, id, movement)
    }

    /// Rule 5: a partial withdrawal from a holding wallet, kept above the minimum reserve ratio.
    pub fn holding_withdraw(
        &mut self,
        id: &str,
        client: &str,
        blockchain: &str,
        token: &str,
        amount: Amount,
        to_address: &str,
    ) -> Result<Movement> {
        check_id("operation", id)?;
        let chain_info = self.registry.chain(blockchain)?;
        let chain = chain_info.id.as_str().to_owned();
        let address = crate::address::Address::parse(chain_info.family, to_address)?;
        let (token, decimals) = self.token_of(&chain, token)?;
        let movement = Movement::HoldingWithdraw {
            client: client.to_owned(),
            blockchain: chain.clone(),
            token: token.clone(),
            amount,
            to_address: address.to_string(),
        };
        if Self::seen(&self.movements, id, &movement)? {
            return Ok(movement);
        }
        let key = holding_key(client, &chain);
        let holding = self.holdings.get(&key).ok_or_else(|| {
            err::not_found(format!("client {client} has no holding wallet on {chain}"))
        })?;
        rules::check_positive(amount.check_scale(decimals)?)?;
        let position = holding
            .position
            .get(&token)
            .map(|b| b.posted)
            .unwrap_or_default();
        let liabilities = holding.liabilities.get(&token).copied().unwrap_or_default();
        rules::check_holding_withdrawal(
            position,
            liabilities,
            amount,
            self.config.min_reserve_ratio,
        )?;
        let leg = Leg {
            from: Book::Holding(key, token.clone()),
            to: Book::System(format!("chain/{chain}/{token}")),
            amount: amount.as_decimal(),
        };
        self.post_movement(&[leg], Records::Movements, id, movement)
    }

    /// Removes and returns what is settled: movement and sweep records and deposits that are no
    /// longer pending. A host that keeps those in its database calls this after each operation
    /// so the ledger state stays the size of the live books, and gives records back with the
    /// `remember_*` calls before a retry, so the core still tells a retry from a conflict.
    pub fn take_settled(&mut self) -> Settled {
        let movements = self.movements.drain().collect();
        let sweeps = self.sweeps.drain().collect();
        let settled: Vec<String> = self
            .deposits
            .iter()
            .filter(|(_, d)| d.status != DepositStatus::Pending)
            .map(|(tx, _)| tx.clone())
            .collect();
        let deposits = settled
            .iter()
            .filter_map(|tx| self.deposits.remove(tx))
            .collect();
        self.below_minimum
            .retain(|tx| self.deposits.contains_key(tx));
        Settled {
            movements,
            sweeps,
            deposits,
        }
    }

    /// Gives back a movement record taken by [`Ledger::take_settled`].
    pub fn remember_movement(&mut self, id: String, movement: Movement) {
        self.movements.insert(id, movement);
    }

    /// Gives back a sweep record taken by [`Ledger::take_settled`].
    pub fn remember_sweep(&mut self, tx: String, movement: Movement) {
        self.sweeps.insert(tx, movement);
    }

    /// Gives back a deposit record taken by [`Ledger::take_settled`].
    pub fn remember_deposit(&mut self, record: DepositRecord) {
        self.deposits.insert(record.request.tx.clone(), record);
    }

    /// Rule 4: the reserve report of a client's holding wallet for one token.
    pub fn reserve(&self, client: &str, blockchain: &str, token: &str) -> Result<ReserveReport> {
        let chain = self.registry.chain(blockchain)?.id.as_str().to_owned();
        let (token, _) = self.token_of(&chain, token)?;
        let holding = self
            .holdings
            .get(&holding_key(client, &chain))
            .ok_or_else(|| {
                err::not_found(format!("client {client} has no holding wallet on {chain}"))
            })?;
        self.reserve_of(holding, &token)
    }

    fn reserve_of(&self, holding: &Holding, token: &str) -> Result<ReserveReport> {
        reserve::report(
            holding
                .position
                .get(token)
                .map(|b| b.posted)
                .unwrap_or_default(),
            holding.in_transit.get(token).copied().unwrap_or_default(),
            holding.liabilities.get(token).copied().unwrap_or_default(),
            self.config.min_reserve_ratio,
        )
    }

    /// Every reserve report, keyed `client/blockchain/token`.
    pub fn reserves(&self) -> Result<BTreeMap<String, ReserveReport>> {
        let mut out = BTreeMap::new();
        for (key, holding) in &self.holdings {
            let tokens: std::collections::BTreeSet<&String> = holding
                .position
                .keys()
                .chain(holding.liabilities.keys())
                .chain(holding.in_transit.keys())
                .collect();
            for token in tokens {
                out.insert(format!("{key}/{token}"), self.reserve_of(holding, token)?);
            }
        }
        Ok(out)
    }

    /// Wallets, sorted by id.
    pub fn wallets(&self) -> BTreeMap<&String, &Wallet> {
        self.wallets.iter().collect()
    }

    /// Deposits under the minimum, in the order they came.
    pub fn below_minimum(&self) -> Vec<&DepositRecord> {
        self.below_minimum
            .iter()
            .filter_map(|tx| self.deposits.get(tx))
            .collect()
    }

    /// A deposit by transaction id.
    pub fn deposit_record(&self, tx: &str) -> Option<&DepositRecord> {
        self.deposits.get(tx)
    }

    /// Sum of posted and pending balances per unit over every account: always zero.
    pub fn unit_sums(&self) -> BTreeMap<String, Balance> {
        let mut sums: BTreeMap<String, Balance> = BTreeMap::new();
        let mut add = |unit: String, b: &Balance| {
            let s = sums.entry(unit).or_default();
            s.posted += b.posted;
            s.pending += b.pending;
        };
        for w in self.wallets.values() {
            let chain = w.blockchain.as_deref().unwrap_or("card");
            for (t, b) in &w.balances {
                add(
                    if w.kind == WalletKind::Card {
                        USD.to_owned()
                    } else {
                        format!("{chain}/{t}")
                    },
                    b,
                );
            }
            for (t, b) in &w.on_chain {
                add(format!("{chain}/{t}"), b);
            }
        }
        for (key, h) in &self.holdings {
            let chain = key.rsplit('/').next().unwrap_or_default();
            for (t, b) in &h.position {
                add(format!("{chain}/{t}"), b);
            }
        }
        for (key, b) in &self.system {
            let parts: Vec<&str> = key.split('/').collect();
            let unit = if parts.last() == Some(&USD)
                && (parts.len() == 2 || parts.get(parts.len() - 2) == Some(&"card"))
            {
                USD.to_owned()
            } else {
                parts[parts.len().saturating_sub(2)..].join("/")
            };
            add(unit, b);
        }
        sums
    }

    /// Recomputes liabilities and in-transit from the wallets; equal to the caches when sound.
    pub fn recomputed_caches(&self) -> BTreeMap<String, (Decimal, Decimal)> {
        let mut out: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
        for w in self
            .wallets
            .values()
            .filter(|w| w.kind == WalletKind::Virtual)
        {
            let key = holding_key(&w.client, w.blockchain.as_deref().unwrap_or_default());
            for (t, b) in &w.balances {
                out.entry(format!("{key}/{t}")).or_default().0 += b.total();
            }
            for (t, b) in &w.on_chain {
                out.entry(format!("{key}/{t}")).or_default().1 += b.total();
            }
        }
        out.into_iter()
            .map(|(k, (l, i))| (k, (l.normalize(), i.normalize())))
            .collect()
    }

    /// The cached liabilities and in-transit per `client/blockchain/token`.
    pub fn cached_sums(&self) -> BTreeMap<String, (Decimal, Decimal)> {
        let mut out: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
        for (key, h) in &self.holdings {
            for (t, l) in &h.liabilities {
                out.entry(format!("{key}/{t}")).or_default().0 = l.normalize();
            }
            for (t, i) in &h.in_transit {
                out.entry(format!("{key}/{t}")).or_default().1 = i.normalize();
            }
        }
        out
    }
}
