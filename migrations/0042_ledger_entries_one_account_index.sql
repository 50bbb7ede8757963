-- ledger_entries_account_version_uq (account_id, account_version) serves every lookup by account alone: the separate
-- (account_id) index only cost one more random leaf page per entry written (issue 22, WAL of the write path).
DROP INDEX "ledger_entries_account_idx";