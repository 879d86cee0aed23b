-- Fair, bounded webhook delivery (issue 19 item 6).
-- `outcome` closes an event that was not delivered: 'dead' (dead-lettered after the attempt or
-- age cap) or 'skipped' (the client is not subscribed to its operation); NULL while it is pending
-- or once delivered (`delivered_at`). `attempt_base` and `revived_at` are set by a redelivery, so
-- a revived event gets a fresh budget of attempts and age.
ALTER TABLE outbox ADD COLUMN outcome TEXT;
ALTER TABLE outbox ADD COLUMN attempt_base BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN revived_at BIGINT;
-- One client's due events, oldest first (the dispatcher claims per client).
CREATE INDEX outbox_client_due ON outbox (client_id, delivered_at, next_attempt_at);
-- A client's webhook endpoint, disabled after it kept failing (a dead-lettered event): its events
-- are parked until the configuration is saved again.
CREATE TABLE webhook_endpoints (
    client_id TEXT PRIMARY KEY,
    disabled_at BIGINT NOT NULL,
    reason TEXT NOT NULL
);
