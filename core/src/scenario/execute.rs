//! Runs a parsed command against the scenario's ledger and answers with its JSON.

use super::commands::*;
use super::output::{automation_json, hold_json, movement_json, reserve_json};
use super::{amount, num, parse_rule, Scenario};
use crate::amount::{parse_decimal, Amount};
use crate::error::{err, Result};
use crate::ledger::{Contract, DepositRequest, Ledger};
use serde_json::{json, Value};

/// An optional fee, zero when absent.
fn fee(text: Option<&str>) -> Result<Amount> {
    text.map_or(Ok(Amount::ZERO), amount)
}

impl Scenario {
    /// Runs one command. A dispatch table, one arm per command (36, none over a few lines), so
    /// it stays longer than the usual limit.
    pub(super) fn execute(&mut self, command: Command) -> Result<Value> {
        use Command as C;
        let l = &mut self.ledger;
        match command {
            C::Config(c) => self.config(c),
            C::Contract(c) => contract(l, c),
            C::CreateAccount(c) => {
                l.create_account(&c.client, &c.account)?;
                Ok(json!({"account": c.account}))
            }
            C::CreateVirtualWallet(c) => {
                let created = l.create_virtual_wallet(&c.account, &c.wallet, &c.blockchain)?;
                Ok(
                    json!({"wallet": c.wallet, "index": created.index, "holding_created": created.holding_created}),
                )
            }
            C::CreateTreasury(c) => {
                l.create_treasury(&c.account, &c.wallet, &c.blockchain)?;
                Ok(json!({"wallet": c.wallet}))
            }
            C::CreateCard(c) => {
                l.create_card(&c.account, &c.card)?;
                Ok(json!({"card": c.card}))
            }
            C::Freeze(c) => l
                .freeze(&c.wallet, &c.reason)
                .and_then(|()| wallet_status(l, &c.wallet)),
            C::Deactivate(c) => l
                .deactivate(&c.wallet)
                .and_then(|()| wallet_status(l, &c.wallet)),
            C::Activate(c) => l
                .activate(&c.wallet)
                .and_then(|()| wallet_status(l, &c.wallet)),
            C::Unfreeze(c) => l
                .unfreeze(&c.wallet)
                .and_then(|()| wallet_status(l, &c.wallet)),
            C::Deposit(c) => self.deposit(c),
            C::Hold(c) => hold(l, c),
            C::Release(c) => Ok(hold_json(l.release_hold(&c.id)?)),
            C::Expire(c) => Ok(hold_json(l.expire_hold(&c.id, c.now.unwrap_or(0))?)),
            C::Capture(c) => capture(l, c),
            C::RefundBelowMinimum(c) => {
                let m =
                    l.refund_below_minimum(&c.id, &c.tx, &c.to_address, fee(c.fee.as_deref())?)?;
                Ok(movement_json("id", &c.id, &m))
            }
            C::CreditBelowMinimum(c) => credit_below_minimum(l, c),
            C::Confirm(c) => settle(l, c, true),
            C::Drop(c) => settle(l, c, false),
            C::Sweep(c) => {
                let m = l.sweep(&c.tx, &c.from, &c.token, amount(&c.amount)?)?;
                Ok(movement_json("tx", &c.tx, &m))
            }
            C::Transfer(c) => {
                let m = l.transfer(&c.id, &c.from, &c.to, &c.token, amount(&c.amount)?)?;
                Ok(movement_json("id", &c.id, &m))
            }
            C::HoldingCredit(c) => {
                let m = l.holding_credit(&c.id, &c.to, &c.token, amount(&c.amount)?)?;
                Ok(movement_json("id", &c.id, &m))
            }
            C::Withdraw(c) => withdraw(l, c),
            C::HoldingWithdraw(c) => holding_withdraw(l, c),
            C::WithdrawalBroadcast(c) => {
                let hash = need("withdrawal_broadcast", c.tx_hash, "tx_hash")?;
                withdrawal_json(l.withdrawal_broadcast(&c.id, &hash)?)
            }
            C::WithdrawalConfirm(c) => withdrawal_json(l.withdrawal_confirm(&c.id)?),
            C::WithdrawalFail(c) => {
                let reason = need("withdrawal_fail", c.reason, "reason")?;
                withdrawal_json(l.withdrawal_fail(&c.id, &reason)?)
            }
            C::Cancel(c) => withdrawal_json(l.withdrawal_cancel(&c.id)?),
            C::CardPayment(c) => {
                let m = l.card_payment(&c.id, &c.card, amount(&c.amount)?)?;
                Ok(movement_json("id", &c.id, &m))
            }
            C::BlockCard(c) => card_blocked(l, &c.card, true),
            C::UnblockCard(c) => card_blocked(l, &c.card, false),
            C::Reserve(c) => Ok(reserve_json(&l.reserve(
                &c.client,
                &c.blockchain,
                &c.token,
            )?)),
            C::State(_) => Ok(json!({"state": self.state()})),
            C::SnapshotRestore(_) => snapshot_restore(l),
            C::AddRule(fields) => {
                let rule = l.add_rule(parse_rule(Value::Object(fields))?)?;
                Ok(json!({"rule": rule.id, "wallet": rule.wallet}))
            }
            C::RemoveRule(c) => {
                let rule = l.remove_rule(&c.rule)?;
                Ok(json!({"rule": rule.id, "wallet": rule.wallet}))
            }
        }
    }

