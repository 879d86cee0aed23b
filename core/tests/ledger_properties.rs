//! Property tests over random command sequences: the books always balance, no wallet goes
//! negative unless frozen, snapshots restore exactly, and retries change nothing.

#![allow(clippy::unwrap_used)] // tests unwrap known-good values

use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use waas_core::ledger::rules::WalletStatus;
use waas_core::scenario::Scenario;

const WALLETS: [&str; 4] = ["vw1", "vw2", "vw3", "tr1"];
const ADDRESS: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

fn setup() -> Vec<Value> {
    vec![
        json!({"op":"contract","client":"c1","max_virtual_wallets":2}),
        json!({"op":"create_account","client":"c1","account":"a1"}),
        json!({"op":"create_virtual_wallet","account":"a1","wallet":"vw1","blockchain":"ethereum"}),
        json!({"op":"create_virtual_wallet","account":"a1","wallet":"vw2","blockchain":"ethereum"}),
        json!({"op":"create_treasury","account":"a1","wallet":"tr1","blockchain":"ethereum"}),
        json!({"op":"create_card","account":"a1","card":"card1"}),
    ]
}

fn amount() -> impl Strategy<Value = String> {
    (0u32..6000, 0u32..3).prop_map(|(n, scale)| Decimal::new(i64::from(n), scale).to_string())
}

fn wallet() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&WALLETS[..])
}

fn command() -> impl Strategy<Value = Value> {
    let tx = 0u8..12;
    prop_oneof![
        3 => (tx.clone(), wallet(), amount()).prop_map(|(t, w, a)| json!({"op":"deposit","tx":format!("0x{t}:0"),"to":w,"token":"USDT","amount":a})),
        1 => (tx.clone(), amount()).prop_map(|(t, a)| json!({"op":"deposit","tx":format!("0xc{t}:0"),"to":"card1","token":"ETH","amount":a,"usd_price":"2.5"})),
        2 => tx.clone().prop_map(|t| json!({"op":"confirm","tx":format!("0x{t}:0")})),
        2 => tx.clone().prop_map(|t| json!({"op":"drop","tx":format!("0x{t}:0")})),
        2 => (tx.clone(), wallet(), amount()).prop_map(|(t, w, a)| json!({"op":"sweep","tx":format!("0xs{t}"),"from":w,"token":"USDT","amount":a})),
        3 => (0u8..10, wallet(), wallet(), amount()).prop_map(|(i, f, t, a)| json!({"op":"transfer","id":format!("t{i}"),"from":f,"to":t,"token":"USDT","amount":a})),
        1 => (0u8..10, wallet(), amount()).prop_map(|(i, t, a)| json!({"op":"holding_credit","id":format!("h{i}"),"to":t,"token":"USDT","amount":a})),
        2 => (0u8..10, wallet(), amount(), amount()).prop_map(|(i, f, a, fee)| json!({"op":"withdraw","id":format!("w{i}"),"from":f,"to_address":ADDRESS,"token":"USDT","amount":a,"fee":fee})),
        1 => (0u8..10, amount()).prop_map(|(i, a)| json!({"op":"holding_withdraw","id":format!("hw{i}"),"client":"c1","blockchain":"ethereum","token":"USDT","amount":a,"to_address":ADDRESS})),
        2 => withdrawal_step(),
        2 => hold_step(),
        1 => wallet().prop_map(|w| json!({"op":"deactivate","wallet":w})),
        1 => wallet().prop_map(|w| json!({"op":"activate","wallet":w})),
        1 => Just(json!({"op":"create_virtual_wallet","account":"a1","wallet":"vw3","blockchain":"ethereum"})),
        1 => amount().prop_map(|r| json!({"op":"config","min_reserve_ratio":r})),
        2 => rule(),
        1 => (0u8..6).prop_map(|i| json!({"op":"remove_rule","rule":format!("r{i}")})),
    ]
}

