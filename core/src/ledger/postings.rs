//! Applying legs: balances, the per-holding sums, and the records that tell a retry from a conflict.

use super::*;
use smallvec::SmallVec;

impl Ledger {
    /// The token's canonical symbol and decimals on a wallet's blockchain.
    pub(super) fn token_of(&self, chain: &str, token: &str) -> Result<(String, u8)> {
        let t = self.registry.token(chain, token)?;
        Ok((t.symbol.clone(), t.decimals))
    }

    pub(super) fn balance_mut(&mut self, book: &Book) -> Result<&mut Balance> {
        Ok(match book {
            Book::Wallet(w, t) => self.wallet_mut(w)?.balances.slot(t),
            Book::OnChain(w, t) => self.wallet_mut(w)?.on_chain.slot(t),
            Book::Holding(h, t) => entry(&mut entry(&mut self.holdings, h).position, t.as_str()),
            Book::System(a) => entry(&mut self.system, a),
        })
    }

    pub(super) fn balance_of(&self, book: &Book) -> Balance {
        match book {
            Book::Wallet(w, t) => self
                .wallets
                .get(w.as_str())
                .and_then(|w| w.balances.get(t))
                .copied(),
            Book::OnChain(w, t) => self
                .wallets
                .get(w.as_str())
                .and_then(|w| w.on_chain.get(t))
                .copied(),
            Book::Holding(h, t) => self
                .holdings
                .get(h)
                .and_then(|h| h.position.get(t))
                .copied(),
            Book::System(a) => self.system.get(a).copied(),
        }
        .unwrap_or_default()
    }

    /// A book's balance before a movement; NOT_FOUND for a wallet that does not exist (before
    /// anything is written, rather than when its balance would be).
    fn current(&self, book: &Book) -> Result<Balance> {
        let balance = match book {
            Book::Wallet(w, t) => self.wallet(w)?.balances.get(t),
            Book::OnChain(w, t) => self.wallet(w)?.on_chain.get(t),
            _ => return Ok(self.balance_of(book)),
        };
        Ok(balance.copied().unwrap_or_default())
    }

