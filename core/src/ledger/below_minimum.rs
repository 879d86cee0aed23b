//! Deposits under the minimum have an owner: they wait in the client's suspense account
//! (`suspense/CLIENT/CHAIN/UNIT`) until an operator decides, once, after the chain confirmed them:
//! credit one to the wallet it was sent to, or refund it to an outside address less the network
//! fee (a withdrawal with its lifecycle: if it fails, the deposit waits for a decision again).

use super::*;

impl Ledger {
    /// Credits a confirmed below-minimum deposit to its wallet by an operator's decision. A
    /// second call answers the same and moves nothing.
    pub fn credit_below_minimum(&mut self, tx: &str) -> Result<&DepositRecord> {
        let record = self
            .deposits
            .get(tx)
            .ok_or_else(|| err::not_found(format!("no deposit {tx}")))?;
        if !record.result.below_minimum {
            return Err(err::invalid_argument(format!(
                "deposit {tx} was not below the minimum: it was credited when it arrived"
            )));
        }
        if record.credited_by_decision {
            return self.deposit_of(tx);
        }
        if let Some(id) = &record.refunded_by {
            return Err(err::invalid_argument(format!(
                "deposit {tx} is being refunded by {id}"
            )));
        }
        if record.status != DepositStatus::Confirmed {
            return Err(err::invalid_argument(format!(
                "deposit {tx} is {}; only a confirmed deposit can be credited",
                format!("{:?}", record.status).to_lowercase()
            )));
        }
        // The suspense leg of the deposit names the account and the amount held for it.
        let held = record
            .legs
            .iter()
            .find(|l| matches!(&l.to, Book::System(a) if a.is_suspense()))
            .cloned()
            .ok_or_else(|| {
                err::invalid_argument(format!("deposit {tx} holds nothing in suspense"))
            })?;
        let unit = journal::unit_of(&held.to).to_owned();
        let leg = Leg {
            from: held.to,
            to: Book::Wallet(record.request.to.clone(), unit),
            amount: held.amount,
        };
        self.apply(&[leg], Phase::Post, &format!("{tx}:credit"))?;
        if let Some(r) = self.deposits.get_mut(tx) {
            r.credited_by_decision = true;
        }
        self.deposit_of(tx)
    }

    /// Sends a confirmed below-minimum deposit back to `to_address`, less `fee` (kept by the
    /// platform for the network fee), as withdrawal `id`. A second call with the same id answers
    /// the same and moves nothing.
    pub fn refund_below_minimum(
        &mut self,
        id: &str,
        tx: &str,
        to_address: &str,
        fee: Amount,
    ) -> Result<Movement> {
        check_id("operation", id)?;
        let record = self.deposit_of(tx)?;
        if record.refunded_by.as_deref() == Some(id) {
            return Ok(self.withdrawal(id)?.movement.clone());
        }
        refundable(tx, record)?;
        let wallet = self.wallet(&record.request.to)?.clone();
        let Some(chain) = wallet.blockchain.clone() else {
            return Err(err::invalid_argument(
                "a card deposit is not refunded on chain",
            ));
        };
        let family = self.registry.chain(&chain)?.family;
        let address = crate::address::Address::parse(family, to_address)?.to_string();
        self.check_allowed(&chain, &address)?;
        let token = record.result.token.clone();
        let (_, decimals) = self.token_of(&chain, &token)?;
        fee.check_scale(decimals)?;
        let amount = record.request.amount;
        let sent = amount
            .checked_sub(fee)
            .filter(|a| !a.is_zero())
            .ok_or_else(|| {
                err::invalid_amount(format!("the fee {fee} leaves nothing of {amount}"))
            })?;
        let to = record.request.to.clone();
        let legs = self.refund_legs(&wallet, &to, &chain, &token, sent, fee)?;
        let movement = Movement::DepositRefund {
            tx: tx.to_owned(),
            to_address: address,
            token,
            amount: sent,
            fee,
        };
        let m = self.post_movement(&legs, Records::Movements, id, movement)?;
        self.open_withdrawal(id, m.clone(), legs);
        if let Some(d) = self.deposits.get_mut(tx) {
            d.refunded_by = Some(id.to_owned());
        }
        Ok(m)
    }

    /// The legs of a refund of `sent` (and `fee`) out of the client's suspense, and for a
    /// virtual wallet what leaves on chain: from the deposit address if the funds are still
    /// there, else from the holding wallet they were swept to.
    fn refund_legs(
        &self,
        wallet: &Wallet,
        deposit_wallet: &str,
        chain: &str,
        token: &str,
        sent: Amount,
        fee: Amount,
    ) -> Result<Vec<Leg>> {
        let scope = || (wallet.client.clone(), chain.to_owned(), token.to_owned());
        let suspense = Book::System(SystemAccount::Suspense {
            client: scope().0,
            chain: scope().1,
            token: scope().2,
        });
        let mut legs = vec![Leg {
            from: suspense.clone(),
            to: Book::System(SystemAccount::External {
                chain: chain.to_owned(),
                token: token.to_owned(),
            }),
            amount: sent.as_decimal(),
        }];
        if !fee.is_zero() {
            legs.push(Leg {
                from: suspense,
                to: Book::System(SystemAccount::Fees {
                    client: scope().0,
                    chain: scope().1,
                    token: scope().2,
                }),
                amount: fee.as_decimal(),
            });
        }
        if wallet.kind == WalletKind::Virtual {
            let at_address = Book::OnChain(deposit_wallet.to_owned(), token.to_owned());
            let from = if self.balance_of(&at_address).posted >= sent.as_decimal() {
                at_address
            } else {
                Book::Holding(HoldingKey::new(&wallet.client, chain), token.to_owned())
            };
            let available = self.balance_of(&from).posted;
            if available < sent.as_decimal() {
                return Err(err::insufficient_funds(format!(
                    "the holding wallet cannot cover the refund of {sent} {token}"
                ))
                .with_detail(Detail::Shortfall {
                    needed: sent.as_decimal().normalize(),
                    available: available.normalize(),
                }));
            }
            legs.push(Leg {
                from,
                to: Book::System(SystemAccount::Chain {
                    chain: chain.to_owned(),
                    token: token.to_owned(),
                }),
                amount: sent.as_decimal(),
            });
        }
        Ok(legs)
    }

    fn deposit_of(&self, tx: &str) -> Result<&DepositRecord> {
        self.deposits
            .get(tx)
            .ok_or_else(|| err::not_found(format!("no deposit {tx}")))
    }
}

/// Whether a deposit can be refunded now: below the minimum, neither credited by decision nor
/// refunded by another operation, and confirmed.
fn refundable(tx: &str, record: &DepositRecord) -> Result<()> {
    if let Some(by) = &record.refunded_by {
        return Err(err::invalid_argument(format!(
            "deposit {tx} is already being refunded by {by}"
        )));
    }
    if !record.result.below_minimum || record.credited_by_decision {
        return Err(err::invalid_argument(format!(
            "deposit {tx} is not waiting for a decision: only an uncredited below-minimum deposit can be refunded"
        )));
    }
    if record.status != DepositStatus::Confirmed {
        return Err(err::invalid_argument(format!(
            "deposit {tx} is {}; only a confirmed deposit can be refunded",
            format!("{:?}", record.status).to_lowercase()
        )));
    }
    Ok(())
}
