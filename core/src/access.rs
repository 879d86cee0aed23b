//! API keys, permissions, and the catalog of API operations with the permission each needs.
//!
//! A key looks like `waas_test_<64 hex>` (sandbox) or `waas_live_<64 hex>` (live): 32 random bytes
//! from [`crate::random::fill`] behind a readable prefix, so a leaked key is recognisable (and a
//! secret scanner can match it) and a sandbox key cannot be mistaken for a live one. The platform
//! shows the key once and stores only its [`KeyHash`].
//!
//! The host looks a presented key up by its hash, then calls [`authorize`]: no or a bad key is
//! `UNAUTHORIZED` (401); a good key without the operation's permission is `FORBIDDEN` (403).
//! What a key acts with (its own permissions, or an access level's within its ceiling) is the rule
//! of [`levels`].

mod catalog;
mod issued;
pub mod levels;

pub use catalog::{api_operation, ApiOperation, Operation, OPERATIONS};
pub use issued::IssuedKey;
pub use levels::{effective_permissions, KeyBinding};

use crate::error::{err, Result};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fmt;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Random bytes in a key.
pub const KEY_RANDOM_BYTES: usize = 32;
/// Prefix of sandbox keys.
pub const SANDBOX_PREFIX: &str = "waas_test_";
/// Prefix of live keys.
pub const LIVE_PREFIX: &str = "waas_live_";
/// Characters of the key body kept in the [`StoredKey::hint`] shown in listings.
pub const HINT_CHARS: usize = 8;

/// Which platform a key works against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Test money, simulated chains; the simulator is available.
    Sandbox,
    /// Real money.
    Live,
}

impl Environment {
    /// `sandbox` or `live`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sandbox => "sandbox",
            Self::Live => "live",
        }
    }

    /// The key prefix: `waas_test_` or `waas_live_`.
    pub const fn prefix(self) -> &'static str {
        match self {
            Self::Sandbox => SANDBOX_PREFIX,
            Self::Live => LIVE_PREFIX,
        }
    }

    /// Reads `sandbox` or `live`.
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "sandbox" => Ok(Self::Sandbox),
            "live" => Ok(Self::Live),
            other => Err(err::invalid_argument(format!(
                "environment: '{}' is not allowed; allowed: sandbox, live",
                other.escape_debug()
            ))),
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The SHA-256 of a key's full text: what the platform stores instead of the key.
///
/// SHA-256 rather than a slow password hash (argon2, scrypt): a key carries 256 bits from the
/// platform's CSPRNG, so there is nothing to brute-force and no dictionary to slow down; a fast,
/// unsalted, deterministic hash lets the host find the key by an index on the hash and costs
/// microseconds per request. A database leak reveals hashes that cannot be turned back into keys.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyHash([u8; 32]);

impl KeyHash {
    /// The hash of a key text, whatever its shape.
    pub fn of(key: &str) -> Self {
        Self(Sha256::digest(key.as_bytes()).into())
    }

    /// Reads the 64-hex-digit form.
    pub fn parse_hex(text: &str) -> Result<Self> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes)
            .map_err(|_| err::invalid_argument("key hash: expected 64 hex digits"))?;
        Ok(Self(bytes))
    }

    /// The 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Whether `key` hashes to this, compared in constant time.
    pub fn matches(&self, key: &str) -> bool {
        Self::of(key).0.ct_eq(&self.0).into()
    }
}

impl fmt::Display for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Stored and sent as its 64 hex digits.
impl serde::Serialize for KeyHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for KeyHash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        KeyHash::parse_hex(&text).map_err(serde::de::Error::custom)
    }
}

impl fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyHash({})", self.to_hex())
    }
}

/// A plaintext API key: shown once at creation, never stored. `Debug` hides it; wiped on drop.
#[derive(Clone)]
pub struct ApiKey {
    text: Zeroizing<String>,
    environment: Environment,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({}<redacted>)", self.environment.prefix())
    }
}

