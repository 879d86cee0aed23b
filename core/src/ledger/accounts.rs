//! The ledger's accounts outside wallets: the holding wallets ([`HoldingKey`]) and the system
//! accounts, where money comes from and goes to when it is not in a wallet or a holding wallet.
//! Each is a type here; its key (`CLIENT/ethereum`, `external/ethereum/USDT`,
//! `fees/CLIENT/ethereum/USDT`, ...) is only how it is named in storage, snapshots and the
//! journal (`holding:KEY`, `system:KEY`).

use super::USD;
use crate::error::{err, Error};
use compact_str::CompactString;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The blockchain id that stands for "no blockchain" in the keys of cards (which hold USD).
pub const CARD_CHAIN: &str = "card";

/// The holding wallet of one client on one blockchain (`CLIENT/BLOCKCHAIN` in storage).
///
/// Kept as its one inline text, so that comparing the holding wallets of two wallets (every
/// transfer does) reads no other memory. Client ids hold no `/` and blockchain ids neither.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HoldingKey(CompactString);

impl HoldingKey {
    /// The holding wallet of `client` on `chain` (a blockchain id, or [`CARD_CHAIN`]).
    pub fn new(client: &str, chain: &str) -> HoldingKey {
        let mut key = CompactString::with_capacity(client.len() + 1 + chain.len());
        key.push_str(client);
        key.push('/');
        key.push_str(chain);
        HoldingKey(key)
    }

    /// The client it belongs to.
    pub fn client(&self) -> &str {
        self.0.rsplit_once('/').map_or("", |(client, _)| client)
    }

    /// The blockchain id (or [`CARD_CHAIN`]).
    pub fn chain(&self) -> &str {
        self.0.rsplit_once('/').map_or("", |(_, chain)| chain)
    }

    /// The key as stored: `CLIENT/BLOCKCHAIN`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HoldingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for HoldingKey {
    type Err = Error;

    /// Reads a stored key back: a client and a blockchain id, both non-empty.
    fn from_str(key: &str) -> Result<HoldingKey, Error> {
        match key.rsplit_once('/') {
            Some((client, chain)) if !client.is_empty() && !chain.is_empty() => {
                Ok(HoldingKey::new(client, chain))
            }
            _ => Err(err::invalid_argument(format!(
                "{}: not a holding wallet's key (CLIENT/BLOCKCHAIN)",
                key.escape_debug()
            ))),
        }
    }
}

impl Serialize for HoldingKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for HoldingKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<HoldingKey, D::Error> {
        let key = String::deserialize(d)?;
        key.parse().map_err(serde::de::Error::custom)
    }
}

/// A system account of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SystemAccount {
    /// The world outside the platform, per blockchain and token: deposits come from it,
    /// withdrawals and refunds go to it.
    External {
        /// The blockchain id.
        chain: String,
        /// The token symbol.
        token: String,
    },
    /// The world outside, in USD: what cards are paid with and spend.
    ExternalUsd,
    /// The chain itself: the coins at deposit addresses and in holding wallets come from it and
    /// go back to it when they leave.
    Chain {
        /// The blockchain id.
        chain: String,
        /// The token symbol.
        token: String,
    },
    /// A client's withdrawal and refund fees.
    Fees {
        /// The client whose account it is.
        client: String,
        /// The blockchain id.
        chain: String,
        /// The token symbol.
        token: String,
    },
    /// A client's below-minimum deposits waiting for a decision.
    Suspense {
        /// The client whose account it is.
        client: String,
        /// The blockchain id.
        chain: String,
        /// The token symbol.
        token: String,
    },
    /// What a client's wallets sent to the client's own addresses (it never left the platform).
    Returned {
        /// The client whose account it is.
        client: String,
        /// The blockchain id.
        chain: String,
        /// The token symbol.
        token: String,
    },
    /// The tokens a client's cards were funded with.
    CardFunding {
        /// The client whose account it is.
        client: String,
        /// The blockchain id.
        chain: String,
        /// The token symbol.
        token: String,
    },
    /// The USD a client's cards were given for those tokens.
    CardUsd {
        /// The client whose account it is.
        client: String,
    },
    /// What a client's holding wallet credited to its virtual wallets.
    Issuance {
        /// The client whose account it is.
        client: String,
        /// The blockchain id.
        chain: String,
        /// The token symbol.
        token: String,
    },
}

