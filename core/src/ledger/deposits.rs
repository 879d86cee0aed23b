//! On-chain deposits: credited pending, posted on confirmation, voided by a reorg.

use super::*;

impl Ledger {
    /// Rule 1 and 2: an on-chain deposit to a virtual wallet, treasury wallet or card.
    pub fn deposit(&mut self, req: DepositRequest) -> Result<DepositResult> {
        check_id("transaction", &req.tx)?;
        if let Some(existing) = self.deposits.get(&req.tx) {
            if existing.request == req {
                return Ok(existing.result.clone());
            }
            return Err(err::duplicate_operation(format!(
                "transaction {} was already reported with other contents",
                req.tx
            )));
        }
        rules::check_positive(req.amount)?;
        let w = self.wallet(&req.to)?.clone();
        let priced = self.price_deposit(&w, &req)?;
        let legs = deposit_legs(&w, &req, &priced);
        self.apply(&legs, Phase::Pending, &req.tx)?;
        let below_minimum = priced.decision == DepositDecision::BelowMinimum;
        let flagged = self.flag_deposit(&w, &req);
        if below_minimum {
            self.below_minimum.push(req.tx.clone());
        }
        let mut result = DepositResult {
            tx: req.tx.clone(),
            to: req.to.clone(),
            token: priced.token,
            amount: req.amount.as_decimal().normalize(),
            usd_value: priced.usd_value,
            credited: if below_minimum {
                Decimal::ZERO
            } else {
                priced.credited.normalize()
            },
            below_minimum,
            flagged,
            status: DepositStatus::Pending,
            automation: Vec::new(),
        };
        // Rules act before the record is kept (movements never read deposit records), so the
        // answer is built once and copied once.
        if !below_minimum {
            result.automation = self.fire(
                Trigger::Deposit,
                &Deposited {
                    tx: &req.tx,
                    wallet: &req.to,
                    token: &result.token,
                    amount: req.amount,
                    decimals: priced.decimals,
                },
            );
        }
        self.deposits.insert(
            req.tx.clone(),
            DepositRecord {
                request: req,
                result: result.clone(),
                status: DepositStatus::Pending,
                legs,
                confirm_result: None,
                credited_by_decision: false,
                refunded_by: None,
            },
        );
        Ok(result)
    }

    /// A deposit to an inactive virtual wallet or a frozen wallet is credited and flagged on
    /// the wallet for an operator: the flag's code, if any.
    fn flag_deposit(&mut self, w: &Wallet, req: &DepositRequest) -> Option<String> {
        let flag = match (w.kind, w.status, w.inactive) {
            (WalletKind::Virtual, _, true) => ErrorCode::WalletInactive,
            (_, WalletStatus::Frozen, _) => ErrorCode::WalletFrozen,
            _ => return None,
        };
        if let Some(wallet) = self.wallets.get_mut(req.to.as_str()) {
            wallet
                .flags
                .push(format!("{}: deposit {}", flag.as_str(), req.tx));
        }
        self.touch(&req.to);
        Some(flag.as_str().to_owned())
    }

    /// What a deposit to `w` is worth and where it goes: its token on the wallet's chain (a card
    /// takes USD), its USD value and the minimum-deposit decision.
    fn price_deposit(&self, w: &Wallet, req: &DepositRequest) -> Result<PricedDeposit> {
        let (token, chain, decimals) = match &w.blockchain {
            Some(chain) => {
                let (symbol, decimals) = self.token_of(chain, &req.token)?;
                req.amount.check_scale(decimals)?;
                (symbol, chain.clone(), decimals)
            }
            None => (req.token.to_ascii_uppercase(), "card".to_owned(), 0),
        };
        let usd_value = rules::usd_value(req.amount, req.usd_price)?;
        let minimum = match w.kind {
            WalletKind::Virtual => self.config.min_deposit_usd.virtual_wallet,
            WalletKind::Treasury => self.config.min_deposit_usd.treasury,
            WalletKind::Card => self.config.min_deposit_usd.card,
        };
        let (credit_unit, credited) = match w.kind {
            WalletKind::Card => (USD.to_owned(), usd_value),
            _ => (token.clone(), req.amount.as_decimal()),
        };
        Ok(PricedDeposit {
            token,
            chain,
            decimals,
            usd_value,
            credit_unit,
            credited,
            decision: rules::deposit_decision(usd_value, minimum),
        })
    }

