//! The catalog of API operations: each operation's id, permission and whether it is for sandbox
//! keys only, and the [`Operation`] enum that names them. Where an operation is served (HTTP
//! method and path) is the host's business, not the core's.

use super::Permission;
use std::fmt;

/// One API operation: its stable id and the permission it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ApiOperation {
    /// The operation.
    #[serde(skip)]
    pub operation: Operation,
    /// Stable id, e.g. `virtual_wallets.create`.
    pub id: &'static str,
    /// The permission a key needs.
    pub permission: Permission,
    /// Only available with sandbox keys (the simulator).
    pub sandbox_only: bool,
    /// What it does.
    pub description: &'static str,
}

macro_rules! ops {
    ($($variant:ident $id:literal $perm:ident $sandbox:literal $desc:literal;)*) => {
        /// An operation of the API catalog: what a key is authorized for, named by a variant so
        /// that an unknown operation cannot be asked for.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Operation {
            $(
                #[doc = $desc]
                $variant,
            )*
        }

        impl Operation {
            /// Every operation, in catalog order.
            pub const ALL: &'static [Operation] = &[$(Operation::$variant),*];
        }

        /// The catalog of API operations (the seed's "Operations"), served at
        /// `GET /v1/management/operations`; in the order of [`Operation`].
        pub const OPERATIONS: &[ApiOperation] = &[$(ApiOperation {
            operation: Operation::$variant,
            id: $id,
            permission: Permission::$perm,
            sandbox_only: $sandbox,
            description: $desc,
        }),*];
    };
}

