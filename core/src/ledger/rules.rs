//! The platform's rules, each a pure function over explicit inputs.
//!
//! The in-memory [`Ledger`](super::Ledger) calls these, and so does a host that keeps balances in
//! a database: the numbers come in, a decision comes out, nothing else is read or written.

use crate::amount::Amount;
use crate::error::{err, Detail, Result};
use rust_decimal::Decimal;

/// Status of a wallet as far as outgoing movements are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WalletStatus {
    /// Counts against the contracted pool; may send and receive.
    Active,
    /// Deactivated: keeps balance and history, receives (flagged), refuses outgoing movements.
    Inactive,
    /// A reorg removed funds it had already spent: refuses outgoing movements.
    Frozen,
}

impl WalletStatus {
    /// The status text used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            WalletStatus::Active => "active",
            WalletStatus::Inactive => "inactive",
            WalletStatus::Frozen => "frozen",
        }
    }
}

/// The minimum deposit in USD per kind of destination (the seed: 1, 1 and 10 USD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MinimumDeposits {
    /// Virtual wallets.
    pub virtual_wallet: Decimal,
    /// Treasury wallets.
    pub treasury: Decimal,
    /// Cards and virtual cards.
    pub card: Decimal,
}

impl Default for MinimumDeposits {
    fn default() -> Self {
        MinimumDeposits {
            virtual_wallet: Decimal::ONE,
            treasury: Decimal::ONE,
            card: Decimal::TEN,
        }
    }
}

/// What a deposit becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepositDecision {
    /// Credited (pending until confirmed).
    Credit,
    /// Under the minimum: recorded and refundable, not credited.
    BelowMinimum,
}

/// Rule 2: a deposit worth `usd_value` against a `minimum` in USD.
pub fn deposit_decision(usd_value: Decimal, minimum: Decimal) -> DepositDecision {
    if usd_value < minimum {
        DepositDecision::BelowMinimum
    } else {
        DepositDecision::Credit
    }
}

/// Refuses money put on a card (`what`: "card top-up", "card deposit") worth less than the card
/// minimum: BELOW_MINIMUM_DEPOSIT with its figures.
pub fn check_card_minimum(what: &str, usd_value: Decimal, minimum: Decimal) -> Result<()> {
    if deposit_decision(usd_value, minimum) == DepositDecision::BelowMinimum {
        return Err(err::below_minimum_deposit(format!(
            "a {what} must be worth at least {} USD; this one is worth {}",
            minimum.normalize(),
            usd_value.normalize()
        ))
        .with_detail(Detail::Minimum {
            minimum: minimum.normalize(),
            value: usd_value.normalize(),
        }));
    }
    Ok(())
}

/// Rule 9 (and frozen wallets): may this wallet send?
pub fn check_can_send(status: WalletStatus, wallet: &str) -> Result<()> {
    match status {
        WalletStatus::Active => Ok(()),
        WalletStatus::Inactive => Err(err::wallet_inactive(format!(
            "wallet {wallet} is deactivated"
        ))),
        WalletStatus::Frozen => Err(err::wallet_frozen(format!(
            "wallet {wallet} is frozen: a reorg removed funds it had already spent"
        ))),
    }
}

/// [`check_can_send`] for a wallet, naming an operator's freeze (a `FROZEN: reason` flag) as such.
pub fn check_sender(w: &super::Wallet, wallet: &str) -> Result<()> {
    if w.status == WalletStatus::Frozen {
        if let Some(reason) = w
            .flags
            .iter()
            .rev()
            .find_map(|f| f.strip_prefix("FROZEN: "))
        {
            return Err(err::wallet_frozen(format!(
                "wallet {wallet} is frozen by an operator ({reason}); it receives but cannot send"
            )));
        }
    }
    check_can_send(w.status, wallet)
}

/// Movements must move something.
pub fn check_positive(amount: Amount) -> Result<()> {
    if amount.is_zero() {
        return Err(err::invalid_amount("the amount must be greater than zero"));
    }
    Ok(())
}

