-- Each journal entry names the previous entry of its account (NULL for an account's first), so
-- an account's entries can be walked newest first from its balance rows, which hold their last
-- entry's number. Kept beside the index by account for now; filled here for the entries
-- written before.
ALTER TABLE journal ADD COLUMN prev_seq BIGINT;
UPDATE journal SET prev_seq = (
    SELECT MAX(earlier.seq) FROM journal AS earlier
    WHERE earlier.client_id = journal.client_id
      AND earlier.account = journal.account
      AND earlier.seq < journal.seq
);
-- A balance row's `seq` is its last entry's number (0: none); books split into rows before
-- this version wrote the client's head there instead.
UPDATE balances SET seq = COALESCE((
    SELECT MAX(j.seq) FROM journal AS j
    WHERE j.client_id = balances.client_id
      AND j.account = balances.account
      AND j.token = balances.token
), 0);