impl SystemAccount {
    /// The unit it counts in: a token symbol, or `USD`.
    pub fn unit(&self) -> &str {
        match self {
            SystemAccount::ExternalUsd | SystemAccount::CardUsd { .. } => USD,
            SystemAccount::External { token, .. }
            | SystemAccount::Chain { token, .. }
            | SystemAccount::Fees { token, .. }
            | SystemAccount::Suspense { token, .. }
            | SystemAccount::Returned { token, .. }
            | SystemAccount::CardFunding { token, .. }
            | SystemAccount::Issuance { token, .. } => token,
        }
    }

    /// The money it is in: `blockchain/token`, or `USD` (every money sums to zero over the books).
    /// A card's below-minimum deposit waits in USD under the pseudo-chain [`CARD_CHAIN`].
    pub fn money(&self) -> String {
        match self {
            SystemAccount::ExternalUsd | SystemAccount::CardUsd { .. } => USD.to_owned(),
            SystemAccount::External { chain, token }
            | SystemAccount::Chain { chain, token }
            | SystemAccount::Fees { chain, token, .. }
            | SystemAccount::Suspense { chain, token, .. }
            | SystemAccount::Returned { chain, token, .. }
            | SystemAccount::CardFunding { chain, token, .. }
            | SystemAccount::Issuance { chain, token, .. } => {
                if chain == CARD_CHAIN && token == USD {
                    USD.to_owned()
                } else {
                    format!("{chain}/{token}")
                }
            }
        }
    }

    /// The suspense account of a holding wallet's below-minimum deposits in a token.
    pub fn suspense_of(holding: &HoldingKey, token: &str) -> SystemAccount {
        SystemAccount::Suspense {
            client: holding.client().to_owned(),
            chain: holding.chain().to_owned(),
            token: token.to_owned(),
        }
    }

    /// Whether it holds below-minimum deposits waiting for a decision.
    pub fn is_suspense(&self) -> bool {
        matches!(self, SystemAccount::Suspense { .. })
    }
}

impl fmt::Display for SystemAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SystemAccount::External { chain, token } => write!(f, "external/{chain}/{token}"),
            SystemAccount::ExternalUsd => write!(f, "external/{USD}"),
            SystemAccount::Chain { chain, token } => write!(f, "chain/{chain}/{token}"),
            SystemAccount::Fees {
                client,
                chain,
                token,
            } => write!(f, "fees/{client}/{chain}/{token}"),
            SystemAccount::Suspense {
                client,
                chain,
                token,
            } => write!(f, "suspense/{client}/{chain}/{token}"),
            SystemAccount::Returned {
                client,
                chain,
                token,
            } => write!(f, "returned/{client}/{chain}/{token}"),
            SystemAccount::CardFunding {
                client,
                chain,
                token,
            } => write!(f, "cards/{client}/{chain}/{token}"),
            SystemAccount::CardUsd { client } => write!(f, "cards/{client}/{USD}"),
            SystemAccount::Issuance {
                client,
                chain,
                token,
            } => write!(f, "issuance/{client}/{chain}/{token}"),
        }
    }
}

impl FromStr for SystemAccount {
    type Err = Error;

    /// Reads a key back. Blockchain ids and token symbols hold no `/`; a client id may, so a
    /// client is everything between the kind and the last two parts (the last one for `USD`).
    fn from_str(key: &str) -> Result<SystemAccount, Error> {
        let bad = || err::invalid_argument(format!("{key}: not a system account of the ledger"));
        let (kind, rest) = key.split_once('/').ok_or_else(bad)?;
        let (head, token) = rest.rsplit_once('/').map_or(("", rest), |(h, t)| (h, t));
        // (client, chain) of `CLIENT/CHAIN/TOKEN`
        let scoped = || -> Result<(String, String), Error> {
            let (client, chain) = head.rsplit_once('/').ok_or_else(bad)?;
            (!client.is_empty() && !chain.is_empty() && !token.is_empty())
                .then(|| (client.to_owned(), chain.to_owned()))
                .ok_or_else(bad)
        };
        let global = |make: fn(String, String) -> SystemAccount| {
            (!head.is_empty() && !head.contains('/') && !token.is_empty())
                .then(|| make(head.to_owned(), token.to_owned()))
                .ok_or_else(bad)
        };
        let token = token.to_owned();
        Ok(match kind {
            "external" if rest == USD => SystemAccount::ExternalUsd,
            "external" => global(|chain, token| SystemAccount::External { chain, token })?,
            "chain" => global(|chain, token| SystemAccount::Chain { chain, token })?,
            "cards" if token == USD && !head.is_empty() => SystemAccount::CardUsd {
                client: head.to_owned(),
            },
            "fees" | "suspense" | "returned" | "cards" | "issuance" => {
                let (client, chain) = scoped()?;
                match kind {
                    "fees" => SystemAccount::Fees {
                        client,
                        chain,
                        token,
                    },
                    "suspense" => SystemAccount::Suspense {
                        client,
                        chain,
                        token,
                    },
                    "returned" => SystemAccount::Returned {
                        client,
                        chain,
                        token,
                    },
                    "cards" => SystemAccount::CardFunding {
                        client,
                        chain,
                        token,
                    },
                    _ => SystemAccount::Issuance {
                        client,
                        chain,
                        token,
                    },
                }
            }
            _ => return Err(bad()),
        })
    }
}

