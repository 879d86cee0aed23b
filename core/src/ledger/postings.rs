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
            Book::Wallet(w, _) | Book::OnChain(w, _) => self
                .wallets
                .get(w.as_str())
                .and_then(|w| wallet_balance(w, book))
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

    /// Applies legs atomically: every new balance is computed (checked) before any is written.
    pub(super) fn apply(&mut self, legs: &[Leg], phase: Phase, movement_id: &str) -> Result<()> {
        // The books the legs change, each with its balance before and after (a handful at most).
        let mut changes: SmallVec<[Change<'_, '_>; 4]> = SmallVec::with_capacity(legs.len() * 2);
        for leg in legs {
            for (book, debit) in [(&leg.from, true), (&leg.to, false)] {
                let delta = signed(leg.amount, debit);
                match changes.iter_mut().find(|c| c.book == book) {
                    Some(change) => change.next = moved(change.next, delta, phase)?,
                    None => {
                        let (before, sum) = match book {
                            Book::Wallet(..) | Book::OnChain(..) => opening(&self.wallets, book)?,
                            _ => (self.balance_of(book), None),
                        };
                        let next = moved(before, delta, phase)?;
                        changes.push(Change {
                            book,
                            before,
                            next,
                            sum,
                        });
                    }
                }
            }
        }
        // The sums first: their overflow checks come before the debug assertions' arithmetic.
        let sums = holding_sums(&self.holdings, &changes)?;
        debug_assert_balanced(&changes);
        debug_assert_floors(&changes, phase);
        // The books to write, without the borrows of the wallets' holding keys that the sums took.
        let writes: SmallVec<[(&Book, Balance, Balance); 4]> =
            changes.iter().map(|c| (c.book, c.before, c.next)).collect();
        drop(changes);
        for (key, delta) in sums {
            let holding = entry(&mut self.holdings, key.holding);
            let map = if key.liability {
                &mut holding.liabilities
            } else {
                &mut holding.in_transit
            };
            let sum = entry(map, key.token);
            *sum = sum.checked_add(delta).unwrap_or(*sum).normalize();
        }
        for (book, before, next) in writes {
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

/// The balance a wallet's book names: its balance of a token, or its funds on chain.
fn wallet_balance<'w>(wallet: &'w Wallet, book: &Book) -> Option<&'w Balance> {
    match book {
        Book::Wallet(_, t) => wallet.balances.get(t),
        Book::OnChain(_, t) => wallet.on_chain.get(t),
        _ => None,
    }
}

/// A wallet's book's balance before a movement, with the per-holding sum its total counts in
/// (virtual wallets only); NOT_FOUND for a wallet that does not exist, before anything is written.
fn opening<'w, 'b>(
    wallets: &'w ShortIdMap<Wallet>,
    book: &'b Book,
) -> Result<(Balance, Option<SumKey<'w, 'b>>)> {
    let (Book::Wallet(id, token) | Book::OnChain(id, token)) = book else {
        return Ok((Balance::default(), None));
    };
    let wallet = wallets
        .get(id.as_str())
        .ok_or_else(|| err::not_found(format!("no wallet {id}")))?;
    let sum = (wallet.kind == WalletKind::Virtual).then_some(SumKey {
        holding: &wallet.holding,
        token,
        liability: matches!(book, Book::Wallet(..)),
    });
    let balance = wallet_balance(wallet, book).copied().unwrap_or_default();
    Ok((balance, sum))
}

/// A balance after a leg moved `delta` in a phase; INVALID_AMOUNT when it would overflow.
fn moved(current: Balance, delta: Decimal, phase: Phase) -> Result<Balance> {
    let (posted, pending) = match phase {
        Phase::Post => (current.posted.checked_add(delta), Some(current.pending)),
        Phase::Pending => (Some(current.posted), current.pending.checked_add(delta)),
        Phase::PostPending => (
            current.posted.checked_add(delta),
            current.pending.checked_sub(delta),
        ),
        Phase::VoidPending => (Some(current.posted), current.pending.checked_sub(delta)),
    };
    let overflow = || err::invalid_amount("balance overflow");
    Ok(Balance {
        posted: posted.ok_or_else(overflow)?,
        pending: pending.ok_or_else(overflow)?,
    })
}

/// The per-holding sum a virtual wallet's book counts in: its liabilities (a balance) or its
/// funds in transit (funds on chain), per holding wallet and token.
#[derive(Clone, Copy, PartialEq, Eq)]
struct SumKey<'w, 'b> {
    holding: &'w HoldingKey,
    token: &'b str,
    liability: bool,
}

/// A book's balance before and after a movement, and the per-holding sum it counts in.
#[derive(Clone, Copy)]
struct Change<'b, 'w> {
    book: &'b Book,
    before: Balance,
    next: Balance,
    sum: Option<SumKey<'w, 'b>>,
}

