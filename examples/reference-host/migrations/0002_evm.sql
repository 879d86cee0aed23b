-- The EVM JSON-RPC adapter. Portable types only (TEXT, BIGINT), as in 0001.
-- Scan cursor per chain: the first block not yet scanned. Updated in the same database
-- transaction as the block's hash, after the block's deposits are committed (deposits are
-- idempotent by transaction hash + log index, so a crash in between rescans without double credit).
CREATE TABLE chain_cursors (
    chain TEXT PRIMARY KEY,
    next_block BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Hashes of the recently scanned blocks (a window), to detect reorgs by hash.
CREATE TABLE chain_blocks (
    chain TEXT NOT NULL,
    number BIGINT NOT NULL,
    hash TEXT NOT NULL,
    parent_hash TEXT NOT NULL,
    PRIMARY KEY (chain, number)
);
-- Deposits seen on chain: id = the ledger's transaction key (tx hash + log index).
CREATE TABLE chain_deposits (
    id TEXT PRIMARY KEY,
    chain TEXT NOT NULL,
    client_id TEXT NOT NULL,
    wallet_id TEXT NOT NULL,
    address TEXT NOT NULL,
    token TEXT NOT NULL,
    amount TEXT NOT NULL,
    tx_hash TEXT NOT NULL,
    log_index BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    block_hash TEXT NOT NULL,
    -- unpriced | pending | confirmed | dropped | orphaned
    status TEXT NOT NULL,
    -- none | due | topup | sent | swept | dust | failed
    sweep TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX chain_deposits_by_status ON chain_deposits (chain, status, block_number);
CREATE INDEX chain_deposits_by_sweep ON chain_deposits (chain, sweep);
-- Transactions the host signs (sweeps, gas top-ups, withdrawals): recorded before broadcast, so
-- a restart rebroadcasts them and never signs a second one for the same purpose and reference.
CREATE TABLE chain_txs (
    id TEXT PRIMARY KEY,
    chain TEXT NOT NULL,
    purpose TEXT NOT NULL,
    ref TEXT NOT NULL,
    client_id TEXT NOT NULL,
    from_address TEXT NOT NULL,
    nonce BIGINT NOT NULL,
    raw TEXT NOT NULL,
    hash TEXT NOT NULL,
    -- signed | sent | confirmed | failed
    status TEXT NOT NULL,
    block_number BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX chain_txs_by_ref ON chain_txs (chain, purpose, ref);
CREATE INDEX chain_txs_open ON chain_txs (chain, status);
CREATE INDEX chain_txs_by_hash ON chain_txs (hash);
CREATE INDEX chain_txs_by_sender ON chain_txs (chain, from_address, nonce);
-- Which host runs a chain's scanner and sender: a lease with an expiry.
CREATE TABLE chain_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
-- Withdrawals waiting for a chain adapter.
CREATE INDEX transactions_open ON transactions (status, type);
