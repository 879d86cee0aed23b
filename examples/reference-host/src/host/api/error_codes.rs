//! Which error codes each operation can answer: the codes every keyed request can meet (the key,
//! the permission, the protocol guard, the host's own failures), `NOT_FOUND` where the path names
//! something, `DUPLICATE_OPERATION` where `Idempotency-Key` is honoured, and the codes of the core
//! rules the operation runs. The OpenAPI document lists them per operation and status
//! (`openapi.rs`); the HTTP suites check every error they meet against that list.

use waas_core::access::ApiOperation;
use waas_core::ErrorCode::{self, *};

/// What any keyed request can be refused for before or beside its operation.
const REQUEST: &[ErrorCode] = &[
    Unauthorized,
    Forbidden,
    RateLimited,
    InvalidArgument,
    BadRequest,
    RequestTimeout,
    HeadersTooLarge,
    UriTooLong,
    PayloadTooLarge,
    UnsupportedMediaType,
    Internal,
    CorruptRecord,
    Unavailable,
];

/// Debiting a virtual wallet.
const SPEND: &[ErrorCode] = &[
    DuplicateOperation,
    InvalidAmount,
    UnknownToken,
    InsufficientFunds,
    WalletInactive,
    WalletFrozen,
];

/// Sending to an outside address (on top of [`SPEND`]).
const SEND: &[ErrorCode] = &[
    InvalidAddress,
    SameAddress,
    DestinationNotAllowed,
    StalePrice,
];

/// Funding or refunding a card from a wallet, priced in USD.
const CARD_FUNDING: &[ErrorCode] = &[
    DuplicateOperation,
    InvalidAmount,
    UnknownToken,
    UnknownChain,
    InsufficientFunds,
    WalletInactive,
    WalletFrozen,
    BelowMinimumDeposit,
    StalePrice,
    ContractLimitReached,
];

/// Making a wallet with a derived key.
const NEW_WALLET: &[ErrorCode] = &[
    UnknownChain,
    ContractLimitReached,
    MissingKey,
    InvalidKey,
    KeyDerivation,
    AlreadyExists,
];

