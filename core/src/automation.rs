//! User-flow automation: rules on virtual wallets that act when a deposit is credited or confirmed.
//!
//! A rule belongs to one virtual wallet and has an id, a trigger (`deposit` or `confirm`), a token,
//! an optional `min_amount` and one action: `forward` (a percentage of the deposit or a fixed
//! amount) to another virtual wallet of the same client and blockchain, `forward_excess` (whatever
//! the balance holds above `keep`), `withdraw` to an outside address (only on `confirm`, since
//! unconfirmed funds cannot leave the platform), or `alert` (a webhook event VIRTUAL_WALLET/ALERT).
//!
//! Only on-chain deposits trigger rules; movements made by rules never do, so no chain of rules can
//! loop. A rule's action is an ordinary ledger movement with the deterministic id
//! `rule:RULE:TX`, checked like any other movement; a failed action does not undo the deposit.

use crate::amount::Amount;
use crate::error::{err, ErrorCode, Result};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The most rules one wallet may hold.
pub const MAX_RULES_PER_WALLET: usize = 16;

/// When a rule acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// An on-chain deposit was credited (pending).
    Deposit,
    /// That deposit reached its confirmations.
    Confirm,
}

/// How much of a deposit an action moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Share {
    /// This percentage (0 < p <= 100) of the deposit, rounded toward zero at the token's decimals.
    Percent(Decimal),
    /// This fixed amount.
    Amount(Amount),
}

/// What a rule does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Move part of the deposit to another virtual wallet.
    Forward {
        /// Destination wallet.
        to: String,
        /// How much.
        share: Share,
    },
    /// Move whatever the balance holds above `keep` to another virtual wallet.
    ForwardExcess {
        /// Destination wallet.
        to: String,
        /// Amount to leave in the wallet.
        keep: Amount,
    },
    /// Pay out to an outside address (trigger `confirm` only).
    Withdraw {
        /// Destination address (canonical form).
        to_address: String,
        /// How much.
        share: Share,
        /// Fee charged to the wallet.
        fee: Amount,
    },
    /// Emit a webhook event VIRTUAL_WALLET / ALERT.
    Alert,
}

/// The type of an action, without its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// [`Action::Forward`].
    Forward,
    /// [`Action::ForwardExcess`].
    ForwardExcess,
    /// [`Action::Withdraw`].
    Withdraw,
    /// [`Action::Alert`].
    Alert,
}

impl ActionKind {
    /// The type name used in scenarios and events.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Forward => "forward",
            ActionKind::ForwardExcess => "forward_excess",
            ActionKind::Withdraw => "withdraw",
            ActionKind::Alert => "alert",
        }
    }
}

impl Action {
    /// The action's type.
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Forward { .. } => ActionKind::Forward,
            Action::ForwardExcess { .. } => ActionKind::ForwardExcess,
            Action::Withdraw { .. } => ActionKind::Withdraw,
            Action::Alert => ActionKind::Alert,
        }
    }
}

/// A rule on a virtual wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// Rule id (unique in the ledger; shared with the outcomes it records, not copied).
    pub id: Arc<str>,
    /// The wallet it watches.
    pub wallet: String,
    /// When it acts.
    pub on: Trigger,
    /// The token whose deposits it watches (canonical symbol).
    pub token: String,
    /// Deposits under this amount do not trigger it.
    pub min_amount: Option<Amount>,
    /// What it does.
    pub action: Action,
}

/// What happened when a rule fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleOutcome {
    /// Rule id.
    pub rule: Arc<str>,
    /// Action type.
    pub action: ActionKind,
    /// Amount moved (absent for alerts).
    pub amount: Option<Decimal>,
    /// Error code when the action was refused.
    pub code: Option<ErrorCode>,
    /// Error message when the action was refused.
    pub message: Option<String>,
    /// The webhook an alert sends.
    pub event: Option<Alert>,
}

/// The webhook an alert sends: its envelope, or, when the rule's id and the deposit's make an
/// operation id too long to send, what it is named and why it cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Alert {
    /// The envelope to deliver.
    Ready(crate::webhook::Envelope),
    /// An alert that cannot be sent.
    Unsendable {
        /// `VIRTUAL_WALLET`.
        operation: String,
        /// `ALERT`.
        sub_operation: String,
        /// The operation id that is too long.
        operation_id: String,
        /// Why it cannot be sent.
        error: String,
    },
}

impl RuleOutcome {
    /// True when the action went through.
    pub fn ok(&self) -> bool {
        self.code.is_none()
    }

    /// The kind of the webhook event that reports it (always about the virtual wallet).
    pub fn event_kind(&self) -> crate::Result<crate::webhook::EventKind> {
        crate::webhook::Subject::VirtualWallet.on(self.sub_operation())
    }

