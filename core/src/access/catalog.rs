//! The catalog of API operations: each operation's id, HTTP route, permission and whether it is
//! for sandbox keys only, and the [`Operation`] enum that names them.

use super::Permission;
use std::fmt;

/// One API operation: its stable id, HTTP route, and the permission it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ApiOperation {
    /// The operation.
    #[serde(skip)]
    pub operation: Operation,
    /// Stable id, e.g. `virtual_wallets.create`.
    pub id: &'static str,
    /// HTTP method.
    pub method: &'static str,
    /// Route under the API root, with `{placeholders}`.
    pub path: &'static str,
    /// The permission a key needs.
    pub permission: Permission,
    /// Only available with sandbox keys (the simulator).
    pub sandbox_only: bool,
    /// What it does.
    pub description: &'static str,
}

macro_rules! ops {
    ($($variant:ident $id:literal $method:literal $path:literal $perm:ident $sandbox:literal $desc:literal;)*) => {
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
            method: $method,
            path: $path,
            permission: Permission::$perm,
            sandbox_only: $sandbox,
            description: $desc,
        }),*];
    };
}

ops! {
    VirtualWalletsList "virtual_wallets.list" "GET" "/v1/wallets/virtual" WalletsRead false "List virtual wallets";
    VirtualWalletsCreate "virtual_wallets.create" "POST" "/v1/wallets/virtual" WalletsWrite false "Create a virtual wallet (and the chain's holding wallet if first)";
    VirtualWalletsBatchCreate "virtual_wallets.batch_create" "POST" "/v1/wallets/virtual/batch" WalletsWrite false "Create up to 10,000 virtual wallets of one account and chain (all or none)";
    VirtualWalletsGet "virtual_wallets.get" "GET" "/v1/wallets/virtual/{id}" WalletsRead false "Get a virtual wallet";
    VirtualWalletsBalance "virtual_wallets.balance" "GET" "/v1/wallets/virtual/{id}/balance" WalletsRead false "Virtual balances of a wallet";
    VirtualWalletsTransactions "virtual_wallets.transactions" "GET" "/v1/wallets/virtual/{id}/transactions" WalletsRead false "Movements of a virtual wallet";
    VirtualWalletsStatement "virtual_wallets.statement" "GET" "/v1/wallets/virtual/{id}/statement" WalletsRead false "Journal entries of a virtual wallet with the running balance, newest first";
    VirtualWalletsFreeze "virtual_wallets.freeze" "POST" "/v1/wallets/virtual/{id}/freeze" Management false "Freeze a virtual wallet with a reason (it receives, never sends)";
    VirtualWalletsUnfreeze "virtual_wallets.unfreeze" "POST" "/v1/wallets/virtual/{id}/unfreeze" Management false "Lift a freeze (an operator's, or a reorg's once balances are back at zero or above)";
    VirtualWalletsWithdrawQuote "virtual_wallets.withdraw_quote" "POST" "/v1/wallets/virtual/{id}/withdraw/quote" WalletsRead false "What a withdrawal would cost: amount, configured fee, total, what arrives";
    VirtualWalletsHoldsList "virtual_wallets.holds.list" "GET" "/v1/wallets/virtual/{id}/holds" WalletsRead false "Holds of a virtual wallet";
    VirtualWalletsHoldsCreate "virtual_wallets.holds.create" "POST" "/v1/wallets/virtual/{id}/holds" WalletsWrite false "Set an amount aside (available drops, total does not)";
    VirtualWalletsHoldsRelease "virtual_wallets.holds.release" "POST" "/v1/wallets/virtual/{id}/holds/{hold_id}/release" WalletsWrite false "Give a held amount back";
    VirtualWalletsHoldsCapture "virtual_wallets.holds.capture" "POST" "/v1/wallets/virtual/{id}/holds/{hold_id}/capture" WalletsWrite false "Move a held amount to another virtual wallet";
    VirtualWalletsUpdate "virtual_wallets.update" "PATCH" "/v1/wallets/virtual/{id}" WalletsWrite false "Update a virtual wallet (alias)";
    VirtualWalletsWithdraw "virtual_wallets.withdraw" "POST" "/v1/wallets/virtual/{id}/withdraw" WalletsWrite false "Withdraw to an outside address";
    VirtualWalletsTransfer "virtual_wallets.transfer" "POST" "/v1/wallets/virtual/{id}/transfer" WalletsWrite false "Transfer to another virtual wallet (off chain)";
    VirtualWalletsDeactivate "virtual_wallets.deactivate" "POST" "/v1/wallets/virtual/{id}/deactivate" WalletsWrite false "Deactivate a virtual wallet";
    VirtualWalletsReactivate "virtual_wallets.reactivate" "POST" "/v1/wallets/virtual/{id}/reactivate" WalletsWrite false "Reactivate a virtual wallet";
    VirtualWalletsActivate "virtual_wallets.activate" "POST" "/v1/wallets/virtual/{id}/activate" WalletsWrite false "Reactivate a virtual wallet (needs a free slot)";
    VirtualWalletsRulesList "virtual_wallets.rules.list" "GET" "/v1/wallets/virtual/{id}/rules" WalletsRead false "List automation rules of a wallet";
    VirtualWalletsRulesCreate "virtual_wallets.rules.create" "POST" "/v1/wallets/virtual/{id}/rules" WalletsWrite false "Add an automation rule";
    VirtualWalletsRulesDelete "virtual_wallets.rules.delete" "DELETE" "/v1/wallets/virtual/{id}/rules/{rule_id}" WalletsWrite false "Remove an automation rule";
    HoldingWalletsList "holding_wallets.list" "GET" "/v1/wallets/holding" WalletsRead false "List holding wallets";
    HoldingWalletsGet "holding_wallets.get" "GET" "/v1/wallets/holding/{blockchain}" WalletsRead false "Holding wallet of a blockchain (alias, address, id)";
    HoldingWalletsBalance "holding_wallets.balance" "GET" "/v1/wallets/holding/{blockchain}/balance" WalletsRead false "Holding wallet balances";
    HoldingWalletsReserve "holding_wallets.reserve" "GET" "/v1/wallets/holding/{blockchain}/reserve" WalletsRead false "Reserve report: holding, liabilities, ratio, leverage";
    HoldingWalletsStatement "holding_wallets.statement" "GET" "/v1/wallets/holding/{blockchain}/statement" WalletsRead false "Journal entries of the holding wallet's position with the running balance";
    HoldingWalletsWithdraw "holding_wallets.withdraw" "POST" "/v1/wallets/holding/{blockchain}/withdraw" WalletsWrite false "Partial withdrawal within the reserve ratio";
    HoldingWalletsTransfer "holding_wallets.transfer" "POST" "/v1/wallets/holding/{blockchain}/transfer" WalletsWrite false "Transfer from the holding wallet to a virtual wallet";
    WalletsConfigurationGet "wallets.configuration.get" "GET" "/v1/wallets/configuration" WalletsRead false "Wallet configuration";
    WalletsConfigurationUpdate "wallets.configuration.update" "PUT" "/v1/wallets/configuration" WalletsWrite false "Change the wallet configuration";
    AccountsList "accounts.list" "GET" "/v1/accounts" AccountsRead false "List accounts";
    AccountsCreate "accounts.create" "POST" "/v1/accounts" AccountsWrite false "Create an account";
    AccountsGet "accounts.get" "GET" "/v1/accounts/{id}" AccountsRead false "Get an account";
    AccountsUpdate "accounts.update" "PATCH" "/v1/accounts/{id}" AccountsWrite false "Update an account";
    AccountsDelete "accounts.delete" "DELETE" "/v1/accounts/{id}" AccountsWrite false "Delete an account";
    TokensList "tokens.list" "GET" "/v1/tokens" TokensRead false "Tokens listed for a blockchain";
    TokensGet "tokens.get" "GET" "/v1/tokens/{blockchain}/{symbol}" TokensRead false "One token";
    TreasuryList "treasury.list" "GET" "/v1/treasury" TreasuryRead false "List treasury wallets";
    TreasuryCreate "treasury.create" "POST" "/v1/treasury" TreasuryWrite false "Create a treasury wallet";
    TreasuryGet "treasury.get" "GET" "/v1/treasury/{id}" TreasuryRead false "Get a treasury wallet";
    TreasuryBalance "treasury.balance" "GET" "/v1/treasury/{id}/balance" TreasuryRead false "Treasury wallet balances";
    TreasuryTransactions "treasury.transactions" "GET" "/v1/treasury/{id}/transactions" TreasuryRead false "Movements of a treasury wallet";
    TreasuryStatement "treasury.statement" "GET" "/v1/treasury/{id}/statement" TreasuryRead false "Journal entries of a treasury wallet with the running balance";
    TreasurySend "treasury.send" "POST" "/v1/treasury/{id}/send" TreasuryWrite false "Send from a treasury wallet";
    CardsList "cards.list" "GET" "/v1/cards" CardsRead false "List cards";
    CardsCreate "cards.create" "POST" "/v1/cards" CardsWrite false "Add a card";
    CardsGet "cards.get" "GET" "/v1/cards/{id}" CardsRead false "Card details";
    CardsUpdate "cards.update" "PATCH" "/v1/cards/{id}" CardsWrite false "Update a card";
    CardsDelete "cards.delete" "DELETE" "/v1/cards/{id}" CardsWrite false "Remove a card";
    CardsDeposit "cards.deposit" "POST" "/v1/cards/{id}/deposit" CardsWrite false "Fund a card from a wallet (at least 10 USD)";
    CardsRefund "cards.refund" "POST" "/v1/cards/{id}/refund" CardsWrite false "Return a card's USD to a wallet";
    CardsTransactions "cards.transactions" "GET" "/v1/cards/{id}/transactions" CardsRead false "Card transactions";
    VirtualCardsList "virtual_cards.list" "GET" "/v1/virtual-cards" VirtualCardsRead false "List virtual cards";
    VirtualCardsCreate "virtual_cards.create" "POST" "/v1/virtual-cards" VirtualCardsWrite false "Issue a virtual card";
    VirtualCardsGet "virtual_cards.get" "GET" "/v1/virtual-cards/{id}" VirtualCardsRead false "Virtual card details";
    VirtualCardsUpdate "virtual_cards.update" "PATCH" "/v1/virtual-cards/{id}" VirtualCardsWrite false "Update a virtual card (alias, spending limit)";
    VirtualCardsBlock "virtual_cards.block" "POST" "/v1/virtual-cards/{id}/block" VirtualCardsWrite false "Block a virtual card";
    VirtualCardsUnblock "virtual_cards.unblock" "POST" "/v1/virtual-cards/{id}/unblock" VirtualCardsWrite false "Unblock a virtual card";
    VirtualCardsDelete "virtual_cards.delete" "DELETE" "/v1/virtual-cards/{id}" VirtualCardsWrite false "Cancel a virtual card";
    VirtualCardsDeposit "virtual_cards.deposit" "POST" "/v1/virtual-cards/{id}/deposit" VirtualCardsWrite false "Fund a virtual card from a wallet (at least 10 USD)";
    VirtualCardsRefund "virtual_cards.refund" "POST" "/v1/virtual-cards/{id}/refund" VirtualCardsWrite false "Return a virtual card's USD to a wallet";
    VirtualCardsTransactions "virtual_cards.transactions" "GET" "/v1/virtual-cards/{id}/transactions" VirtualCardsRead false "Virtual card transactions";
    TransactionsList "transactions.list" "GET" "/v1/transactions" TransactionsRead false "List transactions";
    DepositsList "deposits.list" "GET" "/v1/deposits" TransactionsRead false "List deposits (status=below_minimum: those waiting for a decision)";
    DepositsCredit "deposits.credit" "POST" "/v1/deposits/{id}/credit" Management false "Credit a confirmed below-minimum deposit to its wallet (once)";
    DepositsRefund "deposits.refund" "POST" "/v1/deposits/{id}/refund" Management false "Send a confirmed below-minimum deposit back to an outside address, less the network fee";
    TransactionsGet "transactions.get" "GET" "/v1/transactions/{id}" TransactionsRead false "Get a transaction";
    WithdrawalsGet "withdrawals.get" "GET" "/v1/withdrawals/{id}" TransactionsRead false "A withdrawal and where it stands (pending, broadcast, confirmed, failed, cancelled)";
    WithdrawalsCancel "withdrawals.cancel" "POST" "/v1/withdrawals/{id}/cancel" WalletsWrite false "Cancel a pending withdrawal (its debit comes back)";
    JournalExport "journal.export" "GET" "/v1/journal/export" TransactionsRead false "The client's hash-chained journal as JSON Lines (from/to: RFC 3339)";
    WebhooksConfigurationGet "webhooks.configuration.get" "GET" "/v1/webhooks/configuration" WebhooksRead false "Webhook endpoint configuration";
    WebhooksConfigurationUpdate "webhooks.configuration.update" "PUT" "/v1/webhooks/configuration" WebhooksWrite false "Set the endpoint URL and X-Webhook-Key";
    WebhooksSecretRotate "webhooks.secret.rotate" "POST" "/v1/webhooks/secret/rotate" WebhooksWrite false "Rotate the signing secret (old one kept for a while)";
    WebhooksDeliveriesList "webhooks.deliveries.list" "GET" "/v1/webhooks/deliveries" WebhooksRead false "Delivery log";
    WebhooksDeliveriesRedeliver "webhooks.deliveries.redeliver" "POST" "/v1/webhooks/deliveries/{id}/redeliver" WebhooksWrite false "Deliver an event again";
    SimulateDeposit "simulate.deposit" "POST" "/v1/simulate/deposit" Simulate true "Simulate an on-chain deposit";
    SimulateConfirm "simulate.confirm" "POST" "/v1/simulate/confirm" Simulate true "Advance confirmations on the simulated chain";
    SimulateReorg "simulate.reorg" "POST" "/v1/simulate/reorg" Simulate true "Drop a simulated deposit (reorg)";
    SimulateCardTransaction "simulate.card_transaction" "POST" "/v1/simulate/card-transaction" Simulate true "Simulate a card transaction at a point of sale";
    SimulateWithdrawalFailure "simulate.withdrawal_failure" "POST" "/v1/simulate/withdrawal-failure" Simulate true "Make a pending or broadcast withdrawal fail (its debit comes back)";
    ManagementClientsList "management.clients.list" "GET" "/v1/management/clients" Management false "List clients";
    ManagementClientsCreate "management.clients.create" "POST" "/v1/management/clients" Management false "Create a client";
    ManagementClientsGet "management.clients.get" "GET" "/v1/management/clients/{id}" Management false "Get a client";
    ManagementClientsUpdate "management.clients.update" "PATCH" "/v1/management/clients/{id}" Management false "Update a client";
    ManagementClientsDelete "management.clients.delete" "DELETE" "/v1/management/clients/{id}" Management false "Delete a client";
    ManagementClientsContractedProductsUpdate "management.clients.contracted_products.update" "PUT" "/v1/management/clients/{id}/contracted-products" Management false "Set the contracted limits of a client below the caller's";
    ManagementClientsPolicyUpdate "management.clients.policy.update" "PUT" "/v1/management/clients/{id}/policy" Management false "Set the reserve floor and USD prices of a client below the caller's";
    ManagementUsersList "management.users.list" "GET" "/v1/management/users" Management false "List users";
    ManagementUsersCreate "management.users.create" "POST" "/v1/management/users" Management false "Create a user";
    ManagementUsersUpdate "management.users.update" "PATCH" "/v1/management/users/{id}" Management false "Update a user";
    ManagementUsersDelete "management.users.delete" "DELETE" "/v1/management/users/{id}" Management false "Delete a user";
    ManagementAccessLevelsList "management.access_levels.list" "GET" "/v1/management/access-levels" Management false "List access levels";
    ManagementAccessLevelsCreate "management.access_levels.create" "POST" "/v1/management/access-levels" Management false "Create an access level";
    ManagementAccessLevelsUpdate "management.access_levels.update" "PATCH" "/v1/management/access-levels/{id}" Management false "Update an access level";
    ManagementAccessLevelsDelete "management.access_levels.delete" "DELETE" "/v1/management/access-levels/{id}" Management false "Delete an access level";
    ManagementApiKeysList "management.api_keys.list" "GET" "/v1/management/api-keys" Management false "List API keys (hints only)";
    ManagementApiKeysCreate "management.api_keys.create" "POST" "/v1/management/api-keys" Management false "Create an API key (shown once)";
    ManagementApiKeysRevoke "management.api_keys.revoke" "DELETE" "/v1/management/api-keys/{id}" Management false "Revoke an API key";
    ManagementOperationsList "management.operations.list" "GET" "/v1/management/operations" Management false "This catalog of operations";
    ManagementBlockchainsList "management.blockchains.list" "GET" "/v1/management/blockchains" Management false "Blockchains available";
    ManagementConfigurationsGet "management.configurations.get" "GET" "/v1/management/configurations" Management false "Company configuration";
    ManagementConfigurationsUpdate "management.configurations.update" "PUT" "/v1/management/configurations" Management false "Change the company configuration (e.g. payment addresses)";
    ManagementContractedProductsGet "management.contracted_products.get" "GET" "/v1/management/contracted-products" Management false "Contracted products and their usage";
    ManagementContractedProductsUpdate "management.contracted_products.update" "PUT" "/v1/management/contracted-products" Management false "Set the contracted limits (virtual wallets, cards, treasury wallets)";
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