    /// The chain confirmed a deposit: its pending credit is posted.
    pub fn confirm(&mut self, tx: &str) -> Result<SettleResult> {
        let record = self
            .deposits
            .get(tx)
            .ok_or_else(|| err::not_found(format!("no deposit {tx}")))?;
        match record.status {
            DepositStatus::Confirmed => {
                return Ok(record.confirm_result.clone().unwrap_or(SettleResult {
                    tx: tx.to_owned(),
                    status: DepositStatus::Confirmed,
                    frozen: None,
                    automation: Vec::new(),
                }))
            }
            DepositStatus::Dropped => {
                return Err(err::invalid_argument(format!(
                    "deposit {tx} was dropped by a reorg"
                )))
            }
            DepositStatus::Pending => {}
        }
        let legs = record.legs.clone();
        let fires = !record.result.below_minimum;
        let (wallet, token, amount) = (
            record.request.to.clone(),
            record.result.token.clone(),
            record.request.amount,
        );
        self.apply(&legs, Phase::PostPending, tx)?;
        if let Some(r) = self.deposits.get_mut(tx) {
            r.status = DepositStatus::Confirmed;
        }
        let automation = if fires {
            let decimals = self
                .wallets
                .get(wallet.as_str())
                .and_then(|w| w.blockchain.as_deref())
                .and_then(|chain| self.registry.token(chain, &token).ok())
                .map_or(0, |t| t.decimals);
            self.fire(
                Trigger::Confirm,
                &Deposited {
                    tx,
                    wallet: &wallet,
                    token: &token,
                    amount,
                    decimals,
                },
            )
        } else {
            Vec::new()
        };
        let result = SettleResult {
            tx: tx.to_owned(),
            status: DepositStatus::Confirmed,
            frozen: None,
            automation,
        };
        if let Some(r) = self.deposits.get_mut(tx) {
            r.confirm_result = Some(result.clone());
        }
        Ok(result)
    }

    /// A reorg removed a pending deposit: its credit is voided; a wallet that had spent it is
    /// frozen and flagged, never silently negative.
    pub fn drop_deposit(&mut self, tx: &str) -> Result<SettleResult> {
        let record = self
            .deposits
            .get(tx)
            .ok_or_else(|| err::not_found(format!("no deposit {tx}")))?;
        match record.status {
            DepositStatus::Dropped => {
                return Ok(SettleResult {
                    tx: tx.to_owned(),
                    status: DepositStatus::Dropped,
                    frozen: None,
                    automation: Vec::new(),
                })
            }
            DepositStatus::Confirmed => {
                return Err(err::invalid_argument(format!(
                    "deposit {tx} is already confirmed; a reorg deeper than the confirmations needs an operator"
                )))
            }
            DepositStatus::Pending => {}
        }
        let legs = record.legs.clone();
        let wallet = record.request.to.clone();
        self.apply(&legs, Phase::VoidPending, tx)?;
        if let Some(r) = self.deposits.get_mut(tx) {
            r.status = DepositStatus::Dropped;
        }
        let mut frozen = None;
        if let Some(w) = self.wallets.get_mut(wallet.as_str()) {
            let lowest = w
                .balances
                .values()
                .map(Balance::total)
                .min()
                .unwrap_or_default();
            let status = rules::status_after_reorg(w.status, lowest);
            if status == WalletStatus::Frozen && w.status != WalletStatus::Frozen {
                w.status = WalletStatus::Frozen;
                w.flags.push(format!(
                    "WALLET_FROZEN: deposit {tx} was dropped after its funds were spent"
                ));
                frozen = Some(wallet);
            }
        }
        if let Some(w) = &frozen {
            let w = w.clone();
            self.touch(&w);
        }
        Ok(SettleResult {
            tx: tx.to_owned(),
            status: DepositStatus::Dropped,
            frozen,
            automation: Vec::new(),
        })
    }
}

/// A deposit priced for its wallet (see [`Ledger::price_deposit`]).
struct PricedDeposit {
    /// The token's symbol (as the request named it, upper-cased, for a card).
    token: String,
    /// The wallet's chain (`card` for a card).
    chain: String,
    decimals: u8,
    usd_value: Decimal,
    /// What the wallet is credited in: the token, or USD for a card.
    credit_unit: String,
    /// How much: the amount, or its USD value for a card.
    credited: Decimal,
    decision: DepositDecision,
}

/// The legs of a pending deposit: from outside to the wallet (or to the client's suspense when
/// below the minimum), and for a virtual wallet, the chain's coins onto its deposit address.
fn deposit_legs(w: &Wallet, req: &DepositRequest, p: &PricedDeposit) -> Vec<Leg> {
    let chain = &p.chain;
    let from = match w.kind {
        WalletKind::Card => Book::System(SystemAccount::ExternalUsd),
        _ => Book::System(SystemAccount::External {
            chain: chain.clone(),
            token: p.credit_unit.clone(),
        }),
    };
    let to = match p.decision {
        DepositDecision::Credit => Book::Wallet(req.to.clone(), p.credit_unit.clone()),
        DepositDecision::BelowMinimum => Book::System(SystemAccount::Suspense {
            client: w.client.clone(),
            chain: chain.clone(),
            token: p.credit_unit.clone(),
        }),
    };
    let mut legs = vec![Leg {
        from,
        to,
        amount: p.credited,
    }];
    if w.kind == WalletKind::Virtual {
        legs.push(Leg {
            from: Book::System(SystemAccount::Chain {
                chain: chain.clone(),
                token: p.token.clone(),
            }),
            to: Book::OnChain(req.to.clone(), p.token.clone()),
            amount: req.amount.as_decimal(),
        });
    }
    legs
}