ops! {
    VirtualWalletsList "virtual_wallets.list" WalletsRead false "List virtual wallets";
    VirtualWalletsCreate "virtual_wallets.create" WalletsWrite false "Create a virtual wallet (and the chain's holding wallet if first)";
    VirtualWalletsBatchCreate "virtual_wallets.batch_create" WalletsWrite false "Create up to 10,000 virtual wallets of one account and chain (all or none)";
    VirtualWalletsGet "virtual_wallets.get" WalletsRead false "Get a virtual wallet";
    VirtualWalletsBalance "virtual_wallets.balance" WalletsRead false "Virtual balances of a wallet";
    VirtualWalletsTransactions "virtual_wallets.transactions" WalletsRead false "Movements of a virtual wallet";
    VirtualWalletsStatement "virtual_wallets.statement" WalletsRead false "Journal entries of a virtual wallet with the running balance, newest first";
    VirtualWalletsFreeze "virtual_wallets.freeze" Management false "Freeze a virtual wallet with a reason (it receives, never sends)";
    VirtualWalletsUnfreeze "virtual_wallets.unfreeze" Management false "Lift a freeze (an operator's, or a reorg's once balances are back at zero or above)";
    VirtualWalletsWithdrawQuote "virtual_wallets.withdraw_quote" WalletsRead false "What a withdrawal would cost: amount, configured fee, total, what arrives";
    VirtualWalletsHoldsList "virtual_wallets.holds.list" WalletsRead false "Holds of a virtual wallet";
    VirtualWalletsHoldsCreate "virtual_wallets.holds.create" WalletsWrite false "Set an amount aside (available drops, total does not)";
    VirtualWalletsHoldsRelease "virtual_wallets.holds.release" WalletsWrite false "Give a held amount back";
    VirtualWalletsHoldsCapture "virtual_wallets.holds.capture" WalletsWrite false "Move a held amount to another virtual wallet";
    VirtualWalletsUpdate "virtual_wallets.update" WalletsWrite false "Update a virtual wallet (alias)";
    VirtualWalletsWithdraw "virtual_wallets.withdraw" WalletsWrite false "Withdraw to an outside address";
    VirtualWalletsTransfer "virtual_wallets.transfer" WalletsWrite false "Transfer to another virtual wallet (off chain)";
    VirtualWalletsDeactivate "virtual_wallets.deactivate" WalletsWrite false "Deactivate a virtual wallet";
    VirtualWalletsReactivate "virtual_wallets.reactivate" WalletsWrite false "Reactivate a virtual wallet";
    VirtualWalletsActivate "virtual_wallets.activate" WalletsWrite false "Reactivate a virtual wallet (needs a free slot)";
    VirtualWalletsRulesList "virtual_wallets.rules.list" WalletsRead false "List automation rules of a wallet";
    VirtualWalletsRulesCreate "virtual_wallets.rules.create" WalletsWrite false "Add an automation rule";
    VirtualWalletsRulesDelete "virtual_wallets.rules.delete" WalletsWrite false "Remove an automation rule";
    HoldingWalletsList "holding_wallets.list" WalletsRead false "List holding wallets";
    HoldingWalletsGet "holding_wallets.get" WalletsRead false "Holding wallet of a blockchain (alias, address, id)";
    HoldingWalletsBalance "holding_wallets.balance" WalletsRead false "Holding wallet balances";
    HoldingWalletsReserve "holding_wallets.reserve" WalletsRead false "Reserve report: holding, liabilities, ratio, leverage";
    HoldingWalletsStatement "holding_wallets.statement" WalletsRead false "Journal entries of the holding wallet's position with the running balance";
    HoldingWalletsWithdraw "holding_wallets.withdraw" WalletsWrite false "Partial withdrawal within the reserve ratio";
    HoldingWalletsTransfer "holding_wallets.transfer" WalletsWrite false "Transfer from the holding wallet to a virtual wallet";
    WalletsConfigurationGet "wallets.configuration.get" WalletsRead false "Wallet configuration";
    WalletsConfigurationUpdate "wallets.configuration.update" WalletsWrite false "Change the wallet configuration";
    AccountsList "accounts.list" AccountsRead false "List accounts";
    AccountsCreate "accounts.create" AccountsWrite false "Create an account";
    AccountsGet "accounts.get" AccountsRead false "Get an account";
    AccountsUpdate "accounts.update" AccountsWrite false "Update an account";
    AccountsDelete "accounts.delete" AccountsWrite false "Delete an account";
    TokensList "tokens.list" TokensRead false "Tokens listed for a blockchain";
    TokensGet "tokens.get" TokensRead false "One token";
    TreasuryList "treasury.list" TreasuryRead false "List treasury wallets";
    TreasuryCreate "treasury.create" TreasuryWrite false "Create a treasury wallet";
    TreasuryGet "treasury.get" TreasuryRead false "Get a treasury wallet";
    TreasuryBalance "treasury.balance" TreasuryRead false "Treasury wallet balances";
    TreasuryTransactions "treasury.transactions" TreasuryRead false "Movements of a treasury wallet";
    TreasuryStatement "treasury.statement" TreasuryRead false "Journal entries of a treasury wallet with the running balance";
    TreasurySend "treasury.send" TreasuryWrite false "Send from a treasury wallet";
    CardsList "cards.list" CardsRead false "List cards";
    CardsCreate "cards.create" CardsWrite false "Add a card";
    CardsGet "cards.get" CardsRead false "Card details";
    CardsUpdate "cards.update" CardsWrite false "Update a card";
    CardsDelete "cards.delete" CardsWrite false "Remove a card";
    CardsDeposit "cards.deposit" CardsWrite false "Fund a card from a wallet (at least 10 USD)";
    CardsRefund "cards.refund" CardsWrite false "Return a card's USD to a wallet";
    CardsTransactions "cards.transactions" CardsRead false "Card transactions";
    VirtualCardsList "virtual_cards.list" VirtualCardsRead false "List virtual cards";
    VirtualCardsCreate "virtual_cards.create" VirtualCardsWrite false "Issue a virtual card";
    VirtualCardsGet "virtual_cards.get" VirtualCardsRead false "Virtual card details";
    VirtualCardsUpdate "virtual_cards.update" VirtualCardsWrite false "Update a virtual card (alias, spending limit)";
    VirtualCardsBlock "virtual_cards.block" VirtualCardsWrite false "Block a virtual card";
    VirtualCardsUnblock "virtual_cards.unblock" VirtualCardsWrite false "Unblock a virtual card";
    VirtualCardsDelete "virtual_cards.delete" VirtualCardsWrite false "Cancel a virtual card";
    VirtualCardsDeposit "virtual_cards.deposit" VirtualCardsWrite false "Fund a virtual card from a wallet (at least 10 USD)";
    VirtualCardsRefund "virtual_cards.refund" VirtualCardsWrite false "Return a virtual card's USD to a wallet";
    VirtualCardsTransactions "virtual_cards.transactions" VirtualCardsRead false "Virtual card transactions";
    TransactionsList "transactions.list" TransactionsRead false "List transactions";
    DepositsList "deposits.list" TransactionsRead false "List deposits (status=below_minimum: those waiting for a decision)";
    DepositsCredit "deposits.credit" Management false "Credit a confirmed below-minimum deposit to its wallet (once)";
    DepositsRefund "deposits.refund" Management false "Send a confirmed below-minimum deposit back to an outside address, less the network fee";
    TransactionsGet "transactions.get" TransactionsRead false "Get a transaction";
    WithdrawalsGet "withdrawals.get" TransactionsRead false "A withdrawal and where it stands (pending, broadcast, confirmed, failed, cancelled)";
    WithdrawalsCancel "withdrawals.cancel" WalletsWrite false "Cancel a pending withdrawal (its debit comes back)";
    JournalExport "journal.export" TransactionsRead false "The client's hash-chained journal as JSON Lines (from/to: RFC 3339)";
    WebhooksConfigurationGet "webhooks.configuration.get" WebhooksRead false "Webhook endpoint configuration";
    WebhooksConfigurationUpdate "webhooks.configuration.update" WebhooksWrite false "Set the endpoint URL and X-Webhook-Key";
    WebhooksSecretRotate "webhooks.secret.rotate" WebhooksWrite false "Rotate the signing secret (old one kept for a while)";
    WebhooksDeliveriesList "webhooks.deliveries.list" WebhooksRead false "Delivery log";
    WebhooksDeliveriesRedeliver "webhooks.deliveries.redeliver" WebhooksWrite false "Deliver an event again";
    SimulateDeposit "simulate.deposit" Simulate true "Simulate an on-chain deposit";
    SimulateConfirm "simulate.confirm" Simulate true "Advance confirmations on the simulated chain";
    SimulateReorg "simulate.reorg" Simulate true "Drop a simulated deposit (reorg)";
    SimulateCardTransaction "simulate.card_transaction" Simulate true "Simulate a card transaction at a point of sale";
    SimulateWithdrawalFailure "simulate.withdrawal_failure" Simulate true "Make a pending or broadcast withdrawal fail (its debit comes back)";
    ManagementClientsList "management.clients.list" Management false "List clients";
    ManagementClientsCreate "management.clients.create" Management false "Create a client";
    ManagementClientsGet "management.clients.get" Management false "Get a client";
    ManagementClientsUpdate "management.clients.update" Management false "Update a client";
    ManagementClientsDelete "management.clients.delete" Management false "Delete a client";
    ManagementClientsContractedProductsUpdate "management.clients.contracted_products.update" Management false "Set the contracted limits of a client below the caller's";
    ManagementClientsPolicyUpdate "management.clients.policy.update" Management false "Set the reserve floor and USD prices of a client below the caller's";
    ManagementUsersList "management.users.list" Management false "List users";
    ManagementUsersCreate "management.users.create" Management false "Create a user";
    ManagementUsersUpdate "management.users.update" Management false "Update a user";
    ManagementUsersDelete "management.users.delete" Management false "Delete a user";
    ManagementAccessLevelsList "management.access_levels.list" Management false "List access levels";
    ManagementAccessLevelsCreate "management.access_levels.create" Management false "Create an access level";
    ManagementAccessLevelsUpdate "management.access_levels.update" Management false "Update an access level";
    ManagementAccessLevelsDelete "management.access_levels.delete" Management false "Delete an access level";
    ManagementApiKeysList "management.api_keys.list" Management false "List API keys (hints only)";
    ManagementApiKeysCreate "management.api_keys.create" Management false "Create an API key (shown once)";
    ManagementApiKeysRevoke "management.api_keys.revoke" Management false "Revoke an API key";
    ManagementOperationsList "management.operations.list" Management false "This catalog of operations";
    ManagementBlockchainsList "management.blockchains.list" Management false "Blockchains available";
    ManagementConfigurationsGet "management.configurations.get" Management false "Company configuration";
    ManagementConfigurationsUpdate "management.configurations.update" Management false "Change the company configuration (e.g. payment addresses)";
    ManagementContractedProductsGet "management.contracted_products.get" Management false "Contracted products and their usage";
    ManagementContractedProductsUpdate "management.contracted_products.update" Management false "Set the contracted limits (virtual wallets, cards, treasury wallets)";
}