    /// The webhook that reports this outcome of a rule of `wallet` fired by deposit `tx`: an
    /// alert's own data, else the action's result (FAILED, with the refusal's message as its
    /// reason, when the action was refused).
    pub fn webhook(&self, wallet: &str, tx: &str) -> crate::Result<OutcomeEvent> {
        let operation_id = movement_id(&self.rule, tx);
        let kind = self.event_kind()?;
        if let Some(alert) = &self.event {
            return Ok(OutcomeEvent {
                kind,
                operation_id,
                status: crate::webhook::Status::Success,
                reason: None,
                data: match alert {
                    Alert::Ready(envelope) => serde_json::Value::Object(envelope.data.clone()),
                    Alert::Unsendable { .. } => serde_json::Value::Null,
                },
            });
        }
        let amount = self.amount.map(crate::amount::decimal_text);
        Ok(OutcomeEvent {
            kind,
            operation_id,
            status: if self.ok() {
                crate::webhook::Status::Success
            } else {
                crate::webhook::Status::Failed
            },
            reason: self.message.clone(),
            data: serde_json::json!({"wallet_id": wallet, "rule": self.rule, "action": self.action.as_str(), "deposit_tx": tx, "amount": amount, "code": self.code}),
        })
    }

    /// What happened, as the event reports it: `ALERT` for an alert, `WITHDRAWAL` for a payout,
    /// `TRANSFER` for a forward.
    pub fn sub_operation(&self) -> crate::webhook::Happening {
        use crate::webhook::Happening;
        match self.action {
            ActionKind::Alert => Happening::Alert,
            ActionKind::Withdraw => Happening::Withdrawal,
            ActionKind::Forward | ActionKind::ForwardExcess => Happening::Transfer,
        }
    }
}

/// The webhook event that reports a rule's outcome ([`RuleOutcome::webhook`]).
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeEvent {
    /// VIRTUAL_WALLET and what happened (ALERT, TRANSFER or WITHDRAWAL).
    pub kind: crate::webhook::EventKind,
    /// The rule's movement id for the deposit ([`movement_id`]).
    pub operation_id: String,
    /// SUCCESS, or FAILED when the action was refused.
    pub status: crate::webhook::Status,
    /// Why it failed.
    pub reason: Option<String>,
    /// The event's data.
    pub data: serde_json::Value,
}

/// The deterministic id of the movement a rule makes for a deposit.
pub fn movement_id(rule: &str, tx: &str) -> String {
    format!("rule:{rule}:{tx}")
}

/// Whether a rule fires for a deposit of `amount` of `token` on trigger `on`.
pub fn fires(rule: &Rule, on: Trigger, token: &str, amount: Amount) -> bool {
    rule.on == on && rule.token == token && rule.min_amount.is_none_or(|min| amount >= min)
}

/// The amount a share of a deposit is, rounded toward zero at the token's decimals.
pub fn share_of(share: Share, deposit: Amount, decimals: u8) -> Result<Amount> {
    match share {
        Share::Amount(a) => Ok(a),
        Share::Percent(p) => {
            let raw = deposit
                .as_decimal()
                .checked_mul(p)
                .and_then(|v| v.checked_mul(Decimal::new(1, 2)))
                .ok_or_else(|| err::invalid_amount("percentage overflows"))?;
            Amount::from_decimal(
                raw.round_dp_with_strategy(u32::from(decimals), RoundingStrategy::ToZero)
                    .normalize(),
            )
        }
    }
}

/// What `forward_excess` moves: the total above `keep`, or zero.
pub fn excess(total: Decimal, keep: Amount) -> Result<Amount> {
    Amount::from_decimal((total - keep.as_decimal()).max(Decimal::ZERO))
}

/// Checks a rule's own shape: percent range, amounts, withdraw only on confirm.
pub fn check_shape(rule: &Rule, decimals: u8) -> Result<()> {
    let bad = |m: String| Err(err::invalid_rule(m));
    if let Some(min) = rule.min_amount {
        if min.check_scale(decimals).is_err() {
            return bad(format!(
                "min_amount {min} has more than {decimals} decimals"
            ));
        }
    }
    let check_share = |share: &Share| -> Result<()> {
        match share {
            Share::Percent(p) if *p <= Decimal::ZERO || *p > Decimal::ONE_HUNDRED => Err(
                err::invalid_rule(format!("percent must be above 0 and at most 100, not {p}")),
            ),
            Share::Amount(a) if a.is_zero() => Err(err::invalid_rule("amount must be above zero")),
            Share::Amount(a) if a.check_scale(decimals).is_err() => Err(err::invalid_rule(
                format!("amount {a} has more than {decimals} decimals"),
            )),
            _ => Ok(()),
        }
    };
    match &rule.action {
        Action::Forward { share, .. } => check_share(share),
        Action::ForwardExcess { keep, .. } => {
            if keep.check_scale(decimals).is_err() {
                return bad(format!("keep {keep} has more than {decimals} decimals"));
            }
            Ok(())
        }
        Action::Withdraw { share, fee, .. } => {
            if rule.on != Trigger::Confirm {
                return bad(
                    "withdraw acts only on `confirm`: unconfirmed funds cannot leave the platform"
                        .into(),
                );
            }
            if fee.check_scale(decimals).is_err() {
                return bad(format!("fee {fee} has more than {decimals} decimals"));
            }
            check_share(share)
        }
        Action::Alert => Ok(()),
    }
}