impl Serialize for SystemAccount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SystemAccount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SystemAccount, D::Error> {
        let key = String::deserialize(d)?;
        key.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> String {
        v.to_owned()
    }

    #[test]
    fn every_kind_reads_back_from_its_key() {
        let all = [
            SystemAccount::External {
                chain: s("ethereum"),
                token: s("USDT"),
            },
            SystemAccount::ExternalUsd,
            SystemAccount::Chain {
                chain: s("tron"),
                token: s("TRX"),
            },
            SystemAccount::Fees {
                client: s("c1"),
                chain: s("ethereum"),
                token: s("USDT"),
            },
            SystemAccount::Suspense {
                client: s("c/1"),
                chain: s("ethereum"),
                token: s("USDC"),
            },
            SystemAccount::Returned {
                client: s("c1"),
                chain: s("bsc"),
                token: s("USDT"),
            },
            SystemAccount::CardFunding {
                client: s("c1"),
                chain: s("ethereum"),
                token: s("ETH"),
            },
            SystemAccount::CardUsd { client: s("c/2") },
            SystemAccount::Issuance {
                client: s("c1"),
                chain: s("ethereum"),
                token: s("USDT"),
            },
        ];
        for a in all {
            let key = a.to_string();
            assert_eq!(key.parse::<SystemAccount>().expect(&key), a, "{key}");
            let json = serde_json::to_string(&a).expect("json");
            assert_eq!(json, format!("\"{key}\""));
            assert_eq!(
                serde_json::from_str::<SystemAccount>(&json).expect("back"),
                a
            );
        }
        assert_eq!(
            SystemAccount::CardUsd { client: s("c1") }.to_string(),
            "cards/c1/USD"
        );
        assert_eq!(SystemAccount::ExternalUsd.unit(), "USD");
        assert_eq!(
            SystemAccount::Fees {
                client: s("c"),
                chain: s("bsc"),
                token: s("USDT")
            }
            .money(),
            "bsc/USDT"
        );
    }

    #[test]
    fn keys_of_no_account_are_refused() {
        for key in [
            "",
            "fees",
            "fees/USDT",
            "fees/ethereum/USDT",
            "nope/a/b",
            "external/a/b/c",
            "chain/x",
            "cards/USD",
            "suspense//ethereum/USDT",
        ] {
            let e = key.parse::<SystemAccount>().expect_err(key);
            assert_eq!(e.code(), crate::error::ErrorCode::InvalidArgument, "{key}");
        }
    }

    #[test]
    fn a_holding_key_names_its_client_and_chain() {
        let key = HoldingKey::new("acme", "ethereum");
        assert_eq!((key.client(), key.chain()), ("acme", "ethereum"));
        assert_eq!(key.to_string(), "acme/ethereum");
        assert_eq!("acme/ethereum".parse::<HoldingKey>().expect("key"), key);
        let json = serde_json::to_string(&key).expect("json");
        assert_eq!(json, "\"acme/ethereum\"");
        assert_eq!(
            serde_json::from_str::<HoldingKey>(&json).expect("back"),
            key
        );
        // Ordered as its text, so maps of holdings list as they did when keyed by text.
        let (a, b) = (
            HoldingKey::new("acme", "tron"),
            HoldingKey::new("acme-eu", "bsc"),
        );
        assert_eq!(a.cmp(&b), a.as_str().cmp(b.as_str()));
        for bad in ["", "acme", "/ethereum", "acme/", "\"x\""] {
            let e = bad.parse::<HoldingKey>().expect_err(bad);
            assert_eq!(e.code(), crate::error::ErrorCode::InvalidArgument, "{bad}");
        }
        assert!(serde_json::from_str::<HoldingKey>("\"acme\"").is_err());
    }
}
