//! Movements: card payments, sweeps, transfers, holding credits and withdrawals, and their settled records.

use super::*;

impl Ledger {
    /// A card payment (point of sale) of `amount` USD: needs an active card and the balance.
    pub fn card_payment(&mut self, id: &str, card: &str, amount: Amount) -> Result<Movement> {
        check_id("operation", id)?;
        let w = self.wallet(card)?;
        if w.kind != WalletKind::Card {
            return Err(err::invalid_argument(format!("{card} is not a card")));
        }
        let movement = Movement::CardPayment {
            card: card.to_owned(),
            amount,
        };
        if Self::seen(&self.movements, id, &movement)? {
            return Ok(movement);
        }
        rules::check_positive(amount.check_scale(2)?)?;
        rules::check_can_send(w.status, card)?;
        if let Some(limit) = w.spending_limit.filter(|l| amount.as_decimal() > *l) {
            return Err(err::spending_limit_exceeded(format!(
                "{amount} USD is over the card's spending limit of {} USD",
                limit.normalize()
            ))
            .with_detail(Detail::Limit {
                limit: limit.normalize(),
                value: amount.as_decimal().normalize(),
            }));
        }
        let total = w.balances.get(USD).map(Balance::total).unwrap_or_default();
        rules::check_internal_transfer(total, amount)?;
        let leg = Leg {
            from: Book::Wallet(card.to_owned(), USD.to_owned()),
            to: Book::System(SystemAccount::ExternalUsd),
            amount: amount.as_decimal(),
        };
        self.post_movement(&[leg], Records::Movements, id, movement)
    }

    /// Rule 3: a sweep moves funds from a virtual address to the holding wallet on chain;
    /// virtual balances do not change. Only confirmed funds at the address can be swept.
    pub fn sweep(&mut self, tx: &str, from: &str, token: &str, amount: Amount) -> Result<Movement> {
        check_id("transaction", tx)?;
        let w = self.virtual_wallet(from)?;
        let chain = w.blockchain.clone().unwrap_or_default();
        let (token, decimals) = self.token_of(&chain, token)?;
        let movement = Movement::Sweep {
            from: from.to_owned(),
            token: token.clone(),
            amount,
        };
        if Self::seen(&self.sweeps, tx, &movement)? {
            return Ok(movement);
        }
        rules::check_positive(amount.check_scale(decimals)?)?;
        let at_address = self
            .balance_of(&Book::OnChain(from.to_owned(), token.clone()))
            .posted;
        if at_address < amount.as_decimal() {
            return Err(err::insufficient_funds(format!(
                "the address of {from} holds {} confirmed {token}, less than {amount}",
                at_address.normalize()
            ))
            .with_detail(Detail::Shortfall {
                needed: amount.as_decimal().normalize(),
                available: at_address.normalize(),
            }));
        }
        let client = self.virtual_wallet(from)?.client.clone();
        let leg = Leg {
            from: Book::OnChain(from.to_owned(), token.clone()),
            to: Book::Holding(HoldingKey::new(&client, &chain), token),
            amount: amount.as_decimal(),
        };
        self.post_movement(&[leg], Records::Sweeps, tx, movement)
    }

    /// Rule 8: an instant, off-chain transfer between two virtual wallets of one client and chain.
    pub fn transfer(
        &mut self,
        id: &str,
        from: &str,
        to: &str,
        token: &str,
        amount: Amount,
    ) -> Result<Movement> {
        check_id("operation", id)?;
        let src = self.virtual_wallet(from)?;
        let dst = self.virtual_wallet(to)?;
        let chain = src.blockchain.as_deref().unwrap_or_default();
        let (token, decimals) = self.token_of(chain, token)?;
        let movement = Movement::Transfer {
            from: from.to_owned(),
            to: to.to_owned(),
            token: token.clone(),
            amount,
        };
        if Self::seen(&self.movements, id, &movement)? {
            return Ok(movement);
        }
        // One holding key is one client and blockchain (client ids cannot hold '/').
        if src.holding != dst.holding {
            return Err(err::invalid_argument(
                "virtual transfers stay within one client's holding wallet: same client and blockchain",
            ));
        }
        if from == to {
            return Err(err::invalid_argument(
                "source and destination are the same wallet",
            ));
        }
        rules::check_positive(amount.check_scale(decimals)?)?;
        rules::check_sender(src, from)?;
        let total = src
            .balances
            .get(&token)
            .map(Balance::total)
            .unwrap_or_default();
        rules::check_internal_transfer(Self::available(src, &token, total), amount)?;
        let leg = Leg {
            from: Book::Wallet(from.to_owned(), token.clone()),
            to: Book::Wallet(to.to_owned(), token),
            amount: amount.as_decimal(),
        };
        self.post_movement(&[leg], Records::Movements, id, movement)
    }

