//! Automation rules of virtual wallets: kept, and fired on deposits and confirmations.

use super::*;

impl Ledger {
    /// Adds a rule to a virtual wallet (the same rule again changes nothing).
    pub fn add_rule(&mut self, rule: Rule) -> Result<Rule> {
        let bad = |m: String| err::invalid_rule(m);
        check_id("rule", &rule.id).map_err(|e| bad(e.message().to_owned()))?;
        if let Some(existing) = self.rules.iter().find(|r| r.id == rule.id) {
            if *existing == rule {
                return Ok(rule);
            }
            return Err(bad(format!(
                "rule id {} is already used with other contents",
                rule.id
            )));
        }
        let w = self.wallet(&rule.wallet)?;
        if w.kind != WalletKind::Virtual {
            return Err(bad(format!(
                "rules belong to virtual wallets; {} is not one",
                rule.wallet
            )));
        }
        let chain = w.blockchain.clone().unwrap_or_default();
        let client = w.client.clone();
        let (token, decimals) = self
            .token_of(&chain, &rule.token)
            .map_err(|e| bad(e.message().to_owned()))?;
        let mut rule = rule;
        rule.token = token;
        automation::check_shape(&rule, decimals)?;
        match &mut rule.action {
            Action::Forward { to, .. } | Action::ForwardExcess { to, .. } => {
                let target = self
                    .wallet(to)
                    .map_err(|_| bad(format!("target wallet {to} does not exist")))?;
                if target.kind != WalletKind::Virtual
                    || target.blockchain.as_deref() != Some(chain.as_str())
                    || target.client != client
                {
                    return Err(bad(format!(
                        "target {to} must be a virtual wallet of the same client on {chain}"
                    )));
                }
                if *to == rule.wallet {
                    return Err(bad("a rule cannot forward to its own wallet".into()));
                }
            }
            Action::Withdraw { to_address, .. } => {
                let family = self.registry.chain(&chain)?.family;
                let address = crate::address::Address::parse(family, to_address)
                    .map_err(|e| bad(e.message().to_owned()))?;
                *to_address = address.to_string();
            }
            Action::Alert => {}
        }
        let count = self
            .rules
            .iter()
            .filter(|r| r.wallet == rule.wallet)
            .count();
        if count >= automation::MAX_RULES_PER_WALLET {
            return Err(bad(format!(
                "wallet {} already holds {} rules, the most allowed",
                rule.wallet,
                automation::MAX_RULES_PER_WALLET
            )));
        }
        self.rules.push(rule.clone());
        Ok(rule)
    }

    /// Removes a rule; NOT_FOUND when unknown.
    pub fn remove_rule(&mut self, id: &str) -> Result<Rule> {
        let at = self
            .rules
            .iter()
            .position(|r| &*r.id == id)
            .ok_or_else(|| err::not_found(format!("no rule {id}")))?;
        Ok(self.rules.remove(at))
    }

    /// Removes rule `id` of `wallet`; NOT_FOUND when that wallet has no such rule (another
    /// wallet's rule of that id stays).
    pub fn remove_wallet_rule(&mut self, wallet: &str, id: &str) -> Result<Rule> {
        let at = self
            .rules
            .iter()
            .position(|r| &*r.id == id && r.wallet == wallet)
            .ok_or_else(|| err::not_found(format!("no rule {id} on wallet {wallet}")))?;
        Ok(self.rules.remove(at))
    }

