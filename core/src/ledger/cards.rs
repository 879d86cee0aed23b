//! Card funding: a top-up moves a token out of a wallet of the same client and credits its USD
//! value to a card; a refund moves USD off a card and credits its token value to a wallet. Both
//! at a USD price the caller takes from the platform's price source.
//!
//! Each is one movement of two legs, one per unit, through the client's card-funding system
//! accounts (`cards/CLIENT/CHAIN/TOKEN` and `cards/CLIENT/USD`), so every unit still sums to zero:
//! the token leaves the end user's balance (and the holding wallet's liabilities) for the
//! platform's card programme, and USD comes out of it onto the card.

use super::*;

impl Ledger {
    /// Funds `card` with `amount` of `token` taken from the wallet `from`, valued at `usd_price`;
    /// the card is credited with the USD value, which must reach the card minimum deposit.
    pub fn card_top_up(
        &mut self,
        id: &str,
        card: &str,
        from: &str,
        token: &str,
        amount: Amount,
        usd_price: Decimal,
    ) -> Result<(Movement, Decimal)> {
        check_id("operation", id)?;
        let (chain, token, decimals) = self.funding_side(card, from, token, true)?;
        let usd = rules::usd_value(amount, usd_price)?;
        let movement = Movement::CardTopUp {
            card: card.to_owned(),
            from: from.to_owned(),
            token: token.clone(),
            amount,
            usd: Amount::from_decimal(usd)?,
        };
        if Self::seen(&self.movements, id, &movement)? {
            return Ok((movement, usd));
        }
        rules::check_positive(amount.check_scale(decimals)?)?;
        let src = self.wallet(from)?;
        rules::check_sender(src, from)?;
        let total = src
            .balances
            .get(&token)
            .map(Balance::total)
            .unwrap_or_default();
        rules::check_internal_transfer(Self::available(src, &token, total), amount)?;
        rules::check_card_minimum("card top-up", usd, self.config.min_deposit_usd.card)?;
        let client = src.client.clone();
        let legs = [
            Leg {
                from: Book::Wallet(from.to_owned(), token.clone()),
                to: Book::System(SystemAccount::CardFunding {
                    client: client.clone(),
                    chain: chain.clone(),
                    token: token.clone(),
                }),
                amount: amount.as_decimal(),
            },
            Leg {
                from: Book::System(SystemAccount::CardUsd {
                    client: client.clone(),
                }),
                to: Book::Wallet(card.to_owned(), USD.to_owned()),
                amount: usd,
            },
        ];
        let m = self.post_movement(&legs, Records::Movements, id, movement)?;
        Ok((m, usd))
    }

    /// Funds `card` from outside the books (a sandbox's simulated external top-up): `amount` of
    /// `token` at `usd_price`, refused under the card minimum, posted and confirmed at once as
    /// deposit `tx`. A retry with the same contents answers the same deposit.
    pub fn card_external_deposit(
        &mut self,
        tx: &str,
        card: &str,
        token: &str,
        amount: Amount,
        usd_price: Decimal,
    ) -> Result<DepositResult> {
        let usd = rules::usd_value(amount, usd_price)?;
        rules::check_card_minimum("card deposit", usd, self.config.min_deposit_usd.card)?;
        let result = self.deposit(DepositRequest {
            tx: tx.to_owned(),
            to: card.to_owned(),
            token: token.to_owned(),
            amount,
            usd_price,
        })?;
        self.confirm(tx)?;
        Ok(result)
    }

