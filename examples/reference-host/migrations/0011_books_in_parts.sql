-- The books in rows: every part of a client's books that is not a balance is a row of its own,
-- bounded whatever the client's size. Balances are the rows of `balances` (written with the
-- journal); `books` keeps each wallet (kind 'wallet': kind, account, status, flags, index),
-- each holding wallet (kind 'holding': next index, liability and in-transit sums); `rules` keeps
-- the automation rules; pending deposits join the settled ones in `records`. The client's terms
-- (configuration, contract, counters) are `ledgers.terms`; `ledgers.state` (the whole books as one
-- document, as written before) is emptied once split at start (`rows_ready` = 2).
CREATE TABLE books (
    client_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (client_id, kind, key)
);
CREATE TABLE rules (
    client_id TEXT NOT NULL,
    id TEXT NOT NULL,
    wallet_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (client_id, id)
);
CREATE INDEX rules_by_wallet ON rules (client_id, wallet_id, seq);
ALTER TABLE ledgers ADD COLUMN terms TEXT NOT NULL DEFAULT '';