/// The codes of the core rules an operation runs, by operation id (beside [`REQUEST`] and what
/// its path and headers add).
const DOMAIN: &[(&str, &[&[ErrorCode]])] = &[
    ("virtual_wallets.list", &[&[UnknownChain]]),
    ("virtual_wallets.create", &[NEW_WALLET]),
    ("virtual_wallets.batch_create", &[NEW_WALLET]),
    ("virtual_wallets.get", &[]),
    ("virtual_wallets.balance", &[]),
    (
        "virtual_wallets.transactions",
        &[&[UnknownToken, UnknownChain]],
    ),
    ("virtual_wallets.statement", &[&[UnknownToken]]),
    ("virtual_wallets.freeze", &[&[WalletFrozen, WalletInactive]]),
    (
        "virtual_wallets.unfreeze",
        &[&[WalletFrozen, WalletInactive]],
    ),
    ("virtual_wallets.withdraw_quote", &[SPEND, SEND]),
    ("virtual_wallets.holds.list", &[]),
    ("virtual_wallets.holds.create", &[SPEND]),
    (
        "virtual_wallets.holds.release",
        &[&[WalletInactive, WalletFrozen]],
    ),
    ("virtual_wallets.holds.capture", &[SPEND, SEND]),
    ("virtual_wallets.update", &[&[AlreadyExists]]),
    (
        "virtual_wallets.withdraw",
        &[SPEND, SEND, &[ContractLimitReached]],
    ),
    ("virtual_wallets.transfer", &[SPEND]),
    (
        "virtual_wallets.deactivate",
        &[&[WalletInactive, WalletFrozen]],
    ),
    (
        "virtual_wallets.reactivate",
        &[&[WalletInactive, WalletFrozen, ContractLimitReached]],
    ),
    (
        "virtual_wallets.activate",
        &[&[WalletInactive, WalletFrozen, ContractLimitReached]],
    ),
    ("virtual_wallets.rules.list", &[]),
    (
        "virtual_wallets.rules.create",
        &[&[
            InvalidRule,
            InvalidAmount,
            UnknownToken,
            InvalidAddress,
            AlreadyExists,
        ]],
    ),
    ("virtual_wallets.rules.delete", &[]),
    ("holding_wallets.list", &[]),
    ("holding_wallets.get", &[]),
    ("holding_wallets.balance", &[]),
    ("holding_wallets.reserve", &[&[UnknownToken, StalePrice]]),
    ("holding_wallets.statement", &[&[UnknownToken]]),
    (
        "holding_wallets.withdraw",
        &[
            SEND,
            &[
                InvalidAmount,
                UnknownToken,
                InsufficientFunds,
                ReserveRatioViolation,
                NoPaymentDestination,
            ],
        ],
    ),
    (
        "holding_wallets.transfer",
        &[SPEND, &[ReserveRatioViolation]],
    ),
    ("wallets.configuration.get", &[]),
    (
        "wallets.configuration.update",
        &[&[InvalidAmount, UnknownToken, UnknownChain, InvalidAddress]],
    ),
    ("accounts.list", &[]),
    ("accounts.create", &[&[AlreadyExists, ContractLimitReached]]),
    ("accounts.get", &[]),
    ("accounts.update", &[&[AlreadyExists]]),
    ("accounts.delete", &[&[AlreadyExists]]),
    ("tokens.list", &[&[UnknownChain]]),
    ("tokens.get", &[&[UnknownChain, UnknownToken]]),
    ("treasury.list", &[&[UnknownChain]]),
    ("treasury.create", &[NEW_WALLET]),
    ("treasury.get", &[]),
    ("treasury.balance", &[]),
    ("treasury.transactions", &[&[UnknownToken, UnknownChain]]),
    ("treasury.statement", &[&[UnknownToken]]),
    ("treasury.send", &[SPEND, SEND]),
    ("cards.list", &[]),
    ("cards.create", &[&[AlreadyExists, ContractLimitReached]]),
    ("cards.get", &[]),
    ("cards.update", &[&[AlreadyExists]]),
    ("cards.delete", &[&[InsufficientFunds]]),
    ("cards.deposit", &[CARD_FUNDING]),
    ("cards.refund", &[CARD_FUNDING]),
    ("cards.transactions", &[]),
    ("virtual_cards.list", &[]),
    (
        "virtual_cards.create",
        &[&[AlreadyExists, ContractLimitReached, InvalidAmount]],
    ),
    ("virtual_cards.get", &[]),
    ("virtual_cards.update", &[&[AlreadyExists, InvalidAmount]]),
    ("virtual_cards.block", &[]),
    ("virtual_cards.unblock", &[]),
    ("virtual_cards.delete", &[&[InsufficientFunds]]),
    ("virtual_cards.deposit", &[CARD_FUNDING]),
    ("virtual_cards.refund", &[CARD_FUNDING]),
    ("virtual_cards.transactions", &[]),
    ("transactions.list", &[&[UnknownChain, UnknownToken]]),
    ("deposits.list", &[&[UnknownChain]]),
    (
        "deposits.credit",
        &[&[
            BelowMinimumDeposit,
            WalletInactive,
            WalletFrozen,
            AlreadyExists,
        ]],
    ),
    (
        "deposits.refund",
        &[
            SEND,
            &[
                InvalidAmount,
                InsufficientFunds,
                BelowMinimumDeposit,
                AlreadyExists,
            ],
        ],
    ),
    ("transactions.get", &[]),
    ("withdrawals.get", &[]),
    ("withdrawals.cancel", &[]),
    ("journal.export", &[]),
    ("webhooks.configuration.get", &[]),
    (
        "webhooks.configuration.update",
        &[&[InvalidWebhookUrl, InvalidWebhook, InvalidSecret]],
    ),
    ("webhooks.secret.rotate", &[&[InvalidSecret]]),
    ("webhooks.deliveries.list", &[]),
    ("webhooks.deliveries.redeliver", &[]),
    (
        "simulate.deposit",
        &[&[
            DuplicateOperation,
            InvalidAddress,
            InvalidAmount,
            UnknownToken,
            UnknownChain,
            BelowMinimumDeposit,
            WalletInactive,
            WalletFrozen,
            AlreadyExists,
        ]],
    ),
    ("simulate.confirm", &[&[UnknownChain]]),
    ("simulate.reorg", &[&[UnknownChain]]),
    (
        "simulate.card_transaction",
        &[&[
            DuplicateOperation,
            InvalidAmount,
            SpendingLimitExceeded,
            InsufficientFunds,
            WalletInactive,
            WalletFrozen,
        ]],
    ),
    ("simulate.withdrawal_failure", &[]),
    ("management.clients.list", &[]),
    (
        "management.clients.create",
        &[&[AlreadyExists, InvalidSecret]],
    ),
    ("management.clients.get", &[]),
    ("management.clients.update", &[&[AlreadyExists]]),
    ("management.clients.delete", &[]),
    (
        "management.clients.contracted_products.update",
        &[&[ContractLimitReached]],
    ),
    (
        "management.clients.policy.update",
        &[&[InvalidAmount, UnknownToken, UnknownChain]],
    ),
    ("management.users.list", &[]),
    ("management.users.create", &[&[AlreadyExists]]),
    ("management.users.update", &[&[AlreadyExists]]),
    ("management.users.delete", &[]),
    ("management.access_levels.list", &[]),
    ("management.access_levels.create", &[&[AlreadyExists]]),
    ("management.access_levels.update", &[&[AlreadyExists]]),
    ("management.access_levels.delete", &[&[AlreadyExists]]),
    ("management.api_keys.list", &[]),
    ("management.api_keys.create", &[&[AlreadyExists]]),
    ("management.api_keys.revoke", &[]),
    ("management.operations.list", &[]),
    ("management.blockchains.list", &[]),
    ("management.configurations.get", &[]),
    (
        "management.configurations.update",
        &[&[
            InvalidAddress,
            InvalidAmount,
            UnknownChain,
            UnknownToken,
            InvalidWebhookUrl,
            InvalidWebhook,
            InvalidSecret,
        ]],
    ),
    ("management.contracted_products.get", &[]),
    (
        "management.contracted_products.update",
        &[&[ContractLimitReached]],
    ),
];

