use super::*;
use crate::automation::OutcomeEvent;

fn answer(v: Value) -> Answer {
    object(v)
}

fn s(v: &str) -> String {
    v.to_owned()
}

/// An event and what its envelope must hold: operation, sub_operation, operation_id, status,
/// reason, data.
type Case = (
    Event,
    &'static str,
    &'static str,
    &'static str,
    Status,
    Option<&'static str>,
    Value,
);

// longer than the usual limit: a table, one case for each variant of Event (two for some).
/// Every variant once.
fn cases() -> Vec<Case> {
    let a = json!({"id": "x1", "k": 1});
    vec![
        (
            Event::AccountCreated {
                account: s("acc1"),
                name: s("Ann"),
            },
            "ACCOUNT",
            "CREATED",
            "acc1",
            Status::Success,
            None,
            json!({"account_id": "acc1", "name": "Ann"}),
        ),
        (
            Event::HoldingWalletCreated {
                id: s("hw1"),
                blockchain: s("ethereum"),
                address: s("0xab"),
            },
            "HOLDING_WALLET",
            "CREATED",
            "hw1",
            Status::Success,
            None,
            json!({"id": "hw1", "blockchain": "ethereum", "address": "0xab"}),
        ),
        (
            Event::VirtualWalletCreated {
                id: s("vw1"),
                answer: answer(a.clone()),
            },
            "VIRTUAL_WALLET",
            "CREATED",
            "vw1",
            Status::Success,
            None,
            a.clone(),
        ),
        (
            Event::TreasuryCreated {
                id: s("tw1"),
                answer: answer(a.clone()),
            },
            "TREASURY",
            "CREATED",
            "tw1",
            Status::Success,
            None,
            a.clone(),
        ),
        (
            Event::CardCreated {
                card: Subject::VirtualCard,
                id: s("vc1"),
                answer: answer(a.clone()),
            },
            "VIRTUAL_CARD",
            "CREATED",
            "vc1",
            Status::Success,
            None,
            a.clone(),
        ),
        (
            Event::CardDeleted {
                card: Subject::Card,
                id: s("c1"),
                operation_id: s("op1"),
            },
            "CARD",
            "DELETED",
            "op1",
            Status::Success,
            None,
            json!({"card_id": "c1"}),
        ),
        (
            Event::CardBlocked {
                id: s("vc1"),
                blocked: true,
                operation_id: s("op2"),
            },
            "VIRTUAL_CARD",
            "BLOCKED",
            "op2",
            Status::Success,
            None,
            json!({"card_id": "vc1"}),
        ),
        (
            Event::CardBlocked {
                id: s("vc1"),
                blocked: false,
                operation_id: s("op3"),
            },
            "VIRTUAL_CARD",
            "UNBLOCKED",
            "op3",
            Status::Success,
            None,
            json!({"card_id": "vc1"}),
        ),
        (
            Event::CardPayment {
                card: Subject::Card,
                id: s("pay1"),
                declined: None,
                answer: answer(a.clone()),
            },
            "CARD",
            "TRANSACTION",
            "pay1",
            Status::Success,
            None,
            a.clone(),
        ),
        (
            Event::CardPayment {
                card: Subject::VirtualCard,
                id: s("pay2"),
                declined: Some(s("LIMIT")),
                answer: answer(a.clone()),
            },
            "VIRTUAL_CARD",
            "TRANSACTION",
            "pay2",
            Status::Failed,
            Some("LIMIT"),
            a.clone(),
        ),
        (
            Event::WalletActive {
                wallet: s("vw1"),
                active: false,
                status: s("inactive"),
                operation_id: s("op4"),
            },
            "VIRTUAL_WALLET",
            "DEACTIVATED",
            "op4",
            Status::Success,
            None,
            json!({"wallet_id": "vw1", "status": "inactive"}),
        ),
        (
            Event::WalletActive {
                wallet: s("vw1"),
                active: true,
                status: s("active"),
                operation_id: s("op5"),
            },
            "VIRTUAL_WALLET",
            "REACTIVATED",
            "op5",
            Status::Success,
            None,
            json!({"wallet_id": "vw1", "status": "active"}),
        ),
        (
            Event::Frozen {
                wallet: s("vw1"),
                reason: s("fraud"),
                operation_id: s("op6"),
            },
            "VIRTUAL_WALLET",
            "FROZEN",
            "op6",
            Status::Success,
            None,
            json!({"wallet_id": "vw1", "status": "frozen", "reason": "fraud"}),
        ),
        (
            Event::Unfrozen {
                wallet: s("vw1"),
                status: s("active"),
                operation_id: s("op7"),
            },
            "VIRTUAL_WALLET",
            "UNFROZEN",
            "op7",
            Status::Success,
            None,
            json!({"wallet_id": "vw1", "status": "active"}),
        ),
        (
            Event::Deposit {
                wallet: WalletKind::Treasury,
                tx: s("0xd1"),
                below_minimum: false,
                answer: answer(a.clone()),
            },
            "TREASURY",
            "DEPOSIT",
            "0xd1",
            Status::Success,
            None,
            a.clone(),
        ),
        (
            Event::Deposit {
                wallet: WalletKind::Virtual,
                tx: s("0xd2"),
                below_minimum: true,
                answer: answer(a.clone()),
            },
            "VIRTUAL_WALLET",
            "BELOW_MINIMUM",
            "0xd2",
            Status::Success,
            None,
            a.clone(),
        ),
        (
            Event::DepositConfirmed {
                wallet: WalletKind::Virtual,
                tx: s("0xd1"),
                answer: answer(a.clone()),
            },
            "VIRTUAL_WALLET",
            "DEPOSIT_CONFIRMED",
            "0xd1:confirmed",
            Status::Success,
            None,
            a.clone(),
        ),
        (
            Event::DepositReversed {
                wallet: WalletKind::Virtual,
                tx: s("0xd1"),
                answer: answer(a.clone()),
            },
            "VIRTUAL_WALLET",
            "DEPOSIT_REVERSED",
            "0xd1:dropped",
            Status::Cancelled,
            None,
            a.clone(),
        ),
        (
            Event::FrozenByReorg {
                wallet: s("vw1"),
                tx: s("0xd1"),
            },
            "VIRTUAL_WALLET",
            "FROZEN",
            "0xd1:frozen",
            Status::Success,
            None,
            json!({"wallet_id": "vw1", "tx": "0xd1"}),
        ),
        (
            Event::DepositCredited {
                kind: WalletKind::Virtual,
                tx: s("0xd2"),
                wallet: s("vw1"),
                token: s("USDT"),
                amount: s("0.5"),
            },
            "VIRTUAL_WALLET",
            "DEPOSIT",
            "0xd2:credit",
            Status::Success,
            None,
            json!({"tx": "0xd2", "wallet_id": "vw1", "token": "USDT", "amount": "0.5", "credited_by_decision": true}),
        ),
        (
            Event::Sweep {
                tx: s("0xs1"),
                answer: answer(a.clone()),
            },
            "VIRTUAL_WALLET",
            "SWEEP",
            "0xs1",
            Status::Success,
            None,
            a.clone(),
        ),
        (
            Event::Movement {
                of: Subject::HoldingWallet,
                moved: Moved::Transfer,
                id: s("mv1"),
                answer: answer(a.clone()),
            },
            "HOLDING_WALLET",
            "TRANSFER",
            "mv1",
            Status::Success,
            None,
            a.clone(),
        ),
        (
            Event::Movement {
                of: Subject::Card,
                moved: Moved::Refund,
                id: s("mv2"),
                answer: answer(a.clone()),
            },
            "CARD",
            "REFUND",
            "mv2",
            Status::Success,
            None,
            a.clone(),
        ),
        (
            Event::Hold {
                id: s("h1"),
                status: HoldStatus::Expired,
                answer: answer(a.clone()),
            },
            "VIRTUAL_WALLET",
            "RELEASE",
            "h1:expired",
            Status::Success,
            None,
            a.clone(),
        ),
        (
            Event::Hold {
                id: s("h1"),
                status: HoldStatus::Captured,
                answer: answer(a.clone()),
            },
            "VIRTUAL_WALLET",
            "CAPTURE",
            "h1:captured",
            Status::Success,
            None,
            a.clone(),
        ),
        (
            Event::Rule(OutcomeEvent {
                kind: Subject::VirtualWallet.on(Happening::Alert).expect("kind"),
                operation_id: s("rule:r1:0xd1"),
                status: Status::Success,
                reason: None,
                data: json!("plain"),
            }),
            "VIRTUAL_WALLET",
            "ALERT",
            "rule:r1:0xd1",
            Status::Success,
            None,
            json!({"value": "plain"}),
        ),
    ]
}

