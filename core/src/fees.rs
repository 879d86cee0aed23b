//! Withdrawal fees from the platform's configuration: a fixed part plus a percentage of the
//! amount, per blockchain and token, set by the client's parent. The fee is charged to the
//! wallet on top of the amount (what arrives is the amount), rounded up to the token's
//! decimals so the platform never charges less than its schedule.

use crate::amount::Amount;
use crate::error::{err, Result};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Highest percentage a schedule may take.
pub const MAX_PERCENT: u32 = 100;

/// A fee schedule: `fixed` (token units) plus `percent` of the amount.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeSchedule {
    /// Fixed part, in token units.
    pub fixed: Decimal,
    /// Percentage of the amount (0 to 100).
    pub percent: Decimal,
}

impl FeeSchedule {
    /// A schedule from its two parts, checked: neither negative, the percentage at most 100.
    pub fn new(fixed: Decimal, percent: Decimal) -> Result<FeeSchedule> {
        if fixed.is_sign_negative() && !fixed.is_zero() {
            return Err(err::invalid_amount("a fixed fee cannot be negative"));
        }
        if (percent.is_sign_negative() && !percent.is_zero())
            || percent > Decimal::from(MAX_PERCENT)
        {
            return Err(err::invalid_amount(format!(
                "a fee percentage is 0 to {MAX_PERCENT}"
            )));
        }
        Ok(FeeSchedule { fixed, percent })
    }

    /// The fee of a withdrawal of `amount` of a token with `decimals` decimals.
    pub fn fee(&self, amount: Amount, decimals: u8) -> Result<Amount> {
        let share = amount
            .as_decimal()
            .checked_mul(self.percent)
            .and_then(|v| v.checked_div(Decimal::ONE_HUNDRED))
            .ok_or_else(|| err::invalid_amount("the fee overflows"))?;
        let fee = self
            .fixed
            .checked_add(share)
            .ok_or_else(|| err::invalid_amount("the fee overflows"))?
            .round_dp_with_strategy(u32::from(decimals), RoundingStrategy::AwayFromZero);
        Amount::from_decimal(fee)
    }
}

/// What a withdrawal costs: the amount that arrives, the fee, and the wallet's whole debit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Quote {
    /// What arrives at the destination.
    pub amount: Amount,
    /// The fee charged on top.
    pub fee: Amount,
    /// The wallet's debit: amount plus fee.
    pub total: Amount,
}

/// The fee of a withdrawal: the schedule's when the platform set one (it replaces the caller's),
/// else what the caller offered (zero by default).
pub fn quote(
    schedule: Option<&FeeSchedule>,
    offered: Option<Amount>,
    amount: Amount,
    decimals: u8,
) -> Result<Quote> {
    if amount.check_scale(decimals)?.is_zero() {
        return Err(err::invalid_amount("the amount must be greater than zero"));
    }
    let fee = match schedule {
        Some(s) => s.fee(amount, decimals)?,
        None => offered.unwrap_or(Amount::ZERO),
    };
    Ok(Quote {
        amount,
        fee,
        total: amount.checked_add(fee)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn a(s: &str) -> Amount {
        Amount::parse(s, 18).unwrap()
    }

    #[test]
    fn fixed_plus_percent_rounded_up() {
        let s = FeeSchedule::new(d("0.5"), d("1")).unwrap();
        let q = quote(Some(&s), Some(a("3")), a("10"), 6).unwrap();
        assert_eq!(q.fee.as_decimal(), d("0.6"));
        assert_eq!(q.total.as_decimal(), d("10.6"));
        assert_eq!(q.amount.as_decimal(), d("10"));
        // 1% of 0.000001 is 0.00000001: rounded up to the token's smallest unit.
        let s = FeeSchedule::new(Decimal::ZERO, d("1")).unwrap();
        assert_eq!(s.fee(a("0.000001"), 6).unwrap().as_decimal(), d("0.000001"));
    }

    #[test]
    fn bad_schedules_and_offers() {
        assert!(FeeSchedule::new(d("-1"), Decimal::ZERO).is_err());
        assert!(FeeSchedule::new(Decimal::ZERO, d("100.01")).is_err());
        assert!(FeeSchedule::new(Decimal::ZERO, d("-0.1")).is_err());
        let q = quote(None, Some(a("2")), a("5"), 6).unwrap();
        assert_eq!(q.fee.as_decimal(), d("2"));
        assert_eq!(quote(None, None, a("5"), 6).unwrap().fee, Amount::ZERO);
        assert!(quote(None, None, a("0"), 6).is_err());
        assert!(quote(None, None, a("0.0000001"), 6).is_err());
    }
}
