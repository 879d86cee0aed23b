-- Cards and virtual cards: only the last four digits and the brand are kept, never the number.
CREATE TABLE cards (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    brand TEXT NOT NULL,
    last4 TEXT NOT NULL,
    expiry TEXT NOT NULL,
    holder TEXT,
    label TEXT,
    deleted BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX cards_by_client ON cards (client_id, kind);