    /// Applies legs atomically: every new balance is computed (checked) before any is written.
    pub(super) fn apply(&mut self, legs: &[Leg], phase: Phase, movement_id: &str) -> Result<()> {
        let overflow = || err::invalid_amount("balance overflow");
        // The books the legs change, each with its balance before and after (a handful at most).
        let mut changes: SmallVec<[Change<'_>; 4]> = SmallVec::with_capacity(legs.len() * 2);
        for leg in legs {
            for (book, debit) in [(&leg.from, true), (&leg.to, false)] {
                let delta = signed(leg.amount, debit);
                let slot = changes.iter().position(|c| c.book == book);
                let current = match slot {
                    Some(i) => changes[i].next,
                    None => self.current(book)?,
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
                    Some(i) => changes[i].next = next,
                    None => changes.push(Change {
                        book,
                        before: current,
                        next,
                    }),
                }
            }
        }
        // The sums first: they borrow the wallets' holding keys, the balances are written after.
        let sums = holding_sums(&self.wallets, &self.holdings, &changes)?;
        debug_assert_balanced(&changes);
        debug_assert_floors(&changes, phase);
        for (holding, token, liability, delta) in sums {
            let holding = entry(&mut self.holdings, holding);
            let map = if liability {
                &mut holding.liabilities
            } else {
                &mut holding.in_transit
            };
            let sum = entry(map, token);
            *sum = sum.checked_add(delta).unwrap_or(*sum).normalize();
        }
        for Change { book, before, next } in changes {
            *self.balance_mut(book)? = next;
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
        map.insert(id.into(), movement.clone());
        Ok(movement)
    }

    /// Looks up a movement id: `Some(())` when it is a retry of the same movement.
    pub(super) fn seen(map: &ShortIdMap<Movement>, id: &str, movement: &Movement) -> Result<bool> {
        match map.get(id) {
            Some(previous) if previous == movement => Ok(true),
            Some(_) => Err(err::duplicate_operation(format!(
                "operation {id} was already used with other contents"
            ))),
            None => Ok(false),
        }
    }
}

/// A leg's amount as its change of one side: negative on the debited side. The same value as a
/// multiplication by -1 or 1 (a zero amount gives an unscaled zero), without one.
fn signed(amount: Decimal, debit: bool) -> Decimal {
    if amount.is_zero() {
        Decimal::ZERO
    } else if debit {
        -amount
    } else {
        amount
    }
}

/// A book's balance before and after a movement.
#[derive(Clone, Copy)]
struct Change<'b> {
    book: &'b Book,
    before: Balance,
    next: Balance,
}

/// A per-holding sum: holding wallet, token, and whether it is the liabilities (else in transit).
type Slot<'w> = (&'w HoldingKey, &'w str, bool);

/// A change of a per-holding sum: holding wallet, token, liabilities (else in transit), amount.
type Sum<'w> = (&'w HoldingKey, &'w str, bool, Decimal);

/// The per-holding sum a wallet's book counts in (virtual wallets only).
fn slot_of<'w>(wallets: &'w ShortIdMap<Wallet>, book: &'w Book) -> Option<Slot<'w>> {
    let (wallet, token, liability) = match book {
        Book::Wallet(w, t) => (w, t, true),
        Book::OnChain(w, t) => (w, t, false),
        _ => return None,
    };
    let w = wallets.get(wallet.as_str())?;
    (w.kind == WalletKind::Virtual).then_some((&w.holding, token.as_str(), liability))
}

/// The changes a movement makes to the per-holding liabilities and in-transit sums, one per sum
/// that a changed total counts in; INVALID_AMOUNT when a balance, a total or a sum would leave
/// `Decimal`'s range. Checked before any balance is written.
fn holding_sums<'w>(
    wallets: &'w ShortIdMap<Wallet>,
    holdings: &BTreeMap<HoldingKey, Holding>,
    changes: &[Change<'w>],
) -> Result<SmallVec<[Sum<'w>; 2]>> {
    let overflow = || err::invalid_amount("amount too large: a balance would overflow");
    let mut sums: SmallVec<[Sum<'w>; 2]> = SmallVec::new();
    for Change { book, before, next } in changes {
        let next_total = next.posted.checked_add(next.pending).ok_or_else(overflow)?;
        let delta = next_total
            .checked_sub(before.total())
            .ok_or_else(overflow)?;
        // A book whose total does not move leaves its sum as it is.
        if delta.is_zero() {
            continue;
        }
        if let Some((holding, token, liability)) = slot_of(wallets, book) {
            match sums
                .iter_mut()
                .find(|(h, t, l, _)| (*h, *t, *l) == (holding, token, liability))
            {
                Some((.., d)) => *d = d.checked_add(delta).ok_or_else(overflow)?,
                None => sums.push((holding, token, liability, delta)),
            }
        }
    }
    for (holding, token, liability, delta) in &sums {
        let current = holdings
            .get(*holding)
            .and_then(|h| {
                if *liability {
                    h.liabilities.get(*token)
                } else {
                    h.in_transit.get(*token)
                }
            })
            .copied()
            .unwrap_or_default();
        current.checked_add(*delta).ok_or_else(overflow)?;
    }
    Ok(sums)
}

/// The double-entry invariant of a movement: in every unit, the posted and the pending changes
/// of the books it touches each sum to zero (checked in debug builds and tests).
fn debug_assert_balanced(changes: &[Change<'_>]) {
    if cfg!(debug_assertions) {
        let mut sums: Vec<(&str, Decimal, Decimal)> = Vec::new();
        for Change { book, before, next } in changes {
            let unit = journal::unit_of(book);
            let (p, q) = (next.posted - before.posted, next.pending - before.pending);
            match sums.iter_mut().find(|(u, _, _)| *u == unit) {
                Some((_, sp, sq)) => (*sp, *sq) = (*sp + p, *sq + q),
                None => sums.push((unit, p, q)),
            }
        }
        for (unit, p, q) in sums {
            debug_assert!(
                p.is_zero() && q.is_zero(),
                "a movement does not sum to zero in {unit}: posted {p}, pending {q}"
            );
        }
    }
}

/// The floor of a wallet's balance: a movement never takes a wallet below zero, nor one already
/// below zero lower still (checked in debug builds and tests). Only a reorg's void of a pending
/// deposit may, when the wallet had spent it (the wallet is then frozen).
fn debug_assert_floors(changes: &[Change<'_>], phase: Phase) {
    if cfg!(debug_assertions) && phase != Phase::VoidPending {
        for Change { book, before, next } in changes {
            if let Book::Wallet(wallet, token) = book {
                let (was, is) = (before.total(), next.total());
                debug_assert!(
                    !is.is_sign_negative() || is >= was,
                    "wallet {wallet} would go below its floor in {token}: {was} -> {is}"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_amount_is_the_product_by_one_or_minus_one() {
        for text in [
            "0",
            "0.000000",
            "1.5",
            "1.500000",
            "79228162514264337593543950335",
            "0.0000000000000000000000000001",
        ] {
            let amount: Decimal = text.parse().unwrap();
            for (debit, sign) in [(true, Decimal::NEGATIVE_ONE), (false, Decimal::ONE)] {
                let product = amount * sign;
                let got = signed(amount, debit);
                assert_eq!(
                    (got, got.scale(), got.is_sign_negative()),
                    (product, product.scale(), product.is_sign_negative()),
                    "{text}"
                );
            }
        }
    }

    fn ext(token: &str) -> Book {
        Book::System(SystemAccount::External {
            chain: "ethereum".into(),
            token: token.into(),
        })
    }

    fn fees(token: &str) -> Book {
        Book::System(SystemAccount::Fees {
            client: "c1".into(),
            chain: "ethereum".into(),
            token: token.into(),
        })
    }

    #[test]
    fn every_phase_leaves_each_unit_summing_to_zero() {
        let mut l = Ledger::new(Config::default());
        l.record_journal(true);
        let d = |n: i64| Decimal::new(n, 0);
        // two legs through one book (merged into one change), in two units
        let legs = [
            Leg {
                from: ext("USDT"),
                to: fees("USDT"),
                amount: d(5),
            },
            Leg {
                from: fees("USDT"),
                to: ext("USDT"),
                amount: d(2),
            },
            Leg {
                from: ext("USDC"),
                to: fees("USDC"),
                amount: d(7),
            },
        ];
        for phase in [
            Phase::Pending,
            Phase::PostPending,
            Phase::Post,
            Phase::Pending,
            Phase::VoidPending,
        ] {
            l.apply(&legs, phase, "m").expect("applies");
        }
        let mut sums: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
        for p in l.take_journal() {
            let s = sums.entry(p.token).or_default();
            (s.0, s.1) = (s.0 + p.posted, s.1 + p.pending);
        }
        assert!(
            sums.values().all(|(p, q)| p.is_zero() && q.is_zero()),
            "{sums:?}"
        );
        assert_eq!(
            l.balance_of(&fees("USDT")),
            Balance {
                posted: d(6),
                pending: d(0)
            }
        );
    }

    #[test]
    fn legs_naming_a_missing_wallet_change_nothing() {
        let mut l = Ledger::new(Config::default());
        l.create_account("c1", "a1").unwrap();
        l.create_virtual_wallet("a1", "vw1", "ethereum").unwrap();
        l.deposit(DepositRequest {
            tx: "0x1:0".into(),
            to: "vw1".into(),
            token: "USDT".into(),
            amount: crate::Amount::parse("10", 6).unwrap(),
            usd_price: Decimal::ONE,
        })
        .unwrap();
        l.confirm("0x1:0").unwrap();
        let books = |l: &Ledger| (l.wallets["vw1"].balances.clone(), l.holdings.clone());
        let before = books(&l);
        let legs = [Leg {
            from: Book::Wallet("vw1".into(), "USDT".into()),
            to: Book::Wallet("ghost".into(), "USDT".into()),
            amount: Decimal::ONE,
        }];
        let e = l.apply(&legs, Phase::Post, "m").unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::NotFound);
        assert_eq!(
            books(&l),
            before,
            "a failed movement wrote part of its legs"
        );
    }

    #[test]
    #[should_panic(expected = "does not sum to zero in USDT")]
    fn an_unbalanced_change_is_caught() {
        let one = Balance {
            posted: Decimal::ONE,
            pending: Decimal::ZERO,
        };
        let book = ext("USDT");
        debug_assert_balanced(&[Change {
            book: &book,
            before: Balance::default(),
            next: one,
        }]);
    }

    #[test]
    #[should_panic(expected = "wallet vw1 would go below its floor in USDT: 1 -> -1")]
    fn a_wallet_taken_below_zero_is_caught() {
        let book = Book::Wallet("vw1".into(), "USDT".into());
        let (one, minus_one) = (Decimal::ONE, Decimal::NEGATIVE_ONE);
        let balance = |posted| Balance {
            posted,
            pending: Decimal::ZERO,
        };
        debug_assert_floors(
            &[Change {
                book: &book,
                before: balance(one),
                next: balance(minus_one),
            }],
            Phase::Post,
        );
    }

    #[test]
    fn a_reorg_may_leave_a_wallet_below_zero_and_a_credit_may_lift_it() {
        let book = Book::Wallet("vw1".into(), "USDT".into());
        let pending = |p: i64| Balance {
            posted: Decimal::ZERO,
            pending: Decimal::new(p, 0),
        };
        debug_assert_floors(
            &[Change {
                book: &book,
                before: pending(1),
                next: pending(-2),
            }],
            Phase::VoidPending,
        );
        debug_assert_floors(
            &[Change {
                book: &book,
                before: pending(-2),
                next: pending(-1),
            }],
            Phase::Post,
        );
    }
}
