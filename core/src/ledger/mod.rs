//! Double-entry ledger: wallets, holding wallets, two-phase deposits and idempotent movements.
//!
//! Every movement is a set of legs, each moving an amount from one account to another in one
//! unit (a token on a blockchain, or USD for cards), so the sum over all accounts of every unit is
//! always zero. Balances have a posted and a pending part: a deposit is credited pending at once,
//! posted when the chain confirms it, voided if a reorg drops it. Every decision comes from
//! [`rules`]; this type only keeps the books.

pub mod accounts;
pub mod audit;
mod below_minimum;
mod cards;
mod deposits;
mod destinations;
mod firing;
mod holds;
pub mod journal;
mod movements;
pub mod parts;
mod postings;
mod reports;
pub mod rules;
mod token_map;
mod wallets;
mod withdrawals;

pub use accounts::{HoldingKey, SystemAccount};
pub use destinations::{check_holding_route, holding_destination, AddressOwner, Route};
pub use holds::{Hold, HoldStatus};
pub use token_map::TokenMap;
pub use withdrawals::{WithdrawalRecord, WithdrawalStatus, MAX_REASON_LEN};

use crate::amount::Amount;
use crate::automation::{self, Action, Rule, RuleOutcome, Trigger};
use crate::chain::Registry;
use crate::error::{err, Detail, ErrorCode, Result};
use crate::reserve::{self, ReserveReport};
use compact_str::CompactString;
use rules::{DepositDecision, MinimumDeposits, WalletStatus};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Records by id. foldhash instead of std's SipHash: a lookup is several times cheaper, and its
/// seed still differs per map (from addresses, not from a clock or the OS), which is the
/// protection against crafted ids the in-memory books need.
pub(crate) type IdMap<V> = HashMap<String, V, foldhash::fast::RandomState>;

/// Records by a short id (wallets, movements): ids of up to 24 bytes are stored in the table
/// itself, so a lookup compares them without reading another allocation.
pub(crate) type ShortIdMap<V> = HashMap<CompactString, V, foldhash::fast::RandomState>;

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
    /// Outside addresses withdrawals may go to; `None`: any address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal_allowlist: Option<crate::allowlist::Allowlist>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            min_reserve_ratio: Decimal::ONE,
            min_deposit_usd: MinimumDeposits::default(),
            confirmations: BTreeMap::new(),
            withdrawal_allowlist: None,
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

impl WalletKind {
    /// Its name as stored and shown: `virtual`, `treasury` or `card`.
    pub const fn as_str(self) -> &'static str {
        match self {
            WalletKind::Virtual => "virtual",
            WalletKind::Treasury => "treasury",
            WalletKind::Card => "card",
        }
    }

    /// The kind of a stored name; `INVALID_ARGUMENT` for any other.
    pub fn parse(name: &str) -> Result<WalletKind> {
        [WalletKind::Virtual, WalletKind::Treasury, WalletKind::Card]
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| {
                err::invalid_argument(format!(
                    "wallet kind: '{}' is not virtual, treasury or card",
                    name.escape_debug()
                ))
            })
    }
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
    /// The holding wallet behind the wallet (its client and blockchain).
    pub holding: HoldingKey,
    /// Derivation index of a virtual wallet.
    pub index: Option<u32>,
    /// Whether it may send.
    pub status: WalletStatus,
    /// Set while deactivated and frozen at once: the status to return to.
    pub inactive: bool,
    /// Notes an operator must look at (deposits while inactive, reorg after spending).
    pub flags: Vec<String>,
    /// A card removed for good (its contract slot is free again).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
    /// A card's largest payment in USD (none: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spending_limit: Option<Decimal>,
    /// Amounts set aside by holds, per token (the available balance is the rest).
    #[serde(default, skip_serializing_if = "TokenMap::is_empty")]
    pub held: TokenMap<Decimal>,
    /// Balance per token symbol (USD for cards).
    pub balances: TokenMap<Balance>,
    /// Virtual wallets: funds at the deposit address on chain, not yet swept.
    pub on_chain: TokenMap<Balance>,
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

