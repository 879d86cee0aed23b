//! The scenario format: JSON Lines of ledger commands in, JSON Lines of results out.
//!
//! One command per line, `op` picks it, amounts are decimal strings. Each line is answered, in
//! order, with `{"ok":true,...}` or `{"ok":false,"code":"CODE","message":"..."}`; a refused
//! command changes nothing. After the last line comes `{"state":{...}}`. Blank lines are skipped.
//! Unknown fields are refused (INVALID_COMMAND) so that a typo never passes silently.

use crate::amount::{parse_decimal, Amount, MAX_DECIMALS};
use crate::automation::{Action, ActionKind, Rule, RuleOutcome, Share, Trigger};
use crate::error::{err, Error, Result};
use crate::ledger::rules::WalletStatus;
use crate::ledger::{Balance, Config, Contract, DepositRequest, Ledger, Movement, WalletKind};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Symbols priced at 1 USD when a deposit gives no `usd_price`.
pub const USD_STABLECOINS: [&str; 6] = ["USDT", "USDC", "DAI", "BUSD", "FDUSD", "PYUSD"];

/// Longest scenario line accepted (bytes).
pub const MAX_LINE_LEN: usize = 64 * 1024;

/// Runs a whole scenario and returns its output, state line included.
pub fn replay(input: &str) -> String {
    let mut scenario = Scenario::new();
    let mut out = String::with_capacity(input.len());
    for line in input.lines() {
        if let Some(result) = scenario.apply_line(line) {
            out.push_str(&result);
            out.push('\n');
        }
    }
    out.push_str(&scenario.state_line());
    out.push('\n');
    out
}

/// Runs a whole scenario and returns the reserve reports of the ledger it leaves, as a JSON
/// object keyed `client/blockchain/token` (the `reserves` of [`replay`]'s state line).
///
/// Refused lines change nothing, as in [`replay`], whose output names them.
pub fn reserve_report(input: &str) -> Result<String> {
    let mut scenario = Scenario::new();
    for line in input.lines() {
        // The per-line answers are what `replay` prints; the report needs only the ledger.
        let _answer = scenario.apply_line(line);
    }
    let reports: Map<String, Value> = scenario
        .ledger()
        .reserves()?
        .iter()
        .map(|(key, report)| (key.clone(), reserve_json(report)))
        .collect();
    Ok(Value::Object(reports).to_string())
}

/// A ledger driven line by line.
#[derive(Debug, Default)]
pub struct Scenario {
    ledger: Ledger,
}

fn num(d: Decimal) -> String {
    if d.is_zero() {
        "0".to_owned()
    } else {
        d.normalize().to_string()
    }
}

fn amount(text: &str) -> Result<Amount> {
    Amount::parse(text, MAX_DECIMALS)
}