#[test]
fn each_event_names_its_kind_id_status_and_data() {
    for (event, op, sub, id, status, reason, data) in cases() {
        let seen = format!("{event:?}");
        let e = event.envelope().expect(&seen);
        assert_eq!(
            (
                e.operation.as_str(),
                e.sub_operation.as_str(),
                e.operation_id.as_str()
            ),
            (op, sub, id),
            "{seen}"
        );
        assert_eq!((e.status, e.reason.as_deref()), (status, reason), "{seen}");
        assert_eq!(Value::Object(e.data), data, "{seen}");
    }
}

#[test]
fn a_withdrawal_announces_each_step_but_pending() {
    let a = || answer(json!({"id": "wd1"}));
    let of = Subject::Treasury;
    assert_eq!(
        Event::withdrawal(of, "wd1", WithdrawalStatus::Pending, None, a()),
        None
    );
    for (status, reason, sub, st, why) in [
        (
            WithdrawalStatus::Broadcast,
            None,
            "WITHDRAWAL_BROADCAST",
            Status::Success,
            None,
        ),
        (
            WithdrawalStatus::Confirmed,
            Some("ignored"),
            "WITHDRAWAL",
            Status::Success,
            None,
        ),
        (
            WithdrawalStatus::Failed,
            Some("reverted"),
            "WITHDRAWAL",
            Status::Failed,
            Some("reverted"),
        ),
        (
            WithdrawalStatus::Cancelled,
            None,
            "WITHDRAWAL",
            Status::Cancelled,
            None,
        ),
    ] {
        let e = Event::withdrawal(of, "wd1", status, reason, a())
            .expect("an event")
            .envelope()
            .expect("valid");
        assert_eq!(e.operation, "TREASURY");
        assert_eq!(e.sub_operation, sub);
        assert_eq!(e.operation_id, format!("wd1:{}", status.as_str()));
        assert_eq!((e.status, e.reason.as_deref()), (st, why));
    }
}

#[test]
fn an_event_outside_the_catalog_is_refused() {
    let e = Event::Movement {
        of: Subject::Account,
        moved: Moved::Transfer,
        id: s("mv1"),
        answer: Answer::new(),
    };
    assert_eq!(
        e.envelope().expect_err("accounts do not transfer").code(),
        crate::ErrorCode::InvalidWebhook
    );
}