/// A hold set, released, expired or captured.
fn hold_step() -> impl Strategy<Value = Value> {
    (0u8..6, wallet(), wallet(), amount(), 0u8..4).prop_map(|(i, w, to, a, step)| match step {
        0 => json!({"op":"hold","id":format!("hd{i}"),"wallet":w,"token":"USDT","amount":a,"reason":"r","expires_at":100,"now":50}),
        1 => json!({"op":"release","id":format!("hd{i}")}),
        2 => json!({"op":"expire","id":format!("hd{i}"),"now":100}),
        _ => json!({"op":"capture","id":format!("hd{i}"),"to":to}),
    })
}

/// A step in a withdrawal's life: sent, final, failed (its debit given back) or cancelled.
fn withdrawal_step() -> impl Strategy<Value = Value> {
    let id = prop_oneof![
        (0u8..10).prop_map(|i| format!("w{i}")),
        (0u8..10).prop_map(|i| format!("hw{i}"))
    ];
    (id, 0u8..4, 0u8..3).prop_map(|(id, step, h)| match step {
        0 => json!({"op":"withdrawal_broadcast","id":id,"tx_hash":format!("0x{h}")}),
        1 => json!({"op":"withdrawal_confirm","id":id}),
        2 => json!({"op":"withdrawal_fail","id":id,"reason":"reverted"}),
        _ => json!({"op":"cancel","id":id}),
    })
}

fn rule() -> impl Strategy<Value = Value> {
    let action = prop_oneof![
        (wallet(), 1u32..=100)
            .prop_map(|(to, p)| json!({"type":"forward","to":to,"percent":p.to_string()})),
        (wallet(), amount()).prop_map(|(to, a)| json!({"type":"forward","to":to,"amount":a})),
        (wallet(), amount()).prop_map(|(to, k)| json!({"type":"forward_excess","to":to,"keep":k})),
        (1u32..=100, amount()).prop_map(
            |(p, f)| json!({"type":"withdraw","to_address":ADDRESS,"percent":p.to_string(),"fee":f})
        ),
        Just(json!({"type":"alert"})),
    ];
    (0u8..6, wallet(), any::<bool>(), prop::option::of(amount()), action).prop_map(|(i, w, confirm, min, action)| {
        let mut v = json!({"op":"add_rule","rule":format!("r{i}"),"wallet":w,"on":if confirm {"confirm"} else {"deposit"},"token":"USDT","action":action});
        if let Some(m) = min {
            v["min_amount"] = json!(m);
        }
        v
    })
}

/// The setup and `cmds` run on a ledger that records its journal, and the journal chained the
/// way a host chains it: (the scenario, the postings, one JSON line per entry).
fn journaled(
    cmds: &[Value],
) -> (
    Scenario,
    Vec<waas_core::ledger::journal::Posting>,
    Vec<String>,
) {
    use waas_core::ledger::journal::{Entry, GENESIS_HASH};
    let mut ledger = waas_core::ledger::Ledger::new(waas_core::scenario::default_config());
    ledger.record_journal(true);
    let mut s = Scenario::with_ledger(ledger);
    for c in setup() {
        run(&mut s, &c);
    }
    for c in cmds {
        run(&mut s, c);
    }
    let postings = s.ledger_mut().take_journal();
    let mut prev = GENESIS_HASH.to_owned();
    let mut lines = Vec::new();
    for (i, p) in postings.iter().enumerate() {
        let e = Entry::chain("c1", i as u64 + 1, "2026-12-01T00:00:00.000Z", &prev, p);
        prev = e.hash.clone();
        lines.push(serde_json::to_string(&e).unwrap());
    }
    (s, postings, lines)
}

fn run(scenario: &mut Scenario, cmd: &Value) -> Value {
    let line = scenario.apply_line(&cmd.to_string()).unwrap();
    serde_json::from_str(&line).unwrap()
}

