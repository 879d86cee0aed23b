//! A client's allowlist of outside withdrawal destinations. When a client has one, every
//! withdrawal that leaves on chain (virtual and treasury withdrawals, holding withdrawals, refunds
//! of below-minimum deposits, captures of holds to an address, automation payouts) must go to an
//! address listed for its blockchain; anything else is refused with `DESTINATION_NOT_ALLOWED`.
//! Withdrawals settled internally (to another wallet of the client) never leave, so the list
//! does not apply to them. No allowlist: every valid address is allowed.

use crate::address::Address;
use crate::chain::Registry;
use crate::error::{err, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Most addresses one client may list, over all blockchains (the list travels with the client's
/// configuration, so it stays small).
pub const MAX_ADDRESSES: usize = 256;

/// Allowed outside addresses per blockchain id, in their canonical form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Allowlist(BTreeMap<String, BTreeSet<String>>);

impl Allowlist {
    /// An allowlist from addresses per blockchain, each parsed and put in its canonical form
    /// (unknown blockchains, bad addresses and more than [`MAX_ADDRESSES`] are refused).
    pub fn new(registry: &Registry, lists: &BTreeMap<String, Vec<String>>) -> Result<Allowlist> {
        let mut out = BTreeMap::new();
        let mut count = 0usize;
        for (chain, addresses) in lists {
            let c = registry.chain(chain)?;
            let set: &mut BTreeSet<String> = out.entry(c.id.to_string()).or_default();
            for a in addresses {
                set.insert(Address::parse(c.family, a)?.to_string());
            }
            count += addresses.len();
            if count > MAX_ADDRESSES {
                return Err(err::invalid_argument(format!(
                    "an allowlist holds at most {MAX_ADDRESSES} addresses"
                )));
            }
        }
        Ok(Allowlist(out))
    }

    /// Whether `address` (canonical) may receive a withdrawal on `chain`.
    pub fn allows(&self, chain: &str, address: &str) -> bool {
        self.0.get(chain).is_some_and(|s| s.contains(address))
    }

    /// DESTINATION_NOT_ALLOWED unless `address` (canonical) is listed for `chain`.
    pub fn check(&self, chain: &str, address: &str) -> Result<()> {
        if self.allows(chain, address) {
            return Ok(());
        }
        Err(err::destination_not_allowed(format!(
            "{address} is not on the client's withdrawal allowlist for {chain}"
        )))
    }

    /// The listed addresses per blockchain.
    pub fn lists(&self) -> &BTreeMap<String, BTreeSet<String>> {
        &self.0
    }
}

/// DESTINATION_NOT_ALLOWED when the client has an allowlist and `address` is not on it.
pub fn check(list: Option<&Allowlist>, chain: &str, address: &str) -> Result<()> {
    list.map_or(Ok(()), |l| l.check(chain, address))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::error::ErrorCode;

    const A: &str = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94";

    fn lists(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(c, a)| (c.to_string(), a.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn addresses_are_kept_canonical_and_matched_per_chain() {
        let r = Registry::builtin();
        let l = Allowlist::new(&r, &lists(&[("ethereum", &[&A.to_lowercase()])])).unwrap();
        assert!(l.allows("ethereum", A));
        assert!(!l.allows("polygon", A));
        assert_eq!(
            l.check("polygon", A).unwrap_err().code(),
            ErrorCode::DestinationNotAllowed
        );
        assert!(check(None, "polygon", A).is_ok());
        assert!(check(Some(&l), "ethereum", A).is_ok());
    }

    #[test]
    fn bad_input_is_refused() {
        let r = Registry::builtin();
        assert!(Allowlist::new(&r, &lists(&[("nochain", &[A])])).is_err());
        assert!(Allowlist::new(&r, &lists(&[("ethereum", &["0x12"])])).is_err());
        let many: Vec<String> = (0..=MAX_ADDRESSES).map(|i| format!("0x{i:040x}")).collect();
        let mut m = BTreeMap::new();
        m.insert("ethereum".to_owned(), many);
        assert_eq!(
            Allowlist::new(&r, &m).unwrap_err().code(),
            ErrorCode::InvalidArgument
        );
    }
}
