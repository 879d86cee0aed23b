-- Statements and balances at a past time walk an account's entries through `prev_seq`
-- (migration 0016), so the journal no longer keeps an index by account: a batch's entries are
-- appended to its key and to the index by time only, instead of landing on a page of the index
-- by account for every account they touch.
DROP INDEX journal_by_account;