fn fields<T: DeserializeOwned>(value: Value) -> Result<T> {
    serde_json::from_value(value).map_err(|e| err::invalid_command(e.to_string()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MinDepositPatch {
    virtual_wallet: Option<String>,
    treasury: Option<String>,
    card: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigCmd {
    min_reserve_ratio: Option<String>,
    min_deposit_usd: Option<MinDepositPatch>,
    confirmations: Option<BTreeMap<String, u32>>,
    /// Addresses per blockchain; `null` removes the allowlist.
    #[serde(default, deserialize_with = "set_or_null")]
    withdrawal_allowlist: Option<Option<BTreeMap<String, Vec<String>>>>,
}

/// An explicit `null` (`Some(None)`) told apart from an absent field (`None`, by `default`).
fn set_or_null<'de, D, T>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContractCmd {
    client: String,
    max_virtual_wallets: Option<u32>,
    max_cards: Option<u32>,
    max_treasury_wallets: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountCmd {
    client: String,
    account: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WalletCmd {
    account: String,
    wallet: String,
    blockchain: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CardCmd {
    account: String,
    card: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WalletRef {
    wallet: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DepositCmd {
    tx: String,
    to: String,
    token: String,
    amount: String,
    usd_price: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TxRef {
    tx: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundCmd {
    id: String,
    tx: String,
    to_address: String,
    fee: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HoldCmd {
    id: String,
    wallet: String,
    token: String,
    amount: String,
    reason: String,
    expires_at: Option<i64>,
    now: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HoldRef {
    id: String,
    to: Option<String>,
    to_address: Option<String>,
    now: Option<i64>,
}

fn hold_json(h: &crate::ledger::Hold) -> Value {
    let mut v = json!({
        "id": h.id, "wallet": h.wallet, "token": h.token, "amount": h.amount.to_string(),
        "reason": h.reason, "status": h.status.as_str(),
    });
    if let Some(t) = h.expires_at {
        v["expires_at"] = json!(t);
    }
    if let Some(to) = &h.captured_to {
        v["captured_to"] = Value::String(to.clone());
    }
    v
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FreezeCmd {
    wallet: String,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WithdrawalCmd {
    id: String,
    tx_hash: Option<String>,
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepCmd {
    tx: String,
    from: String,
    token: String,
    amount: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransferCmd {
    id: String,
    from: String,
    to: String,
    token: String,
    amount: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HoldingCreditCmd {
    id: String,
    to: String,
    token: String,
    amount: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WithdrawCmd {
    id: String,
    from: String,
    to_address: String,
    token: String,
    amount: String,
    fee: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HoldingWithdrawCmd {
    id: String,
    client: String,
    blockchain: String,
    token: String,
    amount: String,
    to_address: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CardPaymentCmd {
    id: String,
    card: String,
    amount: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CardRef {
    card: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReserveCmd {
    client: String,
    blockchain: String,
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleCmd {
    rule: String,
    wallet: String,
    on: String,
    token: String,
    min_amount: Option<String>,
    action: RawAction,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    #[serde(rename = "type")]
    kind: String,
    to: Option<String>,
    percent: Option<String>,
    amount: Option<String>,
    keep: Option<String>,
    to_address: Option<String>,
    fee: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleRef {
    rule: String,
}

/// Builds a rule from its scenario form; every defect is INVALID_RULE.
pub fn parse_rule(args: Value) -> Result<Rule> {
    let bad = |m: String| err::invalid_rule(m);
    let c: RuleCmd = serde_json::from_value(args).map_err(|e| bad(e.to_string()))?;
    let on = match c.on.as_str() {
        "deposit" => Trigger::Deposit,
        "confirm" => Trigger::Confirm,
        other => {
            return Err(bad(format!(
                "unknown trigger {other:?}; allowed: deposit, confirm"
            )))
        }
    };
    let amt = |field: &str, text: &str| {
        amount(text).map_err(|e| bad(format!("{field}: {}", e.message())))
    };
    let a = c.action;
    let allowed = |fields: &[(&str, bool)]| -> Result<()> {
        for (name, present) in fields {
            if *present {
                return Err(bad(format!("action {} does not take `{name}`", a.kind)));
            }
        }
        Ok(())
    };
    let share = || -> Result<Share> {
        match (&a.percent, &a.amount) {
            (Some(p), None) => Ok(Share::Percent(
                parse_decimal(p).map_err(|e| bad(format!("percent: {}", e.message())))?,
            )),
            (None, Some(x)) => Ok(Share::Amount(amt("amount", x)?)),
            _ => Err(bad(format!(
                "action {} needs exactly one of `percent` and `amount`",
                a.kind
            ))),
        }
    };
    let target = || {
        a.to.clone()
            .ok_or_else(|| bad(format!("action {} needs `to`", a.kind)))
    };
    let action = match a.kind.as_str() {
        "forward" => {
            allowed(&[
                ("keep", a.keep.is_some()),
                ("to_address", a.to_address.is_some()),
                ("fee", a.fee.is_some()),
            ])?;
            Action::Forward {
                to: target()?,
                share: share()?,
            }
        }
        "forward_excess" => {
            allowed(&[
                ("percent", a.percent.is_some()),
                ("amount", a.amount.is_some()),
                ("to_address", a.to_address.is_some()),
                ("fee", a.fee.is_some()),
            ])?;
            let keep = a
                .keep
                .as_deref()
                .ok_or_else(|| bad("action forward_excess needs `keep`".into()))?;
            Action::ForwardExcess {
                to: target()?,
                keep: amt("keep", keep)?,
            }
        }
        "withdraw" => {
            allowed(&[("to", a.to.is_some()), ("keep", a.keep.is_some())])?;
            let to_address = a
                .to_address
                .clone()
                .ok_or_else(|| bad("action withdraw needs `to_address`".into()))?;
            let fee = match &a.fee {
                Some(f) => amt("fee", f)?,
                None => Amount::ZERO,
            };
            Action::Withdraw {
                to_address,
                share: share()?,
                fee,
            }
        }
        "alert" => {
            allowed(&[
                ("to", a.to.is_some()),
                ("percent", a.percent.is_some()),
                ("amount", a.amount.is_some()),
                ("keep", a.keep.is_some()),
                ("to_address", a.to_address.is_some()),
                ("fee", a.fee.is_some()),
            ])?;
            Action::Alert
        }
        other => {
            return Err(bad(format!(
                "unknown action {other:?}; allowed: forward, forward_excess, withdraw, alert"
            )))
        }
    };
    let min_amount = match &c.min_amount {
        Some(m) => Some(amt("min_amount", m)?),
        None => None,
    };
    Ok(Rule {
        id: c.rule.into(),
        wallet: c.wallet,
        on,
        token: c.token,
        min_amount,
        action,
    })
}

/// The `op` values a scenario understands.
pub const OPS: [&str; 25] = [
    "config",
    "contract",
    "create_account",
    "create_virtual_wallet",
    "create_treasury",
    "create_card",
    "deactivate",
    "activate",
    "unfreeze",
    "deposit",
    "confirm",
    "drop",
    "sweep",
    "transfer",
    "holding_credit",
    "withdraw",
    "holding_withdraw",
    "reserve",
    "state",
    "snapshot_restore",
    "add_rule",
    "remove_rule",
    "card_payment",
    "block_card",
    "unblock_card",
];

impl Scenario {
    /// A scenario over an empty ledger with the default configuration.
    pub fn new() -> Scenario {
        Scenario::default()
    }

    /// A scenario over an existing ledger.
    pub fn with_ledger(ledger: Ledger) -> Scenario {
        Scenario { ledger }
    }

    /// The ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The ledger, to change outside the scenario (e.g. to take its journal).
    pub fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.ledger
    }

    /// Answers one input line (`None` for a blank line).
    pub fn apply_line(&mut self, line: &str) -> Option<String> {
        if line.trim().is_empty() {
            return None;
        }
        let value = match self.run_line(line) {
            Ok(Value::Object(mut fields)) => {
                let mut out = Map::new();
                out.insert("ok".into(), Value::Bool(true));
                out.append(&mut fields);
                Value::Object(out)
            }
            Ok(other) => json!({"ok": true, "result": other}),
            Err(e) => error_json(&e),
        };
        Some(value.to_string())
    }

    fn run_line(&mut self, line: &str) -> Result<Value> {
        if line.len() > MAX_LINE_LEN {
            return Err(err::invalid_command(format!(
                "a line holds at most {MAX_LINE_LEN} bytes"
            )));
        }
        let mut value: Value = serde_json::from_str(line)
            .map_err(|e| err::invalid_command(format!("not JSON: {e}")))?;
        let obj = value
            .as_object_mut()
            .ok_or_else(|| err::invalid_command("a command is a JSON object"))?;
        let op = match obj.remove("op") {
            Some(Value::String(op)) => op,
            Some(_) => return Err(err::invalid_command("`op` must be a string")),
            None => return Err(err::invalid_command("missing `op`")),
        };
        self.run(&op, value)
    }

    /// Runs one parsed command (`op` removed from `args`).
    pub fn run(&mut self, op: &str, args: Value) -> Result<Value> {
        let l = &mut self.ledger;
        match op {
            "config" => {
                let c: ConfigCmd = fields(args)?;
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
            "contract" => {
                let c: ContractCmd = fields(args)?;
                let contract = Contract {
                    max_virtual_wallets: c.max_virtual_wallets,
                    max_cards: c.max_cards,
                    max_treasury_wallets: c.max_treasury_wallets,
                };
                l.set_contract(&c.client, contract)?;
                Ok(json!({"client": c.client}))
            }
            "create_account" => {
                let c: AccountCmd = fields(args)?;
                l.create_account(&c.client, &c.account)?;
                Ok(json!({"account": c.account}))
            }
            "create_virtual_wallet" => {
                let c: WalletCmd = fields(args)?;
                let created = l.create_virtual_wallet(&c.account, &c.wallet, &c.blockchain)?;
                Ok(
                    json!({"wallet": c.wallet, "index": created.index, "holding_created": created.holding_created}),
                )
            }
            "create_treasury" => {
                let c: WalletCmd = fields(args)?;
                l.create_treasury(&c.account, &c.wallet, &c.blockchain)?;
                Ok(json!({"wallet": c.wallet}))
            }
            "create_card" => {
                let c: CardCmd = fields(args)?;
                l.create_card(&c.account, &c.card)?;
                Ok(json!({"card": c.card}))
            }
            "freeze" => {
                let c: FreezeCmd = fields(args)?;
                l.freeze(&c.wallet, &c.reason)?;
                let status = l.wallet(&c.wallet)?.status;
                Ok(json!({"wallet": c.wallet, "status": status.as_str()}))
            }
            "deactivate" | "activate" | "unfreeze" => {
                let c: WalletRef = fields(args)?;
                match op {
                    "deactivate" => l.deactivate(&c.wallet)?,
                    "activate" => l.activate(&c.wallet)?,
                    _ => l.unfreeze(&c.wallet)?,
                }
                let status = l.wallet(&c.wallet)?.status;
                Ok(json!({"wallet": c.wallet, "status": status.as_str()}))
            }
            "deposit" => {
                let c: DepositCmd = fields(args)?;
                let usd_price = match &c.usd_price {
                    Some(p) => parse_decimal(p)?,
                    None if USD_STABLECOINS.contains(&c.token.to_ascii_uppercase().as_str()) => {
                        Decimal::ONE
                    }
                    None => {
                        return Err(err::invalid_command(format!(
                            "usd_price is required for {} (only USD stablecoins default to 1)",
                            c.token
                        )))
                    }
                };
                let r = l.deposit(DepositRequest {
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
            "hold" => {
                let c: HoldCmd = fields(args)?;
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
            "release" => {
                let c: HoldRef = fields(args)?;
                Ok(hold_json(l.release_hold(&c.id)?))
            }
            "expire" => {
                let c: HoldRef = fields(args)?;
                Ok(hold_json(l.expire_hold(&c.id, c.now.unwrap_or(0))?))
            }
            "capture" => {
                let c: HoldRef = fields(args)?;
                match (c.to, c.to_address) {
                    (Some(to), None) => Ok(hold_json(l.capture_hold(&c.id, &to)?)),
                    (None, Some(a)) => Ok(hold_json(l.capture_hold_to_address(&c.id, &a)?)),
                    _ => Err(err::invalid_command(
                        "capture needs `to` (a wallet) or `to_address`, not both",
                    )),
                }
            }
            "refund_below_minimum" => {
                let c: RefundCmd = fields(args)?;
                let fee = match &c.fee {
                    Some(f) => amount(f)?,
                    None => Amount::ZERO,
                };
                let m = l.refund_below_minimum(&c.id, &c.tx, &c.to_address, fee)?;
                Ok(movement_json("id", &c.id, &m))
            }
            "credit_below_minimum" => {
                let c: TxRef = fields(args)?;
                let r = l.credit_below_minimum(&c.tx)?;
                Ok(json!({
                    "tx": c.tx, "to": r.request.to, "token": r.result.token,
                    "amount": num(r.request.amount.as_decimal()), "credited": true,
                }))
            }
            "confirm" | "drop" => {
                let c: TxRef = fields(args)?;
                let r = if op == "confirm" {
                    l.confirm(&c.tx)?
                } else {
                    l.drop_deposit(&c.tx)?
                };
                let mut out = json!({"tx": r.tx, "status": r.status});
                if let Some(w) = r.frozen {
                    out["frozen"] = Value::String(w);
                }
                if op == "confirm" {
                    out["automation"] = automation_json(&r.tx, &r.automation);
                }
                Ok(out)
            }
            "sweep" => {
                let c: SweepCmd = fields(args)?;
                let m = l.sweep(&c.tx, &c.from, &c.token, amount(&c.amount)?)?;
                Ok(movement_json("tx", &c.tx, &m))
            }
            "transfer" => {
                let c: TransferCmd = fields(args)?;
                let m = l.transfer(&c.id, &c.from, &c.to, &c.token, amount(&c.amount)?)?;
                Ok(movement_json("id", &c.id, &m))
            }
            "holding_credit" => {
                let c: HoldingCreditCmd = fields(args)?;
                let m = l.holding_credit(&c.id, &c.to, &c.token, amount(&c.amount)?)?;
                Ok(movement_json("id", &c.id, &m))
            }
            "withdraw" => {
                let c: WithdrawCmd = fields(args)?;
                let fee = match &c.fee {
                    Some(f) => amount(f)?,
                    None => Amount::ZERO,
                };
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
            "holding_withdraw" => {
                let c: HoldingWithdrawCmd = fields(args)?;
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
            "withdrawal_broadcast" | "withdrawal_confirm" | "withdrawal_fail" | "cancel" => {
                let c: WithdrawalCmd = fields(args)?;
                let need = |v: Option<String>, name: &str| {
                    v.ok_or_else(|| err::invalid_command(format!("{op} needs `{name}`")))
                };
                let w = match op {
                    "withdrawal_broadcast" => {
                        l.withdrawal_broadcast(&c.id, &need(c.tx_hash, "tx_hash")?)?
                    }
                    "withdrawal_confirm" => l.withdrawal_confirm(&c.id)?,
                    "withdrawal_fail" => l.withdrawal_fail(&c.id, &need(c.reason, "reason")?)?,
                    _ => l.withdrawal_cancel(&c.id)?,
                };
                let mut out = json!({"id": w.id, "status": w.status.as_str()});
                if let Some(h) = &w.tx_hash {
                    out["tx_hash"] = Value::String(h.clone());
                }
                if let Some(r) = &w.reason {
                    out["reason"] = Value::String(r.clone());
                }
                Ok(out)
            }
            "card_payment" => {
                let c: CardPaymentCmd = fields(args)?;
                let m = l.card_payment(&c.id, &c.card, amount(&c.amount)?)?;
                Ok(movement_json("id", &c.id, &m))
            }
            "block_card" | "unblock_card" => {
                let c: CardRef = fields(args)?;
                l.set_card_blocked(&c.card, op == "block_card")?;
                let status = l.wallet(&c.card)?.status;
                Ok(json!({"card": c.card, "status": status.as_str()}))
            }
            "reserve" => {
                let c: ReserveCmd = fields(args)?;
                let r = l.reserve(&c.client, &c.blockchain, &c.token)?;
                Ok(reserve_json(&r))
            }
            "state" => {
                let _: Map<String, Value> = fields(args)?;
                Ok(json!({"state": self.state()}))
            }
            "snapshot_restore" => {
                // Saves the ledger and restores it in place: proves the state round-trips.
                let _: Map<String, Value> = fields(args)?;
                let saved = l.save()?;
                let registry = l.registry().clone();
                *l = Ledger::restore(&saved, registry)?;
                Ok(json!({"bytes": saved.len()}))
            }
            "add_rule" => {
                let rule = l.add_rule(parse_rule(args)?)?;
                Ok(json!({"rule": rule.id, "wallet": rule.wallet}))
            }
            "remove_rule" => {
                let c: RuleRef = fields(args)?;
                let rule = l.remove_rule(&c.rule)?;
                Ok(json!({"rule": rule.id, "wallet": rule.wallet}))
            }
            other => Err(err::invalid_command(format!(
                "unknown op {other:?}; known: {}",
                OPS.join(", ")
            ))),
        }
    }

    /// The final `{"state":{...}}` line.
    pub fn state_line(&self) -> String {
        json!({"state": self.state()}).to_string()
    }

    /// Wallets with balances, reserves and below-minimum deposits.
    pub fn state(&self) -> Value {
        state_json(&self.ledger)
    }
}

fn automation_json(tx: &str, outcomes: &[RuleOutcome]) -> Value {
    Value::Array(
        outcomes
            .iter()
            .map(|o| {
                let mut v = json!({"rule": o.rule, "ok": o.ok(), "action": o.action.as_str()});
                if o.action != ActionKind::Alert {
                    v["id"] = Value::String(crate::automation::movement_id(&o.rule, tx));
                }
                if let Some(a) = o.amount {
                    v["amount"] = Value::String(num(a));
                }
                if let (Some(code), Some(message)) = (&o.code, &o.message) {
                    v["code"] = Value::String(code.clone());
                    v["message"] = Value::String(message.clone());
                }
                if let Some(event) = &o.event {
                    v["event"] = event.clone();
                }
                v
            })
            .collect(),
    )
}

/// A rule in the scenario's own form.
pub fn rule_json(rule: &Rule) -> Value {
    let share = |share: &Share, v: &mut Value| match share {
        Share::Percent(p) => v["percent"] = Value::String(num(*p)),
        Share::Amount(a) => v["amount"] = Value::String(a.to_string()),
    };
    let action = match &rule.action {
        Action::Forward { to, share: s } => {
            let mut v = json!({"type": "forward", "to": to});
            share(s, &mut v);
            v
        }
        Action::ForwardExcess { to, keep } => {
            json!({"type": "forward_excess", "to": to, "keep": keep.to_string()})
        }
        Action::Withdraw {
            to_address,
            share: s,
            fee,
        } => {
            let mut v =
                json!({"type": "withdraw", "to_address": to_address, "fee": fee.to_string()});
            share(s, &mut v);
            v
        }
        Action::Alert => json!({"type": "alert"}),
    };
    let mut v = json!({"rule": rule.id, "wallet": rule.wallet, "on": rule.on, "token": rule.token, "action": action});
    if let Some(m) = rule.min_amount {
        v["min_amount"] = Value::String(m.to_string());
    }
    v
}

fn error_json(e: &Error) -> Value {
    json!({"ok": false, "code": e.code().as_str(), "message": e.message()})
}

fn movement_json(key: &str, id: &str, m: &Movement) -> Value {
    let mut out = match m {
        Movement::Transfer {
            from,
            to,
            token,
            amount,
        } => {
            json!({"op": "transfer", "from": from, "to": to, "token": token, "amount": amount.to_string()})
        }
        Movement::HoldingCredit { to, token, amount } => {
            json!({"op": "holding_credit", "to": to, "token": token, "amount": amount.to_string()})
        }
        Movement::Withdraw {
            from,
            to_address,
            token,
            amount,
            fee,
        } => json!({
            "op": "withdraw", "from": from, "to_address": to_address, "token": token,
            "amount": amount.to_string(), "fee": fee.to_string()
        }),
        Movement::HoldingWithdraw {
            client,
            blockchain,
            token,
            amount,
            to_address,
        } => json!({
            "op": "holding_withdraw", "client": client, "blockchain": blockchain, "token": token,
            "amount": amount.to_string(), "to_address": to_address
        }),
        Movement::CardPayment { card, amount } => {
            json!({"op": "card_payment", "card": card, "amount": amount.to_string()})
        }
        Movement::DepositRefund {
            tx,
            to_address,
            token,
            amount,
            fee,
        } => json!({
            "op": "refund_below_minimum", "tx": tx, "to_address": to_address, "token": token,
            "amount": amount.to_string(), "fee": fee.to_string()
        }),
        Movement::HoldingReturn {
            from,
            token,
            amount,
        } => {
            json!({"op": "holding_return", "from": from, "token": token, "amount": amount.to_string()})
        }
        Movement::CardTopUp {
            card,
            from,
            token,
            amount,
            usd,
        } => json!({
            "op": "card_top_up", "card": card, "from": from, "token": token,
            "amount": amount.to_string(), "usd": usd.to_string()
        }),
        Movement::CardRefund {
            card,
            to,
            token,
            amount,
            usd,
        } => json!({
            "op": "card_refund", "card": card, "to": to, "token": token,
            "amount": amount.to_string(), "usd": usd.to_string()
        }),
        Movement::Sweep {
            from,
            token,
            amount,
        } => {
            json!({"op": "sweep", "from": from, "token": token, "amount": amount.to_string()})
        }
    };
    out[key] = Value::String(id.to_owned());
    out
}

fn reserve_json(r: &crate::reserve::ReserveReport) -> Value {
    json!({
        "holding": num(r.holding),
        "in_transit": num(r.in_transit),
        "liabilities": num(r.liabilities),
        "ratio": r.ratio.map(num),
        "leverage": num(r.leverage),
        "withdrawable": num(r.withdrawable),
    })
}

fn balance_json(b: &Balance, status: WalletStatus) -> Value {
    json!({
        "confirmed": num(b.confirmed()),
        "unconfirmed": num(b.unconfirmed()),
        "total": num(b.total()),
        "status": status.as_str(),
    })
}

/// The state of a ledger as the scenario format reports it.
pub fn state_json(ledger: &Ledger) -> Value {
    let mut wallets = Map::new();
    for (id, w) in ledger.wallets() {
        let balances: Map<String, Value> = w
            .balances
            .iter()
            .map(|(t, b)| {
                let mut v = balance_json(b, w.status);
                // Only wallets with holds show them (the output of others is unchanged).
                if let Some(held) = w.held.get(t) {
                    v["held"] = Value::String(num(*held));
                    v["available"] = Value::String(num(b.total() - held));
                }
                (t.clone(), v)
            })
            .collect();
        let mut entry = json!({
            "kind": match w.kind { WalletKind::Virtual => "virtual", WalletKind::Treasury => "treasury", WalletKind::Card => "card" },
            "client": w.client,
            "account": w.account,
            "status": w.status.as_str(),
            "balances": balances,
            "flags": w.flags,
        });
        if let Some(chain) = &w.blockchain {
            entry["blockchain"] = Value::String(chain.clone());
        }
        if let Some(index) = w.index {
            entry["index"] = json!(index);
            let on_chain: Map<String, Value> = w
                .on_chain
                .iter()
                .map(|(t, b)| (t.clone(), Value::String(num(b.total()))))
                .collect();
            entry["on_chain"] = Value::Object(on_chain);
        }
        wallets.insert(id.clone(), entry);
    }
    let reserves: Map<String, Value> = match ledger.reserves() {
        Ok(r) => r
            .iter()
            .map(|(k, v)| (k.clone(), reserve_json(v)))
            .collect(),
        Err(e) => std::iter::once(("error".to_owned(), error_json(&e))).collect(),
    };
    let below: Vec<Value> = ledger
        .below_minimum()
        .iter()
        .map(|d| {
            json!({
                "tx": d.result.tx, "to": d.result.to, "token": d.result.token,
                "amount": num(d.result.amount), "usd_value": num(d.result.usd_value), "status": d.status,
            })
        })
        .collect();
    let rules: Vec<Value> = ledger.rules().iter().map(rule_json).collect();
    json!({"wallets": wallets, "reserves": reserves, "below_minimum": below, "rules": rules})
}

/// The default configuration, as a scenario `config` line would state it.
pub fn default_config() -> Config {
    Config::default()
}
