//! Payment cards: number checks (Luhn), masking, expiry, and issuing virtual card numbers.
//!
//! Full card numbers are never stored by waas: the host keeps the last four digits and the brand.

use crate::error::{err, ErrorCode, Result};

/// What is kept of a card number.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CardNumber {
    /// The last four digits.
    pub last4: String,
    /// Card brand from the number's prefix.
    pub brand: &'static str,
}

/// True when the digits pass the Luhn check.
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, c) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

fn brand(digits: &str) -> &'static str {
    let two: u32 = digits.get(..2).and_then(|p| p.parse().ok()).unwrap_or(0);
    let four: u32 = digits.get(..4).and_then(|p| p.parse().ok()).unwrap_or(0);
    match () {
        _ if digits.starts_with('4') => "visa",
        _ if (51..=55).contains(&two) || (2221..=2720).contains(&four) => "mastercard",
        _ if two == 34 || two == 37 => "amex",
        _ => "other",
    }
}

/// Checks a card number (12 to 19 digits, spaces and dashes allowed, Luhn) and keeps what may be kept.
pub fn check_number(text: &str) -> Result<CardNumber> {
    let digits: String = text.chars().filter(|c| *c != ' ' && *c != '-').collect();
    if !(12..=19).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err::invalid_argument(
            "number: a card number has 12 to 19 digits",
        ));
    }
    if !luhn_valid(&digits) {
        return Err(err::invalid_argument(
            "number: the card number's check digit is wrong",
        ));
    }
    Ok(CardNumber {
        last4: digits[digits.len() - 4..].to_owned(),
        brand: brand(&digits),
    })
}

/// The masked number shown in details: `**** **** **** 1234`.
pub fn mask(last4: &str) -> String {
    format!("**** **** **** {last4}")
}

/// The (year, month) of a unix time in seconds (UTC, proleptic Gregorian).
pub fn year_month(unix_secs: i64) -> (i64, u32) {
    let days = unix_secs.div_euclid(86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, u32::try_from(month).unwrap_or(1))
}

/// Parses an expiry `MM/YY` or `MM/YYYY` and refuses one already past at `now` (unix seconds).
pub fn check_expiry(text: &str, now_unix_secs: i64) -> Result<(i64, u32)> {
    let bad = || err::invalid_argument(format!("expiry: {text:?} is not MM/YY"));
    let (m, y) = text.trim().split_once('/').ok_or_else(bad)?;
    let month: u32 = m.parse().map_err(|_| bad())?;
    let mut year: i64 = y.parse().map_err(|_| bad())?;
    if !(1..=12).contains(&month) || !(y.len() == 2 || y.len() == 4) {
        return Err(bad());
    }
    if y.len() == 2 {
        year += 2000;
    }
    let (now_year, now_month) = year_month(now_unix_secs);
    if (year, month) < (now_year, now_month) {
        return Err(err::invalid_argument(format!(
            "expiry: {text} is in the past"
        )));
    }
    if year > now_year + 20 {
        return Err(err::invalid_argument(format!(
            "expiry: {text} is too far ahead"
        )));
    }
    Ok((year, month))
}

/// A new virtual card number: `bin`, random digits, and a Luhn check digit (16 digits).
pub fn issue_number(bin: &str) -> Result<String> {
    if bin.is_empty() || bin.len() > 8 || !bin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err::invalid_argument("a BIN has 1 to 8 digits"));
    }
    let mut random = [0u8; 15];
    crate::random::fill(&mut random)?;
    let mut number = bin.to_owned();
    for r in random.iter().take(15 - bin.len()) {
        number.push(char::from(b'0' + r % 10));
    }
    for check in 0..10u8 {
        let candidate = format!("{number}{}", char::from(b'0' + check));
        if luhn_valid(&candidate) {
            return Ok(candidate);
        }
    }
    Err(err::invalid_argument("no check digit"))
}

/// Whether a card payment refused with `code` is a decline: the card, its balance or its
/// spending limit said no (reported to the client as a declined transaction, as a card network
/// would), rather than a malformed request (nothing recorded).
pub fn is_decline(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::InsufficientFunds
            | ErrorCode::WalletInactive
            | ErrorCode::WalletFrozen
            | ErrorCode::SpendingLimitExceeded
    )
}

/// Refuses funding a card from outside the client's wallets (a simulated external top-up) on a
/// live host: live cards are funded from a wallet of the client (INVALID_ARGUMENT).
pub fn check_funding_source(
    environment: crate::access::Environment,
    from_wallet: bool,
) -> Result<()> {
    if !from_wallet && environment == crate::access::Environment::Live {
        return Err(err::invalid_argument(
            "from_wallet_id: a live card is funded from a wallet of the client",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_live_card_is_funded_from_a_wallet() {
        use crate::access::Environment;
        assert!(super::check_funding_source(Environment::Sandbox, false).is_ok());
        assert!(super::check_funding_source(Environment::Live, true).is_ok());
        let e = super::check_funding_source(Environment::Live, false).unwrap_err();
        assert_eq!(e.code(), super::ErrorCode::InvalidArgument);
    }

    #[test]
    fn declines_are_what_the_card_says_not_malformed_requests() {
        assert!(is_decline(ErrorCode::InsufficientFunds));
        assert!(is_decline(ErrorCode::SpendingLimitExceeded));
        assert!(is_decline(ErrorCode::WalletFrozen));
        assert!(!is_decline(ErrorCode::InvalidAmount));
        assert!(!is_decline(ErrorCode::NotFound));
    }

    use super::*;

    #[test]
    fn luhn_and_masking() {
        let c = check_number("4242 4242 4242 4242").unwrap();
        assert_eq!(c.last4, "4242");
        assert_eq!(c.brand, "visa");
        assert_eq!(
            check_number("5555555555554444").unwrap().brand,
            "mastercard"
        );
        assert!(check_number("4242424242424241").is_err());
        assert!(check_number("1234").is_err());
        assert_eq!(mask("4242"), "**** **** **** 4242");
        for _ in 0..20 {
            let n = issue_number("400000").unwrap();
            assert_eq!(n.len(), 16);
            assert!(check_number(&n).is_ok());
        }
    }

    #[test]
    fn expiry() {
        let nov_2026 = 1_795_000_000; // 2026-11
        assert_eq!(year_month(nov_2026), (2026, 11));
        assert_eq!(year_month(0), (1970, 1));
        assert!(check_expiry("11/26", nov_2026).is_ok());
        assert!(check_expiry("10/26", nov_2026).is_err());
        assert!(check_expiry("12/2030", nov_2026).is_ok());
        assert!(check_expiry("13/30", nov_2026).is_err());
        assert!(check_expiry("garbage", nov_2026).is_err());
    }
}
