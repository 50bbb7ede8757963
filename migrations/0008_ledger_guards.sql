-- Ledger invariants held by PostgreSQL itself, so a bug in TypeScript (or a hand-typed UPDATE) cannot break them.

-- 1. Append-only: entries and transactions are never changed or removed; a correction is a reversal.
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger % are append-only: % refused (post a reversal instead)', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'restrict_violation';
END $$;
--> statement-breakpoint
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TRIGGER ledger_transactions_no_truncate BEFORE TRUNCATE ON ledger_transactions
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint

-- 2. Double entry: at commit, every transaction has entries and they sum to zero. Deferred, because the
--    header and its entries are inserted by separate statements (or CTE parts) of one transaction.
CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE n bigint; total numeric;
BEGIN
  SELECT count(*), coalesce(sum(amount), 0) INTO n, total FROM ledger_entries WHERE transaction_id = NEW.id;
  IF n = 0 OR total <> 0 THEN
    RAISE EXCEPTION 'ledger transaction % does not balance (% entries, sum %)', NEW.id, n, total
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transactions_balanced';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER ledger_transactions_balanced AFTER INSERT ON ledger_transactions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
--> statement-breakpoint

-- 3. Holds never make available negative. A row CHECK sees only the new row, so it cannot tell a hold
--    (must keep balance - held >= 0) from a deduction (may leave a debt while holds are outstanding):
--    this trigger fires only when `held` grows. The same rule is the CHECK ledger_entries_hold_covered_chk
--    on the hold's entry, and the conditional UPDATE in TypeScript decides it first.
CREATE FUNCTION ledger_refuse_overdraw() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'hold of % would leave account % with available %', NEW.held - OLD.held, NEW.id, NEW.balance - NEW.held
    USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_accounts_hold_covered';
END $$;
--> statement-breakpoint
CREATE TRIGGER ledger_accounts_hold_covered BEFORE UPDATE ON ledger_accounts
  FOR EACH ROW WHEN (NEW.held > OLD.held AND NEW.balance - NEW.held < 0)
  EXECUTE FUNCTION ledger_refuse_overdraw();
--> statement-breakpoint

-- 4. Cached state is justified by an entry: at commit, each state a member account passed through is the
--    state recorded on its entry of that version, and its chain head is that version's transaction hash.
--    A plain `UPDATE ledger_accounts SET balance = ...` therefore fails.
CREATE FUNCTION ledger_check_cache() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (
       SELECT 1 FROM ledger_entries e
       WHERE e.account_id = NEW.id AND e.account_version = NEW.version
         AND e.balance_after = NEW.balance AND e.held_after = NEW.held)
     OR NOT EXISTS (
       SELECT 1 FROM ledger_transactions t
       WHERE t.account_id = NEW.id AND t.chain_seq = NEW.version AND t.hash = NEW.head_hash) THEN
    RAISE EXCEPTION 'cached state of ledger account % (version %) is not justified by its entries', NEW.id, NEW.version
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_accounts_cache_justified';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER ledger_accounts_cache_justified AFTER INSERT OR UPDATE ON ledger_accounts
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (NEW.kind = 'member' AND (NEW.version > 0 OR NEW.balance <> 0 OR NEW.held <> 0))
  EXECUTE FUNCTION ledger_check_cache();