/// The changes a movement makes to the per-holding liabilities and in-transit sums, one per sum
/// that a changed total counts in (none for a sum whose changes cancel out, as a transfer between
/// two virtual wallets of one holding wallet); INVALID_AMOUNT when a balance, a total or a sum
/// would leave `Decimal`'s range. Checked before any balance is written.
fn holding_sums<'w, 'b>(
    holdings: &BTreeMap<HoldingKey, Holding>,
    changes: &[Change<'b, 'w>],
) -> Result<SmallVec<[(SumKey<'w, 'b>, Decimal); 2]>> {
    let overflow = || err::invalid_amount("amount too large: a balance would overflow");
    let mut sums: SmallVec<[(SumKey<'w, 'b>, Decimal); 2]> = SmallVec::new();
    for change in changes {
        let next_total = change
            .next
            .posted
            .checked_add(change.next.pending)
            .ok_or_else(overflow)?;
        let delta = next_total
            .checked_sub(change.before.total())
            .ok_or_else(overflow)?;
        // A book whose total does not move leaves its sum as it is.
        if delta.is_zero() {
            continue;
        }
        if let Some(key) = change.sum {
            match sums.iter_mut().find(|(k, _)| *k == key) {
                Some((_, d)) => *d = d.checked_add(delta).ok_or_else(overflow)?,
                None => sums.push((key, delta)),
            }
        }
    }
    // A sum that is not kept yet is still made, at zero, as every change of it did before.
    sums.retain(|(key, delta)| !delta.is_zero() || sum_of(holdings, key).is_none());
    for (key, delta) in &sums {
        let current = sum_of(holdings, key).copied().unwrap_or_default();
        current.checked_add(*delta).ok_or_else(overflow)?;
    }
    Ok(sums)
}

/// The current value of a per-holding sum, if the holding wallet has one for its token.
fn sum_of<'h>(
    holdings: &'h BTreeMap<HoldingKey, Holding>,
    key: &SumKey<'_, '_>,
) -> Option<&'h Decimal> {
    let holding = holdings.get(key.holding)?;
    if key.liability {
        holding.liabilities.get(key.token)
    } else {
        holding.in_transit.get(key.token)
    }
}

/// The double-entry invariant of a movement: in every unit, the posted and the pending changes
/// of the books it touches each sum to zero (checked in debug builds and tests).
fn debug_assert_balanced(changes: &[Change<'_, '_>]) {
    if cfg!(debug_assertions) {
        let mut sums: Vec<(&str, Decimal, Decimal)> = Vec::new();
        for Change {
            book, before, next, ..
        } in changes
        {
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
fn debug_assert_floors(changes: &[Change<'_, '_>], phase: Phase) {
    if cfg!(debug_assertions) && phase != Phase::VoidPending {
        for Change {
            book, before, next, ..
        } in changes
        {
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

    /// Books of client c1 with the given virtual wallets on ethereum, the first holding a
    /// confirmed deposit of `amount` USDT.
    fn funded(wallets: &[&str], amount: &str) -> Ledger {
        let mut l = Ledger::new(Config::default());
        l.create_account("c1", "a1").unwrap();
        for w in wallets {
            l.create_virtual_wallet("a1", w, "ethereum").unwrap();
        }
        l.deposit(DepositRequest {
            tx: "0x1:0".into(),
            to: wallets[0].into(),
            token: "USDT".into(),
            amount: crate::Amount::parse(amount, 6).unwrap(),
            usd_price: Decimal::ONE,
        })
        .unwrap();
        l.confirm("0x1:0").unwrap();
        l
    }

    #[test]
    fn legs_naming_a_missing_wallet_change_nothing() {
        let mut l = funded(&["vw1"], "10");
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
    fn a_transfer_inside_one_holding_wallet_leaves_its_sums_alone() {
        let mut l = funded(&["vw1", "vw2"], "10.5");
        let key = HoldingKey::new("c1", "ethereum");
        let sums = |l: &Ledger| l.holdings[&key].liabilities.clone();
        let before = sums(&l);
        assert_eq!(before["USDT"].to_string(), "10.5");
        let one = crate::Amount::parse("1", 6).unwrap();
        l.transfer("t1", "vw1", "vw2", "USDT", one).unwrap();
        assert_eq!(sums(&l), before);
        // A sum the holding wallet does not keep is still made (at zero), as every change of it did.
        l.holdings.get_mut(&key).unwrap().liabilities.remove("USDT");
        l.transfer("t2", "vw2", "vw1", "USDT", one).unwrap();
        assert_eq!(sums(&l).get("USDT"), Some(&Decimal::ZERO));
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
            sum: None,
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
                sum: None,
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
                sum: None,
            }],
            Phase::VoidPending,
        );
        debug_assert_floors(
            &[Change {
                book: &book,
                before: pending(-2),
                next: pending(-1),
                sum: None,
            }],
            Phase::Post,
        );
    }
}
