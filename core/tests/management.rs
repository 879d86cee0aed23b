//! The management checks the host asks before retiring a client, deleting an account or
//! removing a card.
#![allow(clippy::unwrap_used)]

use rust_decimal::Decimal;
use waas_core::access::check_retire_client;
use waas_core::ledger::{Config, DepositRequest, Ledger};
use waas_core::{Amount, ErrorCode};

fn deposit(l: &mut Ledger, tx: &str, to: &str, token: &str, amount: &str) {
    l.deposit(DepositRequest {
        tx: tx.into(),
        to: to.into(),
        token: token.into(),
        amount: Amount::parse(amount, 6).unwrap(),
        usd_price: Decimal::ONE,
    })
    .unwrap();
    l.confirm(tx).unwrap();
}

#[test]
fn a_client_with_funds_cannot_retire_until_they_are_gone() {
    let mut l = Ledger::new(Config::default());
    l.create_account("c1", "a1").unwrap();
    l.create_virtual_wallet("a1", "vw1", "ethereum").unwrap();
    l.create_virtual_wallet("a1", "vw2", "ethereum").unwrap();
    l.check_retire().unwrap();
    deposit(&mut l, "0x1:0", "vw1", "USDT", "25");
    let e = l.check_retire().unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument);
    assert!(e.message().contains("1 wallet"), "{e}");
    l.sweep("0xs:0", "vw1", "USDT", Amount::parse("25", 6).unwrap())
        .unwrap();
    l.withdraw(
        "w1",
        "vw1",
        "0x52908400098527886E0F7030069857D2E4169EE7",
        "USDT",
        Amount::parse("25", 6).unwrap(),
        Amount::ZERO,
    )
    .unwrap();
    l.check_retire().unwrap();
}

#[test]
fn a_client_cannot_retire_itself() {
    assert_eq!(
        check_retire_client("c1", "c1").unwrap_err().code(),
        ErrorCode::Forbidden
    );
    check_retire_client("c1", "c2").unwrap();
}

#[test]
fn an_account_with_a_wallet_or_card_cannot_be_deleted() {
    let mut l = Ledger::new(Config::default());
    l.create_account("c1", "a1").unwrap();
    l.create_account("c1", "a2").unwrap();
    l.create_account("c1", "a3").unwrap();
    l.create_virtual_wallet("a1", "vw1", "ethereum").unwrap();
    l.create_card("a2", "card1").unwrap();
    for a in ["a1", "a2"] {
        assert_eq!(
            l.check_delete_account(a).unwrap_err().code(),
            ErrorCode::InvalidArgument
        );
    }
    l.check_delete_account("a3").unwrap();
}

#[test]
fn a_card_with_a_balance_cannot_be_removed() {
    let mut l = Ledger::new(Config::default());
    l.create_account("c1", "a1").unwrap();
    l.create_card("a1", "card1").unwrap();
    l.create_card("a1", "card2").unwrap();
    deposit(&mut l, "0x2:0", "card1", "USDT", "20");
    let before = l.save().unwrap();
    assert_eq!(
        l.remove_card("card1").unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        l.save().unwrap(),
        before,
        "a refused removal changes nothing"
    );
    l.remove_card("card2").unwrap();
    assert_eq!(
        l.card_payment("p1", "card2", Amount::parse("1", 2).unwrap())
            .unwrap_err()
            .code(),
        ErrorCode::WalletInactive
    );
    assert_eq!(
        l.remove_card("vw-none").unwrap_err().code(),
        ErrorCode::NotFound
    );
}