    /// Rules in the order they were added.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Fires the rules of a deposit's wallet for a trigger; failures are reported, not raised.
    pub(super) fn fire(&mut self, on: Trigger, deposit: &Deposited<'_>) -> Vec<RuleOutcome> {
        // The rules that fire, by position; `add_rule` keeps a wallet at MAX_RULES_PER_WALLET,
        // so a fixed array holds them and nothing is allocated when no rule matches.
        let mut matching = [0usize; automation::MAX_RULES_PER_WALLET];
        let mut count = 0;
        for (at, rule) in self.rules.iter().enumerate() {
            if rule.wallet == deposit.wallet
                && automation::fires(rule, on, deposit.token, deposit.amount)
            {
                debug_assert!(count < matching.len(), "a wallet holds too many rules");
                if let Some(slot) = matching.get_mut(count) {
                    *slot = at;
                    count += 1;
                }
            }
        }
        if count == 0 {
            return Vec::new();
        }
        // Movements never touch the rules, so they are lent out while the matching ones act
        // (no copy of each rule per deposit).
        let rules = std::mem::take(&mut self.rules);
        let mut outcomes = Vec::with_capacity(count);
        for &at in &matching[..count] {
            if let Some(rule) = rules.get(at) {
                outcomes.push(self.act(rule, deposit.tx, on, deposit.amount, deposit.decimals));
            }
        }
        self.rules = rules;
        outcomes
    }

    pub(super) fn act(
        &mut self,
        rule: &Rule,
        tx: &str,
        on: Trigger,
        deposit: Amount,
        decimals: u8,
    ) -> RuleOutcome {
        let id = automation::movement_id(&rule.id, tx);
        let mut outcome = RuleOutcome {
            rule: rule.id.clone(),
            action: rule.action.kind(),
            amount: None,
            code: None,
            message: None,
            event: None,
        };
        let wallet = rule.wallet.as_str();
        let token = rule.token.as_str();
        let result = match &rule.action {
            Action::Forward { to, share } => automation::share_of(*share, deposit, decimals)
                .and_then(|a| {
                    self.move_if_any(&mut outcome, a, |l| l.transfer(&id, wallet, to, token, a))
                }),
            Action::ForwardExcess { to, keep } => {
                let total = self
                    .wallets
                    .get(wallet)
                    .and_then(|w| w.balances.get(token))
                    .map(Balance::total)
                    .unwrap_or_default();
                automation::excess(total, *keep).and_then(|a| {
                    self.move_if_any(&mut outcome, a, |l| l.transfer(&id, wallet, to, token, a))
                })
            }
            Action::Withdraw {
                to_address,
                share,
                fee,
            } => automation::share_of(*share, deposit, decimals).and_then(|a| {
                self.move_if_any(&mut outcome, a, |l| {
                    l.withdraw(&id, wallet, to_address, token, a, *fee)
                })
            }),
            Action::Alert => {
                outcome.event = Some(automation::alert_event(rule, tx, deposit, on));
                Ok(())
            }
        };
        if let Err(e) = result {
            outcome.code = Some(e.code());
            outcome.message = Some(e.message().to_owned());
        }
        outcome
    }

    /// Runs a movement unless the amount is zero (then nothing moves and the outcome says 0).
    pub(super) fn move_if_any(
        &mut self,
        outcome: &mut RuleOutcome,
        amount: Amount,
        movement: impl FnOnce(&mut Ledger) -> Result<Movement>,
    ) -> Result<()> {
        outcome.amount = Some(amount.as_decimal());
        if amount.is_zero() {
            return Ok(());
        }
        movement(self).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, wallet: &str) -> Rule {
        Rule {
            id: id.into(),
            wallet: wallet.into(),
            on: Trigger::Confirm,
            token: "USDT".into(),
            min_amount: None,
            action: Action::Alert,
        }
    }

    #[test]
    fn a_rule_is_removed_only_through_its_own_wallet() {
        let mut l = Ledger::new(Config::default());
        l.create_account("c1", "a1").unwrap();
        l.create_virtual_wallet("a1", "vw1", "ethereum").unwrap();
        l.create_virtual_wallet("a1", "vw2", "ethereum").unwrap();
        l.add_rule(rule("r1", "vw1")).unwrap();
        let e = l.remove_wallet_rule("vw2", "r1").unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotFound);
        assert_eq!(e.message(), "no rule r1 on wallet vw2");
        assert_eq!(l.rules().len(), 1);
        assert_eq!(
            l.remove_wallet_rule("vw1", "r1").unwrap().id,
            rule("r1", "vw1").id
        );
        assert!(l.rules().is_empty());
    }
}
