//! Deposits into a wallet with N forwarding rules, or with N forwards made by hand, for counting
//! instructions under callgrind (docs/BENCHMARKS.md): `automation_cost rules|manual N [deposits]`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rust_decimal::Decimal;
use waas_core::automation::{Action, Rule, Share, Trigger};
use waas_core::ledger::{Config, DepositRequest, Ledger};
use waas_core::Amount;

fn deposit(l: &mut Ledger, tx: &str) {
    l.deposit(DepositRequest {
        tx: tx.into(),
        to: "vw1".into(),
        token: "USDT".into(),
        amount: Amount::parse("100", 6).unwrap(),
        usd_price: Decimal::ONE,
    })
    .unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let manual = args.get(1).map(String::as_str) == Some("manual");
    let n: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(16);
    let deposits: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let mut l = Ledger::new(Config::default());
    l.create_account("c1", "a1").unwrap();
    l.create_virtual_wallet("a1", "vw1", "ethereum").unwrap();
    l.create_virtual_wallet("a1", "vw2", "ethereum").unwrap();
    if !manual {
        for i in 0..n {
            l.add_rule(Rule {
                id: format!("r{i}").into(),
                wallet: "vw1".into(),
                on: Trigger::Deposit,
                token: "USDT".into(),
                min_amount: None,
                action: Action::Forward {
                    to: "vw2".into(),
                    share: Share::Percent(Decimal::ONE),
                },
            })
            .unwrap();
        }
    }
    for d in 0..deposits {
        let tx = format!("0xd{d}:0");
        deposit(&mut l, &tx);
        if manual {
            for f in 0..n {
                let id = format!("manual:{f}:{tx}");
                let share = Amount::parse("100", 6).unwrap().as_decimal() * Decimal::ONE
                    / Decimal::ONE_HUNDRED;
                let amount = Amount::from_decimal(share).unwrap();
                l.transfer(&id, "vw1", "vw2", "USDT", amount).unwrap();
            }
        }
    }
    println!("{}", l.rules().len());
}
