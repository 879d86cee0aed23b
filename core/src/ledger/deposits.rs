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
        let decision = rules::deposit_decision(usd_value, minimum);
        let amount = req.amount.as_decimal();
        let (credit_unit, credited) = match w.kind {
            WalletKind::Card => (USD.to_owned(), usd_value),
            _ => (token.clone(), amount),
        };
        let external = |unit: &str| match w.kind {
            WalletKind::Card => Book::System(format!("external/{USD}")),
            _ => Book::System(format!("external/{chain}/{unit}")),
        };
        let mut legs = Vec::with_capacity(2);
        match decision {
            DepositDecision::Credit => legs.push(Leg {
                from: external(&credit_unit),
                to: Book::Wallet(req.to.clone(), credit_unit.clone()),
                amount: credited,
            }),
            DepositDecision::BelowMinimum => legs.push(Leg {
                from: external(&credit_unit),
                to: Book::System(format!("suspense/{}/{chain}/{credit_unit}", w.client)),
                amount: credited,
            }),
        }
        if w.kind == WalletKind::Virtual {
            legs.push(Leg {
                from: Book::System(format!("chain/{chain}/{token}")),
                to: Book::OnChain(req.to.clone(), token.clone()),
                amount,
            });
        }
        let flagged = match (w.kind, w.status, w.inactive) {
            (WalletKind::Virtual, _, true) => Some(ErrorCode::WalletInactive.as_str().to_owned()),
            (_, WalletStatus::Frozen, _) => Some(ErrorCode::WalletFrozen.as_str().to_owned()),
            _ => None,
        };
        self.apply(&legs, Phase::Pending, &req.tx)?;
        let below_minimum = decision == DepositDecision::BelowMinimum;
        if let Some(flag) = &flagged {
            if let Some(wallet) = self.wallets.get_mut(&req.to) {
                wallet.flags.push(format!("{flag}: deposit {}", req.tx));
            }
            self.touch(&req.to);
        }
        if below_minimum {
            self.below_minimum.push(req.tx.clone());
        }
        let result = DepositResult {
            tx: req.tx.clone(),
            to: req.to.clone(),
            token,
            amount: amount.normalize(),
            usd_value,
            credited: if below_minimum {
                Decimal::ZERO
            } else {
                credited.normalize()
            },
            below_minimum,
            flagged,
            status: DepositStatus::Pending,
            automation: Vec::new(),
        };
        // Rules act before the record is kept (movements never read deposit records), so the
        // answer is built once and copied once.
        let mut result = result;
        if !below_minimum {
            result.automation = self.fire(
                Trigger::Deposit,
                &Deposited {
                    tx: &req.tx,
                    wallet: &req.to,
                    token: &result.token,
                    amount: req.amount,
                    decimals,
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
                .get(&wallet)
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
        if let Some(w) = self.wallets.get_mut(&wallet) {
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
