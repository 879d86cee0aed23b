-- The receiving wallet of a transfer, so that it is listed under both wallets.
ALTER TABLE transactions ADD COLUMN counterparty_id TEXT;
