//! Token amounts as exact decimals: parsing, base units, and USD value from a caller-given quote.

use crate::error::{err, Result};
use rust_decimal::Decimal;
use std::fmt;
use std::str::FromStr;

/// The most decimals a token may have (the scale limit of `Decimal`).
pub const MAX_DECIMALS: u8 = 28;

/// Largest mantissa a `Decimal` holds (2^96 - 1).
const MAX_MANTISSA: u128 = (1u128 << 96) - 1;

/// The longest decimal string accepted as input, a guard against hostile input sizes.
const MAX_INPUT_LEN: usize = 128;

/// A non-negative token amount, exact, never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(Decimal);

impl Amount {
    /// Zero.
    pub const ZERO: Amount = Amount(Decimal::ZERO);

    /// Parses a decimal string ("12.5") for a token with `decimals` decimals.
    ///
    /// Refuses signs, exponents, blanks, more significant fraction digits than `decimals`
    /// and values beyond 28 significant digits. Trailing zeros past the scale are accepted,
    /// since they change nothing.
    pub fn parse(text: &str, decimals: u8) -> Result<Amount> {
        check_decimals(decimals)?;
        let (int_part, frac_part) = split_decimal(text)?;
        let frac_trimmed = frac_part.trim_end_matches('0');
        if frac_trimmed.len() > usize::from(decimals) {
            return Err(err::invalid_amount(format!(
                "{text:?} has {} fraction digits; the token allows {decimals}",
                frac_trimmed.len()
            )));
        }
        let digits = format!("{int_part}{frac_trimmed}");
        let mantissa = parse_u128(&digits, text)?;
        let scale = u32::try_from(frac_trimmed.len()).map_err(|_| overflow(text))?;
        Amount::from_parts(mantissa, scale, text)
    }

    /// Converts integer base units ("12500000" with 6 decimals is 12.5).
    pub fn from_base_units(units: &str, decimals: u8) -> Result<Amount> {
        check_decimals(decimals)?;
        if units.is_empty()
            || units.len() > MAX_INPUT_LEN
            || !units.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(err::invalid_amount(format!(
                "{units:?} is not a non-negative integer of base units"
            )));
        }
        let mut mantissa = parse_u128(units, units)?;
        let mut scale = u32::from(decimals);
        // Drop trailing zeros first so that large round values still fit the 96-bit mantissa.
        while scale > 0 && mantissa != 0 && mantissa % 10 == 0 {
            mantissa /= 10;
            scale -= 1;
        }
        Amount::from_parts(mantissa, scale, units)
    }

    /// Converts a `u128` of base units.
    pub fn from_base_u128(units: u128, decimals: u8) -> Result<Amount> {
        Amount::from_base_units(&units.to_string(), decimals)
    }

    /// Wraps a decimal, refusing negatives.
    pub fn from_decimal(value: Decimal) -> Result<Amount> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(err::invalid_amount(format!("{value} is negative")));
        }
        Ok(Amount(value.normalize()))
    }

    /// The amount in integer base units of a token with `decimals` decimals.
    pub fn to_base_units(self, decimals: u8) -> Result<u128> {
        check_decimals(decimals)?;
        let value = self.0.normalize();
        let scale = value.scale();
        if scale > u32::from(decimals) {
            return Err(err::invalid_amount(format!(
                "{value} has more than {decimals} fraction digits"
            )));
        }
        let mantissa =
            u128::try_from(value.mantissa()).map_err(|_| err::invalid_amount("negative amount"))?;
        10u128
            .checked_pow(u32::from(decimals) - scale)
            .and_then(|factor| mantissa.checked_mul(factor))
            .ok_or_else(|| err::invalid_amount(format!("{value} overflows 128-bit base units")))
    }

    /// Checks that the amount fits a token of `decimals` decimals.
    pub fn check_scale(self, decimals: u8) -> Result<Amount> {
        if self.0.normalize().scale() > u32::from(decimals) {
            return Err(err::invalid_amount(format!(
                "{} has more than {decimals} fraction digits",
                self.0.normalize()
            )));
        }
        Ok(self)
    }

    /// The inner decimal.
    pub fn as_decimal(self) -> Decimal {
        self.0
    }

    /// True for zero.
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// Sum, or `INVALID_AMOUNT` on overflow.
    pub fn checked_add(self, other: Amount) -> Result<Amount> {
        self.0
            .checked_add(other.0)
            .map(|v| Amount(v.normalize()))
            .ok_or_else(|| err::invalid_amount("amount overflow"))
    }

    /// Difference, or `None` when it would be negative.
    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        if other.0 > self.0 {
            return None;
        }
        self.0.checked_sub(other.0).map(|v| Amount(v.normalize()))
    }

    /// The smaller of two amounts.
    pub fn min(self, other: Amount) -> Amount {
        if self <= other {
            self
        } else {
            other
        }
    }

    fn from_parts(mantissa: u128, scale: u32, text: &str) -> Result<Amount> {
        if mantissa > MAX_MANTISSA {
            return Err(overflow(text));
        }
        let signed = i128::try_from(mantissa).map_err(|_| overflow(text))?;
        let value = Decimal::try_from_i128_with_scale(signed, scale).map_err(|_| overflow(text))?;
        Ok(Amount(value.normalize()))
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.normalize())
    }
}