fn check_invariants(scenario: &Scenario) -> Result<(), TestCaseError> {
    let ledger = scenario.ledger();
    for (unit, sum) in ledger.unit_sums() {
        prop_assert!(
            sum.posted.is_zero() && sum.pending.is_zero(),
            "unit {} sums to {:?}",
            unit,
            sum
        );
    }
    for (id, w) in ledger.wallets() {
        for (token, b) in &w.balances {
            if w.status != WalletStatus::Frozen {
                prop_assert!(
                    b.total() >= Decimal::ZERO,
                    "{} {} negative while {:?}",
                    id,
                    token,
                    w.status
                );
                prop_assert!(b.confirmed() >= Decimal::ZERO && b.unconfirmed() >= Decimal::ZERO);
                let held = w.held.get(token).copied().unwrap_or_default();
                prop_assert!(held >= Decimal::ZERO, "{} {} holds {}", id, token, held);
                prop_assert!(
                    b.total() - held >= Decimal::ZERO,
                    "{} {} available below zero",
                    id,
                    token
                );
            }
        }
        for b in w.on_chain.values() {
            prop_assert!(
                b.posted >= Decimal::ZERO && b.total() >= Decimal::ZERO,
                "address of {} negative",
                id
            );
        }
    }
    let cached: Vec<_> = ledger
        .cached_sums()
        .into_iter()
        .filter(|(_, v)| !v.0.is_zero() || !v.1.is_zero())
        .collect();
    let fresh: Vec<_> = ledger
        .recomputed_caches()
        .into_iter()
        .filter(|(_, v)| !v.0.is_zero() || !v.1.is_zero())
        .collect();
    prop_assert_eq!(cached, fresh);
    for report in ledger.reserves().unwrap().values() {
        prop_assert!(report.withdrawable <= report.holding.max(Decimal::ZERO));
        prop_assert!(report.leverage >= Decimal::ZERO);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn books_balance_and_nothing_goes_negative_unless_frozen(cmds in prop::collection::vec(command(), 1..80)) {
        let mut s = Scenario::new();
        for c in setup() { run(&mut s, &c); }
        for c in &cmds {
            let before = s.ledger().save().unwrap();
            let out = run(&mut s, c);
            if out["ok"] == json!(false) {
                // a refused command changes nothing
                prop_assert_eq!(&before, &s.ledger().save().unwrap(), "refused {} changed the ledger", c);
            }
            check_invariants(&s)?;
        }
    }

    #[test]
    fn snapshot_restore_continues_identically(cmds in prop::collection::vec(command(), 1..60), cut in 0usize..60) {
        let mut straight = Scenario::new();
        let mut restored = Scenario::new();
        for c in setup() { run(&mut straight, &c); run(&mut restored, &c); }
        for (i, c) in cmds.iter().enumerate() {
            if i == cut.min(cmds.len() - 1) {
                let saved = restored.ledger().save().unwrap();
                let ledger = waas_core::ledger::Ledger::restore(&saved, waas_core::Registry::builtin()).unwrap();
                restored = Scenario::with_ledger(ledger);
            }
            prop_assert_eq!(run(&mut straight, c), run(&mut restored, c));
        }
        prop_assert_eq!(straight.state_line(), restored.state_line());
        prop_assert!(straight.ledger() == restored.ledger());
    }

    #[test]
    fn every_deposit_sent_twice_ends_in_the_same_state(cmds in prop::collection::vec(command(), 1..60)) {
        let mut once = Scenario::new();
        let mut twice = Scenario::new();
        for c in setup() { run(&mut once, &c); run(&mut twice, &c); }
        for c in &cmds {
            let first = run(&mut once, c);
            prop_assert_eq!(&run(&mut twice, c), &first);
            if c["op"] == "deposit" {
                prop_assert_eq!(&run(&mut twice, c), &first, "second delivery of {} answered differently", c);
            }
            check_invariants(&twice)?;
        }
        prop_assert_eq!(once.state_line(), twice.state_line());
    }

    /// A host keeps settled records in its database (`take_settled`) and gives back the ones a
    /// command names (`remember_*`) before running it: the answers are those of a ledger that
    /// kept everything.
    #[test]
    fn settled_records_stored_outside_give_the_same_answers(cmds in prop::collection::vec(command(), 1..60)) {
        use std::collections::HashMap;
        use waas_core::ledger::{DepositRecord, Hold, Ledger, Movement, WithdrawalRecord};
        let mut full = Scenario::new();
        let mut lean = Scenario::new();
        for c in setup() { run(&mut full, &c); run(&mut lean, &c); }
        let mut movements: HashMap<String, Movement> = HashMap::new();
        let mut sweeps: HashMap<String, Movement> = HashMap::new();
        let mut deposits: HashMap<String, DepositRecord> = HashMap::new();
        let mut withdrawals: HashMap<String, WithdrawalRecord> = HashMap::new();
        let mut holds: HashMap<String, Hold> = HashMap::new();
        for c in &cmds {
            let want = run(&mut full, c);
            let saved = lean.ledger().save().unwrap();
            let mut ledger = Ledger::restore(&saved, waas_core::Registry::builtin()).unwrap();
            if let Some(id) = c["id"].as_str() {
                if let Some(m) = movements.get(id) { ledger.remember_movement(id.to_owned(), m.clone()); }
                if let Some(w) = withdrawals.get(id) { ledger.remember_withdrawal(w.clone()); }
                if let Some(h) = holds.get(id) { ledger.remember_hold(h.clone()); }
            }
            if let Some(tx) = c["tx"].as_str() {
                if let Some(m) = sweeps.get(tx) { ledger.remember_sweep(tx.to_owned(), m.clone()); }
                if let Some(d) = deposits.get(tx) { ledger.remember_deposit(d.clone()); }
            }
            // a deposit fires rules whose movement ids derive from the tx: give those back too
            if let Some(tx) = c["tx"].as_str() {
                for (id, m) in &movements {
                    if id.ends_with(&format!(":{tx}")) { ledger.remember_movement(id.clone(), m.clone()); }
                }
            }
            lean = Scenario::with_ledger(ledger);
            let got = run(&mut lean, c);
            prop_assert_eq!(&got, &want, "{}", c);
            let mut ledger = Ledger::restore(&lean.ledger().save().unwrap(), waas_core::Registry::builtin()).unwrap();
            let settled = ledger.take_settled();
            movements.extend(settled.movements);
            sweeps.extend(settled.sweeps);
            deposits.extend(settled.deposits.into_iter().map(|d| (d.request.tx.clone(), d)));
            withdrawals.extend(ledger.take_withdrawals().into_iter().map(|w| (w.id.clone(), w)));
            holds.extend(ledger.take_holds().into_iter().map(|h| (h.id.clone(), h)));
            lean = Scenario::with_ledger(ledger);
        }
        let wallets = |s: &Scenario| serde_json::from_str::<Value>(&s.state_line()).unwrap()["state"]["wallets"].clone();
        prop_assert_eq!(wallets(&full), wallets(&lean));
    }

    #[test]
    fn retrying_successful_commands_changes_nothing(cmds in prop::collection::vec(command(), 1..60)) {
        let mut s = Scenario::new();
        for c in setup() { run(&mut s, &c); }
        let mut applied = Vec::new();
        for c in &cmds {
            let out = run(&mut s, c);
            let idempotent = matches!(c["op"].as_str(), Some("deposit" | "sweep" | "transfer" | "holding_credit" | "withdraw" | "holding_withdraw"));
            if out["ok"] == json!(true) && idempotent {
                applied.push((c.clone(), out));
            }
        }
        let before = s.ledger().save().unwrap();
        for (c, first) in &applied {
            let again = run(&mut s, c);
            prop_assert_eq!(&again, first, "retry of {} answered differently", c);
        }
        prop_assert_eq!(before, s.ledger().save().unwrap());
    }

    /// The journal a ledger records, chained the way a host chains it, verifies; its balances
    /// are the ledger's; and changing any one digit of it is caught.
    #[test]
    fn the_journal_verifies_and_any_changed_digit_is_caught(cmds in prop::collection::vec(command(), 1..60), pick in any::<prop::sample::Index>()) {
        use waas_core::ledger::journal::{self, Entry};
        let (s, postings, lines) = journaled(&cmds);
        let export = lines.join("\n");
        let verified = journal::verify(&export).map_err(|m| TestCaseError::fail(m.to_string()))?;
        prop_assert_eq!(verified.entries, postings.len());
        for (id, w) in s.ledger().wallets() {
            for (token, b) in &w.balances {
                let got = verified.balances.get(&format!("wallet:{id}")).and_then(|m| m.get(token)).copied().unwrap_or_default();
                prop_assert_eq!(got.total(), b.total(), "wallet {} {}", id, token);
                prop_assert_eq!(got.posted, b.posted, "wallet {} {}", id, token);
            }
            for (token, b) in &w.on_chain {
                let got = verified.balances.get(&format!("onchain:{id}")).and_then(|m| m.get(token)).copied().unwrap_or_default();
                prop_assert_eq!(got.total(), b.total(), "address of {} {}", id, token);
            }
        }
        // every unit sums to zero over the journal's accounts, as over the ledger's
        let mut sums: std::collections::BTreeMap<&str, Decimal> = Default::default();
        for accounts in verified.balances.values() {
            for (unit, b) in accounts { *sums.entry(unit).or_default() += b.total(); }
        }
        prop_assert!(sums.values().all(|v| v.is_zero()), "{:?}", sums);
        if !lines.is_empty() {
            // one digit changed in one entry (a balance or an amount): verification fails
            let i = pick.index(lines.len());
            let mut e: Entry = serde_json::from_str(&lines[i]).unwrap();
            e.balance_after += Decimal::ONE;
            e.posted_after += Decimal::ONE;
            let mut tampered = lines.clone();
            tampered[i] = serde_json::to_string(&e).unwrap();
            let err = journal::verify(&tampered.join("\n")).unwrap_err();
            prop_assert_eq!(err.seq, Some(i as u64 + 1));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The reserves recomputed from the journal (what a dashboard checks a platform with) are
    /// the ledger's own reports, and the history ends at them.
    #[test]
    fn reserves_recomputed_from_the_journal_are_the_ledgers(cmds in prop::collection::vec(command(), 1..60)) {
        use waas_core::ledger::audit::{audit, WalletChains};
        let (s, _, lines) = journaled(&cmds);
        let wallets: WalletChains = ["vw1", "vw2", "vw3"].iter().map(|w| (w.to_string(), "ethereum".to_string())).collect();
        let ratio = s.ledger().config().min_reserve_ratio;
        let got = audit(&lines.join("\n"), &wallets, ratio).map_err(|m| TestCaseError::fail(m.to_string()))?;
        let expected: std::collections::BTreeMap<String, _> = s.ledger().reserves().unwrap().into_iter()
            .map(|(k, r)| (k.trim_start_matches("c1/").to_owned(), r)).collect();
        let zero = waas_core::reserve::report(Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, ratio).unwrap();
        for key in expected.keys().chain(got.reserves.keys()) {
            prop_assert_eq!(got.reserves.get(key).unwrap_or(&zero), expected.get(key).unwrap_or(&zero), "{}", key);
        }
        for (key, report) in &got.reserves {
            let last = got.history.iter().rev().find(|p| &p.reserve == key);
            prop_assert_eq!(last.map(|p| &p.report), Some(report), "{}", key);
        }
    }
}
