-- Idempotency rows expire (24 h by default): found by age when they are purged.
CREATE INDEX idempotency_by_time ON idempotency (created_at);
