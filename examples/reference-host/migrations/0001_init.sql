-- One schema for SQLite and PostgreSQL: portable types only (TEXT, BIGINT), ids made by the host.
CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL,
    record TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
-- The core ledger of a client (its live books), locked for the length of each operation.
CREATE TABLE ledgers (
    client_id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE TABLE settings (
    client_id TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE wallets (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    account_id TEXT,
    kind TEXT NOT NULL,
    blockchain TEXT,
    address TEXT,
    derivation_index BIGINT,
    alias TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX wallets_by_address ON wallets (address);
CREATE INDEX wallets_by_client ON wallets (client_id, kind);
CREATE TABLE holdings (
    client_id TEXT NOT NULL,
    blockchain TEXT NOT NULL,
    id TEXT NOT NULL,
    account_number BIGINT NOT NULL UNIQUE,
    address TEXT NOT NULL,
    alias TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, blockchain)
);
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('account_number', 0);
-- Settled ledger records (movements, sweeps, deposits), given back to the core on retries.
CREATE TABLE records (
    client_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (client_id, kind, key)
);
CREATE TABLE transactions (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    wallet_id TEXT,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    token TEXT,
    amount TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX transactions_by_client ON transactions (client_id, seq);
CREATE TABLE idempotency (
    client_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status BIGINT NOT NULL,
    response TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, key)
);
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    event TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    delivered_at BIGINT,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (delivered_at, next_attempt_at);
CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    outbox_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    attempt BIGINT NOT NULL,
    at BIGINT NOT NULL,
    status_code BIGINT,
    error TEXT,
    duration_ms BIGINT NOT NULL
);
CREATE INDEX deliveries_by_client ON deliveries (client_id, at);
CREATE TABLE keystore (
    id TEXT PRIMARY KEY,
    secret TEXT NOT NULL
);
CREATE TABLE sim_deposits (
    tx TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    wallet_id TEXT NOT NULL,
    blockchain TEXT NOT NULL,
    token TEXT NOT NULL,
    amount TEXT NOT NULL,
    confirm_at BIGINT NOT NULL,
    status TEXT NOT NULL
);
CREATE INDEX sim_deposits_due ON sim_deposits (status, confirm_at);
