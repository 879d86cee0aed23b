//! The ledger's system accounts: where money comes from and goes to when it is not in a wallet
//! or a holding wallet. Each is a type here; its key (`external/ethereum/USDT`,
//! `fees/CLIENT/ethereum/USDT`, ...) is only how it is named in storage, snapshots and the
//! journal (`system:KEY`).

use super::USD;
use crate::error::{err, Error};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The blockchain id that stands for "no blockchain" in the keys of cards (which hold USD).
pub const CARD_CHAIN: &str = "card";

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
}