impl ApiKey {
    /// A new key for `environment` from 32 random bytes.
    pub fn generate(environment: Environment) -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; KEY_RANDOM_BYTES]);
        crate::random::fill(bytes.as_mut())?;
        let mut text = Zeroizing::new(String::with_capacity(
            environment.prefix().len() + 2 * KEY_RANDOM_BYTES,
        ));
        text.push_str(environment.prefix());
        text.push_str(&Zeroizing::new(hex::encode(bytes.as_ref())));
        Ok(Self { text, environment })
    }

    /// Reads a presented key: a known prefix followed by 64 lowercase hex digits, else
    /// `UNAUTHORIZED` (the message never echoes the key).
    pub fn parse(text: &str) -> Result<Self> {
        let (environment, body) = if let Some(body) = text.strip_prefix(SANDBOX_PREFIX) {
            (Environment::Sandbox, body)
        } else if let Some(body) = text.strip_prefix(LIVE_PREFIX) {
            (Environment::Live, body)
        } else {
            return Err(err::unauthorized(format!(
                "API key: not a waas key (expected {SANDBOX_PREFIX}... or {LIVE_PREFIX}...)"
            )));
        };
        if body.len() != 2 * KEY_RANDOM_BYTES
            || !body.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(err::unauthorized(format!(
                "API key: malformed {} key",
                environment.as_str()
            )));
        }
        Ok(Self {
            text: Zeroizing::new(text.to_owned()),
            environment,
        })
    }

    /// The full key text, to hand over once.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// Which environment the prefix says.
    pub fn environment(&self) -> Environment {
        self.environment
    }

    /// The hash to store.
    pub fn hash(&self) -> KeyHash {
        KeyHash::of(&self.text)
    }

    /// A non-secret hint for listings: the prefix and the first 8 characters, e.g. `waas_live_1a2b3c4d`.
    pub fn hint(&self) -> String {
        let prefix = self.environment.prefix();
        let end = (prefix.len() + HINT_CHARS).min(self.text.len());
        self.text[..end].to_owned()
    }
}

/// A permission an API key can hold.
///
/// `MANAGEMENT` covers the management API only (it is not a super-user permission); each module
/// has a read and a write permission, and a module's write permission also grants its read.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Permission {
    /// Clients, users, access levels, API keys, operations, blockchains, configurations, contracted products.
    Management,
    /// Read virtual and holding wallets, balances, reserves.
    WalletsRead,
    /// Create, withdraw from, transfer between, deactivate wallets; automation rules.
    WalletsWrite,
    /// Read accounts.
    AccountsRead,
    /// Create, update, delete accounts.
    AccountsWrite,
    /// Read the token list.
    TokensRead,
    /// Read treasury wallets.
    TreasuryRead,
    /// Create treasury wallets, send from them.
    TreasuryWrite,
    /// Read cards.
    CardsRead,
    /// Create, update, fund, block cards.
    CardsWrite,
    /// Read virtual cards.
    VirtualCardsRead,
    /// Create, fund, block virtual cards.
    VirtualCardsWrite,
    /// Read transactions.
    TransactionsRead,
    /// Read the webhook configuration and delivery log.
    WebhooksRead,
    /// Configure webhooks, rotate the secret, redeliver.
    WebhooksWrite,
    /// Use the sandbox simulator.
    Simulate,
}

impl Permission {
    /// Every permission, in a fixed order.
    pub const ALL: [Self; 16] = [
        Self::Management,
        Self::WalletsRead,
        Self::WalletsWrite,
        Self::AccountsRead,
        Self::AccountsWrite,
        Self::TokensRead,
        Self::TreasuryRead,
        Self::TreasuryWrite,
        Self::CardsRead,
        Self::CardsWrite,
        Self::VirtualCardsRead,
        Self::VirtualCardsWrite,
        Self::TransactionsRead,
        Self::WebhooksRead,
        Self::WebhooksWrite,
        Self::Simulate,
    ];

