-- Holds: amounts of a virtual wallet set aside. `wallets.held` is the copy of the core's held
-- amounts per token (JSON) shown with the balances; `holds` keeps each hold (its body is the
-- core's record), indexed for the expiry sweep.
ALTER TABLE wallets ADD COLUMN held TEXT;
CREATE TABLE holds (
    client_id TEXT NOT NULL,
    id TEXT NOT NULL,
    wallet_id TEXT NOT NULL,
    status TEXT NOT NULL,
    expires_at BIGINT,
    created_at BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (client_id, id)
);
CREATE INDEX holds_due ON holds (status, expires_at);
CREATE INDEX holds_by_wallet ON holds (client_id, wallet_id, created_at, id);
