//! Where a withdrawal goes: the host says who owns the destination address among the client's
//! wallets, the core decides. The source's own address is refused (SAME_ADDRESS); another
//! virtual wallet of the client on the same chain is settled internally as a transfer; the
//! client's holding wallet on that chain internally too (the amount stops being owed to the end
//! user and stays where it is); anything else goes on chain.

use super::*;

/// Who owns an address, as the host found it among a client's wallets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressOwner {
    /// No wallet of the client: an outside address.
    Outside,
    /// A virtual, treasury or card wallet of the client.
    Wallet(String),
    /// The client's holding wallet on this blockchain.
    Holding(String),
}

/// How a withdrawal is settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// A chain transaction to an outside address (or to a treasury wallet, which holds its own
    /// funds on chain).
    Chain,
    /// Internally, as a transfer to this virtual wallet: no chain transaction, no network fee.
    Transfer(String),
    /// Internally, back to the client's holding wallet: no chain transaction, no network fee.
    Holding,
}

impl Ledger {
    /// DESTINATION_NOT_ALLOWED when the client keeps an allowlist without `address` (canonical)
    /// on `chain`: the one check of every withdrawal that leaves on chain.
    pub(super) fn check_allowed(&self, chain: &str, address: &str) -> Result<()> {
        crate::allowlist::check(self.config.withdrawal_allowlist.as_ref(), chain, address)
    }

    /// Decides how a withdrawal from `from` to an address owned by `owner` is settled.
    pub fn withdrawal_route(&self, from: &str, owner: &AddressOwner) -> Result<Route> {
        let src = self.wallet(from)?;
        match owner {
            AddressOwner::Outside => Ok(Route::Chain),
            AddressOwner::Wallet(w) if w == from => Err(err::same_address(
                "the withdraw destination is the same as the origin",
            )),
            AddressOwner::Wallet(w) => {
                let dst = self.wallet(w)?;
                if src.kind == WalletKind::Virtual
                    && dst.kind == WalletKind::Virtual
                    && dst.client == src.client
                    && dst.blockchain == src.blockchain
                {
                    Ok(Route::Transfer(w.clone()))
                } else {
                    Ok(Route::Chain)
                }
            }
            AddressOwner::Holding(chain) => {
                if src.kind == WalletKind::Virtual && src.blockchain.as_deref() == Some(chain) {
                    Ok(Route::Holding)
                } else {
                    Ok(Route::Chain)
                }
            }
        }
    }

    /// A virtual wallet's withdrawal to its own holding wallet, settled internally: the amount
    /// leaves the wallet (and the holding wallet's liabilities) for the client's own funds in
    /// the holding wallet (`returned/CLIENT/CHAIN/TOKEN`); the position does not move.
    pub fn return_to_holding(
        &mut self,
        id: &str,
        from: &str,
        token: &str,
        amount: Amount,
    ) -> Result<Movement> {
        check_id("operation", id)?;
        let src = self.virtual_wallet(from)?;
        let chain = src.blockchain.clone().unwrap_or_default();
        let client = src.client.clone();
        let (token, decimals) = self.token_of(&chain, token)?;
        let movement = Movement::HoldingReturn {
            from: from.to_owned(),
            token: token.clone(),
            amount,
        };
        if Self::seen(&self.movements, id, &movement)? {
            return Ok(movement);
        }
        rules::check_positive(amount.check_scale(decimals)?)?;
        rules::check_sender(src, from)?;
        let total = src
            .balances
            .get(&token)
            .map(Balance::total)
            .unwrap_or_default();
        rules::check_internal_transfer(Self::available(src, &token, total), amount)?;
        let leg = Leg {
            from: Book::Wallet(from.to_owned(), token.clone()),
            to: Book::System(SystemAccount::Returned {
                client: client.to_owned(),
                chain: chain.to_owned(),
                token: token.clone(),
            }),
            amount: amount.as_decimal(),
        };
        self.post_movement(&[leg], Records::Movements, id, movement)
    }
}

/// The address a holding withdrawal goes to: the one given, else the client's configured
/// payment destination for the chain (NO_PAYMENT_DESTINATION when there is neither).
pub fn holding_destination(given: Option<&str>, configured: Option<&str>) -> Result<String> {
    given.or(configured).map(str::to_owned).ok_or_else(|| {
        err::no_payment_destination(
            "no to_address given and no payment destination configured for this blockchain",
        )
    })
}

/// A holding withdrawal may not go to the holding wallet's own address (SAME_ADDRESS).
pub fn check_holding_route(chain: &str, owner: &AddressOwner) -> Result<()> {
    match owner {
        AddressOwner::Holding(c) if c == chain => Err(err::same_address(
            "the withdraw destination is the same as the origin",
        )),
        _ => Ok(()),
    }
}
