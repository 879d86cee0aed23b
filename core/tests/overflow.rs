#![allow(clippy::unwrap_used)]
//! Amounts near the limit of `Decimal` (about 7.9e28): every movement that would take a balance,
//! a total or a reserve figure past it is refused with INVALID_AMOUNT and changes nothing; none
//! panics.

use proptest::prelude::*;
use serde_json::{json, Value};
use waas_core::scenario::Scenario;

fn run(s: &mut Scenario, cmd: &Value) -> Value {
    serde_json::from_str(&s.apply_line(&cmd.to_string()).unwrap()).unwrap()
}

fn setup() -> Scenario {
    let mut s = Scenario::new();
    for c in [
        json!({"op":"create_account","client":"c1","account":"a1"}),
        json!({"op":"create_virtual_wallet","account":"a1","wallet":"vw1","blockchain":"ethereum"}),
        json!({"op":"create_virtual_wallet","account":"a1","wallet":"vw2","blockchain":"ethereum"}),
    ] {
        assert_eq!(run(&mut s, &c)["ok"], json!(true), "{c}");
    }
    s
}

#[test]
fn seven_holding_credits_near_the_limit_then_a_deposit() {
    let mut s = setup();
    for i in 0..7 {
        let to = if i % 2 == 0 { "vw1" } else { "vw2" };
        run(
            &mut s,
            &json!({"op":"holding_credit","id":format!("h{i}"),"to":to,"token":"USDT","amount":"9990000000000000000000000000"}),
        );
    }
    let before = s.ledger().save().unwrap();
    let out = run(
        &mut s,
        &json!({"op":"deposit","tx":"0xd:0","to":"vw1","token":"USDT","amount":"9990000000000000000000000000"}),
    );
    if out["ok"] == json!(false) {
        assert_eq!(out["code"], "INVALID_AMOUNT", "{out}");
        assert_eq!(
            s.ledger().save().unwrap(),
            before,
            "a refused deposit changed the books"
        );
    }
    // The reports still compute.
    s.ledger().reserves().unwrap();
    s.state_line();
}

fn big() -> impl Strategy<Value = String> {
    (1u64..80, 0u32..2).prop_map(|(n, half)| format!("{n}{}", "0".repeat(26 + half as usize)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Random large movements: no panic, and every refusal is INVALID_AMOUNT (or a rule's code).
    #[test]
    fn large_movements_never_panic(cmds in prop::collection::vec((0u8..5, big(), 0u8..2), 1..25)) {
        let mut s = setup();
        for (i, (kind, amount, w)) in cmds.iter().enumerate() {
            let to = if *w == 0 { "vw1" } else { "vw2" };
            let other = if *w == 0 { "vw2" } else { "vw1" };
            let cmd = match kind {
                0 => json!({"op":"holding_credit","id":format!("h{i}"),"to":to,"token":"USDT","amount":amount}),
                1 => json!({"op":"deposit","tx":format!("0x{i}:0"),"to":to,"token":"USDT","amount":amount}),
                2 => json!({"op":"confirm","tx":format!("0x{}:0", i.saturating_sub(1))}),
                3 => json!({"op":"transfer","id":format!("t{i}"),"from":to,"to":other,"token":"USDT","amount":amount}),
                _ => json!({"op":"sweep","tx":format!("0xs{i}"),"from":to,"token":"USDT","amount":amount}),
            };
            let before = s.ledger().save().unwrap();
            let out = run(&mut s, &cmd);
            if out["ok"] == json!(false) {
                prop_assert_eq!(before, s.ledger().save().unwrap(), "refused {} changed the books", cmd);
            }
            s.ledger().reserves().unwrap();
            s.state_line();
        }
    }
}