    /// The wire form, e.g. `WALLETS_READ`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Management => "MANAGEMENT",
            Self::WalletsRead => "WALLETS_READ",
            Self::WalletsWrite => "WALLETS_WRITE",
            Self::AccountsRead => "ACCOUNTS_READ",
            Self::AccountsWrite => "ACCOUNTS_WRITE",
            Self::TokensRead => "TOKENS_READ",
            Self::TreasuryRead => "TREASURY_READ",
            Self::TreasuryWrite => "TREASURY_WRITE",
            Self::CardsRead => "CARDS_READ",
            Self::CardsWrite => "CARDS_WRITE",
            Self::VirtualCardsRead => "VIRTUAL_CARDS_READ",
            Self::VirtualCardsWrite => "VIRTUAL_CARDS_WRITE",
            Self::TransactionsRead => "TRANSACTIONS_READ",
            Self::WebhooksRead => "WEBHOOKS_READ",
            Self::WebhooksWrite => "WEBHOOKS_WRITE",
            Self::Simulate => "SIMULATE",
        }
    }

    /// Reads the wire form.
    pub fn parse(text: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == text)
            .ok_or_else(|| {
                err::invalid_argument(format!(
                    "permission: '{}' is not allowed; allowed: {}",
                    text.escape_debug(),
                    Self::ALL.map(Self::as_str).join(", ")
                ))
            })
    }

    /// Whether holding `self` grants `needed` (itself, or the read permission of the same module).
    pub fn grants(self, needed: Self) -> bool {
        self == needed
            || matches!(
                (self, needed),
                (Self::WalletsWrite, Self::WalletsRead)
                    | (Self::AccountsWrite, Self::AccountsRead)
                    | (Self::TreasuryWrite, Self::TreasuryRead)
                    | (Self::CardsWrite, Self::CardsRead)
                    | (Self::VirtualCardsWrite, Self::VirtualCardsRead)
                    | (Self::WebhooksWrite, Self::WebhooksRead)
            )
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the platform keeps about a key: its hash, environment, permissions and a hint; never the key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredKey {
    /// SHA-256 of the key text (stored as hex).
    pub hash: KeyHash,
    /// The environment of the key.
    pub environment: Environment,
    /// What the key may do: a client key's permissions, or the ceiling of a key bound to a level
    /// or a user (what its creator held); see [`levels`].
    pub permissions: BTreeSet<Permission>,
    /// Prefix and first characters, for listings.
    pub hint: String,
    /// A revoked key no longer authenticates.
    pub revoked: bool,
    /// What the key is bound to (a client key when absent, as in records written before levels).
    #[serde(default, skip_serializing_if = "KeyBinding::is_client")]
    pub binding: KeyBinding,
}

impl StoredKey {
    /// The record to store for a freshly generated key.
    pub fn for_key(key: &ApiKey, permissions: impl IntoIterator<Item = Permission>) -> Self {
        Self {
            hash: key.hash(),
            environment: key.environment(),
            permissions: permissions.into_iter().collect(),
            hint: key.hint(),
            revoked: false,
            binding: KeyBinding::Client,
        }
    }

    /// The record as the key acts now: its permissions narrowed by [`effective_permissions`] for
    /// the level the host found (`None`: none).
    pub fn acting(mut self, level: Option<&BTreeSet<Permission>>) -> Self {
        self.permissions = effective_permissions(&self, level);
        self
    }

    /// Whether any held permission grants `needed`.
    pub fn has(&self, needed: Permission) -> bool {
        self.permissions.iter().any(|p| p.grants(needed))
    }
}

/// Generates a key for `environment` and the record to store; the key is returned once.
pub fn new_key(
    environment: Environment,
    permissions: impl IntoIterator<Item = Permission>,
) -> Result<(ApiKey, StoredKey)> {
    let key = ApiKey::generate(environment)?;
    let stored = StoredKey::for_key(&key, permissions);
    Ok((key, stored))
}

/// Decides whether a request may run `operation`.
///
/// `presented` is the key from the request (if any); `stored` is the record the host found by
/// [`KeyHash::of`]`(presented)` (if any). `UNAUTHORIZED`: no key, a malformed key, no record, a
/// record whose hash does not match (checked again here, in constant time), a revoked key, or a
/// record whose environment differs from the key's prefix. `NOT_FOUND`: an operation id not in
/// [`OPERATIONS`]. `FORBIDDEN`: a valid key without the needed permission, or a live key on a
/// sandbox-only operation. On success, the operation's catalog entry.
pub fn authorize(
    presented: Option<&str>,
    stored: Option<&StoredKey>,
    operation: Operation,
) -> Result<&'static ApiOperation> {
    let presented = presented
        .filter(|p| !p.is_empty())
        .ok_or_else(|| err::unauthorized("API key: missing"))?;
    let key = ApiKey::parse(presented)?;
    let stored = stored.ok_or_else(|| err::unauthorized("API key: unknown"))?;
    if !stored.hash.matches(key.expose()) {
        return Err(err::unauthorized("API key: unknown"));
    }
    if stored.revoked {
        return Err(err::unauthorized("API key: revoked"));
    }
    if stored.environment != key.environment() {
        return Err(err::unauthorized("API key: environment mismatch"));
    }
    let op = operation.spec();
    if !stored.has(op.permission) {
        return Err(err::forbidden(format!(
            "{}: needs permission {}",
            op.id, op.permission
        )));
    }
    if op.sandbox_only && stored.environment != Environment::Sandbox {
        return Err(err::forbidden(format!(
            "{}: available with sandbox keys only",
            op.id
        )));
    }
    Ok(op)
}