/// Rule 8: an internal transfer may spend the wallet's total (confirmed + unconfirmed).
pub fn check_internal_transfer(total: Decimal, amount: Amount) -> Result<()> {
    if total < amount.as_decimal() {
        return Err(err::insufficient_funds(format!(
            "balance {} is less than {amount}",
            total.normalize()
        ))
        .with_detail(Detail::Shortfall {
            needed: amount.as_decimal().normalize(),
            available: total.normalize(),
        }));
    }
    Ok(())
}

/// Rule 6: a withdrawal to an outside address needs confirmed funds for amount + fee, and the
/// holding wallet must hold the amount (pass `None` for wallets that hold their own funds).
pub fn check_withdrawal(
    confirmed: Decimal,
    amount: Amount,
    fee: Amount,
    holding: Option<Decimal>,
) -> Result<()> {
    let needed = amount.checked_add(fee)?.as_decimal();
    if confirmed < needed {
        return Err(err::insufficient_funds(format!(
            "confirmed balance {} is less than amount + fee {}",
            confirmed.normalize(),
            needed.normalize()
        ))
        .with_detail(Detail::Shortfall {
            needed: needed.normalize(),
            available: confirmed.normalize(),
        }));
    }
    if let Some(holding) = holding {
        if holding < amount.as_decimal() {
            return Err(err::insufficient_funds(format!(
                "the holding wallet holds {} and cannot cover {amount}",
                holding.normalize()
            ))
            .with_detail(Detail::Shortfall {
                needed: amount.as_decimal().normalize(),
                available: holding.normalize(),
            }));
        }
    }
    Ok(())
}

/// Rule 5: a partial withdrawal from the holding wallet must leave at least
/// `min_reserve_ratio x liabilities`.
pub fn check_holding_withdrawal(
    holding: Decimal,
    liabilities: Decimal,
    amount: Amount,
    min_reserve_ratio: Decimal,
) -> Result<()> {
    if holding < amount.as_decimal() {
        return Err(err::insufficient_funds(format!(
            "the holding wallet holds {} and cannot send {amount}",
            holding.normalize()
        ))
        .with_detail(Detail::Shortfall {
            needed: amount.as_decimal().normalize(),
            available: holding.normalize(),
        }));
    }
    let required = required_reserve(liabilities, min_reserve_ratio)?;
    let after = holding - amount.as_decimal();
    if after < required {
        return Err(err::reserve_ratio_violation(format!(
            "after sending {amount} the holding wallet would keep {}, below the required reserve {} ({} x liabilities {})",
            after.normalize(),
            required.normalize(),
            min_reserve_ratio.normalize(),
            liabilities.normalize()
        ))
        .with_detail(Detail::Reserve {
            required: required.normalize(),
            would_keep: after.normalize(),
        }));
    }
    Ok(())
}

/// The reserve a holding wallet must keep: `min_reserve_ratio x liabilities` (never negative).
pub fn required_reserve(liabilities: Decimal, min_reserve_ratio: Decimal) -> Result<Decimal> {
    let liabilities = liabilities.max(Decimal::ZERO);
    liabilities
        .checked_mul(min_reserve_ratio)
        .ok_or_else(|| err::invalid_amount("reserve requirement overflows"))
}

/// Rule 10: one more active item when `active` are in use and the contract allows `limit`.
pub fn check_slot(active: u32, limit: Option<u32>, what: &str) -> Result<()> {
    match limit {
        Some(limit) if active >= limit => Err(err::contract_limit_reached(format!(
            "the contracted limit of {limit} {what} is reached"
        ))
        .with_detail(Detail::Limit {
            limit: limit.into(),
            value: active.into(),
        })),
        _ => Ok(()),
    }
}

/// Rule 1: after a reorg voids a credit, a wallet whose total went negative is frozen.
pub fn status_after_reorg(current: WalletStatus, total_after: Decimal) -> WalletStatus {
    if total_after < Decimal::ZERO {
        WalletStatus::Frozen
    } else {
        current
    }
}

