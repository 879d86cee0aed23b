-- A transaction id (the Idempotency-Key when one is given) is unique per client, not across
-- clients: two clients may use the same key. The table is rebuilt with (client_id, id) as its key
-- (SQLite cannot change a primary key in place); the withdrawal that signs a chain transaction is
-- found by (chain, purpose, client_id, ref) for the same reason.
CREATE TABLE transactions_v6 (
    id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    wallet_id TEXT,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    token TEXT,
    amount TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    body TEXT NOT NULL,
    counterparty_id TEXT,
    PRIMARY KEY (client_id, id)
);
INSERT INTO transactions_v6 (id, client_id, seq, wallet_id, type, status, token, amount, created_at, updated_at, body, counterparty_id)
    SELECT id, client_id, seq, wallet_id, type, status, token, amount, created_at, updated_at, body, counterparty_id FROM transactions;
DROP TABLE transactions;
ALTER TABLE transactions_v6 RENAME TO transactions;
CREATE INDEX transactions_by_client_seq ON transactions (client_id, seq);
CREATE INDEX transactions_open_by_status ON transactions (status, type);
DROP INDEX chain_txs_by_ref;
CREATE UNIQUE INDEX chain_txs_by_client_ref ON chain_txs (chain, purpose, client_id, ref);
