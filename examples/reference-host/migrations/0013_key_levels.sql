-- What an API key is bound to: a user of its client (the key follows the user's access level) or an
-- access level directly; both empty for a client key (its own permissions). The key's record
-- (`binding`) says the same; these columns let one query join a key to its level.
ALTER TABLE api_keys ADD COLUMN user_id TEXT;
ALTER TABLE api_keys ADD COLUMN access_level_id TEXT;
CREATE INDEX api_keys_by_user ON api_keys (user_id);
CREATE INDEX api_keys_by_level ON api_keys (access_level_id);
