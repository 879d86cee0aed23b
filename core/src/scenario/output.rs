//! The JSON the scenario format answers with: movements, holds, rule outcomes, reserve reports
//! and the final state.

use super::num;
use crate::automation::{Action, ActionKind, Rule, RuleOutcome, Share};
use crate::error::Error;
use crate::ledger::rules::WalletStatus;
use crate::ledger::{Balance, Ledger, Movement, WalletKind};
use serde_json::{json, Map, Value};

pub(super) fn hold_json(h: &crate::ledger::Hold) -> Value {
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

pub(super) fn automation_json(tx: &str, outcomes: &[RuleOutcome]) -> Value {
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
                    v["code"] = Value::String(code.as_str().to_owned());
                    v["message"] = Value::String(message.clone());
                }
                if let Some(event) = &o.event {
                    v["event"] = json!(event);
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

pub(super) fn error_json(e: &Error) -> Value {
    json!({"ok": false, "code": e.code().as_str(), "message": e.message()})
}

/// A movement in the scenario output, under `key` = `id`. A table, one arm per kind of movement
/// (eleven, each one JSON object), so it stays longer than the usual limit.
pub(super) fn movement_json(key: &str, id: &str, m: &Movement) -> Value {
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

pub(super) fn reserve_json(r: &crate::reserve::ReserveReport) -> Value {
    json!({
        "holding": num(r.holding),
        "in_transit": num(r.in_transit),
        "liabilities": num(r.liabilities),
        "ratio": r.ratio.map(num),
        "leverage": num(r.leverage),
        "withdrawable": num(r.withdrawable),
    })
}

pub(super) fn balance_json(b: &Balance, status: WalletStatus) -> Value {
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
                (t.to_owned(), v)
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
                .map(|(t, b)| (t.to_owned(), Value::String(num(b.total()))))
                .collect();
            entry["on_chain"] = Value::Object(on_chain);
        }
        wallets.insert((*id).to_owned(), entry);
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
