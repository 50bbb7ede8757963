-- Functions, triggers and views of the points ledger (src/db/schema/ledger.ts).
-- Repeatable SQL, applied by migrate() (src/db/migrate.ts, "Repeatable SQL") after the migrations whenever
-- this text changes: edit a definition here, in place, never in a migration. Every statement runs again on
-- each change, so each is idempotent (CREATE OR REPLACE, DROP TRIGGER IF EXISTS before CREATE TRIGGER).

-- Ledger invariants held by PostgreSQL itself, so a bug in TypeScript (or a hand-typed UPDATE) cannot break them.

-- 1. Append-only: entries and transactions are never changed or removed; a correction is a reversal.
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger % are append-only: % refused (post a reversal instead)', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'restrict_violation';
END $$;

DROP TRIGGER IF EXISTS ledger_entries_append_only ON ledger_entries;
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

DROP TRIGGER IF EXISTS ledger_entries_no_truncate ON ledger_entries;
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

DROP TRIGGER IF EXISTS ledger_transactions_append_only ON ledger_transactions;
CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

DROP TRIGGER IF EXISTS ledger_transactions_no_truncate ON ledger_transactions;
CREATE TRIGGER ledger_transactions_no_truncate BEFORE TRUNCATE ON ledger_transactions
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- 2. Double entry: at commit, every transaction has entries and they sum to zero. Deferred, because the
--    header and its entries are inserted by separate statements (or CTE parts) of one transaction.
CREATE OR REPLACE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE n bigint; total numeric;
BEGIN
  SELECT count(*), coalesce(sum(amount), 0) INTO n, total FROM ledger_entries WHERE transaction_id = NEW.id;
  IF n = 0 OR total <> 0 THEN
    RAISE EXCEPTION 'ledger transaction % does not balance (% entries, sum %)', NEW.id, n, total
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transactions_balanced';
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS ledger_transactions_balanced ON ledger_transactions;
CREATE CONSTRAINT TRIGGER ledger_transactions_balanced AFTER INSERT ON ledger_transactions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();

-- 3. Holds never make available negative. A row CHECK sees only the new row, so it cannot tell a hold
--    (must keep balance - held >= 0) from a deduction (may leave a debt while holds are outstanding):
--    this trigger fires only when `held` grows. The same rule is the CHECK ledger_entries_hold_covered_chk
--    on the hold's entry, and the conditional UPDATE in TypeScript decides it first.
CREATE OR REPLACE FUNCTION ledger_refuse_overdraw() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'hold of % would leave account % with available %', NEW.held - OLD.held, NEW.id, NEW.balance - NEW.held
    USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_accounts_hold_covered';
END $$;

DROP TRIGGER IF EXISTS ledger_accounts_hold_covered ON ledger_accounts;
CREATE TRIGGER ledger_accounts_hold_covered BEFORE UPDATE ON ledger_accounts
  FOR EACH ROW WHEN (NEW.held > OLD.held AND NEW.balance - NEW.held < 0)
  EXECUTE FUNCTION ledger_refuse_overdraw();

-- 4. Cached state is justified by an entry: at commit, each state a member account passed through is the
--    state recorded on its entry of that version, and its chain head is that version's transaction hash.
--    A plain `UPDATE ledger_accounts SET balance = ...` therefore fails.
CREATE OR REPLACE FUNCTION ledger_check_cache() RETURNS trigger LANGUAGE plpgsql AS $$
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

DROP TRIGGER IF EXISTS ledger_accounts_cache_justified ON ledger_accounts;
CREATE CONSTRAINT TRIGGER ledger_accounts_cache_justified AFTER INSERT OR UPDATE ON ledger_accounts
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (NEW.kind = 'member' AND (NEW.version > 0 OR NEW.balance <> 0 OR NEW.held <> 0))
  EXECUTE FUNCTION ledger_check_cache();

-- The redemption counter's writes (issue 9) call ledger_post in one statement: see redemption_reserve in
-- rewards.sql. The TypeScript repos call it too (ledger/repo.ts post).

-- One posting: the conditional update of the member account (balance, held, lifetime earned, version and
-- hash-chain head move together), the transaction row with the new chain hash, and its entries. No row back
-- means the condition failed (available or held short, already settled, or no account): nothing written.
CREATE OR REPLACE FUNCTION ledger_post(
  p_id uuid, p_kind text, p_member uuid, p_amount bigint, p_held_change bigint, p_earned_change bigint,
  p_counter uuid, p_memo text, p_reason text, p_reference_type text, p_reference_id uuid,
  p_effective_date date, p_actor uuid, p_content text,
  p_need_available bigint, p_need_held bigint, p_settles uuid)
RETURNS TABLE (id uuid, created_at timestamptz, balance bigint, held bigint, version bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH eff AS (SELECT coalesce(p_effective_date, current_date) AS d),
  acct AS (
    UPDATE ledger_accounts a
       SET balance = a.balance + p_amount,
           held = a.held + p_held_change,
           lifetime_earned = a.lifetime_earned + p_earned_change,
           version = a.version + 1,
           head_hash = encode(sha256(convert_to(
             a.head_hash || p_content || '|' || to_char((SELECT d FROM eff), 'YYYY-MM-DD'), 'UTF8')), 'hex')
     WHERE a.member_id = p_member
       AND (p_need_available IS NULL OR a.balance - a.held >= p_need_available)
       AND (p_need_held IS NULL OR a.held >= p_need_held)
       AND (p_settles IS NULL OR NOT EXISTS (
             SELECT 1 FROM ledger_transactions s
             WHERE s.reference_id = p_settles AND s.kind IN ('post', 'void')))
    RETURNING a.id, a.balance, a.held, a.version, a.head_hash),
  t AS (
    INSERT INTO ledger_transactions (id, kind, member_id, account_id, chain_seq, hash, memo, reason,
                                     reference_type, reference_id, effective_date, actor_user_id)
    SELECT p_id, p_kind, p_member, acct.id, acct.version, acct.head_hash, p_memo, p_reason,
           p_reference_type, p_reference_id, (SELECT d FROM eff), p_actor
    FROM acct
    RETURNING ledger_transactions.id, ledger_transactions.created_at),
  e AS (
    INSERT INTO ledger_entries (transaction_id, account_id, amount, held_change, account_version,
                                balance_after, held_after)
    SELECT t.id, acct.id, p_amount, p_held_change, acct.version, acct.balance, acct.held
    FROM t, acct
    UNION ALL
    SELECT t.id, p_counter, -p_amount, 0, NULL, NULL, NULL
    FROM t WHERE p_counter IS NOT NULL AND p_amount <> 0)
  SELECT t.id, t.created_at, acct.balance, acct.held, acct.version FROM t, acct;
END;
$$;
