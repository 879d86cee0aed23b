//! Where a withdrawal goes: its own address is refused, a sibling virtual wallet on the same
//! chain or the client's holding wallet settle internally, anything else goes on chain.
#![allow(clippy::unwrap_used)]

use waas_core::ledger::{
    check_holding_route, holding_destination, AddressOwner, Config, Ledger, Route,
};
use waas_core::ErrorCode;

#[test]
fn routes() {
    let mut l = Ledger::new(Config::default());
    l.create_account("c1", "a1").unwrap();
    l.create_virtual_wallet("a1", "vw1", "ethereum").unwrap();
    l.create_virtual_wallet("a1", "vw2", "ethereum").unwrap();
    l.create_virtual_wallet("a1", "tw1", "tron").unwrap();
    l.create_treasury("a1", "tr1", "ethereum").unwrap();
    let own = |w: &str| AddressOwner::Wallet(w.to_owned());
    assert_eq!(
        l.withdrawal_route("vw1", &own("vw1")).unwrap_err().code(),
        ErrorCode::SameAddress
    );
    assert_eq!(
        l.withdrawal_route("tr1", &own("tr1")).unwrap_err().code(),
        ErrorCode::SameAddress
    );
    assert_eq!(
        l.withdrawal_route("vw1", &own("vw2")).unwrap(),
        Route::Transfer("vw2".into())
    );
    assert_eq!(
        l.withdrawal_route("vw1", &own("tw1")).unwrap(),
        Route::Chain
    );
    assert_eq!(
        l.withdrawal_route("vw1", &own("tr1")).unwrap(),
        Route::Chain
    );
    assert_eq!(
        l.withdrawal_route("tr1", &own("vw1")).unwrap(),
        Route::Chain
    );
    let holding = AddressOwner::Holding("ethereum".into());
    assert_eq!(l.withdrawal_route("vw1", &holding).unwrap(), Route::Holding);
    assert_eq!(l.withdrawal_route("tw1", &holding).unwrap(), Route::Chain);
    assert_eq!(
        l.withdrawal_route("vw1", &AddressOwner::Outside).unwrap(),
        Route::Chain
    );
    assert_eq!(
        check_holding_route("ethereum", &holding)
            .unwrap_err()
            .code(),
        ErrorCode::SameAddress
    );
    check_holding_route("tron", &holding).unwrap();
    assert_eq!(holding_destination(Some("a"), Some("b")).unwrap(), "a");
    assert_eq!(holding_destination(None, Some("b")).unwrap(), "b");
    assert_eq!(
        holding_destination(None, None).unwrap_err().code(),
        ErrorCode::NoPaymentDestination
    );
}
