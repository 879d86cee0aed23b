//! Automation rules in their scenario form (`add_rule`): every defect is INVALID_RULE.

use super::amount;
use crate::amount::{parse_decimal, Amount};
use crate::automation::{Action, Rule, Share, Trigger};
use crate::error::{err, Result};
use serde::Deserialize;
use serde_json::Value;

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
