//! Holds: an amount of a virtual wallet set aside, so its available balance drops while its
//! total does not. A hold is released (by a decision, or once its expiry has passed: the host
//! gives the time) or captured (moved to another virtual wallet of the client as a transfer, or
//! sent to an outside address as a withdrawal).
//! Every spend (transfer, withdrawal, card top-up, return to the holding wallet) counts only
//! what is available: the balance minus what is held.

use super::*;

/// Where a hold stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldStatus {
    /// Set aside.
    Active,
    /// Given back to the available balance by a decision.
    Released,
    /// Given back because its expiry passed.
    Expired,
    /// Moved to another wallet.
    Captured,
}

impl HoldStatus {
    /// The stable text form (`active`, `released`, `expired`, `captured`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Released => "released",
            Self::Expired => "expired",
            Self::Captured => "captured",
        }
    }
}

/// An amount of a wallet set aside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// Its id.
    pub id: String,
    /// The wallet it holds funds of.
    pub wallet: String,
    /// Token.
    pub token: String,
    /// Amount held.
    pub amount: Amount,
    /// Why.
    pub reason: String,
    /// When it releases itself (unix seconds), if ever.
    pub expires_at: Option<i64>,
    /// Where it stands.
    pub status: HoldStatus,
    /// The wallet it was captured to.
    pub captured_to: Option<String>,
}

impl Ledger {
    /// What a wallet can spend of `token` out of `base` (its total, or its confirmed part for a
    /// withdrawal): `base` minus what is held.
    pub(super) fn available(w: &Wallet, token: &str, base: Decimal) -> Decimal {
        base - w.held.get(token).copied().unwrap_or_default()
    }

    /// Sets `amount` of `token` of a virtual wallet aside, out of its confirmed funds. `now`
    /// (unix seconds) checks the expiry. Repeating it with the same contents changes nothing.
    #[allow(clippy::too_many_arguments)]
    pub fn place_hold(
        &mut self,
        id: &str,
        wallet: &str,
        token: &str,
        amount: Amount,
        reason: &str,
        expires_at: Option<i64>,
        now: i64,
    ) -> Result<&Hold> {
        check_id("hold", id)?;
        let w = self.virtual_wallet(wallet)?;
        let chain = w.blockchain.clone().unwrap_or_default();
        let (token, decimals) = self.token_of(&chain, token)?;
        if let Some(h) = self.holds.get(id) {
            if h.wallet == wallet && h.token == token && h.amount == amount {
                return self.hold(id);
            }
            return Err(err::duplicate_operation(format!(
                "hold {id} was already used with other contents"
            )));
        }
        rules::check_positive(amount.check_scale(decimals)?)?;
        super::withdrawals::check_text("reason", reason)?;
        if expires_at.is_some_and(|t| t <= now) {
            return Err(err::invalid_argument("expires_at must be in the future"));
        }
        // Only confirmed funds are held: a reorg cannot take back what a hold set aside.
        let confirmed = w
            .balances
            .get(&token)
            .map(Balance::confirmed)
            .unwrap_or_default();
        let available = Self::available(w, &token, confirmed);
        if available < amount.as_decimal() {
            return Err(err::insufficient_funds(format!(
                "available confirmed balance {} is less than {amount}",
                available.normalize()
            ))
            .with_detail(Detail::Shortfall {
                needed: amount.as_decimal().normalize(),
                available: available.normalize(),
            }));
        }
        self.adjust_held(wallet, &token, amount.as_decimal())?;
        self.holds.insert(
            id.to_owned(),
            Hold {
                id: id.to_owned(),
                wallet: wallet.to_owned(),
                token,
                amount,
                reason: reason.to_owned(),
                expires_at,
                status: HoldStatus::Active,
                captured_to: None,
            },
        );
        self.hold(id)
    }

    /// Gives a hold back to the available balance. Releasing a released hold changes nothing.
    pub fn release_hold(&mut self, id: &str) -> Result<&Hold> {
        self.end_hold(id, HoldStatus::Released)
    }

    /// Releases a hold whose expiry has passed at `now` (unix seconds); an active hold not yet
    /// expired is left as it is.
    pub fn expire_hold(&mut self, id: &str, now: i64) -> Result<&Hold> {
        let h = self.hold(id)?;
        if h.status == HoldStatus::Active && h.expires_at.is_some_and(|t| t <= now) {
            return self.end_hold(id, HoldStatus::Expired);
        }
        self.hold(id)
    }

