//! Reserve reports per client, blockchain and token.

use crate::error::Result;
use crate::ledger::rules::required_reserve;
use rust_decimal::{Decimal, RoundingStrategy};

/// Decimal places of the reported ratio (rounded toward zero; checks use exact values).
pub const RATIO_DECIMALS: u32 = 6;

/// Reserve figures of one holding wallet for one token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ReserveReport {
    /// Funds swept into the holding wallet (its on-chain position).
    pub holding: Decimal,
    /// Funds deposited to virtual addresses and not yet swept.
    pub in_transit: Decimal,
    /// Sum of the virtual balances on this blockchain and token.
    pub liabilities: Decimal,
    /// holding / liabilities, `None` when there are no liabilities.
    pub ratio: Option<Decimal>,
    /// liabilities - holding when positive, else zero.
    pub leverage: Decimal,
    /// The most the holding wallet may send now without breaking the minimum reserve ratio.
    pub withdrawable: Decimal,
}

/// Rule 4: the report from the holding, in-transit and liability figures.
///
/// The ratio counts swept funds only: money still sitting at virtual addresses cannot be spent
/// by the holding wallet until it is swept, so it is reported apart as `in_transit`.
pub fn report(
    holding: Decimal,
    in_transit: Decimal,
    liabilities: Decimal,
    min_reserve_ratio: Decimal,
) -> Result<ReserveReport> {
    let ratio = if liabilities > Decimal::ZERO {
        holding.checked_div(liabilities).map(|r| {
            r.round_dp_with_strategy(RATIO_DECIMALS, RoundingStrategy::ToZero)
                .normalize()
        })
    } else {
        None
    };
    let leverage = (liabilities - holding).max(Decimal::ZERO);
    let required = required_reserve(liabilities, min_reserve_ratio)?;
    let withdrawable = (holding - required)
        .max(Decimal::ZERO)
        .min(holding.max(Decimal::ZERO));
    Ok(ReserveReport {
        holding: holding.normalize(),
        in_transit: in_transit.normalize(),
        liabilities: liabilities.normalize(),
        ratio,
        leverage: leverage.normalize(),
        withdrawable: withdrawable.normalize(),
    })
}

/// The figures a reserve report of one holding wallet and token is made from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    /// The holding wallet's posted position.
    pub holding: Decimal,
    /// Funds at virtual addresses not yet swept.
    pub in_transit: Decimal,
    /// Sum of the virtual balances.
    pub liabilities: Decimal,
    /// Below-minimum deposits still waiting for a decision (never withdrawable).
    pub unresolved: Decimal,
}

/// Rule 4 over [`Figures`]: the report, with unresolved below-minimum deposits kept out of
/// what may be withdrawn.
pub fn report_of(figures: Figures, min_reserve_ratio: Decimal) -> Result<ReserveReport> {
    let mut report = report(
        figures.holding,
        figures.in_transit,
        figures.liabilities,
        min_reserve_ratio,
    )?;
    report.withdrawable = (report.withdrawable - figures.unresolved.max(Decimal::ZERO))
        .max(Decimal::ZERO)
        .normalize();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leverage_and_withdrawable() {
        let r = report(
            Decimal::new(25, 0),
            Decimal::ZERO,
            Decimal::new(125, 0),
            Decimal::ONE,
        )
        .unwrap();
        assert_eq!(r.leverage, Decimal::new(100, 0));
        assert_eq!(r.ratio, Some(Decimal::new(2, 1)));
        assert_eq!(r.withdrawable, Decimal::ZERO);
        let r = report(
            Decimal::new(150, 0),
            Decimal::ZERO,
            Decimal::new(100, 0),
            Decimal::ONE,
        )
        .unwrap();
        assert_eq!(r.withdrawable, Decimal::new(50, 0));
        assert_eq!(r.leverage, Decimal::ZERO);
        let r = report(
            Decimal::new(1, 0),
            Decimal::ZERO,
            Decimal::new(3, 0),
            Decimal::ONE,
        )
        .unwrap();
        assert_eq!(r.ratio, Some(Decimal::new(333333, 6)));
        assert_eq!(
            report(Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ONE)
                .unwrap()
                .ratio,
            None
        );
    }
}
