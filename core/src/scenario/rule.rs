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
    let action = c.action.parse()?;
    let min_amount = match &c.min_amount {
        Some(m) => Some(field_amount("min_amount", m)?),
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

/// An INVALID_RULE error.
fn bad(message: String) -> crate::error::Error {
    err::invalid_rule(message)
}

/// An amount field of a rule.
fn field_amount(field: &str, text: &str) -> Result<Amount> {
    amount(text).map_err(|e| bad(format!("{field}: {}", e.message())))
}

impl RawAction {
    /// The action of its `type`, with the fields that type takes and no other.
    fn parse(&self) -> Result<Action> {
        match self.kind.as_str() {
            "forward" => {
                self.refuse(&[
                    ("keep", self.keep.is_some()),
                    ("to_address", self.to_address.is_some()),
                    ("fee", self.fee.is_some()),
                ])?;
                Ok(Action::Forward {
                    to: self.target()?,
                    share: self.share()?,
                })
            }
            "forward_excess" => self.forward_excess(),
            "withdraw" => self.withdraw(),
            "alert" => {
                self.refuse(&[
                    ("to", self.to.is_some()),
                    ("percent", self.percent.is_some()),
                    ("amount", self.amount.is_some()),
                    ("keep", self.keep.is_some()),
                    ("to_address", self.to_address.is_some()),
                    ("fee", self.fee.is_some()),
                ])?;
                Ok(Action::Alert)
            }
            other => Err(bad(format!(
                "unknown action {other:?}; allowed: forward, forward_excess, withdraw, alert"
            ))),
        }
    }

    fn forward_excess(&self) -> Result<Action> {
        self.refuse(&[
            ("percent", self.percent.is_some()),
            ("amount", self.amount.is_some()),
            ("to_address", self.to_address.is_some()),
            ("fee", self.fee.is_some()),
        ])?;
        let keep = self
            .keep
            .as_deref()
            .ok_or_else(|| bad("action forward_excess needs `keep`".into()))?;
        Ok(Action::ForwardExcess {
            to: self.target()?,
            keep: field_amount("keep", keep)?,
        })
    }

    fn withdraw(&self) -> Result<Action> {
        self.refuse(&[("to", self.to.is_some()), ("keep", self.keep.is_some())])?;
        let to_address = self
            .to_address
            .clone()
            .ok_or_else(|| bad("action withdraw needs `to_address`".into()))?;
        let fee = match &self.fee {
            Some(f) => field_amount("fee", f)?,
            None => Amount::ZERO,
        };
        Ok(Action::Withdraw {
            to_address,
            share: self.share()?,
            fee,
        })
    }

    /// Refuses the first field given that this action does not take.
    fn refuse(&self, fields: &[(&str, bool)]) -> Result<()> {
        match fields.iter().find(|(_, present)| *present) {
            Some((name, _)) => Err(bad(format!("action {} does not take `{name}`", self.kind))),
            None => Ok(()),
        }
    }

    /// Exactly one of `percent` and `amount`.
    fn share(&self) -> Result<Share> {
        match (&self.percent, &self.amount) {
            (Some(p), None) => Ok(Share::Percent(
                parse_decimal(p).map_err(|e| bad(format!("percent: {}", e.message())))?,
            )),
            (None, Some(x)) => Ok(Share::Amount(field_amount("amount", x)?)),
            _ => Err(bad(format!(
                "action {} needs exactly one of `percent` and `amount`",
                self.kind
            ))),
        }
    }

    /// The wallet a forward goes to.
    fn target(&self) -> Result<String> {
        self.to
            .clone()
            .ok_or_else(|| bad(format!("action {} needs `to`", self.kind)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use serde_json::json;

    fn rule(action: Value) -> Result<Rule> {
        parse_rule(
            json!({"rule": "r1", "wallet": "vw1", "on": "confirm", "token": "USDT", "action": action}),
        )
    }

    fn refusal(action: Value) -> String {
        let e = rule(action).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidRule);
        e.message().to_owned()
    }

    #[test]
    fn each_action_is_read_with_its_own_fields() {
        let forward = rule(json!({"type": "forward", "to": "vw2", "percent": "50"})).unwrap();
        assert!(matches!(
            forward.action,
            Action::Forward { ref to, share: Share::Percent(p) } if to == "vw2" && p == rust_decimal::Decimal::from(50)
        ));
        let withdraw =
            rule(json!({"type": "withdraw", "to_address": "0xab", "amount": "2"})).unwrap();
        assert!(matches!(withdraw.action, Action::Withdraw { fee, .. } if fee == Amount::ZERO));
        assert_eq!(
            rule(json!({"type": "alert"})).unwrap().action,
            Action::Alert
        );
    }

    #[test]
    fn a_field_the_action_does_not_take_or_lacks_is_named() {
        assert_eq!(
            refusal(json!({"type": "withdraw", "to_address": "0xab", "percent": "1", "keep": "1"})),
            "action withdraw does not take `keep`"
        );
        assert_eq!(
            refusal(json!({"type": "alert", "to": "vw2"})),
            "action alert does not take `to`"
        );
        assert_eq!(
            refusal(json!({"type": "forward", "to": "vw2", "percent": "1", "amount": "1"})),
            "action forward needs exactly one of `percent` and `amount`"
        );
        assert_eq!(
            refusal(json!({"type": "forward_excess", "to": "vw2"})),
            "action forward_excess needs `keep`"
        );
        assert!(refusal(json!({"type": "burn"})).starts_with("unknown action \"burn\""));
    }

    #[test]
    fn an_unknown_trigger_or_field_is_refused() {
        let e = parse_rule(
            json!({"rule": "r1", "wallet": "vw1", "on": "sweep", "token": "USDT", "action": {"type": "alert"}}),
        );
        assert!(e
            .unwrap_err()
            .message()
            .starts_with("unknown trigger \"sweep\""));
        let e = parse_rule(
            json!({"rule": "r1", "wallet": "vw1", "on": "confirm", "token": "USDT", "action": {"type": "alert"}, "extra": 1}),
        );
        assert_eq!(e.unwrap_err().code(), ErrorCode::InvalidRule);
    }
}