/// Checks that a key holding `held` may hand out `wanted` (to a new key or a new client): every
/// wanted permission must be granted by one it holds (FORBIDDEN otherwise), so keys never grow.
pub fn check_grantable(held: &BTreeSet<Permission>, wanted: &[Permission]) -> Result<()> {
    match wanted.iter().find(|w| !held.iter().any(|h| h.grants(**w))) {
        Some(w) => Err(err::forbidden(format!(
            "a key cannot hand out {w}, which it does not hold"
        ))),
        None => Ok(()),
    }
}

/// The permissions of a new client's first key: the ones asked for (each held by the creating
/// key), or, when none are named, every permission the creator holds but MANAGEMENT.
pub fn new_client_permissions(
    held: &BTreeSet<Permission>,
    asked: Option<&[Permission]>,
) -> Result<Vec<Permission>> {
    match asked {
        Some([]) => Err(err::invalid_argument("permissions: give at least one")),
        Some(list) => {
            check_grantable(held, list)?;
            Ok(list.to_vec())
        }
        None => Ok(held
            .iter()
            .copied()
            .filter(|p| *p != Permission::Management)
            .collect()),
    }
}

/// Checks that a client may act on `target`: itself or a client below it. `target_ancestors`
/// are the target's parent, grandparent, ... up to the root (empty for the root). Anything else
/// is NOT_FOUND, so that the ids of other trees do not leak.
pub fn check_reach(caller: &str, target: &str, target_ancestors: &[String]) -> Result<()> {
    if caller == target || target_ancestors.iter().any(|a| a == caller) {
        Ok(())
    } else {
        Err(err::not_found(format!("no client {target}")))
    }
}

/// Checks that a client may act on `target` as its parent would: a client strictly below it
/// (retiring, renaming and setting policy are the parent's; a client never does them to itself
/// or to a client above it).
pub fn check_below(caller: &str, target: &str, target_ancestors: &[String]) -> Result<()> {
    check_reach(caller, target, target_ancestors)?;
    if caller == target {
        return Err(err::forbidden(format!(
            "client {target} cannot do this to itself: its parent does"
        )));
    }
    Ok(())
}