    /// Moves a held amount to another virtual wallet of the client (a transfer `ID:capture`).
    /// Capturing a captured hold changes nothing.
    pub fn capture_hold(&mut self, id: &str, to: &str) -> Result<&Hold> {
        let h = self.hold(id)?.clone();
        match h.status {
            HoldStatus::Active => {}
            HoldStatus::Captured if h.captured_to.as_deref() == Some(to) => return self.hold(id),
            s => {
                return Err(err::invalid_argument(format!(
                    "hold {id} is {}; only an active hold can be captured",
                    s.as_str()
                )))
            }
        }
        // The held amount becomes spendable for this transfer only; on failure it stays held.
        self.adjust_held(&h.wallet, &h.token, -h.amount.as_decimal())?;
        if let Err(e) = self.transfer(&format!("{id}:capture"), &h.wallet, to, &h.token, h.amount) {
            self.adjust_held(&h.wallet, &h.token, h.amount.as_decimal())?;
            return Err(e);
        }
        if let Some(x) = self.holds.get_mut(id) {
            x.status = HoldStatus::Captured;
            x.captured_to = Some(to.to_owned());
        }
        self.hold(id)
    }

    /// Sends a held amount to an outside address: a withdrawal `ID:capture` (with its lifecycle),
    /// without a fee. Capturing a hold captured to the same address changes nothing.
    pub fn capture_hold_to_address(&mut self, id: &str, to_address: &str) -> Result<&Hold> {
        let h = self.hold(id)?.clone();
        match h.status {
            HoldStatus::Active => {}
            HoldStatus::Captured if h.captured_to.as_deref() == Some(to_address) => {
                return self.hold(id)
            }
            s => {
                return Err(err::invalid_argument(format!(
                    "hold {id} is {}; only an active hold can be captured",
                    s.as_str()
                )))
            }
        }
        self.adjust_held(&h.wallet, &h.token, -h.amount.as_decimal())?;
        let sent = self.withdraw(
            &format!("{id}:capture"),
            &h.wallet,
            to_address,
            &h.token,
            h.amount,
            Amount::ZERO,
        );
        if let Err(e) = sent {
            self.adjust_held(&h.wallet, &h.token, h.amount.as_decimal())?;
            return Err(e);
        }
        if let Some(x) = self.holds.get_mut(id) {
            x.status = HoldStatus::Captured;
            x.captured_to = Some(to_address.to_owned());
        }
        self.hold(id)
    }

    /// A hold by id.
    pub fn hold(&self, id: &str) -> Result<&Hold> {
        self.holds
            .get(id)
            .ok_or_else(|| err::not_found(format!("no hold {id}")))
    }

    /// Every hold record, for a host that keeps them as rows (it gives one back with
    /// [`Ledger::remember_hold`] before naming it again).
    pub fn take_holds(&mut self) -> Vec<Hold> {
        let mut out: Vec<Hold> = self.holds.drain().map(|(_, h)| h).collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// Gives back a hold record taken by [`Ledger::take_holds`].
    pub fn remember_hold(&mut self, hold: Hold) {
        self.holds.insert(hold.id.clone(), hold);
    }

    fn end_hold(&mut self, id: &str, status: HoldStatus) -> Result<&Hold> {
        let h = self.hold(id)?.clone();
        match h.status {
            HoldStatus::Active => {}
            s if s == status => return self.hold(id),
            s => {
                return Err(err::invalid_argument(format!(
                    "hold {id} is {}; only an active hold can be {}",
                    s.as_str(),
                    status.as_str()
                )))
            }
        }
        self.adjust_held(&h.wallet, &h.token, -h.amount.as_decimal())?;
        if let Some(x) = self.holds.get_mut(id) {
            x.status = status;
        }
        self.hold(id)
    }

    fn adjust_held(&mut self, wallet: &str, token: &str, by: Decimal) -> Result<()> {
        let w = self.wallet_mut(wallet)?;
        let held = w.held.slot(token);
        *held = held
            .checked_add(by)
            .ok_or_else(|| err::invalid_amount("the held amount overflows"))?;
        if held.is_zero() {
            w.held.remove(token);
        }
        self.touch(wallet);
        Ok(())
    }
}