    /// Rule 7 through a holding wallet named by its chain: INVALID_ARGUMENT when the virtual
    /// wallet is on another chain, else [`Ledger::holding_credit`].
    pub fn holding_transfer(
        &mut self,
        chain: &str,
        id: &str,
        to: &str,
        token: &str,
        amount: Amount,
    ) -> Result<Movement> {
        if self.virtual_wallet(to)?.blockchain.as_deref() != Some(chain) {
            return Err(err::invalid_argument(format!(
                "wallet {to} is not on {chain}"
            )));
        }
        self.holding_credit(id, to, token, amount)
    }

    /// Rule 7: the holding wallet credits a virtual wallet, even beyond what it holds (leverage).
    pub fn holding_credit(
        &mut self,
        id: &str,
        to: &str,
        token: &str,
        amount: Amount,
    ) -> Result<Movement> {
        check_id("operation", id)?;
        let dst = self.virtual_wallet(to)?;
        let chain = dst.blockchain.clone().unwrap_or_default();
        let client = dst.client.clone();
        let (token, decimals) = self.token_of(&chain, token)?;
        let movement = Movement::HoldingCredit {
            to: to.to_owned(),
            token: token.clone(),
            amount,
        };
        if Self::seen(&self.movements, id, &movement)? {
            return Ok(movement);
        }
        rules::check_positive(amount.check_scale(decimals)?)?;
        let leg = Leg {
            from: Book::System(SystemAccount::Issuance {
                client: client.to_owned(),
                chain: chain.to_owned(),
                token: token.clone(),
            }),
            to: Book::Wallet(to.to_owned(), token),
            amount: amount.as_decimal(),
        };
        self.post_movement(&[leg], Records::Movements, id, movement)
    }

    /// Rule 6: a withdrawal from a virtual or treasury wallet to an outside address.
    pub fn withdraw(
        &mut self,
        id: &str,
        from: &str,
        to_address: &str,
        token: &str,
        amount: Amount,
        fee: Amount,
    ) -> Result<Movement> {
        check_id("operation", id)?;
        let src = self.wallet(from)?.clone();
        let Some(chain) = src.blockchain.clone() else {
            return Err(err::invalid_argument(format!(
                "wallet {from} is a card; cards do not withdraw on chain"
            )));
        };
        let (token, decimals) = self.token_of(&chain, token)?;
        let family = self.registry.chain(&chain)?.family;
        let address = crate::address::Address::parse(family, to_address)?;
        let movement = Movement::Withdraw {
            from: from.to_owned(),
            to_address: address.to_string(),
            token: token.clone(),
            amount,
            fee,
        };
        if Self::seen(&self.movements, id, &movement)? {
            return Ok(movement);
        }
        self.check_allowed(&chain, &address.to_string())?;
        rules::check_positive(amount.check_scale(decimals)?)?;
        fee.check_scale(decimals)?;
        rules::check_sender(&src, from)?;
        let confirmed = Self::available(
            &src,
            &token,
            src.balances
                .get(&token)
                .map(Balance::confirmed)
                .unwrap_or_default(),
        );
        let (legs, holding) = self.withdrawal_legs(&src, from, &chain, &token, amount, fee);
        rules::check_withdrawal(confirmed, amount, fee, holding)?;
        let m = self.post_movement(&legs, Records::Movements, id, movement)?;
        self.open_withdrawal(id, m.clone(), legs);
        Ok(m)
    }

    /// The legs of a withdrawal (the amount out, the fee to the client, and for a virtual wallet
    /// the holding wallet's coins leaving on chain) and, for a virtual wallet, what the holding
    /// wallet holds.
    fn withdrawal_legs(
        &self,
        src: &Wallet,
        from: &str,
        chain: &str,
        token: &str,
        amount: Amount,
        fee: Amount,
    ) -> (Vec<Leg>, Option<Decimal>) {
        let hkey = HoldingKey::new(&src.client, chain);
        let mut legs = vec![Leg {
            from: Book::Wallet(from.to_owned(), token.to_owned()),
            to: Book::System(SystemAccount::External {
                chain: chain.to_owned(),
                token: token.to_owned(),
            }),
            amount: amount.as_decimal(),
        }];
        if !fee.is_zero() {
            legs.push(Leg {
                from: Book::Wallet(from.to_owned(), token.to_owned()),
                to: Book::System(SystemAccount::Fees {
                    client: src.client.clone(),
                    chain: chain.to_owned(),
                    token: token.to_owned(),
                }),
                amount: fee.as_decimal(),
            });
        }
        let holding = if src.kind == WalletKind::Virtual {
            legs.push(Leg {
                from: Book::Holding(hkey.clone(), token.to_owned()),
                to: Book::System(SystemAccount::Chain {
                    chain: chain.to_owned(),
                    token: token.to_owned(),
                }),
                amount: amount.as_decimal(),
            });
            Some(
                self.balance_of(&Book::Holding(hkey, token.to_owned()))
                    .posted,
            )
        } else {
            None
        };
        (legs, holding)
    }