    /// Returns `usd` (all of the card's balance when `None`) from `card` to the wallet `to`, as
    /// `token` valued at `usd_price` (rounded down to the token's decimals).
    pub fn card_refund(
        &mut self,
        id: &str,
        card: &str,
        to: &str,
        token: &str,
        usd: Option<Amount>,
        usd_price: Decimal,
    ) -> Result<Movement> {
        check_id("operation", id)?;
        let (chain, token, decimals) = self.funding_side(card, to, token, false)?;
        if let Some(m) = self.movements.get(id) {
            // A retry answers the first outcome; other contents under the same id are refused.
            return match m {
                Movement::CardRefund {
                    card: c,
                    to: t,
                    token: k,
                    ..
                } if c == card && t == to && *k == token => Ok(m.clone()),
                _ => Err(err::duplicate_operation(format!(
                    "operation {id} was already used with other contents"
                ))),
            };
        }
        let held = self
            .wallet(card)?
            .balances
            .get(USD)
            .map(Balance::total)
            .unwrap_or_default();
        let usd = match usd {
            Some(a) => a.as_decimal(),
            None => held,
        };
        let usd_amount = Amount::from_decimal(usd)?;
        rules::check_positive(usd_amount)?;
        rules::check_internal_transfer(held, usd_amount)?;
        let amount = tokens_for(usd, usd_price, decimals, &token)?;
        let client = self.wallet(card)?.client.clone();
        let movement = Movement::CardRefund {
            card: card.to_owned(),
            to: to.to_owned(),
            token: token.clone(),
            amount,
            usd: usd_amount,
        };
        let legs = [
            Leg {
                from: Book::Wallet(card.to_owned(), USD.to_owned()),
                to: Book::System(SystemAccount::CardUsd {
                    client: client.clone(),
                }),
                amount: usd,
            },
            Leg {
                from: Book::System(SystemAccount::CardFunding {
                    client: client.clone(),
                    chain: chain.clone(),
                    token: token.clone(),
                }),
                to: Book::Wallet(to.to_owned(), token),
                amount: amount.as_decimal(),
            },
        ];
        self.post_movement(&legs, Records::Movements, id, movement)
    }

    /// Checks a card (not removed; not blocked when it is to be funded) and the wallet on the
    /// other side: a virtual or treasury wallet of the same client, a token of its chain.
    fn funding_side(
        &self,
        card: &str,
        wallet: &str,
        token: &str,
        funding: bool,
    ) -> Result<(String, String, u8)> {
        let c = self.wallet(card)?;
        if c.kind != WalletKind::Card || c.removed {
            return Err(err::not_found(format!("no card {card}")));
        }
        if funding {
            rules::check_can_send(c.status, card)?;
        }
        let w = self.wallet(wallet)?;
        if !matches!(w.kind, WalletKind::Virtual | WalletKind::Treasury) {
            return Err(err::invalid_argument(format!(
                "wallet {wallet} is not a virtual or treasury wallet"
            )));
        }
        if w.client != c.client {
            return Err(err::not_found(format!("no wallet {wallet}")));
        }
        let chain = w.blockchain.clone().unwrap_or_default();
        let (token, decimals) = self.token_of(&chain, token)?;
        Ok((chain, token, decimals))
    }
}

/// How many tokens `usd` buys at `usd_price`, rounded down to the token's `decimals`; refused
/// when the price is not positive or the value is below the token's smallest unit.
fn tokens_for(usd: Decimal, usd_price: Decimal, decimals: u8, token: &str) -> Result<Amount> {
    if usd_price <= Decimal::ZERO {
        return Err(err::invalid_amount(
            "the USD price must be greater than zero",
        ));
    }
    let tokens = usd
        .checked_div(usd_price)
        .ok_or_else(|| err::invalid_amount("the refund's token value overflows"))?
        .round_dp_with_strategy(u32::from(decimals), rust_decimal::RoundingStrategy::ToZero);
    let amount = Amount::from_decimal(tokens)?;
    if amount.is_zero() {
        return Err(err::invalid_amount(format!(
            "{} USD is worth less than the smallest unit of {token}",
            usd.normalize()
        )));
    }
    Ok(amount)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_funded_from_outside_gets_the_usd_value_from_the_minimum_up() {
        let mut l = Ledger::new(Config::default());
        l.create_account("c1", "a1").unwrap();
        l.create_card("a1", "card1").unwrap();
        let amount = |t: &str| Amount::parse(t, 6).unwrap();
        // 5 USDT at 1 USD is under the card minimum (10 USD by default): nothing is posted.
        let e = l
            .card_external_deposit("tx1", "card1", "USDT", amount("5"), Decimal::ONE)
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::BelowMinimumDeposit, "{e}");
        assert!(l.deposit_record("tx1").is_none());
        let r = l
            .card_external_deposit("tx2", "card1", "USDT", amount("20"), Decimal::TWO)
            .unwrap();
        assert_eq!(r.credited, Decimal::from(40));
        let usd = l
            .wallet("card1")
            .unwrap()
            .balances
            .get(USD)
            .copied()
            .unwrap();
        assert_eq!(
            (usd.posted, usd.pending),
            (Decimal::from(40), Decimal::ZERO)
        );
        // A retry answers the same deposit and credits nothing more.
        let again = l
            .card_external_deposit("tx2", "card1", "USDT", amount("20"), Decimal::TWO)
            .unwrap();
        assert_eq!(again, r);
        assert_eq!(
            l.wallet("card1").unwrap().balances.get(USD).unwrap().posted,
            Decimal::from(40)
        );
    }
}
