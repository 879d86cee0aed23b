//! Applying legs: balances, the per-holding sums, and the records that tell a retry from a conflict.

use super::*;

impl Ledger {
    /// The token's canonical symbol and decimals on a wallet's blockchain.
    pub(super) fn token_of(&self, chain: &str, token: &str) -> Result<(String, u8)> {
        let t = self.registry.token(chain, token)?;
        Ok((t.symbol.clone(), t.decimals))
    }

    pub(super) fn balance_mut(&mut self, book: &Book) -> Result<&mut Balance> {
        Ok(match book {
            Book::Wallet(w, t) => entry(&mut self.wallet_mut(w)?.balances, t),
            Book::OnChain(w, t) => entry(&mut self.wallet_mut(w)?.on_chain, t),
            Book::Holding(h, t) => self
                .holdings
                .entry(h.clone())
                .or_default()
                .position
                .entry(t.clone())
                .or_default(),
            Book::System(k) => self.system.entry(k.clone()).or_default(),
        })
    }

    pub(super) fn balance_of(&self, book: &Book) -> Balance {
        match book {
            Book::Wallet(w, t) => self.wallets.get(w).and_then(|w| w.balances.get(t)).copied(),
            Book::OnChain(w, t) => self.wallets.get(w).and_then(|w| w.on_chain.get(t)).copied(),
            Book::Holding(h, t) => self
                .holdings
                .get(h)
                .and_then(|h| h.position.get(t))
                .copied(),
            Book::System(k) => self.system.get(k).copied(),
        }
        .unwrap_or_default()
    }

    /// Applies legs atomically: every new balance is computed (checked) before any is written.
    pub(super) fn apply(&mut self, legs: &[Leg], phase: Phase, movement_id: &str) -> Result<()> {
        let overflow = || err::invalid_amount("balance overflow");
        // (book, balance before, balance after); at most a handful of entries.
        let mut changes: Vec<(&Book, Balance, Balance)> = Vec::with_capacity(legs.len() * 2);
        for leg in legs {
            for (book, sign) in [(&leg.from, Decimal::NEGATIVE_ONE), (&leg.to, Decimal::ONE)] {
                let delta = leg.amount * sign;
                let slot = changes.iter().position(|(b, _, _)| *b == book);
                let current = match slot {
                    Some(i) => changes[i].2,
                    None => self.balance_of(book),
                };
                let (posted, pending) = match phase {
                    Phase::Post => (current.posted.checked_add(delta), Some(current.pending)),
                    Phase::Pending => (Some(current.posted), current.pending.checked_add(delta)),
                    Phase::PostPending => (
                        current.posted.checked_add(delta),
                        current.pending.checked_sub(delta),
                    ),
                    Phase::VoidPending => {
                        (Some(current.posted), current.pending.checked_sub(delta))
                    }
                };
                let next = Balance {
                    posted: posted.ok_or_else(overflow)?,
                    pending: pending.ok_or_else(overflow)?,
                };
                match slot {
                    Some(i) => changes[i].2 = next,
                    None => changes.push((book, current, next)),
                }
            }
        }
        self.check_representable(&changes)?;
        for (book, before, next) in changes {
            *self.balance_mut(book)? = next;
            self.update_caches(book, next.total() - before.total());
            if let Some(postings) = self.journal.as_mut() {
                postings.push(journal::Posting {
                    movement_id: movement_id.to_owned(),
                    account: journal::account_of(book),
                    token: journal::unit_of(book).to_owned(),
                    posted: next.posted - before.posted,
                    pending: next.pending - before.pending,
                    after: next,
                });
            }
        }
        Ok(())
    }

    /// Checks that the balances a movement leaves, their totals and the per-holding sums they
    /// change all stay within `Decimal`'s range (INVALID_AMOUNT otherwise), before any is written.
    pub(super) fn check_representable(&self, changes: &[(&Book, Balance, Balance)]) -> Result<()> {
        let overflow = || err::invalid_amount("amount too large: a balance would overflow");
        // (holding, token, liability?) -> change of its sum
        let mut sums: Vec<((&str, &str, bool), Decimal)> = Vec::new();
        for (book, before, next) in changes {
            let next_total = next.posted.checked_add(next.pending).ok_or_else(overflow)?;
            let delta = next_total
                .checked_sub(before.total())
                .ok_or_else(overflow)?;
            if let Some(slot) = self.cache_slot(book) {
                match sums.iter_mut().find(|(s, _)| *s == slot) {
                    Some((_, d)) => *d = d.checked_add(delta).ok_or_else(overflow)?,
                    None => sums.push((slot, delta)),
                }
            }
        }
        for ((holding, token, liability), delta) in sums {
            let current = self
                .holdings
                .get(holding)
                .and_then(|h| {
                    if liability {
                        h.liabilities.get(token)
                    } else {
                        h.in_transit.get(token)
                    }
                })
                .copied()
                .unwrap_or_default();
            current.checked_add(delta).ok_or_else(overflow)?;
        }
        Ok(())
    }

    /// The per-holding sum a book counts in: (holding, token, liability or in transit).
    pub(super) fn cache_slot<'b>(&'b self, book: &'b Book) -> Option<(&'b str, &'b str, bool)> {
        let (wallet, token, liability) = match book {
            Book::Wallet(w, t) => (w, t, true),
            Book::OnChain(w, t) => (w, t, false),
            _ => return None,
        };
        let w = self.wallets.get(wallet)?;
        (w.kind == WalletKind::Virtual).then_some((w.holding.as_str(), token.as_str(), liability))
    }

    /// Keeps the per-holding liabilities and in-transit sums in step with virtual balances
    /// (checked beforehand by [`Ledger::check_representable`]).
    pub(super) fn update_caches(&mut self, book: &Book, delta_total: Decimal) {
        if delta_total.is_zero() {
            return;
        }
        let (wallet, token, liability) = match book {
            Book::Wallet(w, t) => (w, t, true),
            Book::OnChain(w, t) => (w, t, false),
            _ => return,
        };
        let Some(w) = self.wallets.get(wallet) else {
            return;
        };
        if w.kind != WalletKind::Virtual {
            return;
        }
        let holding = match self.holdings.get_mut(&w.holding) {
            Some(h) => h,
            None => self.holdings.entry(w.holding.clone()).or_default(),
        };
        let map = if liability {
            &mut holding.liabilities
        } else {
            &mut holding.in_transit
        };
        let sum = entry(map, token);
        *sum = sum.checked_add(delta_total).unwrap_or(*sum).normalize();
    }

    /// Posts a movement's legs and records it under its id, so a retry answers it again.
    pub(super) fn post_movement(
        &mut self,
        legs: &[Leg],
        records: Records,
        id: &str,
        movement: Movement,
    ) -> Result<Movement> {
        self.apply(legs, Phase::Post, id)?;
        let map = match records {
            Records::Movements => &mut self.movements,
            Records::Sweeps => &mut self.sweeps,
        };
        map.insert(id.to_owned(), movement.clone());
        Ok(movement)
    }

    /// Looks up a movement id: `Some(())` when it is a retry of the same movement.
    pub(super) fn seen(
        map: &HashMap<String, Movement>,
        id: &str,
        movement: &Movement,
    ) -> Result<bool> {
        match map.get(id) {
            Some(previous) if previous == movement => Ok(true),
            Some(_) => Err(err::duplicate_operation(format!(
                "operation {id} was already used with other contents"
            ))),
            None => Ok(false),
        }
    }
}
