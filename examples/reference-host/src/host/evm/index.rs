//! The watched-address index of the EVM scanner and the matching of a block against it.
//!
//! Self-contained (std only) so the scanner benchmark includes this file as it is. Addresses are
//! 20-byte keys in a `HashMap` whose hasher reads 8 bytes of the address mixed with a per-process
//! random seed: derived addresses are keccak outputs (uniform), and the seed keeps an outsider
//! from predicting buckets. A million addresses take about 60 MB and a lookup a few nanoseconds.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use waas_core::ledger::WalletKind;

/// A 20-byte EVM address.
pub type Addr = [u8; 20];

/// The topic of `Transfer(address,address,uint256)`: keccak256 of the event signature.
pub const TRANSFER_TOPIC: &str =
    "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";

/// Map key: an address hashed by 8 of its bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Key(pub Addr);

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(&self.0[12..20]);
        state.write_u64(u64::from_le_bytes(eight));
    }
}

/// Hasher state for [`Key`]: one multiply-xorshift round over the seeded 8 bytes.
#[derive(Clone, Copy)]
pub struct AddrHasher {
    seed: u64,
    value: u64,
}

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        let mut x = self.value ^ self.seed;
        x = x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        x ^ (x >> 29)
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only reached by other key types; fold the bytes in anyway.
        for b in bytes {
            self.value = self.value.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.value = n;
    }
}

/// Builds [`AddrHasher`]s with a seed drawn once per index.
#[derive(Clone, Copy)]
pub struct AddrHashBuilder {
    seed: u64,
}

impl Default for AddrHashBuilder {
    fn default() -> Self {
        AddrHashBuilder {
            seed: RandomState::new().hash_one(0x5eed_u64),
        }
    }
}

impl BuildHasher for AddrHashBuilder {
    type Hasher = AddrHasher;
    fn build_hasher(&self) -> AddrHasher {
        AddrHasher {
            seed: self.seed,
            value: 0,
        }
    }
}

/// Who an address belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watched {
    /// The client.
    pub client_id: String,
    /// The wallet.
    pub wallet_id: String,
    /// A virtual wallet's deposit address or a treasury wallet's own address.
    pub kind: WalletKind,
}

/// Watched addresses: address -> slot in `entries`.
#[derive(Default)]
pub struct AddressIndex {
    map: HashMap<Key, u32, AddrHashBuilder>,
    entries: Vec<Watched>,
}

impl AddressIndex {
    /// An empty index with room for `n` addresses.
    #[allow(dead_code)] // the scanner benchmark sizes its index up front
    pub fn with_capacity(n: usize) -> AddressIndex {
        AddressIndex {
            map: HashMap::with_capacity_and_hasher(n, AddrHashBuilder::default()),
            entries: Vec::with_capacity(n),
        }
    }

    /// Watches an address (a repeat replaces the owner).
    pub fn insert(&mut self, address: Addr, who: Watched) {
        match self.map.get(&Key(address)) {
            Some(&slot) => {
                if let Some(e) = self.entries.get_mut(slot as usize) {
                    *e = who;
                }
            }
            None => {
                let slot = u32::try_from(self.entries.len()).unwrap_or(u32::MAX);
                self.entries.push(who);
                self.map.insert(Key(address), slot);
            }
        }
    }

    /// The owner of an address, if watched.
    pub fn get(&self, address: &Addr) -> Option<&Watched> {
        self.map
            .get(&Key(*address))
            .and_then(|&slot| self.entries.get(slot as usize))
    }

    /// True when watched.
    pub fn contains(&self, address: &Addr) -> bool {
        self.map.contains_key(&Key(*address))
    }

    /// How many addresses are watched.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when nothing is watched.
    #[allow(dead_code)] // companion of len()
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// A transaction of a block, as far as the scanner cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockTx {
    /// Transaction hash (0x...).
    pub hash: String,
    /// Sender.
    pub from: Addr,
    /// Recipient; `None` for a contract creation.
    pub to: Option<Addr>,
    /// Value in wei, big-endian.
    pub value: [u8; 32],
}

/// An ERC-20 `Transfer` log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferLog {
    /// The token contract.
    pub contract: Addr,
    /// Recipient (topic 2).
    pub to: Addr,
    /// Amount in base units, big-endian (the data word).
    pub value: [u8; 32],
    /// Transaction hash.
    pub tx_hash: String,
    /// Log index in the block.
    pub log_index: u64,
    /// Block hash the node reported with the log.
    pub block_hash: String,
}

/// One match: which tx (native) or log (token) paid which watched address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    /// `txs[i]` sent native coin to a watched address.
    Native(usize),
    /// `logs[i]` moved a registered token to a watched address.
    Token(usize),
}

/// Matches a block's transactions and Transfer logs against the index: native transfers with a
/// non-zero value to a watched address, and Transfer logs of a `tokens` contract (a short slice:
/// the registered tokens of the chain) with a non-zero value to a watched address.
pub fn match_block(
    index: &AddressIndex,
    tokens: &[Addr],
    txs: &[BlockTx],
    logs: &[TransferLog],
    hits: &mut Vec<Hit>,
) {
    for (i, tx) in txs.iter().enumerate() {
        if let Some(to) = &tx.to {
            if index.contains(to) && tx.value != [0u8; 32] {
                hits.push(Hit::Native(i));
            }
        }
    }
    for (i, log) in logs.iter().enumerate() {
        if index.contains(&log.to) && log.value != [0u8; 32] && tokens.contains(&log.contract) {
            hits.push(Hit::Token(i));
        }
    }
}

/// Parses `0x` + 40 hex digits (any case) into an address.
pub fn parse_addr(text: &str) -> Option<Addr> {
    let body = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))?;
    if body.len() != 40 {
        return None;
    }
    let mut out = [0u8; 20];
    for (i, pair) in body.as_bytes().chunks(2).enumerate() {
        out[i] = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}

/// Parses a JSON-RPC quantity or data word (`0x` + up to 64 hex digits) into 32 big-endian bytes.
pub fn parse_word(text: &str) -> Option<[u8; 32]> {
    let body = text.strip_prefix("0x")?;
    let body = body.trim_start_matches('0');
    if body.len() > 64 {
        return None;
    }
    let mut out = [0u8; 32];
    let digits = body.as_bytes();
    for (k, d) in digits.iter().rev().enumerate() {
        let v = nibble(*d)?;
        out[31 - k / 2] |= if k % 2 == 0 { v } else { v << 4 };
    }
    Some(out)
}

/// The address in the low 20 bytes of a 32-byte topic (`0x` + 64 hex digits).
pub fn topic_addr(text: &str) -> Option<Addr> {
    let body = text.strip_prefix("0x")?;
    if body.len() != 64 || !body[..24].bytes().all(|b| b == b'0') {
        return None;
    }
    parse_addr(&format!("0x{}", &body[24..]))
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}
