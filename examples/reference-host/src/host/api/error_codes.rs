//! Which error codes each operation can answer: the codes every keyed request can meet (the key,
//! the permission, the protocol guard, the host's own failures), `NOT_FOUND` where the path names
//! something, `DUPLICATE_OPERATION` where `Idempotency-Key` is honoured, and the codes of the core
//! rules the operation runs. The OpenAPI document lists them per operation and status
//! (`openapi.rs`); the HTTP suites check every error they meet against that list.

use std::collections::BTreeSet;
use waas_core::access::{ApiOperation, Operation};
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
const DOMAIN: &[(Operation, &[&[ErrorCode]])] = &[
    (Operation::VirtualWalletsList, &[&[UnknownChain]]),
    (Operation::VirtualWalletsCreate, &[NEW_WALLET]),
    (Operation::VirtualWalletsBatchCreate, &[NEW_WALLET]),
    (Operation::VirtualWalletsGet, &[]),
    (Operation::VirtualWalletsBalance, &[]),
    (
        Operation::VirtualWalletsTransactions,
        &[&[UnknownToken, UnknownChain]],
    ),
    (Operation::VirtualWalletsStatement, &[&[UnknownToken]]),
    (
        Operation::VirtualWalletsFreeze,
        &[&[WalletFrozen, WalletInactive]],
    ),
    (
        Operation::VirtualWalletsUnfreeze,
        &[&[WalletFrozen, WalletInactive]],
    ),
    (Operation::VirtualWalletsWithdrawQuote, &[SPEND, SEND]),
    (Operation::VirtualWalletsHoldsList, &[]),
    (Operation::VirtualWalletsHoldsCreate, &[SPEND]),
    (
        Operation::VirtualWalletsHoldsRelease,
        &[&[WalletInactive, WalletFrozen]],
    ),
    (Operation::VirtualWalletsHoldsCapture, &[SPEND, SEND]),
    (Operation::VirtualWalletsUpdate, &[&[AlreadyExists]]),
    (
        Operation::VirtualWalletsWithdraw,
        &[SPEND, SEND, &[ContractLimitReached]],
    ),
    (Operation::VirtualWalletsTransfer, &[SPEND]),
    (
        Operation::VirtualWalletsDeactivate,
        &[&[WalletInactive, WalletFrozen]],
    ),
    (
        Operation::VirtualWalletsReactivate,
        &[&[WalletInactive, WalletFrozen, ContractLimitReached]],
    ),
    (
        Operation::VirtualWalletsActivate,
        &[&[WalletInactive, WalletFrozen, ContractLimitReached]],
    ),
    (Operation::VirtualWalletsRulesList, &[]),
    (
        Operation::VirtualWalletsRulesCreate,
        &[&[
            InvalidRule,
            InvalidAmount,
            UnknownToken,
            InvalidAddress,
            AlreadyExists,
        ]],
    ),
    (Operation::VirtualWalletsRulesDelete, &[]),
    (Operation::HoldingWalletsList, &[]),
    (Operation::HoldingWalletsGet, &[]),
    (Operation::HoldingWalletsBalance, &[]),
    (
        Operation::HoldingWalletsReserve,
        &[&[UnknownToken, StalePrice]],
    ),
    (Operation::HoldingWalletsStatement, &[&[UnknownToken]]),
    (
        Operation::HoldingWalletsWithdraw,
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
        Operation::HoldingWalletsTransfer,
        &[SPEND, &[ReserveRatioViolation]],
    ),
    (Operation::WalletsConfigurationGet, &[]),
    (
        Operation::WalletsConfigurationUpdate,
        &[&[InvalidAmount, UnknownToken, UnknownChain, InvalidAddress]],
    ),
    (Operation::AccountsList, &[]),
    (
        Operation::AccountsCreate,
        &[&[AlreadyExists, ContractLimitReached]],
    ),
    (Operation::AccountsGet, &[]),
    (Operation::AccountsUpdate, &[&[AlreadyExists]]),
    (Operation::AccountsDelete, &[&[AlreadyExists]]),
    (Operation::TokensList, &[&[UnknownChain]]),
    (Operation::TokensGet, &[&[UnknownChain, UnknownToken]]),
    (Operation::TreasuryList, &[&[UnknownChain]]),
    (Operation::TreasuryCreate, &[NEW_WALLET]),
    (Operation::TreasuryGet, &[]),
    (Operation::TreasuryBalance, &[]),
    (
        Operation::TreasuryTransactions,
        &[&[UnknownToken, UnknownChain]],
    ),
    (Operation::TreasuryStatement, &[&[UnknownToken]]),
    (Operation::TreasurySend, &[SPEND, SEND]),
    (Operation::CardsList, &[]),
    (
        Operation::CardsCreate,
        &[&[AlreadyExists, ContractLimitReached]],
    ),
    (Operation::CardsGet, &[]),
    (Operation::CardsUpdate, &[&[AlreadyExists]]),
    (Operation::CardsDelete, &[&[InsufficientFunds]]),
    (Operation::CardsDeposit, &[CARD_FUNDING]),
    (Operation::CardsRefund, &[CARD_FUNDING]),
    (Operation::CardsTransactions, &[]),
    (Operation::VirtualCardsList, &[]),
    (
        Operation::VirtualCardsCreate,
        &[&[AlreadyExists, ContractLimitReached, InvalidAmount]],
    ),
    (Operation::VirtualCardsGet, &[]),
    (
        Operation::VirtualCardsUpdate,
        &[&[AlreadyExists, InvalidAmount]],
    ),
    (Operation::VirtualCardsBlock, &[]),
    (Operation::VirtualCardsUnblock, &[]),
    (Operation::VirtualCardsDelete, &[&[InsufficientFunds]]),
    (Operation::VirtualCardsDeposit, &[CARD_FUNDING]),
    (Operation::VirtualCardsRefund, &[CARD_FUNDING]),
    (Operation::VirtualCardsTransactions, &[]),
    (
        Operation::TransactionsList,
        &[&[UnknownChain, UnknownToken]],
    ),
    (Operation::DepositsList, &[&[UnknownChain]]),
    (
        Operation::DepositsCredit,
        &[&[
            BelowMinimumDeposit,
            WalletInactive,
            WalletFrozen,
            AlreadyExists,
        ]],
    ),
    (
        Operation::DepositsRefund,
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
    (Operation::TransactionsGet, &[]),
    (Operation::WithdrawalsGet, &[]),
    (Operation::WithdrawalsCancel, &[]),
    (Operation::JournalExport, &[]),
    (Operation::WebhooksConfigurationGet, &[]),
    (
        Operation::WebhooksConfigurationUpdate,
        &[&[InvalidWebhookUrl, InvalidWebhook, InvalidSecret]],
    ),
    (Operation::WebhooksSecretRotate, &[&[InvalidSecret]]),
    (Operation::WebhooksDeliveriesList, &[]),
    (Operation::WebhooksDeliveriesRedeliver, &[]),
    (
        Operation::SimulateDeposit,
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
    (Operation::SimulateConfirm, &[&[UnknownChain]]),
    (Operation::SimulateReorg, &[&[UnknownChain]]),
    (
        Operation::SimulateCardTransaction,
        &[&[
            DuplicateOperation,
            InvalidAmount,
            SpendingLimitExceeded,
            InsufficientFunds,
            WalletInactive,
            WalletFrozen,
        ]],
    ),
    (Operation::SimulateWithdrawalFailure, &[]),
    (Operation::ManagementClientsList, &[]),
    (
        Operation::ManagementClientsCreate,
        &[&[AlreadyExists, InvalidSecret]],
    ),
    (Operation::ManagementClientsGet, &[]),
    (Operation::ManagementClientsUpdate, &[&[AlreadyExists]]),
    (Operation::ManagementClientsDelete, &[]),
    (
        Operation::ManagementClientsContractedProductsUpdate,
        &[&[ContractLimitReached]],
    ),
    (
        Operation::ManagementClientsPolicyUpdate,
        &[&[InvalidAmount, UnknownToken, UnknownChain]],
    ),
    (Operation::ManagementUsersList, &[]),
    (Operation::ManagementUsersCreate, &[&[AlreadyExists]]),
    (Operation::ManagementUsersUpdate, &[&[AlreadyExists]]),
    (Operation::ManagementUsersDelete, &[]),
    (Operation::ManagementAccessLevelsList, &[]),
    (Operation::ManagementAccessLevelsCreate, &[&[AlreadyExists]]),
    (Operation::ManagementAccessLevelsUpdate, &[&[AlreadyExists]]),
    (Operation::ManagementAccessLevelsDelete, &[&[AlreadyExists]]),
    (Operation::ManagementApiKeysList, &[]),
    (Operation::ManagementApiKeysCreate, &[&[AlreadyExists]]),
    (Operation::ManagementApiKeysRevoke, &[]),
    (Operation::ManagementOperationsList, &[]),
    (Operation::ManagementBlockchainsList, &[]),
    (Operation::ManagementConfigurationsGet, &[]),
    (
        Operation::ManagementConfigurationsUpdate,
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
    (Operation::ManagementContractedProductsGet, &[]),
    (
        Operation::ManagementContractedProductsUpdate,
        &[&[ContractLimitReached]],
    ),
];

/// What an operation takes beside its path, as its document declares it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Takes {
    /// It honours `Idempotency-Key` (a replay with another body is `DUPLICATE_OPERATION`).
    pub(crate) idempotency_key: bool,
    /// It takes a body or query parameters, which may name something that does not exist.
    pub(crate) input: bool,
    /// The names of its query parameters and body fields.
    pub(crate) fields: BTreeSet<String>,
}

impl Takes {
    /// Whether a query parameter or body field has this name or ends with `_` and it.
    fn field(&self, name: &str) -> bool {
        self.fields
            .iter()
            .any(|f| f == name || f.strip_suffix(name).is_some_and(|p| p.ends_with('_')))
    }
}

/// The codes `op` can answer with, in the core's order, without duplicates.
pub(crate) fn of(op: &ApiOperation, path: &str, takes: &Takes) -> Vec<ErrorCode> {
    let mut codes: Vec<ErrorCode> = REQUEST.to_vec();
    if path.contains('{') || takes.input {
        codes.push(NotFound);
    }
    if path.contains("{blockchain}") {
        codes.push(UnknownChain);
    }
    if takes.idempotency_key {
        codes.push(DuplicateOperation);
    }
    // What the input names is looked up in the registry and checked by the core's parsers.
    if takes.field("blockchain") || takes.field("chain") {
        codes.push(UnknownChain);
    }
    if takes.field("token") {
        codes.extend([UnknownChain, UnknownToken]);
    }
    if takes.field("amount") {
        codes.push(InvalidAmount);
    }
    if takes.field("address") {
        codes.push(InvalidAddress);
    }
    if let Some((_, sets)) = DOMAIN.iter().find(|(o, _)| *o == op.operation) {
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

    #[test]
    fn every_operation_of_the_catalog_is_listed_once() {
        let listed: Vec<Operation> = DOMAIN.iter().map(|(o, _)| *o).collect();
        let unique: BTreeSet<Operation> = listed.iter().copied().collect();
        assert_eq!(listed.len(), unique.len(), "an operation listed twice");
        let catalog: BTreeSet<Operation> = Operation::ALL.iter().copied().collect();
        assert_eq!(unique, catalog);
    }

    /// The path of `management.operations.list` (names nothing).
    const LIST: &str = "/v1/management/operations";

    #[test]
    fn only_what_names_something_can_be_not_found() {
        let none = Takes::default();
        let get = Operation::AccountsGet.spec();
        assert!(of(get, "/v1/accounts/{id}", &none).contains(&NotFound));
        let list = Operation::ManagementOperationsList.spec();
        assert!(!of(list, LIST, &none).contains(&NotFound));
        assert!(of(list, LIST, &none).contains(&Unauthorized));
        assert!(!of(list, LIST, &none).contains(&DuplicateOperation));
        let input = Takes {
            input: true,
            ..Takes::default()
        };
        assert!(of(list, LIST, &input).contains(&NotFound));
        let replayed = Takes {
            idempotency_key: true,
            ..Takes::default()
        };
        assert!(of(list, LIST, &replayed).contains(&DuplicateOperation));
    }

    #[test]
    fn the_fields_an_operation_takes_bring_their_parsers_codes() {
        let list = Operation::ManagementOperationsList.spec();
        let fields = |names: &[&str]| Takes {
            input: true,
            fields: names.iter().map(|n| (*n).to_owned()).collect(),
            ..Takes::default()
        };
        let filtered = of(list, LIST, &fields(&["blockchain", "limit"]));
        assert!(filtered.contains(&UnknownChain));
        assert!(!filtered.contains(&UnknownToken));
        let priced = of(list, LIST, &fields(&["min_amount", "token", "to_address"]));
        assert!(priced.contains(&InvalidAmount));
        assert!(priced.contains(&UnknownToken));
        assert!(priced.contains(&InvalidAddress));
        assert!(!of(list, LIST, &fields(&["amounts_note"])).contains(&InvalidAmount));
    }
}
