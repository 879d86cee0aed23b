//! API keys, permissions and the operations catalog.

#![allow(clippy::unwrap_used)] // tests unwrap known-good values

use std::collections::BTreeSet;
use waas_core::access::{
    api_operation, authorize, new_key, ApiKey, Environment, KeyHash, Operation, Permission,
    StoredKey, OPERATIONS,
};
use waas_core::ErrorCode;

#[test]
fn stored_record_holds_the_hash_not_the_key() {
    let (key, stored) = new_key(Environment::Live, [Permission::Management]).unwrap();
    let text = key.expose().to_owned();
    assert!(text.starts_with("waas_live_"));
    assert_eq!(stored.hash, KeyHash::of(&text));
    let json = serde_json::to_string(&stored).unwrap();
    assert!(!json.contains(&text[10..]), "{json}");
    assert!(json.contains("\"MANAGEMENT\""));
    // The record keeps the hash as its 64 hex digits, and reads back the same.
    let hex = KeyHash::of(&text).to_hex();
    assert_eq!(hex.len(), 64);
    assert!(json.contains(&format!("\"hash\":\"{hex}\"")), "{json}");
    let back: waas_core::access::StoredKey = serde_json::from_str(&json).unwrap();
    assert_eq!(back, stored);
    assert!(stored.hint.starts_with("waas_live_") && text.starts_with(&stored.hint));
    assert!(stored.hash.matches(&text));
    assert!(!stored.hash.matches(&text[1..]));
    // A record whose hash is not 64 hex digits cannot be read (never a key that matches nothing).
    let broken = json.replace(&hex, "not-hex");
    assert!(serde_json::from_str::<waas_core::access::StoredKey>(&broken).is_err());
}

#[test]
fn malformed_keys_are_unauthorized_and_not_echoed() {
    let (_, stored) = new_key(Environment::Sandbox, Permission::ALL).unwrap();
    let long = format!("waas_test_{}", "a".repeat(65));
    let upper = format!("waas_test_{}", "A".repeat(64));
    for bad in [
        "",
        "waas_test_",
        "waas_test_xyz",
        long.as_str(),
        upper.as_str(),
        "sk_live_abc",
        "Bearer waas_test_00",
    ] {
        let e = authorize(Some(bad), Some(&stored), Operation::TokensList).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Unauthorized, "{bad:?}");
        if bad.len() > 12 {
            assert!(!e.message().contains(bad), "{}", e.message());
        }
    }
    assert!(ApiKey::parse(&format!("waas_live_{}", "0f".repeat(32))).is_ok());
}

#[test]
fn environment_of_record_must_match_prefix() {
    let (key, mut stored) = new_key(Environment::Sandbox, [Permission::TokensRead]).unwrap();
    stored.environment = Environment::Live;
    assert_eq!(
        authorize(Some(key.expose()), Some(&stored), Operation::TokensList)
            .unwrap_err()
            .code(),
        ErrorCode::Unauthorized
    );
}

#[test]
fn every_operation_needs_exactly_its_permission() {
    for op in OPERATIONS {
        let (key, with) = new_key(Environment::Sandbox, [op.permission]).unwrap();
        assert_eq!(
            authorize(Some(key.expose()), Some(&with), op.operation)
                .unwrap()
                .id,
            op.id
        );
        let others: BTreeSet<Permission> = Permission::ALL
            .into_iter()
            .filter(|p| !p.grants(op.permission))
            .collect();
        let without = StoredKey {
            permissions: others,
            ..with.clone()
        };
        let e = authorize(Some(key.expose()), Some(&without), op.operation).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Forbidden, "{}", op.id);
        assert!(e.message().contains(op.permission.as_str()));
    }
}

#[test]
fn management_is_not_a_super_permission_and_write_grants_read_only_in_module() {
    let (key, stored) = new_key(Environment::Live, [Permission::Management]).unwrap();
    assert!(authorize(
        Some(key.expose()),
        Some(&stored),
        Operation::ManagementOperationsList
    )
    .is_ok());
    assert_eq!(
        authorize(
            Some(key.expose()),
            Some(&stored),
            Operation::VirtualWalletsList
        )
        .unwrap_err()
        .code(),
        ErrorCode::Forbidden
    );
    assert!(Permission::CardsWrite.grants(Permission::CardsRead));
    assert!(!Permission::CardsWrite.grants(Permission::VirtualCardsRead));
    assert!(!Permission::CardsRead.grants(Permission::CardsWrite));
}

#[test]
fn catalog_lookup_and_json() {
    let op = api_operation("management.operations.list").unwrap();
    assert_eq!(op.id, "management.operations.list");
    assert_eq!(op.permission, Permission::Management);
    let json = serde_json::to_value(OPERATIONS).unwrap();
    assert_eq!(json[0]["permission"], "WALLETS_READ");
    assert!(api_operation("nope").is_none());
    assert_eq!(Environment::parse("live").unwrap(), Environment::Live);
    assert_eq!(
        Environment::parse("prod").unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
}
