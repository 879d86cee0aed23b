//! Card funding moves money: a top-up debits a wallet of the same client and credits the card its
//! USD value; a refund returns the card's USD to a wallet; a removed card frees its contract slot.
#![allow(clippy::unwrap_used)]

use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;
use waas_core::ledger::{Config, Contract, DepositRequest, Ledger, Movement, USD};
use waas_core::{Amount, ErrorCode};

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn a(s: &str) -> Amount {
    Amount::parse(s, 18).unwrap()
}

fn total(l: &Ledger, wallet: &str, unit: &str) -> Decimal {
    l.wallet(wallet)
        .unwrap()
        .balances
        .get(unit)
        .map(|b| b.total())
        .unwrap_or_default()
}

/// c1 with a funded virtual wallet vw1 (100 USDT, 2 ETH), a card; c2 with its own wallet.
fn books() -> Ledger {
    let mut l = Ledger::new(Config::default());
    l.record_journal(true);
    l.create_account("c1", "a1").unwrap();
    l.create_virtual_wallet("a1", "vw1", "ethereum").unwrap();
    l.create_card("a1", "card1").unwrap();
    l.create_account("c2", "b1").unwrap();
    l.create_virtual_wallet("b1", "other", "ethereum").unwrap();
    for (tx, token, amount) in [("0x1:0", "USDT", "100"), ("0x2:0", "ETH", "2")] {
        l.deposit(DepositRequest {
            tx: tx.into(),
            to: "vw1".into(),
            token: token.into(),
            amount: a(amount),
            usd_price: d("3000"),
        })
        .unwrap();
        l.confirm(tx).unwrap();
    }
    l.take_journal();
    l
}

/// Every unit of every movement in the journal sums to zero.
fn assert_balanced(l: &mut Ledger) {
    let mut sums: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for p in l.take_journal() {
        *sums.entry((p.movement_id, p.token)).or_default() += p.posted + p.pending;
    }
    for (k, v) in sums {
        assert!(v.is_zero(), "{k:?} sums to {v}");
    }
}

#[test]
fn a_top_up_debits_the_wallet_and_credits_the_usd_value() {
    let mut l = books();
    let liabilities = l.reserve("c1", "ethereum", "ETH").unwrap().liabilities;
    let (m, usd) = l
        .card_top_up("t1", "card1", "vw1", "eth", a("0.5"), d("2000"))
        .unwrap();
    assert_eq!(usd, d("1000"));
    assert!(matches!(m, Movement::CardTopUp { ref token, .. } if token == "ETH"));
    assert_eq!(total(&l, "vw1", "ETH"), d("1.5"));
    assert_eq!(total(&l, "card1", USD), d("1000"));
    // The end user's ETH left the holding wallet's liabilities.
    assert_eq!(
        l.reserve("c1", "ethereum", "ETH").unwrap().liabilities,
        liabilities - d("0.5")
    );
    assert_balanced(&mut l);
    // A retry is the same movement, applied once.
    l.card_top_up("t1", "card1", "vw1", "ETH", a("0.5"), d("2000"))
        .unwrap();
    assert_eq!(total(&l, "vw1", "ETH"), d("1.5"));
    // Other contents under the same id are refused.
    assert_eq!(
        l.card_top_up("t1", "card1", "vw1", "ETH", a("0.6"), d("2000"))
            .unwrap_err()
            .code(),
        ErrorCode::DuplicateOperation
    );
}

#[test]
fn a_top_up_is_refused_without_funds_under_the_minimum_or_across_clients() {
    let mut l = books();
    let cases = [
        (
            "card1",
            "vw1",
            "USDT",
            "100.000001",
            "1",
            ErrorCode::InsufficientFunds,
        ),
        (
            "card1",
            "vw1",
            "USDT",
            "9.99",
            "1",
            ErrorCode::BelowMinimumDeposit,
        ),
        ("card1", "other", "USDT", "10", "1", ErrorCode::NotFound),
        ("card1", "vw1", "USDT", "0", "1", ErrorCode::InvalidAmount),
        ("card1", "vw1", "DOGE", "10", "1", ErrorCode::UnknownToken),
        ("vw1", "vw1", "USDT", "10", "1", ErrorCode::NotFound),
        (
            "card1",
            "card1",
            "USD",
            "10",
            "1",
            ErrorCode::InvalidArgument,
        ),
    ];
    for (i, (card, from, token, amount, price, code)) in cases.into_iter().enumerate() {
        let e = l
            .card_top_up(&format!("x{i}"), card, from, token, a(amount), d(price))
            .unwrap_err();
        assert_eq!(e.code(), code, "case {i}: {e}");
    }
    assert_eq!(total(&l, "vw1", "USDT"), d("100"));
    assert_eq!(total(&l, "card1", USD), Decimal::ZERO);
    // A blocked card is not funded.
    l.set_card_blocked("card1", true).unwrap();
    assert_eq!(
        l.card_top_up("t9", "card1", "vw1", "USDT", a("10"), Decimal::ONE)
            .unwrap_err()
            .code(),
        ErrorCode::WalletInactive
    );
}

#[test]
fn a_refund_returns_the_card_balance_to_a_wallet() {
    let mut l = books();
    l.card_top_up("t1", "card1", "vw1", "USDT", a("50"), Decimal::ONE)
        .unwrap();
    l.card_payment("p1", "card1", Amount::parse("12.34", 2).unwrap())
        .unwrap();
    // Part of it, at a price that does not divide evenly: rounded down to the token's decimals.
    let m = l
        .card_refund("r1", "card1", "vw1", "ETH", Some(a("10")), d("3"))
        .unwrap();
    let Movement::CardRefund { amount, usd, .. } = m else {
        panic!("{m:?}")
    };
    assert_eq!(amount.as_decimal(), d("3.333333333333333333"));
    assert_eq!(usd.as_decimal(), d("10"));
    assert_eq!(total(&l, "card1", USD), d("27.66"));
    // The rest, blocked card included (a blocked card keeps its money and can give it back).
    l.set_card_blocked("card1", true).unwrap();
    l.card_refund("r2", "card1", "vw1", "USDT", None, Decimal::ONE)
        .unwrap();
    assert_eq!(total(&l, "card1", USD), Decimal::ZERO);
    assert_eq!(total(&l, "vw1", "USDT"), d("77.66"));
    assert_balanced(&mut l);
    // Nothing left to refund; more than the balance is refused.
    assert_eq!(
        l.card_refund("r3", "card1", "vw1", "USDT", None, Decimal::ONE)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidAmount
    );
    assert_eq!(
        l.card_refund("r4", "card1", "vw1", "USDT", Some(a("1")), Decimal::ONE)
            .unwrap_err()
            .code(),
        ErrorCode::InsufficientFunds
    );
}

#[test]
fn removing_a_card_frees_its_slot() {
    let mut l = books();
    l.set_contract(
        "c1",
        Contract {
            max_cards: Some(1),
            ..Contract::default()
        },
    )
    .unwrap();
    assert_eq!(
        l.create_card("a1", "card2").unwrap_err().code(),
        ErrorCode::ContractLimitReached
    );
    l.remove_card("card1").unwrap();
    l.remove_card("card1").unwrap();
    l.create_card("a1", "card2").unwrap();
    assert_eq!(
        l.create_card("a1", "card3").unwrap_err().code(),
        ErrorCode::ContractLimitReached
    );
    // A removed card is not funded.
    assert_eq!(
        l.card_top_up("t1", "card1", "vw1", "USDT", a("10"), Decimal::ONE)
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
}