/// What an operation takes beside its path, as its document declares it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Takes {
    /// It honours `Idempotency-Key` (a replay with another body is `DUPLICATE_OPERATION`).
    pub(crate) idempotency_key: bool,
    /// It takes a body or query parameters, which may name something that does not exist.
    pub(crate) input: bool,
}

/// The codes `op` can answer with, in the core's order, without duplicates.
pub(crate) fn of(op: &ApiOperation, takes: Takes) -> Vec<ErrorCode> {
    let mut codes: Vec<ErrorCode> = REQUEST.to_vec();
    if op.path.contains('{') || takes.input {
        codes.push(NotFound);
    }
    if op.path.contains("{blockchain}") {
        codes.push(UnknownChain);
    }
    if takes.idempotency_key {
        codes.push(DuplicateOperation);
    }
    if let Some((_, sets)) = DOMAIN.iter().find(|(id, _)| *id == op.id) {
        codes.extend(sets.iter().flat_map(|set| set.iter().copied()));
    }
    ErrorCode::ALL
        .iter()
        .copied()
        .filter(|c| codes.contains(c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use waas_core::access::OPERATIONS;

    #[test]
    fn every_operation_of_the_catalog_is_listed_once() {
        let listed: Vec<&str> = DOMAIN.iter().map(|(id, _)| *id).collect();
        let unique: BTreeSet<&str> = listed.iter().copied().collect();
        assert_eq!(listed.len(), unique.len(), "an operation listed twice");
        let catalog: BTreeSet<&str> = OPERATIONS.iter().map(|op| op.id).collect();
        assert_eq!(unique, catalog);
    }

    #[test]
    fn only_what_names_something_can_be_not_found() {
        let none = Takes::default();
        let get = OPERATIONS.iter().find(|o| o.id == "accounts.get").unwrap();
        assert!(of(get, none).contains(&NotFound));
        let list = OPERATIONS
            .iter()
            .find(|o| o.id == "management.operations.list")
            .unwrap();
        assert!(!of(list, none).contains(&NotFound));
        assert!(of(list, none).contains(&Unauthorized));
        assert!(!of(list, none).contains(&DuplicateOperation));
        let input = Takes {
            input: true,
            ..none
        };
        assert!(of(list, input).contains(&NotFound));
        let replayed = Takes {
            idempotency_key: true,
            ..none
        };
        assert!(of(list, replayed).contains(&DuplicateOperation));
    }
}