impl FromStr for Amount {
    type Err = crate::error::Error;

    /// Parses with the largest scale allowed; use [`Amount::parse`] to enforce a token's decimals.
    fn from_str(s: &str) -> Result<Self> {
        Amount::parse(s, MAX_DECIMALS)
    }
}

impl serde::Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A USD price for one whole token, observed at a unix time in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceQuote {
    /// USD per whole token.
    pub usd_per_token: Decimal,
    /// When the price was observed, in unix seconds.
    pub observed_at: u64,
}

impl PriceQuote {
    /// USD value of `amount` at this quote, refused when the quote is older than `max_age_secs` at `now`.
    pub fn usd_value(&self, amount: Amount, now: u64, max_age_secs: u64) -> Result<Decimal> {
        if self.usd_per_token.is_sign_negative() {
            return Err(err::invalid_amount("a price cannot be negative"));
        }
        let age = now.saturating_sub(self.observed_at);
        if age > max_age_secs {
            return Err(err::stale_price(format!(
                "price quote is {age}s old; at most {max_age_secs}s is accepted"
            )));
        }
        if self.observed_at > now.saturating_add(max_age_secs) {
            return Err(err::stale_price("price quote is dated in the future"));
        }
        usd_value(amount, self.usd_per_token)
    }
}

/// USD value of `amount` at `usd_per_token`, exact (no time check).
pub fn usd_value(amount: Amount, usd_per_token: Decimal) -> Result<Decimal> {
    if usd_per_token.is_sign_negative() && !usd_per_token.is_zero() {
        return Err(err::invalid_amount("a price cannot be negative"));
    }
    amount
        .0
        .checked_mul(usd_per_token)
        .map(|v| v.normalize())
        .ok_or_else(|| err::invalid_amount("USD value overflows"))
}

/// A decimal as the API, the scenario outputs and the webhooks write it: normalized (no trailing
/// zeros), and `0` for a zero of any sign or scale.
pub fn decimal_text(d: Decimal) -> String {
    if d.is_zero() {
        "0".to_owned()
    } else {
        d.normalize().to_string()
    }
}

/// Parses a non-negative decimal such as a price or ratio ("1.5"), exact.
pub fn parse_decimal(text: &str) -> Result<Decimal> {
    Amount::parse(text, MAX_DECIMALS).map(Amount::as_decimal)
}

fn check_decimals(decimals: u8) -> Result<()> {
    if decimals > MAX_DECIMALS {
        return Err(err::invalid_amount(format!(
            "a token has at most {MAX_DECIMALS} decimals, not {decimals}"
        )));
    }
    Ok(())
}

fn split_decimal(text: &str) -> Result<(&str, &str)> {
    let junk = || err::invalid_amount(format!("{text:?} is not a non-negative decimal number"));
    if text.is_empty() || text.len() > MAX_INPUT_LEN {
        return Err(junk());
    }
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => {
            if f.is_empty() {
                return Err(junk());
            }
            (i, f)
        }
        None => (text, ""),
    };
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int_part.is_empty() || !digits_only(int_part) || !digits_only(frac_part) {
        if text.starts_with('-') {
            return Err(err::invalid_amount(format!("{text:?} is negative")));
        }
        return Err(junk());
    }
    Ok((int_part.trim_start_matches('0'), frac_part))
}

fn parse_u128(digits: &str, text: &str) -> Result<u128> {
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Ok(0);
    }
    digits.parse::<u128>().map_err(|_| overflow(text))
}