/// What a client uses of its contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ContractUsage {
    /// Virtual wallets counted against the contract.
    pub active_virtual_wallets: u64,
    /// Virtual wallets deactivated (not counted).
    pub inactive_virtual_wallets: u64,
    /// Cards and virtual cards.
    pub cards: u32,
    /// Treasury wallets.
    pub treasury_wallets: u32,
}

/// One side of a leg.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Book {
    /// A wallet's balance of a token.
    Wallet(String, String),
    /// Funds at a virtual wallet's address on chain, per token.
    OnChain(String, String),
    /// A holding wallet's position: holding wallet, token.
    Holding(HoldingKey, String),
    /// A system account (outside world, chain, fees, suspense, cards, issuance).
    System(SystemAccount),
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
    /// A below-minimum deposit credited by an operator's decision (once).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub credited_by_decision: bool,
    /// The withdrawal that refunds a below-minimum deposit, while it is not failed or cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_by: Option<String>,
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
    /// A card funded from a wallet: `amount` of `token` out, `usd` onto the card.
    CardTopUp {
        /// The card.
        card: String,
        /// Source wallet.
        from: String,
        /// Token taken from the wallet.
        token: String,
        /// Amount of the token.
        amount: Amount,
        /// USD credited to the card.
        usd: Amount,
    },
    /// A card's USD returned to a wallet: `usd` off the card, `amount` of `token` to the wallet.
    CardRefund {
        /// The card.
        card: String,
        /// Destination wallet.
        to: String,
        /// Token credited to the wallet.
        token: String,
        /// Amount of the token.
        amount: Amount,
        /// USD taken off the card.
        usd: Amount,
    },
    /// A virtual wallet's withdrawal to its own holding wallet, settled internally.
    HoldingReturn {
        /// Source wallet.
        from: String,
        /// Token.
        token: String,
        /// Amount.
        amount: Amount,
    },
    /// A below-minimum deposit sent back to an outside address, less the network fee.
    DepositRefund {
        /// The deposit's chain transaction.
        tx: String,
        /// Destination address.
        to_address: String,
        /// Token.
        token: String,
        /// Amount sent (the deposit less the fee).
        amount: Amount,
        /// Fee kept from the deposit.
        fee: Amount,
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
            | Movement::Sweep { token, .. }
            | Movement::HoldingReturn { token, .. }
            | Movement::DepositRefund { token, .. }
            | Movement::CardTopUp { token, .. }
            | Movement::CardRefund { token, .. } => token,
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
    wallets: ShortIdMap<Wallet>,
    holdings: BTreeMap<HoldingKey, Holding>,
    system: BTreeMap<SystemAccount, Balance>,
    deposits: IdMap<DepositRecord>,
    /// Withdrawals by operation id, until the host takes them (pending ones too).
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    withdrawals: IdMap<WithdrawalRecord>,
    /// Holds by id, until the host takes them (active ones too).
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    holds: IdMap<Hold>,
    below_minimum: Vec<String>,
    movements: ShortIdMap<Movement>,
    sweeps: ShortIdMap<Movement>,
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
            && self.withdrawals == other.withdrawals
            && self.holds == other.holds
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
fn entry<'m, K, Q, V>(map: &'m mut BTreeMap<K, V>, key: &Q) -> &'m mut V
where
    K: std::borrow::Borrow<Q> + Ord,
    Q: ToOwned<Owned = K> + Ord + ?Sized,
    V: Default,
{
    if !map.contains_key(key) {
        map.insert(key.to_owned(), V::default());
    }
    map.get_mut(key)
        .unwrap_or_else(|| unreachable!("inserted above"))
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
            wallets: ShortIdMap::default(),
            holdings: BTreeMap::new(),
            system: BTreeMap::new(),
            deposits: IdMap::default(),
            withdrawals: IdMap::default(),
            holds: IdMap::default(),
            below_minimum: Vec::new(),
            movements: ShortIdMap::default(),
            sweeps: ShortIdMap::default(),
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
}