    /// Rule 5: a partial withdrawal from a holding wallet, kept above the minimum reserve ratio.
    pub fn holding_withdraw(
        &mut self,
        id: &str,
        client: &str,
        blockchain: &str,
        token: &str,
        amount: Amount,
        to_address: &str,
    ) -> Result<Movement> {
        check_id("operation", id)?;
        let chain_info = self.registry.chain(blockchain)?;
        let chain = chain_info.id.as_str().to_owned();
        let address = crate::address::Address::parse(chain_info.family, to_address)?;
        let (token, decimals) = self.token_of(&chain, token)?;
        let movement = Movement::HoldingWithdraw {
            client: client.to_owned(),
            blockchain: chain.clone(),
            token: token.clone(),
            amount,
            to_address: address.to_string(),
        };
        if Self::seen(&self.movements, id, &movement)? {
            return Ok(movement);
        }
        self.check_allowed(&chain, &address.to_string())?;
        let key = HoldingKey::new(client, &chain);
        let holding = self.holdings.get(&key).ok_or_else(|| {
            err::not_found(format!("client {client} has no holding wallet on {chain}"))
        })?;
        rules::check_positive(amount.check_scale(decimals)?)?;
        let position = holding
            .position
            .get(&token)
            .map(|b| b.posted)
            .unwrap_or_default();
        let liabilities = holding.liabilities.get(&token).copied().unwrap_or_default();
        rules::check_holding_withdrawal(
            position,
            liabilities,
            amount,
            self.config.min_reserve_ratio,
        )?;
        // Below-minimum deposits waiting for a decision are not the platform's to withdraw.
        let withdrawable = self.reserve_of(&key, holding, &token)?.withdrawable;
        if amount.as_decimal() > withdrawable {
            return Err(err::reserve_ratio_violation(format!(
                "{amount} is more than the {} the holding wallet may send: below-minimum deposits worth {} wait for a decision",
                withdrawable.normalize(),
                self.unresolved_below_minimum(&key, &token).normalize()
            ))
            .with_detail(Detail::Reserve {
                required: (position - withdrawable).normalize(),
                would_keep: (position - amount.as_decimal()).normalize(),
            }));
        }
        let leg = Leg {
            from: Book::Holding(key, token.clone()),
            to: Book::System(SystemAccount::Chain {
                chain: chain.to_owned(),
                token: token.to_owned(),
            }),
            amount: amount.as_decimal(),
        };
        let m = self.post_movement(std::slice::from_ref(&leg), Records::Movements, id, movement)?;
        self.open_withdrawal(id, m.clone(), vec![leg]);
        Ok(m)
    }

    /// Removes and returns what is settled: movement and sweep records and deposits that are no
    /// longer pending. A host that keeps those in its database calls this after each operation
    /// so the ledger state stays the size of the live books, and gives records back with the
    /// `remember_*` calls before a retry, so the core still tells a retry from a conflict.
    pub fn take_settled(&mut self) -> Settled {
        let movements = self
            .movements
            .drain()
            .map(|(id, m)| (id.into(), m))
            .collect();
        let sweeps = self.sweeps.drain().map(|(tx, m)| (tx.into(), m)).collect();
        let settled: Vec<String> = self
            .deposits
            .iter()
            .filter(|(_, d)| d.status != DepositStatus::Pending)
            .map(|(tx, _)| tx.clone())
            .collect();
        let deposits = settled
            .iter()
            .filter_map(|tx| self.deposits.remove(tx))
            .collect();
        self.below_minimum
            .retain(|tx| self.deposits.contains_key(tx));
        Settled {
            movements,
            sweeps,
            deposits,
        }
    }

    /// Gives back a movement record taken by [`Ledger::take_settled`].
    pub fn remember_movement(&mut self, id: String, movement: Movement) {
        self.movements.insert(id.into(), movement);
    }

    /// Gives back a sweep record taken by [`Ledger::take_settled`].
    pub fn remember_sweep(&mut self, tx: String, movement: Movement) {
        self.sweeps.insert(tx.into(), movement);
    }

    /// Gives back a deposit record taken by [`Ledger::take_settled`].
    pub fn remember_deposit(&mut self, record: DepositRecord) {
        self.deposits.insert(record.request.tx.clone(), record);
    }
}