/// The catalog entry of an operation id.
pub fn api_operation(id: &str) -> Option<&'static ApiOperation> {
    OPERATIONS.iter().find(|op| op.id == id)
}

impl Operation {
    /// Its catalog entry.
    pub fn spec(self) -> &'static ApiOperation {
        &OPERATIONS[self as usize]
    }

    /// Its stable id, e.g. `virtual_wallets.create`.
    pub fn id(self) -> &'static str {
        self.spec().id
    }

    /// The operation of a stable id.
    pub fn from_id(id: &str) -> Option<Operation> {
        api_operation(id).map(|op| op.operation)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_variant_is_its_own_catalog_entry() {
        assert_eq!(Operation::ALL.len(), OPERATIONS.len());
        for (i, op) in Operation::ALL.iter().enumerate() {
            assert_eq!(OPERATIONS[i].operation, *op);
            assert_eq!(op.spec().operation, *op);
            assert_eq!(Operation::from_id(op.id()), Some(*op));
        }
        let ids: std::collections::BTreeSet<&str> = OPERATIONS.iter().map(|o| o.id).collect();
        assert_eq!(ids.len(), OPERATIONS.len(), "an id used twice");
        assert_eq!(Operation::from_id("nope"), None);
        assert_eq!(
            Operation::VirtualWalletsCreate.id(),
            "virtual_wallets.create"
        );
    }
}
