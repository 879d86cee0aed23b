-- The journal: one row per account a movement changes, with the account's balance after it,
-- chained per client by SHA-256 (docs/LEDGER.md, "The journal"). Amounts are decimal text.
CREATE TABLE journal (
    client_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    movement_id TEXT NOT NULL,
    account TEXT NOT NULL,
    token TEXT NOT NULL,
    posted TEXT NOT NULL,
    pending TEXT NOT NULL,
    posted_after TEXT NOT NULL,
    pending_after TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (client_id, seq)
);
-- Statements and balances at a past time: an account's entries in order.
CREATE INDEX journal_by_account ON journal (client_id, account, seq);
-- Exports of a period.
CREATE INDEX journal_by_time ON journal (client_id, created_at);
-- The head of each client's chain, kept with its books (locked with them).
ALTER TABLE ledgers ADD COLUMN journal_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ledgers ADD COLUMN journal_hash TEXT NOT NULL DEFAULT '0000000000000000000000000000000000000000000000000000000000000000';
