//! USD prices of tokens, for minimum-deposit checks and card top-ups: the one rule of which price
//! values an amount. A price given with the operation wins, then the client's configured price
//! list, then 1 for a USD stablecoin; otherwise there is no price (the caller refuses).

use rust_decimal::Decimal;

/// Symbols priced at 1 USD when neither the operation nor the configuration gives a price.
pub const USD_STABLECOINS: [&str; 6] = ["USDT", "USDC", "DAI", "BUSD", "FDUSD", "PYUSD"];

/// Whether `symbol` (any letter case) is a USD stablecoin.
pub fn is_usd_stablecoin(symbol: &str) -> bool {
    USD_STABLECOINS
        .iter()
        .any(|s| s.eq_ignore_ascii_case(symbol))
}

/// The USD price of `symbol`: `given`, else `configured`, else 1 for a USD stablecoin; `None`
/// when there is none.
pub fn usd_price(
    symbol: &str,
    given: Option<Decimal>,
    configured: Option<Decimal>,
) -> Option<Decimal> {
    given
        .or(configured)
        .or_else(|| is_usd_stablecoin(symbol).then_some(Decimal::ONE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_then_configured_then_stablecoin() {
        let two = Decimal::TWO;
        let three = Decimal::from(3);
        assert_eq!(usd_price("ETH", Some(two), Some(three)), Some(two));
        assert_eq!(usd_price("ETH", None, Some(three)), Some(three));
        assert_eq!(usd_price("usdt", None, None), Some(Decimal::ONE));
        assert_eq!(usd_price("USDT", None, Some(three)), Some(three));
        assert_eq!(usd_price("ETH", None, None), None);
    }
}
