//! The scenario format: JSON Lines of ledger commands in, JSON Lines of results out.
//!
//! One command per line, `op` picks it, amounts are decimal strings. Each line is answered, in
//! order, with `{"ok":true,...}` or `{"ok":false,"code":"CODE","message":"..."}`; a refused
//! command changes nothing. After the last line comes `{"state":{...}}`. Blank lines are skipped.
//! Unknown fields are refused (INVALID_COMMAND) so that a typo never passes silently.

mod commands;
mod execute;
mod output;
mod rule;

pub use commands::OPS;
pub use output::{rule_json, state_json};
pub use rule::parse_rule;

use crate::amount::{Amount, MAX_DECIMALS};
use crate::error::{err, Result};
use crate::ledger::{Config, Ledger};
use commands::Command;
use output::{error_json, reserve_json};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

/// Symbols priced at 1 USD when a deposit gives no `usd_price` (kept here for callers of
/// earlier versions; the rule is [`crate::pricing`]).
pub use crate::pricing::USD_STABLECOINS;

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
    crate::amount::decimal_text(d)
}

fn amount(text: &str) -> Result<Amount> {
    Amount::parse(text, MAX_DECIMALS)
}

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
        let command = Command::parse(op, args)?;
        self.execute(command)
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

/// The default configuration, as a scenario `config` line would state it.
pub fn default_config() -> Config {
    Config::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(s: &mut Scenario, line: &str) -> Value {
        serde_json::from_str(&s.apply_line(line).unwrap()).unwrap()
    }

    #[test]
    fn each_line_gets_one_answer_and_a_refused_line_changes_nothing() {
        let mut s = Scenario::new();
        let created = answer(
            &mut s,
            r#"{"op":"create_account","client":"c1","account":"a1"}"#,
        );
        assert_eq!(created, json!({"ok": true, "account": "a1"}));
        assert_eq!(s.apply_line("   "), None);
        let before = s.state_line();
        let refused = answer(
            &mut s,
            r#"{"op":"create_virtual_wallet","account":"nobody","wallet":"vw1","blockchain":"ethereum"}"#,
        );
        assert_eq!(
            (&refused["ok"], &refused["code"]),
            (&json!(false), &json!("NOT_FOUND"))
        );
        assert_eq!(s.state_line(), before);
    }

    #[test]
    fn malformed_lines_are_invalid_command() {
        let mut s = Scenario::new();
        for line in [
            "not json",
            "[1]",
            r#"{"account":"a1"}"#,
            r#"{"op":7}"#,
            r#"{"op":"mint"}"#,
        ] {
            let a = answer(&mut s, line);
            assert_eq!(
                (&a["ok"], &a["code"]),
                (&json!(false), &json!("INVALID_COMMAND")),
                "{line}: {a}"
            );
        }
    }

    #[test]
    fn replay_ends_with_the_state_line() {
        let out = replay("{\"op\":\"create_account\",\"client\":\"c1\",\"account\":\"a1\"}\n");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert!(lines[1].starts_with(r#"{"state":"#));
    }
}