    /// `config`: changes the parts of the configuration the line names.
    fn config(&mut self, c: ConfigCmd) -> Result<Value> {
        let l = &mut self.ledger;
        let mut config = l.config().clone();
        if let Some(r) = c.min_reserve_ratio {
            config.min_reserve_ratio = parse_decimal(&r)?;
        }
        if let Some(m) = c.min_deposit_usd {
            if let Some(v) = m.virtual_wallet {
                config.min_deposit_usd.virtual_wallet = parse_decimal(&v)?;
            }
            if let Some(v) = m.treasury {
                config.min_deposit_usd.treasury = parse_decimal(&v)?;
            }
            if let Some(v) = m.card {
                config.min_deposit_usd.card = parse_decimal(&v)?;
            }
        }
        if let Some(conf) = c.confirmations {
            for chain in conf.keys() {
                l.registry().chain(chain)?;
            }
            config.confirmations.extend(conf);
        }
        if let Some(list) = c.withdrawal_allowlist {
            config.withdrawal_allowlist = list
                .map(|lists| crate::allowlist::Allowlist::new(l.registry(), &lists))
                .transpose()?;
        }
        l.set_config(config)?;
        Ok(json!({}))
    }

    /// `deposit`: credits a deposit (USD stablecoins are priced at 1 without `usd_price`).
    fn deposit(&mut self, c: DepositCmd) -> Result<Value> {
        let given = c.usd_price.as_deref().map(parse_decimal).transpose()?;
        let usd_price = crate::pricing::usd_price(&c.token, given, None).ok_or_else(|| {
            err::invalid_command(format!(
                "usd_price is required for {} (only USD stablecoins default to 1)",
                c.token
            ))
        })?;
        let r = self.ledger.deposit(DepositRequest {
            tx: c.tx,
            to: c.to,
            token: c.token,
            amount: amount(&c.amount)?,
            usd_price,
        })?;
        let mut out = json!({
            "tx": r.tx, "to": r.to, "token": r.token, "amount": num(r.amount),
            "usd_value": num(r.usd_value), "credited": num(r.credited),
            "below_minimum": r.below_minimum, "status": r.status,
        });
        if let Some(flag) = r.flagged {
            out["flagged"] = Value::String(flag);
        }
        out["automation"] = automation_json(&r.tx, &r.automation);
        Ok(out)
    }
}

/// A field a command needs, INVALID_COMMAND without it.
fn need(op: &str, value: Option<String>, name: &str) -> Result<String> {
    value.ok_or_else(|| err::invalid_command(format!("{op} needs `{name}`")))
}