/// The USD value of a deposit: amount x the caller's price (cards are credited with it).
pub fn usd_value(amount: Amount, usd_price: Decimal) -> Result<Decimal> {
    crate::amount::usd_value(amount, usd_price)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn a(s: &str) -> Amount {
        Amount::parse(s, 18).unwrap()
    }
    fn d(s: &str) -> Decimal {
        a(s).as_decimal()
    }

    #[test]
    fn money_put_on_a_card_below_its_minimum_is_refused_with_its_figures() {
        assert!(check_card_minimum("card top-up", d("10"), d("10")).is_ok());
        let e = check_card_minimum("card deposit", d("9.50"), d("10.0")).unwrap_err();
        assert_eq!(e.code(), ErrorCode::BelowMinimumDeposit);
        assert_eq!(
            e.message(),
            "a card deposit must be worth at least 10 USD; this one is worth 9.5"
        );
        assert_eq!(
            e.detail(),
            Some(&Detail::Minimum {
                minimum: d("10"),
                value: d("9.5")
            })
        );
    }

    #[test]
    fn minimum_deposit_boundary() {
        let m = MinimumDeposits::default();
        assert_eq!(
            deposit_decision(d("1"), m.virtual_wallet),
            DepositDecision::Credit
        );
        assert_eq!(
            deposit_decision(d("0.99"), m.virtual_wallet),
            DepositDecision::BelowMinimum
        );
        assert_eq!(
            deposit_decision(d("9.99"), m.card),
            DepositDecision::BelowMinimum
        );
        assert_eq!(deposit_decision(d("10"), m.card), DepositDecision::Credit);
    }

    #[test]
    fn reserve_ratio_rule() {
        // liabilities 100, ratio 1: holding 150 may send 50, not 51
        assert!(check_holding_withdrawal(d("150"), d("100"), a("50"), Decimal::ONE).is_ok());
        let e = check_holding_withdrawal(d("150"), d("100"), a("51"), Decimal::ONE).unwrap_err();
        assert_eq!(e.code(), ErrorCode::ReserveRatioViolation);
        assert_eq!(
            check_holding_withdrawal(d("10"), d("0"), a("11"), Decimal::ONE)
                .unwrap_err()
                .code(),
            ErrorCode::InsufficientFunds
        );
        // ratio 0.5: holding 100, liabilities 100 may send 50
        assert!(check_holding_withdrawal(d("100"), d("100"), a("50"), d("0.5")).is_ok());
    }

    #[test]
    fn withdrawal_rule() {
        assert!(check_withdrawal(d("10.5"), a("10"), a("0.5"), Some(d("10"))).is_ok());
        assert_eq!(
            check_withdrawal(d("10.4"), a("10"), a("0.5"), None)
                .unwrap_err()
                .code(),
            ErrorCode::InsufficientFunds
        );
        assert_eq!(
            check_withdrawal(d("20"), a("10"), a("0"), Some(d("9")))
                .unwrap_err()
                .code(),
            ErrorCode::InsufficientFunds
        );
    }

    #[test]
    fn slots_and_status() {
        assert!(check_slot(1, Some(2), "virtual wallets").is_ok());
        assert_eq!(
            check_slot(2, Some(2), "virtual wallets")
                .unwrap_err()
                .code(),
            ErrorCode::ContractLimitReached
        );
        assert!(check_slot(1000, None, "cards").is_ok());
        assert_eq!(
            check_can_send(WalletStatus::Inactive, "w")
                .unwrap_err()
                .code(),
            ErrorCode::WalletInactive
        );
        assert_eq!(
            check_can_send(WalletStatus::Frozen, "w")
                .unwrap_err()
                .code(),
            ErrorCode::WalletFrozen
        );
        assert_eq!(
            status_after_reorg(WalletStatus::Active, d("0")),
            WalletStatus::Active
        );
        assert_eq!(
            status_after_reorg(WalletStatus::Inactive, -d("1")),
            WalletStatus::Frozen
        );
    }
}