/// The webhook envelope an alert emits (VIRTUAL_WALLET / ALERT, validated against the catalog).
pub fn alert_event(rule: &Rule, tx: &str, amount: Amount, on: Trigger) -> Alert {
    let mut data = serde_json::Map::new();
    data.insert("rule".into(), rule.id.as_ref().into());
    data.insert("wallet".into(), rule.wallet.clone().into());
    data.insert("trigger".into(), serde_json::json!(on));
    data.insert(
        "deposit".into(),
        serde_json::json!({"tx": tx, "token": rule.token, "amount": amount.to_string()}),
    );
    let id = movement_id(&rule.id, tx);
    let status = crate::webhook::Status::Success;
    let alert = crate::webhook::Subject::VirtualWallet.on(crate::webhook::Happening::Alert);
    match alert.and_then(|kind| crate::webhook::Envelope::new(kind, &id, status, None, data)) {
        Ok(envelope) => Alert::Ready(envelope),
        // Only an over-long id can fail: the outcome still names the alert.
        Err(e) => Alert::Unsendable {
            operation: "VIRTUAL_WALLET".to_owned(),
            sub_operation: "ALERT".to_owned(),
            operation_id: id,
            error: e.message().to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_action_is_reported_failed_with_its_reason_and_an_alert_with_its_own_data() {
        let refused = RuleOutcome {
            rule: "r1".into(),
            action: ActionKind::Withdraw,
            amount: Some(Decimal::new(2500, 3)),
            code: Some(ErrorCode::InsufficientFunds),
            message: Some("not enough".into()),
            event: None,
        };
        let e = refused.webhook("vw1", "tx1").unwrap();
        assert_eq!(e.operation_id, "rule:r1:tx1");
        assert_eq!(e.status, crate::webhook::Status::Failed);
        assert_eq!(e.reason.as_deref(), Some("not enough"));
        assert_eq!(
            e.data,
            serde_json::json!({"wallet_id": "vw1", "rule": "r1", "action": "withdraw", "deposit_tx": "tx1", "amount": "2.5", "code": "INSUFFICIENT_FUNDS"})
        );
        let alert = RuleOutcome {
            action: ActionKind::Alert,
            amount: None,
            code: None,
            message: None,
            event: Some(Alert::Ready(
                crate::webhook::Envelope::new(
                    crate::webhook::Subject::VirtualWallet
                        .on(crate::webhook::Happening::Alert)
                        .unwrap(),
                    "rule:r1:tx1",
                    crate::webhook::Status::Success,
                    None,
                    serde_json::Map::from_iter([("rule".to_owned(), "r1".into())]),
                )
                .unwrap(),
            )),
            ..refused
        };
        let e = alert.webhook("vw1", "tx1").unwrap();
        assert_eq!(e.status, crate::webhook::Status::Success);
        assert_eq!(e.data, serde_json::json!({"rule": "r1"}));
        assert_eq!(
            e.kind,
            crate::webhook::Subject::VirtualWallet
                .on(crate::webhook::Happening::Alert)
                .unwrap()
        );
    }

    #[test]
    fn an_alert_reads_back_as_it_was_stored() {
        let ready = serde_json::json!({"operation": "VIRTUAL_WALLET", "sub_operation": "ALERT",
            "operation_id": "rule:r1:tx1", "status": "SUCCESS", "data": {"rule": "r1"}});
        let unsendable = serde_json::json!({"operation": "VIRTUAL_WALLET", "sub_operation": "ALERT",
            "operation_id": "rule:r1:tx1", "error": "too long"});
        for stored in [ready, unsendable] {
            let alert: Alert = serde_json::from_value(stored.clone()).expect("reads");
            assert_eq!(serde_json::to_value(&alert).expect("writes"), stored);
        }
        let Ok(Alert::Ready(_)) =
            serde_json::from_value(serde_json::json!({"operation": "VIRTUAL_WALLET",
            "sub_operation": "ALERT", "operation_id": "x", "status": "SUCCESS", "data": {}}))
        else {
            panic!("an envelope is Ready");
        };
        assert!(serde_json::from_value::<Alert>(serde_json::json!({"data": {}})).is_err());
    }

    #[test]
    fn percent_rounds_toward_zero_at_decimals() {
        let d = Amount::parse("10.000001", 6).unwrap();
        let half = share_of(Share::Percent(Decimal::new(50, 0)), d, 6).unwrap();
        assert_eq!(half.to_string(), "5");
        let third = share_of(
            Share::Percent(Decimal::new(3333, 2)),
            Amount::parse("1", 6).unwrap(),
            6,
        )
        .unwrap();
        assert_eq!(third.to_string(), "0.3333");
        let tiny = share_of(
            Share::Percent(Decimal::new(1, 0)),
            Amount::parse("0.000099", 6).unwrap(),
            6,
        )
        .unwrap();
        assert!(tiny.is_zero());
    }
}