/// Checks that a client may set `target`'s platform policy (contracted products, reserve floor,
/// live prices): a client above it does; the root client (no parent) sets its own; a client
/// never sets its own (FORBIDDEN).
pub fn check_policy_setter(caller: &str, target: &str, target_ancestors: &[String]) -> Result<()> {
    if caller == target {
        return if target_ancestors.is_empty() {
            Ok(())
        } else {
            Err(err::forbidden(
                "platform policy (contracted products, reserve floor, live prices) is set by the parent client",
            ))
        };
    }
    check_below(caller, target, target_ancestors)
}

/// Most a minimum reserve ratio may be (10 times the liabilities).
pub const MAX_RESERVE_RATIO: u32 = 10;

/// Checks a client's new minimum reserve ratio: within 0..=10, and not below the floor its
/// parent set (a client may raise its floor, never lower it).
pub fn check_reserve_ratio(new: rust_decimal::Decimal, floor: rust_decimal::Decimal) -> Result<()> {
    if new.is_sign_negative() || new > rust_decimal::Decimal::from(MAX_RESERVE_RATIO) {
        return Err(err::invalid_argument(format!(
            "min_reserve_ratio must be 0 to {MAX_RESERVE_RATIO}"
        )));
    }
    if new < floor {
        return Err(err::forbidden(format!(
            "min_reserve_ratio cannot go below {}, the floor set by the parent client",
            floor.normalize()
        )));
    }
    Ok(())
}

/// The lowest minimum reserve ratio a client may set: the floor its parent set; without one, the
/// ledger's default ratio for a client with a parent, and none for a root client.
pub fn reserve_floor(
    set_by_parent: Option<rust_decimal::Decimal>,
    has_parent: bool,
) -> rust_decimal::Decimal {
    match set_by_parent {
        Some(floor) => floor,
        None if has_parent => crate::ledger::Config::default().min_reserve_ratio,
        None => rust_decimal::Decimal::ZERO,
    }
}

