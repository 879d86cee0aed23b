-- Balances in rows, beside the books' document: each account's balance per token as of its last
-- journal entry (`seq`), written with the entries; and each wallet's status and flags on its row.
-- Reads (wallets, balances, lists) come from these rows, so they never load a client's books.
CREATE TABLE balances (
    client_id TEXT NOT NULL,
    account TEXT NOT NULL,
    token TEXT NOT NULL,
    posted TEXT NOT NULL,
    pending TEXT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (client_id, account, token)
);
ALTER TABLE wallets ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE wallets ADD COLUMN flags TEXT NOT NULL DEFAULT '[]';
-- Pages of a client's wallets of one kind, in order of creation.
CREATE INDEX wallets_by_client_created ON wallets (client_id, kind, created_at, id);
ALTER TABLE cards ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
-- 1 once a client's balance rows and wallet states have been filled from its books (at start).
ALTER TABLE ledgers ADD COLUMN rows_ready BIGINT NOT NULL DEFAULT 0;
-- Wallets made by one POST /v1/wallets/virtual/batch share its id (its idempotent replay reads them).
ALTER TABLE wallets ADD COLUMN batch_id TEXT;
CREATE INDEX wallets_by_batch ON wallets (batch_id);
