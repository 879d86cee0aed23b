-- An account's wallets by the account: an account's page (`GET /v1/accounts/{id}`), its
-- deletion, and the wallet and transaction lists filtered by `account_id` read the wallets of one
-- end user; without this they read every wallet row of the host (or of the client) to find them.
-- Within a client and kind, in the order pages read them (created_at, then id).
CREATE INDEX wallets_by_account ON wallets (client_id, account_id, kind, created_at, id);