/// Whether a client may retire another: never itself (it would lock itself out).
pub fn check_retire_client(caller: &str, target: &str) -> Result<()> {
    if caller == target {
        return Err(err::forbidden("a client cannot retire itself"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn code<T: fmt::Debug>(r: Result<T>) -> ErrorCode {
        r.expect_err("should fail").code()
    }

    #[test]
    fn keys_never_grow_and_clients_reach_only_their_tree() {
        let held: BTreeSet<Permission> = [Permission::Management, Permission::WalletsWrite]
            .into_iter()
            .collect();
        assert!(
            check_grantable(&held, &[Permission::WalletsRead, Permission::WalletsWrite]).is_ok()
        );
        assert_eq!(
            code(check_grantable(&held, &[Permission::Simulate])),
            ErrorCode::Forbidden
        );
        let only_mgmt: BTreeSet<Permission> = [Permission::Management].into_iter().collect();
        assert_eq!(
            code(check_grantable(&only_mgmt, &[Permission::WalletsWrite])),
            ErrorCode::Forbidden
        );
        assert_eq!(
            new_client_permissions(&held, None).ok(),
            Some(vec![Permission::WalletsWrite])
        );
        assert_eq!(
            code(new_client_permissions(&held, Some(&[]))),
            ErrorCode::InvalidArgument
        );
        let up = ["parent".to_owned(), "root".to_owned()];
        assert!(check_reach("root", "child", &up).is_ok());
        assert!(check_reach("parent", "child", &up).is_ok());
        assert!(check_reach("child", "child", &up).is_ok());
        assert_eq!(
            code(check_reach("sibling", "child", &up)),
            ErrorCode::NotFound
        );
        assert_eq!(code(check_reach("child", "root", &[])), ErrorCode::NotFound);
        assert_eq!(
            code(check_below("child", "child", &up)),
            ErrorCode::Forbidden
        );
        assert!(check_below("parent", "child", &up).is_ok());
        assert!(check_policy_setter("root", "root", &[]).is_ok());
        assert!(check_policy_setter("parent", "child", &up).is_ok());
        assert_eq!(
            code(check_policy_setter("child", "child", &up)),
            ErrorCode::Forbidden
        );
        assert_eq!(
            code(check_policy_setter("sibling", "child", &up)),
            ErrorCode::NotFound
        );
        let d = |s: &str| s.parse::<rust_decimal::Decimal>().expect("decimal");
        assert!(check_reserve_ratio(d("1.5"), d("1")).is_ok());
        assert_eq!(
            code(check_reserve_ratio(d("0.5"), d("1"))),
            ErrorCode::Forbidden
        );
        assert_eq!(
            code(check_reserve_ratio(d("10.01"), d("0"))),
            ErrorCode::InvalidArgument
        );
        assert_eq!(
            code(check_reserve_ratio(
                d("9990000000000000000000000000"),
                d("0")
            )),
            ErrorCode::InvalidArgument
        );
        assert_eq!(
            code(check_reserve_ratio(d("-1"), d("0"))),
            ErrorCode::InvalidArgument
        );
    }

    #[test]
    fn keys_have_prefix_fixed_length_and_differ() {
        let (a, sa) = new_key(Environment::Sandbox, [Permission::WalletsRead]).expect("key");
        let (b, sb) = new_key(Environment::Live, []).expect("key");
        assert!(a.expose().starts_with("waas_test_"));
        assert!(b.expose().starts_with("waas_live_"));
        assert_eq!(a.expose().len(), 10 + 64);
        assert_ne!(sa.hash, sb.hash);
        assert_eq!(ApiKey::parse(a.expose()).expect("parse").hash(), a.hash());
        assert!(!sa.hash.to_hex().contains(&a.expose()[10..]));
        assert_eq!(sa.hint.len(), 18);
        assert!(!format!("{a:?}").contains(&a.expose()[10..]));
    }

    #[test]
    fn authorize_distinguishes_unauthorized_and_forbidden() {
        let (key, stored) = new_key(Environment::Sandbox, [Permission::WalletsWrite]).expect("key");
        let k = Some(key.expose());
        assert!(authorize(k, Some(&stored), Operation::VirtualWalletsCreate).is_ok());
        assert!(authorize(k, Some(&stored), Operation::VirtualWalletsList).is_ok()); // write grants read
        assert_eq!(
            code(authorize(
                k,
                Some(&stored),
                Operation::ManagementClientsList
            )),
            ErrorCode::Forbidden
        );
        assert_eq!(
            code(authorize(
                None,
                Some(&stored),
                Operation::VirtualWalletsList
            )),
            ErrorCode::Unauthorized
        );
        assert_eq!(
            code(authorize(k, None, Operation::VirtualWalletsList)),
            ErrorCode::Unauthorized
        );
        let (other, _) = new_key(Environment::Sandbox, []).expect("key");
        assert_eq!(
            code(authorize(
                Some(other.expose()),
                Some(&stored),
                Operation::VirtualWalletsList
            )),
            ErrorCode::Unauthorized
        );
        let mut revoked = stored.clone();
        revoked.revoked = true;
        assert_eq!(
            code(authorize(k, Some(&revoked), Operation::VirtualWalletsList)),
            ErrorCode::Unauthorized
        );
    }

    #[test]
    fn simulate_is_sandbox_only() {
        let (s, ss) = new_key(Environment::Sandbox, [Permission::Simulate]).expect("key");
        let (l, ls) = new_key(Environment::Live, [Permission::Simulate]).expect("key");
        assert!(authorize(Some(s.expose()), Some(&ss), Operation::SimulateDeposit).is_ok());
        assert_eq!(
            code(authorize(
                Some(l.expose()),
                Some(&ls),
                Operation::SimulateDeposit
            )),
            ErrorCode::Forbidden
        );
    }

    #[test]
    fn catalog_ids_are_unique_and_every_permission_is_used() {
        let ids: BTreeSet<_> = OPERATIONS.iter().map(|o| o.id).collect();
        assert_eq!(ids.len(), OPERATIONS.len());
        for p in Permission::ALL {
            assert!(OPERATIONS.iter().any(|o| o.permission == p), "{p}");
            assert_eq!(Permission::parse(p.as_str()).expect("parse"), p);
        }
    }
}
