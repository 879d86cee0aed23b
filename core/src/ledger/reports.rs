//! Reports over the books: reserves, wallets, deposits, and the sums that check them.

use super::*;

impl Ledger {
    /// Rule 4: the reserve report of a client's holding wallet for one token.
    pub fn reserve(&self, client: &str, blockchain: &str, token: &str) -> Result<ReserveReport> {
        let chain = self.registry.chain(blockchain)?.id.as_str().to_owned();
        let (token, _) = self.token_of(&chain, token)?;
        let key = HoldingKey::new(client, &chain);
        let holding = self.holdings.get(&key).ok_or_else(|| {
            err::not_found(format!("client {client} has no holding wallet on {chain}"))
        })?;
        self.reserve_of(&key, holding, &token)
    }

    pub(super) fn reserve_of(
        &self,
        key: &HoldingKey,
        holding: &Holding,
        token: &str,
    ) -> Result<ReserveReport> {
        let figures = reserve::Figures {
            holding: holding
                .position
                .get(token)
                .map(|b| b.posted)
                .unwrap_or_default(),
            in_transit: holding.in_transit.get(token).copied().unwrap_or_default(),
            liabilities: holding.liabilities.get(token).copied().unwrap_or_default(),
            // Below-minimum deposits waiting for a decision are not the platform's to withdraw.
            unresolved: self.unresolved_below_minimum(key, token),
        };
        reserve::report_of(figures, self.config.min_reserve_ratio)
    }

    /// The value of below-minimum deposits of a holding's client and chain still waiting for a
    /// decision (their suspense account), never negative.
    pub(super) fn unresolved_below_minimum(&self, holding: &HoldingKey, token: &str) -> Decimal {
        self.system
            .get(&SystemAccount::suspense_of(holding, token))
            .map(|b| b.posted + b.pending)
            .unwrap_or_default()
            .max(Decimal::ZERO)
    }

    /// Every reserve report, keyed `client/blockchain/token`.
    pub fn reserves(&self) -> Result<BTreeMap<String, ReserveReport>> {
        let mut out = BTreeMap::new();
        for (key, holding) in &self.holdings {
            for (token, report) in self.reports_of(key, holding)? {
                out.insert(format!("{key}/{token}"), report);
            }
        }
        Ok(out)
    }

    /// The reserve reports of one holding wallet, by token symbol (none when it is not in the
    /// books).
    pub fn reserves_of(&self, holding: &HoldingKey) -> Result<BTreeMap<String, ReserveReport>> {
        match self.holdings.get(holding) {
            Some(h) => self.reports_of(holding, h),
            None => Ok(BTreeMap::new()),
        }
    }

    fn reports_of(
        &self,
        key: &HoldingKey,
        holding: &Holding,
    ) -> Result<BTreeMap<String, ReserveReport>> {
        let tokens: std::collections::BTreeSet<&String> = holding
            .position
            .keys()
            .chain(holding.liabilities.keys())
            .chain(holding.in_transit.keys())
            .collect();
        tokens
            .into_iter()
            .map(|token| Ok((token.clone(), self.reserve_of(key, holding, token)?)))
            .collect()
    }

    /// Wallets, sorted by id.
    pub fn wallets(&self) -> BTreeMap<&str, &Wallet> {
        self.wallets
            .iter()
            .map(|(id, w)| (id.as_str(), w))
            .collect()
    }

    /// Deposits under the minimum, in the order they came.
    pub fn below_minimum(&self) -> Vec<&DepositRecord> {
        self.below_minimum
            .iter()
            .filter_map(|tx| self.deposits.get(tx))
            .collect()
    }

    /// A deposit by transaction id.
    pub fn deposit_record(&self, tx: &str) -> Option<&DepositRecord> {
        self.deposits.get(tx)
    }

    /// Sum of posted and pending balances per unit over every account: always zero.
    pub fn unit_sums(&self) -> BTreeMap<String, Balance> {
        let mut sums: BTreeMap<String, Balance> = BTreeMap::new();
        let mut add = |unit: String, b: &Balance| {
            let s = sums.entry(unit).or_default();
            s.posted += b.posted;
            s.pending += b.pending;
        };
        for w in self.wallets.values() {
            let chain = w.blockchain.as_deref().unwrap_or("card");
            for (t, b) in &w.balances {
                add(
                    if w.kind == WalletKind::Card {
                        USD.to_owned()
                    } else {
                        format!("{chain}/{t}")
                    },
                    b,
                );
            }
            for (t, b) in &w.on_chain {
                add(format!("{chain}/{t}"), b);
            }
        }
        for (key, h) in &self.holdings {
            let chain = key.chain();
            for (t, b) in &h.position {
                add(format!("{chain}/{t}"), b);
            }
        }
        for (account, b) in &self.system {
            add(account.money(), b);
        }
        sums
    }

    /// Recomputes liabilities and in-transit from the wallets; equal to the caches when sound.
    pub fn recomputed_caches(&self) -> BTreeMap<String, (Decimal, Decimal)> {
        let mut out: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
        for w in self
            .wallets
            .values()
            .filter(|w| w.kind == WalletKind::Virtual)
        {
            let key = HoldingKey::new(&w.client, w.blockchain.as_deref().unwrap_or_default());
            for (t, b) in &w.balances {
                out.entry(format!("{key}/{t}")).or_default().0 += b.total();
            }
            for (t, b) in &w.on_chain {
                out.entry(format!("{key}/{t}")).or_default().1 += b.total();
            }
        }
        out.into_iter()
            .map(|(k, (l, i))| (k, (l.normalize(), i.normalize())))
            .collect()
    }

    /// The cached liabilities and in-transit per `client/blockchain/token`.
    pub fn cached_sums(&self) -> BTreeMap<String, (Decimal, Decimal)> {
        let mut out: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
        for (key, h) in &self.holdings {
            for (t, l) in &h.liabilities {
                out.entry(format!("{key}/{t}")).or_default().0 = l.normalize();
            }
            for (t, i) in &h.in_transit {
                out.entry(format!("{key}/{t}")).or_default().1 = i.normalize();
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holding_s_reserves_are_its_share_of_every_reserve() {
        let mut l = Ledger::new(Config::default());
        l.create_account("c1", "a1").unwrap();
        l.create_account("c2", "a2").unwrap();
        for (account, wallet, chain) in [
            ("a1", "w1", "ethereum"),
            ("a1", "w2", "tron"),
            ("a2", "w3", "ethereum"),
        ] {
            l.create_virtual_wallet(account, wallet, chain).unwrap();
        }
        l.deposit(DepositRequest {
            tx: "0x1:0".into(),
            to: "w1".into(),
            token: "USDT".into(),
            amount: Amount::parse("50", 6).unwrap(),
            usd_price: Decimal::ONE,
        })
        .unwrap();
        let all = l.reserves().unwrap();
        let mine = l.reserves_of(&HoldingKey::new("c1", "ethereum")).unwrap();
        assert!(!mine.is_empty());
        for (token, report) in &mine {
            assert_eq!(
                all.get(&format!("c1/ethereum/{token}")),
                Some(report),
                "{token}"
            );
        }
        let others = all
            .keys()
            .filter(|k| !k.starts_with("c1/ethereum/"))
            .count();
        assert_eq!(mine.len() + others, all.len());
        assert!(l
            .reserves_of(&HoldingKey::new("c9", "ethereum"))
            .unwrap()
            .is_empty());
    }
}