fn overflow(text: &str) -> crate::error::Error {
    err::invalid_amount(format!(
        "{text:?} is too large (at most 28 significant digits)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn code(r: Result<Amount>) -> ErrorCode {
        r.expect_err("should fail").code()
    }

    #[test]
    fn decimal_text_is_normalized_and_zero_is_0() {
        let d = |t: &str| t.parse::<Decimal>().expect(t);
        for (value, text) in [
            ("1.500", "1.5"),
            ("100", "100"),
            ("0.000", "0"),
            ("-0.00", "0"),
            ("0.000001000", "0.000001"),
        ] {
            assert_eq!(decimal_text(d(value)), text, "{value}");
        }
    }

    #[test]
    fn parses_and_formats() {
        assert_eq!(Amount::parse("12.5", 6).unwrap().to_string(), "12.5");
        assert_eq!(Amount::parse("0", 6).unwrap().to_string(), "0");
        assert_eq!(Amount::parse("0.000000", 6).unwrap().to_string(), "0");
        assert_eq!(Amount::parse("007.10", 6).unwrap().to_string(), "7.1");
        assert_eq!(
            Amount::parse("1.123456", 6).unwrap().to_string(),
            "1.123456"
        );
        assert_eq!(
            Amount::parse("1.1234560", 6).unwrap().to_string(),
            "1.123456"
        );
        assert_eq!(Amount::parse("5", 0).unwrap().to_string(), "5");
    }

    #[test]
    fn refuses_bad_text() {
        for bad in [
            "", " 1", "1 ", "-1", "+1", "1e5", "1.", ".5", "abc", "1.2.3", "0x10", "NaN", "1,5",
            "١",
        ] {
            assert_eq!(
                code(Amount::parse(bad, 18)),
                ErrorCode::InvalidAmount,
                "{bad:?}"
            );
        }
        assert_eq!(
            code(Amount::parse("1.1234567", 6)),
            ErrorCode::InvalidAmount
        );
        assert_eq!(code(Amount::parse("0.1", 0)), ErrorCode::InvalidAmount);
        assert_eq!(code(Amount::parse("1", 29)), ErrorCode::InvalidAmount);
        assert_eq!(
            code(Amount::parse(&"9".repeat(200), 6)),
            ErrorCode::InvalidAmount
        );
    }

    #[test]
    fn overflow_is_refused_not_rounded() {
        // 2^96 - 1 is the largest mantissa.
        assert!(Amount::parse("79228162514264337593543950335", 0).is_ok());
        assert_eq!(
            code(Amount::parse("79228162514264337593543950336", 0)),
            ErrorCode::InvalidAmount
        );
        assert_eq!(
            code(Amount::parse(
                "99999999999999999999999999999999999999999",
                0
            )),
            ErrorCode::InvalidAmount
        );
        assert_eq!(
            code(Amount::parse("7922816251426433759354395033.51", 2)),
            ErrorCode::InvalidAmount
        );
    }

    #[test]
    fn base_units_round_trip() {
        let a = Amount::from_base_units("12500000", 6).unwrap();
        assert_eq!(a.to_string(), "12.5");
        assert_eq!(a.to_base_units(6).unwrap(), 12_500_000);
        let wei = Amount::from_base_units("1", 18).unwrap();
        assert_eq!(wei.to_string(), "0.000000000000000001");
        assert_eq!(wei.to_base_units(18).unwrap(), 1);
        assert_eq!(Amount::from_base_units("0", 18).unwrap().to_string(), "0");
        assert_eq!(
            Amount::parse("1.5", 18).unwrap().to_base_units(18).unwrap(),
            1_500_000_000_000_000_000
        );
        // a round value beyond 2^96 base units still fits once trailing zeros go
        let big = Amount::from_base_units("100000000000000000000000000000000", 18).unwrap();
        assert_eq!(big.to_string(), "100000000000000");
        assert_eq!(
            code(Amount::from_base_units("-1", 6)),
            ErrorCode::InvalidAmount
        );
        assert_eq!(
            code(Amount::from_base_units("1.5", 6)),
            ErrorCode::InvalidAmount
        );
        assert_eq!(
            code(Amount::from_base_units("", 6)),
            ErrorCode::InvalidAmount
        );
        assert_eq!(
            code(Amount::from_base_units(
                "123456789012345678901234567890123",
                18
            )),
            ErrorCode::InvalidAmount
        );
        assert!(Amount::parse("1.5", 6).unwrap().to_base_units(0).is_err());
        // 28-digit integer with 18 decimals does not fit u128 base units
        assert!(Amount::parse("7922816251426433759354395033", 18)
            .unwrap()
            .to_base_units(18)
            .is_err());
    }

    #[test]
    fn usd_value_uses_quote_and_refuses_stale() {
        let quote = PriceQuote {
            usd_per_token: Decimal::new(2, 0),
            observed_at: 1_000,
        };
        let a = Amount::parse("12.5", 6).unwrap();
        assert_eq!(quote.usd_value(a, 1_030, 60).unwrap(), Decimal::new(25, 0));
        assert_eq!(
            quote.usd_value(a, 1_061, 60).unwrap_err().code(),
            ErrorCode::StalePrice
        );
        assert_eq!(
            quote.usd_value(a, 900, 60).unwrap_err().code(),
            ErrorCode::StalePrice
        );
    }

    #[test]
    fn arithmetic() {
        let a = Amount::parse("1.5", 6).unwrap();
        let b = Amount::parse("0.5", 6).unwrap();
        assert_eq!(a.checked_add(b).unwrap().to_string(), "2");
        assert_eq!(a.checked_sub(b).unwrap().to_string(), "1");
        assert!(b.checked_sub(a).is_none());
    }
}