fn wallet_status(l: &Ledger, wallet: &str) -> Result<Value> {
    let status = l.wallet(wallet)?.status;
    Ok(json!({"wallet": wallet, "status": status.as_str()}))
}

fn card_blocked(l: &mut Ledger, card: &str, blocked: bool) -> Result<Value> {
    l.set_card_blocked(card, blocked)?;
    let status = l.wallet(card)?.status;
    Ok(json!({"card": card, "status": status.as_str()}))
}

fn withdrawal_json(w: &crate::ledger::WithdrawalRecord) -> Result<Value> {
    let mut out = json!({"id": w.id, "status": w.status.as_str()});
    if let Some(h) = &w.tx_hash {
        out["tx_hash"] = Value::String(h.clone());
    }
    if let Some(r) = &w.reason {
        out["reason"] = Value::String(r.clone());
    }
    Ok(out)
}

fn contract(l: &mut Ledger, c: ContractCmd) -> Result<Value> {
    let contract = Contract {
        max_virtual_wallets: c.max_virtual_wallets,
        max_cards: c.max_cards,
        max_treasury_wallets: c.max_treasury_wallets,
    };
    l.set_contract(&c.client, contract)?;
    Ok(json!({"client": c.client}))
}

fn hold(l: &mut Ledger, c: HoldCmd) -> Result<Value> {
    let h = l.place_hold(
        &c.id,
        &c.wallet,
        &c.token,
        amount(&c.amount)?,
        &c.reason,
        c.expires_at,
        c.now.unwrap_or(0),
    )?;
    Ok(hold_json(h))
}

fn capture(l: &mut Ledger, c: HoldRef) -> Result<Value> {
    match (c.to, c.to_address) {
        (Some(to), None) => Ok(hold_json(l.capture_hold(&c.id, &to)?)),
        (None, Some(a)) => Ok(hold_json(l.capture_hold_to_address(&c.id, &a)?)),
        _ => Err(err::invalid_command(
            "capture needs `to` (a wallet) or `to_address`, not both",
        )),
    }
}

fn credit_below_minimum(l: &mut Ledger, c: TxRef) -> Result<Value> {
    let r = l.credit_below_minimum(&c.tx)?;
    Ok(json!({
        "tx": c.tx, "to": r.request.to, "token": r.result.token,
        "amount": num(r.request.amount.as_decimal()), "credited": true,
    }))
}

/// `confirm` (with the automation it fired) or `drop` of a pending deposit.
fn settle(l: &mut Ledger, c: TxRef, confirm: bool) -> Result<Value> {
    let r = if confirm {
        l.confirm(&c.tx)?
    } else {
        l.drop_deposit(&c.tx)?
    };
    let mut out = json!({"tx": r.tx, "status": r.status});
    if let Some(w) = r.frozen {
        out["frozen"] = Value::String(w);
    }
    if confirm {
        out["automation"] = automation_json(&r.tx, &r.automation);
    }
    Ok(out)
}

fn withdraw(l: &mut Ledger, c: WithdrawCmd) -> Result<Value> {
    let fee = fee(c.fee.as_deref())?;
    let m = l.withdraw(
        &c.id,
        &c.from,
        &c.to_address,
        &c.token,
        amount(&c.amount)?,
        fee,
    )?;
    Ok(movement_json("id", &c.id, &m))
}

fn holding_withdraw(l: &mut Ledger, c: HoldingWithdrawCmd) -> Result<Value> {
    let m = l.holding_withdraw(
        &c.id,
        &c.client,
        &c.blockchain,
        &c.token,
        amount(&c.amount)?,
        &c.to_address,
    )?;
    Ok(movement_json("id", &c.id, &m))
}

/// Saves the ledger and restores it in place: proves the state round-trips.
fn snapshot_restore(l: &mut Ledger) -> Result<Value> {
    let saved = l.save()?;
    let registry = l.registry().clone();
    *l = Ledger::restore(&saved, registry)?;
    Ok(json!({"bytes": saved.len()}))
}
