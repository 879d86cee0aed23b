//! USD prices of tokens, for minimum-deposit checks and card top-ups: the one rule of which price
//! values an amount. A price given with the operation wins, then the client's configured price
//! list, then 1 for a USD stablecoin; otherwise there is no price (the caller refuses).

use crate::access::Environment;
use crate::error::{err, Result};
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

/// The USD price of `symbol` as [`usd_price`] finds it; INVALID_ARGUMENT naming the symbol when
/// there is none.
pub fn required_usd_price(
    symbol: &str,
    given: Option<Decimal>,
    configured: Option<Decimal>,
) -> Result<Decimal> {
    usd_price(symbol, given, configured).ok_or_else(|| {
        err::invalid_argument(format!(
            "usd_price: no USD price for {symbol}: the platform's price list has none (set \
             usd_prices in the configuration; a sandbox operation may give usd_price)"
        ))
    })
}

/// Refuses a price given with an operation on a live host, which values amounts at the
/// platform's prices only (INVALID_ARGUMENT).
pub fn check_given_price(environment: Environment, given: bool) -> Result<()> {
    if given && environment == Environment::Live {
        return Err(err::invalid_argument(
            "usd_price: a live host values cards at the platform's prices, not the caller's",
        ));
    }
    Ok(())
}

/// Refuses a live client with a parent setting its own price list: its parent sets it
/// (FORBIDDEN).
pub fn check_price_list_setter(environment: Environment, has_parent: bool) -> Result<()> {
    if has_parent && environment == Environment::Live {
        return Err(err::forbidden("live prices are set by the parent client"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_prices_come_from_the_platform_and_a_child_s_from_its_parent() {
        use crate::error::ErrorCode;
        assert!(check_given_price(Environment::Sandbox, true).is_ok());
        assert!(check_given_price(Environment::Live, false).is_ok());
        let e = check_given_price(Environment::Live, true).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidArgument);
        assert!(check_price_list_setter(Environment::Live, false).is_ok());
        assert!(check_price_list_setter(Environment::Sandbox, true).is_ok());
        let e = check_price_list_setter(Environment::Live, true).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Forbidden);
    }

    #[test]
    fn given_then_configured_then_stablecoin() {
        let two = Decimal::TWO;
        let three = Decimal::from(3);
        assert_eq!(usd_price("ETH", Some(two), Some(three)), Some(two));
        assert_eq!(usd_price("ETH", None, Some(three)), Some(three));
        assert_eq!(usd_price("usdt", None, None), Some(Decimal::ONE));
        assert_eq!(usd_price("USDT", None, Some(three)), Some(three));
        assert_eq!(usd_price("ETH", None, None), None);
        assert_eq!(
            required_usd_price("usdt", None, None).unwrap(),
            Decimal::ONE
        );
        let e = required_usd_price("ETH", None, None).unwrap_err();
        assert_eq!(e.code(), crate::error::ErrorCode::InvalidArgument);
        assert!(e.message().contains("no USD price for ETH"), "{e}");
    }
}
